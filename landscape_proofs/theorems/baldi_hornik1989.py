"""Baldi & Hornik 1989, "Neural networks and principal component analysis" (Neural Networks 2)."""
from __future__ import annotations

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint, sigma_pieces
from landscape_proofs.theorems.judging import judge, not_applicable

ID = "baldi_hornik1989"


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.depth_equals(problem, 2), facts.square_loss(problem),
                  facts.no_weight_decay(problem), facts.rank_X_full_row(problem),
                  facts.rank_YXt_full(problem), facts.sigma_distinct_eigenvalues(problem)]


def _rational_spectrum(problem) -> bool | None:
    pieces = sigma_pieces(problem)
    if pieces is None:
        return None
    return all(p.factor.degree() == 1 for p in pieces)


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear" or problem.depth != 2:
        return not_applicable("needs a two-layer deep-linear problem")
    pts = classified_points(problem, budget, point, descent=False)

    def rule(cp: ClassifiedPoint):
        k = cp.kind
        if k is Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONSISTENT, "keeps the top eigen-directions: the minimum"
        if k in (Kind.SPURIOUS_LOCAL_MINIMUM, Kind.LOCAL_MINIMUM, Kind.LOCAL_MAXIMUM):
            return (PointVerdict.CONTRADICTS if k is not Kind.LOCAL_MINIMUM else PointVerdict.UNDECIDED,
                    "only the top subset may be a minimum; every other critical point is a saddle")
        if k is Kind.NON_STRICT_SADDLE:
            return PointVerdict.CONTRADICTS, "two-layer networks have no non-strict saddle here"
        if k is Kind.STRICT_SADDLE:
            return PointVerdict.CONSISTENT, "a saddle, as for every non-top subset"
        if k is Kind.NOT_CRITICAL:
            return PointVerdict.IRRELEVANT, "not exactly critical"
        return PointVerdict.UNDECIDED, cp.result.reason

    rational = _rational_spectrum(problem)
    if rational:
        scope = ("exhaustive over critical products: every eigenvalue of Sigma is rational, so every "
                 "subset of eigen-directions was enumerated; one factorization per critical product "
                 "is classified, not every critical point with that product")
    else:
        scope = ("the unions of rational invariant subspaces of Sigma were enumerated; subsets that "
                 "split an irreducible factor have irrational products and were not classified")
    return judge(pts, rule, what="critical points are indexed by subsets of eigen-directions of Sigma; "
                 "only the top subset is a minimum, every other critical point a (strict) saddle",
                 scope=scope)


PAGE = PageProse(
    short_citation='Baldi & Hornik, Neural Networks 1989',
)

THEOREM = Theorem(
    id=ID,
    page=PAGE,
    title="Neural networks and principal component analysis: learning from examples without local minima",
    citation="P. Baldi and K. Hornik. Neural networks and principal component analysis: learning "
             "from examples without local minima. Neural Networks 2(1):53-58, 1989.",
    source="doi:10.1016/0893-6080(89)90014-2",
    statement=(
        "For a two-layer linear network W_2 W_1 with hidden width p, the square loss, X X^T "
        "invertible and Sigma = Y X^T (X X^T)^{-1} X Y^T with distinct eigenvalues: the critical "
        "products are W_2 W_1 = P_I Y X^T (X X^T)^{-1}, P_I the projector onto the span of the "
        "eigenvectors of Sigma indexed by a subset I with |I| <= p; the critical point is a "
        "global minimum when I is the set of the p largest eigenvalues and a saddle otherwise; "
        "there is no other local minimum."),
    reconstructed=False,
    caveat=("The paper assumes the auto-associative or hetero-associative setting with full-rank "
            "covariances; we check rank(X) = d_0, rank(X Y^T) = min(d_0, d_H) and distinct "
            "eigenvalues.  'Saddle' is read as strict saddle (no non-strict saddles at depth 2)."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("H = 2 weight matrices", "the widths list"),
                     ("loss = square", "the loss specification"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("rank(X) = d_0", "exact rank over Q"),
                     ("rank(X Y^T) = min(d_0, d_H)", "exact rank over Q"),
                     ("Sigma has distinct eigenvalues", "discriminant of its characteristic "
                      "polynomial is nonzero")),
    conclusion_doc=("Every union of rational invariant subspaces of Sigma of dimension <= p gives a "
                    "critical product; each is factored and classified exactly.  When every "
                    "eigenvalue is rational the enumeration covers every critical product."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion)
