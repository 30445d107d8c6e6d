"""``landscape verify CERTIFICATE...``: re-check certificates from scratch with the kernel.

Exit status: 0 every certificate holds, 1 some certificate does not establish its claim,
2 some file is unusable (that wins over 1).
"""
from __future__ import annotations

import sys

from landscape_proofs import api
from landscape_proofs.cli.output import (EXIT_FAIL, EXIT_INPUT, EXIT_OK, add_full_option,
                                         emit_json, error_line, examples, say)
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    v = sub.add_parser("verify", help="re-check certificates from scratch",
                       **examples("landscape verify cert.json",
                                  "landscape verify certs/*.json --json",
                                  "landscape explain cert.json      # why it holds, in words"))
    v.add_argument("certificates", nargs="+", metavar="CERTIFICATE")
    v.add_argument("--json", action="store_true")
    add_full_option(v)
    v.set_defaults(func=run)


def run(args) -> int:
    status = EXIT_OK
    rows = []
    for path in args.certificates:
        try:
            res = api.verify(path)
        except InputError as exc:
            err = exc if exc.source else exc.with_source(path)
            print(error_line(err), file=sys.stderr)
            rows.append({"file": path, "valid": None, "claim": None, "reason": str(err)})
            status = EXIT_INPUT
            continue
        rows.append({"file": path, "valid": res.valid, "claim": res.claim, "reason": res.reason,
                     "relies_on": list(res.relies_on)})
        if not res.valid and status == EXIT_OK:
            status = EXIT_FAIL
    if args.json:
        emit_json({"results": rows, "all_valid": status == EXIT_OK})
    else:
        for r in rows:
            if r["valid"] is None:
                continue
            tag = "VALID  " if r["valid"] else "INVALID"
            extra = f" [relies on {', '.join(r['relies_on'])}]" if r.get("relies_on") else ""
            say(f"{tag} {r['file']}: {r['claim']}: {r['reason']}{extra}", args)
    return status
