"""The symbolic engine against the exact closed forms, and known answers derived by hand.

Two independent routes to the same numbers must agree *exactly* (rationals, no tolerance):
the closed forms of ``exact/objective.py`` (dL/dW_k = W_{>k}^T G (W_{<k} X)^T + lam W_k and
its Hessian) and SymPy differentiating ``L`` entry by entry.  The matrix-form statements that
``landscape derive`` prints are checked the same way, by substituting matrices into them.
"""
from __future__ import annotations

import doctest
from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.errors import UnsupportedError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.losses.base import LossSpec
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.l1 import L1Loss
from landscape_proofs.losses.power import PowerLoss
from landscape_proofs.losses.square import SquareLoss
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.symbolic import derive as derive_module
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
    weight_symbols,
)

LOSS_KINDS = ("square", "power4", "l1", "custom-residual", "custom-product")
# SymPy's entrywise Hessian takes N^2/2 derivatives of a degree-(H * loss degree) polynomial:
# cap the parameter count (tighter at depth 4) to keep each test to a few seconds.
MAX_PARAMS = {1: 12, 2: 14, 3: 14, 4: 14}
HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]


# -- helpers --------------------------------------------------------------------------------

def frac(x) -> Fraction:
    """fmpq or SymPy Rational -> Fraction (both expose p and q); anything else fails loudly."""
    if isinstance(x, sympy.Basic):
        assert x.is_Rational, f"expected an exact rational, got {x}"
    return Fraction(int(x.p), int(x.q))


def at(expr, subs) -> Fraction:
    """Evaluate a SymPy expression exactly at a rational point."""
    return frac(sympy.sympify(expr).xreplace(subs))


def point_subs(problem, weights) -> dict:
    syms = parameter_symbols(problem)
    values = [sympy.Rational(x.numerator, x.denominator) for W in weights for row in W for x in row]
    return dict(zip(syms, values))


def sym_matrix(M) -> sympy.ImmutableMatrix:
    """fmpq_mat or rows of Fractions -> SymPy matrix of Rationals."""
    if isinstance(M, flint.fmpq_mat):
        M = [[frac(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
    return sympy.ImmutableMatrix([[sympy.Rational(x.numerator, x.denominator) for x in row]
                                  for row in M])


def problem(widths, X=((1,),), Y=((1,),), loss: LossSpec = SquareLoss(), weight_decay=0):
    return DeepLinearProblem(widths=tuple(widths), X=X, Y=Y, loss=loss, weight_decay=weight_decay)


# -- strategies -----------------------------------------------------------------------------

rationals = st.builds(Fraction, st.integers(-4, 4), st.integers(1, 3))
nonzero_rationals = rationals.filter(lambda q: q != 0)


def matrices(rows: int, cols: int, elements=rationals):
    return st.lists(st.lists(elements, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


def n_params(widths) -> int:
    return sum(a * b for a, b in zip(widths, widths[1:]))


@st.composite
def widths_lists(draw, depth: int | None = None):
    H = depth if depth is not None else draw(st.integers(1, 4))
    return draw(st.lists(st.integers(1, 3), min_size=H + 1, max_size=H + 1)
                .filter(lambda w: n_params(w) <= MAX_PARAMS[H]))


@st.composite
def polynomial_text(draw, prefix: str, m: int, n: int) -> str:
    """A random polynomial in the symbols prefix_i_j (i < m, j < n), as a custom loss text."""
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        c = draw(nonzero_rationals)
        factors = [f"{prefix}_{draw(st.integers(0, m - 1))}_{draw(st.integers(0, n - 1))}"
                   f"**{draw(st.integers(1, 2))}" for _ in range(draw(st.integers(1, 2)))]
        terms.append(f"({c.numerator}/{c.denominator})*" + "*".join(factors))
    if draw(st.booleans()):
        terms.append(str(draw(st.integers(-3, 3))))
    return " + ".join(terms)


@st.composite
def instances(draw, kind: str, depth: int | None = None, weight_decay=None):
    """(problem, weights) for a loss kind; weight decay drawn (0 or positive) unless given."""
    widths = draw(widths_lists(depth))
    wd = weight_decay if weight_decay is not None else draw(
        st.one_of(st.just(Fraction(0)), nonzero_rationals.map(abs)))
    d0, dH = widths[0], widths[-1]
    if kind == "custom-product":
        loss = CustomLoss(expression=draw(polynomial_text("R", dH, d0)), over_="product")
        X = Y = None
    else:
        n = draw(st.integers(1, 3 if len(widths) <= 4 else 2))
        X, Y = draw(matrices(d0, n)), draw(matrices(dH, n))
        loss = {"square": lambda: SquareLoss(), "power4": lambda: PowerLoss(4),
                "l1": lambda: L1Loss(),
                "custom-residual": lambda: CustomLoss(
                    expression=draw(polynomial_text("r", dH, n)), over_="residual")}[kind]()
    prob = DeepLinearProblem(widths=tuple(widths), X=X, Y=Y, loss=loss, weight_decay=wd)
    weights = [draw(matrices(r, c)) for r, c in prob.shapes]
    return prob, weights


def exact_point(prob, weights):
    return exact_objective(prob), [matrix(w) for w in weights]


def away_from_kinks(prob, weights) -> bool:
    """For l1: no residual entry is 0 (there d|x|/dx = sign(x) and the Hessian exists)."""
    if not isinstance(prob.loss, L1Loss):
        return True
    obj, W = exact_point(prob, weights)
    return all(x != 0 for x in obj.loss_argument(W).entries())


# -- the exact closed forms equal SymPy's entrywise derivatives -----------------------------

def check_closed_forms(prob, weights):
    obj, W = exact_point(prob, weights)
    subs = point_subs(prob, weights)

    assert at(derive_objective(prob), subs) == frac(obj.value(W))

    sym_grad = [at(g, subs) for G in derive_gradient(prob) for g in G]
    assert sym_grad == [frac(x) for x in obj.gradient_vector(W)]

    sym_hess = derive_hessian(prob)
    exact_hess = obj.hessian(W)
    N = prob.n_params
    assert sym_hess.shape == (N, N) == (exact_hess.nrows(), exact_hess.ncols())
    for p in range(N):
        for q in range(p, N):      # derive_hessian is symmetric by construction
            value = at(sym_hess[p, q], subs)
            assert sym_hess[q, p] == sym_hess[p, q]
            assert value == frac(exact_hess[p, q]) == frac(exact_hess[q, p]), (p, q)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", LOSS_KINDS)
@settings(max_examples=10, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_exact_closed_forms_equal_entrywise_sympy(kind, depth, data):
    prob, weights = data.draw(instances(kind, depth))
    assume(away_from_kinks(prob, weights))
    check_closed_forms(prob, weights)


@pytest.mark.parametrize("weight_decay", [Fraction(0), Fraction(1, 3)])
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_exact_closed_forms_fixed_instances(kind, weight_decay):
    # widths 2-1-2-1 (depth 3, a bottleneck), every loss, with and without weight decay
    X, Y = ((1, Fraction(1, 2)), (-2, 3)), ((1, -1),)
    losses = {"square": SquareLoss(), "power4": PowerLoss(4), "l1": L1Loss(),
              "custom-residual": CustomLoss(expression="r_0_0**2*r_0_1 - 3*r_0_1**2 + 1/7*r_0_0",
                                            over_="residual"),
              "custom-product": CustomLoss(expression="(R_0_0 - 2)**2*R_0_1 + R_0_1**3 / 5",
                                           over_="product")}
    loss = losses[kind]
    prob = DeepLinearProblem(widths=(2, 1, 2, 1), X=None if loss.over_product else X,
                             Y=None if loss.over_product else Y, loss=loss,
                             weight_decay=weight_decay)
    q = Fraction
    weights = [[[q(1, 2), q(-1)]], [[q(2)], [q(1, 3)]], [[q(-3, 2), q(1)]]]
    assert away_from_kinks(prob, weights)
    check_closed_forms(prob, weights)


# -- the matrix-form statements equal SymPy's entrywise derivatives -------------------------

def _loss_pieces(prob, W):
    """E, G = grad l(E) and the loss Hessian (row-major vec) from losses.py, exactly."""
    obj = exact_objective(prob)
    E = obj.loss_argument(W)
    return E, prob.loss.gradient_exact(E), prob.loss.hessian_exact(E)


def _values(prob, weights, W, directions):
    ms = matrix_symbols(prob)
    E, G, _ = _loss_pieces(prob, W)
    values = {Wk: sym_matrix(w) for Wk, w in zip(ms.W, weights)}
    values.update({Vk: sym_matrix(v) for Vk, v in zip(ms.V, directions)})
    values[ms.G] = sym_matrix(G)
    if ms.X is not None:
        values[ms.X] = sym_matrix(prob.X)
    return values


def _explicit(expr, values) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix(expr.xreplace(values).doit())


def _vec(M) -> list:
    return [M[i, j] for i in range(M.rows) for j in range(M.cols)]


@pytest.mark.parametrize("kind", LOSS_KINDS)
@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_matrix_form_blocks_equal_entrywise_sympy(kind, data):
    prob, weights = data.draw(instances(kind))
    directions = [data.draw(matrices(r, c)) for r, c in prob.shapes]
    assume(away_from_kinks(prob, weights))
    obj, W = exact_point(prob, weights)
    subs = point_subs(prob, weights)
    values = _values(prob, weights, W, directions)
    lam = sympy.Rational(prob.weight_decay.numerator, prob.weight_decay.denominator)

    # gradient blocks: W_{>k}^T G (W_{<k} X)^T + lam W_k, k = 1..H
    for block, G_sym in zip(derive_gradient_blocks(prob), derive_gradient(prob)):
        assert _explicit(block, values) == G_sym.xreplace(subs)

    # Hessian blocks: vec(V_k)^T Hess_kj vec(V_j) = d^2 l(E)[D_k, D_j] + <G, C_kj> (+ lam <V_k, V_k>)
    _, _, Hl = _loss_pieces(prob, W)
    Hl = sym_matrix(Hl)
    D = [_explicit(d, values) for d in derive_differentials(prob)]
    C = {kj: _explicit(c, values) for kj, c in derive_curvature_products(prob).items()}
    Gm = values[matrix_symbols(prob).G]
    hess = derive_hessian(prob).xreplace(subs)
    offsets = [0]
    for r, c in prob.shapes:
        offsets.append(offsets[-1] + r * c)
    v = [sympy.Rational(x.numerator, x.denominator) for V in directions for row in V for x in row]
    total = sympy.S.Zero
    for k in range(1, prob.depth + 1):
        for j in range(1, k + 1):
            vk = sympy.Matrix(v[offsets[k - 1]:offsets[k]])
            vj = sympy.Matrix(v[offsets[j - 1]:offsets[j]])
            entrywise = (vk.T * hess[offsets[k - 1]:offsets[k], offsets[j - 1]:offsets[j]] * vj)[0, 0]
            stated = (sympy.Matrix(_vec(D[k - 1])).T * Hl * sympy.Matrix(_vec(D[j - 1])))[0, 0]
            if j < k:
                stated += sum(a * b for a, b in zip(_vec(Gm), _vec(C[(k, j)])))
            else:
                stated += lam * sum(x * x for x in vk)
            assert entrywise == stated, (k, j)
            total += entrywise if j == k else 2 * entrywise
    # and the whole form d^2 L[V, V] = v^T Hess v
    vv = sympy.Matrix(v)
    assert total == (vv.T * hess * vv)[0, 0]


# -- known answers, derived by hand ---------------------------------------------------------

def test_ab_minus_one_square_loss():
    # L(a, b) = 1/2 (ab - 1)^2: gradient (b(ab-1), a(ab-1)), Hessian [[b^2, 2ab-1], [2ab-1, a^2]]
    prob = problem([1, 1, 1])
    a, b = parameter_symbols(prob)
    assert sympy.expand(derive_objective(prob) - sympy.Rational(1, 2) * (a * b - 1) ** 2) == 0
    origin = {a: 0, b: 0}
    assert [g.xreplace(origin) for G in derive_gradient(prob) for g in G] == [0, 0]
    assert derive_hessian(prob).xreplace(origin) == sympy.Matrix([[0, -1], [-1, 0]])
    # on the curve ab = 1 of global minima, the Hessian is [[b^2, 1], [1, a^2]] (rank one)
    H = derive_hessian(prob).xreplace({a: 2, b: sympy.Rational(1, 2)})
    assert H == sympy.Matrix([[sympy.Rational(1, 4), 1], [1, 4]]) and H.det() == 0
    # the exact engine agrees at the origin: a strict saddle's Hessian
    zero = [matrix([[0]]), matrix([[0]])]
    assert exact_objective(prob).hessian(zero) == matrix([[0, -1], [-1, 0]])


def test_abc_minus_one_degenerate_origin():
    prob = problem([1, 1, 1, 1])
    syms = parameter_symbols(prob)
    origin = {s: 0 for s in syms}
    assert all(g.xreplace(origin) == 0 for G in derive_gradient(prob) for g in G)
    assert derive_hessian(prob).xreplace(origin) == sympy.zeros(3, 3)
    # along t(1, 1, 1): L(t) - L(0) = 1/2 ((t^3 - 1)^2 - 1) = -t^3 + t^6/2, a third-order descent
    t = sympy.Symbol("t")
    L = derive_objective(prob)
    along = sympy.Poly(sympy.expand(L.xreplace({s: t for s in syms})), t)
    assert along - L.xreplace(origin) == sympy.Poly(-t ** 3 + t ** 6 / 2, t)
    # the exact engine's curve polynomial L(W + t C_1) says the same
    obj = exact_objective(prob)
    curve = obj.value_along([matrix([[0]])] * 3, [[matrix([[1]])] * 3])
    assert [frac(c) for c in curve.coeffs()] == [frac(c) for c in reversed(along.all_coeffs())]


def test_weight_decay_hessian_at_origin_is_lam_identity():
    # depth >= 3: every term of the loss Hessian at W = 0 vanishes, leaving lam * I
    prob = problem([2, 1, 2, 1], X=((1, 0), (0, 1)), Y=((3, 1),), weight_decay=Fraction(1, 5))
    origin = {s: 0 for s in parameter_symbols(prob)}
    N = prob.n_params
    assert derive_hessian(prob).xreplace(origin) == sympy.eye(N) * sympy.Rational(1, 5)


def test_custom_product_loss_substitutes_the_product():
    prob = problem([1, 1, 1], X=None, Y=None,
                   loss=CustomLoss(expression="(R_0_0 - 2)**2", over_="product"))
    a, b = parameter_symbols(prob)
    assert sympy.expand(derive_objective(prob) - (a * b - 2) ** 2) == 0


def test_l1_objective_and_sign_gradient():
    # the l1 outlier example: x = (1, 3), y = (1, 6), L(a, b) = |ab - 1| + |3ab - 6|
    prob = problem([1, 1, 1], X=((1, 3),), Y=((1, 6),), loss=L1Loss())
    a, b = parameter_symbols(prob)
    L = derive_objective(prob)
    assert L == sympy.Abs(a * b - 1) + sympy.Abs(3 * a * b - 6)
    # at (a, b) = (1, 3/2) the residuals are (1/2, -3/2): signs (1, -1), so
    # dL/da = b (1 - 3) and dL/db = a (1 - 3)
    g = [x.xreplace({a: 1, b: sympy.Rational(3, 2)}) for G in derive_gradient(prob) for x in G]
    assert g == [sympy.Rational(3, 2) * (1 - 3), 1 * (1 - 3)]


@pytest.mark.parametrize("loss", [
    SquareLoss(), PowerLoss(4), L1Loss(),
    CustomLoss(expression="sqrt(r_0_0**2 + 1) + exp(r_0_1) * r_0_0 + Max(r_0_0, 0)**2 + log(r_0_1**2 + 2)"),
    CustomLoss(expression="(r_0_0**2 + 1)**(3/2) + Abs(r_0_1)**3 / 2 - 1/(r_0_0**2 + 2)"),
])
def test_differentiate_agrees_with_sympy_diff(loss):
    # the sum/product/power rules used for speed give SymPy's own derivatives
    prob = problem([2, 2, 1], X=((1, 2), (0, Fraction(1, 2))), Y=((1, -1),), loss=loss,
                   weight_decay=Fraction(1, 3))
    L = derive_objective(prob)
    syms = parameter_symbols(prob)
    # a rational point (no kink of Abs or Max, positive where sqrt and log need it)
    point = dict(zip(syms, [sympy.Rational(v) for v in ("1/2", "3", "-2", "5/3", "7/4", "-1/3")]))

    def same(a, b):
        if sympy.expand(a - b) == 0:
            return True
        return sympy.simplify((a - b).xreplace(point)) == 0    # exact algebraic numbers

    for s1 in syms[:3]:
        g = derive_module._differentiate(L, s1)
        assert same(g, sympy.diff(L, s1))
        for s2 in syms[2:4]:
            assert same(derive_module._differentiate(g, s2), sympy.diff(L, s1, s2))


def test_weight_symbols_names_and_order():
    prob = problem([2, 3, 1], X=((1,), (0,)), Y=((1,),))
    W1, W2 = weight_symbols(prob)
    assert W1.shape == (3, 2) and W2.shape == (1, 3)
    assert W1[2, 1].name == "w1_2_1" and W2[0, 2].name == "w2_0_2"
    assert [s.name for s in parameter_symbols(prob)] == (
        [f"w1_{i}_{j}" for i in range(3) for j in range(2)] + [f"w2_0_{j}" for j in range(3)])


def test_unknown_loss_is_refused():
    class Odd(LossSpec):
        name = "odd"
        over = "residual"
    prob = problem([1, 1], loss=Odd())
    with pytest.raises(UnsupportedError, match="odd"):
        derive_objective(prob)


# -- what `landscape derive` prints ---------------------------------------------------------

def test_teaching_example_text():
    prob = problem([1, 1, 1, 1])
    d = derivation(prob)
    text = render_derivation(d, latex=False)
    assert "L = 1/2 ||W_3 W_2 W_1 X - Y||_F^2" in text
    assert "L = (w1_0_0*w2_0_0*w3_0_0 - 1)**2/2" in text
    assert "dL/dW_1 = (W_3 W_2)^T G X^T" in text
    assert "dL/dW_2 = W_3^T G (W_1 X)^T" in text
    assert "dL/dW_3 = G (W_2 W_1 X)^T" in text
    assert "dL/dW_1 = [[w2_0_0*w3_0_0*(w1_0_0*w2_0_0*w3_0_0 - 1)]]" in text
    assert "dE = W_3 W_2 V_1 X + W_3 V_2 W_1 X + V_3 W_2 W_1 X" in text
    assert "d^2L/dW_2 dW_1 [V_2, V_1] = <W_3 V_2 W_1 X, W_3 W_2 V_1 X> + <G, W_3 V_2 V_1 X>" in text
    assert "G = grad l(E) = E" in text


def test_teaching_example_latex():
    latex = render_derivation(derivation(problem([1, 1, 1, 1])), latex=True)
    assert r"\frac{1}{2}" in latex
    assert r"L = \frac{1}{2} \left\| W_{3} W_{2} W_{1} X - Y \right\|_F^{2}" in latex
    for k in (1, 2, 3):
        assert f"W_{{{k}}}" in latex
        assert rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = " in latex
        assert f"w^{{({k})}}_{{0,0}}" in latex            # the entry symbols
    assert r"\left(W_{3} W_{2}\right)^{T} G X^{T}" in latex
    assert r"\nabla^2 L = " in latex
    assert latex.count(r"\[") == latex.count(r"\]")


@pytest.mark.parametrize("H", [1, 2, 3, 5])
def test_every_gradient_block_is_named(H):
    prob = problem([1] * (H + 1))
    d = derivation(prob)
    assert [f.name for f in d.gradient_blocks] == [f"dL/dW_{k}" for k in range(1, H + 1)]
    assert len(d.hessian_blocks) == H * (H + 1) // 2
    text = render_derivation(d)
    for k in range(1, H + 1):
        assert f"dL/dW_{k} = " in text
    assert f"dL/dW_{H + 1}" not in text


def test_loss_specific_gradients_and_curvature_are_stated():
    pw = render_derivation(derivation(problem([1, 1, 1], loss=PowerLoss(4))))
    assert "G = grad l(E) = E.^3" in pw and "3 <E.^2 .* dE, dE>" in pw
    assert "L = 1/4 sum_ij (W_2 W_1 X - Y)_ij^4" in pw
    l1 = derivation(problem([1, 1, 1], X=((1, 3),), Y=((1, 6),), loss=L1Loss()))
    text = render_derivation(l1)
    assert "G = grad l(E) = sign(E)" in text and "subgradient" in text
    assert "DiracDelta" not in text              # shown away from the kinks
    custom = CustomLoss(expression="r_0_0**3", over_="residual")
    ct = render_derivation(derivation(problem([1, 1], loss=custom)))
    assert "G = grad l(E) = [[3*r_0_0**2]]" in ct
    assert "d^2 l(E)[D, D'] = 6*D'_0_0*D_0_0*r_0_0" in ct


def test_weight_decay_terms_are_stated():
    prob = problem([1, 1, 1], weight_decay=Fraction(1, 10))
    text = render_derivation(derivation(prob))
    assert "L = 1/2 ||W_2 W_1 X - Y||_F^2 + 1/20 (||W_1||_F^2 + ||W_2||_F^2)" in text
    assert "dL/dW_1 = W_2^T G X^T + 1/10 W_1" in text
    assert "d^2L/dW_1^2 [V_1, V_1] = ||W_2 V_1 X||_F^2 + 1/10 ||V_1||_F^2" in text


def test_product_loss_has_no_data_factor():
    prob = problem([2, 1, 2], X=None, Y=None,
                   loss=CustomLoss(expression="(R_0_0 - 1)**2 + R_1_1**2", over_="product"))
    text = render_derivation(derivation(prob))
    assert "E = R = W_2 W_1 (2 x 2)" in text
    assert "dL/dW_1 = W_2^T G\n" in text and "dL/dW_2 = G W_1^T\n" in text
    assert " X" not in text.split("Objective", 1)[1]


def test_large_problem_omits_entrywise_formulas():
    prob = problem([3, 3, 3], X=((1,), (0,), (2,)), Y=((1,), (1,), (1,)))    # 18 parameters
    d = derivation(prob)
    assert d.entrywise == ()
    assert any("omitted" in n.text for n in d.notes)
    assert derivation(prob, explicit_limit=18).entrywise != ()


def test_long_products_are_abbreviated():
    d = derivation(problem([1] * 8))
    assert d.gradient_blocks[0].text == "dL/dW_1 = (W_7 ... W_2)^T G X^T"
    assert d.gradient_blocks[0].latex == (
        r"\frac{\partial L}{\partial W_{1}} = \left(W_{7} \cdots W_{2}\right)^{T} G X^{T}")


def test_doctests():
    result = doctest.testmod(derive_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
