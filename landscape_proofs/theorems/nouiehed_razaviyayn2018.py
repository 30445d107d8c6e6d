"""Nouiehed & Razaviyayn 2018, "Learning deep models: critical points and local openness".

Three registry entries: the two-layer linear result, the multi-layer result through local
openness, and the Burer-Monteiro result for l(U U^T).  The exact wording of the multi-layer
theorem was not available to us (THEOREMS.md section 4.5): that entry is reconstructed.
"""
from __future__ import annotations

from ..exact.linalg import matrix
from ..kinds import Kind
from . import facts
from .base import AssumptionCheck, PointVerdict, Theorem
from .common import classified_points
from .critical import CheckBudget, ClassifiedPoint
from .judging import judge, not_applicable, rule_local_minima_global

CITATION = ("M. Nouiehed and M. Razaviyayn. Learning deep models: critical points and local "
            "openness. arXiv:1803.02968, 2018.")
SOURCE = "arXiv:1803.02968"


# --- two-layer --------------------------------------------------------------------------------
def check_two_layer(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.depth_equals(problem, 2), facts.square_loss(problem),
                  facts.no_weight_decay(problem)]


def test_two_layer(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear":
        return not_applicable("needs a deep-linear problem")
    pts = classified_points(problem, budget, point)
    return judge(pts, rule_local_minima_global,
                 what="every local minimum of 1/2 ||W_2 W_1 X - Y||^2 is global")


TWO_LAYER = Theorem(
    id="nouiehed_razaviyayn2018-two-layer",
    title="Learning deep models: critical points and local openness (two-layer linear networks)",
    citation=CITATION, source=SOURCE,
    statement=("For a two-layer linear network with the square loss, every local minimum of "
               "1/2 ||W_2 W_1 X - Y||^2 is global, with no assumption on X, Y or the widths."),
    reconstructed=True,
    caveat=("Reconstructed from THEOREMS.md section 4.5 (the paper proves it through local "
            "openness of (U, V) -> U V); the theorem number was not checked."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("H = 2 weight matrices", "the widths list"),
                     ("loss = square", "the loss specification"),
                     ("weight_decay = 0", "exact comparison with 0")),
    conclusion_doc=("Critical points are proposed and classified exactly; a certified spurious "
                    "local minimum contradicts the conclusion."),
    check_assumptions=check_two_layer, test_conclusion=test_two_layer)


# --- multi-layer ------------------------------------------------------------------------------
def loss_minima_global(problem) -> AssumptionCheck:
    """'Every local minimum of l (in function space) is global': proven for convex l."""
    convex = facts.loss_convex(problem)
    name = "every local minimum of l is global"
    if convex.holds is True:
        return AssumptionCheck(name, True, f"l is convex ({convex.detail})", declared=convex.declared)
    return AssumptionCheck(name, None, "l is not known to be convex; this property of l is not "
                           "decided by the tool (it is assumed, not checked, by this theorem's test)")


def check_multilayer(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.no_weight_decay(problem), facts.no_bottleneck(problem),
                  loss_minima_global(problem)]


def _openness(point_weights):
    """The exact openness decision of mu at the point, or None when the module is absent."""
    try:
        from ..openness import decide_chain
    except ImportError:  # pragma: no cover - built by another part of issue 4
        return None
    return decide_chain(list(point_weights))


def test_multilayer(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear":
        return not_applicable("needs a deep-linear problem")
    pts = classified_points(problem, budget, point)

    def rule(cp: ClassifiedPoint):
        if cp.kind is not Kind.SPURIOUS_LOCAL_MINIMUM:
            return rule_local_minima_global(cp)
        dec = _openness(cp.candidate.weights)
        if dec is None:
            return PointVerdict.UNDECIDED, "openness of mu here could not be decided (module absent)"
        v = dec.verdict.value
        if v == "open":
            return (PointVerdict.CONTRADICTS, f"spurious although mu is locally open here "
                    f"({dec.reason})")
        if v == "not-open":
            return (PointVerdict.CONSISTENT, f"spurious, and mu is not locally open here "
                    f"({dec.reason}): the openness the transfer needs fails")
        return PointVerdict.UNDECIDED, f"spurious; openness of mu undecided ({dec.reason})"

    return judge(pts, rule, what="every local minimum at which mu is locally open is global")


MULTILAYER = Theorem(
    id="nouiehed_razaviyayn2018-multilayer",
    title="Learning deep models: critical points and local openness (multi-layer linear networks)",
    citation=CITATION, source=SOURCE,
    statement=("Let l be a function of the product whose local minima are all global, and let "
               "the network have no bottleneck.  If W is a local minimum of l(W_H...W_1) and the "
               "product map mu is locally open at W, then W is a global minimum; when l is convex "
               "(Laurent & von Brecht) every local minimum is global.  Without convexity the "
               "openness cannot be dropped: a spurious local minimum can sit where mu is not open."),
    reconstructed=True,
    caveat=("Reconstructed: the exact wording of the multi-layer theorem and of its "
            "counterexamples was not available (THEOREMS.md section 4.5).  The statement above is "
            "the function-space transfer argument of THEOREMS.md section 2, which is proven "
            "there; 'every local minimum of l is global' is decided only for convex l."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("min hidden width >= min(d_0, d_H)", "the widths list"),
                     ("every local minimum of l is global", "proven for convex l (or declared "
                      "convex); otherwise undecided")),
    conclusion_doc=("Critical points are proposed and classified exactly.  For each certified "
                    "spurious local minimum the openness of mu at the point is decided exactly "
                    "(landscape_proofs.openness): open contradicts the statement, not open is the "
                    "situation the openness assumption excludes."),
    check_assumptions=check_multilayer, test_conclusion=test_multilayer,
    catalog=())


# --- Burer-Monteiro -------------------------------------------------------------------------------
def check_burer_monteiro(problem):
    family = getattr(problem, "family", None)
    fam = AssumptionCheck("family = symmetric-factorization (l(U U^T))",
                          family == "symmetric-factorization", f"the problem's family is {family}")
    out = [fam]
    if fam.holds is not True:
        return out
    k, n = getattr(problem, "rank", None), getattr(problem, "n", None)
    out.append(AssumptionCheck("k >= n", None if k is None or n is None else k >= n,
                               f"k = {k}, n = {n}"))
    out.append(AssumptionCheck("every local minimum of l on PSD matrices is global", None,
                               "a property of l that the tool does not decide"))
    return out


def test_burer_monteiro(problem, budget: CheckBudget = CheckBudget(), point=None):
    return not_applicable("the symmetric matrix-factorization family is tested by its own "
                          "engineer's commands; this entry checks assumptions only")


BURER_MONTEIRO = Theorem(
    id="nouiehed_razaviyayn2018-burer-monteiro",
    title="Learning deep models: critical points and local openness (Burer-Monteiro)",
    citation=CITATION, source=SOURCE,
    statement=("Let l be a function on PSD n x n matrices (possibly discontinuous) whose local "
               "minima are global.  If k >= n, every local minimum of U -> l(U U^T), U in R^{n x k}, "
               "is global (U -> U U^T is locally open onto the PSD cone)."),
    reconstructed=True,
    caveat=("Reconstructed from THEOREMS.md section 4.5.  The tool does not decide 'local "
            "minima of l are global'; the conclusion is not tested here."),
    assumptions_doc=(("family = symmetric-factorization", "the problem file's family"),
                     ("k >= n", "the factor's shape"),
                     ("every local minimum of l is global", "not decided (reported as undecided)")),
    conclusion_doc="Not tested (assumption checks only).",
    check_assumptions=check_burer_monteiro, test_conclusion=test_burer_monteiro)

THEOREMS = (TWO_LAYER, MULTILAYER, BURER_MONTEIRO)
