"""Lu & Kawaguchi 2017, "Depth creates no bad local minima" (arXiv:1702.08580).

A *relation* theorem: local minima of the deep problem map to local minima of the shallow
rank-constrained problem ``min l(R) s.t. rank(R) <= p`` (p the smallest width).

What the paper proves, as quoted by Nouiehed & Razaviyayn (ICLR 2018 submission of
arXiv:1803.02968, sections 1 and 6; the full text of 1702.08580 past its introduction was not in
any corpus we could search):

* Theorem 2.2: with the square loss and X, Y of full row rank, every local minimum of the deep
  problem (2) is a local minimum of the shallow problem (3); with X of full row rank every local
  minimum of (3) is global; hence every local minimum of the deep problem is global;
* Theorem 3.1: at a point whose product has the largest rank (rank W_H...W_1 = p, a
  *non-degenerate* point) the product map is locally open onto the matrices of rank <= p.  This
  step does not involve the loss: it is what the abstract's "a method to show similar results
  beyond square loss" rests on.

Beyond the square loss the entry checks the reading that method supports and that is provable:
l convex and differentiable and no bottleneck (p = min(d_0, d_H), so the rank constraint of the
shallow problem is vacuous and the shallow problem is the convex ``min l(R)``, every local
minimum of which is global).  The conclusion test maps every deep local minimum to
``R = W_H...W_1`` and decides exactly whether R is a global minimum of the shallow problem: for
the square loss by the closed-form optimum (reduced-rank regression + Eckart-Young,
:func:`landscape_proofs.kernel.optimum.compare_with_square_optimum`); for another convex
differentiable loss by ``dl/dR = 0`` at R (exact), which makes R a minimiser of l over all
matrices; and at non-degenerate points it reports the local openness of the product
(:func:`landscape_proofs.openness.products.decide_chain`), the loss-free half of the relation.
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint, enclose_descent_limits
from landscape_proofs.theorems.judging import judge, not_applicable, rule_local_minima_global

ID = "lu_kawaguchi2017"
LOSS_ASSUMPTION = "loss = square, or l convex and differentiable"
MINIMA = (Kind.GLOBAL_MINIMUM, Kind.LOCAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM)


def covered_loss(problem) -> AssumptionCheck:
    """The losses the entry covers: the square loss (Theorem 2.2), or a loss proven convex and
    proven differentiable (the general-loss reading; a declaration is never a proof)."""
    sq = facts.square_loss(problem)
    if sq.holds:
        return AssumptionCheck(LOSS_ASSUMPTION, True, f"{sq.detail} (Theorem 2.2's setting)")
    conv, diff = facts.loss_convex(problem), facts.loss_differentiable(problem)
    detail = f"{sq.detail}; {conv.name}: {conv.detail}; {diff.name}: {diff.detail}"
    if conv.holds is False or diff.holds is False:
        return AssumptionCheck(LOSS_ASSUMPTION, False, detail)
    if conv.holds and diff.holds:
        return AssumptionCheck(LOSS_ASSUMPTION, True, detail)
    return AssumptionCheck(LOSS_ASSUMPTION, None, detail, declared=conv.declared or diff.declared)


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    out += [facts.no_weight_decay(problem), covered_loss(problem)]
    if facts.square_loss(problem).holds:
        return out + [facts.rank_X_full_row(problem), facts.rank_Y_full_row(problem)]
    # another convex loss: the shallow problem min l(R) s.t. rank R <= p is convex exactly when
    # the rank bound is vacuous, p = min(d_0, d_H) (no bottleneck)
    return out + [facts.no_bottleneck(problem)]


def shallow_rank_bound(problem) -> int:
    """p: the rank bound of the shallow problem (the product's largest rank)."""
    return problem.max_rank


def _openness_note(cp: ClassifiedPoint, p: int) -> str:
    """At a non-degenerate point (rank R = p), the loss-free half of the relation (Theorem 3.1):
    the product is locally open onto rank <= p, so R is a local minimum of the shallow problem."""
    if cp.product_rank != p or cp.candidate.source == "enclosure":
        return ""
    from landscape_proofs.openness.products import decide_chain
    dec = decide_chain(list(cp.candidate.weights))
    if dec.verdict.value == "open":
        return (f"; rank R = {p} = p and the product map is locally open at W (Theorem 3.1; "
                f"decided exactly), so R is a local minimum of the shallow problem")
    return f"; the product map at W: {dec.verdict.value} ({dec.reason})"


def _square_rule(problem, cp, verdict, note, p):
    X, Y = matrix(problem.X), matrix(problem.Y)
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


def _convex_rule(problem, cp, verdict, note, p):
    """dl/dR = 0 at R with l proven convex and differentiable: R minimises l over all matrices,
    hence over rank <= p (R itself has rank <= p)."""
    mapped = f"mapped R = W_H...W_1 (rank {cp.product_rank}): "
    if cp.candidate.source == "enclosure":
        return verdict, note
    G = exact_objective(problem).function_gradient(list(cp.candidate.weights))
    if all(G[i, j] == 0 for i in range(G.nrows()) for j in range(G.ncols())):
        why = ("dl/dR = 0 there (exact) and l is proven convex, so R minimises l over all "
               "matrices: a global (hence local) minimum of the shallow problem")
        if verdict is PointVerdict.UNDECIDED and cp.kind is Kind.LOCAL_MINIMUM:
            verdict = PointVerdict.CONSISTENT   # a certified local minimum whose value is optimal
            why += ", and W is a global minimum of the deep problem"
        return verdict, mapped + why + (f"; {note}" if note else "")
    return verdict, (mapped + "dl/dR != 0 there" + _openness_note(cp, p)
                     + (f"; {note}" if note else ""))


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear":
        return not_applicable("needs a deep-linear problem")
    square = facts.square_loss(problem).holds and problem.weight_decay == 0
    if square and problem.Y is None:
        return not_applicable("the square loss needs targets Y")
    convex = (not square and problem.weight_decay == 0
              and covered_loss(problem).holds is True)
    pts = classified_points(problem, budget, point)
    if not square:
        pts = enclose_descent_limits(problem, pts, budget)
    p = shallow_rank_bound(problem)

    def rule(cp: ClassifiedPoint):
        verdict, note = rule_local_minima_global(cp)
        if cp.kind not in MINIMA:
            return verdict, note
        if square:
            return _square_rule(problem, cp, verdict, note, p)
        if convex:
            return _convex_rule(problem, cp, verdict, note, p)
        return verdict, note

    return judge(pts, rule, what="every local minimum W of the deep problem maps to a local "
                 "minimum R = W_H...W_1 of the shallow problem, and every local minimum is global",
                 notes=("the shallow problem's own local minima are not enumerated here; its "
                        "optimum is decided exactly (square loss: closed form; a convex "
                        "differentiable loss: dl/dR = 0)",))


PAGE = PageProse(
    short_citation='Lu & Kawaguchi, arXiv:1702.08580 (Theorems 2.2, 3.1)',
    after_assumptions="""\
## What the paper states, and where we read it

Nouiehed & Razaviyayn's ICLR 2018 submission (arXiv:1803.02968, section 1 and section 6)
quotes the two results this entry checks: *Theorem 2.2* of Lu & Kawaguchi, "when X and Y are
full row rank, every local optimum in problem (2) [the deep square loss] is a local optimum in
problem (3) [min 1/2 ||Z X - Y||^2 s.t. rank Z <= d_p, d_p the smallest width]", with every
local optimum of (3) global when X has full row rank; and *Theorem 3.1*, restated there as
Lemma 7: at a non-degenerate point (rank W_H...W_1 = d_p) the product map is locally open onto
the matrices of rank <= d_p.  The paper's own text past its introduction was not in any corpus
we could search; its abstract says the analysis "provides a method to show similar results
beyond square loss".

Theorem 3.1 does not involve the loss, so the relation "a deep local minimum maps to a shallow
local minimum" holds for *every* loss at non-degenerate points (Observation 1 of Nouiehed &
Razaviyayn: local openness transfers local minima).  "Every local minimum is global" then
needs the shallow problem to be benign, which the entry proves in one case besides the square
loss: **l convex and differentiable and no bottleneck**.  Then d_p = min(d_0, d_H), the rank
constraint of the shallow problem is vacuous, the shallow problem is the convex `min l(R)`, and
every local minimum of it is global.  So for a non-square loss the assumptions are

- `loss = square, or l convex and differentiable`: power losses `1/p sum |r|^p` (p even) are
  proven convex and differentiable; a polynomial custom loss is decided exactly by
  `losses/convexity.py` (degree <= 2 by its constant Hessian, one entry by exact root isolation
  of l'', otherwise disproven by an exact witness point); the l1 loss is convex but not
  differentiable (fails); a declared convexity is not proven (undecided);
- `min hidden width >= min(d_0, d_H)` (no bottleneck), replacing the square loss's full row rank
  of X and Y, which the general-loss reading does not need.
""",
    after_catalog="""\
## Beyond the square loss

**Where it holds.**  Widths 2-2-2, X = I, Y = diag(2, 1), `loss = {"name": "power", "p": 4}`:
every assumption holds; the deep global minima found have `dl/dR = 0` exactly, so their products
minimise l over all matrices (tests/test_lu_kawaguchi.py).

**The bottleneck dropped.**  The Laurent-von Brecht catalog entry above is a convex,
differentiable quadratic loss on widths 2-1-2,
`l(R) = (R11 - 1)^2 + 10 R12^2 + 10 R21^2 + 2 (R22 - 1)^2`, with a certified spurious local
minimum at `R = e1 e1^T` (value 2; `e2 e2^T` has value 1).  Here rank R = 1 = p and the product
is locally open at the point (Theorem 3.1), so R *is* a local minimum of the shallow problem over
rank <= 1: the relation holds, but the shallow problem itself has a spurious local minimum, and
so does the deep one.  `landscape check lu_kawaguchi2017` answers "does not apply: assumption
min hidden width >= min(d_0, d_H) fails" and attaches the certificate.

**Convexity dropped.**  The Nouiehed-Razaviyayn catalog entry is a deep linear network
without bottleneck, widths 2-2-2, with the non-convex loss
`l(P) = P11^2 + P12^2 + P22^2 + (P21^2 - 1)^2` and a certified spurious local minimum
`W_1 = e2 e2^T`, `W_2 = e1 e1^T` (value 1; Gram-identity certificate).  Its product
`R = W_2 W_1 = 0` is degenerate (rank 0 < p = 2) and *not* a local minimum of the shallow
problem: along `R(t) = t e2 e1^T`, `l = (t^2 - 1)^2 = 1 - 2 t^2 + t^4 < 1`.  So "every deep local
minimum maps to a shallow local minimum" fails for this loss at a degenerate point, and with it
"every deep local minimum is global" (tests/test_registry_fidelity.py checks both exactly).
""",
)

THEOREM = Theorem(
    paper_reference=(
        "Theorem 2.2 (square loss; X and Y of full row rank: every local minimum of the deep "
        "problem (2) is a local minimum of the shallow problem (3), whose local minima are "
        "global when X has full row rank) and Theorem 3.1 (at a non-degenerate point the "
        "product is locally open onto the matrices of rank <= p), with these numbers as quoted "
        "by Nouiehed & Razaviyayn's ICLR 2018 submission (sections 1 and 6) and its Lemma 7; "
        "the general-loss case is the abstract's \"method to show similar results beyond square "
        "loss\", stated here in the form proven on this page"),
    landscape_statement="local-minima-global",
    id=ID,
    page=PAGE,
    title="Depth creates no bad local minima",
    citation="H. Lu and K. Kawaguchi. Depth creates no bad local minima. arXiv:1702.08580, 2017 "
             "(Theorem 2.2, the relation for the square loss; Theorem 3.1, local openness at "
             "non-degenerate points; numbers as quoted by Nouiehed & Razaviyayn, arXiv:1803.02968).",
    source="arXiv:1702.08580",
    statement=(
        "Deep problem: min l(W_H...W_1); shallow problem: min l(R) over rank(R) <= p, p the "
        "smallest width.  Square loss (Theorem 2.2): if X and Y have full row rank, every local "
        "minimum W of the deep problem maps to a local minimum R = W_H...W_1 of the shallow "
        "problem; every local minimum of the shallow problem is global; hence every local "
        "minimum of the deep problem is global.  Beyond the square loss (the paper's method, "
        "Theorem 3.1: the product is locally open at non-degenerate points): if l is convex and "
        "differentiable and there is no bottleneck, the shallow problem is convex and every "
        "local minimum of the deep problem is global."),
    reconstructed=False,
    caveat=(
        "Theorem numbers as quoted by Nouiehed & Razaviyayn (ICLR 2018 submission of "
        "arXiv:1803.02968); the paper's full text past its introduction was not available to "
        "us.  The general-loss statement is our reading of the abstract's 'method to show "
        "similar results beyond square loss' restricted to what we can prove (convex "
        "differentiable l, no bottleneck); the paper may state other cases.  We take "
        "p = min(d_0, ..., d_H), the largest rank the product reaches.  The shallow problem's "
        "local minima are not enumerated: the mapped point is checked against the exact shallow "
        "optimum (square loss: closed form; convex differentiable l: dl/dR = 0), which settles "
        "the relation whenever the deep point is a global minimum.  Nouiehed & Razaviyayn's "
        "ICLR 2018 submission says this paper's 'Lemma 3.3 ... is not true in general' (citing "
        "Stewart 1998); the tool does not use that lemma or any step of the paper's proof: it "
        "tests the conclusion on instances, with certificates the checker re-verifies.  The "
        "square-loss conclusion also follows from later results (Zhang 2019 with the two-layer "
        "result of Nouiehed & Razaviyayn 2018), the convex one from Laurent & von Brecht 2018, "
        "Theorem 1."),
    assumptions_doc=(
        ("family = deep-linear", "the problem file's family"),
        ("weight_decay = 0", "exact comparison with 0"),
        (LOSS_ASSUMPTION, "the square loss, or a loss proven convex and differentiable (power "
         "losses; a polynomial custom loss decided by losses/convexity.py); l1 fails "
         "(not differentiable); a declaration is not a proof"),
        ("rank(X) = d_0 (square loss)", "exact rank over Q"),
        ("rank(Y) = d_H (square loss)", "exact rank over Q"),
        ("min hidden width >= min(d_0, d_H) (other losses)", "the widths list"),
    ),
    conclusion_doc=(
        "Deep critical points are proposed (closed form, origin, rounded descent limits, and for "
        "a non-square loss interval enclosures of descent limits) and classified exactly.  For "
        "every deep local minimum, the mapped R = W_H...W_1 is decided against the shallow "
        "problem: square loss, its value against the exact shallow optimum over rank <= p "
        "(characteristic polynomial of (YP)(YP)^T, exact root isolation); a convex "
        "differentiable loss, dl/dR = 0 exactly (then R minimises l over all matrices), else "
        "at a non-degenerate point the local openness of the product (Theorem 3.1, "
        "openness/products.py).  A certified spurious local minimum of the deep problem "
        "contradicts the conclusion."),
    check_assumptions=check_assumptions,
    test_conclusion=test_conclusion,
    catalog=("nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json",
             "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json"),
)
