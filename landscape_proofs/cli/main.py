"""The ``landscape`` command.

Exit status: 0 a result was produced (``verify``: every certificate holds), 1 a certificate
does not establish its claim (``verify``) or a tour example went wrong, 2 unusable input
(one line on stderr naming the file, the field and what was expected; never a traceback).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from landscape_proofs.kernel.errors import InputError

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise InputError(f"{self.prog}: {message}")


def _error_line(exc: Exception) -> str:
    """``landscape: error: MESSAGE`` on one line, whatever the file put in field names."""
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in str(exc))
    return f"landscape: error: {text}"


def _emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


def _budget(args):
    from landscape_proofs.produce.classify import Budget

    return Budget(seed=args.seed)


def _write_certificate_option(args, result) -> None:
    """``--certificate OUT``: write the result's certificate, or say why there is none."""
    if not args.certificate:
        return
    if result.certificate is None:
        print(f"note: no certificate written ({result.kind.value})", file=sys.stderr)
        return
    from landscape_proofs.produce.certificate import write_certificate

    try:
        write_certificate(result.certificate, args.certificate)
    except OSError as exc:
        raise InputError(f"cannot write the certificate ({exc.strerror})",
                         source=args.certificate) from None


# --- commands -------------------------------------------------------------------------------------
def _classify_refined(args, problem, point) -> int:
    """``classify --refine``: the point is an approximation (see docs/enclosures.md)."""
    from landscape_proofs.produce.refined import classify_refined

    if not args.refine:
        raise InputError("--digits needs --refine (exact classification has no precision)")
    result = classify_refined(problem, point, digits=100 if args.digits is None else args.digits,
                              budget=_budget(args))
    _write_certificate_option(args, result)
    if args.json:
        _emit_json(result.to_json())
    else:
        print("\n".join(result.lines()))
        if args.certificate and result.certificate is not None:
            print(f"certificate written to {args.certificate}")
    return EXIT_OK


def cmd_classify(args) -> int:
    from landscape_proofs.produce.classify import classify
    from landscape_proofs.kernel.numbers import format_exact
    from landscape_proofs.families.io import load_point, load_problem

    problem = load_problem(args.problem)
    if getattr(problem, "family", None) == "shallow-rank":  # R on the set rank <= p (issue 4)
        if args.refine or args.digits is not None:
            raise InputError("--refine applies to deep-linear, multi-tower and "
                             "symmetric-factorization problems", source=args.problem)
        return cmd_shallow(args)
    point = load_point(args.point, problem)
    if args.refine or args.digits is not None:
        return _classify_refined(args, problem, point)
    result = classify(problem, point, _budget(args))
    _write_certificate_option(args, result)
    if args.json:
        _emit_json(result.to_json())
        return EXIT_OK
    print(f"kind:   {result.kind.value}")
    value = "not computable exactly" if result.value is None else format_exact(result.value)
    print(f"value:  {value}")  # format_exact: Fraction str fails past 4300 digits
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
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.produce.certificate import read_certificate

    status = EXIT_OK
    rows = []
    for path in args.certificates:
        try:
            data = read_certificate(path)
            res = check_certificate(data)
        except InputError as exc:
            err = exc if exc.source else exc.with_source(path)
            print(_error_line(err), file=sys.stderr)
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
    from landscape_proofs.families.io import load_problem
    from landscape_proofs.symbolic.derive import FAMILIES, derivation, render_derivation

    problem = load_problem(args.problem)
    if getattr(problem, "family", None) not in FAMILIES:  # e.g. shallow-rank (issue 4)
        raise InputError("landscape derive handles deep-linear problems (and matrix-factorization, "
                         "which loads as one), multi-tower and symmetric-factorization",
                         field="family", got=problem.family, source=args.problem)
    try:
        d = derivation(problem)
        if args.json:
            text = {"plain": render_derivation(d, latex=False), "latex": render_derivation(d, latex=True)}
        else:
            text = render_derivation(d, latex=args.latex)
    except ValueError as exc:
        # SymPy prints integers with str(), which Python refuses past 4300 digits.
        if "integer string conversion" not in str(exc):
            raise
        raise InputError("expected numbers short enough to print as formulas (at most 4300 "
                         "digits; classify and verify have no such limit)",
                         source=args.problem) from None
    if args.json:
        _emit_json(text)
    else:
        print(text)
    return EXIT_OK


def cmd_tour(args) -> int:
    from landscape_proofs.produce.tour import run_tour

    report = run_tour(out_dir=Path(args.out) if args.out else None)
    if args.json:
        _emit_json(report.to_json())
    else:
        print(report.table())
    return EXIT_OK if report.all_ok else EXIT_FAIL


def cmd_theorems(args) -> int:
    from landscape_proofs.theorems.registry import THEOREMS
    from landscape_proofs.theorems.report import listing_json, listing_text

    if args.json:
        _emit_json(listing_json(THEOREMS))
    else:
        print(listing_text(THEOREMS))
    return EXIT_OK


def cmd_check(args) -> int:
    """Exit 1 only when every assumption holds and the conclusion fails on the instance."""
    from landscape_proofs.families.io import load_point, load_problem
    from landscape_proofs.produce.candidates import CheckBudget
    from landscape_proofs.theorems.registry import get_theorem
    from landscape_proofs.theorems.report import check_text
    from landscape_proofs.theorems.runner import check_theorem

    theorem = get_theorem(args.theorem)
    problem = load_problem(args.problem)
    point = load_point(args.point, problem) if args.point else None
    result = check_theorem(theorem, problem, CheckBudget(seed=args.seed), point)
    if args.json:
        _emit_json(result.to_json())
    else:
        print(check_text(result))
    return EXIT_FAIL if result.counterexample else EXIT_OK


def cmd_explain(args) -> int:
    from landscape_proofs.theorems.registry import get_theorem
    from landscape_proofs.theorems.report import explain_json, explain_text

    theorem = get_theorem(args.theorem)
    if args.json:
        _emit_json(explain_json(theorem))
    else:
        print(explain_text(theorem))
    return EXIT_OK


def cmd_openness(args) -> int:
    """Exact local openness of the problem's product map at the point, plus a float64 probe."""
    from landscape_proofs.openness.dispatch import decide_openness, point_factors
    from landscape_proofs.openness.products import decision_lines, probe_openness
    from landscape_proofs.families.io import load_point, load_problem

    problem = load_problem(args.problem)
    point = load_point(args.point, problem)
    decision = decide_openness(problem, point)
    probe = None
    if not args.no_probe:
        kind, factors = point_factors(problem, point)
        probe = probe_openness(kind, factors, decision, targets=args.targets, seed=args.seed)
    if args.json:
        _emit_json({**decision.to_json(),
                    "probe": None if probe is None else probe.to_json(),
                    "probe_agrees": (None if probe is None or decision.verdict.value == "undecided"
                                     else probe.verdict is decision.verdict)})
    else:
        print("\n".join(decision_lines(decision, probe)))
    return EXIT_OK


def cmd_shallow(args) -> int:
    """Classify R on the set rank <= p of a shallow-rank problem (through its lift)."""
    from landscape_proofs.families.io import load_point, load_problem
    from landscape_proofs.families.shallow_rank import ShallowRankProblem
    from landscape_proofs.produce.shallow import classification_lines, classify_shallow

    problem = load_problem(args.problem)
    if not isinstance(problem, ShallowRankProblem):
        raise InputError('expected a problem of the family "shallow-rank"', field="family",
                         got=problem.family, source=args.problem)
    point = load_point(args.point, problem)
    result = classify_shallow(problem, point, _budget(args))
    _write_certificate_option(args, result)
    if args.json:
        _emit_json(result.to_json())
    else:
        print("\n".join(classification_lines(result)))
        if args.certificate and result.certificate is not None:
            print(f"certificate written to {args.certificate}")
    return EXIT_OK


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
    c.add_argument("--refine", action="store_true", help="treat the point's numbers as "
                   "approximations: refine to a nearby critical point, then certify it (exactly "
                   "if it is rational, else by an interval enclosure)")
    c.add_argument("--digits", type=int, default=None, metavar="D",
                   help="digits of the refinement (with --refine; default 100)")
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

    th = sub.add_parser("theorems", help="list the registered theorems (id, title, source)")
    th.add_argument("--json", action="store_true")
    th.set_defaults(func=cmd_theorems)

    ck = sub.add_parser("check", help="check a theorem's assumptions on an instance and test its "
                        "conclusion there (exit 1: assumptions hold and the conclusion fails)")
    ck.add_argument("theorem", metavar="THEOREM", help="a theorem id (see `landscape theorems`)")
    ck.add_argument("problem", metavar="PROBLEM")
    ck.add_argument("--point", metavar="POINT", help="a point of interest (e.g. the ground truth)")
    ck.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    ck.add_argument("--json", action="store_true")
    ck.set_defaults(func=cmd_check)

    ex = sub.add_parser("explain", help="a theorem's statement, source, checks and caveats")
    ex.add_argument("theorem", metavar="ID")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(func=cmd_explain)

    from landscape_proofs.cli.search import add_parsers as add_search_parsers  # search, hunt, campaign
    add_search_parsers(sub)

    op = sub.add_parser("openness", help="decide exactly whether the product map is locally open "
                        "at the point (with a numeric cross-check)")
    op.add_argument("problem", metavar="PROBLEM")
    op.add_argument("point", metavar="POINT")
    op.add_argument("--json", action="store_true")
    op.add_argument("--no-probe", action="store_true", help="skip the float64 cross-check")
    op.add_argument("--targets", type=int, default=8, help="random targets the probe tries")
    op.add_argument("--seed", type=int, default=0, help="seed of the probe")
    op.set_defaults(func=cmd_openness)

    sh = sub.add_parser("shallow", help="classify R on the set rank <= p of a shallow-rank "
                        "problem, with its global solution (square loss)")
    sh.add_argument("problem", metavar="PROBLEM")
    sh.add_argument("point", metavar="POINT")
    sh.add_argument("--json", action="store_true")
    sh.add_argument("--certificate", metavar="OUT", help="write the certificate to OUT")
    sh.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    sh.set_defaults(func=cmd_shallow)
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except InputError as exc:
        print(_error_line(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `landscape derive P | head`: the reader left, stay quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
