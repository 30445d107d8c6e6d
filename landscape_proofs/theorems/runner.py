"""Run a theorem on an instance: assumptions first, then the conclusion (``landscape check``)."""
from __future__ import annotations

import inspect

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
        conclusion = not_applicable(failed.failure_message(), tested)
    else:
        conclusion = theorem.test_conclusion(problem, budget, point)
    return TheoremCheck(theorem.id, checks, conclusion)
