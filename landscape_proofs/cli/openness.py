"""``landscape openness PROBLEM POINT``: exact local openness of the problem's product map at
the point, plus a float64 probe (a cross-check that never changes the verdict)."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import EXIT_OK, emit_json, examples


def register(sub) -> None:
    op = sub.add_parser("openness", help="decide exactly whether the product map is locally open "
                        "at the point (with a numeric cross-check)",
                        **examples("landscape openness problem.json point.json",
                                   "landscape openness problem.json point.json --no-probe --json",
                                   "landscape openness problem.json point.json --targets 32 "
                                   "--seed 1"))
    op.add_argument("problem", metavar="PROBLEM")
    op.add_argument("point", metavar="POINT")
    op.add_argument("--json", action="store_true")
    op.add_argument("--no-probe", action="store_true", help="skip the float64 cross-check")
    op.add_argument("--targets", type=int, default=8, help="random targets the probe tries")
    op.add_argument("--seed", type=int, default=0, help="seed of the probe")
    op.set_defaults(func=run)


def run(args) -> int:
    problem = api.load_problem(args.problem)
    point = api.load_point(args.point, problem)
    decision, probe = api.openness(problem, point, probe=not args.no_probe,
                                   targets=args.targets, seed=args.seed)
    skipped = None if args.no_probe else api.probe_refusal(problem)
    if args.json:
        out = {**decision.to_json(),
               "probe": None if probe is None else probe.to_json(),
               "probe_agrees": (None if probe is None or decision.verdict.value == "undecided"
                                else probe.verdict is decision.verdict)}
        if skipped:
            out["probe_note"] = skipped
        emit_json(out)
    else:
        from landscape_proofs.openness.products import decision_lines

        lines = decision_lines(decision, probe) + ([f"probe:    {skipped}"] if skipped else [])
        print("\n".join(lines))
    return EXIT_OK
