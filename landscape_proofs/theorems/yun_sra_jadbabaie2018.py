"""Yun, Sra & Jadbabaie 2018, "Global optimality conditions for deep neural networks" (ICLR 2018).

Checkable necessary and sufficient conditions for a critical point of the deep linear square
loss to be a global minimum.  The instance test compares the prediction of the paper's
condition (the rank of the product, and with a bottleneck its column space against the top
eigenvectors of Sigma, both decided exactly) with the exact classification of every critical
point found.  The assumptions are those of the ICLR 2018 submission text (section 2).
"""
from __future__ import annotations

from landscape_proofs.kernel.algebraic import spans_top_eigenspace
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint, product
from landscape_proofs.theorems.judging import judge, not_applicable

ID = "yun_sra_jadbabaie2018"


def distinct_singular_values(problem) -> AssumptionCheck:
    """The singular values of M = Y X^T (X X^T)^{-1} X are pairwise distinct.

    M M^T = Y X^T (X X^T)^{-1} (X X^T) (X X^T)^{-1} X Y^T = Sigma, so the singular values of M
    are the square roots of the eigenvalues of the Gram matrix of M on its shorter side
    (Sigma when d_H <= n, else M^T M), all >= 0; square roots are injective on [0, inf), so
    they are distinct iff that Gram matrix has distinct eigenvalues: a nonzero discriminant.
    """
    name = "the singular values of Y X^T (X X^T)^{-1} X are distinct"
    if problem.Y is None:
        return AssumptionCheck(name, False, "the problem has no targets Y")
    S = facts.sigma_matrix(problem)
    if S is None:
        return AssumptionCheck(name, False, "X X^T is singular: the matrix is undefined")
    if problem.widths[-1] <= problem.n_samples:
        holds, detail = facts.distinct_eigenvalues(S, "Sigma")
        return AssumptionCheck(name, holds, "they are the square roots of the eigenvalues of "
                               f"Sigma = Y X^T (X X^T)^{{-1}} X Y^T: {detail}")
    X, Y = matrix(problem.X), matrix(problem.Y)
    M = Y * X.transpose() * (X * X.transpose()).inv() * X
    holds, detail = facts.distinct_eigenvalues(M.transpose() * M, "M^T M")
    return AssumptionCheck(name, holds, f"d_H > n: they are the square roots of the eigenvalues "
                           f"of M^T M: {detail}")


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.square_loss(problem), facts.no_weight_decay(problem),
                  facts.width_at_most_samples(problem, 0),
                  facts.width_at_most_samples(problem, -1),
                  facts.rank_X_full_row(problem), facts.rank_YXt_full(problem),
                  distinct_singular_values(problem)]


def predicts_global(problem, cp: ClassifiedPoint) -> tuple[bool | None, str]:
    """The condition of Theorems 2.1-2.2 (Proposition 3.7) at a critical point.

    k = min_i d_i.  Without a bottleneck (k = min(d_0, d_H), Theorem 2.1): global iff
    rank(W_H...W_1) = k.  With one (Theorem 2.2): global iff rank = k and
    col(W_H...W_{p+1}) = col(U_hat), U_hat the top-k left singular vectors of
    M = Y X^T (X X^T)^{-1} X, i.e. the top-k eigenvectors of Sigma = M M^T.  At rank k,
    W_H...W_1 = (W_H...W_{p+1}) (W_p...W_1) with a d_H x k left factor of rank k, so its column
    space is col(W_H...W_1), which :func:`spans_top_eigenspace` compares exactly.  When that
    span is not unique (a repeated eigenvalue at the boundary) or Sigma is undefined, the value
    is compared with the closed-form optimum instead.
    """
    r, k = cp.product_rank, problem.max_rank
    d = min(problem.widths[0], problem.widths[-1])
    if k == d:
        return r == d, f"no bottleneck: rank(W_H...W_1) = {r} {'=' if r == d else '<'} min(d_0, d_H) = {d}"
    if r < k:
        return False, f"bottleneck: rank(W_H...W_1) = {r} < k = {k}"
    R = product(cp.candidate.weights)
    S = facts.sigma_matrix(problem)
    top = spans_top_eigenspace(S, R) if S is not None else None
    if top is not None:
        return top, (f"bottleneck: rank = k = {k} and col(W_H...W_{{p+1}}) "
                     f"{'=' if top else '!='} col(U_hat), the top-{k} eigenvectors of Sigma")
    value = exact_objective(problem).value(list(cp.candidate.weights))  # recomputed exactly
    s = compare_with_square_optimum(matrix(problem.X), matrix(problem.Y), k, value)
    if s is None:
        return None, f"bottleneck: rank = k = {k}, U_hat undefined or not unique, comparison with the optimum undecided"
    return s == 0, (f"bottleneck: rank = k = {k}, U_hat undefined or not unique, and the product "
                    f"{'is' if s == 0 else 'is not'} the top-{k} reduced-rank regression solution")


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
        if glob is None:
            return PointVerdict.UNDECIDED, why
        if glob and k is not Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONTRADICTS, f"predicted global ({why}) but certified {k.value}"
        if not glob and k is Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONTRADICTS, f"predicted not global ({why}) but certified global"
        if not glob and k in (Kind.SPURIOUS_LOCAL_MINIMUM, Kind.LOCAL_MAXIMUM):
            return PointVerdict.CONTRADICTS, f"predicted a saddle ({why}) but certified {k.value}"
        return PointVerdict.CONSISTENT, why

    return judge(pts, rule, what="a critical point is a global minimum iff the condition of "
                 "Theorems 2.1-2.2 holds (rank k; with a bottleneck also col = col(U_hat)), "
                 "and a saddle otherwise")


PAGE = PageProse(
    reading='quoted from the ICLR 2018 submission text (camera-ready not checked); conventions translated',
    short_citation='Yun, Sra & Jadbabaie, ICLR 2018 (submission text)',
    after_try="""\
## Why "no bottleneck and rank(W_H...W_1) = r => global" (proved here)

Let `d = min(d_0, d_H) = r_max`.  If `d = d_H` and `rank R = d_H`, then `A_1 = W_H ... W_2` has
rank `d_H` (full row rank), so `A_1^T` is injective and the criticality equation
`A_1^T G = 0` gives `G = (R X - Y) X^T = 0`.  If `d = d_0` and `rank R = d_0`, then
`B_H = W_{H-1} ... W_1` has full column rank `d_0` and `G B_H^T = 0` gives `G = 0`.  The square
loss is convex in `R` and the product reaches every matrix, so `G = 0` means `R` minimizes it:
a global minimum.  With a bottleneck the same argument fails, and the top-`r` condition is
decided by the exact comparison with the closed-form optimum.

## The condition of Theorem 2.2, decided exactly

`M = Y X^T (X X^T)^{-1} X` has `M M^T = Y X^T (X X^T)^{-1} (X X^T) (X X^T)^{-1} X Y^T = Sigma`, so
its left singular vectors are eigenvectors of `Sigma` and its singular values are the square
roots of the eigenvalues of `Sigma` (`d_H <= n`; else of `M^T M`).  Square roots are injective
on `[0, inf)`: the singular values are distinct iff the discriminant of `charpoly(Sigma)` is
nonzero, and `col(U_hat)` is the span of the top-`k` eigenvectors of `Sigma`.  At a critical
point of rank `k`, `W_H...W_1 = A B` with `A = W_H...W_{p+1}` (`d_H x k`), so `rank A = k` and
`col(A) = col(W_H...W_1)`.  `exact.algebraic.spans_top_eigenspace` decides
`col(W_H...W_1) = col(U_hat)` in rational arithmetic: the space must be `Sigma`-invariant, and
the `k` eigenvalues of `Sigma` on it (a `k x k` rational matrix) must all exceed a rational `t`
that separates the `k`-th and `(k+1)`-th eigenvalues (Sturm counts), even when the eigenvectors
are irrational.

By hand (`tests/test_registry_readings.py`): widths `[2, 1, 2]`, `X = I`, `Y = [[2, 1], [1, 2]]`.
`Sigma = Y Y^T = [[5, 4], [4, 5]]`, eigenvalues 9 (`(1, 1)`) and 1 (`(1, -1)`), discriminant
`10^2 - 4 * 9 = 64`.  The critical products are `P Y` with `P` a projector onto an invariant
subspace: `0` (value `||Y||^2 / 2 = 5`), `[[3/2, 3/2], [3/2, 3/2]]` (keep 9; value `1/2`, the
global minimum, column space `span(1, 1) = col(U_hat)`) and `[[1/2, -1/2], [-1/2, 1/2]]` (keep
1; value `9/2`, column space `span(1, -1)`: a saddle).

The assumptions as the paper states them, on instances the former reading got wrong:
`widths [1, 1, 3]`, `X = [[1, 2]]` (`n = 2`), `Y = [[1, 0], [0, 1], [1, 1]]` fails `d_H <= n`
(`3 > 2`); `widths [1, 1, 2]`, `X = [[1, 1]]`, `Y = [[1, 3], [2, 0]]` applies although
`d_H = 2 > d_0 = 1` (`Sigma = [[8, 4], [4, 2]]`, eigenvalues 10 and 0); `widths [2, 2, 2]`,
`X = Y = I` has no bottleneck but `Sigma = I`: the distinct-singular-value assumption fails.
""",
)

THEOREM = Theorem(
    paper_reference=(
        "Theorems 2.1 and 2.2 and Proposition 3.7 of the ICLR 2018 submission (global optimality "
        "conditions for critical points of deep linear networks with the square loss).  Nouiehed "
        "& Razaviyayn's ICLR 2018 submission quotes Theorem 2.2: with X X^T, Y X^T and Y X^T (X "
        "X^T)^{-1} X Y^T of full rank, every local optimum is global."),
    id=ID,
    page=PAGE,
    title="Global optimality conditions for deep neural networks",
    citation="C. Yun, S. Sra and A. Jadbabaie. Global optimality conditions for deep neural "
             "networks. ICLR 2018 (Theorems 2.1 and 2.2, Proposition 3.7; read in the ICLR 2018 "
             "submission text).",
    source="arXiv:1707.02444",
    statement=(
        "Square loss with d_0 <= n and d_H <= n (n samples), X X^T and Y X^T of full rank, and "
        "the singular values of Y X^T (X X^T)^{-1} X distinct; k = min_i d_i, p a layer with "
        "d_p = k.  Theorem 2.1 (k = min(d_0, d_H)): every critical point with "
        "rank(W_H...W_1) = k is a global minimum, every critical point of smaller rank is a "
        "saddle.  Theorem 2.2 (k < min(d_0, d_H)): with U_hat the first k columns of U in the "
        "SVD Y X^T (X X^T)^{-1} X = U S V^T, every critical point with rank(W_H...W_1) = k and "
        "col(W_H...W_{p+1}) = col(U_hat) is a global minimum, every other critical point is a "
        "saddle."),
    reconstructed=False,
    caveat=(
        "Quoted from the ICLR 2018 submission text (the camera-ready version was not checked): "
        "'We assume that d_x <= m and d_y <= m, and that XX^T and YX^T have full ranks', and that "
        "the singular values of YX^T(XX^T)^{-1}X are distinct, an assumption 'made for "
        "notational simplicity and can be relaxed' (we check it as stated, with or without a "
        "bottleneck).  Translated: the paper has H+1 weight matrices and m samples, "
        "d_x = d_0, d_y = d_H.  The singular values of M = Y X^T (X X^T)^{-1} X are the square "
        "roots of the eigenvalues of M M^T = Sigma = Y X^T (X X^T)^{-1} X Y^T (d_H <= n), so "
        "they are distinct iff the discriminant of charpoly(Sigma) is nonzero.  At a critical "
        "point of rank k, col(W_H...W_{p+1}) = col(W_H...W_1), and col(U_hat) is the top-k "
        "eigenspace of Sigma: the condition of Theorem 2.2 (Proposition 3.7) is decided exactly "
        "(invariance, and Sturm counts against a rational that separates the k-th and "
        "(k+1)-th eigenvalues), independently of the classification it is compared with.  "
        "The no-bottleneck direction 'rank = k => global' is proven here too (docs/theorems/yun_sra_jadbabaie2018.md).  The "
        "direct test (theorems/direct.py) also decides strict vs non-strict saddles."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("loss = square", "the loss specification"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("d_0 <= n", "the widths and the number of columns of X"),
                     ("d_H <= n", "the widths and the number of columns of X"),
                     ("rank(X) = d_0", "exact rank over Q (X X^T full rank)"),
                     ("rank(X Y^T) = min(d_0, d_H)", "exact rank over Q (Y X^T full rank)"),
                     ("the singular values of Y X^T (X X^T)^{-1} X are distinct",
                      "the discriminant of the characteristic polynomial of Sigma = "
                      "Y X^T (X X^T)^{-1} X Y^T (of M^T M when d_H > n) is nonzero")),
    conclusion_doc=("Critical points (closed form with minimal and with full-rank middle layers, the "
                    "origin, rounded descent limits) are classified exactly and compared with the "
                    "paper's condition: rank(W_H...W_1) = k, and with a bottleneck col(W_H...W_1) = "
                    "the top-k eigenspace of Sigma, decided exactly; a certified kind that "
                    "disagrees (global where not predicted, not global where predicted, or a local "
                    "minimum/maximum where a saddle is predicted) contradicts it."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion)
