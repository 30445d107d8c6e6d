"""Zhang 2019, "Depth creates no more spurious local minima" (arXiv:1901.09827).

For a convex differentiable loss, no spurious local minimum in the two-layer problem implies
none in the deep one (the two-layer premise is an assumption, decided in
:func:`two_layer_premise`).
"""
from __future__ import annotations

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint, enclose_descent_limits
from landscape_proofs.theorems.judging import judge, not_applicable, rule_local_minima_global
from landscape_proofs.theorems.multi_tower_points import classified_multi_tower_points

ID = "zhang2019"
FAMILIES = ("deep-linear", "multi-tower")


def two_layer_problem(problem) -> DeepLinearProblem:
    """min f(A B) with inner width r = the largest reachable rank: same data, loss and weight
    decay.  For a multi-tower problem r = min(d_0, d_H, sum_t r_t) (same range as the towers)."""
    d0, dH = problem.shapes[0][1], problem.shapes[-1][0]
    return DeepLinearProblem(widths=(d0, problem.max_rank, dH), X=problem.X, Y=problem.Y,
                             loss=problem.loss, weight_decay=problem.weight_decay)


def two_layer_premise(problem, budget: CheckBudget | None = None) -> AssumptionCheck:
    """'The two-layer problem min f(AB) (inner width r) has no spurious local minimum.'

    Proven for the square loss 1/2 ||A B X - Y||^2 (no weight decay) with *any* X and Y:
    every local minimum of a two-layer linear network is global (Nouiehed & Razaviyayn 2018,
    "requires no assumption on the target data matrix Y, and input data matrix X"; Zhang 2019
    cites Zhou & Liang 2018 for this case, whose text was not read here); for X of full row
    rank also by whitening and Eckart-Young / Baldi-Hornik.  Proven for a convex differentiable loss when
    r >= min(d_0, d_H) (Laurent & von Brecht).  Otherwise the two-layer problem is searched: a
    certified spurious local minimum disproves the premise.

    The premise is an *input* of the theorem: proving it only makes the entry apply, after
    which a certified spurious local minimum of the deep problem counts against the theorem.
    """
    name = "the two-layer problem min f(AB) (inner width r) has no spurious local minimum"
    if getattr(problem, "family", None) == "multi-tower":  # the premise is about min f(AB) only
        problem = two_layer_problem(problem)
    r = problem.max_rank
    if facts.square_loss(problem).holds and problem.weight_decay == 0:
        return AssumptionCheck(name, True, f"square loss, any X and Y: proven (two-layer linear "
                               f"networks: Nouiehed & Razaviyayn 2018; Zhou & Liang 2018 as cited by "
                               f"Zhang), r = {r}")
    convex = facts.loss_convex(problem)
    if (convex.holds and facts.loss_differentiable(problem).holds and problem.weight_decay == 0
            and r >= min(problem.widths[0], problem.widths[-1])):
        return AssumptionCheck(name, True, f"convex, differentiable, r = {r} >= min(d_0, d_H): "
                               "Laurent & von Brecht", declared=convex.declared)
    if budget is None:
        return AssumptionCheck(name, None, "not proven for this loss and data; not searched")
    if getattr(problem, "decay_entries", None) is not None:
        return AssumptionCheck(name, None, "a per-entry weight decay has no two-layer counterpart "
                               "(Zhang's setting has no decay); not searched")
    two = two_layer_problem(problem)
    pts = classified_points(two, budget)
    bad = next((cp for cp in pts if cp.kind is Kind.SPURIOUS_LOCAL_MINIMUM), None)
    if bad is not None:
        return AssumptionCheck(name, False, f"the two-layer problem (widths {list(two.widths)}) has a "
                               f"certified spurious local minimum ({bad.candidate.label}, value "
                               f"{bad.result.value})")
    return AssumptionCheck(name, None, f"not proven for this loss and data, and no spurious local "
                           f"minimum was found in the two-layer problem (widths {list(two.widths)})")


def check_assumptions(problem, budget: CheckBudget = CheckBudget()):
    family = getattr(problem, "family", type(problem).__name__)
    out = [AssumptionCheck("family = deep-linear or multi-tower", family in FAMILIES,
                           f"the problem's family is {family}")]
    if out[0].holds is not True:
        return out
    return out + [
        facts.loss_convex(problem),
        facts.loss_differentiable(problem),
        facts.no_weight_decay(problem),
        two_layer_premise(problem, budget),
    ]


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    family = getattr(problem, "family", None)
    if family not in FAMILIES:
        return not_applicable("needs a deep-linear or multi-tower problem")
    r = problem.max_rank
    premise = two_layer_premise(problem, None).holds
    if family == "multi-tower":  # candidate products of the two-layer problem, split over towers
        pts = classified_multi_tower_points(problem, budget, point)
        prod = "sum_t R_t"
    else:
        pts = classified_points(problem, budget, point)
        prod = "W_H...W_1"
    pts = enclose_descent_limits(problem, pts, budget)

    def rule(cp: ClassifiedPoint):
        if cp.kind is Kind.SPURIOUS_LOCAL_MINIMUM:
            if cp.product_rank is None:  # an enclosed point: its rank is not certified
                return (PointVerdict.UNDECIDED, f"a spurious local minimum known by an enclosure; "
                        f"rank({prod}) there is not certified, so it is not compared with r = {r}")
            if cp.product_rank < r:
                return (PointVerdict.CONTRADICTS,
                        f"a spurious local minimum must have rank({prod}) = r = {r}; here it is "
                        f"{cp.product_rank}")
            if premise:
                return PointVerdict.CONTRADICTS, "spurious although the two-layer problem has none"
            return (PointVerdict.CONSISTENT, f"spurious with rank({prod}) = r = {r}, as the "
                    "theorem requires of spurious minima")
        return rule_local_minima_global(cp)

    notes = (("multi-tower: r = min(d_0, d_H, sum_t r_t), the largest rank of the sum of the "
              "towers (= the two-layer network of width sum_t r_t); candidate products come from "
              "that two-layer problem and are split over the towers",)
             if family == "multi-tower" else ())
    return judge(pts, rule, what="no spurious local minimum when the two-layer problem has none, "
                 f"and every spurious local minimum has rank({prod}) = r", notes=notes)


PAGE = PageProse(
    reading='reconstructed from the abstract and introduction (see Caveats)',
    short_citation='Zhang, arXiv:1901.09827 (reconstructed)',
    after_try="""\
## The square-loss premise without full-rank data

The two-layer premise is proven for the square loss with any `X` and `Y` (Nouiehed &
Razaviyayn 2018, two-layer linear networks), so the entry applies with a rank-deficient `X`.
By hand (`tests/test_registry_readings.py`): widths `[2, 1, 1, 2]`, `X = [[1, 2, 0], [2, 4, 0]]
= u v^T` with `u = (1, 2)`, `v = (1, 2, 0)`, `Y = [[1, 0, 1], [0, 1, 1]]`.  Then
`R X = (R u) v^T`, and `a = R u` ranges over all of `R^2` (rank-1 products suffice), so the
optimum is `a = Y v / |v|^2 = (1, 2) / 5`, value
`(||Y||^2 - |Y v|^2 / |v|^2) / 2 = (4 - 1) / 2 = 3/2`.  The point `W_1 = [[1, 2]] / 5`,
`W_2 = [[1]]`, `W_3 = [[1], [2]] / 5` (product `[[1, 2], [2, 4]] / 25`, `R u = (1, 2) / 5`)
attains it: a global minimum.
""",
)

THEOREM = Theorem(
    paper_reference=(
        "The abstract of arXiv:1901.09827: \"for any convex differentiable loss, a deep linear "
        "network has no spurious local minima as long as it is true for the two layer case\"; the"
        " theorem number in the text was not checked (see Caveats)."),
    landscape_statement="local-minima-global",
    id=ID,
    page=PAGE,
    title="Depth creates no more spurious local minima",
    citation="L. Zhang. Depth creates no more spurious local minima. arXiv:1901.09827, 2019.",
    source="arXiv:1901.09827",
    statement=(
        "Let f be convex and differentiable and r the smallest width.  If the two-layer problem "
        "min f(A B) with inner dimension r has no spurious local minimum, then neither has "
        "min f(W_H...W_1); every spurious local minimum of the deep problem has "
        "rank(W_H...W_1) = r.  The same holds for multi-tower networks (a sum of deep linear "
        "towers is a two-layer network of width sum_t r_t)."),
    reconstructed=True,
    caveat=(
        "Reconstructed from the abstract and introduction, not from the theorem's text.  The "
        "abstract: 'for any convex differentiable loss, a deep linear network has no spurious "
        "local minima as long as it is true for the two layer case'; with Zhou & Liang 2018 "
        "for the two-layer square loss, 'the first unconditional proof that there is no local "
        "minima in deep linear networks' (introduction).  The claim that a spurious local "
        "minimum has rank(W_H...W_1) = r was not quoted.  The two-layer premise is decided: "
        "proven for the square loss with any X and Y (Nouiehed & Razaviyayn 2018: 'every "
        "local optimum of two layer linear networks is globally optimal', with 'no assumption "
        "on the target data matrix Y, and input data matrix X'; Zhou & Liang 2018 as cited by "
        "Zhang, not read here) and for "
        "the no-bottleneck convex differentiable case (Laurent & von Brecht); disproven by a "
        "certified spurious minimum of the two-layer problem; otherwise undecided (other "
        "losses with a bottleneck).  For multi-tower problems (docs/families.md) r is read "
        "as min(d_0, d_H, sum_t r_t), the rank the sum of the towers can reach, which is our "
        "reading of 'a two-layer network of width sum_t r_t'."),
    assumptions_doc=(
        ("family = deep-linear or multi-tower", "the problem file's family"),
        ("l convex", "proven (see laurent_vonbrecht2018); a declared convexity is not proven"),
        ("l differentiable", "proven for polynomial losses, else undecided"),
        ("weight_decay = 0", "exact comparison with 0"),
        ("the two-layer problem has no spurious local minimum",
         "proven for the square loss (any X, Y) and for a convex differentiable loss without a "
         "bottleneck; else the two-layer problem (widths d_0, r, d_H) is searched and a "
         "certified spurious local minimum there disproves it"),
    ),
    conclusion_doc=(
        "Deep critical points are proposed and classified exactly.  A certified spurious local "
        "minimum with rank(W_H...W_1) < r contradicts the structural claim; one of rank r "
        "contradicts the conclusion only when the two-layer premise is proven.  For a "
        "multi-tower problem the candidate products come from the two-layer problem of width "
        "sum_t r_t and are split exactly over the towers; rank(sum_t R_t) plays the role of "
        "rank(W_H...W_1) and r = min(d_0, d_H, sum_t r_t) (see docs/families.md, multi-tower)."),
    check_assumptions=check_assumptions,
    test_conclusion=test_conclusion,
    catalog=(),
)
