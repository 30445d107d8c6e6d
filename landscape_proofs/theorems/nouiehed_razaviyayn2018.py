"""Nouiehed & Razaviyayn 2018, "Learning deep models: critical points and local openness".

Three registry entries: the two-layer linear result, the multi-layer result through local
openness, and the Burer-Monteiro result for l(U U^T).  The exact wording of the multi-layer
theorem was not available to us (arXiv:1803.02968, v2): that entry is reconstructed.
"""
from __future__ import annotations

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
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


TWO_LAYER_PAGE = PageProse(
    short_citation='Nouiehed & Razaviyayn, arXiv:1803.02968, Theorem 5 (reconstructed)',
)

TWO_LAYER = Theorem(
    paper_reference=(
        "Theorem 5 of the ICLR 2018 submission of arXiv:1803.02968 (section 5): every "
        "degenerate critical point of 1/2 ||W_2 W_1 X - Y||^2 is a global minimum or a "
        "second-order saddle, and with X of full row rank every non-degenerate critical point "
        "is a global minimum or a saddle (Corollary 6: the degenerate half for a general convex "
        "loss).  The arXiv v2 abstract: \"every local optimum of two layer linear networks is "
        "globally optimal ... no assumption on the target data matrix Y, and input data matrix "
        "X\""),
    landscape_statement="local-minima-global",
    id="nouiehed_razaviyayn2018-two-layer",
    page=TWO_LAYER_PAGE,
    title="Learning deep models: critical points and local openness (two-layer linear networks)",
    citation=CITATION, source=SOURCE,
    statement=("For a two-layer linear network with the square loss, every local minimum of "
               "1/2 ||W_2 W_1 X - Y||^2 is global, with no assumption on X, Y or the widths."),
    reconstructed=True,
    caveat=("Reconstructed from a summary of the paper (arXiv:1803.02968; its two-layer "
            "result) and the arXiv v2 abstract (\"every local "
            "optimum of two layer linear networks is globally optimal ... requires no assumption "
            "on the target data matrix Y, and input data matrix X\"); the paper proves it through "
            "local openness of (U, V) -> U V.  The ICLR-2018 submission's Theorem 5 (read in its "
            "text) states more: degenerate critical points are global minima or second-order "
            "(strict) saddles, and with X of full row rank non-degenerate critical points are "
            "global minima or saddles; that stronger claim is not tested here."),
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
        return AssumptionCheck(name, True, f"l is convex ({convex.detail})")
    loss = problem.loss
    X_free = loss.over_product or _is_identity(problem.X)  # l(P X - Y) = l(P - Y): a translation
    if facts.is_custom_polynomial(loss) and X_free:
        holds, detail = decide_local_minima_global(loss)
        if holds is not None:
            return AssumptionCheck(name, holds, f"decided exactly: {detail}")
    return AssumptionCheck(name, None, f"l is not known to be convex ({convex.detail}) and is "
                           "not a separable polynomial with rational critical points; this property of l is not "
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


MULTILAYER_PAGE = PageProse(
    short_citation='Nouiehed & Razaviyayn, arXiv:1803.02968, multi-layer (Observation 1, Lemmas 7-8)',
    after_assumptions="""\
## What the paper states for the multilayer product, and what this entry checks

Read in the ICLR 2018 submission of arXiv:1803.02968 (sections 2, 3 and 6; its numbering):

- **Observation 1** (section 2): if the map F is locally open at a local minimum w of l(F(w)),
  then F(w) is a local minimum of l over the range of F.  This entry's statement is this
  transfer for F = mu, the product W_H...W_1, with "every local minimum of l over the range is
  global" made checkable as "every local minimum of l is global" plus no bottleneck (the range
  is then every matrix).
- **Proposition 2** (Behrends 2017; k >= min(m, n)) and **Theorem 3** (k < min(m, n)): a
  *necessary and sufficient* condition for the local openness of the two-factor product
  (X, Y) -> X Y in its range.  Theorem 3: not open when rank X != rank Y; otherwise open iff
  dim(N(X) & C(Y)) = 0 (equivalently dim(N(Y^T) & C(X^T)) = 0), i.e. rank X = rank Y = rank XY.
- **Lemma 7** (Theorem 3.1 of Lu & Kawaguchi restated): if W is *non-degenerate*
  (rank W_H...W_1 = min_i d_i), the multilayer product is locally open at W.  This is only a
  **sufficient** condition: the paper gives no characterization of local openness of the
  product of three or more factors.  (The origin of `abc` is degenerate and open: t = (t^(1/3))^3.)
- **Lemma 8**: with X of full row rank, every non-degenerate critical point of the square loss
  1/2 ||W_H...W_1 X - Y||^2 is a saddle or a global minimum.

So the paper's multilayer results are sufficient conditions (non-degeneracy), not a
characterization; the talk abstract of the later arXiv version speaks of an "almost complete
characterization" of the local/global equivalence with counterexamples for each assumption,
and that version's text was not available to us.  The tool goes further than the paper on
openness: `openness/products.py` decides openness of the multilayer product *completely*
(docs/openness.md, "The deep product: complete criterion"), and
`tests/test_nouiehed.py` checks it against the paper: on random integer pairs it agrees with
Proposition 2 and Theorem 3 computed independently from null-space/column-space intersections,
every random non-degenerate chain is open (Lemma 7), and Lemma 8 holds on a depth-3 instance.
""",
    after_catalog="""\
It drops openness of mu at the minimum (l non-convex, no bottleneck, every local minimum of l global).
The Laurent-von Brecht entry drops the bottleneck assumption instead: a convex quadratic loss on
widths 2-1-2 has a certified spurious local minimum at `R = e1 e1^T`, where mu *is* locally open
(rank 1 = min width, Lemma 7), so the test reports it as contradicting the conclusion; the entry
answers "does not apply" because of the bottleneck.
""",
    after_try="""\
## The catalogued counterexample

Widths 2-2-2, `l(P) = P11^2 + P12^2 + P22^2 + (P21^2 - 1)^2` (non-convex; separable, and all
its local minima, `P21 = +-1` with the other entries 0, are global: `landscape check` decides
this exactly), point `W_2 = e1 e1^T`, `W_1 = e2 e2^T`: a spurious local minimum of `l o mu`
(value 1, the global value is 0) where `mu` is not locally open
(`landscape_proofs.openness.products.decide_chain`).  Second order cannot see it (Hessian inertia
(3, 0, 5), kernel 5 > orbit tangent 3; `landscape classify` answers `inconclusive`, and the
catalog README explains why no second-order certificate can exist at a non-open point of a
network without bottleneck).  The certificate uses the checker's `gram-identity` evidence: with
`W_1 = [[u, s], [w, t]]`, `W_2 = [[a, b], [c, d]]`, `v = (P11, P12, P22)`, `g = (ct, -cw, aw)`,

    (a t)^2 (L - 1) = v^T ((a t)^2 I + (P21^2 - 2) g g^T) v,

whose multiplier is 1 and Gram matrix `I` at the point
([catalog README](../../counterexamples/README.md#a-spurious-minimum-where-mu-is-not-open-certified-by-a-gram-identity),
docs/certificates.md "Gram identities").
""",
)

MULTILAYER = Theorem(
    paper_reference=(
        "Observation 1 (section 2: local openness of the map at a local minimum transfers it "
        "to a local minimum over the range), Proposition 2 and Theorem 3 (section 3: local "
        "openness of the two-factor product, necessary and sufficient), Lemma 7 (section 6: "
        "the multilayer product is locally open at non-degenerate points, a sufficient "
        "condition) and Lemma 8 (X of full row rank: non-degenerate critical points of the "
        "square loss are saddles or global minima), numbered as in the ICLR 2018 submission "
        "of arXiv:1803.02968"),
    landscape_statement="local-minima-global",
    id="nouiehed_razaviyayn2018-multilayer",
    page=MULTILAYER_PAGE,
    title="Learning deep models: critical points and local openness (multi-layer linear networks)",
    citation=CITATION, source=SOURCE,
    statement=("Let l be a function of the product whose local minima are all global, and let "
               "the network have no bottleneck.  If W is a local minimum of l(W_H...W_1) and the "
               "product map mu is locally open at W, then W is a global minimum; when l is convex "
               "(Laurent & von Brecht) every local minimum is global.  Without convexity the "
               "openness cannot be dropped: a spurious local minimum can sit where mu is not open."),
    reconstructed=True,
    caveat=("Reconstructed: the exact wording of the v2 multi-layer theorem and of its "
            "counterexamples was not available (arXiv:1803.02968, v2); the ICLR 2018 submission "
            "was.  The statement above is "
            "the function-space transfer argument (Observation 1 of the "
            "ICLR-2018 submission: if mu is locally open at a local minimum W, then mu(W) is a "
            "local minimum of l on the range), which is proven there; that version uses it with "
            "the square loss at non-degenerate points (Lemmas 7-8, rank mu(W) = min width), "
            "which this entry does not require.  The paper characterizes openness for two "
            "factors only (Proposition 2, Theorem 3); for the multilayer product it gives the "
            "sufficient condition of Lemma 7 (non-degenerate points), not a characterization.  'Every local minimum of l is global' is decided "
            "for convex l and for separable polynomial l with rational critical points.  The "
            "submission's introduction offers X = I, W_3 = [1; 0], W_2 = [0], W_1 = [1 0], "
            "Y = [[0, 0], [0, 1]] as a non-global local optimum of a 3-layer network; it is a "
            "non-strict saddle (the curve W_1 + t(0, 1), W_2 + t^2, W_3 + t(0, 1)^T lowers the "
            "loss by t^4/2; `landscape classify` certifies it, tests/test_known_answers.py)."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("min hidden width >= min(d_0, d_H)", "the widths list"),
                     ("every local minimum of l is global", "proven for proven-convex l, decided exactly for separable polynomial l with rational critical "
                      "points (theorems/separable.py); otherwise undecided")),
    conclusion_doc=("Critical points are proposed and classified exactly.  For each certified "
                    "spurious local minimum the openness of mu at the point is decided exactly "
                    "(landscape_proofs.openness.products): open contradicts the statement, not open is the "
                    "situation the openness assumption excludes."),
    check_assumptions=check_multilayer, test_conclusion=test_multilayer,
    catalog=("nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json",
             "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json"))


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


BURER_MONTEIRO_PAGE = PageProse(
    short_citation='Nouiehed & Razaviyayn, arXiv:1803.02968, Burer-Monteiro (reconstructed)',
    headline_example='does not apply: assumption k >= n fails: k = 1 < n = 2',
    after_assumptions="""\
Why convexity settles the third assumption: with `Z = U U^T` the objective is
`phi(Z) = l(Z) + lam/2 tr Z` (`l(Z - Y)` for a loss of the residual; `||U||_F^2 = tr(U U^T)`, so
weight decay keeps it a function of `Z`).  A convex `l` makes `phi` convex, and a convex function
on the convex PSD cone has only global local minima.  A non-convex `l` is reported as undecided.
""",
    after_conclusion="""\
Code: `landscape_proofs/theorems/symmetric_points.py` (candidates, `psd_factor`,
`psd_cone_optimality`), the rule in `landscape_proofs/theorems/nouiehed_razaviyayn2018.py`.

- **Candidates.**  The origin is always critical (`dF/dU = (G + G^T) U + lam U`).  For the
  square loss, `dF/dU = 2 (U U^T - M) U` with `M = sym(Y) - lam/2 I`; if `P` projects onto an
  `M`-invariant subspace and `R = M P` is PSD of rank `<= k`, every `U` with `U U^T = R` has
  `col(U)` inside `range(P)`, where `R` and `M` agree, so it is critical.  The subspaces
  `ker f(M)` (irreducible factors `f` of the characteristic polynomial over Q) are rational.
  `psd_factor` turns a rational PSD `R` into a rational `U`: symmetric elimination gives
  `R = sum_i d_i l_i l_i^T`, and each `d_i` becomes one column when it is a rational square,
  or several (`d = s_1^2 + ... + s_m^2`, `m <= 4`) when `k` leaves spare columns; `U U^T = R` is
  checked exactly.  Float-descent limits drift along the `O(k)` orbit, so their *product* is
  rounded and factored; the raw `U` is rounded too.  A candidate that is not exactly critical
  is reported as irrelevant.
- **Verdicts.**  A certified spurious local minimum contradicts the conclusion (on an instance
  where every assumption holds, that would be a counterexample to the statement); a certified
  global minimum, saddle or local maximum is consistent.  Classify proves global optimality only
  by a zero lower bound or `dl/dZ = 0` for a convex `l` (the square-loss closed form is refused
  for this family, docs/families.md), so a local minimum on the boundary of the PSD cone is
  often left as `local-minimum`.  The test then decides the optimality conditions of
  `min phi` over the PSD cone exactly: with `S = sym(dl/dZ) + lam/2 I` at `R = U U^T`, `l`
  proven convex and differentiable there, `S >= 0` (exact inertia) and `<S, R> = 0` give, for
  every PSD `Z`, `phi(Z) >= phi(R) + <S, Z - R> = phi(R) + <S, Z> >= phi(R)`; every `U'` yields a
  PSD `U' U'^T`, so `U` is a global minimum.  Such a point is counted as consistent with a note
  saying the argument was decided by this test, not by the checker (no evidence type for it
  exists yet).  Otherwise the point is `undecided` and listed with the reason.

### Hand-solved instances where the theorem applies (`k >= n`)

- `shape [2, 2]`, `Y = diag(1, 4)`, square loss.  `M = Y`; the pieces are the eigenvalues 1 and
  4.  Keep `{4}`: `U = [[0, 0], [0, 2]]`, value `1/2`, strict saddle (moving `U_11` lowers
  `(U_11^2 - 1)^2/2`); keep `{1}`: `U = e1 e1^T`, value 8, strict saddle; keep both:
  `U = diag(1, 2)`, value 0, global (zero lower bound); the origin: `H = -2 (Y (x) I_2)`, negative
  definite, a local maximum (value 17/2).  `holds-on-instance`.
- `shape [2, 2]`, `Y = diag(1, -1)`, square loss (docs/families.md's example with `k = 2`).
  `U = e1 e1^T` (value 1/2) is a local minimum by the slice argument; classify cannot call it
  global, but `S = sym(U U^T - Y) = diag(0, 1) >= 0` and `<S, U U^T> = 0`: global over the PSD
  cone.  The origin (`H = -2 (Y (x) I_2)`, inertia (2, 2, 0)) is a strict saddle.
  `holds-on-instance`.
- `shape [2, 2]` with the weighted loss of the catalog entry below: `U = I` has value 0 and
  `dl/dZ = 0` (global, convex-stationary); the origin (`dl/dZ = diag(-2, -4)`, `H` negative
  definite) is a local maximum.  `holds-on-instance`.
""",
    after_catalog="""\
Both drop only `k >= n`: the loss is convex on all matrices (a quadratic with the constant PSD
Hessian `diag(2, 20, 20, 4)`, resp. its 3 x 3 analogue), hence every local minimum of `l` on the
convex PSD cone is global (its global minimum there is `I`, value 0), but `U U^T` with `k < n`
only reaches PSD matrices of rank `<= k`, a non-convex set.

**`k = 1 < n = 2`.**  `l(Z) = (Z_11 - 1)^2 + 10 Z_12^2 + 10 Z_21^2 + 2 (Z_22 - 1)^2` of
`Z = U U^T`, `U = (a, b)^T`: `f(a, b) = (a^2 - 1)^2 + 20 a^2 b^2 + 2 (b^2 - 1)^2`.
`df/da = 4a (a^2 - 1 + 10 b^2)` and `df/db = 8b (5 a^2 + b^2 - 1)` vanish at `(1, 0)`;
`f_aa = 12 a^2 - 4 + 40 b^2 = 8`, `f_bb = 40 a^2 + 24 b^2 - 8 = 32`, `f_ab = 80 ab = 0`: the
Hessian `diag(8, 32)` is positive definite, so `U = e1` is a strict local minimum with value 2,
while `U = e2` has value 1.  (`O(1) = {+1, -1}` is finite, so the certificate's local-minimum
evidence is `definite-hessian`; the slice argument is not needed.)  The other critical points:
the origin (value 3, Hessian `diag(-4, -8)`, a local maximum), `+-e2` (value 1, Hessian
`diag(36, 16)`), and `a^2 = 9/49, b^2 = 4/49` (value 130/49, saddles), so `+-e2` are the
global minima.

**`k = 2 < n = 3`** (the same failure with a continuous symmetry).  `l(Z) = (Z_11 - 1)^2 +
(Z_22 - 1)^2 + 2 (Z_33 - 1)^2 + 10 (sum of the six squared off-diagonal entries)`,
`U = [e1 e2]`, `Z = diag(1, 1, 0)`, value 2, `dl/dZ = diag(0, 0, -4)`.  Along `U + tV` the
first-order change of `Z` is `V U^T + U V^T = [[2 V11, V12 + V21, V31], [V12 + V21, 2 V22, V32],
[V31, V32, 0]]` and the `t^2` coefficient is
`4 V11^2 + 4 V22^2 + 20 (V12 + V21)^2 + 20 V31^2 + 20 V32^2 - 4 (V31^2 + V32^2)`:
positive semidefinite with kernel spanned by `V12 = -V21 = 1`, i.e. `U E` with `E` skew, the
tangent of the `O(2)` orbit (rank 5 + dim 1 = 6: slice argument, group `O`).  `U = [e1 e3]` has
value 1.

`landscape check nouiehed_razaviyayn2018-burer-monteiro PROBLEM` on either instance answers
`does not apply: assumption k >= n fails: k = 1 < n = 2` (resp. `k = 2 < n = 3`) and, testing
anyway, finds and attaches the spurious-minimum certificate (`status if it had applied:
fails-on-instance`).
""",
)

BURER_MONTEIRO = Theorem(
    paper_reference=(
        "Not in the ICLR 2018 submission of arXiv:1803.02968 that we read (its sections: the "
        "framework, two-factor openness, pyramidal non-linear networks, two-layer and "
        "multilayer linear networks); the symmetric U U^T result is from a summary of the later "
        "arXiv version, and its theorem number was not checked"),
    id="nouiehed_razaviyayn2018-burer-monteiro",
    page=BURER_MONTEIRO_PAGE,
    title="Learning deep models: critical points and local openness (Burer-Monteiro)",
    citation=CITATION, source=SOURCE,
    statement=("Let l be a function on PSD n x n matrices (possibly discontinuous) whose local "
               "minima are global.  If k >= n, every local minimum of U -> l(U U^T), U in R^{n x k}, "
               "is global (U -> U U^T is locally open onto the PSD cone)."),
    reconstructed=True,
    caveat=("Reconstructed from a summary of the paper's Burer-Monteiro result "
            "(arXiv:1803.02968; theorem number not checked).  Weight "
            "decay is allowed: lam/2 ||U||^2 = lam/2 tr(U U^T), so the objective is still a "
            "function l(Z) + lam/2 tr Z of Z = U U^T.  'Every local minimum of l on PSD matrices "
            "is global' is proven only for convex l (a convex function on a convex set), and "
            "undecided otherwise.  Global minima on the boundary of the PSD cone are certified by "
            "the PSD-cone optimality conditions (checker evidence psd-cone-optimality)."),
    assumptions_doc=(("family = symmetric-factorization", "the problem file's family"),
                     ("k >= n", "the factor's shape [n, k]"),
                     ("every local minimum of l on PSD matrices is global",
                      "proven when l is proven convex (square, l1, power, a custom polynomial "
                      "decided convex by losses/convexity.py; a declared convexity is not "
                      "proven); "
                      "otherwise undecided")),
    conclusion_doc=(
        "Candidate points are proposed (the point given with --point; the origin; for the square "
        "loss the exact critical products M P, P the projector onto a rational invariant "
        "subspace of M = sym(Y) - lam/2 I, factored exactly as U U^T when the pivots of its "
        "L D L^T decomposition are sums of rational squares that fit in k columns; float-descent "
        "limits, their product rounded and factored exactly, and U rounded) and classified "
        "exactly; a certified spurious local minimum contradicts the conclusion.  Global minima "
        "are certified by classify, including those on the boundary of the PSD cone, by the "
        "PSD-cone optimality conditions S = sym(dl/dZ) + lam/2 I PSD and <S, U U^T> = 0 (l "
        "proven convex; checker evidence psd-cone-optimality, docs/certificates.md).  On an instance where an assumption fails "
        "(k < n), the test still runs and reports what it found."),
    check_assumptions=check_burer_monteiro, test_conclusion=test_burer_monteiro,
    catalog=("nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json",
             "nouiehed_razaviyayn2018-burer-monteiro-k2-n3-slice-spurious-local-minimum.json"))

THEOREMS = (TWO_LAYER, MULTILAYER, BURER_MONTEIRO)
