"""A direct test of what a critical point of the square loss is, from ranks and the data.

No search: the decision uses exact ranks of partial products, the exact closed-form optimum
(:mod:`landscape_proofs.kernel.optimum`) and one matrix per pair of layers.  Sources: Yun,
Sra & Jadbabaie 2018 (global optimality from ranks) and Achour, Malgouyres & Gerchinovitz
2021/2024 (global minimum / strict saddle / non-strict saddle from ranks of partial
products).  The second-order rule below is **reconstructed** (derived in
``docs/theorems/achour2021.md``): the paper's "tightened" condition was not available to
us word for word.

Setting: ``L(W) = 1/2 ||W_H ... W_1 X - Y||_F^2`` without weight decay, ``X`` of full row rank,
``Sigma = Y X^T (X X^T)^{-1} X Y^T`` with distinct eigenvalues, ``W`` an exactly critical
point, ``R = W_H ... W_1`` of rank ``r``, ``r_max`` the smallest width.  Notation (1-based
layers): ``A_k = W_H ... W_{k+1}``, ``B_k = W_{k-1} ... W_1``, ``M_kj = W_{k-1} ... W_{j+1}``
for ``j < k`` and ``G = (R X - Y) X^T``.

1. ``L(W)`` equals the closed-form optimum over rank ``<= r_max``: **global minimum**
   (exact; no reconstruction).
2. Otherwise, ``L(W)`` is above the optimum over rank ``<= r`` (the kept eigen-directions
   are not the top ``r``; this covers every non-global point with ``r = r_max``):
   **strict saddle** (Achour et al.; Baldi & Hornik for H = 2).
3. Otherwise (``r < r_max`` and ``R`` is the best rank-``r`` fit): **strict saddle** if some
   pair ``j < k`` has ``Gamma_kj = A_k^T G B_j^T != 0`` and
   ``rank(W_H ... W_{j+1}) < rank(M_kj)`` or ``rank(W_{k-1} ... W_1) < rank(M_kj)``;
   else **non-strict saddle**.

*Sufficiency* of the pair condition is proven by an explicit direction: with
``V_j = z w^T`` (``z`` in the kernel of ``A_j``, ``M_kj z != 0``) and ``V_k = s alpha (M_kj z)^T``
(``alpha^T Gamma_kj w != 0``), the first-order change of the product is
``s A_k V_k B_k`` and ``v^T H v / 2 = s^2 ||A_k V_k B_k X||^2 / 2 + s (M_kj z)^T(M_kj z) alpha^T Gamma_kj w``,
negative for a suitable rational ``s`` (symmetrically with ``beta`` orthogonal to
``col(B_k)``).  The direct test builds that direction and a certificate the checker
re-verifies.  *Necessity* (no such pair => the Hessian is positive semidefinite) is the
reconstructed part, cross-checked against exact Hessian inertia in property tests.  That
such a point is a saddle and not a local minimum holds because every local minimum of the
square loss with ``X X^T`` invertible is global (Zhang 2019 with the two-layer case of
Baldi & Hornik 1989).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import flint

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.kernel.linalg import identity, inertia, matrix, negative_direction, nullspace, rank, zeros
from landscape_proofs.kernel.numbers import format_exact, to_fraction
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck

Q = flint.fmpq


@dataclass(frozen=True)
class PairWitness:
    """A pair of layers j < k (1-based) whose cross term gives negative curvature."""

    j: int
    k: int
    side: str            # "kernel of A_j" (V_j killed) or "complement of col(B_k)" (V_k killed)
    rank_middle: int
    rank_above: int      # rank(W_H ... W_{j+1})
    rank_below: int      # rank(W_{k-1} ... W_1)

    def describe(self) -> str:
        return (f"layers j = {self.j}, k = {self.k}: Gamma_kj != 0 and "
                f"rank(A_j) = {self.rank_above}, rank(B_k) = {self.rank_below} vs "
                f"rank(M_kj) = {self.rank_middle} ({self.side})")


@dataclass(frozen=True)
class DirectDecision:
    """The direct test's answer for one point.

    ``kind`` is ``GLOBAL_MINIMUM``, ``STRICT_SADDLE`` or ``NON_STRICT_SADDLE`` when the test
    applies, else ``None`` (``reason`` says which assumption failed).  ``reconstructed`` is
    True when the answer rests on our reconstruction of Achour et al.'s second-order rule
    rather than on an exact certificate.
    """

    applies: bool
    kind: Kind | None
    reason: str
    assumptions: tuple[AssumptionCheck, ...]
    product_rank: int | None = None
    max_rank: int | None = None
    rule: str = ""
    witness: PairWitness | None = None
    reconstructed: bool = False
    certificate: Certificate | None = None
    partial_ranks: tuple[tuple[str, int], ...] = field(default=())

    def to_json(self) -> dict:
        return {"applies": self.applies, "kind": self.kind.value if self.kind else None,
                "reason": self.reason, "rule": self.rule,
                "product_rank": self.product_rank, "max_rank": self.max_rank,
                "reconstructed": self.reconstructed,
                "witness": self.witness.describe() if self.witness else None,
                "partial_ranks": dict(self.partial_ranks),
                "assumptions": [a.to_json() for a in self.assumptions],
                "certificate": self.certificate.to_json() if self.certificate else None}


# --- partial products (0-based lists: W[0] is W_1) ---------------------------------------
def _prod(W, lo: int, hi: int, size: int):
    """W_hi ... W_lo in 1-based layers (identity of the given size when hi < lo)."""
    if hi < lo:
        return identity(size)
    P = W[lo - 1]
    for i in range(lo, hi):
        P = W[i] * P
    return P


def assumption_checks(problem) -> list[AssumptionCheck]:
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    out += [facts.square_loss(problem), facts.no_weight_decay(problem)]
    if out[1].holds is not True:
        return out
    out += [facts.rank_X_full_row(problem), facts.sigma_distinct_eigenvalues(problem)]
    return out


def decide_square_critical_point(problem, point, *, certify: bool = True) -> DirectDecision:
    """Decide what an exactly critical point of the square loss is, from ranks and data.

    Parameters
    ----------
    problem : a deep-linear problem (square loss, no weight decay, X of full row rank,
        Sigma with distinct eigenvalues; otherwise the answer is "does not apply").
    point : a :class:`~landscape_proofs.families.deep_linear.Point`.
    certify : build a checker-verified certificate for global minima and strict saddles.

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> from landscape_proofs.families.deep_linear import Point
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [2, 2, 2, 2],
    ...                        "Y": [[27, 0], [0, 1]], "loss": "square"})
    >>> d = [[3, 0], [0, 0]]
    >>> decide_square_critical_point(p, Point.of(p, [d, d, d])).kind.value
    'non-strict-saddle'
    """
    checks = assumption_checks(problem)
    bad = next((a for a in checks if a.holds is not True), None)
    if bad is not None:
        return DirectDecision(False, None, bad.failure_message(), tuple(checks))
    obj = exact_objective(problem)
    W = exact_weights(point)
    g = obj.gradient_vector(W)
    nz = next((i for i, x in enumerate(g) if x != 0), None)
    crit = AssumptionCheck("the point is critical", nz is None,
                           "the exact gradient is 0" if nz is None else
                           f"gradient entry {nz} = {g[nz]} != 0")
    checks.append(crit)
    if nz is not None:
        return DirectDecision(False, None, crit.failure_message(), tuple(checks))
    H = problem.depth
    widths = problem.widths
    R = obj.product(W)
    r = rank(R)
    r_max = problem.max_rank
    value = obj.value(W)
    X, Y = matrix(problem.X), matrix(problem.Y)
    partial = []
    for lo in range(1, H + 1):
        for hi in range(lo, H + 1):
            partial.append((f"W_{hi}...W_{lo}" if hi > lo else f"W_{lo}",
                            rank(_prod(W, lo, hi, widths[lo - 1]))))
    base = dict(assumptions=tuple(checks), product_rank=r, max_rank=r_max,
                partial_ranks=tuple(partial))
    s_glob = compare_with_square_optimum(X, Y, r_max, value)
    if s_glob is None:
        return DirectDecision(True, None, "the exact comparison with the closed-form optimum "
                              "was undecided", **base)
    if s_glob == 0:
        cert = _certify(problem, point, Kind.GLOBAL_MINIMUM, value,
                        {"type": "square-loss-optimum"}) if certify else None
        return DirectDecision(True, Kind.GLOBAL_MINIMUM,
                              f"the value {value} equals the closed-form optimum over rank <= {r_max}",
                              rule="value = optimum (exact)", certificate=cert, **base)
    s_r = compare_with_square_optimum(X, Y, r, value) if r < r_max else s_glob
    if s_r is None:
        return DirectDecision(True, None, f"the exact comparison with the rank-{r} optimum was "
                              "undecided", **base)
    if s_r > 0:
        cert = _certify_strict_from_hessian(problem, point, obj, W, value) if certify else None
        if certify and cert is None:
            return _disagreement("strict saddle (not the best rank-r fit)", base)
        return DirectDecision(
            True, Kind.STRICT_SADDLE,
            f"rank(W_H...W_1) = {r} and the value {value} exceeds the optimum over rank <= {r}: "
            "the kept eigen-directions of Sigma are not the top ones",
            rule="not the best rank-r fit => strict saddle (Achour et al.; reconstructed reading)",
            reconstructed=True, certificate=cert, **base)
    # r < r_max and R is the best rank-r fit: the pair rule
    G = obj.function_gradient(W)
    witness = None
    for j in range(1, H + 1):
        for k in range(j + 1, H + 1):
            Ak = _prod(W, k + 1, H, widths[H])
            Bj = _prod(W, 1, j - 1, widths[0])
            Gamma = Ak.transpose() * G * Bj.transpose()
            if all(x == 0 for x in Gamma.entries()):
                continue
            M = _prod(W, j + 1, k - 1, widths[j])
            rM = rank(M)
            rA = rank(_prod(W, j + 1, H, widths[j]))
            rB = rank(_prod(W, 1, k - 1, widths[0]))
            if rA < rM:
                witness = PairWitness(j, k, "kernel of A_j", rM, rA, rB)
            elif rB < rM:
                witness = PairWitness(j, k, "complement of col(B_k)", rM, rA, rB)
            if witness:
                break
        if witness:
            break
    if witness is not None:
        cert = _certify_strict_from_pair(problem, point, obj, W, value, G, witness) if certify else None
        if certify and cert is None:
            return _disagreement(f"strict saddle ({witness.describe()})", base)
        return DirectDecision(
            True, Kind.STRICT_SADDLE,
            f"rank(W_H...W_1) = {r} < r_max = {r_max}, best rank-{r} fit, and {witness.describe()}",
            rule="pair rule => strict saddle (sufficiency proven; the direction is built)",
            witness=witness, certificate=cert, **base)
    return DirectDecision(
        True, Kind.NON_STRICT_SADDLE,
        f"rank(W_H...W_1) = {r} < r_max = {r_max}, the best rank-{r} fit, and no pair of layers "
        "j < k has Gamma_kj != 0 with a rank drop around M_kj: the Hessian is positive "
        "semidefinite (reconstructed rule) and the point is not a minimum (every local minimum "
        "is global here)",
        rule="no pair => non-strict saddle (reconstructed; checked against exact inertia in tests)",
        reconstructed=True, **base)


def _disagreement(predicted: str, base: dict) -> DirectDecision:
    """The rule predicted a strict saddle but no certificate could be built: never guess."""
    return DirectDecision(True, None, f"the rank rule predicts a {predicted} but no checked "
                          "negative-curvature certificate could be built; please report this "
                          "instance (the reading of the theorem may be wrong)", **base)


# --- certificates ---------------------------------------------------------------------------
def _mat_json(M) -> list:
    return [[format_exact(to_fraction(M[i, j])) for j in range(M.ncols())] for i in range(M.nrows())]


def _certify(problem, point, kind: Kind, value, evidence: dict) -> Certificate | None:
    cert = Certificate(claim=kind.value, problem=problem, point=point, value=value,
                       evidence=evidence, method="direct rank test (theorems/direct.py)")
    return cert if check_certificate(cert.to_json()).valid else None


def _t2(obj, W, V) -> flint.fmpq:
    co = obj.value_along(W, [V]).coeffs()
    return co[2] if len(co) > 2 else Q(0)


def _ascent(obj, W, problem):
    """A single-layer direction e_a e_b^T with A_k e_a != 0 and e_b^T B_k X != 0 (t^2 coeff > 0)."""
    H, widths = problem.depth, problem.widths
    X = matrix(problem.X)
    for k in range(1, H + 1):
        Ak = _prod(W, k + 1, H, widths[H])
        BkX = _prod(W, 1, k - 1, widths[0]) * X
        cols = [a for a in range(Ak.ncols()) if any(Ak[i, a] != 0 for i in range(Ak.nrows()))]
        rows = [b for b in range(BkX.nrows()) if any(BkX[b, i] != 0 for i in range(BkX.ncols()))]
        if cols and rows:
            V = [zeros(r, c) for r, c in problem.shapes]
            V[k - 1][cols[0], rows[0]] = 1
            if _t2(obj, W, V) > 0:
                return V
    Hm = obj.hessian(W)
    u = negative_direction(-Hm)
    return obj.unflatten(u) if u is not None else None


def _strict_certificate(problem, point, obj, W, value, V) -> Certificate | None:
    U = _ascent(obj, W, problem)
    if U is None:
        return None
    ev = {"type": "negative-curvature", "direction": [_mat_json(M) for M in V],
          "ascent_direction": [_mat_json(M) for M in U]}
    return _certify(problem, point, Kind.STRICT_SADDLE, value, ev)


def _certify_strict_from_hessian(problem, point, obj, W, value):
    v = negative_direction(obj.hessian(W))
    if v is None:
        return None
    return _strict_certificate(problem, point, obj, W, value, obj.unflatten(v))


def _vec_col(v) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(v), 1, list(v))


def _certify_strict_from_pair(problem, point, obj, W, value, G, wit: PairWitness):
    """Build V_j = z w^T, V_k = alpha beta^T from the witness and scale the free one."""
    H, widths = problem.depth, problem.widths
    j, k = wit.j, wit.k
    Ak = _prod(W, k + 1, H, widths[H])
    Bj = _prod(W, 1, j - 1, widths[0])
    Gamma = Ak.transpose() * G * Bj.transpose()
    a, b = next((a, b) for a in range(Gamma.nrows()) for b in range(Gamma.ncols()) if Gamma[a, b] != 0)
    M = _prod(W, j + 1, k - 1, widths[j])
    if wit.side == "kernel of A_j":
        Aj = _prod(W, j + 1, H, widths[j])
        z = next(_vec_col(v) for v in nullspace(Aj) if any(x != 0 for x in (M * _vec_col(v)).entries()))
        beta = M * z
    else:
        Bk = _prod(W, 1, k - 1, widths[0])
        beta = next(_vec_col(v) for v in nullspace(Bk.transpose())
                    if any(x != 0 for x in (M.transpose() * _vec_col(v)).entries()))
        z = M.transpose() * beta
    Vk = zeros(widths[k], widths[k - 1])
    for c in range(widths[k - 1]):
        Vk[a, c] = beta[c, 0]
    Vj = zeros(widths[j], widths[j - 1])
    for i in range(widths[j]):
        Vj[i, b] = z[i, 0]
    free = k if wit.side == "kernel of A_j" else j

    def direction(s):
        V = [zeros(r, c) for r, c in problem.shapes]
        V[k - 1] = Vk * (s if free == k else 1)
        V[j - 1] = Vj * (s if free == j else 1)
        return V

    q1, qm = _t2(obj, W, direction(Q(1))), _t2(obj, W, direction(Q(-1)))
    quad, lin = (q1 + qm) / 2, (q1 - qm) / 2
    if lin == 0:
        return None  # cannot happen when Gamma_ab != 0 (see module docstring)
    s = -lin / (2 * quad) if quad > 0 else (Q(-1) if lin > 0 else Q(1))
    V = direction(s)
    if not _t2(obj, W, V) < 0:
        return None
    return _strict_certificate(problem, point, obj, W, value, V)


def is_hessian_psd(problem, point) -> bool:
    """Exact inertia of the Hessian (used by tests to cross-check the reconstructed rule)."""
    obj = exact_objective(problem)
    return inertia(obj.hessian(exact_weights(point))).negative == 0
