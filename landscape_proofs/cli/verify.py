"""``landscape verify CERTIFICATE...``: re-check certificates from scratch with the kernel.

Exit status: 0 every certificate holds, 1 some certificate does not establish its claim,
2 some file is unusable (that wins over 1).
"""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext

from landscape_proofs import api
from landscape_proofs.cli.arguments import count, seconds
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
    v.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up on a certificate "
                   "after SECONDS: it counts as not established (exit 1)")
    add_limit_options(v)
    v.set_defaults(func=run)


def add_limit_options(parser) -> None:
    """``--max-parameters``, ``--max-bytes``, ``--max-digits``: raise the kernel's size limits
    (kernel/limits.py); beyond them a certificate is refused at once (exit 2)."""
    from landscape_proofs.kernel.limits import DEFAULT

    parser.add_argument("--max-parameters", type=count, metavar="N", default=None,
                        help=f"largest problem, in parameters (default {DEFAULT.max_parameters})")
    if parser.prog.endswith("verify"):
        parser.add_argument("--max-bytes", type=count, metavar="N", default=None,
                            help=f"largest certificate file (default {DEFAULT.max_bytes})")
        parser.add_argument("--max-digits", type=count, metavar="N", default=None,
                            help=f"longest number, in digits (default {DEFAULT.max_digits})")


def limits_in_force(args):
    """A context manager putting the limits the options ask for in force."""
    from dataclasses import replace

    from landscape_proofs.kernel.limits import DEFAULT, using

    asked = {k: getattr(args, k, None) for k in ("max_parameters", "max_bytes", "max_digits")}
    asked = {k: v for k, v in asked.items() if v is not None}
    return using(replace(DEFAULT, **asked)) if asked else nullcontext()


def run(args) -> int:
    with limits_in_force(args):
        return _run(args)


def _check_size(path: str) -> None:
    from landscape_proofs.kernel.limits import check_bytes

    try:
        st = os.stat(path)
    except OSError:
        return                           # the reader reports a missing file in its words
    import stat

    if stat.S_ISREG(st.st_mode):
        check_bytes(st.st_size, source=path)


def _run(args) -> int:
    status = EXIT_OK
    rows = []
    for path in args.certificates:
        try:
            _check_size(path)
            res = api.verify(path, timeout=args.timeout)
        except InputError as exc:
            err = exc if exc.source else exc.with_source(path)
            print(error_line(err), file=sys.stderr)
            rows.append({"file": path, "holds": None, "claim": None, "reason": str(err)})
            status = EXIT_INPUT
            continue
        rows.append({"file": path, "holds": res.valid, "claim": res.claim, "reason": res.reason,
                     "relies_on": list(res.relies_on)})
        if not res.valid and status == EXIT_OK:
            status = EXIT_FAIL
    if args.json:
        emit_json({"results": rows, "all_hold": status == EXIT_OK})
    else:
        for r in rows:
            if r["holds"] is None:
                continue
            tag = "VALID  " if r["holds"] else "INVALID"
            extra = f" [relies on {', '.join(r['relies_on'])}]" if r.get("relies_on") else ""
            say(f"{tag} {r['file']}: {r['claim']}: {r['reason']}{extra}", args)
    return status
