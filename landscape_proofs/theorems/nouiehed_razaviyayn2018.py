"""Nouiehed & Razaviyayn 2018, "Learning deep models: critical points and local openness".

Three registry entries: the two-layer linear result, the multi-layer result through local
openness, and the Burer-Monteiro result for l(U U^T).  The exact wording of the multi-layer
theorem was not available to us (THEOREMS.md section 4.5): that entry is reconstructed.
"""
from __future__ import annotations

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.losses.specs import CustomLoss
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint, enclose_descent_limits
from landscape_proofs.theorems.judging import judge, not_applicable, rule_local_minima_global
from landscape_proofs.theorems.separable import decide_local_minima_global
from landscape_proofs.theorems.symmetric_points import classified_symmetric_points, psd_cone_optimality

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
    pts = enclose_descent_limits(problem, classified_points(problem, budget, point), budget)
    return judge(pts, rule_local_minima_global,
                 what="every local minimum of 1/2 ||W_2 W_1 X - Y||^2 is global")


TWO_LAYER = Theorem(
    id="nouiehed_razaviyayn2018-two-layer",
    title="Learning deep models: critical points and local openness (two-layer linear networks)",
    citation=CITATION, source=SOURCE,
    statement=("For a two-layer linear network with the square loss, every local minimum of "
               "1/2 ||W_2 W_1 X - Y||^2 is global, with no assumption on X, Y or the widths."),
    reconstructed=True,
    caveat=("Reconstructed from THEOREMS.md section 4.5 and the arXiv v2 abstract (\"every local "
            "optimum of two layer linear networks is globally optimal ... requires no assumption "
            "on the target data matrix Y, and input data matrix X\"); the paper proves it through "
            "local openness of (U, V) -> U V; the theorem number was not checked.  The ICLR-2018 "
            "submission version (Theorem 5) states more: degenerate critical points are global "
            "minima or second-order (strict) saddles; that stronger claim is not tested here."),
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
    loss = problem.loss
    X_free = loss.over_product or _is_identity(problem.X)  # l(P X - Y) = l(P - Y): a translation
    if isinstance(loss, CustomLoss) and loss.polynomial and X_free:
        holds, detail = decide_local_minima_global(loss)
        if holds is not None:
            return AssumptionCheck(name, holds, f"decided exactly: {detail}")
    return AssumptionCheck(name, None, "l is not known to be convex and is not a separable "
                           "polynomial with rational critical points; this property of l is not "
                           "decided by the tool (it is assumed, not checked, by this theorem's test)")


def _is_identity(X) -> bool:
    return all(x == (i == j) for i, row in enumerate(X) for j, x in enumerate(row)) and len(X) == len(X[0])


def check_multilayer(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [facts.no_weight_decay(problem), facts.no_bottleneck(problem),
                  loss_minima_global(problem)]


def _openness(point_weights):
    """The exact openness decision of mu at the point, or None when the module is absent."""
    try:
        from landscape_proofs.openness.products import decide_chain
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
    caveat=("Reconstructed: the exact wording of the v2 multi-layer theorem and of its "
            "counterexamples was not available (THEOREMS.md section 4.5).  The statement above is "
            "the function-space transfer argument of THEOREMS.md section 2 (Observation 1 of the "
            "ICLR-2018 submission: if mu is locally open at a local minimum W, then mu(W) is a "
            "local minimum of l on the range), which is proven there; that version uses it with "
            "the square loss at non-degenerate points (Lemmas 7-8, rank mu(W) = min width), "
            "which this entry does not require.  'Every local minimum of l is global' is decided "
            "for convex l and for separable polynomial l with rational critical points.  The "
            "submission's introduction offers X = I, W_3 = [1; 0], W_2 = [0], W_1 = [1 0], "
            "Y = [[0, 0], [0, 1]] as a non-global local optimum of a 3-layer network; it is a "
            "non-strict saddle (the curve W_1 + t(0, 1), W_2 + t^2, W_3 + t(0, 1)^T lowers the "
            "loss by t^4/2; `landscape classify` certifies it, tests/test_known_answers.py)."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("min hidden width >= min(d_0, d_H)", "the widths list"),
                     ("every local minimum of l is global", "proven for convex l (or declared "
                      "convex), decided exactly for separable polynomial l with rational critical "
                      "points (theorems/separable.py); otherwise undecided")),
    conclusion_doc=("Critical points are proposed and classified exactly.  For each certified "
                    "spurious local minimum the openness of mu at the point is decided exactly "
                    "(landscape_proofs.openness.products): open contradicts the statement, not open is the "
                    "situation the openness assumption excludes."),
    check_assumptions=check_multilayer, test_conclusion=test_multilayer,
    catalog=("nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json",))


# --- Burer-Monteiro -------------------------------------------------------------------------------
def psd_minima_global(problem) -> AssumptionCheck:
    """'Every local minimum of l on PSD matrices is global': proven when l is convex.

    The objective is ``phi(U U^T)`` with ``phi(Z) = l(Z) + lam/2 tr Z`` (``||U||^2 = tr(U U^T)``;
    ``l(Z - Y)`` for a residual loss): a convex ``l`` makes ``phi`` convex on the convex PSD cone,
    where every local minimum is global.  A non-convex ``l`` is left undecided.
    """
    name = "every local minimum of l on PSD matrices is global"
    conv = facts.loss_convex(problem)
    if conv.holds is True:
        return AssumptionCheck(name, True, f"l is convex ({conv.detail}), so l(Z) + lam/2 tr Z is "
                               "convex on the convex PSD cone, where every local minimum is global",
                               declared=conv.declared)
    why = "l is not convex" if conv.holds is False else "l is not known to be convex"
    return AssumptionCheck(name, None, f"{why} ({conv.detail}); for a non-convex l this "
                           "property is not decided by the tool", declared=conv.declared)


def check_burer_monteiro(problem):
    family = getattr(problem, "family", None)
    fam = AssumptionCheck("family = symmetric-factorization (l(U U^T))",
                          family == "symmetric-factorization", f"the problem's family is {family}")
    out = [fam]
    if fam.holds is not True:
        return out
    k, n = problem.k, problem.n
    out.append(AssumptionCheck("k >= n", k >= n, f"k = {k} {'>=' if k >= n else '<'} n = {n}"))
    out.append(psd_minima_global(problem))
    return out


def rule_burer_monteiro(problem):
    """'Every local minimum is global'; a certified local minimum that is not global over the
    PSD cone gets the exact reason in its note (S = sym(dl/dZ) + lam/2 I has a negative
    eigenvalue, or <S, U U^T> != 0).  Global minima by the PSD-cone optimality conditions are
    certified by classify itself (checker evidence psd-cone-optimality)."""
    def rule(cp: ClassifiedPoint):
        verdict, note = rule_local_minima_global(cp)
        if cp.kind is Kind.LOCAL_MINIMUM and cp.candidate.source != "enclosure":
            # (an enclosed point's weights are only its rounded starting point)
            opt = psd_cone_optimality(problem, cp.candidate.weights)
            if opt.holds is False:
                note += f"; not a minimiser of l over the whole PSD cone ({opt.detail})"
        return verdict, note
    return rule


def test_burer_monteiro(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "symmetric-factorization":
        return not_applicable("needs a symmetric-factorization problem (l(U U^T))")
    pts = enclose_descent_limits(problem, classified_symmetric_points(problem, budget, point),
                                 budget)
    return judge(pts, rule_burer_monteiro(problem),
                 what="every local minimum of l(U U^T) is global")


BURER_MONTEIRO = Theorem(
    id="nouiehed_razaviyayn2018-burer-monteiro",
    title="Learning deep models: critical points and local openness (Burer-Monteiro)",
    citation=CITATION, source=SOURCE,
    statement=("Let l be a function on PSD n x n matrices (possibly discontinuous) whose local "
               "minima are global.  If k >= n, every local minimum of U -> l(U U^T), U in R^{n x k}, "
               "is global (U -> U U^T is locally open onto the PSD cone)."),
    reconstructed=True,
    caveat=("Reconstructed from THEOREMS.md section 4.5 (theorem number not checked).  Weight "
            "decay is allowed: lam/2 ||U||^2 = lam/2 tr(U U^T), so the objective is still a "
            "function l(Z) + lam/2 tr Z of Z = U U^T.  'Every local minimum of l on PSD matrices "
            "is global' is proven only for convex l (a convex function on a convex set), and "
            "undecided otherwise.  Global minima on the boundary of the PSD cone are certified by "
            "the PSD-cone optimality conditions (checker evidence psd-cone-optimality)."),
    assumptions_doc=(("family = symmetric-factorization", "the problem file's family"),
                     ("k >= n", "the factor's shape [n, k]"),
                     ("every local minimum of l on PSD matrices is global",
                      "proven when l is convex (square, l1, power, a custom polynomial of degree "
                      "<= 2 with a PSD Hessian; a declared convexity is marked as declared); "
                      "otherwise undecided")),
    conclusion_doc=(
        "Candidate points are proposed (the point given with --point; the origin; for the square "
        "loss the exact critical products M P, P the projector onto a rational invariant "
        "subspace of M = sym(Y) - lam/2 I, factored exactly as U U^T when the pivots of its "
        "L D L^T decomposition are sums of rational squares that fit in k columns; float-descent "
        "limits, their product rounded and factored exactly, and U rounded) and classified "
        "exactly; a certified spurious local minimum contradicts the conclusion.  Global minima "
        "are certified by classify, including by the PSD-cone optimality conditions "
        "S = sym(dl/dZ) + lam/2 I PSD and <S, U U^T> = 0 (l proven convex; checker evidence "
        "psd-cone-optimality).  On an instance where an assumption fails "
        "(k < n), the test still runs and reports what it found."),
    check_assumptions=check_burer_monteiro, test_conclusion=test_burer_monteiro,
    catalog=("nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json",
             "nouiehed_razaviyayn2018-burer-monteiro-k2-n3-slice-spurious-local-minimum.json"))

THEOREMS = (TWO_LAYER, MULTILAYER, BURER_MONTEIRO)
