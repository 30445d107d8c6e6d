"""Symbolic derivation (SymPy) of deep linear objectives, their gradients and Hessians.

Two routes, kept apart on purpose so that each can check the other:

* **Entrywise.**  Every weight entry is a SymPy symbol (``w1_0_0`` is entry (0, 0) of
  ``W_1``: layer (1-based) _ row _ col), ``derive_objective`` writes ``L`` as one scalar
  expression in them, and ``derive_gradient`` / ``derive_hessian`` differentiate it
  entry by entry.  Slow for large networks, but obviously right: the tests compare the
  closed forms of :mod:`landscape_proofs.exact.objective` with it, exactly.
* **Matrix form.**  With ``E = W_H ... W_1 X - Y`` (or ``E = W_H ... W_1`` for a loss of the
  product), ``G = grad l(E)``, ``W_{>k} = W_H ... W_{k+1}`` and ``W_{<k} = W_{k-1} ... W_1``:

  - ``dL/dW_k = W_{>k}^T G (W_{<k} X)^T + lam W_k``;
  - ``d^2 L[V, V] = d^2 l(E)[dE, dE] + 2 sum_{j<k} <G, W_{>k} V_k W_{k-1}...W_{j+1} V_j W_{<j} X>
    + lam sum_k ||V_k||_F^2`` with ``dE = sum_k W_{>k} V_k W_{<k} X``.

  ``derive_gradient_blocks``, ``derive_differentials`` and ``derive_curvature_products``
  return these as SymPy matrix expressions in ``MatrixSymbol`` s (``W_k``, ``V_k``, ``X``,
  ``Y``, ``G``) for the problem's actual depth; :func:`derivation` states them, for the
  problem's loss, as formulas in plain text and LaTeX, and :func:`render_derivation` gives
  the text that ``landscape derive`` prints.

Everything here is a producer for people: nothing the checker trusts comes from this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import sympy
from sympy import ImmutableMatrix, MatMul, MatrixSymbol, Rational, Transpose

from ..errors import UnsupportedError
from ..expressions import entry_symbol
from ..losses import CustomLoss, L1Loss, PowerLoss, SquareLoss
from ..problems.deep_linear import DeepLinearProblem

#: Problems with at most this many parameters also get explicit entrywise formulas.
EXPLICIT_LIMIT = 12
#: A run of more consecutive layers than this prints as ``W_b ... W_a``.
RUN_LIMIT = 4
#: Data matrices with more entries than this are described by their shape only.
SHOW_DATA_LIMIT = 64

__all__ = [
    "EXPLICIT_LIMIT", "Formula", "Derivation", "MatrixSymbols",
    "weight_symbols", "parameter_symbols", "loss_argument_symbols",
    "derive_loss", "derive_loss_gradient", "derive_loss_argument",
    "derive_objective", "derive_gradient", "derive_hessian",
    "matrix_symbols", "derive_gradient_blocks", "derive_differentials",
    "derive_curvature_products", "derivation", "render_derivation",
]


# ==========================================================================================
# Entrywise route
# ==========================================================================================

def _rational(x) -> Rational:
    """An exact number (Fraction, int, fmpq, Rational) as a SymPy Rational; floats refused."""
    if isinstance(x, float):
        raise TypeError(f"expected an exact rational, got the float {x!r}")
    q = Fraction(x) if not hasattr(x, "p") else Fraction(int(x.p), int(x.q))
    return Rational(q.numerator, q.denominator)


def _data_matrix(rows) -> ImmutableMatrix:
    return ImmutableMatrix([[_rational(x) for x in row] for row in rows])


def _x_is_identity(problem) -> bool:
    d0 = problem.widths[0]
    return len(problem.X) == d0 and all(
        len(row) == d0 and all(x == (i == j) for j, x in enumerate(row))
        for i, row in enumerate(problem.X))


def weight_symbols(problem) -> list[ImmutableMatrix]:
    """The weights as matrices of real SymPy symbols; ``weights[0]`` is ``W_1``.

    Entry (i, j) of ``W_k`` is the symbol ``wk_i_j`` (layer 1-based, row and column 0-based).

    >>> weight_symbols(_example([2, 1, 1]))
    [Matrix([[w1_0_0, w1_0_1]]), Matrix([[w2_0_0]])]
    """
    out = []
    for k, (rows, cols) in enumerate(problem.shapes, start=1):
        out.append(ImmutableMatrix(rows, cols, [sympy.Symbol(f"w{k}_{i}_{j}", real=True)
                                                for i in range(rows) for j in range(cols)]))
    return out


def parameter_symbols(problem) -> list[sympy.Symbol]:
    """All weight symbols in parameter order: layer by layer (W_1 first), row-major."""
    return [s for W in weight_symbols(problem) for s in W]


def loss_argument_symbols(problem) -> ImmutableMatrix:
    """The symbols ``r_i_j`` (residual) or ``R_i_j`` (product) for the loss's argument E."""
    m, n = problem.loss_argument_shape
    prefix = "R" if problem.loss.over_product else "r"
    return ImmutableMatrix(m, n, [entry_symbol(prefix, i, j) for i in range(m) for j in range(n)])


def derive_loss(problem) -> sympy.Expr:
    """The loss ``l`` as an expression in the entries ``r_i_j`` (or ``R_i_j``) of its argument.

    >>> derive_loss(_example([1, 1], loss=PowerLoss(4)))
    r_0_0**4/4
    """
    loss = problem.loss
    r = list(loss_argument_symbols(problem))
    if isinstance(loss, SquareLoss):
        return Rational(1, 2) * sympy.Add(*[x ** 2 for x in r])
    if isinstance(loss, L1Loss):
        return sympy.Add(*[sympy.Abs(x) for x in r])
    if isinstance(loss, PowerLoss):
        return Rational(1, loss.p) * sympy.Add(*[x ** loss.p for x in r])
    if isinstance(loss, CustomLoss):
        return loss.parsed.expr
    raise UnsupportedError(f"no symbolic form for the loss {getattr(loss, 'name', loss)!r}; "
                           "expected square, l1, power or custom")


def derive_loss_gradient(problem) -> ImmutableMatrix:
    """``G = grad l`` entrywise, as a matrix of expressions in ``r_i_j`` (or ``R_i_j``).

    For the l1 loss this is ``sign(r_i_j)``: the gradient away from kinks (SymPy's
    ``sign(0) = 0`` is one element of the subdifferential ``[-1, 1]``).

    >>> derive_loss_gradient(_example([1, 2], Y=[[1], [2]], loss=L1Loss()))
    Matrix([
    [sign(r_0_0)],
    [sign(r_1_0)]])
    """
    r = loss_argument_symbols(problem)
    expr = derive_loss(problem)
    return r.applyfunc(lambda x: sympy.diff(expr, x))


def derive_loss_argument(problem) -> ImmutableMatrix:
    """E in the weight symbols: ``W_H ... W_1 X - Y``, or ``W_H ... W_1`` for a product loss."""
    W = weight_symbols(problem)
    R = W[0]
    for Wk in W[1:]:
        R = Wk * R
    if problem.loss.over_product:
        return ImmutableMatrix(R)
    return ImmutableMatrix(R * _data_matrix(problem.X) - _data_matrix(problem.Y))


def derive_objective(problem) -> sympy.Expr:
    """L = l(E) + lam/2 sum_k ||W_k||_F^2 as one expression in the weight symbols.

    >>> derive_objective(_example([1, 1, 1, 1]))
    (w1_0_0*w2_0_0*w3_0_0 - 1)**2/2
    """
    r = loss_argument_symbols(problem)
    E = derive_loss_argument(problem)
    value = derive_loss(problem).xreplace(dict(zip(r, E)))
    lam = _rational(problem.weight_decay)
    if lam != 0:
        value += lam / 2 * sympy.Add(*[s ** 2 for s in parameter_symbols(problem)])
    return value


def _differentiate(expr: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    """d expr / d s by the sum, product, power and chain rules.

    Same result as ``sympy.diff(expr, s)`` (a test checks it), several times faster on the
    large unexpanded polynomials met here: ``Derivative`` asks ``is_zero`` of every
    intermediate result, which costs more than the differentiation itself.  For a real
    argument u, d|u| = sign(u) du and d sign(u) = 2 DiracDelta(u) du, as in SymPy; any
    other node (exp, log, Max, ...) goes to ``sympy.diff``.
    """
    if s not in expr.free_symbols:
        return sympy.S.Zero
    if expr == s:
        return sympy.S.One
    if isinstance(expr, sympy.Add):
        return sympy.Add(*[_differentiate(a, s) for a in expr.args])
    if isinstance(expr, sympy.Mul):
        args = expr.args
        terms = []
        for i, a in enumerate(args):
            da = _differentiate(a, s)
            if da != 0:
                terms.append(sympy.Mul(*args[:i], da, *args[i + 1:]))
        return sympy.Add(*terms)
    if isinstance(expr, sympy.Pow) and s not in expr.exp.free_symbols:
        base, e = expr.args
        # one Mul, so that the coefficient e stays a coefficient (e * (a + b) would distribute)
        return sympy.Mul(e, base ** (e - 1), _differentiate(base, s))
    if isinstance(expr, sympy.Abs) and expr.args[0].is_extended_real:
        u = expr.args[0]
        return sympy.Mul(sympy.sign(u), _differentiate(u, s))
    if isinstance(expr, sympy.sign) and expr.args[0].is_extended_real:
        u = expr.args[0]
        return sympy.Mul(2, sympy.DiracDelta(u), _differentiate(u, s))
    return sympy.diff(expr, s)


def derive_gradient(problem) -> list[ImmutableMatrix]:
    """dL/dW_k entrywise, one matrix per layer (``[0]`` is dL/dW_1).

    >>> derive_gradient(_example([1, 1, 1]))
    [Matrix([[w2_0_0*(w1_0_0*w2_0_0 - 1)]]), Matrix([[w1_0_0*(w1_0_0*w2_0_0 - 1)]])]
    """
    L = derive_objective(problem)
    return [W.applyfunc(lambda s: _differentiate(L, s)) for W in weight_symbols(problem)]


def derive_hessian(problem) -> ImmutableMatrix:
    """The N x N Hessian in parameter order (layer by layer, W_1 first, row-major).

    >>> derive_hessian(_example([1, 1, 1])).subs({s: 0 for s in parameter_symbols(_example([1, 1, 1]))})
    Matrix([
    [ 0, -1],
    [-1,  0]])
    """
    syms = parameter_symbols(problem)
    grad = [g for G in derive_gradient(problem) for g in G]
    N = len(syms)
    H = [[sympy.S.Zero] * N for _ in range(N)]
    for p in range(N):
        for q in range(p, N):
            H[p][q] = H[q][p] = _differentiate(grad[p], syms[q])
    return ImmutableMatrix(H)


# ==========================================================================================
# Matrix-form route
# ==========================================================================================

@dataclass(frozen=True)
class MatrixSymbols:
    """The matrix symbols of the matrix-form derivation.

    ``W[k-1]`` is ``W_k`` (d_k x d_{k-1}), ``V[k-1]`` the direction ``V_k`` of the same shape,
    ``X`` the data (None for a loss of the product, which does not see it), ``Y`` the
    targets (None for a loss of the product), ``E`` the loss argument and ``G = grad l(E)``.
    """

    W: tuple
    V: tuple
    X: MatrixSymbol | None
    Y: MatrixSymbol | None
    E: MatrixSymbol
    G: MatrixSymbol


def matrix_symbols(problem) -> MatrixSymbols:
    """MatrixSymbols shaped for ``problem``."""
    W = tuple(MatrixSymbol(f"W_{k}", r, c) for k, (r, c) in enumerate(problem.shapes, start=1))
    V = tuple(MatrixSymbol(f"V_{k}", r, c) for k, (r, c) in enumerate(problem.shapes, start=1))
    m, n = problem.loss_argument_shape
    product = problem.loss.over_product
    X = None if product else MatrixSymbol("X", problem.widths[0], n)
    Y = None if product else MatrixSymbol("Y", m, n)
    return MatrixSymbols(W=W, V=V, X=X, Y=Y, E=MatrixSymbol("E", m, n), G=MatrixSymbol("G", m, n))


def _mul(*factors):
    """Product of matrix factors (a single factor stays itself); None when empty."""
    factors = [f for f in factors if f is not None]
    if not factors:
        return None
    return factors[0] if len(factors) == 1 else MatMul(*factors)


def _above(ms: MatrixSymbols, k: int) -> list:
    """W_{>k} = W_H ... W_{k+1} as a list of factors (empty for k = H)."""
    return list(reversed(ms.W[k:]))


def _between(ms: MatrixSymbols, k: int, j: int) -> list:
    """W_{k-1} ... W_{j+1} (j < k) as a list of factors."""
    return list(reversed(ms.W[j:k - 1]))


def _below(ms: MatrixSymbols, k: int) -> list:
    """W_{k-1} ... W_1 X as a list of factors (no X for a loss of the product)."""
    return list(reversed(ms.W[:k - 1])) + ([ms.X] if ms.X is not None else [])


def _gradient_terms(ms: MatrixSymbols, k: int, lam: Rational) -> list:
    # dL/dW_k = W_{>k}^T G (W_{<k} X)^T + lam W_k
    A, B = _mul(*_above(ms, k)), _mul(*_below(ms, k))
    main = _mul(Transpose(A) if A is not None else None, ms.G,
                Transpose(B) if B is not None else None)
    return [main] + ([MatMul(lam, ms.W[k - 1])] if lam != 0 else [])


def _residual_terms(ms: MatrixSymbols) -> list:
    """E as a list of terms: [W_H ... W_1 X, -Y] (or [W_H ... W_1])."""
    R = _mul(*reversed(ms.W), ms.X)
    return [R] + ([MatMul(-1, ms.Y)] if ms.Y is not None else [])


def derive_gradient_blocks(problem) -> list:
    """dL/dW_k = W_{>k}^T G (W_{<k} X)^T + lam W_k as SymPy matrix expressions, k = 1..H.

    ``G`` stands for ``grad l(E)`` (see :func:`derive_loss_gradient`).

    >>> derive_gradient_blocks(_example([1, 1, 1, 1], X=[[2]]))
    [(W_3*W_2).T*G*X.T, W_3.T*G*(W_1*X).T, G*(W_2*W_1*X).T]
    """
    ms = matrix_symbols(problem)
    lam = _rational(problem.weight_decay)
    out = []
    for k in range(1, problem.depth + 1):
        terms = _gradient_terms(ms, k, lam)
        out.append(terms[0] if len(terms) == 1 else sympy.MatAdd(*terms))
    return out


def derive_differentials(problem) -> list:
    """D_k = W_{>k} V_k W_{<k} X, k = 1..H: the terms of ``dE = sum_k D_k``.

    >>> derive_differentials(_example([1, 1, 1]))
    [W_2*V_1*X, V_2*W_1*X]
    """
    ms = matrix_symbols(problem)
    return [_mul(*_above(ms, k), ms.V[k - 1], *_below(ms, k)) for k in range(1, problem.depth + 1)]


def derive_curvature_products(problem) -> dict:
    """C_kj = W_{>k} V_k W_{k-1} ... W_{j+1} V_j W_{<j} X for 1 <= j < k <= H.

    ``d^2 E[V, V] = 2 sum_{j<k} C_kj``, so the curvature of the product contributes
    ``2 sum_{j<k} <G, C_kj>`` to ``d^2 L[V, V]``.

    >>> derive_curvature_products(_example([1, 1, 1, 1]))
    {(2, 1): W_3*V_2*V_1*X, (3, 1): V_3*W_2*V_1*X, (3, 2): V_3*V_2*W_1*X}
    """
    ms = matrix_symbols(problem)
    out = {}
    for k in range(2, problem.depth + 1):
        for j in range(1, k):
            out[(k, j)] = _mul(*_above(ms, k), ms.V[k - 1], *_between(ms, k, j), ms.V[j - 1],
                               *_below(ms, j))
    return out


# ==========================================================================================
# Formulas for people
# ==========================================================================================

@dataclass(frozen=True)
class Formula:
    """One stated formula: ``name`` (its left-hand side, plain text), ``text`` and ``latex``.

    ``text`` and ``latex`` are whole statements (``"dL/dW_1 = ..."``).
    """

    name: str
    text: str
    latex: str


@dataclass(frozen=True)
class Derivation:
    """The objective, gradient blocks and Hessian blocks of one problem, in matrix form.

    Attributes
    ----------
    title : one line naming the problem (depth, widths, loss, weight decay).
    depth : H, the number of weight matrices.
    data : X and Y (or their shapes when large).
    objective : L written out for this depth and loss.
    definitions : E, the loss function l (custom losses), G = grad l(E), d^2 l(E)[D, D'].
    gradient_blocks : dL/dW_k for k = 1..H.
    hessian : d^2 L[V, V] as a whole, and dE.
    hessian_blocks : the bilinear forms d^2L/dW_k dW_j [V_k, V_j], 1 <= j <= k <= H, with
        d^2 L[V, V] = sum_k (k, k) + 2 sum_{j<k} (k, j).
    entrywise : explicit objective, gradient and Hessian in the weight entries (only for
        problems with at most ``EXPLICIT_LIMIT`` parameters; empty otherwise).
    notes : caveats (kinks of l1, omitted parts, ...).
    """

    title: str
    depth: int
    data: tuple[Formula, ...]
    objective: Formula
    definitions: tuple[Formula, ...]
    gradient_blocks: tuple[Formula, ...]
    hessian: tuple[Formula, ...]
    hessian_blocks: tuple[Formula, ...]
    entrywise: tuple[Formula, ...]
    notes: tuple[Formula, ...]


class _Style:
    """How to write the small set of notations used here, in plain text or in LaTeX."""

    def __init__(self, tex: bool):
        self.tex = tex

    def name(self, n: str) -> str:           # "W_3" -> "W_{3}"
        if self.tex and "_" in n:
            base, sub = n.split("_", 1)
            return f"{base}_{{{sub}}}"
        return n

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)" if self.tex else f"({s})"

    def transpose(self, s: str, atomic: bool) -> str:
        s = s if atomic else self.paren(s)
        return s + ("^{T}" if self.tex else "^T")

    def number(self, q: Rational) -> str:
        return sympy.latex(q) if self.tex else sympy.sstr(q)

    def frob2(self, s: str) -> str:
        return rf"\left\| {s} \right\|_F^{{2}}" if self.tex else f"||{s}||_F^2"

    def inner(self, a: str, b: str) -> str:
        return rf"\left\langle {a}, {b} \right\rangle" if self.tex else f"<{a}, {b}>"

    def hpow(self, s: str, p: int) -> str:    # entrywise (Hadamard) power
        return f"{s}^{{\\circ {p}}}" if self.tex else f"{s}.^{p}"

    def hprod(self) -> str:
        return r" \circ " if self.tex else " .* "

    def entry(self, s: str, atomic: bool) -> str:   # (s)_ij
        s = s if atomic else self.paren(s)
        return f"{s}_{{ij}}" if self.tex else f"{s}_ij"

    def sum_ij(self) -> str:
        return r"\sum_{i,j} " if self.tex else "sum_ij "

    def abs(self, s: str) -> str:
        return rf"\left| {s} \right|" if self.tex else f"|{s}|"

    def sign(self, s: str) -> str:
        return rf"\operatorname{{sign}}({s})" if self.tex else f"sign({s})"

    def ell(self) -> str:
        return r"\ell" if self.tex else "l"

    def d2l(self, a: str, b: str) -> str:
        return rf"\mathrm{{d}}^2 \ell(E)[{a}, {b}]" if self.tex else f"d^2 l(E)[{a}, {b}]"

    def d2L(self) -> str:
        return r"\mathrm{d}^2 L[V, V]" if self.tex else "d^2 L[V, V]"

    def dE(self) -> str:
        return r"\mathrm{d}E" if self.tex else "dE"

    def grad_l(self) -> str:
        return r"\nabla \ell(E)" if self.tex else "grad l(E)"

    def partial(self, k: int) -> str:
        return rf"\frac{{\partial L}}{{\partial W_{{{k}}}}}" if self.tex else f"dL/dW_{k}"

    def partial2(self, k: int, j: int) -> str:
        if self.tex:
            den = rf"\partial W_{{{k}}}^{{2}}" if k == j else rf"\partial W_{{{k}}} \partial W_{{{j}}}"
            return rf"\frac{{\partial^2 L}}{{{den}}}[V_{{{k}}}, V_{{{j}}}]"
        den = f"dW_{k}^2" if k == j else f"dW_{k} dW_{j}"
        return f"d^2L/{den} [V_{k}, V_{j}]"

    def dots(self) -> str:
        return r" \cdots " if self.tex else " ... "

    def shape(self, m: int, n: int) -> str:
        return rf"\in \mathbb{{R}}^{{{m} \times {n}}}" if self.tex else f"({m} x {n})"

    def sym(self, expr) -> str:
        """A SymPy scalar expression or explicit matrix."""
        if self.tex:
            return sympy.latex(expr, symbol_names=_latex_names(expr))
        if isinstance(expr, sympy.MatrixBase):
            return sympy.sstr(expr.tolist())
        return sympy.sstr(expr)


_TEXT, _TEX = _Style(False), _Style(True)
_ENTRY = re.compile(r"^(w\d+|r|R|D|D')_(\d+)_(\d+)$")


def _latex_names(expr) -> dict:
    """LaTeX names for entry symbols: w3_0_1 -> w^{(3)}_{0,1}, r_0_1 -> r_{0,1}."""
    names = {}
    for s in getattr(expr, "free_symbols", ()):
        m = _ENTRY.match(s.name)
        if not m:
            continue
        base, i, j = m.groups()
        if base.startswith("w"):
            names[s] = f"w^{{({base[1:]})}}_{{{i},{j}}}"
        else:
            names[s] = f"{base}_{{{i},{j}}}"
    return names


def _layer_index(f) -> int | None:
    if isinstance(f, MatrixSymbol) and f.name.startswith("W_"):
        return int(f.name[2:])
    return None


def _show(expr, st: _Style) -> str:
    """Print a matrix expression built by this module (symbols, products, transposes)."""
    if isinstance(expr, MatrixSymbol):
        return st.name(expr.name)
    if isinstance(expr, Transpose):
        return st.transpose(_show(expr.arg, st), atomic=isinstance(expr.arg, MatrixSymbol))
    if isinstance(expr, MatMul):
        coeff, factors = expr.as_coeff_matrices()
        # Runs of consecutive layers W_b W_{b-1} ... W_a longer than RUN_LIMIT are abbreviated.
        parts, i = [], 0
        while i < len(factors):
            j = i
            while (j + 1 < len(factors) and _layer_index(factors[i]) is not None
                   and _layer_index(factors[j + 1]) == _layer_index(factors[j]) - 1):
                j += 1
            if j - i + 1 > RUN_LIMIT:
                parts.append(_show(factors[i], st) + st.dots().rstrip() + " " + _show(factors[j], st))
            else:
                parts.extend(_show(f, st) for f in factors[i:j + 1])
            i = j + 1
        body = " ".join(parts)
        if coeff == 1:
            return body
        if coeff == -1:
            return "-" + body
        return st.number(coeff) + " " + body
    raise TypeError(f"no printer for {type(expr).__name__}")


def _show_sum(terms: Sequence, st: _Style) -> str:
    out = ""
    for t in terms:
        s = _show(t, st)
        if not out:
            out = s
        elif s.startswith("-"):
            out += " - " + s[1:]
        else:
            out += " + " + s
    return out or "0"


#: Up to this depth, sums over layers are written out term by term.
WRITE_OUT_DEPTH = 4


def _sum_of_norms(letter: str, H: int, st: _Style) -> str:
    """||W_1||_F^2 + ... + ||W_H||_F^2 (parenthesised), or sum_{k=1}^{H} ||W_k||_F^2."""
    if H == 1:
        return st.frob2(st.name(f"{letter}_1"))
    if H > WRITE_OUT_DEPTH:
        if st.tex:
            return rf"\sum_{{k=1}}^{{{H}}} " + st.frob2(f"{letter}_{{k}}")
        return f"sum_{{k=1..{H}}} " + st.frob2(f"{letter}_k")
    return st.paren(" + ".join(st.frob2(st.name(f"{letter}_{k}")) for k in range(1, H + 1)))


def _is_atomic(expr) -> bool:
    return isinstance(expr, MatrixSymbol)


def _formula(name_text: str, build) -> Formula:
    """A formula from ``build(style) -> statement``."""
    return Formula(name=name_text, text=build(_TEXT), latex=build(_TEX))


# -- the loss, as it enters each formula -----------------------------------------------

def _loss_value(loss, E: str, atomic: bool, st: _Style) -> str:
    """l(E) written out for the built-in losses; ``l(E)`` for custom ones."""
    if isinstance(loss, SquareLoss):
        return f"{st.number(Rational(1, 2))} {st.frob2(E)}"
    if isinstance(loss, L1Loss):
        return st.sum_ij() + st.abs(st.entry(E, atomic))
    if isinstance(loss, PowerLoss):
        ent = st.entry(E, atomic)
        return f"{st.number(Rational(1, loss.p))} {st.sum_ij()}{ent}^{{{loss.p}}}" if st.tex else \
            f"1/{loss.p} {st.sum_ij()}{ent}^{loss.p}"
    return f"{st.ell()}{st.paren(E)}" if st.tex else f"l({E})"


def _loss_gradient(problem, st: _Style) -> str:
    """The statement G = grad l(E) = ... for the problem's loss."""
    loss = problem.loss
    lhs = f"G = {st.grad_l()}"
    if isinstance(loss, SquareLoss):
        return f"{lhs} = E"
    if isinstance(loss, L1Loss):
        return f"{lhs} = {st.sign('E')}"
    if isinstance(loss, PowerLoss):
        return f"{lhs} = {st.hpow('E', loss.p - 1)}"
    G = derive_loss_gradient(problem)
    if G.rows * G.cols <= 25:
        return f"{lhs} = {st.sym(G)}"
    # a large argument: list the entries the expression mentions
    nonzero = [(i, j, G[i, j]) for i in range(G.rows) for j in range(G.cols) if G[i, j] != 0]
    if st.tex:
        return lhs + r",\ \text{with }" + r",\ ".join(
            f"G_{{{i},{j}}} = {st.sym(g)}" for i, j, g in nonzero) + r"\ \text{(others 0)}"
    return f"{lhs}, with " + ", ".join(f"G_{i}_{j} = {st.sym(g)}" for i, j, g in nonzero) + \
        " (others 0)"


def _curvature(loss, a, b, st: _Style) -> str | None:
    """d^2 l(E)[a, b] for matrix expressions a, b (None when it is identically zero)."""
    sa, sb = (_show(x, st) if not isinstance(x, str) else x for x in (a, b))
    atomic_a = isinstance(a, str) or _is_atomic(a)
    if isinstance(loss, L1Loss):
        return None
    if isinstance(loss, SquareLoss) or (isinstance(loss, PowerLoss) and loss.p == 2):
        return st.frob2(sa) if a == b else st.inner(sa, sb)
    if isinstance(loss, PowerLoss):
        left = st.hpow("E", loss.p - 2) + st.hprod() + (sa if atomic_a else st.paren(sa))
        return f"{loss.p - 1} {st.inner(left, sb)}"
    return st.d2l(sa, sb)


def _custom_curvature(problem, st: _Style) -> str:
    """The bilinear form d^2 l(E)[D, D'] of a custom loss, from SymPy's second derivatives."""
    r = list(loss_argument_symbols(problem))
    expr = derive_loss(problem)
    m, n = problem.loss_argument_shape
    D = [sympy.Symbol(f"D_{i}_{j}", real=True) for i in range(m) for j in range(n)]
    Dp = [sympy.Symbol(f"D'_{i}_{j}", real=True) for i in range(m) for j in range(n)]
    mentioned = [a for a, x in enumerate(r) if x in expr.free_symbols]
    form = sympy.S.Zero
    for a in mentioned:
        da = sympy.diff(expr, r[a])
        for b in mentioned:
            form += sympy.diff(da, r[b]) * D[a] * Dp[b]
    return st.sym(form)


# -- the derivation --------------------------------------------------------------------

def derivation(problem, explicit_limit: int = EXPLICIT_LIMIT) -> Derivation:
    """The matrix-form derivation of ``problem``'s objective, gradient and Hessian.

    Parameters
    ----------
    problem : a :class:`~landscape_proofs.problems.DeepLinearProblem`.
    explicit_limit : also state the entrywise formulas when there are at most this many
        parameters.

    >>> d = derivation(_example([1, 1, 1, 1]))
    >>> d.objective.text
    'L = 1/2 ||W_3 W_2 W_1 X - Y||_F^2'
    >>> [g.text for g in d.gradient_blocks]
    ['dL/dW_1 = (W_3 W_2)^T G X^T', 'dL/dW_2 = W_3^T G (W_1 X)^T', 'dL/dW_3 = G (W_2 W_1 X)^T']
    """
    loss = problem.loss
    H = problem.depth
    ms = matrix_symbols(problem)
    lam = _rational(problem.weight_decay)
    m, n = problem.loss_argument_shape
    product = loss.over_product

    # -- title and data --
    title = (f"deep linear network: H = {H} layer{'s' if H > 1 else ''}, widths "
             f"{list(problem.widths)}"
             + ("" if product else f", n = {n} sample{'s' if n > 1 else ''}")
             + f"; loss: {loss.describe()}; weight decay lam = {sympy.sstr(lam)}")
    data = []
    if not product:
        for label, rows in (("X", problem.X), ("Y", problem.Y)):
            M = _data_matrix(rows)
            if M.rows * M.cols <= SHOW_DATA_LIMIT:
                data.append(_formula(label, lambda st, M=M, label=label: f"{label} = {st.sym(M)}"))
            elif label == "X" and _x_is_identity(problem):
                data.append(_formula(label, lambda st, d=M.rows: f"X = I {st.shape(d, d)}"))
            else:
                data.append(_formula(label, lambda st, M=M, label=label:
                                     f"{label} {st.shape(M.rows, M.cols)}"))

    # -- objective and definitions --
    E_terms = _residual_terms(ms)
    E_atomic = len(E_terms) == 1 and _is_atomic(E_terms[0])

    def objective(st):
        s = "L = " + _loss_value(loss, _show_sum(E_terms, st), E_atomic, st)
        if lam != 0:
            s += f" + {st.number(lam / 2)} {_sum_of_norms('W', H, st)}"
        return s

    definitions = [_formula("E", lambda st: ("E = R = " if product else "E = ")
                            + _show_sum(E_terms, st) + " " + st.shape(m, n))]
    if isinstance(loss, CustomLoss):
        var = "R" if product else "r"
        definitions.append(_formula(
            "l", lambda st: f"{st.ell()} = {st.sym(loss.parsed.expr)}"
            + (rf"\quad \text{{with }} {var}_{{i,j}} = E_{{ij}}" if st.tex
               else f"   with {var}_i_j = E_ij")))
    definitions.append(_formula("G", lambda st: _loss_gradient(problem, st)))

    def curvature_definition(st):
        lhs = st.d2l("D", "D'")
        if isinstance(loss, CustomLoss):
            return f"{lhs} = {_custom_curvature(problem, st)}"
        rhs = _curvature(loss, "D", "D'", st)
        if rhs is None:
            return f"{lhs} = 0" + (r"\quad \text{(where no entry of } E \text{ is } 0)" if st.tex
                                   else "   (where no entry of E is 0)")
        return f"{lhs} = {rhs}"

    definitions.append(_formula("d^2 l(E)[D, D']", curvature_definition))

    # -- gradient blocks --
    gradient_blocks = tuple(
        _formula(f"dL/dW_{k}", lambda st, k=k: f"{st.partial(k)} = "
                 + _show_sum(_gradient_terms(ms, k, lam), st))
        for k in range(1, H + 1))

    # -- Hessian --
    Ds = derive_differentials(problem)
    Cs = derive_curvature_products(problem)

    def hessian(st):
        parts = []
        curv = _curvature(loss, st.dE(), st.dE(), st)
        if curv is not None:
            parts.append(curv)
        if Cs:
            if H > WRITE_OUT_DEPTH:     # the blocks below state each term
                C = (r"W_{>k} V_{k} W_{k-1} \cdots W_{j+1} V_{j} W_{<j}" if st.tex
                     else "W_{>k} V_k W_{k-1} ... W_{j+1} V_j W_{<j}") + ("" if product else " X")
                parts.append("2 " + (r"\sum_{j<k} " if st.tex else "sum_{j<k} ") + st.inner("G", C))
            else:
                inners = [st.inner("G", _show(C, st)) for C in Cs.values()]
                parts.append("2 " + (inners[0] if len(inners) == 1
                                     else st.paren(" + ".join(inners))))
        if lam != 0:
            parts.append(f"{st.number(lam)} {_sum_of_norms('V', H, st)}")
        return f"{st.d2L()} = " + (" + ".join(parts) if parts else "0")

    hessian_formulas = (
        _formula("d^2 L[V, V]", hessian),
        _formula("dE", lambda st: f"{st.dE()} = {_show_sum(Ds, st)}"),
    )

    blocks = []
    for k in range(1, H + 1):
        for j in range(1, k + 1):
            def block(st, k=k, j=j):
                parts = []
                curv = _curvature(loss, Ds[k - 1], Ds[j - 1], st)
                if curv is not None:
                    parts.append(curv)
                if j < k:
                    parts.append(st.inner("G", _show(Cs[(k, j)], st)))
                elif lam != 0:
                    parts.append(f"{st.number(lam)} {st.frob2(st.name(f'V_{k}'))}")
                return f"{st.partial2(k, j)} = " + (" + ".join(parts) if parts else "0")
            blocks.append(_formula(f"d^2L/dW_{k} dW_{j}", block))

    # -- entrywise --
    notes = []
    entrywise: tuple[Formula, ...] = ()
    N = problem.n_params
    if N <= explicit_limit:
        entrywise = _entrywise(problem)
    else:
        notes.append(Formula("entrywise", f"entrywise formulas omitted: {N} parameters > "
                             f"{explicit_limit} (derive_hessian gives them)",
                             rf"\text{{entrywise formulas omitted: {N} parameters}} > {explicit_limit}"))
    if isinstance(loss, L1Loss):
        notes.append(Formula(
            "kinks",
            "l1: G = sign(E) and d^2 l(E) = 0 hold where no entry of E is 0; at a zero entry l "
            "has a kink, and any value in [-1, 1] there gives a subgradient of l (SymPy's "
            "sign(0) = 0 is one such choice).",
            r"\text{$\ell_1$: } G = \operatorname{sign}(E),\ \mathrm{d}^2\ell(E) = 0 "
            r"\text{ where no entry of } E \text{ is } 0\text{; at a zero entry any value in }"
            r" [-1, 1] \text{ gives a subgradient of } \ell."))
    if isinstance(loss, CustomLoss) and not loss.polynomial:
        notes.append(Formula(
            "smoothness", "the custom loss is not a polynomial: the formulas hold where it is "
            "differentiable (twice, for the Hessian)",
            r"\text{the custom loss is not a polynomial: the formulas hold where it is "
            r"(twice) differentiable}"))
    if product and problem.Y is not None:
        notes.append(Formula("Y", "Y is given but a loss of the product does not use it",
                             r"\text{$Y$ is given but a loss of the product does not use it}"))
    return Derivation(title=title, depth=H, data=tuple(data), objective=_formula("L", objective),
                      definitions=tuple(definitions), gradient_blocks=gradient_blocks,
                      hessian=hessian_formulas, hessian_blocks=tuple(blocks),
                      entrywise=entrywise, notes=tuple(notes))


def _entrywise(problem) -> tuple[Formula, ...]:
    syms = parameter_symbols(problem)
    L = derive_objective(problem)
    grads = derive_gradient(problem)
    hess = derive_hessian(problem)
    kinks = any(h.has(sympy.DiracDelta) for h in hess)
    if kinks:
        # d sign(x)/dx = 2 DiracDelta(x): zero away from the kinks, where the Hessian is meant.
        hess = hess.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
    out = [
        Formula("parameters", "parameters, in order: " + ", ".join(s.name for s in syms),
                r"\text{parameters, in order: } " + ", ".join(
                    _TEX.sym(s) for s in syms)),
        _formula("L", lambda st: f"L = {st.sym(L)}"),
    ]
    for k, g in enumerate(grads, start=1):
        out.append(_formula(f"dL/dW_{k}", lambda st, g=g, k=k: f"{st.partial(k)} = {st.sym(g)}"))

    def hessian(st):
        where = " (away from kinks)" if kinks else ""
        if st.tex:
            return r"\nabla^2 L = " + st.sym(hess) + (r"\quad \text{" + where.strip() + "}" if kinks else "")
        rows = [sympy.sstr(list(hess.row(i))) for i in range(hess.rows)]
        return f"Hessian{where} =\n" + "\n".join("  " + r for r in rows)

    out.append(_formula("Hessian", hessian))
    return tuple(out)


def render_derivation(derivation: Derivation, latex: bool = False) -> str:
    """The text ``landscape derive`` prints: plain text, or LaTeX (one display per formula).

    >>> print(render_derivation(derivation(_example([1, 1], X=[[2]]))))  # doctest: +ELLIPSIS
    deep linear network: H = 1 layer, widths [1, 1], n = 1 sample; ...
    <BLANKLINE>
    Objective
      L = 1/2 ||W_1 X - Y||_F^2
    ...
    """
    d = derivation
    H = d.depth
    vs = ", ".join(f"V_{k}" for k in range(1, H + 1))
    vs_tex = ", ".join(f"V_{{{k}}}" for k in range(1, H + 1))
    sections = [
        ("Objective", "Objective",
         (d.objective,) + tuple(f for f in d.definitions if f.name in ("E", "l"))),
        ("Gradient blocks", "Gradient blocks",
         tuple(f for f in d.definitions if f.name == "G") + d.gradient_blocks),
        (f"Hessian, as the second directional derivative along V = ({vs})",
         rf"Hessian, as the second directional derivative along $V = ({vs_tex})$",
         tuple(f for f in d.definitions if f.name.startswith("d^2 l")) + d.hessian),
        ("Hessian blocks, with d^2 L[V, V] = sum_k d^2L/dW_k^2 [V_k, V_k] "
         "+ 2 sum_{j<k} d^2L/dW_k dW_j [V_k, V_j]",
         r"Hessian blocks, with $\mathrm{d}^2 L[V, V] = \sum_k \frac{\partial^2 L}{\partial W_k^2}"
         r"[V_k, V_k] + 2 \sum_{j<k} \frac{\partial^2 L}{\partial W_k \partial W_j}[V_k, V_j]$",
         d.hessian_blocks),
        ("Entrywise", "Entrywise", d.entrywise),
        ("Notes", "Notes", d.notes),
    ]
    lines = []
    if latex:
        lines.append(f"% {d.title}")
        for f in d.data:
            lines.append(rf"\[ {f.latex} \]")
        for _, head, formulas in sections:
            if formulas:
                lines += ["", rf"\paragraph{{{head}.}}"]
                lines += [rf"\[ {f.latex} \]" for f in formulas]
        return "\n".join(lines) + "\n"
    lines.append(d.title)
    lines += ["  " + f.text for f in d.data]
    for head, _, formulas in sections:
        if formulas:
            lines += ["", head]
            lines += ["\n".join("  " + line for line in f.text.split("\n")) for f in formulas]
    return "\n".join(lines) + "\n"


def _example(widths, X=None, Y=None, loss=None, weight_decay=0):
    """A small problem for the doctests: X = [[1]] when d_0 = 1, Y all ones by default."""
    if X is None and widths[0] == 1:
        X = [[1]]
    if Y is None:
        n = len(X[0]) if X is not None else widths[0]
        Y = [[1] * n for _ in range(widths[-1])]
    return DeepLinearProblem(widths=tuple(widths), X=X, Y=Y, loss=loss or SquareLoss(),
                             weight_decay=weight_decay)
