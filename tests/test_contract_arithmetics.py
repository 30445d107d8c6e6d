"""One contract, three arithmetics: exact (FLINT), mpmath at 50 digits, batched float64.

Every arithmetic must return the value, the gradient and the Hessian of the deep linear
objective; this suite holds all three to the same answers so they cannot drift apart:

* hand-derived known answers (the (ab - 1)^2 family, its saddle at the origin, the
  degenerate critical point of (abc - 1)^2, a rank-1 fit of diag(3, 1), ...);
* Hypothesis-generated small instances (depth 1-4, widths 1-3, n 1-3, small rationals,
  every loss, weight decay 0 and 1/2), against an *independent* exact oracle: second-order
  forward-mode automatic differentiation over Q (:class:`Jet`), which shares no code with
  the closed forms of ``exact/objective.py``, ``numeric/float64.py`` or ``numeric/mp.py``.

Tolerances: exact must agree exactly, mpmath to 1e-40 and float64 to 1e-9, relative to
``max(1, largest |entry|)`` of the quantity compared.  Comparisons are made in exact
rational arithmetic (a float or an mpf is converted to the rational it *is*).

Then float64-specific contracts: a batch equals its points evaluated one by one, and the
Taylor remainders decay like t^2 (gradient) and t^3 (Hessian), pymanopt style, with a
negative control showing the slope check does fail for a wrong gradient.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F
from typing import Callable

import flint
import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from mpmath.libmp import to_rational

from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.l1 import L1Loss
from landscape_proofs.losses.power import PowerLoss
from landscape_proofs.losses.registry import loss_from_json
from landscape_proofs.losses.square import SquareLoss
from landscape_proofs.numeric.float64 import (BatchedDeepLinear, flatten, taylor_remainders,
                                              unflatten)
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.numeric.views import (float64_objective, float64_weights,
                                                    mp_objective, mp_weights)

Q = flint.fmpq


# ======================================================================================
# exact comparison of approximate numbers
# ======================================================================================
def as_fmpq(x) -> flint.fmpq:
    """The rational a number *is* (a float or an mpf is a dyadic rational, exactly)."""
    if isinstance(x, flint.fmpq):
        return x
    if isinstance(x, (int, flint.fmpz)):
        return Q(int(x))
    if isinstance(x, F):
        return Q(x.numerator, x.denominator)
    if isinstance(x, (float, np.floating)):
        f = F(float(x))
        return Q(f.numerator, f.denominator)
    if hasattr(x, "_mpf_"):
        p, q = to_rational(x._mpf_)
        return Q(p, q)
    raise TypeError(f"cannot compare {x!r}")


def assert_close(what: str, got, want, rtol: flint.fmpq) -> None:
    """Entrywise |got - want| <= rtol * max(1, max |want|), all in exact arithmetic."""
    got = [as_fmpq(x) for x in got]
    want = [as_fmpq(x) for x in want]
    assert len(got) == len(want), f"{what}: {len(got)} entries, expected {len(want)}"
    scale = max([Q(1)] + [abs(w) for w in want])
    errs = [abs(g - w) for g, w in zip(got, want)]
    worst = max(range(len(errs)), key=lambda i: errs[i]) if errs else None
    if worst is not None and errs[worst] > rtol * scale:
        raise AssertionError(
            f"{what}: entry {worst} is {float(got[worst])!r}, expected {want[worst]} "
            f"(error {float(errs[worst]):.3e} > {float(rtol):.0e} * {float(scale):.3g})")


# ======================================================================================
# the three arithmetics, behind one interface
# ======================================================================================
@dataclass(frozen=True)
class Evaluation:
    value: object
    gradient: list          # N numbers, layer by layer, row-major
    hessian: list           # N*N numbers, row-major


@dataclass(frozen=True)
class Arithmetic:
    name: str
    rtol: flint.fmpq
    evaluate: Callable      # (problem, [Point, ...]) -> [Evaluation, ...]


def _eval_exact(problem, points):
    obj = exact_objective(problem)
    out = []
    for pt in points:
        W = exact_weights(pt)
        out.append(Evaluation(obj.value(W), obj.gradient_vector(W), list(obj.hessian(W).entries())))
    return out


def _eval_mp50(problem, points):
    ctx = mpmath.MPContext()
    ctx.dps = 50
    obj = mp_objective(problem, ctx)
    out = []
    for pt in points:
        W = mp_weights(pt, ctx)
        Hm = obj.hessian(W)
        out.append(Evaluation(obj.value(W), obj.gradient_vector(W),
                              [Hm[i, j] for i in range(Hm.rows) for j in range(Hm.cols)]))
    return out


def _eval_float64(problem, points):
    # all points in ONE batch: the batch semantics are part of the contract
    obj = float64_objective(problem)
    Ws = float64_weights(points)
    v, g, Hm = obj.value(Ws), obj.gradient_vector(Ws), obj.hessian(Ws)
    return [Evaluation(float(v[b]), list(g[b]), list(Hm[b].ravel())) for b in range(len(points))]


ARITHMETICS = [
    Arithmetic("exact", Q(0), _eval_exact),
    Arithmetic("mpmath-50", Q(1, 10 ** 40), _eval_mp50),
    Arithmetic("float64", Q(1, 10 ** 9), _eval_float64),
]


@pytest.fixture(params=ARITHMETICS, ids=lambda a: a.name)
def arithmetic(request) -> Arithmetic:
    return request.param


def check_against(arith: Arithmetic, problem, points, expected) -> None:
    """``expected``: one (value, gradient, hessian rows) per point, in exact numbers."""
    got = arith.evaluate(problem, points)
    assert len(got) == len(points)
    for b, (ev, (value, grad, hess)) in enumerate(zip(got, expected)):
        tag = f"{arith.name}, point {b}"
        assert_close(f"{tag}: value", [ev.value], [value], arith.rtol)
        assert_close(f"{tag}: gradient", ev.gradient, grad, arith.rtol)
        assert_close(f"{tag}: Hessian", ev.hessian, [x for row in hess for x in row], arith.rtol)


# ======================================================================================
# hand-derived known answers
# ======================================================================================
def scalar_chain(loss, weight_decay=0, depth=2):
    """widths [1, ..., 1], X = [[1]], Y = [[1]]: L = l(a b ... - 1) + lam/2 (a^2 + b^2 + ...)."""
    return DeepLinearProblem(widths=(1,) * (depth + 1), X=((1,),), Y=((1,),), loss=loss,
                             weight_decay=weight_decay)


def pt(problem, *weights):
    return Point.of(problem, list(weights))


KNOWN = {
    # L(a, b) = (ab - 1)^2 / 2 at (2, 3): value 25/2, gradient (b(ab-1), a(ab-1)) = (15, 10),
    # Hessian [[b^2, 2ab - 1], [2ab - 1, a^2]] = [[9, 11], [11, 4]].
    "square (ab-1)^2/2 at (2,3)": (
        lambda: scalar_chain(SquareLoss()), [[[2]], [[3]]],
        (F(25, 2), [15, 10], [[9, 11], [11, 4]])),
    # the strict saddle at the origin: Hessian [[0, -1], [-1, 0]]
    "square (ab-1)^2/2 at the origin": (
        lambda: scalar_chain(SquareLoss()), [[[0]], [[0]]],
        (F(1, 2), [0, 0], [[0, -1], [-1, 0]])),
    # (abc - 1)^2 / 2 at the origin: critical with a zero Hessian (the degenerate saddle)
    "square (abc-1)^2/2 at the origin": (
        lambda: scalar_chain(SquareLoss(), depth=3), [[[0]], [[0]], [[0]]],
        (F(1, 2), [0, 0, 0], [[0] * 3] * 3)),
    # (abc - 1)^2 / 2 at (1, 2, 3): r = 5, gradient r (bc, ac, ab) = (30, 15, 10),
    # Hessian (bc, ac, ab)(bc, ac, ab)^T + r [[0, c, b], [c, 0, a], [b, a, 0]]
    "square (abc-1)^2/2 at (1,2,3)": (
        lambda: scalar_chain(SquareLoss(), depth=3), [[[1]], [[2]], [[3]]],
        (F(25, 2), [30, 15, 10], [[36, 18 + 15, 12 + 10], [18 + 15, 9, 6 + 5],
                                  [12 + 10, 6 + 5, 4]])),
    # weight decay 1/2 adds 1/4 (a^2 + b^2) = 13/4, (a, b)/2 and I/2
    "square + decay 1/2 at (2,3)": (
        lambda: scalar_chain(SquareLoss(), weight_decay=F(1, 2)), [[[2]], [[3]]],
        (F(63, 4), [16, F(23, 2)], [[F(19, 2), 11], [11, F(9, 2)]])),
    # |ab - 1| at (2, 3) (smooth there, ab - 1 = 5 > 0): ab - 1 locally
    "l1 |ab-1| at (2,3)": (
        lambda: scalar_chain(L1Loss()), [[[2]], [[3]]],
        (5, [3, 2], [[0, 1], [1, 0]])),
    # (ab - 1)^4 / 4 at (2, 3): r = 5, gradient r^3 (b, a) = (375, 250),
    # Hessian 3 r^2 (b, a)(b, a)^T + r^3 [[0, 1], [1, 0]] = [[675, 575], [575, 300]]
    "power 4 (ab-1)^4/4 at (2,3)": (
        lambda: scalar_chain(PowerLoss(4)), [[[2]], [[3]]],
        (F(625, 4), [375, 250], [[675, 575], [575, 300]])),
    # the same square loss written as a custom loss of the product R = ab
    "custom product (R-1)^2/2 at (2,3)": (
        lambda: DeepLinearProblem(widths=(1, 1, 1), loss=loss_from_json(
            {"name": "custom", "expression": "(R_0_0 - 1)**2/2", "over": "product"})),
        [[[2]], [[3]]],
        (F(25, 2), [15, 10], [[9, 11], [11, 4]])),
    # a constant that is not a dyadic rational: mpmath must round 1/3 at 50 digits, not 53 bits
    "custom r^2/3 at r = 1": (
        lambda: DeepLinearProblem(widths=(1, 1), X=((1,),), Y=((0,),), loss=loss_from_json(
            {"name": "custom", "expression": "r_0_0**2/3"})),
        [[[1]]],
        (F(1, 3), [F(2, 3)], [[F(2, 3)]])),
    # the brief's example: r^2 r^2 / 4 + r_00 r_01 with r = (ab - y): X = [[1, 1]], Y = [[0, 1]]
    # at a = 1, b = 2: r = (2, 1); L = 16/4 + 2 = 6; dL/dr = (r00^3 + r01, r00) = (9, 2);
    # r = ab (1, 1) - (0, 1) so dL/da = b (9 + 2) = 22, dL/db = a (9 + 2) = 11;
    # d^2 L / dr^2 = [[3 r00^2, 1], [1, 0]] = [[12, 1], [1, 0]], sum of entries 14, so
    # H = 14 (b, a)(b, a)^T + 11 [[0, 1], [1, 0]] = [[56, 28 + 11], [28 + 11, 14]]
    "custom r00^4/4 + r00 r01": (
        lambda: DeepLinearProblem(widths=(1, 1, 1), X=((1, 1),), Y=((0, 1),), loss=loss_from_json(
            {"name": "custom", "expression": "r_0_0**2*r_0_0**2/4 + r_0_0*r_0_1"})),
        [[[1]], [[2]]],
        (6, [22, 11], [[56, 39], [39, 14]])),
    # docs/formats.md's example: widths [2, 1, 2], X = I, Y = diag(3, 1), W_1 = [1, 0], W_2 = [3, 0]^T:
    # the best rank-1 fit, value 1/2, gradient 0.  With u = W_1, v = W_2:
    # d2/du2 = |v|^2 I = 9 I, d2/dv2 = |u|^2 I = I, d2/du_j dv_k = 2 v_k u_j - Y_kj.
    "rank-1 fit of diag(3,1)": (
        lambda: DeepLinearProblem(widths=(2, 1, 2), X=((1, 0), (0, 1)), Y=((3, 0), (0, 1)),
                                  loss=SquareLoss()),
        [[[1, 0]], [[3], [0]]],
        (F(1, 2), [0, 0, 0, 0], [[9, 0, 3, 0], [0, 9, 0, -1], [3, 0, 1, 0], [0, -1, 0, 1]])),
}


@pytest.mark.parametrize("case", sorted(KNOWN))
def test_known_answers(arithmetic, case):
    make, weights, expected = KNOWN[case]
    problem = make()
    check_against(arithmetic, problem, [pt(problem, *weights)], [expected])


def test_a_wrong_known_answer_is_rejected(arithmetic):
    """The comparison itself can fail: 11 -> 11 + 1e-6 in the Hessian is caught."""
    make, weights, (v, g, h) = KNOWN["square (ab-1)^2/2 at (2,3)"]
    problem = make()
    bad = (v, g, [[9, 11 + F(1, 10 ** 6)], [11 + F(1, 10 ** 6), 4]])
    with pytest.raises(AssertionError, match="Hessian"):
        check_against(arithmetic, problem, [pt(problem, *weights)], [bad])


# ======================================================================================
# an independent exact oracle: second-order forward-mode AD over Q
# ======================================================================================
class Jet:
    """f + <g, dx> + 1/2 dx^T H dx: a number with its exact gradient and Hessian (over Q).

    None stands for a zero gradient / Hessian.  Products follow Leibniz:
    (ab)' = a b' + b a',  (ab)'' = a b'' + b a'' + a' b'^T + b' a'^T.
    """

    __slots__ = ("v", "g", "h")

    def __init__(self, v, g=None, h=None):
        self.v, self.g, self.h = Q(v), g, h

    @staticmethod
    def _add(x, y):
        return y if x is None else x if y is None else x + y

    @staticmethod
    def _scale(c, x):
        return None if x is None or c == 0 else x * c

    def __add__(self, o):
        o = o if isinstance(o, Jet) else Jet(o)
        return Jet(self.v + o.v, self._add(self.g, o.g), self._add(self.h, o.h))

    __radd__ = __add__

    def __neg__(self):
        return Jet(-self.v, self._scale(Q(-1), self.g), self._scale(Q(-1), self.h))

    def __sub__(self, o):
        return self + (-(o if isinstance(o, Jet) else Jet(o)))

    def __rsub__(self, o):
        return (-self) + o

    def __mul__(self, o):
        if not isinstance(o, Jet):
            c = Q(o)
            return Jet(self.v * c, self._scale(c, self.g), self._scale(c, self.h))
        g = self._add(self._scale(self.v, o.g), self._scale(o.v, self.g))
        h = self._add(self._scale(self.v, o.h), self._scale(o.v, self.h))
        if self.g is not None and o.g is not None:
            cross = self.g * o.g.transpose()
            h = self._add(h, cross + cross.transpose())
        return Jet(self.v * o.v, g, h)

    __rmul__ = __mul__

    def __pow__(self, k: int):
        assert isinstance(k, int) and k >= 0
        out = Jet(1)
        for _ in range(k):
            out = out * self
        return out


def jet_matmul(A, B):
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), Jet(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


def jet_of_sympy(expr, entry):
    """Evaluate a polynomial SymPy expression on jets (``entry(i, j)`` gives r_i_j)."""
    if expr.is_Rational:
        return Jet(Q(int(expr.p), int(expr.q)))
    if expr.is_Symbol:
        _, i, j = expr.name.split("_")
        return entry(int(i), int(j))
    if expr.is_Add:
        return sum((jet_of_sympy(a, entry) for a in expr.args), Jet(0))
    if expr.is_Mul:
        out = Jet(1)
        for a in expr.args:
            out = out * jet_of_sympy(a, entry)
        return out
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        return jet_of_sympy(expr.base, entry) ** int(expr.exp)
    raise NotImplementedError(f"the AD oracle handles polynomials only, got {expr}")


def oracle(problem: DeepLinearProblem, point: Point):
    """(value, gradient, Hessian rows) of the objective at ``point``, by AD over Q."""
    N = problem.n_params
    seeds, W, p = [], [], 0
    for Wk in point.weights:
        rows = []
        for row in Wk:
            r = []
            for x in row:
                e = flint.fmpq_mat(N, 1)
                e[p, 0] = 1
                r.append(Jet(Q(x.numerator, x.denominator), e))
                seeds.append(r[-1])
                p += 1
            rows.append(r)
        W.append(rows)
    R = W[0]
    for Wk in W[1:]:
        R = jet_matmul(Wk, R)
    loss = problem.loss
    if loss.over_product:
        E = R
    else:
        Xj = [[Jet(Q(x.numerator, x.denominator)) for x in row] for row in problem.X]
        E = [[e - Q(y.numerator, y.denominator) for e, y in zip(row, yrow)]
             for row, yrow in zip(jet_matmul(R, Xj), problem.Y)]
    entries = [e for row in E for e in row]
    if isinstance(loss, SquareLoss):
        L = sum((e * e for e in entries), Jet(0)) * Q(1, 2)
    elif isinstance(loss, PowerLoss):
        L = sum((e ** loss.p for e in entries), Jet(0)) * Q(1, loss.p)
    elif isinstance(loss, L1Loss):
        assert all(e.v != 0 for e in entries), "the oracle needs l1 away from its kinks"
        L = sum((e if e.v > 0 else -e for e in entries), Jet(0))
    else:
        L = jet_of_sympy(sympy.expand(loss.parsed.expr), lambda i, j: E[i][j])
    lam = problem.weight_decay
    if lam:
        L = L + sum((s * s for s in seeds), Jet(0)) * Q(lam.numerator, 2 * lam.denominator)
    g = [L.g[i, 0] if L.g is not None else Q(0) for i in range(N)]
    H = [[L.h[i, j] if L.h is not None else Q(0) for j in range(N)] for i in range(N)]
    return L.v, g, H


def test_oracle_reproduces_a_hand_derived_answer():
    make, weights, (v, g, h) = KNOWN["square (abc-1)^2/2 at (1,2,3)"]
    problem = make()
    value, grad, hess = oracle(problem, pt(problem, *weights))
    assert value == as_fmpq(v)
    assert grad == [as_fmpq(x) for x in g]
    assert hess == [[as_fmpq(x) for x in row] for row in h]


# ======================================================================================
# Hypothesis instances
# ======================================================================================
small = st.fractions(min_value=-2, max_value=2, max_denominator=3)
LOSS_KINDS = ("square", "l1", "power4", "custom-residual", "custom-product")


@st.composite
def polynomial_text(draw, prefix: str, m: int, n: int) -> str:
    """A polynomial of degree <= 4 in valid entries {prefix}_i_j, i < m, j < n."""
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        c = draw(st.fractions(min_value=-2, max_value=2, max_denominator=4).filter(bool))
        factors, degree = [], 0
        for _ in range(draw(st.integers(1, 3))):
            e = draw(st.integers(1, 2))
            if degree + e > 4:
                break
            degree += e
            i, j = draw(st.integers(0, m - 1)), draw(st.integers(0, n - 1))
            factors.append(f"{prefix}_{i}_{j}**{e}")
        terms.append(f"({c.numerator}/{c.denominator})*" + "*".join(factors))
    return " + ".join(terms)


def matrix_of(draw, r, c, elements=small):
    return [[draw(elements) for _ in range(c)] for _ in range(r)]


@st.composite
def instances(draw, kinds=LOSS_KINDS, max_points=3):
    """(problem, [points]) with depth 1-4, widths 1-3, n 1-3, small rationals."""
    H = draw(st.integers(1, 4))
    widths = tuple(draw(st.integers(1, 3)) for _ in range(H + 1))
    n = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(kinds))
    lam = draw(st.sampled_from([F(0), F(1, 2)]))
    d0, dH = widths[0], widths[-1]
    X, Y = matrix_of(draw, d0, n), matrix_of(draw, dH, n)
    if kind == "square":
        loss = SquareLoss()
    elif kind == "l1":
        loss = L1Loss()
    elif kind == "power4":
        loss = PowerLoss(4)
    elif kind == "custom-residual":
        loss = CustomLoss(draw(polynomial_text("r", dH, n)))
    else:
        loss = CustomLoss(draw(polynomial_text("R", dH, d0)), over_="product")
        X, Y = None, None
    problem = DeepLinearProblem(widths=widths, X=X, Y=Y, loss=loss, weight_decay=lam)
    points = [Point.of(problem, [matrix_of(draw, r, c) for r, c in problem.shapes])
              for _ in range(draw(st.integers(1, max_points)))]
    if kind == "l1":   # l1 only away from its kinks: every residual entry nonzero
        obj = exact_objective(problem)
        for p in points:
            assume(all(x != 0 for x in obj.loss_argument(exact_weights(p)).entries()))
    return problem, points


CONTRACT = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.parametrize("arith", ARITHMETICS, ids=lambda a: a.name)
@CONTRACT
@given(case=instances())
@example(case=(DeepLinearProblem(widths=(1, 1, 1), X=((1,),), Y=((1,),)),
               [Point.of(DeepLinearProblem(widths=(1, 1, 1), X=((1,),), Y=((1,),)),
                         [[[2]], [[3]]])]))
def test_every_arithmetic_agrees_with_the_exact_oracle(arith, case):
    problem, points = case
    check_against(arith, problem, points, [oracle(problem, p) for p in points])


# ======================================================================================
# float64: batches, flattening, Taylor slopes
# ======================================================================================
@CONTRACT
@given(case=instances(max_points=5))
def test_float64_batch_equals_single_evaluations(case):
    problem, points = case
    obj = float64_objective(problem)
    Ws = float64_weights(points)
    v, g, Hm = obj.value(Ws), obj.gradient(Ws), obj.hessian(Ws)
    assert v.shape == (len(points),) and Hm.shape == (len(points), obj.n_params, obj.n_params)
    for b, p in enumerate(points):
        W1 = float64_weights([p])
        np.testing.assert_allclose(obj.value(W1)[0], v[b], rtol=1e-13, atol=1e-13)
        for gk, g1 in zip(g, obj.gradient(W1)):
            assert gk.shape[1:] == g1.shape[1:]
            np.testing.assert_allclose(g1[0], gk[b], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(obj.hessian(W1)[0], Hm[b], rtol=1e-13, atol=1e-13)
        np.testing.assert_array_equal(Hm[b], Hm[b].T)   # symmetric by construction


@settings(max_examples=30, deadline=None)
@given(case=instances(max_points=4))
def test_flatten_unflatten_round_trip_layer_by_layer_row_major(case):
    problem, points = case
    Ws = float64_weights(points)
    v = flatten(Ws)
    exact = exact_objective(problem)
    for b, p in enumerate(points):   # the same order as the exact layer's flatten
        assert list(v[b]) == [int(x.p) / int(x.q) for x in exact.flatten(exact_weights(p))]
    back = unflatten(v, problem.widths)
    assert all(np.array_equal(a, b) for a, b in zip(back, Ws))


def slope(ts, rs) -> float:
    """Least-squares slope of log r against log t."""
    return float(np.polyfit(np.log(ts), np.log(rs), 1)[0])


TAYLOR_PROBLEMS = {
    "square": DeepLinearProblem(widths=(3, 2, 4, 2), X=((1, 2, 0, 1), (0, 1, 1, 3), (2, 0, 1, 1)),
                                Y=((1, 0, 2, 1), (0, 1, 1, 0)), loss=SquareLoss()),
    "power 4 + decay": DeepLinearProblem(widths=(2, 3, 2), X=((1, 0, 2), (0, 1, 1)),
                                         Y=((1, 1, 0), (0, 2, 1)), loss=PowerLoss(4),
                                         weight_decay=F(1, 2)),
    "custom product": DeepLinearProblem(widths=(2, 2, 2, 2), loss=loss_from_json(
        {"name": "custom", "over": "product",
         "expression": "R_0_0**2*R_1_1**2/4 + (R_0_1 - 1)**2 + R_1_0*R_0_0*R_1_1"})),
}


@pytest.mark.parametrize("name", sorted(TAYLOR_PROBLEMS))
def test_float64_taylor_slopes(name):
    """|L(W+tV) - L(W) - t<g,V>| ~ t^2 and with the Hessian term ~ t^3 (pymanopt's check)."""
    problem = TAYLOR_PROBLEMS[name]
    obj = float64_objective(problem)
    rng = np.random.default_rng(7)
    B = 4
    Ws = [rng.normal(size=(B, r, c)) for r, c in problem.shapes]
    Vs = [rng.normal(size=(B, r, c)) for r, c in problem.shapes]
    ts = np.logspace(-1.5, -3.5, 9)
    r1, r2 = taylor_remainders(obj, Ws, Vs, ts)
    for b in range(B):
        assert 1.9 < slope(ts, r1[:, b]) < 2.1, (b, slope(ts, r1[:, b]))
        assert 2.8 < slope(ts, r2[:, b]) < 3.2, (b, slope(ts, r2[:, b]))


def test_taylor_slope_check_catches_a_wrong_gradient():
    """Negative control: a gradient 0.1% off gives a first-order remainder ~ t, not t^2.

    Along V the remainder is |t <delta, V> + O(t^2)|, linear once t << |<delta, V>| / C.
    """
    problem = TAYLOR_PROBLEMS["square"]
    good = float64_objective(problem)

    class Skewed(BatchedDeepLinear):
        def gradient(self, Ws):
            return [g * (1 + 1e-3) for g in super().gradient(Ws)]

    bad = Skewed(good.widths, good.X, good.Y, good.kernel, good.over_product, good.lam)
    rng = np.random.default_rng(3)
    Ws = [rng.normal(size=(2, r, c)) for r, c in problem.shapes]
    Vs = [rng.normal(size=(2, r, c)) for r, c in problem.shapes]
    ts = np.logspace(-5, -7, 7)
    r1, _ = taylor_remainders(bad, Ws, Vs, ts)
    slopes = [slope(ts, r1[:, b]) for b in range(2)]
    assert all(0.9 < s_ < 1.1 for s_ in slopes), slopes
    ts = np.logspace(-1.5, -3.5, 9)   # ... while the right gradient, same data, passes
    r1, _ = taylor_remainders(good, Ws, Vs, ts)
    assert all(1.9 < slope(ts, r1[:, b]) < 2.1 for b in range(2))


# ======================================================================================
# mpmath: local contexts only
# ======================================================================================
def test_mpmath_never_touches_the_global_context():
    before = (mpmath.mp.prec, mpmath.mp.dps)
    make, weights, expected = KNOWN["custom r^2/3 at r = 1"]
    problem = make()
    ctx = mpmath.MPContext()
    ctx.dps = 60
    obj = mp_objective(problem, ctx)
    v = obj.value(mp_weights(pt(problem, *weights), ctx))
    assert (mpmath.mp.prec, mpmath.mp.dps) == before
    # 1/3 to 60 digits: impossible if anything had been computed at the global 53 bits
    assert abs(as_fmpq(v) - Q(1, 3)) < Q(1, 10 ** 58)
    # two precisions side by side
    ctx2 = mpmath.MPContext()
    ctx2.dps = 20
    v2 = mp_objective(problem, ctx2).value(mp_weights(pt(problem, *weights), ctx2))
    assert Q(1, 10 ** 40) < abs(as_fmpq(v2) - Q(1, 3)) < Q(1, 10 ** 19)
