"""``landscape theorems``, ``check`` and ``explain``: the registered theorems.

``check`` exits 1 only when every assumption holds and the conclusion fails on the instance.
"""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.arguments import seconds
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.cli.output import (EXIT_FAIL, EXIT_OK, add_full_option, emit_json,
                                         examples, say)


def register(sub) -> None:
    """Register ``theorems``, ``check`` and ``explain`` (in this order)."""
    th = sub.add_parser("theorems", help="list the registered theorems (id, title, source)",
                        **examples("landscape theorems",
                                   "landscape theorems --json",
                                   "landscape explain kawaguchi2016   # one theorem in full"))
    th.add_argument("--json", action="store_true")
    th.set_defaults(func=run_theorems)

    ck = sub.add_parser("check", help="check a theorem's assumptions on an instance and test its "
                        "conclusion there (exit 1: assumptions hold and the conclusion fails)",
                        **examples("landscape check kawaguchi2016 problem.json",
                                   "landscape check kawaguchi2016 problem.json --point truth.json",
                                   "landscape check achour2021 problem.json --json",
                                   "landscape check ma_fattahi2022 problem.json --point approx.json "
                                   "--refine"))
    ck.add_argument("theorem", metavar="THEOREM", help="a theorem id (see `landscape theorems`)")
    ck.add_argument("problem", metavar="PROBLEM")
    ck.add_argument("--point", metavar="POINT", help="a point of interest (e.g. the ground truth)")
    ck.add_argument("--seed", type=int, default=0, help="seed of the producer's searches")
    ck.add_argument("--budget", metavar="N", help="descent starts per 10 parameters of the "
                    "instance (default: 6 starts whatever its size); the JSON's 'search' says how much ran")
    ck.add_argument("--refine", action="store_true", help="treat the --point's numbers as "
                    "approximations: refine to a nearby critical point (as classify --refine); "
                    "an exact (snapped) one becomes the point of interest, an enclosed one is "
                    "reported with its certificate")
    ck.add_argument("--digits", type=int, default=None, metavar="D",
                    help="digits of the refinement (with --refine; default 100)")
    ck.add_argument("--timeout", type=seconds, metavar="SECONDS", help="give up after SECONDS: "
                    "the conclusion is inconclusive with \"timeout\" in the reason (exit 0)")
    ck.add_argument("--json", action="store_true")
    add_full_option(ck)
    ck.set_defaults(func=run_check)

    ex = sub.add_parser("explain", help="a theorem's statement, source, checks and caveats; or a "
                        "certificate in plain language (what it claims, why, how it was checked)",
                        **examples("landscape explain kawaguchi2016",
                                   "landscape explain cert.json",
                                   "landscape explain cert.json --json"))
    ex.add_argument("theorem", metavar="ID_OR_CERTIFICATE",
                    help="a theorem id (see `landscape theorems`) or a certificate file")
    ex.add_argument("--json", action="store_true", help="machine-readable output (for a "
                    "certificate: claim, holds, summary, argument, checked)")
    add_full_option(ex)
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
    refined = None
    timeout = args.timeout
    if args.refine or args.digits is not None:
        import time

        t0 = time.monotonic()
        point, refined = _refine_point(args, problem, point)
        if timeout is not None:      # one budget for the refinement and the check together
            timeout = max(timeout - (time.monotonic() - t0), 0.001)
    result = api.check(theorem, problem, point, seed=args.seed, budget=_budget(args),
                       timeout=timeout)
    if args.json:
        out = result.to_json()
        if refined is not None:
            out["refined_point"] = refined.to_json()
        emit_json(out)
    else:
        from landscape_proofs.theorems.report import check_text

        say(check_text(result), args)
        if refined is not None:
            say("refined --point:\n" + "\n".join(f"  {line}" for line in _refined_lines(refined)),
                args)
    return EXIT_FAIL if result.counterexample else EXIT_OK


def _budget(args):
    text = getattr(args, "budget", None)
    if text is None:
        return None
    try:
        return int(str(text).strip())
    except ValueError:
        raise InputError("expected an integer in [1, 1000]", field="--budget", got=text) from None


def _refine_point(args, problem, point):
    """``check --refine``: the point of interest refined to a nearby critical point.

    Returns (the point the check uses, the refined classification).  A snapped (exact
    rational) critical point replaces the given one; an irrational one, certified by an
    enclosure, cannot be handed to the theorem's exact test, so the check runs without a
    point of interest and the enclosure's classification is reported beside it.
    """
    if not args.refine:
        raise InputError("--digits needs --refine (exact checks have no precision)")
    if point is None:
        raise InputError("--refine needs --point (the approximate point to refine)")
    if not getattr(problem, "layered", True):
        raise InputError("--refine applies to deep-linear, multi-tower and "
                         "symmetric-factorization problems", source=args.problem)
    refined = api.classify(problem, point, seed=args.seed, refine=True, digits=args.digits,
                           timeout=args.timeout)
    cert = refined.certificate_json
    if getattr(refined.raw, "snapped", False) and cert is not None:
        return api.as_point(cert["point"], problem), refined
    return None, refined


def _refined_lines(refined) -> list[str]:
    if hasattr(refined.raw, "lines"):
        return list(refined.raw.lines())
    return [f"kind:   {refined.kind.value}", f"reason: {refined.reason}"]


def _is_certificate_argument(arg: str) -> bool:
    """A path to a JSON file or an existing file is a certificate; anything else a theorem id."""
    import os

    return arg.lower().endswith(".json") or os.path.isfile(arg)


def run_explain(args) -> int:
    if _is_certificate_argument(args.theorem):
        return _explain_certificate(args)
    theorem = api.theorem(args.theorem)
    if args.json:
        emit_json(api.explain(theorem, as_json=True))
    else:
        print(api.explain(theorem))
    return EXIT_OK



def _explain_certificate(args) -> int:
    """``landscape explain CERT.json``: exit 0 when the kernel says it holds, 1 when not."""
    path = args.theorem
    data = api.read_certificate(path)
    try:
        explanation = api.explain_certificate(data, as_json=True)
    except InputError as exc:
        raise (exc if exc.source else exc.with_source(path)) from None
    if args.json:
        emit_json(explanation)
    else:
        from landscape_proofs.produce.explain import render_explanation

        say(render_explanation(explanation), args)
    return EXIT_OK if explanation["holds"] else EXIT_FAIL
