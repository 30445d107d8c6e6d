"""Safe reading of custom loss expressions.

A custom loss is text written by a user.  It is *parsed*, never executed: Python's
``ast`` module turns it into a syntax tree, every node is checked against a whitelist
(numbers, the symbols ``r_i_j`` or ``R_i_j``, + - * / **, unary minus, and a few named
functions), and the SymPy expression is built node by node.  ``eval``, ``sympify`` and
attribute access never see the text.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from .errors import InputError

MAX_LENGTH = 20_000
MAX_DEPTH = 200
MAX_POWER = 64

FUNCTIONS = {
    "Abs": sympy.Abs,
    "abs": sympy.Abs,
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "Max": sympy.Max,
    "Min": sympy.Min,
}
_SYMBOL = re.compile(r"^(r|R)_(\d+)_(\d+)$")


@dataclass(frozen=True)
class ParsedExpression:
    """A parsed custom expression and the entries it mentions."""

    expr: sympy.Expr
    prefix: str | None          # "r" or "R" (None when no symbol appears)
    entries: frozenset          # {(i, j), ...} mentioned


def entry_symbol(prefix: str, i: int, j: int) -> sympy.Symbol:
    """The SymPy symbol for entry (i, j): ``r_i_j`` (residual) or ``R_i_j`` (product)."""
    return sympy.Symbol(f"{prefix}_{i}_{j}", real=True)


def parse_expression(text: object, field: str = "loss.expression") -> ParsedExpression:
    """Parse a custom loss expression safely.

    >>> parse_expression("r_0_0**2 + 3*r_0_1/2").expr
    r_0_0**2 + 3*r_0_1/2
    """
    if not isinstance(text, str):
        raise InputError("expected a string holding an expression", field=field, got=text)
    if len(text) > MAX_LENGTH:
        raise InputError(f"expected an expression of at most {MAX_LENGTH} characters",
                         field=field, got=f"{len(text)} characters")
    if not text.strip():
        raise InputError("expected a non-empty expression", field=field, got=text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise InputError(f"expected a valid arithmetic expression ({type(exc).__name__})",
                         field=field, got=text) from None
    builder = _Builder(text.strip(), field)
    try:
        expr = builder.build(tree.body, 0)
    except RecursionError:
        raise InputError("expression nested too deeply", field=field, got=text) from None
    return ParsedExpression(expr=expr, prefix=builder.prefix, entries=frozenset(builder.entries))


class _Builder:
    def __init__(self, source: str, field: str):
        self.source = source
        self.field = field
        self.prefix: str | None = None
        self.entries: set = set()

    def fail(self, what: str, node: ast.AST):
        seg = ast.get_source_segment(self.source, node) or type(node).__name__
        raise InputError(
            f"{what}; allowed: numbers, symbols r_i_j or R_i_j, + - * / **, "
            f"and {', '.join(sorted(set(FUNCTIONS)))}", field=self.field, got=seg)

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            self.fail("expression nested too deeply", node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail("unsupported constant", node)
            if isinstance(value, int):
                return sympy.Integer(value)
            # A decimal literal: read the text the user wrote, exactly.
            seg = ast.get_source_segment(self.source, node)
            try:
                q = Fraction(seg)
            except (TypeError, ValueError):
                self.fail("unsupported number", node)
            return sympy.Rational(q.numerator, q.denominator)
        if isinstance(node, ast.Name):
            m = _SYMBOL.match(node.id)
            if not m:
                self.fail(f"unknown name {node.id!r}", node)
            prefix = m.group(1)
            if self.prefix is not None and prefix != self.prefix:
                self.fail("cannot mix residual symbols r_i_j with product symbols R_i_j", node)
            self.prefix = prefix
            i, j = int(m.group(2)), int(m.group(3))
            self.entries.add((i, j))
            return entry_symbol(prefix, i, j)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand, depth + 1)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = self.build(node.left, depth + 1)
                exponent = self.build(node.right, depth + 1)
                if not exponent.is_Rational:
                    self.fail("exponents must be numbers", node)
                if abs(exponent) > MAX_POWER:
                    self.fail(f"exponents must be at most {MAX_POWER} in absolute value", node)
                if not exponent.is_Integer and not (2 * exponent).is_Integer:
                    self.fail("exponents must be integers or halves", node)
                return base ** exponent
            ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                   ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}
            op = ops.get(type(node.op))
            if op is None:
                self.fail(f"unsupported operator {type(node.op).__name__}", node)
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Div) and right == 0:
                self.fail("division by zero", node)
            return op(left, right)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                self.fail("unsupported function call", node)
            if node.keywords:
                self.fail("keyword arguments are not allowed", node)
            args = [self.build(a, depth + 1) for a in node.args]
            fn = FUNCTIONS[node.func.id]
            if fn in (sympy.Max, sympy.Min):
                if len(args) < 1:
                    self.fail("Max/Min need arguments", node)
            elif len(args) != 1:
                self.fail(f"{node.func.id} takes exactly one argument", node)
            return fn(*args)
        self.fail(f"unsupported syntax ({type(node).__name__})", node)
        raise AssertionError("unreachable")
