"""Laurent & von Brecht 2018, "Deep linear networks with arbitrary loss: all local minima are global" (ICML)."""
from __future__ import annotations

from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import PageProse, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, enclose_descent_limits
from landscape_proofs.theorems.judging import judge, not_applicable, rule_local_minima_global

ID = "laurent_vonbrecht2018"


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [
        facts.loss_convex(problem),
        facts.loss_differentiable(problem),
        facts.no_weight_decay(problem),
        facts.no_bottleneck(problem),
    ]


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear":
        return not_applicable("needs a deep-linear problem")
    pts = enclose_descent_limits(problem, classified_points(problem, budget, point), budget)
    return judge(pts, rule_local_minima_global, what="every local minimum of l(W_H...W_1) is global")


PAGE = PageProse(
    short_citation='Laurent & von Brecht, ICML 2018',
    after_try="""\
## The bottleneck counterexample by hand

Widths 2-1-2, `l(R) = (R11 - 1)^2 + 10 R12^2 + 10 R21^2 + 2 (R22 - 1)^2` (convex, quadratic;
the tool proves convexity from its constant PSD Hessian).  At `W_1 = [1 0]`, `W_2 = [1; 0]`
(`R = e1 e1^T`, value 2) the function-space gradient `2 (R - I)` weighted is `diag(0, -4)`,
orthogonal to every first-order move of a rank-one product through `e1`; the Hessian is PSD
with kernel equal to the tangent of the `GL(1)` orbit (slice argument), so it is a local
minimum, while `e2 e2^T` has value 1.  `landscape check laurent_vonbrecht2018` answers "does
not apply (bottleneck)" and, testing anyway, attaches the spurious-minimum certificate.

Weight decay is not an assumption of the paper but changes the objective away from
`l(W_H...W_1)`: the scalar chain `1/2 (abc - 1)^2 + 1/20 (a^2 + b^2 + c^2)` has Hessian
`(1/10) I` at the origin (value 1/2) while `a = b = c = 1` has value 3/20.

A non-convex loss needs more than "no bottleneck": the catalog entry
`nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json` is a
spurious local minimum of a non-convex l (all of whose local minima are global) on widths 2-2-2,
certified by a Gram identity ([the catalog README](../../counterexamples/README.md)).
""",
)

THEOREM = Theorem(
    paper_reference=(
        "Theorem 1 of the ICML 2018 paper (arXiv:1712.01473); its abstract: for deep linear "
        "networks with arbitrary differentiable (in the theorem: convex and differentiable) loss,"
        " \"all local minima are global minima if each hidden layer is wider than either the "
        "input or output layer\"."),
    landscape_statement="local-minima-global",
    id=ID,
    page=PAGE,
    title="Deep linear networks with arbitrary loss: all local minima are global",
    citation="T. Laurent and J. von Brecht. Deep linear networks with arbitrary loss: all local "
             "minima are global. ICML 2018, Theorem 1.",
    source="arXiv:1712.01473",
    statement=(
        "If l is convex and differentiable and every hidden width is at least min(d_0, d_H) "
        "(no bottleneck), every local minimum of W -> l(W_H...W_1) is a global minimum."),
    reconstructed=False,
    caveat=(
        "The loss here is a function of the residual W_H...W_1 X - Y or of the product itself; "
        "both are convex functions of the product when l is, so the theorem applies to either.  "
        "Weight decay changes the objective away from l(W_H...W_1) and is excluded.  A declared "
        "convexity or differentiability (custom loss) is not a proof: the assumption is then "
        "undecided (declared, not proven) and the theorem does not apply."),
    assumptions_doc=(
        ("family = deep-linear", "the problem file's family"),
        ("l convex", "proven for square, l1, power; for a polynomial custom loss decided exactly "
         "where decidable (losses/convexity.py): degree <= 2 by its constant Hessian, one entry by "
         "exact real roots of l'', otherwise disproven by an exact witness point where the Hessian "
         "has a negative eigenvalue; else undecided (a declared convexity is not proven)"),
        ("l differentiable", "proven for polynomial losses; the l1 loss is not; otherwise "
         "undecided (a declared differentiability is not proven)"),
        ("weight_decay = 0", "exact comparison with 0"),
        ("min hidden width >= min(d_0, d_H)", "the widths list"),
    ),
    conclusion_doc=(
        "Critical points are proposed (closed form for the square loss, the origin, rounded "
        "products and weights of float-descent limits) and classified exactly; a certified "
        "spurious local minimum contradicts the conclusion.  On an instance where an "
        "assumption fails, the test still runs and reports what it found."),
    check_assumptions=check_assumptions,
    test_conclusion=test_conclusion,
    catalog=("laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json",
             "laurent_vonbrecht2018-weight-decay-depth3-spurious-local-minimum.json"),
)
