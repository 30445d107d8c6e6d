"""``landscape derive PROBLEM``: the objective, gradient and Hessian formulas (SymPy)."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import EXIT_OK, emit_json, examples
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    d = sub.add_parser("derive", help="objective, gradient and Hessian formulas",
                       **examples("landscape derive problem.json",
                                  "landscape derive problem.json --latex",
                                  "landscape derive problem.json --json"))
    d.add_argument("problem")
    d.add_argument("--latex", action="store_true", help="LaTeX instead of plain text")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run)


def run(args) -> int:
    problem = api.load_problem(args.problem)
    try:
        text = api.derive(problem, latex=args.latex, as_json=args.json)
    except InputError as exc:  # the family, or numbers too long to print: the problem file's
        raise (exc if exc.source else exc.with_source(args.problem)) from None
    if args.json:
        emit_json(text)
    else:
        print(text)
    return EXIT_OK
