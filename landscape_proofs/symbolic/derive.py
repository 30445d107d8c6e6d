"""Symbolic derivation (SymPy) of linear-network objectives, their gradients and Hessians.

Three families (``problem.family``): ``deep-linear`` (and ``matrix-factorization``, which
loads as one), ``multi-tower`` and ``symmetric-factorization``.  Two routes, kept apart on
purpose so that each can check the other:

* **Entrywise.**  Every weight entry is a SymPy symbol, named in the family's parameter order
  (that of its exact evaluator and point files): ``w1_0_0`` is entry (0, 0) of ``W_1`` (layer
  (1-based) _ row _ col); for a multi-tower network ``t2w1_0_0`` is entry (0, 0) of ``W^(2)_1``,
  layer 1 of tower 2 (tower 1's layers come first); for a symmetric factorization ``u_0_1`` is
  entry (0, 1) of ``U``.  ``derive_objective`` writes ``L`` as one scalar expression in them,
  and ``derive_gradient`` / ``derive_hessian`` differentiate it entry by entry.  Slow for
  large networks, but obviously right: the tests compare the closed forms of
  :mod:`landscape_proofs.exact` with it, exactly.
* **Matrix form.**  With ``E = W_H ... W_1 X - Y`` (or ``E = W_H ... W_1`` for a loss of the
  product), ``G = grad l(E)``, ``W_{>k} = W_H ... W_{k+1}`` and ``W_{<k} = W_{k-1} ... W_1``:

  - ``dL/dW_k = W_{>k}^T G (W_{<k} X)^T + lam W_k``;
  - ``d^2 L[V, V] = d^2 l(E)[dE, dE] + 2 sum_{j<k} <G, W_{>k} V_k W_{k-1}...W_{j+1} V_j W_{<j} X>
    + lam sum_k ||V_k||_F^2`` with ``dE = sum_k W_{>k} V_k W_{<k} X``.

  A multi-tower network has ``R = sum_t W^(t)_{H_t} ... W^(t)_1`` in place of the product:
  each layer's gradient is its own tower's chain rule with the shared ``G``, ``dE`` sums the
  terms of every tower, and the ``<G, .>`` terms pair only layers of the same tower (``R`` is a
  sum, so ``d^2 R / dW^(s) dW^(t) = 0`` for ``s != t``).  A symmetric factorization has
  ``E = U U^T - Y`` (or ``U U^T``): ``dL/dU = (G + G^T) U + lam U``, ``dE = V U^T + U V^T`` and
  ``d^2 L[V, V] = d^2 l(E)[dE, dE] + 2 <G, V V^T> + lam ||V||_F^2``.

  ``derive_gradient_blocks``, ``derive_differentials`` and ``derive_curvature_products``
  return these as SymPy matrix expressions in ``MatrixSymbol`` s (``W_k`` or ``W^(t)_k`` or
  ``U``, the directions ``V_k`` or ``V^(t)_k`` or ``V``, ``X``, ``Y``, ``G``) for the
  problem's actual shapes; :func:`derivation` states them, for the problem's loss, as
  formulas in plain text and LaTeX, and :func:`render_derivation` gives the text that
  ``landscape derive`` prints.

Everything here is a producer for people: nothing the checker trusts comes from this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import sympy
from sympy import (HadamardProduct, ImmutableMatrix, MatAdd, MatMul, MatrixSymbol, Rational,
                   Transpose)

from landscape_proofs.kernel.errors import UnsupportedError
from landscape_proofs.losses.expression import entry_symbol
from landscape_proofs.losses.registry import default_loss, loss_from_name
from landscape_proofs.families.registry import (DEFAULT_FAMILY, family_class, layered_families,  # noqa: F401
                                               problem_from_dict)  # (the doctests build problems)

#: Problems with at most this many parameters also get explicit entrywise formulas.
EXPLICIT_LIMIT = 12
#: A run of more consecutive layers than this prints as ``W_b ... W_a``.
RUN_LIMIT = 4
#: Data matrices with more entries than this are described by their shape only.
SHOW_DATA_LIMIT = 64

__all__ = [
    "EXPLICIT_LIMIT", "FAMILIES", "Formula", "Derivation", "MatrixSymbols",
    "weight_symbols", "parameter_symbols", "loss_argument_symbols",
    "derive_loss", "derive_loss_gradient", "derive_loss_argument",
    "derive_objective", "derive_gradient", "derive_hessian",
    "matrix_symbols", "derive_gradient_blocks", "derive_differentials",
    "derive_curvature_products", "derivation", "render_derivation",
]


# ==========================================================================================
# Entrywise route
# ==========================================================================================

def _decay_parts(problem) -> tuple[Rational, list | None]:
    """(lam, None) for a scalar decay; (0, [Lambda_1, ..., Lambda_H]) for a per-entry one."""
    wd = problem.weight_decay
    if isinstance(wd, tuple):
        return Rational(0), [ImmutableMatrix([[_rational(x) for x in row] for row in L]) for L in wd]
    return _rational(wd), None


def _decay_names(ms) -> list[MatrixSymbol]:
    """Lambda_k, shaped like the k-th weight matrix (per-entry decay)."""
    return [MatrixSymbol(f"Lambda_{W.name.split('_', 1)[-1] if '_' in W.name else W.name}",
                         W.rows, W.cols) for W in ms.W]


def _rational(x) -> Rational:
    """An exact number (Fraction, int, fmpq, Rational) as a SymPy Rational; floats refused."""
    if isinstance(x, float):
        raise TypeError(f"expected an exact rational, got the float {x!r}")
    q = Fraction(x) if not hasattr(x, "p") else Fraction(int(x.p), int(x.q))
    return Rational(q.numerator, q.denominator)


def _data_matrix(rows) -> ImmutableMatrix:
    return ImmutableMatrix([[_rational(x) for x in row] for row in rows])


#: The families this module derives: those whose points are lists of layers (the registry's
#: ``layered_families``; at import).
FAMILIES = layered_families()

# The derivations are written per *structure* of the product map, as the family states it
# (``Problem.chains``, ``Problem.psd_product``), never per family name:
CHAIN = "one chain"        # R = W_H ... W_1
TOWERS = "towers"          # R = sum_t W^(t)_{H_t} ... W^(t)_1
GRAM = "gram"              # R = U U^T


def _family(problem) -> str:
    """The structure of ``problem``'s product map (CHAIN, TOWERS or GRAM)."""
    if not getattr(problem, "layered", False):
        family = getattr(problem, "family", None)
        raise UnsupportedError(f"no symbolic derivation for the family {family!r}; expected "
                               f"one of {', '.join(layered_families())} (or matrix-factorization, "
                               "which loads as deep-linear)")
    if problem.psd_product:
        return GRAM
    return TOWERS if problem.sum_of_towers else CHAIN


def _block_names(problem) -> list[tuple[str, str]]:
    """(matrix name, entry-symbol prefix) of each parameter matrix, in parameter order.

    deep-linear: ``("W_k", "wk")``; multi-tower: ``("W^(t)_k", "twk")`` tower by tower (tower 1
    first, W_1 first within a tower); symmetric-factorization: ``("U", "u")``.
    """
    family = _family(problem)
    if family == GRAM:
        return [("U", "u")]
    if family == TOWERS:
        return [(f"W^({t})_{k}", f"t{t}w{k}")
                for t, H in enumerate(problem.tower_depths, start=1) for k in range(1, H + 1)]
    return [(f"W_{k}", f"w{k}") for k in range(1, problem.depth + 1)]


def _direction_name(name: str) -> str:
    """The direction matching a parameter matrix: W_k -> V_k, W^(t)_k -> V^(t)_k, U -> V."""
    return "V" if name == "U" else "V" + name[1:]


def _x_is_identity(problem) -> bool:
    d0 = len(problem.X)
    return len(problem.X) == d0 and all(
        len(row) == d0 and all(x == (i == j) for j, x in enumerate(row))
        for i, row in enumerate(problem.X))


def weight_symbols(problem) -> list[ImmutableMatrix]:
    """The parameter matrices as matrices of real SymPy symbols, in parameter order.

    deep-linear: ``weights[0]`` is ``W_1``; entry (i, j) of ``W_k`` is the symbol ``wk_i_j``
    (layer 1-based, row and column 0-based).  multi-tower: every layer of tower 1 (``W^(1)_1``
    first), then tower 2, ...; entry (i, j) of ``W^(t)_k`` is ``twk_i_j``.
    symmetric-factorization: ``[U]``, entry (i, j) of ``U`` is ``u_i_j``.

    >>> weight_symbols(_example([2, 1, 1]))
    [Matrix([[w1_0_0, w1_0_1]]), Matrix([[w2_0_0]])]
    >>> weight_symbols(problem_from_dict({"family": "multi-tower", "towers": [[1, 1], [1, 1, 1]], "Y": [[1]], "loss": "square"}))
    [Matrix([[t1w1_0_0]]), Matrix([[t2w1_0_0]]), Matrix([[t2w2_0_0]])]
    >>> weight_symbols(problem_from_dict({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, 1]], "loss": "square"}))
    [Matrix([
    [u_0_0],
    [u_1_0]])]
    """
    out = []
    for (_, prefix), (rows, cols) in zip(_block_names(problem), problem.shapes):
        out.append(ImmutableMatrix(rows, cols, [sympy.Symbol(f"{prefix}_{i}_{j}", real=True)
                                                for i in range(rows) for j in range(cols)]))
    return out


def parameter_symbols(problem) -> list[sympy.Symbol]:
    """All parameter symbols in parameter order: matrix by matrix (as in ``problem.shapes``:
    W_1 first; for a multi-tower network tower 1 first), each matrix row-major.  This is the
    order of the exact evaluator's ``gradient_vector`` and ``hessian``."""
    return [s for W in weight_symbols(problem) for s in W]


def loss_argument_symbols(problem) -> ImmutableMatrix:
    """The symbols ``r_i_j`` (residual) or ``R_i_j`` (product) for the loss's argument E."""
    m, n = problem.loss_argument_shape
    prefix = "R" if problem.loss.over_product else "r"
    return ImmutableMatrix(m, n, [entry_symbol(prefix, i, j) for i in range(m) for j in range(n)])


def derive_loss(problem) -> sympy.Expr:
    """The loss ``l`` as an expression in the entries ``r_i_j`` (or ``R_i_j``) of its argument.

    >>> derive_loss(_example([1, 1], loss=loss_from_name("power 4")))
    r_0_0**4/4
    """
    loss = problem.loss
    r = list(loss_argument_symbols(problem))
    try:
        return loss.sympy_expression(r)
    except (NotImplementedError, AttributeError):
        raise UnsupportedError(f"no symbolic form for the loss {getattr(loss, 'name', loss)!r}")


def derive_loss_gradient(problem) -> ImmutableMatrix:
    """``G = grad l`` entrywise, as a matrix of expressions in ``r_i_j`` (or ``R_i_j``).

    For the l1 loss this is ``sign(r_i_j)``: the gradient away from kinks (SymPy's
    ``sign(0) = 0`` is one element of the subdifferential ``[-1, 1]``).

    >>> derive_loss_gradient(_example([1, 2], Y=[[1], [2]], loss=loss_from_name("l1")))
    Matrix([
    [sign(r_0_0)],
    [sign(r_1_0)]])
    """
    r = loss_argument_symbols(problem)
    expr = derive_loss(problem)
    return r.applyfunc(lambda x: sympy.diff(expr, x))


def derive_loss_argument(problem) -> ImmutableMatrix:
    """E in the weight symbols: ``R X - Y``, or ``R`` for a product loss, where

    * deep-linear: ``R = W_H ... W_1``;
    * multi-tower: ``R = sum_t W^(t)_{H_t} ... W^(t)_1``;
    * symmetric-factorization: ``R = U U^T`` (and ``X = I``: ``E = U U^T - Y``).

    >>> derive_loss_argument(problem_from_dict({"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[3]], "loss": "square"}))
    Matrix([[t1w1_0_0*t1w2_0_0 + t2w1_0_0*t2w2_0_0 - 3]])
    """
    family = _family(problem)
    W = weight_symbols(problem)
    if family == GRAM:
        R = W[0] * W[0].T
        if problem.loss.over_product:
            return ImmutableMatrix(R)
        return ImmutableMatrix(R - _data_matrix(problem.Y))
    if family == TOWERS:
        R = sympy.zeros(problem.output_width, problem.input_width)
        for layers in problem.tower_layers:
            Rt = W[layers[0]]
            for i in layers[1:]:
                Rt = W[i] * Rt
            R = R + Rt
    else:
        R = W[0]
        for Wk in W[1:]:
            R = Wk * R
    if problem.loss.over_product:
        return ImmutableMatrix(R)
    return ImmutableMatrix(R * _data_matrix(problem.X) - _data_matrix(problem.Y))


def derive_objective(problem) -> sympy.Expr:
    """L = l(E) + lam/2 (sum of ||.||_F^2 over every parameter matrix), in the weight symbols.

    >>> derive_objective(_example([1, 1, 1, 1]))
    (w1_0_0*w2_0_0*w3_0_0 - 1)**2/2
    """
    r = loss_argument_symbols(problem)
    E = derive_loss_argument(problem)
    value = derive_loss(problem).xreplace(dict(zip(r, E)))
    lam, per_entry = _decay_parts(problem)
    if lam != 0:
        value += lam / 2 * sympy.Add(*[s ** 2 for s in parameter_symbols(problem)])
    if per_entry is not None:
        lams = [x for L in per_entry for x in L]
        value += sympy.Add(*[d / 2 * s ** 2 for d, s in zip(lams, parameter_symbols(problem))])
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
    """dL/dW entrywise, one matrix per parameter matrix in parameter order (``[0]`` is dL/dW_1).

    >>> derive_gradient(_example([1, 1, 1]))
    [Matrix([[w2_0_0*(w1_0_0*w2_0_0 - 1)]]), Matrix([[w1_0_0*(w1_0_0*w2_0_0 - 1)]])]
    """
    L = derive_objective(problem)
    return [W.applyfunc(lambda s: _differentiate(L, s)) for W in weight_symbols(problem)]


def derive_hessian(problem) -> ImmutableMatrix:
    """The N x N Hessian in parameter order (:func:`parameter_symbols`).

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

    ``W`` holds the parameter matrices in parameter order: ``W[k-1]`` is ``W_k`` (d_k x d_{k-1})
    for a deep linear network; every layer ``W^(t)_k`` of tower 1, then tower 2, ... for a
    multi-tower network; ``(U,)`` for a symmetric factorization.  ``V`` holds the directions
    of the same shapes (``V_k``, ``V^(t)_k``, ``V``).  ``X`` is the data (None for a loss of the
    product, which does not see it, and for a symmetric factorization, where it is the
    identity), ``Y`` the targets (None for a loss of the product), ``E`` the loss argument and
    ``G = grad l(E)``.
    """

    W: tuple
    V: tuple
    X: MatrixSymbol | None
    Y: MatrixSymbol | None
    E: MatrixSymbol
    G: MatrixSymbol


def matrix_symbols(problem) -> MatrixSymbols:
    """MatrixSymbols shaped for ``problem``."""
    family = _family(problem)
    names = [name for name, _ in _block_names(problem)]
    W = tuple(MatrixSymbol(name, r, c) for name, (r, c) in zip(names, problem.shapes))
    V = tuple(MatrixSymbol(_direction_name(name), r, c) for name, (r, c) in zip(names, problem.shapes))
    m, n = problem.loss_argument_shape
    product = problem.loss.over_product
    X = None if product or family == GRAM else MatrixSymbol("X", len(problem.X), n)
    Y = None if product else MatrixSymbol("Y", m, n)
    return MatrixSymbols(W=W, V=V, X=X, Y=Y, E=MatrixSymbol("E", m, n), G=MatrixSymbol("G", m, n))


def _towers(problem, ms: MatrixSymbols) -> list[MatrixSymbols]:
    """The symbols of each tower alone (its own W and V; X, Y, E, G shared), in order.

    A deep linear network is one tower; a multi-tower network has ``problem.tower_layers``.
    """
    if _family(problem) != TOWERS:
        return [ms]
    return [MatrixSymbols(W=tuple(ms.W[i] for i in layers), V=tuple(ms.V[i] for i in layers),
                          X=ms.X, Y=ms.Y, E=ms.E, G=ms.G) for layers in problem.tower_layers]


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


def _all_gradient_terms(problem, ms: MatrixSymbols) -> list[list]:
    """The terms of dL/dW for every parameter matrix, in parameter order."""
    lam, per_entry = _decay_parts(problem)
    if per_entry is not None:           # one chain of layers: + Lambda_k o W_k
        return [_gradient_terms(tower, k, lam) + [HadamardProduct(Lam, tower.W[k - 1])]
                for tower in _towers(problem, ms)
                for k, Lam in zip(range(1, len(tower.W) + 1), _decay_names(ms))]
    if _family(problem) == GRAM:
        # dL/dU = (G + G^T) U + lam U
        U = ms.W[0]
        return [[MatMul(MatAdd(ms.G, Transpose(ms.G)), U)] + ([MatMul(lam, U)] if lam != 0 else [])]
    # each layer: its own tower's chain rule, with the G shared by all towers
    return [_gradient_terms(tower, k, lam)
            for tower in _towers(problem, ms) for k in range(1, len(tower.W) + 1)]


def _product_terms(problem, ms: MatrixSymbols) -> list:
    """R as a list of terms: [W_H ... W_1], [R_1, R_2, ...] (one per tower), or [U U^T]."""
    if _family(problem) == GRAM:
        return [MatMul(ms.W[0], Transpose(ms.W[0]))]
    return [_mul(*reversed(tower.W)) for tower in _towers(problem, ms)]


def _residual_terms(ms: MatrixSymbols) -> list:
    """E as a list of terms: [W_H ... W_1 X, -Y] (or [W_H ... W_1])."""
    R = _mul(*reversed(ms.W), ms.X)
    return [R] + ([MatMul(-1, ms.Y)] if ms.Y is not None else [])


def derive_gradient_blocks(problem) -> list:
    """dL/dW for every parameter matrix, in parameter order, as SymPy matrix expressions.

    deep-linear: ``W_{>k}^T G (W_{<k} X)^T + lam W_k``, k = 1..H; multi-tower: the same inside
    each layer's own tower; symmetric-factorization: ``(G + G^T) U + lam U``.  ``G`` stands for
    ``grad l(E)`` (see :func:`derive_loss_gradient`).

    >>> derive_gradient_blocks(_example([1, 1, 1, 1], X=[[2]]))
    [(W_3*W_2).T*G*X.T, W_3.T*G*(W_1*X).T, G*(W_2*W_1*X).T]
    >>> derive_gradient_blocks(problem_from_dict({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, 1]], "loss": "square"}))
    [(G + G.T)*U]
    """
    ms = matrix_symbols(problem)
    return [terms[0] if len(terms) == 1 else sympy.MatAdd(*terms)
            for terms in _all_gradient_terms(problem, ms)]


def derive_differentials(problem) -> list:
    """The terms of ``dE``, one per parameter matrix (parameter order): ``dE = sum D``.

    deep-linear: ``D_k = W_{>k} V_k W_{<k} X``; multi-tower: the same inside each layer's own
    tower; symmetric-factorization: ``D = V U^T + U V^T``.

    >>> derive_differentials(_example([1, 1, 1]))
    [W_2*V_1*X, V_2*W_1*X]
    """
    ms = matrix_symbols(problem)
    if _family(problem) == GRAM:
        U, V = ms.W[0], ms.V[0]
        return [MatAdd(MatMul(V, Transpose(U)), MatMul(U, Transpose(V)))]
    return [_mul(*_above(tower, k), tower.V[k - 1], *_below(tower, k))
            for tower in _towers(problem, ms) for k in range(1, len(tower.W) + 1)]


def derive_curvature_products(problem) -> dict:
    """The second-order terms of E: ``d^2 E[V, V] = 2 sum of the values``.

    deep-linear: ``C_kj = W_{>k} V_k W_{k-1} ... W_{j+1} V_j W_{<j} X`` for 1 <= j < k <= H, so
    the curvature of the product contributes ``2 sum_{j<k} <G, C_kj>`` to ``d^2 L[V, V]``.
    multi-tower: the same for two layers k > j of the same tower, keyed by their positions
    (1-based) in the parameter order; layers of different towers have no such term.
    symmetric-factorization: ``{(1, 1): V V^T}``.

    >>> derive_curvature_products(_example([1, 1, 1, 1]))
    {(2, 1): W_3*V_2*V_1*X, (3, 1): V_3*W_2*V_1*X, (3, 2): V_3*V_2*W_1*X}
    >>> derive_curvature_products(problem_from_dict({"family": "multi-tower", "towers": [[1, 1], [1, 1, 1]], "Y": [[1]], "loss": "square"}))
    {(3, 2): V^(2)_2*V^(2)_1*X}
    """
    ms = matrix_symbols(problem)
    if _family(problem) == GRAM:
        return {(1, 1): MatMul(ms.V[0], Transpose(ms.V[0]))}
    out = {}
    offset = 0
    for tower in _towers(problem, ms):
        for k in range(2, len(tower.W) + 1):
            for j in range(1, k):
                out[(offset + k, offset + j)] = _mul(*_above(tower, k), tower.V[k - 1],
                                                     *_between(tower, k, j), tower.V[j - 1],
                                                     *_below(tower, j))
        offset += len(tower.W)
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
    title : one line naming the problem (family, shapes, loss, weight decay).
    depth : H, the number of parameter matrices (all layers of all towers for a multi-tower
        network; 1, ``U``, for a symmetric factorization).
    data : X and Y (or their shapes when large).
    objective : L written out for this problem and loss.
    definitions : R (multi-tower: the sum of the towers), E, the loss function l (custom
        losses), G = grad l(E), d^2 l(E)[D, D'].
    gradient_blocks : dL/dW for every parameter matrix, in parameter order.
    hessian : d^2 L[V, V] as a whole, and dE.
    hessian_blocks : the bilinear forms d^2L/dW_k dW_j [V_k, V_j], 1 <= j <= k <= H (k, j in
        parameter order), with d^2 L[V, V] = sum_k (k, k) + 2 sum_{j<k} (k, j).
    entrywise : explicit objective, gradient and Hessian in the weight entries (only for
        problems with at most ``EXPLICIT_LIMIT`` parameters; empty otherwise).
    notes : caveats (kinks of l1, omitted parts, ...).
    direction : the direction V of the Hessian section, e.g. ``V = (V_1, V_2)``; None: the
        deep-linear form for ``depth``.
    blocks_sum : how the Hessian blocks add up to d^2 L[V, V] (the heading of the blocks);
        None: the deep-linear form.
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
    direction: Formula | None = None
    blocks_sum: Formula | None = None


class _Style:
    """How to write the small set of notations used here, in plain text or in LaTeX."""

    def __init__(self, tex: bool):
        self.tex = tex

    def name(self, n: str) -> str:           # "W_3" -> "W_{3}", "W^(2)_1" -> "W^{(2)}_{1}"
        if not self.tex:
            return n
        if n.startswith("Lambda"):            # the per-entry decays: \Lambda_k
            n = "\\" + n
        n = re.sub(r"\^\((\w+)\)", r"^{(\1)}", n)
        if "_" in n:
            base, sub = n.split("_", 1)
            return f"{base}_{{{sub}}}"
        return n

    def superscriptable(self, n: str) -> str:
        """A matrix name ready for a superscript: W^(2)_1 already has one, so brace it."""
        s = self.name(n)
        if "^" in n:
            return "{" + s + "}" if self.tex else self.paren(s)
        return s

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)" if self.tex else f"({s})"

    def transpose(self, s: str, atomic: bool) -> str:
        if not atomic:
            s = self.paren(s)
        elif "^" in s:                        # W^(2)_1 already carries a superscript
            s = "{" + s + "}" if self.tex else self.paren(s)
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

    def partial(self, w: str) -> str:
        """dL/dW for the parameter matrix named ``w`` (``W_3``, ``W^(2)_1``, ``U``)."""
        return rf"\frac{{\partial L}}{{\partial {self.name(w)}}}" if self.tex else f"dL/d{w}"

    def partial2(self, wk: str, wj: str) -> str:
        """d^2L/dW_k dW_j [V_k, V_j] for parameter matrices named ``wk``, ``wj``."""
        vk, vj = self.name(_direction_name(wk)), self.name(_direction_name(wj))
        if self.tex:
            den = (rf"\partial {self.superscriptable(wk)}^{{2}}" if wk == wj
                   else rf"\partial {self.name(wk)} \partial {self.name(wj)}")
            return rf"\frac{{\partial^2 L}}{{{den}}}[{vk}, {vj}]"
        den = f"d{self.superscriptable(wk)}^2" if wk == wj else f"d{wk} d{wj}"
        return f"d^2L/{den} [{vk}, {vj}]"

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
_ENTRY = re.compile(r"^(w\d+|t\d+w\d+|u|r|R|D|D')_(\d+)_(\d+)$")
_TOWER_ENTRY = re.compile(r"^t(\d+)w(\d+)$")


def _latex_names(expr) -> dict:
    """LaTeX names for entry symbols: w3_0_1 -> w^{(3)}_{0,1}, t2w1_0_1 -> w^{(2,1)}_{0,1}
    (tower 2, layer 1), u_0_1 -> u_{0,1}, r_0_1 -> r_{0,1}."""
    names = {}
    for s in getattr(expr, "free_symbols", ()):
        m = _ENTRY.match(s.name)
        if not m:
            continue
        base, i, j = m.groups()
        tower = _TOWER_ENTRY.match(base)
        if tower:
            names[s] = f"w^{{({tower.group(1)},{tower.group(2)})}}_{{{i},{j}}}"
        elif base.startswith("w"):
            names[s] = f"w^{{({base[1:]})}}_{{{i},{j}}}"
        else:
            names[s] = f"{base}_{{{i},{j}}}"
    return names


_LAYER = re.compile(r"^(W(?:\^\(\d+\))?)_(\d+)$")


def _layer_index(f) -> tuple[str, int] | None:
    """(tower prefix, layer) of a layer symbol: W_3 -> ("W", 3), W^(2)_1 -> ("W^(2)", 1)."""
    if isinstance(f, MatrixSymbol):
        m = _LAYER.match(f.name)
        if m:
            return m.group(1), int(m.group(2))
    return None


def _follows(f, g) -> bool:
    """g is the layer just below f in the same tower (W_k then W_{k-1})."""
    a, b = _layer_index(f), _layer_index(g)
    return a is not None and b is not None and a[0] == b[0] and b[1] == a[1] - 1


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
            while j + 1 < len(factors) and _follows(factors[j], factors[j + 1]):
                j += 1
            if j - i + 1 > RUN_LIMIT:
                parts.append(_show(factors[i], st) + st.dots().rstrip() + " " + _show(factors[j], st))
            else:
                parts.extend(st.paren(_show(f, st)) if isinstance(f, MatAdd) else _show(f, st)
                             for f in factors[i:j + 1])
            i = j + 1
        body = " ".join(parts)
        if coeff == 1:
            return body
        if coeff == -1:
            return "-" + body
        return st.number(coeff) + " " + body
    if isinstance(expr, MatAdd):
        return _show_sum(expr.args, st)
    if isinstance(expr, HadamardProduct):
        return st.hprod().join(_show(a, st) for a in expr.args).strip()
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


def _sum_of_norms(matrices: Sequence[MatrixSymbol], st: _Style) -> str:
    """||W_1||_F^2 + ... + ||W_H||_F^2 (parenthesised), or sum_{k=1}^{H} ||W_k||_F^2 (for a
    multi-tower network sum_{t,k} ||W^(t)_k||_F^2) past WRITE_OUT_DEPTH matrices."""
    names = [M.name for M in matrices]
    H = len(names)
    if H == 1:
        return st.frob2(st.name(names[0]))
    if H > WRITE_OUT_DEPTH:
        letter = names[0][0]
        if "^(" in names[0]:
            if st.tex:
                return r"\sum_{t,k} " + st.frob2(f"{letter}^{{(t)}}_{{k}}")
            return "sum_{t,k} " + st.frob2(f"{letter}^(t)_k")
        if st.tex:
            return rf"\sum_{{k=1}}^{{{H}}} " + st.frob2(f"{letter}_{{k}}")
        return f"sum_{{k=1..{H}}} " + st.frob2(f"{letter}_k")
    return st.paren(" + ".join(st.frob2(st.name(name)) for name in names))


def _is_atomic(expr) -> bool:
    return isinstance(expr, MatrixSymbol)


def _formula(name_text: str, build) -> Formula:
    """A formula from ``build(style) -> statement``."""
    return Formula(name=name_text, text=build(_TEXT), latex=build(_TEX))


# -- the loss, as it enters each formula -----------------------------------------------

def _loss_value(loss, E: str, atomic: bool, st: _Style) -> str:
    """l(E) written out when the loss has a closed form (``Loss.formula_value``); ``l(E)``
    otherwise (custom losses)."""
    written = loss.formula_value(E, st.entry(E, atomic), st)
    if written is not None:
        return written
    return f"{st.ell()}{st.paren(E)}" if st.tex else f"l({E})"


def _loss_gradient(problem, st: _Style) -> str:
    """The statement G = grad l(E) = ... for the problem's loss."""
    loss = problem.loss
    lhs = f"G = {st.grad_l()}"
    written = loss.formula_gradient(st)
    if written is not None:
        return f"{lhs} = {written}"
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
    written = loss.formula_curvature(sa, sb, a == b, atomic_a, st)
    if written is None:
        return st.d2l(sa, sb)
    return written or None  # "": identically zero


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

def _title(problem) -> str:
    """One line naming the problem: family, shapes, samples, loss, weight decay."""
    family = _family(problem)
    loss = problem.loss
    product = loss.over_product
    lam, per_entry = _decay_parts(problem)
    tail = f"; loss: {loss.describe()}; weight decay " + (
        f"lam = {sympy.sstr(lam)}" if per_entry is None else "per entry (Lambda_k, shaped like W_k)")
    n = problem.loss_argument_shape[1]
    samples = "" if product else f", n = {n} sample{'s' if n > 1 else ''}"
    if family == GRAM:
        return (f"symmetric factorization l(U U^T): U is {problem.n} x {problem.k}, "
                f"U U^T is {problem.n} x {problem.n}" + tail)
    if family == TOWERS:
        T = problem.n_towers
        return (f"multi-tower linear network: {T} tower{'s' if T > 1 else ''}, widths "
                f"{[list(w) for w in problem.towers]} (R = sum of the towers' products)"
                + samples + tail)
    H = problem.depth
    return (f"deep linear network: H = {H} layer{'s' if H > 1 else ''}, widths "
            f"{list(problem.widths)}" + samples + tail)


#: Up to this many <G, .> terms, the Hessian as a whole writes each one out.
WRITE_OUT_PRODUCTS = WRITE_OUT_DEPTH * (WRITE_OUT_DEPTH - 1) // 2


def _curvature_sum(problem, ms: MatrixSymbols, st: _Style) -> str:
    """The general term of sum <G, C> when there are too many to write out."""
    product = problem.loss.over_product
    if _family(problem) == TOWERS:
        if st.tex:
            C = (r"W^{(t)}_{>k} V^{(t)}_{k} W^{(t)}_{k-1} \cdots W^{(t)}_{j+1} V^{(t)}_{j} "
                 r"W^{(t)}_{<j}")
            lead = r"\sum_{t} \sum_{j<k} "
        else:
            C = "W^(t)_{>k} V^(t)_k W^(t)_{k-1} ... W^(t)_{j+1} V^(t)_j W^(t)_{<j}"
            lead = "sum_t sum_{j<k} "
    else:
        C = (r"W_{>k} V_{k} W_{k-1} \cdots W_{j+1} V_{j} W_{<j}" if st.tex
             else "W_{>k} V_k W_{k-1} ... W_{j+1} V_j W_{<j}")
        lead = r"\sum_{j<k} " if st.tex else "sum_{j<k} "
    return "2 " + lead + st.inner("G", C + ("" if product else " X"))


def _direction(problem, ms: MatrixSymbols) -> Formula:
    """V = (V_1, ..., V_H) (every layer of every tower), or V for a symmetric factorization."""
    if _family(problem) == GRAM:
        n, k = problem.shapes[0]
        return _formula("V", lambda st: f"V {st.shape(n, k)}")
    return _formula("V", lambda st: "V = (" + ", ".join(st.name(v.name) for v in ms.V) + ")")


def _blocks_sum(problem) -> Formula:
    """The heading of the Hessian blocks: how they add up to d^2 L[V, V]."""
    family = _family(problem)
    if family == GRAM:
        return Formula("blocks", "Hessian blocks: U is the only parameter matrix, "
                       "d^2 L[V, V] = d^2L/dU^2 [V, V]",
                       r"Hessian blocks: $U$ is the only parameter matrix, $\mathrm{d}^2 L[V, V] "
                       r"= \frac{\partial^2 L}{\partial U^2}[V, V]$")
    text = ("Hessian blocks, with d^2 L[V, V] = sum_k d^2L/dW_k^2 [V_k, V_k] "
            "+ 2 sum_{j<k} d^2L/dW_k dW_j [V_k, V_j]")
    latex = (r"Hessian blocks, with $\mathrm{d}^2 L[V, V] = \sum_k \frac{\partial^2 L}{\partial W_k^2}"
             r"[V_k, V_k] + 2 \sum_{j<k} \frac{\partial^2 L}{\partial W_k \partial W_j}[V_k, V_j]$")
    if family == TOWERS:
        more = ("k, j running over every layer of every tower in parameter order; layers of "
                "different towers have no <G, .> term, R being a sum")
        text += f" ({more})"
        latex += r" (" + more.replace("<G, .>", r"$\langle G, \cdot \rangle$") + ")"
    return Formula("blocks", text, latex)


def derivation(problem, explicit_limit: int = EXPLICIT_LIMIT) -> Derivation:
    """The matrix-form derivation of ``problem``'s objective, gradient and Hessian.

    Parameters
    ----------
    problem : a problem of a layered family (deep-linear, multi-tower,
        symmetric-factorization; see ``families/registry.py``)
        (anything else: :class:`~landscape_proofs.kernel.errors.UnsupportedError`).
    explicit_limit : also state the entrywise formulas when there are at most this many
        parameters.

    >>> d = derivation(_example([1, 1, 1, 1]))
    >>> d.objective.text
    'L = 1/2 ||W_3 W_2 W_1 X - Y||_F^2'
    >>> [g.text for g in d.gradient_blocks]
    ['dL/dW_1 = (W_3 W_2)^T G X^T', 'dL/dW_2 = W_3^T G (W_1 X)^T', 'dL/dW_3 = G (W_2 W_1 X)^T']
    >>> d = derivation(problem_from_dict({"family": "multi-tower", "towers": [[1, 1, 1], [1, 1]], "Y": [[3]], "loss": "square"}))
    >>> [f.text for f in d.definitions[:2]]
    ['R = W^(1)_2 W^(1)_1 + W^(2)_1 (1 x 1)', 'E = R X - Y (1 x 1)']
    >>> [g.text for g in d.gradient_blocks]
    ['dL/dW^(1)_1 = (W^(1)_2)^T G X^T', 'dL/dW^(1)_2 = G (W^(1)_1 X)^T', 'dL/dW^(2)_1 = G X^T']
    >>> d = derivation(problem_from_dict({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, -1]], "loss": "square"}))
    >>> d.objective.text, d.gradient_blocks[0].text
    ('L = 1/2 ||U U^T - Y||_F^2', 'dL/dU = (G + G^T) U')
    """
    family = _family(problem)
    loss = problem.loss
    ms = matrix_symbols(problem)
    H = len(ms.W)
    lam, per_entry = _decay_parts(problem)
    m, n = problem.loss_argument_shape
    product = loss.over_product

    # -- title and data --
    title = _title(problem)
    data = []
    if not product:
        shown = (("Y", problem.Y),) if family == GRAM else (
            ("X", problem.X), ("Y", problem.Y))
        for label, rows in shown:
            M = _data_matrix(rows)
            if M.rows * M.cols <= SHOW_DATA_LIMIT:
                data.append(_formula(label, lambda st, M=M, label=label: f"{label} = {st.sym(M)}"))
            elif label == "X" and _x_is_identity(problem):
                data.append(_formula(label, lambda st, d=M.rows: f"X = I {st.shape(d, d)}"))
            else:
                data.append(_formula(label, lambda st, M=M, label=label:
                                     f"{label} {st.shape(M.rows, M.cols)}"))

    # -- objective and definitions --
    definitions = []
    if family == TOWERS:
        # E in terms of the symbol R, which is defined first as the sum of the towers
        R = MatrixSymbol("R", problem.output_width, problem.input_width)
        R_terms = _product_terms(problem, ms)
        E_terms = [_mul(R, ms.X)] + ([MatMul(-1, ms.Y)] if ms.Y is not None else [])
        if not product:
            definitions.append(_formula("R", lambda st: "R = " + _show_sum(R_terms, st) + " "
                                        + st.shape(problem.output_width, problem.input_width)))
    elif family == GRAM:
        E_terms = _product_terms(problem, ms) + ([MatMul(-1, ms.Y)] if ms.Y is not None else [])
    else:
        E_terms = _residual_terms(ms)
    E_atomic = len(E_terms) == 1 and _is_atomic(E_terms[0])

    lam_names = _decay_names(ms) if per_entry is not None else []
    if per_entry is not None:
        for Lam, M in zip(lam_names, per_entry):
            if M.rows * M.cols <= SHOW_DATA_LIMIT:
                data.append(_formula(Lam.name, lambda st, M=M, Lam=Lam:
                                     f"{st.name(Lam.name)} = {st.sym(M)}"))

    def decay_sum(st, mats):            # sum_k <Lambda_k, M_k o M_k>
        return " + ".join(st.inner(st.name(L.name), _show(HadamardProduct(M, M), st))
                          for L, M in zip(lam_names, mats))

    def objective(st):
        s = "L = " + _loss_value(loss, _show_sum(E_terms, st), E_atomic, st)
        if lam != 0:
            s += f" + {st.number(lam / 2)} {_sum_of_norms(ms.W, st)}"
        if per_entry is not None:
            s += f" + {st.number(Rational(1, 2))} {st.paren(decay_sum(st, ms.W))}"
        return s

    def E_definition(st):
        if family == TOWERS and product:
            return "E = R = " + _show_sum(_product_terms(problem, ms), st) + " " + st.shape(m, n)
        return ("E = R = " if product else "E = ") + _show_sum(E_terms, st) + " " + st.shape(m, n)

    definitions.append(_formula("E", E_definition))
    if loss.formula_value("E", "E", _TEXT) is None:  # no closed form: state l itself
        var = "R" if product else "r"
        definitions.append(_formula(
            "l", lambda st: f"{st.ell()} = {st.sym(derive_loss(problem))}"
            + (rf"\quad \text{{with }} {var}_{{i,j}} = E_{{ij}}" if st.tex
               else f"   with {var}_i_j = E_ij")))
    definitions.append(_formula("G", lambda st: _loss_gradient(problem, st)))

    def curvature_definition(st):
        lhs = st.d2l("D", "D'")
        if loss.formula_curvature("D", "D'", False, True, st) is None:  # from SymPy
            return f"{lhs} = {_custom_curvature(problem, st)}"
        rhs = _curvature(loss, "D", "D'", st)
        if rhs is None:
            return f"{lhs} = 0" + (r"\quad \text{(where no entry of } E \text{ is } 0)" if st.tex
                                   else "   (where no entry of E is 0)")
        return f"{lhs} = {rhs}"

    definitions.append(_formula("d^2 l(E)[D, D']", curvature_definition))

    # -- gradient blocks --
    gradient_blocks = tuple(
        _formula(f"dL/d{W.name}", lambda st, W=W, terms=terms: f"{st.partial(W.name)} = "
                 + _show_sum(terms, st))
        for W, terms in zip(ms.W, _all_gradient_terms(problem, ms)))

    # -- Hessian --
    Ds = derive_differentials(problem)
    Cs = derive_curvature_products(problem)
    many = (len(Cs) > WRITE_OUT_PRODUCTS if family == TOWERS else H > WRITE_OUT_DEPTH)

    def hessian(st):
        parts = []
        curv = _curvature(loss, st.dE(), st.dE(), st)
        if curv is not None:
            parts.append(curv)
        if Cs:
            if many:     # the blocks below state each term
                parts.append(_curvature_sum(problem, ms, st))
            else:
                inners = [st.inner("G", _show(C, st)) for C in Cs.values()]
                parts.append("2 " + (inners[0] if len(inners) == 1
                                     else st.paren(" + ".join(inners))))
        if lam != 0:
            parts.append(f"{st.number(lam)} {_sum_of_norms(ms.V, st)}")
        if per_entry is not None:
            parts.append(decay_sum(st, ms.V))
        return f"{st.d2L()} = " + (" + ".join(parts) if parts else "0")

    hessian_formulas = (
        _formula("d^2 L[V, V]", hessian),
        _formula("dE", lambda st: f"{st.dE()} = {_show_sum(Ds, st)}"),
    )

    blocks = []
    for k in range(1, H + 1):
        for j in range(1, k + 1):
            wk, wj = ms.W[k - 1].name, ms.W[j - 1].name

            def block(st, k=k, j=j, wk=wk, wj=wj):
                parts = []
                curv = _curvature(loss, Ds[k - 1], Ds[j - 1], st)
                if curv is not None:
                    parts.append(curv)
                if (k, j) in Cs:
                    # d^2 L[V, V] holds 2 <G, C> for each C; block (k, j) counts twice if j < k
                    parts.append(("" if j < k else "2 ") + st.inner("G", _show(Cs[(k, j)], st)))
                if j == k and lam != 0:
                    parts.append(f"{st.number(lam)} {st.frob2(st.name(_direction_name(wk)))}")
                if j == k and per_entry is not None:
                    parts.append(st.inner(st.name(lam_names[k - 1].name),
                                          _show(HadamardProduct(ms.V[k - 1], ms.V[k - 1]), st)))
                return f"{st.partial2(wk, wj)} = " + (" + ".join(parts) if parts else "0")
            blocks.append(_formula(f"d^2L/d{wk} d{wj}", block))

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
    notes.extend(Formula(*note) for note in loss.formula_notes())
    if product and problem.Y is not None:
        notes.append(Formula("Y", "Y is given but a loss of the product does not use it",
                             r"\text{$Y$ is given but a loss of the product does not use it}"))
    return Derivation(title=title, depth=H, data=tuple(data), objective=_formula("L", objective),
                      definitions=tuple(definitions), gradient_blocks=gradient_blocks,
                      hessian=hessian_formulas, hessian_blocks=tuple(blocks),
                      entrywise=entrywise, notes=tuple(notes),
                      direction=_direction(problem, ms), blocks_sum=_blocks_sum(problem))


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
    for (name, _), g in zip(_block_names(problem), grads):
        out.append(_formula(f"dL/d{name}", lambda st, g=g, name=name:
                            f"{st.partial(name)} = {st.sym(g)}"))

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
    if d.direction is not None:
        vs, vs_tex = d.direction.text, d.direction.latex
    else:
        vs = "V = (" + ", ".join(f"V_{k}" for k in range(1, H + 1)) + ")"
        vs_tex = "V = (" + ", ".join(f"V_{{{k}}}" for k in range(1, H + 1)) + ")"
    if d.blocks_sum is not None:
        blocks_head, blocks_head_tex = d.blocks_sum.text, d.blocks_sum.latex
    else:
        blocks_head = ("Hessian blocks, with d^2 L[V, V] = sum_k d^2L/dW_k^2 [V_k, V_k] "
                       "+ 2 sum_{j<k} d^2L/dW_k dW_j [V_k, V_j]")
        blocks_head_tex = (r"Hessian blocks, with $\mathrm{d}^2 L[V, V] = \sum_k "
                           r"\frac{\partial^2 L}{\partial W_k^2}[V_k, V_k] + 2 \sum_{j<k} "
                           r"\frac{\partial^2 L}{\partial W_k \partial W_j}[V_k, V_j]$")
    sections = [
        ("Objective", "Objective",
         (d.objective,) + tuple(f for f in d.definitions if f.name in ("R", "E", "l"))),
        ("Gradient blocks", "Gradient blocks",
         tuple(f for f in d.definitions if f.name == "G") + d.gradient_blocks),
        (f"Hessian, as the second directional derivative along {vs}",
         rf"Hessian, as the second directional derivative along ${vs_tex}$",
         tuple(f for f in d.definitions if f.name.startswith("d^2 l")) + d.hessian),
        (blocks_head, blocks_head_tex, d.hessian_blocks),
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
    return family_class(DEFAULT_FAMILY)(widths=tuple(widths), X=X, Y=Y, loss=loss or default_loss(),
                             weight_decay=weight_decay)
