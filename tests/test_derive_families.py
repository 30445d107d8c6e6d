"""``landscape derive`` for the multi-tower and symmetric-factorization families.

The SymPy formulas of ``symbolic/derive.py`` against the families' exact evaluators
(``exact/multi_tower.py``, ``exact/symmetric_factorization.py``), exactly (rationals, no
tolerance):

* known answers derived by hand: two scalar towers, ``L = (a b + c d - y)^2 / 2``; a one-layer
  plus a two-layer tower, ``L = (a + b c - y)^2 / 2``; ``U U^T`` with ``U`` 2 x 1;
* Hypothesis properties: at random small rational points of random small instances (every
  loss kind, with and without weight decay), the entrywise objective, gradient and Hessian
  equal ``value``, ``gradient_vector`` and ``hessian``, and the matrix-form gradient and
  Hessian blocks that ``landscape derive`` prints equal the exact gradient and the blocks of
  the exact Hessian;
* the parameter symbols follow the order of the point files (read through ``point_from_dict``);
* the command line: ``landscape derive`` (plain, ``--latex``, ``--json``) on one instance of each
  family; shallow-rank is still refused with exit 2.
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.errors import UnsupportedError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.l1 import L1Loss
from landscape_proofs.losses.power import PowerLoss
from landscape_proofs.losses.square import SquareLoss
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.families.multi_tower import MultiTowerProblem
from landscape_proofs.families.shallow_rank import ShallowRankProblem
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem
from landscape_proofs.symbolic import (
    derivation,
    derive_curvature_products,
    derive_differentials,
    derive_gradient,
    derive_gradient_blocks,
    derive_hessian,
    derive_objective,
    matrix_symbols,
    parameter_symbols,
    render_derivation,
)

LOSS_KINDS = ("square", "power4", "l1", "custom-residual", "custom-product")
#: SymPy's entrywise Hessian takes N^2/2 derivatives: keep the instances small.
MAX_PARAMS = 10
HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]
TIMEOUT = 120


# -- helpers --------------------------------------------------------------------------------

def frac(x) -> Fraction:
    """fmpq or SymPy Rational -> Fraction; anything else (a float, a symbol) fails loudly."""
    if isinstance(x, sympy.Basic):
        assert x.is_Rational, f"expected an exact rational, got {x}"
    return Fraction(int(x.p), int(x.q))


def q(x) -> sympy.Rational:
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def sym_matrix(M) -> sympy.ImmutableMatrix:
    """fmpq_mat or rows of numbers -> SymPy matrix of Rationals."""
    if isinstance(M, flint.fmpq_mat):
        M = [[frac(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
    return sympy.ImmutableMatrix([[q(x) for x in row] for row in M])


def point_subs(problem, weights) -> dict:
    """Parameter symbols -> the entries of ``weights`` (all matrices, parameter order, row-major)."""
    values = [q(x) for W in weights for row in W for x in row]
    syms = parameter_symbols(problem)
    assert len(syms) == len(values) == problem.n_params
    return dict(zip(syms, values))


def symbolic_at(problem, weights):
    """(value, gradient vector, Hessian rows) of the SymPy formulas at ``weights``, as Fractions."""
    subs = point_subs(problem, weights)
    value = frac(derive_objective(problem).xreplace(subs))
    grad = [frac(g.xreplace(subs)) for G in derive_gradient(problem) for g in G]
    H = derive_hessian(problem).xreplace(subs)
    hess = [[frac(H[i, j]) for j in range(H.cols)] for i in range(H.rows)]
    return value, grad, hess


def exact_at(problem, weights):
    """(value, gradient_vector, hessian rows) from the family's exact evaluator."""
    obj = exact_objective(problem)
    W = [matrix(w) for w in weights]
    H = obj.hessian(W)
    return (frac(obj.value(W)), [frac(x) for x in obj.gradient_vector(W)],
            [[frac(H[i, j]) for j in range(H.ncols())] for i in range(H.nrows())])


def assert_symbolic_equals_exact(problem, weights):
    value, grad, hess = symbolic_at(problem, weights)
    e_value, e_grad, e_hess = exact_at(problem, weights)
    assert value == e_value
    assert grad == e_grad
    assert hess == e_hess
    return value, grad, hess


def away_from_kinks(problem, weights) -> bool:
    """For l1: no entry of E is 0 (there the gradient is sign(E) and the Hessian exists)."""
    if not isinstance(problem.loss, L1Loss):
        return True
    obj = exact_objective(problem)
    return all(x != 0 for x in obj.loss_argument([matrix(w) for w in weights]).entries())


# -- known answers, derived by hand: two scalar towers --------------------------------------
# towers [[1, 1, 1], [1, 1, 1]], X = [[1]], Y = [[3]]; parameters in order a = W^(1)_1,
# b = W^(1)_2, c = W^(2)_1, d = W^(2)_2.  With r = a b + c d - 3:
#   L = r^2 / 2,  grad L = (b r, a r, d r, c r),
#   Hess L = [[b^2, a b + r, b d, b c], [a b + r, a^2, a d, a c],
#             [b d, a d, d^2, c d + r], [b c, a c, c d + r, c^2]].
TWO_SCALAR_TOWERS = MultiTowerProblem(towers=((1, 1, 1), (1, 1, 1)), Y=((3,),))


def _two_towers_by_hand(a, b, c, d):
    r = a * b + c * d - 3
    return (r * r / 2, [b * r, a * r, d * r, c * r],
            [[b * b, a * b + r, b * d, b * c], [a * b + r, a * a, a * d, a * c],
             [b * d, a * d, d * d, c * d + r], [b * c, a * c, c * d + r, c * c]])


def test_two_scalar_towers_symbolically():
    a, b, c, d = parameter_symbols(TWO_SCALAR_TOWERS)
    assert [s.name for s in (a, b, c, d)] == ["t1w1_0_0", "t1w2_0_0", "t2w1_0_0", "t2w2_0_0"]
    r = a * b + c * d - 3
    value, grad, hess = _two_towers_by_hand(a, b, c, d)
    assert sympy.expand(derive_objective(TWO_SCALAR_TOWERS) - value) == 0
    got = [g for G in derive_gradient(TWO_SCALAR_TOWERS) for g in G]
    assert all(sympy.expand(x - y) == 0 for x, y in zip(got, grad)) and len(got) == 4
    assert sympy.expand(derive_hessian(TWO_SCALAR_TOWERS) - sympy.Matrix(hess)) == sympy.zeros(4, 4)
    assert r.free_symbols == {a, b, c, d}


@pytest.mark.parametrize("point", [
    (0, 0, 0, 0),                      # value 9/2, critical; Hessian [[0,-3,0,0],[-3,0,0,0],...]
    (1, 1, 1, 2),                      # R = 3: value 0, a global minimum
    (1, 3, 0, 0),                      # tower 2 off: critical, r = 0
    ("1/2", -2, 3, "1/3"),
    ("-3/2", "2/3", "5/4", -1),
])
def test_two_scalar_towers_at_rational_points(point):
    a, b, c, d = (Fraction(x) for x in point)
    weights = [[[a]], [[b]], [[c]], [[d]]]
    got = assert_symbolic_equals_exact(TWO_SCALAR_TOWERS, weights)
    assert got == tuple(_two_towers_by_hand(a, b, c, d))
    if point == (0, 0, 0, 0):
        assert got[0] == Fraction(9, 2) and got[1] == [0, 0, 0, 0]
        assert got[2] == [[0, -3, 0, 0], [-3, 0, 0, 0], [0, 0, 0, -3], [0, 0, -3, 0]]


def test_towers_of_different_depths_by_hand():
    # towers [[1, 1], [1, 1, 1]]: L = (a + b c - y)^2 / 2 with a = W^(1)_1, b = W^(2)_1,
    # c = W^(2)_2, y = 2, plus weight decay 1/2: + (a^2 + b^2 + c^2) / 4.  r = a + b c - 2:
    # grad = (r + a/2, c r + b/2, b r + c/2); Hessian [[1 + 1/2, c, b], [c, c^2 + 1/2, r + b c],
    # [b, r + b c, b^2 + 1/2]].
    prob = MultiTowerProblem(towers=((1, 1), (1, 1, 1)), Y=((2,),), weight_decay=Fraction(1, 2))
    a, b, c = parameter_symbols(prob)
    r = a + b * c - 2
    half = sympy.Rational(1, 2)
    assert sympy.expand(derive_objective(prob) - (r ** 2 / 2 + (a * a + b * b + c * c) / 4)) == 0
    want_H = sympy.Matrix([[1 + half, c, b], [c, c * c + half, r + b * c], [b, r + b * c, b * b + half]])
    assert sympy.expand(derive_hessian(prob) - want_H) == sympy.zeros(3, 3)
    for pt in [(0, 0, 0), (2, 0, 5), ("1/3", -1, "3/2")]:
        av, bv, cv = (Fraction(x) for x in pt)
        value, grad, hess = assert_symbolic_equals_exact(prob, [[[av]], [[bv]], [[cv]]])
        rv = av + bv * cv - 2
        assert value == rv * rv / 2 + (av * av + bv * bv + cv * cv) / 4
        assert grad == [rv + av / 2, cv * rv + bv / 2, bv * rv + cv / 2]


# -- known answers, derived by hand: U U^T with U 2 x 1 -------------------------------------
# U = (u, v)^T, Y = diag(1, -1): U U^T - Y = [[u^2 - 1, u v], [u v, v^2 + 1]],
#   L = ((u^2 - 1)^2 + 2 u^2 v^2 + (v^2 + 1)^2) / 2,
#   grad L = (2 u (u^2 + v^2 - 1), 2 v (u^2 + v^2 + 1)),
#   Hess L = [[6 u^2 + 2 v^2 - 2, 4 u v], [4 u v, 2 u^2 + 6 v^2 + 2]].
# At U = e_1: value 1/2, Hessian diag(4, 4) (docs/families.md); at U = 0: value 1, diag(-2, 2).
SYM_2x1 = SymmetricFactorizationProblem(n=2, k=1, Y=((1, 0), (0, -1)))


def _sym_by_hand(u, v):
    return (((u * u - 1) ** 2 + 2 * u * u * v * v + (v * v + 1) ** 2) / 2,
            [2 * u * (u * u + v * v - 1), 2 * v * (u * u + v * v + 1)],
            [[6 * u * u + 2 * v * v - 2, 4 * u * v], [4 * u * v, 2 * u * u + 6 * v * v + 2]])


def test_symmetric_2x1_symbolically():
    u, v = parameter_symbols(SYM_2x1)
    assert [s.name for s in (u, v)] == ["u_0_0", "u_1_0"]
    value, grad, hess = _sym_by_hand(u, v)
    assert sympy.expand(derive_objective(SYM_2x1) - value) == 0
    got = [g for G in derive_gradient(SYM_2x1) for g in G]
    assert [sympy.expand(x - y) for x, y in zip(got, grad)] == [0, 0]
    assert sympy.expand(derive_hessian(SYM_2x1) - sympy.Matrix(hess)) == sympy.zeros(2, 2)


@pytest.mark.parametrize("point", [(1, 0), (0, 0), ("1/2", "-3/2"), (-2, "1/3")])
def test_symmetric_2x1_at_rational_points(point):
    u, v = (Fraction(x) for x in point)
    got = assert_symbolic_equals_exact(SYM_2x1, [[[u], [v]]])
    assert got == tuple(_sym_by_hand(u, v))
    if point == (1, 0):
        assert got == (Fraction(1, 2), [0, 0], [[4, 0], [0, 4]])
    if point == (0, 0):
        assert got == (1, [0, 0], [[-2, 0], [0, 2]])


def test_symmetric_nonsymmetric_target_uses_G_plus_G_transpose():
    # Y = [[0, 2], [0, 0]] (not symmetric), U = (u, v)^T:
    # L = (u^4 + (u v - 2)^2 + u^2 v^2 + v^4) / 2; at U = (1, 1): E = [[1, -1], [1, 1]], G = E,
    # G + G^T = [[2, 0], [0, 2]]: dL/dU = 2 U = (2, 2).  By hand: dL/du = 2u^3 + v(uv - 2) + u v^2
    # = 2 - 1 + 1 = 2; dL/dv = u(uv - 2) + u^2 v + 2 v^3 = -1 + 1 + 2 = 2.
    prob = SymmetricFactorizationProblem(n=2, k=1, Y=((0, 2), (0, 0)))
    value, grad, _ = assert_symbolic_equals_exact(prob, [[[1], [1]]])
    assert value == Fraction(1 + 1 + 1 + 1, 2) and grad == [2, 2]


def test_symmetric_zero_point_of_the_docs_example():
    # docs/families.md: Y = diag(1, 0), k = 1, U = 0: G = -Y, J = 0, so H = -2 Y = diag(-2, 0)
    prob = SymmetricFactorizationProblem(n=2, k=1, Y=((1, 0), (0, 0)))
    assert assert_symbolic_equals_exact(prob, [[[0], [0]]]) == (Fraction(1, 2), [0, 0], [[-2, 0], [0, 0]])


# -- strategies -----------------------------------------------------------------------------

rationals = st.builds(Fraction, st.integers(-3, 3), st.integers(1, 3))
nonzero_rationals = st.builds(lambda sign, a, b: Fraction(sign * a, b), st.sampled_from((-1, 1)),
                              st.integers(1, 3), st.integers(1, 3))


def matrices(rows: int, cols: int):
    return st.lists(st.lists(rationals, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def polynomial_text(draw, prefix: str, m: int, n: int) -> str:
    """A random polynomial in prefix_i_j (i < m, j < n), as a custom loss expression."""
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        c = draw(nonzero_rationals)
        factors = [f"{prefix}_{draw(st.integers(0, m - 1))}_{draw(st.integers(0, n - 1))}"
                   f"**{draw(st.integers(1, 2))}" for _ in range(draw(st.integers(1, 2)))]
        terms.append(f"({c.numerator}/{c.denominator})*" + "*".join(factors))
    return " + ".join(terms)


def _loss(draw, kind, residual_shape, product_shape):
    if kind == "custom-product":
        return CustomLoss(expression=draw(polynomial_text("R", *product_shape)), over_="product")
    if kind == "custom-residual":
        return CustomLoss(expression=draw(polynomial_text("r", *residual_shape)), over_="residual")
    return {"square": SquareLoss, "power4": lambda: PowerLoss(4), "l1": L1Loss}[kind]()


weight_decays = st.one_of(st.just(Fraction(0)), nonzero_rationals.map(abs))


@st.composite
def multi_tower_instances(draw):
    """(problem, weights): 1-3 towers of depth 1-3, widths 1-2, at most MAX_PARAMS parameters."""
    kind = draw(st.sampled_from(LOSS_KINDS))
    d0, dH = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    towers = []
    for _ in range(draw(st.integers(1, 3))):
        hidden = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
        towers.append((d0, *hidden, dH))
    n_params = sum(a * b for w in towers for a, b in zip(w, w[1:]))
    assume(n_params <= MAX_PARAMS)
    if kind == "custom-product":
        X = Y = None
    else:
        n = draw(st.integers(1, 2))
        X, Y = draw(matrices(d0, n)), draw(matrices(dH, n))
    loss = _loss(draw, kind, (dH, len(Y[0]) if Y else 1), (dH, d0))
    prob = MultiTowerProblem(towers=tuple(towers), X=X, Y=Y, loss=loss,
                             weight_decay=draw(weight_decays))
    weights = [draw(matrices(r, c)) for r, c in prob.shapes]
    return prob, weights


@st.composite
def symmetric_instances(draw):
    """(problem, [U]): U n x k with n in 1..3, k in 1..2, any n x n target (not only symmetric)."""
    kind = draw(st.sampled_from(LOSS_KINDS))
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    Y = None if kind == "custom-product" else draw(matrices(n, n))
    loss = _loss(draw, kind, (n, n), (n, n))
    prob = SymmetricFactorizationProblem(n=n, k=k, Y=Y, loss=loss, weight_decay=draw(weight_decays))
    return prob, [draw(matrices(n, k))]


# -- properties: entrywise formulas = exact evaluator ---------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(instance=multi_tower_instances())
@example(instance=(TWO_SCALAR_TOWERS, [[[Fraction(1, 2)]], [[2]], [[-1]], [[3]]]))
def test_multi_tower_formulas_equal_the_exact_evaluator(instance):
    prob, weights = instance
    assume(away_from_kinks(prob, weights))
    assert_symbolic_equals_exact(prob, weights)


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(instance=symmetric_instances())
@example(instance=(SYM_2x1, [[[Fraction(1, 3)], [-2]]]))
def test_symmetric_formulas_equal_the_exact_evaluator(instance):
    prob, weights = instance
    assume(away_from_kinks(prob, weights))
    assert_symbolic_equals_exact(prob, weights)


# -- properties: the matrix-form blocks that `landscape derive` prints ----------------------

def _explicit(expr, values) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix(expr.xreplace(values).doit())


def _vec(M) -> list:
    return [M[i, j] for i in range(M.rows) for j in range(M.cols)]


def check_matrix_form(prob, weights, directions):
    """Gradient blocks = exact gradient; each Hessian block's form = the exact Hessian's block."""
    obj = exact_objective(prob)
    W = [matrix(w) for w in weights]
    E = obj.loss_argument(W)
    G, Hl = sym_matrix(prob.loss.gradient_exact(E)), sym_matrix(prob.loss.hessian_exact(E))
    ms = matrix_symbols(prob)
    values = {Wk: sym_matrix(w) for Wk, w in zip(ms.W, weights)}
    values.update({Vk: sym_matrix(v) for Vk, v in zip(ms.V, directions)})
    values[ms.G] = G
    if ms.X is not None:
        values[ms.X] = sym_matrix(prob.X)

    exact_grad = obj.gradient(W)
    blocks = derive_gradient_blocks(prob)
    assert len(blocks) == len(exact_grad) == len(prob.shapes)
    for block, g in zip(blocks, exact_grad):
        assert _explicit(block, values) == sym_matrix(g)

    H = sym_matrix(obj.hessian(W))
    D = [_explicit(x, values) for x in derive_differentials(prob)]
    C = {kj: _explicit(c, values) for kj, c in derive_curvature_products(prob).items()}
    lam = q(prob.weight_decay)
    offsets = [0]
    for r, c in prob.shapes:
        offsets.append(offsets[-1] + r * c)
    v = [q(x) for V in directions for row in V for x in row]
    total = sympy.S.Zero
    for k in range(1, len(prob.shapes) + 1):
        for j in range(1, k + 1):
            vk = sympy.Matrix(v[offsets[k - 1]:offsets[k]])
            vj = sympy.Matrix(v[offsets[j - 1]:offsets[j]])
            exact_block = (vk.T * H[offsets[k - 1]:offsets[k], offsets[j - 1]:offsets[j]] * vj)[0, 0]
            stated = (sympy.Matrix(_vec(D[k - 1])).T * Hl * sympy.Matrix(_vec(D[j - 1])))[0, 0]
            if (k, j) in C:
                stated += (1 if j < k else 2) * sum(a * b for a, b in zip(_vec(G), _vec(C[(k, j)])))
            if j == k:
                stated += lam * sum(x * x for x in vk)
            assert exact_block == stated, (k, j)
            total += exact_block if j == k else 2 * exact_block
    vv = sympy.Matrix(v)
    assert total == (vv.T * H * vv)[0, 0]
    return C


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_multi_tower_matrix_form_equals_the_exact_evaluator(data):
    prob, weights = data.draw(multi_tower_instances())
    assume(away_from_kinks(prob, weights))
    directions = [data.draw(matrices(r, c)) for r, c in prob.shapes]
    C = check_matrix_form(prob, weights, directions)
    # only layers of the same tower are paired by a <G, .> term
    tower_of = {i + 1: t for t, layers in enumerate(prob.tower_layers) for i in layers}
    assert all(tower_of[k] == tower_of[j] and j < k for k, j in C)


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_symmetric_matrix_form_equals_the_exact_evaluator(data):
    prob, weights = data.draw(symmetric_instances())
    assume(away_from_kinks(prob, weights))
    directions = [data.draw(matrices(prob.n, prob.k))]
    assert set(check_matrix_form(prob, weights, directions)) == {(1, 1)}


# -- parameter order = the point files ------------------------------------------------------

def test_symbols_follow_the_point_files():
    # multi-tower: {"weights": [...]} lists tower 1's layers (W_1 first), then tower 2's
    mt = problem_from_dict({"family": "multi-tower", "towers": [[2, 1, 2], [2, 2]],
                            "Y": [[3, 0], [0, 1]], "loss": "square", "weight_decay": "1/4"})
    point = point_from_dict({"weights": [[[1, "1/2"]], [[2], [-1]], [[0, 1], ["3/2", -2]]]}, mt)
    assert [s.name for s in parameter_symbols(mt)] == (
        ["t1w1_0_0", "t1w1_0_1", "t1w2_0_0", "t1w2_1_0"]
        + [f"t2w1_{i}_{j}" for i in range(2) for j in range(2)])
    assert_symbolic_equals_exact(mt, point.weights)
    assert [frac(x) for x in exact_objective(mt).flatten(exact_weights(point))] == [
        Fraction(x) for W in point.weights for row in W for x in row]
    # symmetric: {"U": U} and {"weights": [U]} name the same point; U row-major
    sf = problem_from_dict({"family": "symmetric-factorization", "shape": [3, 2],
                            "Y": [[1, 0, 2], [0, 1, 0], [0, -1, 3]], "loss": "square"})
    U = [[1, "-1/2"], [0, 2], ["1/3", 1]]
    p1, p2 = point_from_dict({"U": U}, sf), point_from_dict({"weights": [U]}, sf)
    assert p1.weights == p2.weights
    assert [s.name for s in parameter_symbols(sf)] == [f"u_{i}_{j}" for i in range(3) for j in range(2)]
    assert_symbolic_equals_exact(sf, p1.weights)


def test_other_families_are_refused_by_name():
    prob = ShallowRankProblem(shape=(2, 2), rank=1, Y=((1, 0), (0, 1)))
    with pytest.raises(UnsupportedError, match="shallow-rank"):
        derivation(prob)


# -- what `landscape derive` prints ---------------------------------------------------------

def test_multi_tower_text_and_latex():
    prob = MultiTowerProblem(towers=((1, 1, 1), (1, 1)), Y=((3,),), weight_decay=Fraction(1, 2))
    d = derivation(prob)
    text, latex = render_derivation(d), render_derivation(d, latex=True)
    assert text.startswith("multi-tower linear network: 2 towers, widths [[1, 1, 1], [1, 1]]")
    for line in ("L = 1/2 ||R X - Y||_F^2 + 1/4 (||W^(1)_1||_F^2 + ||W^(1)_2||_F^2 + ||W^(2)_1||_F^2)",
                 "R = W^(1)_2 W^(1)_1 + W^(2)_1 (1 x 1)",
                 "dL/dW^(1)_1 = (W^(1)_2)^T G X^T + 1/2 W^(1)_1",
                 "dL/dW^(2)_1 = G X^T + 1/2 W^(2)_1",
                 "dE = W^(1)_2 V^(1)_1 X + V^(1)_2 W^(1)_1 X + V^(2)_1 X",
                 # a cross-tower block has no <G, .> term
                 "d^2L/dW^(2)_1 dW^(1)_1 [V^(2)_1, V^(1)_1] = <V^(2)_1 X, W^(1)_2 V^(1)_1 X>\n",
                 "d^2L/dW^(1)_2 dW^(1)_1 [V^(1)_2, V^(1)_1] = <V^(1)_2 W^(1)_1 X, W^(1)_2 V^(1)_1 X>"
                 " + <G, V^(1)_2 V^(1)_1 X>",
                 "parameters, in order: t1w1_0_0, t1w2_0_0, t2w1_0_0"):
        assert line in text, line
    assert r"\frac{\partial L}{\partial W^{(1)}_{1}} = {W^{(1)}_{2}}^{T} G X^{T}" in latex
    assert r"\partial {W^{(1)}_{1}}^{2}" in latex          # no double superscript
    assert "w^{(2,1)}_{0,0}" in latex                        # entry (0, 0) of tower 2's W_1
    assert latex.count(r"\[") == latex.count(r"\]")
    assert "}^{T}" in latex and "_{2}^{T}" not in latex


def test_symmetric_text_and_latex():
    d = derivation(SymmetricFactorizationProblem(n=2, k=1, Y=((1, 0), (0, -1)),
                                                 weight_decay=Fraction(1, 3)))
    text, latex = render_derivation(d), render_derivation(d, latex=True)
    for line in ("L = 1/2 ||U U^T - Y||_F^2 + 1/6 ||U||_F^2",
                 "E = U U^T - Y (2 x 2)",
                 "dL/dU = (G + G^T) U + 1/3 U",
                 "d^2 L[V, V] = ||dE||_F^2 + 2 <G, V V^T> + 1/3 ||V||_F^2",
                 "dE = V U^T + U V^T",
                 "d^2L/dU^2 [V, V] = ||V U^T + U V^T||_F^2 + 2 <G, V V^T> + 1/3 ||V||_F^2",
                 "parameters, in order: u_0_0, u_1_0",
                 "[6*u_0_0**2 + 2*u_1_0**2 - 5/3, 4*u_0_0*u_1_0]"):
        assert line in text, line
    assert "X" not in text.split("Objective", 1)[1]       # X = I is not shown
    assert r"\frac{\partial L}{\partial U} = \left(G + G^{T}\right) U" in latex
    assert r"u_{0,0}" in latex


# -- the command line -----------------------------------------------------------------------

def landscape(*args, cwd):
    return subprocess.run([sys.executable, "-m", "landscape_proofs", *map(str, args)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=TIMEOUT)


CLI_CASES = {
    "multi-tower": ({"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[3]],
                     "loss": "square"},
                    ["multi-tower linear network: 2 towers", "R = W^(1)_2 W^(1)_1 + W^(2)_2 W^(2)_1",
                     "dL/dW^(2)_2 = G (W^(2)_1 X)^T",
                     "L = (t1w1_0_0*t1w2_0_0 + t2w1_0_0*t2w2_0_0 - 3)**2/2"],
                    [r"\frac{\partial L}{\partial W^{(2)}_{2}}", "w^{(1,2)}_{0,0}"]),
    "symmetric-factorization": ({"family": "symmetric-factorization", "shape": [2, 1],
                                 "Y": [[1, 0], [0, -1]], "loss": "square"},
                                ["symmetric factorization l(U U^T): U is 2 x 1",
                                 "dL/dU = (G + G^T) U", "dE = V U^T + U V^T",
                                 "[6*u_0_0**2 + 2*u_1_0**2 - 2, 4*u_0_0*u_1_0]"],
                                [r"\frac{\partial L}{\partial U}", r"U U^{T} - Y"]),
}


@pytest.mark.parametrize("family", sorted(CLI_CASES))
def test_cli_derive_plain_latex_and_json(tmp_path, family):
    problem, plain_needles, latex_needles = CLI_CASES[family]
    (tmp_path / "p.json").write_text(json.dumps(problem))
    plain = landscape("derive", "p.json", cwd=tmp_path)
    assert plain.returncode == 0 and plain.stderr == "", plain.stderr
    for needle in plain_needles:
        assert needle in plain.stdout, needle
    latex = landscape("derive", "p.json", "--latex", cwd=tmp_path)
    assert latex.returncode == 0 and latex.stderr == "", latex.stderr
    assert latex.stdout.startswith("% ")
    for needle in latex_needles:
        assert needle in latex.stdout, needle
    js = landscape("derive", "p.json", "--json", cwd=tmp_path)
    assert js.returncode == 0, js.stderr
    out = json.loads(js.stdout)
    assert set(out) == {"plain", "latex"}          # the keys of deep-linear derive
    # print() adds one newline to the rendered text; --json holds the rendered text itself
    assert out["plain"] + "\n" == plain.stdout and out["latex"] + "\n" == latex.stdout


def test_cli_derive_still_refuses_shallow_rank(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(
        {"family": "shallow-rank", "shape": [2, 2], "rank": 1, "Y": [[1, 0], [0, 1]],
         "loss": "square"}))
    proc = landscape("derive", "p.json", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "field family" in proc.stderr and "shallow-rank" in proc.stderr
