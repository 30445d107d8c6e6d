"""``landscape census PROBLEM``: every real critical point, certified (docs/census.md).

Exit status 0 when a result was produced (complete or not; ``complete`` says which), 2 for
unusable input.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from landscape_proofs import api
from landscape_proofs.cli.output import (EXIT_OK, emit_json, examples, precheck_figure,
                                         prepare_out_dir)
from landscape_proofs.kernel.errors import InputError


def _positive(text: str) -> float:
    x = _number(text, "a number of seconds > 0")
    if not x > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return x


def _nonnegative(text: str) -> float:
    x = _number(text, "a finite number of seconds >= 0")
    if not x >= 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds >= 0, got {text!r}")
    return x


def _number(text: str, want: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}") from None


def _boxes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000_000:
        raise argparse.ArgumentTypeError(f"expected an integer in [1, 10000000], got {text!r}")
    return int(text)


def register(sub) -> None:
    c = sub.add_parser("census", help="every real critical point, certified (small problems)",
                       **examples("landscape census problem.json",
                                  "landscape census problem.json --json --timeout 60",
                                  "landscape census problem.json --out census/ && "
                                  "landscape verify census/census.json"))
    c.add_argument("problem", metavar="PROBLEM")
    c.add_argument("--timeout", type=_positive, default=60.0, metavar="S",
                   help="give up (complete: false) after S seconds (default 60)")
    c.add_argument("--max-boxes", type=_boxes, default=200000, metavar="N",
                   help="give up (complete: false) after N boxes (default 200000)")
    c.add_argument("--algebra-timeout", type=_nonnegative, default=10.0, metavar="S",
                   help="seconds (within --timeout) for the number of complex critical points "
                        "by a Groebner basis over Q (default 10; 0 skips it)")
    c.add_argument("--out", metavar="DIR", help="write the certificate to DIR/census.json")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.add_argument("--plot", metavar="FILE", help="also draw the critical values by kind and "
                   "index (FILE.png or FILE.svg; needs the plot extra)")
    c.set_defaults(func=run)


def run(args) -> int:
    from landscape_proofs.search.census import census

    precheck_figure(args.plot, "--plot")   # refuse a bad --plot before the work
    problem = api.load_problem(args.problem)
    prepare_out_dir(args.out)
    report = _bounded_census(census, problem, args)
    ref = None
    if args.out and report.certificate is not None and report.complete:
        path = Path(args.out) / "census.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            from landscape_proofs.families.io import write_text_atomic  # (SymPy: lazily)

            write_text_atomic(path, json.dumps(report.certificate) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write the certificate ({exc.strerror})",
                             source=str(path)) from None
        ref = str(path)
    if args.plot:
        api.plot(report, path=args.plot)
    if args.json:
        emit_json(report.to_json(certificate_ref=ref))
    else:
        print(f"landscape census {args.problem}")
        print(report.table())
        if ref:
            print(f"certificate written to {ref} (check it with: landscape verify {ref})")
        elif args.out:
            print(f"nothing written to {args.out}: an incomplete census certifies nothing, so it "
                  "has no certificate")
        if args.plot:
            print(f"figure written to {args.plot}")
    return EXIT_OK



def _bounded_census(census, problem, args):
    """The census under its own cooperative ``--timeout``, plus a hard stop a little later
    (a child process killed if one long exact call overruns, landscape_proofs.budget);
    Ctrl-C or SIGTERM stops it too.  Both give ``complete: false`` with the reason."""
    import time

    from landscape_proofs.budget import run_bounded, sigterm_interrupts
    from landscape_proofs.search.census import CensusReport

    t0 = time.monotonic()
    try:
        with sigterm_interrupts():
            out = run_bounded(census, problem, timeout=args.timeout, max_boxes=args.max_boxes,
                              algebra_timeout=args.algebra_timeout,
                              seconds=args.timeout * 1.25 + 2.0)
    except KeyboardInterrupt:
        return CensusReport(False, "interrupted (Ctrl-C or SIGTERM) before the census was "
                            "complete", seconds=time.monotonic() - t0)
    if out.done:
        return out.value
    return CensusReport(False, out.reason, seconds=time.monotonic() - t0)
