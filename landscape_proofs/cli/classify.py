"""``landscape classify PROBLEM POINT``: decide exactly what a point is, with a certificate."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli import shallow
from landscape_proofs.cli.arguments import seconds
from landscape_proofs.cli.verify import add_limit_options, limits_in_force
from landscape_proofs.cli.output import (EXIT_OK, add_full_option, certificate_written_line,
                                         emit_json, examples, number_text, say,
                                         write_certificate_option)
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    c = sub.add_parser("classify", help="decide exactly what a point is, with a certificate",
                       **examples("landscape classify problem.json point.json",
                                  "landscape classify problem.json point.json --json "
                                  "--certificate cert.json",
                                  "landscape classify problem.json approx.json --refine --digits 60"))
    c.add_argument("problem")
    c.add_argument("point")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.add_argument("--certificate", metavar="OUT", help="write the certificate to OUT")
    c.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    add_full_option(c)
    c.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up after SECONDS: "
                   "the answer is inconclusive with \"timeout\" in the reason (exit 0)")
    add_limit_options(c)
    c.add_argument("--refine", action="store_true", help="treat the point's numbers as "
                   "approximations: refine to a nearby critical point, then certify it (exactly "
                   "if it is rational, else by an interval enclosure)")
    c.add_argument("--digits", type=int, default=None, metavar="D",
                   help="digits of the refinement (with --refine; default 100)")
    c.set_defaults(func=run)


def run(args) -> int:
    with limits_in_force(args):
        return _run(args)


def _run(args) -> int:
    problem = api.load_problem(args.problem)
    if not getattr(problem, "layered", True):   # shallow-rank: R on the set rank <= p
        if args.refine or args.digits is not None:
            raise InputError("--refine applies to deep-linear, multi-tower and "
                             "symmetric-factorization problems", source=args.problem)
        if args.timeout is None:
            return shallow.run(args)
        return _run_shallow_bounded(args, problem)
    point = api.load_point(args.point, problem)
    if args.refine or args.digits is not None:
        return _run_refined(args, problem, point)
    result = api.classify(problem, point, seed=args.seed, timeout=args.timeout)
    write_certificate_option(args, result)
    if args.json:
        emit_json(result.to_json())
        return EXIT_OK
    say(f"kind:   {result.kind.value}")
    # number_text, not str: Fraction's str fails past 4300 digits
    value = ("not computable exactly" if result.value is None
             else number_text(result.value, args.full))
    print(f"value:  {value}")
    say(f"reason: {result.reason}", args)
    if result.inertia is not None:
        pos, neg, zero = result.inertia
        print(f"Hessian inertia (+, -, 0): ({pos}, {neg}, {zero}) over {result.n_params} parameters")
    for note in result.notes:
        say(f"note:   {note}", args)
    if str(args.point).lower().endswith(".npz"):
        say("note:   the point was read from .npz as the exact binary values of its float64 "
            "entries", args)
        if result.kind.value == "not-critical":
            say("hint:   a float point is rarely exactly critical; `--refine` refines it to a "
                "nearby critical point and certifies that", args)
    print(f"method: {result.method}")
    certificate_written_line(args, result)
    return EXIT_OK


def _run_refined(args, problem, point) -> int:
    """``classify --refine``: the point is an approximation (see docs/enclosures.md)."""
    if not args.refine:
        raise InputError("--digits needs --refine (exact classification has no precision)")
    try:
        result = api.classify(problem, point, seed=args.seed, refine=True, digits=args.digits,
                              timeout=args.timeout)
    except InputError as exc:        # about the point's numbers: name the point file
        raise (exc if exc.source or exc.field == "digits" else exc.with_source(args.point)) from None
    write_certificate_option(args, result)
    if args.json:
        emit_json(result.to_json())
    elif not hasattr(result.raw, "lines"):          # the budget ran out first
        say(f"kind:   {result.kind.value}\nreason: {result.reason}", args)
    else:
        say("\n".join(result.lines()), args)
        certificate_written_line(args, result)
    return EXIT_OK


def _run_shallow_bounded(args, problem) -> int:
    """``classify --timeout`` on a shallow-rank problem (``landscape shallow``'s output)."""
    from landscape_proofs.produce.shallow import classification_lines

    point = api.load_point(args.point, problem)
    result = api.classify(problem, point, seed=args.seed, timeout=args.timeout)
    write_certificate_option(args, result)
    if args.json:
        emit_json(result.to_json())
    elif result.certificate is None and result.method == "none":   # the budget ran out
        say(f"kind:   {result.kind.value}\nreason: {result.reason}", args)
    else:
        say("\n".join(classification_lines(result)), args)
        certificate_written_line(args, result)
    return EXIT_OK
