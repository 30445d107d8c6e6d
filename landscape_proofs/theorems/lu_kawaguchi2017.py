"""Lu & Kawaguchi 2017, "Depth creates no bad local minima" (arXiv:1702.08580).

A *relation* theorem: local minima of the deep problem map to local minima of the shallow
rank-constrained problem ``min 1/2 ||R X - Y||^2 s.t. rank(R) <= p``.  The conclusion test
checks the mapped point ``R = W_H ... W_1`` of every deep local minimum found on the shallow
problem exactly: ``R`` is a global (hence local) minimum of the shallow problem iff its value
equals the closed-form optimum over rank ``<= p`` (reduced-rank regression + Eckart-Young,
decided by :func:`landscape_proofs.kernel.optimum.compare_with_square_optimum`).
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint
from landscape_proofs.theorems.judging import judge, not_applicable, rule_local_minima_global

ID = "lu_kawaguchi2017"


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [
        facts.square_loss(problem),
        facts.no_weight_decay(problem),
        facts.rank_X_full_row(problem),
        facts.rank_Y_full_row(problem),
    ]


def shallow_rank_bound(problem) -> int:
    """p: the rank bound of the shallow problem (the product's largest rank)."""
    return problem.max_rank


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear" or problem.Y is None:
        return not_applicable("needs a deep-linear problem with targets Y")
    pts = classified_points(problem, budget, point)
    p = shallow_rank_bound(problem)
    X, Y = matrix(problem.X), matrix(problem.Y)
    square = facts.square_loss(problem).holds and problem.weight_decay == 0

    def rule(cp: ClassifiedPoint):
        verdict, note = rule_local_minima_global(cp)
        if cp.kind not in (Kind.GLOBAL_MINIMUM, Kind.LOCAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM):
            return verdict, note
        if not square:
            return verdict, note
        value = exact_objective(problem).value(list(cp.candidate.weights))  # recomputed exactly
        s = compare_with_square_optimum(X, Y, p, value)
        mapped = (f"mapped R = W_H...W_1 (rank {cp.product_rank}) on the shallow problem "
                  f"(rank <= {p}): ")
        if s == 0:
            return (PointVerdict.CONSISTENT if verdict is not PointVerdict.CONTRADICTS else verdict,
                    mapped + "its value equals the shallow optimum, so R is a global (hence "
                    "local) minimum there" + (f"; {note}" if note else ""))
        if s is None:
            return PointVerdict.UNDECIDED, mapped + "comparison with the shallow optimum undecided"
        return verdict, mapped + ("its value exceeds the shallow optimum; by the theorem's second "
                                  "part R cannot be a local minimum of the shallow problem"
                                  + (f"; {note}" if note else ""))

    return judge(pts, rule, what="every local minimum W of the deep problem maps to a local "
                 "minimum R = W_H...W_1 of the shallow problem, and every local minimum is global",
                 notes=("the shallow problem's own local minima are not enumerated here; its "
                        "optimum is decided exactly in closed form",))


PAGE = PageProse(
    short_citation='Lu & Kawaguchi, arXiv:1702.08580',
    after_catalog="""\
## Beyond the square loss

The abstract says the analysis "provides a method to show similar results beyond square loss in
deep linear models"; the theorems this entry checks (Theorems 2.1-2.3 as summarised in the
statement) are about the square loss, and the full text, where the method is applied to other
losses, was not available to us, so the entry does not claim them for other losses.  What can
be checked is that the square loss (or some property of it) cannot simply be dropped from the
*relation*: the catalog entry above (from the Nouiehed-Razaviyayn multilayer entry) is a deep
linear network without bottleneck, widths 2-2-2, with the non-convex loss
`l(P) = P11^2 + P12^2 + P22^2 + (P21^2 - 1)^2`, and a certified spurious local minimum
`W_1 = e2 e2^T`, `W_2 = e1 e1^T` (value 1; Gram-identity certificate).  Its product
`R = W_2 W_1 = 0` is *not* a local minimum of the shallow problem (here rank <= 2, all 2 x 2
matrices): along `R(t) = t e2 e1^T`, `l = (t^2 - 1)^2 = 1 - 2 t^2 + t^4 < 1`.  So "every deep
local minimum maps to a shallow local minimum" fails for this loss, and with it "every deep local
minimum is global" (tests/test_registry_fidelity.py checks both exactly).  For convex
differentiable losses the deep conclusion is the Laurent-von Brecht entry's; for losses whose
two-layer problem is benign, Zhang 2019's.
""",
)

THEOREM = Theorem(
    landscape_statement="local-minima-global",
    id=ID,
    page=PAGE,
    title="Depth creates no bad local minima",
    citation="H. Lu and K. Kawaguchi. Depth creates no bad local minima. arXiv:1702.08580, 2017 "
             "(Theorems 2.1-2.3).",
    source="arXiv:1702.08580",
    statement=(
        "Deep problem: min 1/2 ||W_H...W_1 X - Y||^2; shallow problem: min 1/2 ||R X - Y||^2 "
        "over rank(R) <= p, p the smallest width.  If X and Y have full row rank: every local "
        "minimum W of the deep problem maps to a local minimum R = W_H...W_1 of the shallow "
        "problem; every local minimum of the shallow problem is global; hence every local "
        "minimum of the deep problem is global."),
    reconstructed=False,
    caveat=(
        "We take p = min(d_0, ..., d_H), the largest rank the product reaches; the paper's "
        "shallow problem uses the smallest hidden width, which gives the same feasible set "
        "of products.  The shallow problem's local minima are not enumerated: the mapped point "
        "is checked against the exact shallow optimum, which settles the relation whenever "
        "the deep point is a global minimum.  Nouiehed & Razaviyayn's ICLR 2018 submission "
        "says this paper's 'Lemma 3.3 ... is not true in general' (citing Stewart 1998); the "
        "tool does not use that lemma or any step of the paper's proof: it tests the "
        "conclusion on instances, with certificates the checker re-verifies.  The conclusion "
        "itself also follows from later results: every local minimum of the deep square loss "
        "is global (e.g. Zhang 2019 with the two-layer result of Nouiehed & Razaviyayn 2018); "
        "the deep products are exactly the matrices of rank <= p, so a deep local minimum maps "
        "to a shallow global minimum, and a shallow local minimum R lifts (the product is "
        "continuous) to a deep local minimum at any factorization of R, hence is global."),
    assumptions_doc=(
        ("family = deep-linear", "the problem file's family"),
        ("loss = square", "the loss specification"),
        ("weight_decay = 0", "exact comparison with 0"),
        ("rank(X) = d_0", "exact rank over Q"),
        ("rank(Y) = d_H", "exact rank over Q"),
    ),
    conclusion_doc=(
        "Deep critical points are proposed (closed form, origin, rounded descent limits) and "
        "classified exactly.  For every deep local minimum, the mapped R = W_H...W_1 is compared "
        "exactly with the shallow optimum over rank <= p (characteristic polynomial of "
        "(YP)(YP)^T, exact root isolation).  A certified spurious local minimum of the deep "
        "problem contradicts the conclusion."),
    check_assumptions=check_assumptions,
    test_conclusion=test_conclusion,
    catalog=("nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json",),
)
