"""``landscape tour``: classify and verify the bundled examples (exit 1 if one went wrong)."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import (EXIT_FAIL, EXIT_OK, add_full_option, emit_json, examples,
                                         prepare_out_dir, say)


def register(sub) -> None:
    t = sub.add_parser("tour", help="classify and verify the bundled examples",
                       **examples("landscape tour",
                                  "landscape tour --out certs/ && landscape explain "
                                  "certs/ab-saddle-0.json",
                                  "landscape tour --json"))
    t.add_argument("--json", action="store_true")
    t.add_argument("--out", metavar="DIR", help="write the certificates to DIR")
    add_full_option(t)
    t.set_defaults(func=run)


def run(args) -> int:
    prepare_out_dir(args.out or None)
    report = api.tour(out_dir=args.out or None)
    if args.json:
        emit_json(report.to_json())
    else:
        say(report.table(), args)
    return EXIT_OK if report.all_ok else EXIT_FAIL
