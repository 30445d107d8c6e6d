"""``landscape theorems``, ``check`` and ``explain``: the registered theorems.

``check`` exits 1 only when every assumption holds and the conclusion fails on the instance.
"""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import EXIT_FAIL, EXIT_OK, emit_json


def register(sub) -> None:
    """Register ``theorems``, ``check`` and ``explain`` (in this order)."""
    th = sub.add_parser("theorems", help="list the registered theorems (id, title, source)")
    th.add_argument("--json", action="store_true")
    th.set_defaults(func=run_theorems)

    ck = sub.add_parser("check", help="check a theorem's assumptions on an instance and test its "
                        "conclusion there (exit 1: assumptions hold and the conclusion fails)")
    ck.add_argument("theorem", metavar="THEOREM", help="a theorem id (see `landscape theorems`)")
    ck.add_argument("problem", metavar="PROBLEM")
    ck.add_argument("--point", metavar="POINT", help="a point of interest (e.g. the ground truth)")
    ck.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    ck.add_argument("--json", action="store_true")
    ck.set_defaults(func=run_check)

    ex = sub.add_parser("explain", help="a theorem's statement, source, checks and caveats")
    ex.add_argument("theorem", metavar="ID")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(func=run_explain)


def run_theorems(args) -> int:
    from landscape_proofs.theorems.report import listing_json, listing_text

    if args.json:
        emit_json(listing_json(api.theorems()))
    else:
        print(listing_text(api.theorems()))
    return EXIT_OK


def run_check(args) -> int:
    theorem = api.theorem(args.theorem)  # an unknown id is reported before the files are read
    problem = api.load_problem(args.problem)
    point = api.load_point(args.point, problem) if args.point else None
    result = api.check(theorem, problem, point, seed=args.seed)
    if args.json:
        emit_json(result.to_json())
    else:
        from landscape_proofs.theorems.report import check_text

        print(check_text(result))
    return EXIT_FAIL if result.counterexample else EXIT_OK


def run_explain(args) -> int:
    theorem = api.theorem(args.theorem)
    if args.json:
        emit_json(api.explain(theorem, as_json=True))
    else:
        print(api.explain(theorem))
    return EXIT_OK

