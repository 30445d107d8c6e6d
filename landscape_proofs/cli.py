"""The ``landscape`` command.

Exit status: 0 a result was produced (``verify``: every certificate holds), 1 a certificate
does not establish its claim (``verify``) or a tour example went wrong, 2 unusable input
(one line on stderr naming the file, the field and what was expected; never a traceback).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import InputError

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise InputError(f"{self.prog}: {message}")


def _emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


def _budget(args):
    from .classify import Budget

    return Budget(seed=args.seed)


# --- commands -------------------------------------------------------------------------------------
def cmd_classify(args) -> int:
    from .certificates.model import write_certificate
    from .classify import classify
    from .problems.io import load_point, load_problem

    problem = load_problem(args.problem)
    point = load_point(args.point, problem)
    result = classify(problem, point, _budget(args))
    if args.certificate:
        if result.certificate is None:
            print(f"note: no certificate written ({result.kind.value})", file=sys.stderr)
        else:
            try:
                write_certificate(result.certificate, args.certificate)
            except OSError as exc:
                raise InputError(f"cannot write the certificate ({exc.strerror})",
                                 source=args.certificate) from None
    if args.json:
        _emit_json(result.to_json())
        return EXIT_OK
    print(f"kind:   {result.kind.value}")
    print(f"value:  {result.value}")
    print(f"reason: {result.reason}")
    if result.inertia is not None:
        pos, neg, zero = result.inertia
        print(f"Hessian inertia (+, -, 0): ({pos}, {neg}, {zero}) over {result.n_params} parameters")
    for note in result.notes:
        print(f"note:   {note}")
    print(f"method: {result.method}")
    if args.certificate and result.certificate is not None:
        print(f"certificate written to {args.certificate}")
    return EXIT_OK


def cmd_verify(args) -> int:
    from .certificates.checker import check_certificate
    from .certificates.model import read_certificate

    status = EXIT_OK
    rows = []
    for path in args.certificates:
        try:
            data = read_certificate(path)
            res = check_certificate(data)
        except InputError as exc:
            err = exc if exc.source else exc.with_source(path)
            print(f"landscape: error: {err}", file=sys.stderr)
            rows.append({"file": path, "valid": None, "claim": None, "reason": str(err)})
            status = EXIT_INPUT
            continue
        rows.append({"file": path, "valid": res.valid, "claim": res.claim, "reason": res.reason,
                     "relies_on": list(res.relies_on)})
        if not res.valid and status == EXIT_OK:
            status = EXIT_FAIL
    if args.json:
        _emit_json({"results": rows, "all_valid": status == EXIT_OK})
    else:
        for r in rows:
            if r["valid"] is None:
                continue
            tag = "VALID  " if r["valid"] else "INVALID"
            extra = f" [relies on {', '.join(r['relies_on'])}]" if r.get("relies_on") else ""
            print(f"{tag} {r['file']}: {r['claim']}: {r['reason']}{extra}")
    return status


def cmd_derive(args) -> int:
    from .problems.io import load_problem
    from .symbolic.derive import derivation, render_derivation

    problem = load_problem(args.problem)
    d = derivation(problem)
    if args.json:
        _emit_json({"plain": render_derivation(d, latex=False), "latex": render_derivation(d, latex=True)})
    else:
        print(render_derivation(d, latex=args.latex))
    return EXIT_OK


def cmd_tour(args) -> int:
    from .tour import run_tour

    report = run_tour(out_dir=Path(args.out) if args.out else None)
    if args.json:
        _emit_json(report.to_json())
    else:
        print(report.table())
    return EXIT_OK if report.all_ok else EXIT_FAIL


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="landscape", description="Exact, certified facts about the landscapes of "
                "deep linear networks.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    sub.required = True

    c = sub.add_parser("classify", help="decide exactly what a point is, with a certificate")
    c.add_argument("problem")
    c.add_argument("point")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.add_argument("--certificate", metavar="OUT", help="write the certificate to OUT")
    c.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    c.set_defaults(func=cmd_classify)

    v = sub.add_parser("verify", help="re-check certificates from scratch")
    v.add_argument("certificates", nargs="+", metavar="CERTIFICATE")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_verify)

    d = sub.add_parser("derive", help="objective, gradient and Hessian formulas")
    d.add_argument("problem")
    d.add_argument("--latex", action="store_true", help="LaTeX instead of plain text")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_derive)

    t = sub.add_parser("tour", help="classify and verify the bundled examples")
    t.add_argument("--json", action="store_true")
    t.add_argument("--out", metavar="DIR", help="write the certificates to DIR")
    t.set_defaults(func=cmd_tour)
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except InputError as exc:
        print(f"landscape: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
