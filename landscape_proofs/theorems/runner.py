"""Run a theorem on an instance: assumptions first, then the conclusion (``landscape check``)."""
from __future__ import annotations

import dataclasses
import inspect
import math

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.theorems.base import ConclusionStatus, Theorem, TheoremCheck
from landscape_proofs.produce.candidates import CheckBudget
from landscape_proofs.theorems.judging import not_applicable


def check_theorem(theorem: Theorem, problem, budget: CheckBudget = CheckBudget(), point=None,
                  *, test_anyway: bool = True) -> TheoremCheck:
    """Check ``theorem``'s assumptions on ``problem`` and test its conclusion there.

    When an assumption fails or is not proven (undecided, e.g. only declared by the problem
    file) the conclusion's status is ``not-applicable``: the conclusion is not claimed as the
    theorem's.  With ``test_anyway`` it is still tested and what was found is reported (a
    certificate there shows the failed assumption is needed on this instance).
    ``point`` is an optional point of interest (e.g. the ground truth for Ma & Fattahi),
    classified along with the points the theorem's test finds.
    """
    if "point" in inspect.signature(theorem.check_assumptions).parameters:
        checks = tuple(theorem.check_assumptions(problem, point=point))
    else:
        checks = tuple(theorem.check_assumptions(problem))
    # the first failed assumption, else the first undecided one (a declared fact is always
    # undecided): the theorem applies only when every assumption is proven
    failed = (next((a for a in checks if a.holds is False), None)
              or next((a for a in checks if a.holds is None), None))
    if failed is not None:
        tested = theorem.test_conclusion(problem, budget, point) if test_anyway else None
        if tested is not None and tested.status is ConclusionStatus.NOT_APPLICABLE:
            tested = None
        if tested is not None:
            tested = _with_census(theorem, problem, tested)
        conclusion = not_applicable(failed.failure_message(), tested)
    else:
        conclusion = _with_census(theorem, problem, theorem.test_conclusion(problem, budget, point))
    return TheoremCheck(theorem.id, checks, conclusion)


def _with_census(theorem: Theorem, problem, sampled):
    """The sampled conclusion, replaced by a census's decision when one finishes
    (theorems/census_route.py): ``proved-on-instance`` or ``fails-on-instance``."""
    if theorem.landscape_statement is None or sampled.status is ConclusionStatus.EVIDENCE:
        return sampled
    from landscape_proofs.theorems.census_route import census_conclusion

    unused: list = []
    decided = census_conclusion(theorem.landscape_statement, problem, source=theorem.source,
                                notes=unused)
    if decided is None:
        return dataclasses.replace(sampled, notes=sampled.notes + tuple(unused)) if unused else sampled
    notes = sampled.notes + (f"the sampled test had answered {sampled.status.value}",)
    if decided.status is ConclusionStatus.PROVED_ON_INSTANCE:
        # the census proves the statement; the points the sampled test classified (with their
        # per-point readings, e.g. Kawaguchi's (iv)) stay in the report, after the census's
        return dataclasses.replace(decided, notes=notes, points=decided.points + sampled.points,
                                   certificates=decided.certificates + sampled.certificates)
    return dataclasses.replace(decided, notes=notes)


MAX_BUDGET = 1000          # --budget N: at most this many starts per 10 parameters
MAX_STARTS = 5000          # size guard on the float descent starts per scale
PARAMETERS_PER_UNIT = 10


def n_parameters(problem) -> int:
    """The number of real parameters of the instance (sum over its weight shapes)."""
    return sum(r * c for r, c in problem.shapes)


def scaled_budget(problem, budget: int | None, seed: int = 0) -> CheckBudget:
    """The conclusion test's budget for ``landscape check --budget N``.

    ``None``: the historical defaults (6 starts per scale, 300 steps), whatever the instance.
    ``N``: ``N`` descent starts per scale for every 10 parameters (at least ``N``, at most
    5,000), ``300 + 10 P`` steps per run for ``P`` parameters, and ``max(10, N)`` candidates
    classified exactly; so a larger instance gets a proportionally larger search.
    """
    if budget is None:
        return CheckBudget(seed=seed)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise InputError(f"expected an integer in [1, {MAX_BUDGET}]", field="--budget", got=budget)
    P = n_parameters(problem)
    units = max(1, math.ceil(P / PARAMETERS_PER_UNIT))
    return dataclasses.replace(CheckBudget(seed=seed), starts=min(MAX_STARTS, budget * units),
                               descent_steps=300 + 10 * P, max_points=max(10, budget))


def search_report(problem, requested: int | None, budget: CheckBudget, result: TheoremCheck) -> dict:
    """How much the conclusion test's search was allowed and used (the JSON's ``search``)."""
    return {"budget": requested, "parameters": n_parameters(problem),
            "descent_starts_per_scale": budget.starts, "descent_scales": 2,
            "descent_runs_at_most": 2 * budget.starts + 1,
            "descent_steps_per_run": budget.descent_steps,
            "candidates_classified_at_most": budget.max_points,
            "points_reported": len(result.conclusion.points)}


def check_with_budget(theorem: Theorem, problem, point=None, *, budget: int | None = None,
                      seed: int = 0) -> TheoremCheck:
    """:func:`check_theorem` with :func:`scaled_budget`, and the ``search`` report attached."""
    cb = scaled_budget(problem, budget, seed)
    result = check_theorem(theorem, problem, cb, point)
    return dataclasses.replace(result, search=search_report(problem, budget, cb, result))
