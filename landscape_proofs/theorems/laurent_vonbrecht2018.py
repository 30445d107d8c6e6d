"""Laurent & von Brecht 2018, "Deep linear networks with arbitrary loss: all local minima are global" (ICML)."""
from __future__ import annotations

from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import Theorem
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


THEOREM = Theorem(
    id=ID,
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
        "convexity (custom loss) is reported as declared, not proven."),
    assumptions_doc=(
        ("family = deep-linear", "the problem file's family"),
        ("l convex", "proven for square, l1, power; for a polynomial custom loss: proven when of "
         "degree <= 2 with a PSD Hessian, disproven by an exact Hessian with a negative eigenvalue "
         "at a sample point; otherwise the file's declaration (marked as declared)"),
        ("l differentiable", "proven for polynomial losses; the l1 loss is not; otherwise declared"),
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
