"""The kernel's own reading of a custom loss expression: an exact sparse polynomial.

Independent of the producers' SymPy reading (``losses/expression.py``): the text is parsed
with Python's ``ast`` (never evaluated), and only numbers, the entry symbols ``r_i_j`` /
``R_i_j``, ``+ - * /``, unary signs and ``**`` with a constant non-negative integer exponent
build a polynomial.  Anything else that is well formed (a named function such as ``exp``,
division by a non-constant, a fractional exponent) makes the expression *not polynomial*:
the kernel then refuses every claim that needs its value or derivatives.  Nothing is
simplified: ``sqrt(4)`` is not polynomial here even though it is 2.

A polynomial is a dict ``{monomial: fmpq}``, a monomial a sorted tuple of
``((i, j), exponent)``.  The walk is iterative (long sums do not recurse) and every product
is bounded by :data:`MAX_TERMS`.
"""
from __future__ import annotations

import ast
import re

import flint

from landscape_proofs.kernel.errors import InputError

MAX_LENGTH = 20_000
MAX_EXPONENT = 64
MAX_TERMS = 20_000
MAX_DEGREE = 64
_SYMBOL = re.compile(r"^(r|R)_(\d{1,4})_(\d{1,4})$", re.ASCII)


class NotPolynomial(Exception):
    """The expression is well formed but is not a polynomial with rational coefficients."""


def _const(c) -> dict:
    c = flint.fmpq(c)
    return {(): c} if c != 0 else {}


def _nonzero(p: dict) -> dict:
    return {m: c for m, c in p.items() if c != 0}


def _add(a: dict, b: dict, sign: int = 1) -> dict:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, flint.fmpq(0)) + sign * c
    return _nonzero(out)


def _mono_mul(m1, m2):
    d = dict(m1)
    for v, e in m2:
        d[v] = d.get(v, 0) + e
    return tuple(sorted(d.items()))


def _mul(a: dict, b: dict) -> dict:
    if len(a) * len(b) > 50 * MAX_TERMS:
        raise InputError(f"expected a custom loss that expands to at most {MAX_TERMS} terms",
                         field="loss.expression", got="a larger expansion", show_got=False)
    out: dict = {}
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            m = _mono_mul(m1, m2)
            out[m] = out.get(m, flint.fmpq(0)) + c1 * c2
    out = _nonzero(out)
    if len(out) > MAX_TERMS or any(sum(e for _, e in m) > MAX_DEGREE for m in out):
        raise InputError(f"expected a custom loss of at most {MAX_TERMS} terms and degree "
                         f"{MAX_DEGREE}", field="loss.expression", got="a larger expansion",
                         show_got=False)
    return out


def _constant_value(p: dict):
    if set(p) <= {()}:
        return p.get((), flint.fmpq(0))
    return None


def _power(base: dict, exponent: dict) -> dict:
    e = _constant_value(exponent)
    if e is None or e.q != 1:
        raise NotPolynomial("a non-integer or non-constant exponent")
    e = int(e.p)
    c = _constant_value(base)
    if e < 0 and c is None:
        raise NotPolynomial("a negative power of a non-constant")
    if e < 0 and c == 0:
        raise InputError("expected no division by zero", field="loss.expression", got="0**negative")
    if abs(e) > MAX_EXPONENT:
        raise InputError(f"expected exponents of at most {MAX_EXPONENT}", field="loss.expression", got=e)
    if c is not None:
        return _const(c ** e)
    out = _const(1)
    for _ in range(e):
        out = _mul(out, base)
    return out


def _leaf(node) -> dict:
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if isinstance(node.value, int):
            return _const(node.value)
        if isinstance(node.value, float):
            raise NotPolynomial("a float literal")  # read exactly by the caller from the text
    if isinstance(node, ast.Name):
        m = _SYMBOL.match(node.id)
        if m:
            return {(((int(m.group(2)), int(m.group(3))), 1),): flint.fmpq(1)}
        raise InputError("expected only the symbols r_i_j or R_i_j", field="loss.expression",
                         got=node.id)
    raise InputError("expected an arithmetic expression in r_i_j or R_i_j",
                     field="loss.expression", got=type(node).__name__)


def _decimal_literals(text: str) -> str:
    """Rewrite decimal literals ``1.5e-3`` as exact ratios ``(15/10000)``."""
    from fractions import Fraction

    def rep(m):
        q = Fraction(m.group(0))
        return f"({q.numerator}/{q.denominator})"
    return re.sub(r"(?<![\w.])(\d+\.\d*|\.\d+|\d+[eE][+-]?\d+|\d+\.\d*[eE][+-]?\d+)(?![\w.])",
                  rep, text)


def read_polynomial(text: object) -> tuple[dict | None, str | None]:
    """``(polynomial, prefix)``; polynomial is None when the expression is not polynomial.

    Raises InputError for text outside the grammar (no expression, unknown names, syntax).

    >>> p, prefix = read_polynomial("r_0_0**2/2 - 1")
    >>> prefix, sorted((str(c), m) for m, c in p.items())
    ('r', [('-1', ()), ('1/2', (((0, 0), 2),))])
    """
    # no comments or line continuations: the terms below are split before Python reads them,
    # so "r**2 #x + r**3" would be read here as r**2 + r**3 and by Python (SymPy) as r**2
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_LENGTH or not text.isascii() or set(text) & set("#\\"):
        raise InputError(f"expected a non-empty ASCII expression of at most {MAX_LENGTH} characters, "
                         "without comments", field="loss.expression", got=text if isinstance(text, str) else type(text).__name__)
    trees = []
    for sign, chunk in _top_level_terms(_decimal_literals(text.strip())):
        try:
            tree = ast.parse(chunk.strip(), mode="eval")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise InputError("expected a valid arithmetic expression", field="loss.expression",
                             got=text) from None
        _check_grammar(tree)
        trees.append((sign, tree))
    prefixes = {m.group(1) for _, tree in trees for n in ast.walk(tree) if isinstance(n, ast.Name)
                for m in [_SYMBOL.match(n.id)] if m}
    if len(prefixes) > 1:
        raise InputError("expected symbols r_i_j or R_i_j, not both", field="loss.expression", got=text)
    prefix = next(iter(prefixes), None)
    total: dict = {}
    try:
        for sign, tree in trees:
            total = _add(total, _evaluate(tree.body), sign)
        return total, prefix
    except NotPolynomial:
        return None, prefix
    except ZeroDivisionError:
        raise InputError("expected no division by zero", field="loss.expression", got=text) from None


def is_evidently_nonnegative(text: str) -> bool:
    """True when every top-level term is a product of nonnegative constants and even powers.

    A sound, syntactic sufficient condition (``(r_0_0 - 1)**2 + 10*r_0_1**2``, ``R_0_0**4``):
    each such term is >= 0 everywhere, so is their sum.  False means "not shown", never
    "negative somewhere".
    """
    try:
        terms = _top_level_terms(_decimal_literals(text.strip()))
        return all(sign > 0 and _nonneg(ast.parse(chunk.strip(), mode="eval").body)
                   for sign, chunk in terms)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def _nonneg(node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
            if n.value < 0:
                return False
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            e = n.right.value if isinstance(n.right, ast.Constant) else None
            if not isinstance(e, int) or e < 0:
                return False
            if isinstance(e, bool) or e % 2:
                stack.append(n.left)         # an odd power of a nonnegative form is one too
        elif isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)):
            stack += [n.left, n.right]
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.UAdd):
            stack.append(n.operand)
        else:
            return False
    return True


def _top_level_terms(text: str) -> list:
    """Split a long sum at its top-level + and - (Python's parser recurses on long chains)."""
    out, depth, start, sign, prev = [], 0, 0, 1, None
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch in "+-" and depth == 0 and prev is not None and (prev.isalnum() or prev in "_)"):
            out.append((sign, text[start:k]))
            sign, start = (1 if ch == "+" else -1), k + 1
        if not ch.isspace():
            prev = ch
    out.append((sign, text[start:]))
    return out


def _evaluate(root) -> dict:
    """Post-order walk with an explicit stack."""
    ops = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
    values: list[dict] = []
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            if not done:
                stack += [(node, True), (node.right, False), (node.left, False)]
                continue
            b, a = values.pop(), values.pop()
            if isinstance(node.op, ast.Add):
                values.append(_add(a, b))
            elif isinstance(node.op, ast.Sub):
                values.append(_add(a, b, -1))
            elif isinstance(node.op, ast.Mult):
                values.append(_mul(a, b))
            elif isinstance(node.op, ast.Div):
                c = _constant_value(b)
                if c is None:
                    raise NotPolynomial("division by a non-constant")
                if c == 0:
                    raise ZeroDivisionError
                values.append({m: v / c for m, v in a.items()})
            else:
                values.append(_power(a, b))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            if not done:
                stack += [(node, True), (node.operand, False)]
                continue
            a = values.pop()
            values.append(a if isinstance(node.op, ast.UAdd) else {m: -v for m, v in a.items()})
        elif isinstance(node, ast.Call):
            raise NotPolynomial(f"the function {node.func.id}")
        else:
            values.append(_leaf(node))
    return values[0]


FUNCTIONS = {"Abs", "abs", "sqrt", "exp", "log", "Max", "Min"}   # well formed, not polynomial
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load,
          ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub)


def _check_grammar(tree) -> None:
    """Every node is arithmetic, a symbol, or a call of a named function (iterative walk)."""
    calls = set()
    for n in ast.walk(tree):
        if not isinstance(n, _NODES) or (isinstance(n, ast.Constant) and (
                isinstance(n.value, bool) or not isinstance(n.value, int))):
            raise InputError("expected an arithmetic expression in r_i_j or R_i_j",
                             field="loss.expression", got=type(n).__name__)
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS or n.keywords:
                raise InputError(f"expected a function among {', '.join(sorted(FUNCTIONS))}",
                                 field="loss.expression", got=ast.dump(n.func)[:40])
            calls.add(id(n.func))
        elif isinstance(n, ast.Name) and id(n) not in calls and not _SYMBOL.match(n.id):
            raise InputError("expected only the symbols r_i_j or R_i_j", field="loss.expression",
                             got=n.id)


def degree(p: dict) -> int:
    return max((sum(e for _, e in m) for m in p), default=0)


def evaluate_at(p: dict, entry, one):
    """Value of ``p`` with ``entry(i, j)`` substituted for each symbol (any ring with ``one``)."""
    total = one * 0
    for m, c in p.items():
        term = one * c
        for (i, j), e in m:
            term = term * entry(i, j) ** e
        total = total + term
    return total


def partial(p: dict, var) -> dict:
    """d p / d var, exactly."""
    out: dict = {}
    for m, c in p.items():
        d = dict(m)
        e = d.pop(var, 0)
        if e == 0:
            continue
        if e > 1:
            d[var] = e - 1
        key = tuple(sorted(d.items()))
        out[key] = out.get(key, flint.fmpq(0)) + c * e
    return _nonzero(out)
