"""Decide what a point is, exactly, and build the certificate that proves it.

This is a *producer*: it may search, guess and use floats to find a direction, a curve, a
better point or a multiplier, but every claim it makes is one that
:mod:`landscape_proofs.kernel.checker` re-verifies before it is reported (a claim the
checker rejects becomes ``inconclusive``; that would be a bug, and tests look for it).
The arguments are documented in docs/kinds.md and docs/certificates.md.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm, gcd

import flint

from landscape_proofs.produce.certificate import Certificate, kernel_verdict
from landscape_proofs.kernel.errors import LandscapeError, NotDifferentiableError, UnsupportedError
from landscape_proofs.kernel.critical_values import (isolate_global, nuclear_norm_optimum,
                                                     psd_rank_optimum)
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.linalg import (Inertia, identity, inertia, matrix,
                                           nullspace, rank, zeros)
from landscape_proofs.kernel.numbers import format_exact, to_fmpq, to_fraction
from landscape_proofs.numeric.rationalize import rational_from_float
from landscape_proofs.core.linear import affine_solutions
from landscape_proofs.core.objective import lowest_order
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce import degenerate
from landscape_proofs.produce.sos import sos_evidence
from landscape_proofs.produce.interval_bnb import interval_evidence
from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.exact_view import exact_objective, exact_weights

Q = flint.fmpq
MAX_REDUCED_EXPANSIONS = 600      # exact curve expansions spent on reduced-quartic curves
# a certificate carries the Hessian's congruence V up to this many parameters (N^2 integers of
# about 13 digits: 15 MB of JSON at 1,100; docs/certificates.md)
CONGRUENCE_MAX_N = 1100


@dataclass(frozen=True)
class Budget:
    """How hard the producer tries before answering ``inconclusive``."""

    curve_candidates: int = 400
    better_point_starts: int = 24
    descent_steps: int = 300
    seed: int = 0


@dataclass(frozen=True)
class Classification:
    """The answer for one point: the kind, the exact value, why, and the certificate."""

    kind: Kind
    value: Fraction | None      # None: not computable exactly (non-polynomial custom loss)
    reason: str
    certificate: Certificate | None
    method: str
    gradient_is_zero: bool | None = None
    inertia: tuple[int, int, int] | None = None
    n_params: int = 0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        out = {
            "kind": self.kind.value,
            "value": None if self.value is None else format_exact(self.value),
            "reason": self.reason,
            "method": self.method,
            "gradient_is_zero": self.gradient_is_zero,
            "hessian_inertia": (None if self.inertia is None else
                                dict(zip(("positive", "negative", "zero"), self.inertia))),
            "n_params": self.n_params,
            "notes": list(self.notes),
            "certificate": self.certificate.to_json() if self.certificate else None,
        }
        return out


def classification_negative_direction(H):
    """numeric/congruence.py's float-guided negative direction (exact fallback), NumPy loaded
    only when called."""
    from landscape_proofs.numeric.congruence import classification_negative_direction as f

    return f(H)


# --- small helpers -------------------------------------------------------------------------
def _integerize(vec):
    """Scale a nonzero rational vector to coprime integers (same direction)."""
    fr = [to_fraction(x) for x in vec]
    den = 1
    for x in fr:
        den = lcm(den, x.denominator)
    ints = [int(x * den) for x in fr]
    g = 0
    for x in ints:
        g = gcd(g, x)
    g = g or 1
    return [Q(x // g) for x in ints]


def _mat_json(M) -> list:
    return [[format_exact(to_fraction(M[i, j])) for j in range(M.ncols())] for i in range(M.nrows())]


def _weights_json(mats) -> list:
    return [_mat_json(M) for M in mats]


class _Producer:
    def __init__(self, problem: Problem, point: Point, budget: Budget):
        self.problem = problem
        self.point = point
        self.budget = budget
        self.obj = exact_objective(problem)
        self.W = exact_weights(point)
        try:
            self.value = self.obj.value(self.W)
        except UnsupportedError:
            self.value = None  # a non-polynomial custom loss has no exact value here
        self.N = self.obj.n_params
        self.notes: list[str] = []
        self.rng = random.Random(budget.seed)

    # -- result builders ------------------------------------------------------------------
    def certified(self, kind: Kind, evidence: dict, method: str, **extra) -> Classification:
        cert = Certificate(claim=kind.value, problem=self.problem, point=self.point,
                           value=self.value, evidence=evidence, method=method)
        check = kernel_verdict(cert.to_json())
        if not check.valid:  # a producer bug: never report an unchecked claim
            return self.inconclusive(f"internal: the checker rejected the {kind.value} "
                                     f"certificate ({check.reason})", method, **extra)
        notes = tuple(self.notes) + tuple(f"relies on {r}" for r in check.relies_on)
        if check.relies_on:
            cert = Certificate(claim=cert.claim, problem=cert.problem, point=cert.point,
                               value=cert.value, evidence=cert.evidence, method=cert.method,
                               notes=tuple(f"relies on {r}" for r in check.relies_on))
        return Classification(kind, to_fraction(self.value), check.reason, cert, method,
                              n_params=self.N, notes=notes, **extra)

    def inconclusive(self, reason: str, method: str, **extra) -> Classification:
        value = None if self.value is None else to_fraction(self.value)
        return Classification(Kind.INCONCLUSIVE, value, reason, None, method,
                              n_params=self.N, notes=tuple(self.notes), **extra)

    # -- main -------------------------------------------------------------------------------
    def run(self) -> Classification:
        loss = self.problem.loss
        if not loss.piecewise_polynomial:
            return self.inconclusive(
                "the custom loss is not a polynomial; exact classification handles polynomial "
                "losses, the l1 loss and its kinks", "none")
        E = self.obj.loss_argument(self.W)
        if not loss.is_smooth_at(E):
            return self.run_kink(E)
        g = self.obj.gradient_vector(self.W)
        nz = [i for i, x in enumerate(g) if x != 0]
        if nz:
            best = max(nz, key=lambda i: abs(g[i]))
            return self.certified(Kind.NOT_CRITICAL, {"type": "gradient-entry", "index": best},
                                  "exact gradient", gradient_is_zero=False)
        H = self.obj.hessian(self.W)
        ine = self.hessian_inertia(H)
        extra = {"gradient_is_zero": True, "inertia": ine.as_tuple()}
        if ine.negative:
            return self.run_negative(H, ine, extra)
        return self.run_psd(H, ine, extra)

    # -- exact inertia, float-guided (numeric/congruence.py, docs/inertia.md) ------------------------
    def hessian_inertia(self, H) -> Inertia:
        """inertia(H): a float-suggested congruence checked exactly above a size threshold (the
        orbit tangent as the kernel hint), the characteristic polynomial otherwise or as the
        fallback; the congruence is kept for the certificate (:meth:`with_congruence`)."""
        try:
            T = self.obj.orbit_tangent(self.W, orthogonal=self.problem.orthogonal_symmetry)
        except (UnsupportedError, NotImplementedError, AttributeError):
            T = None
        from landscape_proofs.numeric.congruence import classification_inertia  # NumPy: lazily

        ine, how, self.congruence = classification_inertia(H, T, keep_v=self.N <= CONGRUENCE_MAX_N)
        self.inertia_method = how
        return ine

    def with_congruence(self, evidence: dict) -> dict:
        """``evidence`` plus the checked congruence V of the Hessian (docs/certificates.md), so
        that the kernel re-checks a near-diagonal matrix instead of a characteristic
        polynomial; only up to CONGRUENCE_MAX_N parameters (V has N^2 entries)."""
        V = getattr(self, "congruence", None)
        if V is None or V.nrows() > CONGRUENCE_MAX_N:
            return evidence
        from landscape_proofs.numeric.congruence import congruence_json

        return {**evidence, "congruence": congruence_json(V)}

    # -- Hessian with a negative eigenvalue ---------------------------------------------------------
    def run_negative(self, H, ine: Inertia, extra) -> Classification:
        if ine.positive == 0:
            ev = self.second_order_evidence(-H, ine_neg=Inertia(ine.negative, 0, ine.zero))
            if ev is not None:
                return self.certified(Kind.LOCAL_MAXIMUM, ev, "exact Hessian inertia", **extra)
        v = _integerize(classification_negative_direction(H))
        evidence = {"type": "negative-curvature",
                    "direction": _weights_json(self.obj.unflatten(v))}
        up = self.ascent_evidence(H, ine)
        if up is None and ine.positive == 0:   # no ascent found: perhaps a degenerate maximum
            decided = degenerate.decide(self, ine, [], True, extra)
            if decided is not None:
                return decided
        if up is None:
            return self.inconclusive(
                "the Hessian is negative semidefinite and nothing proves the point is not a "
                "local maximum", "exact Hessian inertia", **extra)
        evidence.update(up)
        return self.certified(Kind.STRICT_SADDLE, evidence, "exact Hessian inertia", **extra)

    def ascent_evidence(self, H, ine: Inertia, curves=()):
        if ine.positive:
            u = _integerize(classification_negative_direction(-H))
            return {"ascent_direction": _weights_json(self.obj.unflatten(u))}
        for V, order, c in curves:
            if c > 0:
                return {"ascent_curve": [_weights_json(V)]}
            if order % 2 == 1:  # t -> -t flips the sign of an odd lowest order
                return {"ascent_curve": [_weights_json([-M for M in V])]}
        for V, order, c in self.curve_candidates(H):
            if c > 0:
                return {"ascent_curve": [_weights_json(V)]}
            if order % 2 == 1:
                return {"ascent_curve": [_weights_json([-M for M in V])]}
        return None

    # -- second-order sufficient conditions -----------------------------------------------------
    def second_order_evidence(self, H, ine_neg=None):
        """Evidence that H (already sign-adjusted) certifies a strict local optimum mod symmetry."""
        ine = ine_neg or inertia(H)
        if ine.negative:
            return None
        if ine.is_pd:
            return self.with_congruence({"type": "definite-hessian"})
        orthogonal = self.problem.orthogonal_symmetry  # weight decay, or O(k): U -> U Q
        T = self.obj.orbit_tangent(self.W, orthogonal=orthogonal)
        if not T:
            return None
        Tm = flint.fmpq_mat(self.N, len(T), [T[j][i] for i in range(self.N) for j in range(len(T))])
        if any(x != 0 for x in (H * Tm).entries()):
            return None
        if (self.N - ine.zero) + rank(Tm) != self.N:
            return None
        return self.with_congruence({"type": "slice", "group": "O" if orthogonal else "GL"})

    # -- PSD Hessian --------------------------------------------------------------------------------
    def run_psd(self, H, ine: Inertia, extra) -> Classification:
        glob, above = self.global_evidence()
        if glob is not None:
            return self.certified(Kind.GLOBAL_MINIMUM, glob, "exact lower bound", **extra)
        local = self.second_order_evidence(H, ine)
        if local is not None:
            better = self.find_better_point()
            if better is not None:
                ev = {"local_minimum": local, "better_point": _weights_json(better)}
                return self.certified(Kind.SPURIOUS_LOCAL_MINIMUM, ev,
                                      "second order + exact better point", **extra)
            if above:
                self.notes.append("the value exceeds the exact global optimum, so this local "
                                  "minimum is spurious, but no better rational point was found "
                                  "within the budget to certify it")
            return self.certified(Kind.LOCAL_MINIMUM, local, "second order (exact)", **extra)
        curves = []                     # the straight lines tried (the ascent evidence reads them)

        def straight():
            for V, order, c in self.curve_candidates(H):
                curves.append((V, order, c))
                yield [V], order, c

        n_tried, descended = 0, False
        for how, candidates in (("descent curve", straight()),
                                ("weighted descent curve", self.weighted_curve_candidates()),
                                ("reduced quartic curve", self.reduced_quartic_curves(H))):
            for coeffs, order, c in candidates:
                n_tried += 1
                descended = descended or c < 0
                if c < 0:
                    evidence = self.with_congruence({"type": "descent-curve",
                                                     "curve": [_weights_json(C) for C in coeffs]})
                    up = self.ascent_evidence(H, ine, curves)
                    if up is not None:
                        evidence.update(up)
                        return self.certified(Kind.NON_STRICT_SADDLE, evidence,
                                              f"exact Hessian inertia + {how}", **extra)
        decided = degenerate.decide(self, ine, curves, descended, extra)   # higher order
        if decided is not None:
            return decided
        return self.inconclusive(
            f"the Hessian is positive semidefinite with a kernel of dimension {ine.zero} larger "
            f"than the symmetry orbit's tangent, and none of {n_tried} polynomial curves "
            "tried descends; second order cannot decide and no certificate was found"
            + degenerate.why_not(self.problem, self.N),
            "exact Hessian inertia + descent-curve search", **extra)

    # -- global lower bounds ------------------------------------------------------------------------
    def global_evidence(self):
        """(evidence, above): a global-minimum certificate, and whether the value is known
        to exceed the global optimum."""
        p, loss = self.problem, self.problem.loss
        if loss.nonnegative is True and self.value == 0:
            return {"type": "zero-lower-bound"}, False
        above = False
        nuclear = self.nuclear_norm_optimum()
        if nuclear is not None:
            if nuclear == self.value:
                return {"type": "nuclear-norm-bound"}, False
            above = self.value > nuclear     # the bound is attained (balanced factors)
        # not for l(U U^T): the closed form ignores the PSD constraint (checker refuses it)
        if loss.square_like and p.weight_decay == 0 and p.rank_set_product:
            s = compare_with_square_optimum(matrix(p.X), matrix(p.Y), p.max_rank, self.value)
            if s == 0:
                return {"type": "square-loss-optimum"}, False
            above = s == 1
            if s is None:
                self.notes.append("comparison with the closed-form optimum undecided")
        if p.psd_product and loss.convex_proven(*p.loss_argument_shape) is True:
            ev = self.psd_cone_optimality()   # checker: psd-cone-optimality
            if ev is not None:
                return ev, False
        if p.psd_product and loss.square_like and not loss.over_product and p.weight_decay == 0:
            try:   # the best PSD matrix of rank <= k (when psd-cone optimality cannot apply)
                if psd_rank_optimum(matrix(p.Y), p.shapes[0][1]) == self.value:
                    return {"type": "psd-rank-optimum"}, False
            except ArithmeticError:
                pass
        if loss.convex_proven(*p.loss_argument_shape) is True and p.weight_decay == 0:
            E = self.obj.loss_argument(self.W)
            if loss.is_smooth_at(E):
                G = self.obj.function_gradient(self.W)
                if all(x == 0 for x in G.entries()):
                    return {"type": "convex-stationary"}, False
            elif loss.piecewise_linear_kinks:
                S = self.l1_multiplier(E)
                if S is not None:
                    return {"type": "convex-stationary", "multiplier": _mat_json(S)}, False
        dual = self.nuclear_dual()
        if dual is not None:
            return dual, False
        iso = self.isolated_critical_value()
        if iso is not None:
            return iso, False
        if not loss.square_like and degenerate.applicable(p, self.N):  # produce/sos.py
            ev = sos_evidence(self.obj, self.W, self.value)   # (1+|x|^2)^k (L - value) is SOS
            if ev is not None:
                return ev, False
        if not loss.square_like and loss.polynomial:   # the fallback: produce/interval_bnb.py
            ev, why = interval_evidence(self.obj, self.W, self.value)
            if ev is not None:
                return ev, False
            self.notes.append(f"no interval branch-and-bound lower bound: {why}")
        return None, above

    def psd_cone_optimality(self):
        """l(U U^T) + lam/2 ||U||^2, l convex: with G the gradient of l at R = U U^T (at l1
        kinks, G = a Clarke multiplier S), S = sym(G) + lam/2 I PSD with <S, R> = 0 makes R
        the minimum of the convex l(Z) + lam/2 tr Z over all PSD Z.  Evidence, or None; the
        kernel decides (``holds``), this only proposes the multiplier."""
        E, ev = self.obj.loss_argument(self.W), {"type": "psd-cone-optimality"}
        if not self.problem.loss.is_smooth_at(E):
            if not self.problem.loss.piecewise_linear_kinks:
                return None
            S = self.clarke_multiplier(E)   # makes (sym(S) + lam/2 I) U = 0, so <., R> = 0
            if S is None:
                return None
            ev["multiplier"] = _mat_json(S)
        return ev if self.holds(Kind.GLOBAL_MINIMUM, ev) else None

    def isolated_critical_value(self):
        """Square loss with a scalar decay (deep linear or towers of two layers, X X^T = c I)
        or l(U U^T): the value is the least of the exactly known critical values
        (kernel/critical_values.py)."""
        p = self.problem
        if (not p.loss.square_like or not one_chain(p) or isinstance(p.weight_decay, tuple)
                or (p.weight_decay == 0 and not p.psd_product)):
            return None
        try:
            isolate_global(read_problem(p.to_dict()), to_fmpq(self.value), to_fmpq(self.value))
        except (ArithmeticError, LandscapeError):
            return None
        return {"type": "isolated-critical-value"}

    def nuclear_dual(self):
        """Evidence nuclear-dual-bound, or None.  Towers of two layers ``B A`` (or one: ``alpha
        o C = G``), a decay > 0 on every entry (alpha on A, beta on B), a convex loss: at a
        critical point (at l1 kinks: with a multiplier S making ``alpha o A = B^T G``, ``beta o
        B = G A^T`` for ``G = -S X^T``), ``D_alpha_u - G^T D_beta_u^-1 G >= 0`` for every hidden
        unit u (row u of A, column u of B) proves it global (``alpha_u/2 o A_u^2 + beta_u/2 o
        B_u^2 >= |D_alpha_u^1/2 A_u| |D_beta_u^1/2 B_u| >= B_u^T G A_u^T`` and convexity), for any
        data X.  The kernel decides (``holds``); this only proposes."""
        p, loss = self.problem, self.problem.loss
        if (p.psd_product or not p.weight_decay and not isinstance(p.weight_decay, tuple)
                or loss.convex_proven(*p.loss_argument_shape) is not True):
            return None
        try:
            kp = read_problem(p.to_dict())
        except LandscapeError:
            return None
        towers = kp.tower_decays()   # the kernel's own guard
        if towers is None:
            return None
        E = self.obj.loss_argument(self.W)
        ev = {"type": "nuclear-dual-bound"}
        if loss.piecewise_linear_kinks and not loss.is_smooth_at(E):
            X = matrix(p.X)

            def times(d, M):       # entrywise decay o M
                return flint.fmpq_mat(M.nrows(), M.ncols(), [d[i][j] * M[i, j] for i in range(
                    M.nrows()) for j in range(M.ncols())])

            def equations(S):      # alpha o A - B^T G and beta o B - G A^T with G = -S X^T
                G, out = -(S * X.transpose()), []
                for ia, ib in towers:
                    A = self.W[ia]
                    if ib is None:                  # one layer C: alpha o C = G
                        out += list((times(kp.decay_block(ia), A) - G).entries())
                        continue
                    B = self.W[ib]
                    out += list((times(kp.decay_block(ia), A) - B.transpose() * G).entries())
                    out += list((times(kp.decay_block(ib), B) - G * A.transpose()).entries())
                return out
            S = self.l1_multiplier(E, equations,
                                   small=lambda S: list((S * X.transpose()).entries()))
            if S is None:
                return None
            ev["multiplier"] = _mat_json(S)
        elif not loss.is_smooth_at(E):
            return None
        return ev if self.holds(Kind.GLOBAL_MINIMUM, ev) else None

    def nuclear_norm_optimum(self):
        """Two layers, square loss, X = I, scalar decay > 0: the exact lower bound of
        kernel/critical_values.py when Y's singular values are rational, else None."""
        p, loss = self.problem, self.problem.loss
        if (not loss.square_like or loss.over_product or p.weight_decay == 0 or p.psd_product
                or p.sum_of_towers or not p.layered or len(p.shapes) != 2
                or getattr(p, "decay_entries", None) is not None):     # scalar decay only
            return None
        X = matrix(p.X)
        if X.nrows() != X.ncols() or X != identity(X.nrows()):
            return None
        try:
            return nuclear_norm_optimum(matrix(p.Y), Q(p.weight_decay.numerator,
                                                       p.weight_decay.denominator), p.max_rank)
        except ArithmeticError:
            return None

    # -- descent curves -------------------------------------------------------------------------------
    def curve_candidates(self, H):
        """Yield (V, order, coefficient) for degree-one curves W + tV whose value changes."""
        tried = 0
        limit = self.budget.curve_candidates
        for V in self._candidate_directions(H):
            if tried >= limit:
                return
            tried += 1
            low = lowest_order(self.obj.value_along(self.W, [V]), 1)
            if low is not None:
                yield V, low[0], low[1]

    def _chains(self):
        """(first, n_layers, V) for chains of unit entries through every layer of one tower:
        V_k = s_k e_{i_k} e_{i_{k-1}}^T (multi-tower: the other towers' layers 0)."""
        towers = tuple(c.widths for c in self.problem.chains())  # U U^T: one "layer" U, k -> n
        first = 0  # index of the tower's W_1 among all layers
        for widths in towers:
            ranges = [range(d) for d in widths]
            for path in itertools.product(*ranges):
                for last_sign in (1, -1):
                    V = [zeros(r, c) for r, c in self.problem.shapes]
                    for k in range(len(widths) - 1):
                        V[first + k][path[k + 1], path[k]] = last_sign if k == len(widths) - 2 else 1
                    yield first, len(widths) - 1, V
            first += len(widths) - 1

    def weighted_curve_candidates(self):
        """Yield (coefficients, order, c) for curves W_k + t^{a_k} V_k along a chain V.

        Unequal exponents reach descent that no straight line sees: where a middle layer is 0,
        the product can move at order a_1 + ... + a_H in an entry that lowers the loss while
        the entries that raise it move at order a_mid only, adding 2 a_mid to the loss's
        order; a_1 + ... + a_H < 2 a_mid descends first (tests/test_known_answers.py: the
        ICLR-2018 three-layer example, exponents (1, 2, 1), change -t^4/2).
        """
        limit = self.budget.curve_candidates
        tried = 0
        chains = list(self._chains())
        for n_layers in sorted({n for _, n, _ in chains}):
            exps = sorted((a for a in itertools.product(range(1, 4), repeat=n_layers)
                           if len(set(a)) > 1), key=lambda a: (sum(a), a))
            for a in exps:
                for first, n, V in chains:
                    if n != n_layers:
                        continue
                    if tried >= limit:
                        return
                    tried += 1
                    coeffs = [[zeros(r, c) for r, c in self.problem.shapes] for _ in range(max(a))]
                    for k in range(n):
                        coeffs[a[k] - 1][first + k] = V[first + k]
                    low = lowest_order(self.obj.value_along(self.W, coeffs), 1)
                    if low is not None:
                        yield coeffs, low[0], low[1]

    def reduced_quartic_curves(self, H, max_params: int = 64):
        """Yield (coefficients, order, c) for curves ``W + t d + t^2 w``, ``d`` in the Hessian's
        kernel with no cubic term along it, ``w`` chosen to make the t^4-coefficient
        ``f4(d)/24 + g.w + 1/2 w^T H w`` most negative (``g = [s^2] grad L(W + s d)``, the
        restricted cubic form's gradient): ``w = -H^+ g`` when ``g`` is orthogonal to the
        kernel, else a large step along a kernel vector ``k`` with ``g.k != 0`` (the
        coefficient is then unbounded below).  Peano's ``(x - y^2)(x - 2 y^2)`` at 0 is the
        classic case: no line descends, the parabola ``x = 3/2 t^2, y = t`` does (-t^4/4).
        Every curve is evaluated exactly; only a negative lowest coefficient is used, and the
        kernel re-evaluates the curve from the certificate."""
        N = self.N
        if N > max_params:
            return
        ker = nullspace(H)
        if not ker:
            return
        # the reduced quartic is even in d (w(-d) = w(d)): one sign per direction; each direction
        # costs N + 2 exact expansions, so at most MAX_REDUCED_EXPANSIONS in all
        dirs = [list(v) for v in ker]
        for _ in range(min(20, 4 * len(ker))):
            cs = [self.rng.randint(-2, 2) for _ in ker]
            v = [sum((c * b[i] for c, b in zip(cs, ker)), Q(0)) for i in range(N)]
            if any(x != 0 for x in v):
                dirs.append(v)
        zero = [0] * N
        for d in dirs[:min(self.budget.curve_candidates, max(1, MAX_REDUCED_EXPANSIONS // (N + 2)))]:
            D = self.obj.unflatten(d)
            base = self.obj.value_along(self.W, [D])
            low = lowest_order(base, 1)
            if low is not None and low[0] < 4:
                continue                        # a cubic term: the straight lines decide
            g = []
            for i in range(N):                  # g_i = [t^5] (L(W + t d + t^3 e_i) - L(W + t d))
                e = list(zero)
                e[i] = 1
                diff = self.obj.value_along(self.W, [D, self.obj.unflatten(zero),
                                                     self.obj.unflatten(e)]) - base
                cf = diff.coeffs()
                g.append(Q(cf[5]) if len(cf) > 5 else Q(0))
            f4 = Q(base.coeffs()[4]) if len(base.coeffs()) > 4 else Q(0)
            k = next((v for v in ker if sum((a * b for a, b in zip(v, g)), Q(0)) != 0), None)
            if k is not None:
                gk = sum((a * b for a, b in zip(k, g)), Q(0))
                alpha = (abs(f4) / 24 + 1) / gk           # g.w = -(|f4|/24 + 1) with w = -alpha k
                w = [-alpha * x for x in k]
            else:
                sol = affine_solutions(H, [-x for x in g])
                if sol is None:
                    continue
                w = sol[0]
            coeffs = [D, self.obj.unflatten(w)]
            low = lowest_order(self.obj.value_along(self.W, coeffs), 1)
            if low is not None:
                yield coeffs, low[0], low[1]

    def _candidate_directions(self, H):
        # 1. chains of unit entries through every layer
        for _, _, V in self._chains():
            yield V
        # 2. kernel directions of the Hessian and random small combinations of them
        ker = nullspace(H)
        for v in ker:
            for s in (1, -1):
                yield self.obj.unflatten([s * x for x in v])
        for _ in range(min(50, 5 * len(ker))):
            coeffs = [self.rng.randint(-2, 2) for _ in ker]
            v = [sum((c * b[i] for c, b in zip(coeffs, ker)), Q(0)) for i in range(self.N)]
            if any(x != 0 for x in v):
                yield self.obj.unflatten(v)

    # -- better points ------------------------------------------------------------------------------
    def find_better_point(self):
        """An exact point with a strictly lower value, from a short numeric search.

        Each float candidate is rounded to the simplest rationals first (denominators up to
        10, then 100, 1000, 10^6), so that a certificate carries a readable better point
        (e.g. a rotation by (4/5, 3/5) rather than six-digit fractions) whenever one works."""
        from landscape_proofs.numeric.descent import candidate_points  # producer-only, float64

        for cand in candidate_points(self.problem, self.budget):
            for den in (10, 100, 1000, 10**6):
                Wc = [matrix([[rational_from_float(x, den) for x in row] for row in M])
                      for M in cand]
                if self.obj.value(Wc) < self.value:
                    return Wc
        return None

    # -- the l1 loss at a kink ------------------------------------------------------------------------
    def run_kink(self, E) -> Classification:
        loss = self.problem.loss
        kinks = loss.kinks(E)
        V = self.l1_descent_direction(E, kinks)
        if V is not None:
            return self.certified(Kind.NOT_CRITICAL, {"type": "descent-curve", "curve": [_weights_json(V)]},
                                  "exact one-sided directional derivative", gradient_is_zero=False)
        if self.value == 0:
            return self.certified(Kind.GLOBAL_MINIMUM, {"type": "zero-lower-bound"}, "exact lower bound")
        glob, _ = self.global_evidence()
        if glob is not None:
            return self.certified(Kind.GLOBAL_MINIMUM, glob, "exact subgradient multiplier")
        S = self.clarke_multiplier(E)
        if S is None:
            why = "0 is not in the Clarke subdifferential by any multiplier found"
        else:
            local = {"type": "kink-slice", "multiplier": _mat_json(S)}
            if self.holds(Kind.LOCAL_MINIMUM, local):
                better = self.find_better_point()
                if better is not None:
                    return self.certified(Kind.SPURIOUS_LOCAL_MINIMUM,
                                          {"local_minimum": local, "better_point": _weights_json(better)},
                                          "Clarke multiplier + minorant slice + better point")
                return self.certified(Kind.LOCAL_MINIMUM, local, "Clarke multiplier + minorant slice")
            saddle, why = self.kink_saddle(S)
            if saddle is not None:
                return self.certified(Kind.NONSMOOTH_SADDLE, saddle,
                                      "Clarke multiplier + descent and ascent curves")
        return self.inconclusive(
            f"the l1 loss has a kink here (zero residual entries {kinks}); no first-order "
            f"descent direction was found, and {why}",
            "directional derivatives (LP hint) + Clarke multiplier")

    def holds(self, kind: Kind, evidence: dict) -> bool:
        """Whether the kernel accepts this claim here (to choose between routes quietly)."""
        return kernel_verdict(Certificate(claim=kind.value, problem=self.problem, point=self.point,
                                          value=self.value, evidence=evidence,
                                          method="").to_json()).valid

    def clarke_multiplier(self, E):
        """S in the l1 subdifferential at E with J^T vec(S) + decay = 0 exactly (0 in the
        Clarke subdifferential), as many kink entries strictly inside (-1, 1) as the LP finds."""
        J = self.obj.jacobian(self.W)
        theta = self.obj.flatten(self.W)
        decay = getattr(self.obj, "decay", None) or [self.obj.lam] * self.N

        def clarke(S):
            g = J.transpose() * flint.fmpq_mat(J.nrows(), 1, S.entries())
            return [g[i, 0] + decay[i] * theta[i] for i in range(self.N)]

        return self.l1_multiplier(E, affine=clarke, interior=True)

    def kink_saddle(self, S):
        """(evidence, why not): a saddle at a Clarke-critical l1 kink: a curve descends and one
        ascends, each evaluated exactly for small t > 0 (residuals keep their lowest-order
        signs)."""
        down = up = None
        lines = ((([V], *low)) for V in self._kink_directions()
                 for low in [lowest_order(self.obj.value_along(self.W, [V]), 1)] if low)
        for coeffs, _, c in itertools.chain(lines, self.kink_manifold_curves(S),
                                            self.weighted_curve_candidates()):
            if c < 0 and down is None:
                down = coeffs
            elif c > 0 and up is None:
                up = coeffs
            if down is not None and up is not None:
                return {"type": "kink", "multiplier": _mat_json(S),
                        "curve": [_weights_json(C) for C in down],
                        "ascent_curve": [_weights_json(C) for C in up]}, ""
        return None, ("it is Clarke critical, but the smooth minorant's second-order condition "
                      "does not hold and no tried curve " + ("descends" if down is None else "ascends"))

    def kink_manifold_curves(self, S):
        """Yield (coefficients, order, c) for a curve ``W + t V + t^2 C`` that keeps every kink
        residual at 0 up to order 2: V in the kernel of the kink rows J_K of the Jacobian, with
        negative curvature of the minorant h = <S, E> + decay (its Hessian restricted there),
        and ``J_K C = -`` the t^2 term of the kink residuals along V (least norm).  Then
        ``L - h = sum_K (|E_k| - S_k E_k) = O(t^3)`` and grad h = 0 (Clarke), so L descends at
        order 2 with the coefficient ``V^T Hess h V / 2 < 0``; the value along the curve is
        expanded exactly (``value_along``), nothing is assumed."""
        from landscape_proofs.kernel.linalg import negative_direction
        from landscape_proofs.kernel.model import read_problem
        from landscape_proofs.kernel.objective import Objective as KernelObjective

        E = self.obj.loss_argument(self.W)
        n = E.ncols()
        rows = [i * n + j for i, j in self.problem.loss.kinks(E)]
        J = self.obj.jacobian(self.W)
        JK = flint.fmpq_mat(len(rows), self.N, [J[r, c] for r in rows for c in range(self.N)])
        basis = nullspace(JK)
        if not basis or len(rows) == 0:
            return
        B = flint.fmpq_mat(self.N, len(basis), [v[i] for i in range(self.N) for v in basis])
        H = KernelObjective(read_problem(self.problem.to_dict())).hessian(self.W, S)
        y = negative_direction(B.transpose() * H * B)
        if y is None:
            return
        v = B * flint.fmpq_mat(len(y), 1, list(y))
        V = self.obj.unflatten(_integerize([v[i, 0] for i in range(self.N)]))
        # the t^2 coefficient of each kink residual along W + t V: E(t) has degree <= depth
        D = len(self.W) + 1
        ts = list(range(D + 1))
        Es = [self.obj.loss_argument([Wk + t * Vk for Wk, Vk in zip(self.W, V)]) for t in ts]
        A = flint.fmpq_mat(D + 1, D + 1, [Q(t) ** k for t in ts for k in range(D + 1)])
        second = []
        for r in rows:
            vals = flint.fmpq_mat(D + 1, 1, [Et[r // n, r % n] for Et in Es])
            second.append(A.solve(vals)[2, 0])
        G = JK * JK.transpose()
        if rank(G) < len(rows):
            return
        lam = G.solve(flint.fmpq_mat(len(rows), 1, [-x for x in second]))
        C = JK.transpose() * lam
        coeffs = [V, self.obj.unflatten([C[i, 0] for i in range(self.N)])]
        low = lowest_order(self.obj.value_along(self.W, coeffs), 1)
        if low:
            yield (coeffs, *low)

    def _kink_directions(self):
        """Lines for a kink: chains of unit entries, then unit moves of one parameter."""
        for _, _, V in self._chains():
            yield V
        for i in range(min(self.N, self.budget.curve_candidates)):
            for s in (1, -1):
                v = [Q(0)] * self.N
                v[i] = Q(s)
                yield self.obj.unflatten(v)

    def l1_descent_direction(self, E, kinks):
        """V with a negative one-sided directional derivative (LP hint, checked exactly)."""
        import numpy as np
        from scipy.optimize import linprog

        J = self.obj.jacobian(self.W)
        n = E.ncols()
        kink_rows = [i * n + j for i, j in kinks]
        smooth_rows = [r for r in range(J.nrows()) if r not in set(kink_rows)]
        Jf = np.array([[float(J[r, c]) for c in range(self.N)] for r in range(J.nrows())])
        s = np.array([1.0 if E[r // n, r % n] > 0 else -1.0 for r in smooth_rows])
        c = Jf[smooth_rows].T @ s if smooth_rows else np.zeros(self.N)
        if self.problem.weight_decay != 0:
            per_entry = getattr(self.problem, "decay_entries", None)
            lam = (np.array([float(x) for x in per_entry]) if per_entry is not None
                   else float(self.problem.weight_decay))
            c = c + lam * np.array([float(x) for x in self.obj.flatten(self.W)])
        K = len(kink_rows)
        Jk = Jf[kink_rows]
        # min c.v + sum u  s.t.  |J_k v| <= u,  -1 <= v <= 1
        cost = np.concatenate([c, np.ones(K)])
        A = np.block([[Jk, -np.eye(K)], [-Jk, -np.eye(K)]])
        res = linprog(cost, A_ub=A, b_ub=np.zeros(2 * K),
                      bounds=[(-1, 1)] * self.N + [(0, None)] * K, method="highs")
        if not res.success or res.fun > -1e-12:
            return None
        for den in (1, 10, 1000, 10**6):
            v = [rational_from_float(x, den) for x in res.x[: self.N]]
            V = self.obj.unflatten(v)
            low = lowest_order(self.obj.value_along(self.W, [V]), 1)
            if low is not None and low[0] == 1 and low[1] < 0:
                return V
        return None

    def l1_multiplier(self, E, affine=None, small=None, interior=False):
        """S with S_ij = sign(E_ij) off the kinks, |S_ij| <= 1 on them and ``affine(S)`` (a
        list of exact entries, affine in S) all 0; by default ``S X^T = 0`` (exact).  With
        ``small`` (another affine list), the LP also minimises the sum of its absolute values;
        with ``interior``, it maximises the margins 1 - |S_ij| (capped at 1/2) on the kinks
        (hints: the entries are then re-derived exactly)."""
        import numpy as np
        from scipy.optimize import linprog

        X = matrix(self.problem.X)
        affine = affine or (lambda S: list((S * X.transpose()).entries()))
        m, n = E.nrows(), E.ncols()
        kinks = [(i, j) for i in range(m) for j in range(n) if E[i, j] == 0]
        S0 = zeros(m, n)
        for i in range(m):
            for j in range(n):
                if E[i, j] != 0:
                    S0[i, j] = 1 if E[i, j] > 0 else -1
        base = affine(S0)
        cols = []
        for (i, j) in kinks:             # the linear part, column by column
            S1 = flint.fmpq_mat(S0)
            S1[i, j] += 1
            cols.append([x - y for x, y in zip(affine(S1), base)])
        K = len(kinks)
        rows = [[cols[k][r] for k in range(K)] for r in range(len(base))]
        rhs = [-x for x in base]
        if not rows:
            return S0 if all(x == 0 for x in base) else None
        A = np.array([[float(x) for x in r] for r in rows]).reshape(len(rows), K)
        b = np.array([float(x) for x in rhs])
        if interior:                 # max sum t, |s_k| + t_k <= 1, 0 <= t_k <= 1/2
            I = np.eye(K)
            res = linprog(np.r_[np.zeros(K), -np.ones(K)], A_ub=np.block([[I, I], [-I, I]]),
                          b_ub=np.ones(2 * K), A_eq=np.c_[A, np.zeros((len(rows), K))], b_eq=b,
                          bounds=[(-1, 1)] * K + [(0, 0.5)] * K, method="highs")
            if res.success:
                res.x = res.x[:K]
        elif small is None:
            res = linprog(np.zeros(K), A_eq=A, b_eq=b, bounds=[(-1, 1)] * K, method="highs")
        else:                        # min sum t, -t <= small(S) <= t: variables (s, t)
            g0 = [float(x) for x in small(S0)]
            C = np.zeros((len(g0), K))
            for k, (i, j) in enumerate(kinks):
                S1 = flint.fmpq_mat(S0)
                S1[i, j] += 1
                C[:, k] = [float(x) - y for x, y in zip(small(S1), g0)]
            T, g0 = np.eye(len(g0)), np.array(g0)
            res = linprog(np.r_[np.zeros(K), np.ones(len(g0))],
                          A_ub=np.block([[C, -T], [-C, -T]]), b_ub=np.r_[-g0, g0],
                          A_eq=np.c_[A, np.zeros((len(rows), len(g0)))], b_eq=b,
                          bounds=[(-1, 1)] * K + [(0, None)] * len(g0), method="highs")
            if res.success:
                res.x = res.x[:K]
            else:                    # the plain feasibility LP, as without ``small``
                res = linprog(np.zeros(K), A_eq=A, b_eq=b, bounds=[(-1, 1)] * K, method="highs")
        if not res.success:
            return None
        # snap exactly: free variables rounded, pivots solved exactly
        aug = flint.fmpq_mat(len(rows), K + 1, [x for r, c in zip(rows, rhs) for x in (r + [c])])
        R, r = aug.rref()
        pivots = []
        for i in range(r):
            for j in range(K + 1):
                if R[i, j] != 0:
                    pivots.append(j)
                    break
        if K in pivots:
            return None  # inconsistent
        # with ``interior``, the snap must keep strictly inside (-1, 1) what the LP had there
        inside = [interior and abs(x) < 1 - 1e-9 for x in res.x]
        for den in (1, 2, 3, 6, 100, 10**6):
            s = [Q(rational_from_float(x, den).numerator, rational_from_float(x, den).denominator)
                 for x in res.x]
            for i, pcol in enumerate(pivots):
                s[pcol] = R[i, K] - sum((R[i, j] * s[j] for j in range(K) if j not in pivots), Q(0))
            if all(-1 <= x <= 1 and (abs(x) < 1 or not keep) for x, keep in zip(s, inside)):
                S = flint.fmpq_mat(S0)
                for (i, j), x in zip(kinks, s):
                    S[i, j] = x
                return S
        return None


def one_chain(p) -> bool:
    """One chain of layers, or towers of two layers each (``sum_t U_t V_t`` is the chain
    ``[U_1 ... U_T] [V_1; ...; V_T]``, whose critical values the kernel knows)."""
    return not p.sum_of_towers or all(len(w) == 3 for w in p.towers)


def classify(problem: Problem, point: Point, budget: Budget = Budget()) -> Classification:
    """Decide exactly what ``point`` is for ``problem``, with a checked certificate.

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"})
    >>> classify(p, Point.of(p, [[[0]], [[0]]])).kind.value
    'strict-saddle'
    """
    too_big = size_refusal(problem)      # before any exact work (kernel/limits.py)
    if too_big is not None:
        return Classification(Kind.INCONCLUSIVE, None, too_big, None, "none",
                              n_params=sum(r * c for r, c in problem.shapes))
    producer = _Producer(problem, point, budget)
    try:
        return producer.run()
    except (UnsupportedError, NotDifferentiableError) as exc:
        return producer.inconclusive(str(exc), "none")


def size_refusal(problem) -> str | None:
    """Why ``problem`` is too large for exact classification (the kernel's parameter limit,
    which would refuse the certificate anyway), or ``None``."""
    from landscape_proofs.kernel.limits import current

    n, lim = sum(r * c for r, c in problem.shapes), current().max_parameters
    if n > lim:
        return (f"too large for exact classification: {n} parameters, above the limit of "
                f"{lim} (kernel/limits.py; raise it with --max-parameters)")
    expression = getattr(problem.loss, "expression", None)   # a custom loss: the kernel's
    if isinstance(expression, str):                           # bounded reading, quickly
        from landscape_proofs.kernel.errors import InputError
        from landscape_proofs.kernel.polynomial import read_polynomial

        try:
            read_polynomial(expression)
        except InputError as exc:
            return (f"the kernel refuses this custom loss, so nothing about it can be "
                    f"certified: {exc}")
    return None

