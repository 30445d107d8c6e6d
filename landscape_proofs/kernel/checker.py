"""The trusted kernel: re-check a certificate from scratch, exactly.

This module imports only the exact layer, the problem definitions and the losses.  It
reads the embedded problem and point, recomputes every quantity it needs (value, gradient,
Hessian, orbit tangent, values along curves, the optimum of the square loss) in rational
arithmetic, and uses the evidence only as *hints that it verifies*: a direction, a curve,
a better point, a multiplier.  A number in the evidence that can be recomputed is
recomputed, never read.  See docs/certificates.md for each claim's argument.
"""
from __future__ import annotations

import flint

from landscape_proofs.kernel.census import census_global, check_census_certificate
from landscape_proofs.kernel.congruence import inertia_by_blocks, inertia_with_hint
from landscape_proofs.kernel.critical_values import (isolate_global, nuclear_norm_optimum,
                                                     psd_rank_optimum)
from landscape_proofs.kernel.enclosure import check_enclosure, is_enclosure_point
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel import limits
from landscape_proofs.kernel.gram import check_gram_identity
from landscape_proofs.kernel.linalg import identity as linalg_identity, inertia, nullspace, rank
from landscape_proofs.kernel.losses import L1, Square
from landscape_proofs.kernel.model import Problem, read_matrix, read_point, read_problem
from landscape_proofs.kernel.numbers import read_rational as _q
from landscape_proofs.kernel.objective import Objective, lowest_order
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.kernel.product import check_product_census
from landscape_proofs.kernel.shallow import check_shallow_certificate, is_shallow_certificate
from landscape_proofs.kernel.sos import check_sos
from landscape_proofs.kernel.verdict import CLAIMS, CheckResult, Rejected

FORMAT = "landscape-certificate/1"


class _Ctx:
    """What the checker recomputes about the point, computed lazily, once."""

    def __init__(self, problem: Problem, weights):
        self.problem = problem
        self.obj = Objective(problem)
        self.W = weights
        self._cache = {}
        self.relies_on: list[str] = []

    def get(self, key, fn):
        return self._cache[key] if key in self._cache else self._cache.setdefault(key, fn())

    @property
    def value(self):
        return self.get("value", lambda: self.obj.value(self.W))

    @property
    def E(self):
        return self.get("E", lambda: self.obj.loss_argument(self.W))

    def hessian(self):
        return self.get("H", lambda: self.obj.hessian(self.W))


def check_certificate(data: object) -> CheckResult:
    """Re-verify a certificate (a parsed JSON object).

    Raises :class:`InputError` when the certificate is unusable (not an object, wrong
    format tag, malformed problem or point); returns ``CheckResult(valid=False, ...)`` when
    it is well formed but does not establish its claim.
    """
    if not isinstance(data, dict):
        raise InputError("expected a JSON object (a certificate)", got=type(data).__name__)
    if data.get("format") != FORMAT:
        raise InputError(f'expected "{FORMAT}"', field="format", got=data.get("format"))
    limits.check_numbers(data)  # size limits first, before any exact work (kernel/limits.py)
    if data.get("claim") == "census":  # every real critical point in a box (kernel/census.py)
        return check_census_certificate(data)
    if data.get("claim") == "product-census":  # critical products, no decay (kernel/product.py)
        return check_product_census(data)
    missing = [k for k in ("problem", "point") if k not in data]
    if missing:
        raise InputError(f"missing: the {'embedded problem' if missing[0] == 'problem' else 'point'}", field=missing[0])
    if is_shallow_certificate(data):  # R on rank <= p, through its lift (kernel/shallow.py)
        return check_shallow_certificate(data, check_certificate)
    try:
        problem = read_problem(data["problem"])
    except InputError as exc:
        raise exc.within("problem") from None
    limits.check_parameters(problem.n_params)
    if is_enclosure_point(data["point"]):  # an enclosure of an irrational point: enclosure.py
        enc = check_enclosure(data, problem, lambda ev, lo, hi: census_global(
            data["problem"], problem, ev, lo, hi))
        return CheckResult(enc.valid, enc.claim, enc.reason, enc.relies_on)
    try:
        weights = read_point(data["point"], problem)
    except InputError as exc:
        raise exc.within("point") from None
    claim = data.get("claim")
    ctx = _Ctx(problem, weights)
    ctx.raw_problem = data["problem"]          # for evidence that embeds a census of it
    try:
        if claim not in CLAIMS:
            raise Rejected(f"claim {claim!r} is not a certifiable kind: {', '.join(CLAIMS)}")
        if "value" in data:
            recorded = _q(data["value"], "value")
            if recorded != ctx.value:
                raise Rejected(f"recorded value {recorded} differs from the recomputed {ctx.value}")
        evidence = data.get("evidence")
        if not isinstance(evidence, dict):
            raise Rejected("evidence is missing or not an object")
        reason = _HANDLERS[claim](ctx, evidence)
    except Rejected as exc:
        return CheckResult(False, str(claim), str(exc), tuple(ctx.relies_on))
    except InputError as exc:
        return CheckResult(False, str(claim), f"malformed evidence: {exc}", tuple(ctx.relies_on))
    except (LandscapeError, ZeroDivisionError, ArithmeticError) as exc:
        return CheckResult(False, str(claim), f"cannot be checked: {exc}", tuple(ctx.relies_on))
    return CheckResult(True, claim, reason, tuple(ctx.relies_on))


# --- reading evidence ----------------------------------------------------------------------
def _weights_like(ctx: _Ctx, data, name):
    """A list of H matrices shaped like the weights, exactly."""
    shapes = ctx.problem.shapes
    if not isinstance(data, list) or len(data) != len(shapes):
        raise Rejected(f"{name}: expected {len(shapes)} matrices shaped like the weights")
    return [read_matrix(M, f"{name}[{k}]", shape) for k, (M, shape) in enumerate(zip(data, shapes))]


def _curve(ctx: _Ctx, data, name):
    if not isinstance(data, list) or not data or len(data) > 12:
        raise Rejected(f"{name}: expected a list of 1 to 12 coefficient lists [C_1, C_2, ...]")
    return [_weights_like(ctx, C, f"{name}[{j}]") for j, C in enumerate(data)]


# --- facts ------------------------------------------------------------------------------------
def _require_smooth(ctx: _Ctx):
    loss = ctx.problem.loss
    if isinstance(loss, L1):
        kinks = loss.kinks(ctx.E)
        if kinks:
            raise Rejected(f"the l1 loss has a kink here (zero residuals {kinks}); this needs it smooth")
        return
    if not loss.polynomial:
        raise Rejected("the loss is not polynomial; the exact checker cannot use derivatives")


def _require_critical(ctx: _Ctx):
    _require_smooth(ctx)
    g = ctx.get("g", lambda: ctx.obj.gradient_vector(ctx.W))
    nz = [i for i, x in enumerate(g) if x != 0]
    if nz:
        raise Rejected(f"not a critical point: gradient entry {nz[0]} is {g[nz[0]]}")


def _curve_order(ctx: _Ctx, coeffs):
    """(q, c): lowest order and coefficient of L(W(t)) - L(W), or None if constant."""
    return lowest_order(ctx.obj.value_along(ctx.W, coeffs), 1)


def _second_order(ctx: _Ctx, V):
    """Coefficient of t^2 in L(W + tV) (= v^T H v / 2 at a critical point)."""
    co = ctx.obj.value_along(ctx.W, [V]).coeffs()
    return co[2] if len(co) > 2 else flint.fmpq(0)


def _check_ascent(ctx: _Ctx, evidence, smooth=True):
    """Evidence that the point is not a local maximum: positive curvature or an ascent curve."""
    if "ascent_direction" in evidence and smooth:
        c2 = _second_order(ctx, _weights_like(ctx, evidence["ascent_direction"], "ascent_direction"))
        if not c2 > 0:
            raise Rejected(f"ascent_direction: second-order coefficient {c2} is not > 0")
        return "positive curvature along ascent_direction"
    if "ascent_curve" in evidence:
        low = _curve_order(ctx, _curve(ctx, evidence["ascent_curve"], "ascent_curve"))
        if low is None or not low[1] > 0:
            raise Rejected(f"ascent_curve: lowest-order change {low} is not positive")
        return f"ascent curve, L(W(t)) - L(W) = {low[1]} t^{low[0]} + ..."
    raise Rejected("nothing shows it is not a local maximum (ascent_direction or ascent_curve)")


def _slice_or_definite(ctx: _Ctx, evidence, sign: int) -> str:
    """Sufficient condition for a local min (sign=+1) or max (sign=-1).

    Second order (definite Hessian, or the slice argument), or a polynomial Gram identity
    (``certificates/gram.py``), which needs neither.
    """
    kind = evidence.get("type")
    if kind == "kink-slice" and sign > 0:
        return _kink_slice(ctx, evidence)
    if kind == "sos-local":  # kernel/sos.py (its GramRejected is a Rejected)
        return check_sos(ctx.obj, ctx.W, ctx.value, evidence, sign, local=True)
    if kind == "gram-identity":
        return check_gram_identity(ctx.obj, ctx.W, ctx.value, evidence, sign)
    _require_critical(ctx)
    H = ctx.hessian()
    if sign < 0:
        H = -H
    N = ctx.obj.n_params
    if kind == "definite-hessian":
        ine, _ = inertia_with_hint(H, evidence, _split_inertia)
        if not ine.is_pd:
            raise Rejected(f"Hessian (times {sign}) is not definite: inertia (+, -, 0) = {ine.as_tuple()}")
        return f"Hessian {'positive' if sign > 0 else 'negative'} definite ({N} parameters)"
    if kind == "slice":
        # l(U U^T) is invariant under U -> U Q, Q in O(k) only, with or without weight decay
        orthogonal = ctx.problem.weight_decay != 0 or ctx.problem.symmetric
        group = "O" if orthogonal else "GL"
        if evidence.get("group", group) != group:
            raise Rejected(f"the symmetry group here is {group} (weight decay "
                           f"{'> 0' if orthogonal else '= 0'}), not {evidence.get('group')}")
        rH, dimT = _on_slice(ctx, evidence, H, None, orthogonal)
        return (f"slice argument: Hessian semidefinite with kernel = orbit tangent of {group} "
                f"(rank {rH} + dim T {dimT} = {N})")
    raise Rejected(f"unknown evidence type {kind!r} for a local extremum (docs/certificates.md)")


def _clarke(ctx: _Ctx, ev) -> flint.fmpq_mat:
    """An l1 kink is Clarke critical: l1 o (smooth E) + decay is Clarke regular, its
    subdifferential is {J^T vec(S) + decay : S in that of l1 at E}; the evidence's S gives 0.
    Only there: for any other loss (or no kink) <S, E> is no minorant and no S is a subgradient."""
    if not (isinstance(ctx.problem.loss, L1) and ctx.problem.loss.kinks(ctx.E)):
        raise Rejected("not at a kink of the l1 loss (elsewhere use the smooth evidence)")
    S = _multiplier(ctx, ev)
    if any(x != 0 for x in ctx.obj.gradient_vector(ctx.W, S)):
        raise Rejected("not Clarke critical: J^T vec(multiplier) + decay is not 0")
    return S


def _kink_slice(ctx: _Ctx, ev) -> str:
    """A local minimum at an l1 kink.  |E_k| >= S_k E_k gives L >= h := <S, E> + decay, equal
    at W, grad h = 0; on the kinks with |S_k| < 1, L - h >= (1 - |S_k|) |E_k| grows at first
    order off N = ker J_strict.  So Hess h positive definite on N and transversal to the orbit
    (T in N: E is invariant) leaves L >= L(W) near W on a slice: a local minimum."""
    S = _clarke(ctx, ev)
    n, N, J = ctx.E.ncols(), ctx.obj.n_params, ctx.obj.jacobian(ctx.W)
    rows = [i * n + j for i, j in ctx.problem.loss.kinks(ctx.E) if abs(S[i, j]) < 1]
    Js = flint.fmpq_mat(len(rows), N, [J[r, c] for r in rows for c in range(N)])
    rank_h, dimT = _on_slice(ctx, ev, ctx.obj.hessian(ctx.W, S), Js,
                             ctx.problem.weight_decay != 0 or ctx.problem.symmetric)
    return (f"Clarke critical at an l1 kink; the smooth minorant's Hessian on N (no kink moves "
            f"at first order) has rank {rank_h} and kernel the orbit tangent (dim {dimT})")


def _columns(vectors, N):
    return flint.fmpq_mat(N, len(vectors), [v[i] for i in range(N) for v in vectors])


def _on_slice(ctx: _Ctx, ev, H, Js, orthogonal: bool):
    """(rank, dim T): H is positive semidefinite on N (ker Js; everything for None) with
    kernel the orbit tangent T, so positive definite on N transversal to the orbit."""
    N = ctx.obj.n_params
    T = _columns(ctx.obj.orbit_tangent(ctx.W, orthogonal=orthogonal), N)
    B = None if Js is None else _columns(nullspace(Js), N)
    M = H if B is None else B.transpose() * H
    if any(x != 0 for x in (M * T).entries() + ([] if Js is None else (Js * T).entries())):
        raise Rejected("the orbit tangent is not in N, or not in the Hessian's kernel")
    ine = inertia_with_hint(H if B is None else M * B, ev, _split_inertia)[0]
    dimT = rank(T)
    if ine.negative or ine.zero != dimT:
        raise Rejected(f"Hessian (on N) inertia {ine.as_tuple()}: not PSD with kernel T ({dimT})")
    return ine.positive, dimT


def _split_inertia(H):
    """Exact inertia, block by block over the components of H's nonzero pattern
    (kernel/congruence.py), each block by the characteristic polynomial."""
    return inertia_by_blocks(H, inertia)


# --- claims ----------------------------------------------------------------------------------
def _not_critical(ctx: _Ctx, ev) -> str:
    kind = ev.get("type")
    if kind == "gradient-entry":
        _require_smooth(ctx)
        idx = ev.get("index")
        g = ctx.obj.gradient_vector(ctx.W)
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < len(g):
            raise Rejected(f"index: expected a parameter index in [0, {len(g)})")
        if g[idx] == 0:
            raise Rejected(f"gradient entry {idx} is 0")
        return f"gradient entry {idx} = {g[idx]} != 0"
    if kind == "descent-curve":
        low = _curve_order(ctx, _curve(ctx, ev.get("curve"), "curve"))
        if low is None or low[0] != 1 or not low[1] < 0:
            raise Rejected(f"curve: expected a negative first-order change, got {low}")
        return f"directional derivative {low[1]} < 0 along the curve: 0 is not in the subdifferential"
    raise Rejected(f"unknown evidence type {kind!r} (expected gradient-entry or descent-curve)")


def _strict_saddle(ctx: _Ctx, ev) -> str:
    _require_critical(ctx)
    V = _weights_like(ctx, ev.get("direction"), "direction")
    c2 = _second_order(ctx, V)
    if not c2 < 0:
        raise Rejected(f"direction: v^T H v / 2 = {c2} is not negative")
    up = _check_ascent(ctx, ev)
    return f"critical; v^T H v = {2 * c2} < 0; {up}"


def _nonsmooth_saddle(ctx: _Ctx, ev) -> str:
    _clarke(ctx, ev)
    low = _curve_order(ctx, _curve(ctx, ev.get("curve"), "curve"))
    if low is None or not low[1] < 0:
        raise Rejected(f"curve: lowest-order change {low} is not negative")
    return (f"Clarke critical at an l1 kink (exact multiplier); descent curve L(W(t)) - L(W) "
            f"= {low[1]} t^{low[0]} + ...; {_check_ascent(ctx, ev, smooth=False)}")


def _non_strict_saddle(ctx: _Ctx, ev) -> str:
    _require_critical(ctx)
    ine, _ = inertia_with_hint(ctx.hessian(), ev, _split_inertia)
    if ine.negative:
        raise Rejected(f"the Hessian has {ine.negative} negative eigenvalue(s): a strict saddle")
    low = _curve_order(ctx, _curve(ctx, ev.get("curve"), "curve"))
    if low is None or not low[1] < 0:
        raise Rejected(f"curve: lowest-order change {low} is not negative")
    up = _check_ascent(ctx, ev)
    return (f"critical, Hessian PSD (inertia {ine.as_tuple()}); descent curve "
            f"L(W(t)) - L(W) = {low[1]} t^{low[0]} + ...; {up}")


def _local_minimum(ctx: _Ctx, ev) -> str:
    return _slice_or_definite(ctx, ev, +1)


def _global_minimum(ctx: _Ctx, ev) -> str:
    p, loss = ctx.problem, ctx.problem.loss
    kind = ev.get("type")
    if kind in ("census", "narrow-census"):  # a complete census puts L(W) among global values
        _require_critical(ctx)
        return census_global(ctx.raw_problem, p, ev, ctx.value, ctx.value)
    if kind == "zero-lower-bound":
        if loss.nonnegative is not True:
            raise Rejected("the loss is not proven nonnegative")
        if ctx.value != 0:
            raise Rejected(f"value {ctx.value} is not 0")
        return "value 0 equals the lower bound 0 of a nonnegative loss"
    if kind in ("sos-lower-bound", "interval-lower-bound", "sos-local"):  # sos.py; interval_bnb.py
        # an interval tree is read, like sos-local, in y = x - x0 (or z = E - E(x0)); sos-local
        # without a ball is an identity for every y: L >= c everywhere
        if kind == "sos-local" and ev.get("ball") is not None:
            raise Rejected("sos-local with a ball proves a local minimum only, not a global one")
        return check_sos(ctx.obj, ctx.W, ctx.value, ev, +1, local=kind != "sos-lower-bound")
    if kind == "square-loss-optimum":
        if p.symmetric:  # U U^T is PSD: the closed form is not its optimum
            raise Rejected("the closed-form optimum (rank <= r) is not the optimum over PSD U U^T")
        if not isinstance(loss, Square) or p.weight_decay != 0:
            raise Rejected("needs the square loss without weight decay")
        s = compare_with_square_optimum(p.X, p.Y, p.max_rank, ctx.value)
        if s is None:
            raise Rejected("could not decide the comparison with the closed-form optimum")
        if s != 0:
            raise Rejected(f"value {ctx.value} is {'above' if s > 0 else 'below'} the closed-form optimum")
        return f"value {ctx.value} equals the closed-form optimum (rank <= {p.max_rank})"
    if kind == "convex-stationary":
        m, n = p.loss_argument_shape
        if loss.convex_proven(m, n) is not True:
            raise Rejected("the loss is not proven convex (a declared fact is not a proof)")
        if p.weight_decay != 0:
            raise Rejected("weight decay breaks the function-space argument")
        # No bottleneck condition: a convex F with 0 in its (sub)differential at R is minimal
        # over *all* matrices, so F(mu(W')) >= F(R) for every W' whatever mu can reach.
        if any(x != 0 for x in _subgradient(ctx, ev).entries()):
            raise Rejected("the function-space (sub)gradient at W_H...W_1 is not 0")
        return ("proven convex loss, zero function-space (sub)gradient: "
                "W_H...W_1 minimises the loss over all matrices")
    if kind == "psd-cone-optimality":
        # l(U U^T) + lam/2 ||U||^2 = phi(Z) := l(Z) + lam/2 tr Z at Z = U U^T.  With l convex,
        # G in its subdifferential at R = U U^T (the gradient, or at l1 kinks the multiplier)
        # and S = sym(G) + lam/2 I: S >= 0 and <S, R> = 0 give, for every PSD Z, phi(Z) >=
        # phi(R) + <S, Z - R> = phi(R) + <S, Z> >= phi(R); every U' gives a PSD U' U'^T.
        m, n = p.loss_argument_shape
        if not p.symmetric or loss.convex_proven(m, n) is not True:
            raise Rejected("psd-cone-optimality needs l(U U^T) and a loss proven convex")
        G = _subgradient(ctx, ev)
        S = (G + G.transpose()) / 2
        for i in range(S.nrows()):
            S[i, i] += ctx.obj.lam / 2
        ine = inertia(S)
        if ine.negative:
            raise Rejected(f"S = sym(dl/dZ) + lam/2 I has {ine.negative} negative eigenvalue(s)")
        R = ctx.obj.product(ctx.W)
        pairing = sum((S[i, j] * R[i, j] for i in range(n) for j in range(n)), flint.fmpq(0))
        if pairing != 0:
            raise Rejected(f"<S, U U^T> = {pairing} is not 0")
        return (f"proven convex loss; S = sym(dl/dZ) + lam/2 I is PSD (inertia {ine.as_tuple()}) "
                "and <S, U U^T> = 0: U U^T minimises l(Z) + lam/2 tr Z over all PSD Z")
    if kind == "psd-rank-optimum":
        # l(U U^T) = 1/2 ||U U^T - Y||^2, U n x k: the best PSD matrix of rank <= k keeps Y's
        # k largest positive eigenvalues (critical_values.py); equal value: global
        if not p.symmetric or not isinstance(loss, Square) or loss.over_product or p.weight_decay != 0:
            raise Rejected("psd-rank-optimum needs l(U U^T) with the square loss, no weight decay")
        k = p.shapes[0][1]
        return _equals_bound(ctx, lambda: psd_rank_optimum(p.Y, k),
                             f"the optimum over PSD matrices of rank <= {k} (Y's largest "
                             "positive eigenvalues kept)")
    if kind == "isolated-critical-value":  # the least critical value, isolated (critical_values.py)
        _require_critical(ctx)
        try:
            return f"critical; {isolate_global(p, ctx.value, ctx.value)}"
        except ArithmeticError as exc:
            raise Rejected(str(exc)) from None
    if kind == "nuclear-norm-bound":
        # two layers, square loss, X = I, decay lam > 0: ||W_1||^2 + ||W_2||^2 >= 2 ||W_2 W_1||_*,
        # so L >= min over rank <= r of 1/2 ||R - Y||^2 + lam ||R||_* (critical_values.py)
        identity = p.X == linalg_identity(p.X.nrows())
        if (p.symmetric or p.sum_of_towers or len(p.shapes) != 2 or not isinstance(loss, Square)
                or loss.over_product or not identity or p.weight_decay is None
                or not p.weight_decay > 0):
            raise Rejected("nuclear-norm-bound needs two layers, the square loss, X = I, decay > 0")
        return _equals_bound(ctx, lambda: nuclear_norm_optimum(p.Y, p.weight_decay, p.max_rank),
                             f"the lower bound min 1/2 ||R - Y||^2 + lam ||R||_* over rank <= "
                             f"{p.max_rank} (||W_1||^2 + ||W_2||^2 >= 2 ||W_2 W_1||_*)")
    if kind == "nuclear-dual-bound":
        # towers of two distinct blocks B_t A_t, a decay > 0 on every entry (alpha on A, beta on
        # B), convex l, G = -dl/dR.  Hidden unit u (row A_u, column B_u): alpha_u/2 o A_u'^2 +
        # beta_u/2 o B_u'^2 >= |D_alpha_u^(1/2) A_u'| |D_beta_u^(1/2) B_u'| >= B_u'^T G A_u'^T
        # for every W' when D_alpha_u - G^T D_beta_u^(-1) G >= 0; so the decay is >= <G, B'A'>,
        # with equality at a critical W (alpha o A = B^T G, beta o B = G A^T give <G, BA> = both
        # halves); by convexity L(W') >= L(W).  A tower of one layer C: alpha/2 o C'^2 - <G, C'>
        # is least at alpha o C' = G
        towers = p.tower_decays()
        if towers is None or loss.convex_proven(*p.loss_argument_shape) is not True:
            raise Rejected("nuclear-dual-bound needs towers of 1 or 2 layers, decay > 0, a convex loss")
        G = -_subgradient(ctx, ev)    # at l1 kinks: G = -S X^T, a multiplier S with 0 in dL

        def critical(M, d, T):        # d_ij M_ij = T_ij entry by entry
            if any(d[i][j] * M[i, j] != T[i, j] for i in range(M.nrows()) for j in range(M.ncols())):
                raise Rejected("not critical with this G: alpha o A = B^T G, beta o B = G A^T fail")
        for ia, ib in towers:
            A, B, dA = ctx.W[ia], None if ib is None else ctx.W[ib], p.decay_block(ia)
            critical(A, dA, G if B is None else B.transpose() * G)     # one layer: alpha o C = G
            if B is not None:
                dB = p.decay_block(ib)
                critical(B, dB, G * A.transpose())
                for da, db in {(tuple(dA[u]), tuple(r[u] for r in dB)) for u in range(A.nrows())}:
                    M = -G.transpose() * flint.fmpq_mat(len(db), len(db), [
                        1 / x if i == j else 0 for i, x in enumerate(db) for j in range(len(db))]) * G
                    for j, x in enumerate(da):
                        M[j, j] += x
                    if inertia(M).negative:
                        raise Rejected("a hidden unit has D_alpha - G^T D_beta^-1 G not PSD: "
                                       "||D_beta^-1/2 G D_alpha^-1/2||_2 > 1")
        return "critical, ||D_beta^-1/2 (dl/dR) D_alpha^-1/2||_2 <= 1 for every hidden unit: L >= this value"
    raise Rejected(f"unknown evidence type {kind!r} for a global minimum (docs/certificates.md)")


def _subgradient(ctx: _Ctx, ev) -> flint.fmpq_mat:
    """dl/dR at R: the gradient, or S X^T with the evidence's multiplier S at l1 kinks."""
    if not (isinstance(ctx.problem.loss, L1) and ctx.problem.loss.kinks(ctx.E)):
        _require_smooth(ctx)
        return ctx.obj.function_gradient(ctx.W)
    return _multiplier(ctx, ev) * ctx.problem.X.transpose()


def _multiplier(ctx: _Ctx, ev) -> flint.fmpq_mat:
    """The evidence's S, checked to lie in the subdifferential of the l1 loss at E."""
    E = ctx.E
    S = read_matrix(ev.get("multiplier"), "multiplier", (E.nrows(), E.ncols()))
    for i in range(E.nrows()):
        for j in range(E.ncols()):
            e, s = E[i, j], S[i, j]
            if e != 0 and s != (1 if e > 0 else -1):
                raise Rejected(f"multiplier[{i}][{j}] = {s} must be sign(E_ij)")
            if e == 0 and not (-1 <= s <= 1):
                raise Rejected(f"multiplier[{i}][{j}] = {s} is outside [-1, 1]")
    return S


def _equals_bound(ctx: _Ctx, compute, what: str) -> str:
    """A global minimum: the value equals an exact lower bound that is attained."""
    try:
        bound = compute()
    except ArithmeticError as exc:
        raise Rejected(str(exc)) from None
    if ctx.value != bound:
        raise Rejected(f"value {ctx.value} is not {what}, which is {bound}")
    return f"value {ctx.value} equals {what}"


def _spurious(ctx: _Ctx, ev) -> str:
    local = ev.get("local_minimum")
    if not isinstance(local, dict):
        raise Rejected("local_minimum: expected the local-minimum evidence object")
    why = _local_minimum(ctx, local)
    better = _weights_like(ctx, ev.get("better_point"), "better_point")
    v2 = ctx.obj.value(better)
    if not v2 < ctx.value:
        raise Rejected(f"better_point has value {v2}, not below {ctx.value}")
    return f"{why}; a point with value {v2} < {ctx.value} exists"


_HANDLERS = {
    "not-critical": _not_critical,
    "strict-saddle": _strict_saddle,
    "non-strict-saddle": _non_strict_saddle,
    "nonsmooth-saddle": _nonsmooth_saddle,
    "local-maximum": lambda ctx, ev: _slice_or_definite(ctx, ev, -1),
    "local-minimum": _local_minimum,
    "global-minimum": _global_minimum,
    "spurious-local-minimum": _spurious,
}
