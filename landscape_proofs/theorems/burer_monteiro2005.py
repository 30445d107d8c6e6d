"""Burer & Monteiro 2005 / Journée, Bach, Absil & Sepulchre 2010: rank-deficient second-order
critical points of ``l(U U^T)`` are global, for convex ``l`` and any ``k``.

S. Burer and R. D. C. Monteiro, "Local minima and convergence in low-rank semidefinite
programming", Math. Program. 103 (2005); M. Journée, F. Bach, P.-A. Absil and R. Sepulchre,
"Low-rank optimization on the cone of positive semidefinite matrices", SIAM J. Optim. 20(5)
(2010).  The statement below is the unconstrained (no linear constraints) case of their
rank-deficiency results, in this project's notation; the proof is short and is given here
and on the docs page, because the theorem numbers could not be checked against the papers.

**Claim.**  Let ``phi(Z) = l(Z) + lam/2 tr Z`` with ``l`` convex and twice differentiable on
symmetric ``n x n`` matrices (``l(Z - Y)`` for a residual loss), ``f(U) = phi(U U^T)`` for
``U`` in ``R^{n x k}``.  If ``U`` is second-order critical (gradient 0, Hessian PSD) and
``rank(U) < k``, then ``U U^T`` minimizes ``phi`` over the PSD cone and ``U`` is a global
minimum of ``f``.

*Proof.*  With ``S = sym(grad phi(U U^T))``, ``grad f(U) = 2 S U = 0``.  Take ``v != 0`` with
``U v = 0`` (rank deficiency) and any ``z`` in ``R^n``; along ``U + t z v^T`` the product is
``U U^T + t (U v z^T + z v^T U^T) + t^2 |v|^2 z z^T = U U^T + t^2 |v|^2 z z^T``, so
``f(U + t z v^T) = f(U) + t^2 |v|^2 <S, z z^T> + O(t^4)`` and second-order criticality gives
``z^T S z >= 0``: ``S`` is PSD.  ``S U = 0`` gives ``<S, U U^T> = 0``.  For convex ``phi`` these
are the optimality conditions over the PSD cone: ``phi(Z) >= phi(U U^T) + <S, Z - U U^T> =
phi(U U^T) + <S, Z> >= phi(U U^T)``; every ``U'`` gives a PSD ``U' U'^T``.  QED.

Unlike the Nouiehed-Razaviyayn Burer-Monteiro entry this needs no ``k >= n``: it speaks only
about rank-deficient points.  Full-rank points (``rank U = k < n``) are outside the claim, and
the catalog's ``k = 1 < n = 2`` spurious minimum is one (rank 1 = k).
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import rank
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.judging import judge, not_applicable
from landscape_proofs.theorems.symmetric_points import (classified_symmetric_points,
                                                        psd_cone_optimality)

ID = "burer_monteiro2005-rank-deficient"


def check_assumptions(problem):
    family = getattr(problem, "family", None)
    fam = AssumptionCheck("family = symmetric-factorization (l(U U^T))",
                          family == "symmetric-factorization", f"the problem's family is {family}")
    if fam.holds is not True:
        return [fam]
    return [fam, facts.loss_convex(problem), facts.loss_differentiable(problem)]


def rule(problem):
    k = problem.k

    def judge_point(cp: ClassifiedPoint):
        kind = cp.kind
        U = cp.candidate.weights[0]
        r = cp.product_rank if cp.product_rank is not None else rank(U)
        if kind in (Kind.NOT_CRITICAL, Kind.STRICT_SADDLE, Kind.LOCAL_MAXIMUM):
            return PointVerdict.IRRELEVANT, "not second-order critical"
        if kind is Kind.NONSMOOTH_SADDLE:
            return PointVerdict.IRRELEVANT, "a saddle at a kink of the l1 loss (no Hessian there)"
        if kind is Kind.INCONCLUSIVE:
            return PointVerdict.UNDECIDED, cp.result.reason
        if r >= k:
            return (PointVerdict.IRRELEVANT,
                    f"rank(U) = {r} = k: not rank-deficient, the theorem says nothing here")
        if kind is Kind.GLOBAL_MINIMUM:
            return PointVerdict.CONSISTENT, f"rank(U) = {r} < k = {k}, a certified global minimum"
        if kind in (Kind.SPURIOUS_LOCAL_MINIMUM, Kind.NON_STRICT_SADDLE):
            return (PointVerdict.CONTRADICTS,
                    f"rank(U) = {r} < k = {k}, second-order critical and not a global minimum")
        # a certified local minimum whose global status classify left open
        opt = psd_cone_optimality(problem, cp.candidate.weights)
        if opt.holds is True:
            return PointVerdict.CONSISTENT, f"rank(U) = {r} < k = {k}; {opt.detail}"
        return PointVerdict.UNDECIDED, f"rank(U) = {r} < k = {k}; {opt.detail}"
    return judge_point


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "symmetric-factorization":
        return not_applicable("needs a symmetric-factorization problem (l(U U^T))")
    pts = classified_symmetric_points(problem, budget, point)
    return judge(pts, rule(problem),
                 what="every rank-deficient second-order critical point of l(U U^T) is global",
                 notes=("full-rank points (rank U = k) are outside the statement and listed as "
                        "irrelevant",))


PAGE = PageProse(
    reading="reconstructed: the unconstrained case of the papers' rank-deficiency results; "
            "theorem numbers not checked, the proof is given below",
    short_citation="Burer & Monteiro 2005; Journée et al. 2010 (rank-deficient points)",
    headline_example="does not apply: assumption l convex fails: ...",
    after_conclusion="""\
## The proof the check relies on

With `S = sym(grad phi(U U^T))`, `phi(Z) = l(Z) + lam/2 tr Z`: the gradient of `f(U) =
phi(U U^T)` is `2 S U`.  If `rank U < k` pick `v != 0` with `U v = 0`; for any `z`, along
`U + t z v^T` the product is `U U^T + t^2 |v|^2 z z^T` (the first-order term `U v z^T + z v^T U^T`
vanishes), so the second-order term of `f` is `|v|^2 z^T S z` and a PSD Hessian forces
`S >= 0`; `S U = 0` forces `<S, U U^T> = 0`; for convex `phi` these two conditions make `U U^T`
a minimizer over the PSD cone, hence `U` a global minimum of `f` (every `U'` gives a PSD
`U' U'^T`).  Convexity is used in the last step, differentiability (twice) for "second-order
critical" to mean gradient 0 and Hessian PSD, and rank deficiency for the direction `z v^T`.

## What the check does

Candidates as for the Nouiehed-Razaviyayn Burer-Monteiro entry (the given point, the origin,
closed-form critical products for the square loss, rounded float-descent limits), each
classified exactly with a kernel-checked certificate.  A point of rank `k` is *irrelevant*
(the statement says nothing), as is a point that is not second-order critical.  A
rank-deficient certified global minimum is consistent; a rank-deficient certified spurious
local minimum or non-strict saddle *contradicts* the statement; a rank-deficient local minimum
left open by classify is decided by the exact PSD-cone optimality test (`S >= 0`,
`<S, U U^T> = 0`), which the proof says must hold.

## Instances

- *All assumptions hold*: `shape [2, 2]`, `Y = diag(1, -1)`, square loss, `--point`
  `U = [[1, 0], [0, 0]]` (rank 1 < k = 2): `S = sym(U U^T - Y) = diag(0, 1) >= 0`,
  `<S, U U^T> = 0`, a certified global minimum (value 1/2); `holds-on-instance`.
- *Convexity dropped*: `shape [1, 2]`, `l(z) = (z - 1)^2 ((z - 4)^2 - 1)` of `z = a^2 + b^2`
  (a custom polynomial loss of the residual, `Y = [[0]]`), `U = (1, 0)` (rank 1 < k = 2):
  gradient `2 l'(1) U = 0`, Hessian `2 l'(1) I + 4 l''(1) U^T U = diag(64, 0)` with kernel the
  `O(2)` orbit tangent, so a certified local minimum (slice argument) of value 0, while
  `U = (2, 0)` has value `l(4) = -9`: a rank-deficient spurious local minimum.  The check says
  "does not apply: l convex fails" and, testing anyway, attaches that certificate.
- *Rank deficiency dropped*: the catalog's `k = 1 < n = 2` instance below: `U = e1` is a
  strict local minimum of full rank 1 = k, not global; the statement does not cover it
  (listed as irrelevant), which is why rank deficiency is needed.
""",
)

THEOREM = Theorem(
    paper_reference=(
        "Burer & Monteiro 2005 (rank-deficient local minima of low-rank SDPs with linear "
        "constraints) and Journee, Bach, Absil & Sepulchre 2010 (convex objectives on the PSD "
        "cone): the theorem numbers were not checked against the texts; the statement is our "
        "unconstrained reading, proven in full on this page."),
    id=ID,
    page=PAGE,
    title="Rank-deficient second-order critical points of l(U U^T) are global (convex l)",
    citation="S. Burer and R. D. C. Monteiro. Local minima and convergence in low-rank "
             "semidefinite programming. Math. Program. 103:427-444, 2005; M. Journée, F. Bach, "
             "P.-A. Absil and R. Sepulchre. Low-rank optimization on the cone of positive "
             "semidefinite matrices. SIAM J. Optim. 20(5):2327-2351, 2010.",
    source="doi:10.1007/s10107-004-0564-1; doi:10.1137/080731359",
    statement=(
        "For l convex and twice differentiable on symmetric n x n matrices and any k >= 1, "
        "every second-order critical point U in R^{n x k} of l(U U^T) + lam/2 ||U||^2 with "
        "rank(U) < k is a global minimum (U U^T minimizes l(Z) + lam/2 tr Z over the PSD "
        "cone)."),
    reconstructed=True,
    caveat=(
        "The papers state rank-deficiency results for SDPs with linear constraints (Burer-"
        "Monteiro) and for convex objectives on the PSD cone (Journée et al.); the theorem "
        "numbers were not checked against the texts, so the statement is our unconstrained "
        "reading and the page gives its complete proof.  Weight decay is allowed "
        "(lam/2 ||U||^2 = lam/2 tr(U U^T) keeps phi convex).  A declared convexity or "
        "differentiability (custom loss) is not a proof: the assumption is then undecided."),
    assumptions_doc=(("family = symmetric-factorization", "the problem file's family"),
                     ("l convex", "proven for square, l1, power; decided for polynomial custom "
                      "losses where losses/convexity.py decides it; a declaration is not proven"),
                     ("l differentiable", "proven for polynomial losses; the l1 loss is not")),
    conclusion_doc=(
        "Candidates (given point, origin, closed-form critical products for the square loss, "
        "rounded descent limits) are classified exactly; among the second-order critical "
        "points with rank(U) < k, a certified spurious local minimum or non-strict saddle "
        "contradicts the statement, a certified global minimum (or a local minimum passing "
        "the exact PSD-cone optimality test) is consistent; full-rank points are irrelevant."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion,
    catalog=("burer_monteiro2005-rank-deficient-nonconvex-spurious-local-minimum.json",
             "nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json"))
