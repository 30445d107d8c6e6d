"""Yun, Sra & Jadbabaie 2018, "Global optimality conditions for deep neural networks" (ICLR 2018).

Checkable necessary and sufficient conditions for a critical point of the deep linear square
loss to be a global minimum.  The instance test compares the rank condition's prediction with
the exact classification of every critical point found.
"""
from __future__ import annotations

from ..exact.linalg import matrix
from ..exact.optimum import compare_with_square_optimum
from ..kinds import Kind
from ..problems.exact_view import exact_objective
from . import facts
from .base import AssumptionCheck, PointVerdict, Theorem
from .common import classified_points
from .critical import CheckBudget, ClassifiedPoint
from .judging import judge, not_applicable

ID = "yun_sra_jadbabaie2018"


def distinct_if_bottleneck(problem) -> AssumptionCheck:
    if facts.no_bottleneck(problem).holds:
        return AssumptionCheck("Sigma has distinct eigenvalues (needed with a bottleneck)", True,
                               "not needed: no bottleneck")
    inner = facts.sigma_distinct_eigenvalues(problem)
    return AssumptionCheck("Sigma has distinct eigenvalues (needed with a bottleneck)", inner.holds,
                           inner.detail)


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.square_loss(problem), facts.no_weight_decay(problem),
                  facts.rank_X_full_row(problem), facts.rank_YXt_full(problem),
                  distinct_if_bottleneck(problem)]


def predicts_global(problem, cp: ClassifiedPoint) -> tuple[bool, str]:
    """The condition of Theorems 2.1-2.2 (our reading) at a critical point."""
    r, r_max = cp.product_rank, problem.max_rank
    d = min(problem.widths[0], problem.widths[-1])
    if r_max == d:
        return r == d, f"no bottleneck: rank(W_H...W_1) = {r} {'=' if r == d else '<'} min(d_0, d_H) = {d}"
    if r < r_max:
        return False, f"bottleneck: rank(W_H...W_1) = {r} < r = {r_max}"
    value = exact_objective(problem).value(list(cp.candidate.weights))  # recomputed exactly
    s = compare_with_square_optimum(matrix(problem.X), matrix(problem.Y), r_max, value)
    return s == 0, (f"bottleneck: rank = r = {r_max} and the product "
                    f"{'is' if s == 0 else 'is not'} the top-r reduced-rank regression solution")


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear" or problem.Y is None:
        return not_applicable("needs a deep-linear problem with targets Y")
    pts = classified_points(problem, budget, point, padded=True)

    def rule(cp: ClassifiedPoint):
        k = cp.kind
        if k is Kind.NOT_CRITICAL:
            return PointVerdict.IRRELEVANT, "not exactly critical"
        if k in (Kind.INCONCLUSIVE, Kind.LOCAL_MINIMUM):
            return PointVerdict.UNDECIDED, cp.result.reason
        glob, why = predicts_global(problem, cp)
        if glob and k is not Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONTRADICTS, f"predicted global ({why}) but certified {k.value}"
        if not glob and k is Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONTRADICTS, f"predicted not global ({why}) but certified global"
        if not glob and k in (Kind.SPURIOUS_LOCAL_MINIMUM, Kind.LOCAL_MAXIMUM):
            return PointVerdict.CONTRADICTS, f"predicted a saddle ({why}) but certified {k.value}"
        return PointVerdict.CONSISTENT, why

    return judge(pts, rule, what="a critical point is a global minimum iff the rank condition "
                 "holds, and a saddle otherwise")


THEOREM = Theorem(
    id=ID,
    title="Global optimality conditions for deep neural networks",
    citation="C. Yun, S. Sra and A. Jadbabaie. Global optimality conditions for deep neural "
             "networks. ICLR 2018 (Theorems 2.1 and 2.2).",
    source="arXiv:1707.02444",
    statement=(
        "For the square loss with X X^T and Y X^T of full rank, at any critical point: without a "
        "bottleneck (r = min(d_0, d_H)), the point is a global minimum iff rank(W_H...W_1) = r, and "
        "a saddle otherwise; with a bottleneck (r < min(d_0, d_H)) and Sigma with distinct "
        "eigenvalues, it is a global minimum iff rank(W_H...W_1) = r and W_H...W_1 is the "
        "reduced-rank regression solution built from the top r eigenvectors of Sigma, and a "
        "saddle otherwise."),
    reconstructed=True,
    caveat=(
        "Reconstructed from the paper's abstract and THEOREMS.md; the exact side conditions of "
        "Theorem 2.2 (e.g. d_H <= d_0) were not quoted.  The no-bottleneck direction 'rank = r "
        "=> global' is proven here too (the criticality equations at W_1 or W_H force the "
        "function-space gradient to vanish; the loss is convex in the product), and the "
        "'top-r' test is the exact comparison with the closed-form optimum.  The direct test "
        "(theorems/direct.py) also decides strict vs non-strict saddles."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("loss = square", "the loss specification"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("rank(X) = d_0", "exact rank over Q"),
                     ("rank(X Y^T) = min(d_0, d_H)", "exact rank over Q"),
                     ("Sigma has distinct eigenvalues (with a bottleneck)",
                      "discriminant of its characteristic polynomial is nonzero")),
    conclusion_doc=("Critical points (closed form with minimal and with full-rank middle layers, the "
                    "origin, rounded descent limits) are classified exactly and compared with the "
                    "rank condition's prediction; a certified kind that disagrees contradicts it."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion)
