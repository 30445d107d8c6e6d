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

import sympy

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import parse_exact

MAX_LENGTH = 20_000
MAX_DEPTH = 200
MAX_POWER = 64          # of an exponent as written, and of a power of a power once combined
MAX_NUMBER_BITS = 4096  # of a numerator or denominator anywhere in the expression

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
    if not text.isascii():
        # Python folds lookalikes (NFKC: fullwidth or bold letters become "r") before we see
        # a name, so anything beyond ASCII is refused outright.
        bad = next(ch for ch in text if not ch.isascii())
        raise InputError(f"expected ASCII text only (found {bad!r}, U+{ord(bad):04X})",
                         field=field, got=text)
    bad = next((ch for ch in text if ch in "#\\"), None)
    if bad is not None:     # the kernel splits terms before Python reads them: no comment hides one
        raise InputError(f"expected an expression without comments or line continuations (found {bad!r})",
                         field=field, got=text)
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
    if _number_bits(expr) > MAX_NUMBER_BITS:  # e.g. like terms of a long sum, combined
        raise InputError(f"numbers must stay below {MAX_NUMBER_BITS} bits", field=field,
                         got=text)
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) or expr.has(sympy.I):
        raise InputError("expected a real, finite expression (it contains a division by zero, "
                         "an infinity or the imaginary unit)", field=field, got=text)
    return ParsedExpression(expr=expr, prefix=builder.prefix, entries=frozenset(builder.entries))


class _Builder:
    def __init__(self, source: str, field: str):
        self.source = source
        self.field = field
        self.prefix: str | None = None
        self.entries: set = set()
        # Offsets of line starts, computed once: ast.get_source_segment re-splits the whole
        # text on every call, which made long expressions quadratic.  The text is ASCII, so
        # the parser's byte offsets are character offsets.
        self.line_starts = [0]
        for k, ch in enumerate(source):
            if ch == "\n":
                self.line_starts.append(k + 1)

    def segment(self, node: ast.AST) -> str:
        """The text of ``node`` as the user wrote it."""
        try:
            start = self.line_starts[node.lineno - 1] + node.col_offset
            end = self.line_starts[node.end_lineno - 1] + node.end_col_offset
        except (AttributeError, TypeError, IndexError):
            return ""
        return self.source[start:end]

    def fail(self, what: str, node: ast.AST):
        seg = self.segment(node) or type(node).__name__
        raise InputError(
            f"{what}; allowed: numbers, symbols r_i_j or R_i_j, + - * / **, "
            f"and {', '.join(sorted(set(FUNCTIONS)))}", field=self.field, got=seg)

    def defined(self, arg: sympy.Expr, node: ast.AST, *, half: bool = False,
                inverse: bool = False, log: bool = False) -> None:
        """Refuse what is not real and defined at every real point: a square root (or a power
        with a half-integer exponent) of a term not provably >= 0, a log of a term not provably
        > 0, a division by (or negative power of) a term that can be 0.  SymPy decides with the
        entries declared real; "cannot tell" counts as a refusal, so the whole expression is a
        real function on all of R^n, checked before anything simplifies it (``0*log(r)`` or
        ``exp(log(-1))`` are refused, not rewritten into something certifiable)."""
        seg = self.segment(node) or str(arg)
        if log and arg.is_positive is not True:
            raise InputError("a log of a term that is not > 0 for every real entry (custom "
                             "losses must be real and defined everywhere)", field=self.field,
                             got=seg)
        if half and arg.is_nonnegative is not True:
            raise InputError("a square root of a term that is not >= 0 for every real entry "
                             "(custom losses must be real and defined everywhere)",
                             field=self.field, got=seg)
        if inverse and arg.is_zero is not False:
            raise InputError("a division by a term that can be 0 (custom losses must be "
                             "defined everywhere)", field=self.field, got=seg)

    def bounded(self, expr: sympy.Expr, node: ast.AST) -> sympy.Expr:
        """``expr``, after checking that its leading number stays below MAX_NUMBER_BITS."""
        coeff = expr.as_coeff_Mul()[0] if not expr.is_Add else expr.as_coeff_Add()[0]
        if _number_bits(coeff) > MAX_NUMBER_BITS:
            self.fail(f"numbers must stay below {MAX_NUMBER_BITS} bits", node)
        return expr

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            self.fail("expression nested too deeply", node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail("unsupported constant", node)
            # Read the text the user wrote, exactly and with the file format's rules (decimal
            # digits only: no 0x10, 1_000 or 1j; bounded exponents, so 1e999999999 is refused
            # before it is built).  A float literal is never looked at.
            seg = self.segment(node)
            try:
                q = parse_exact(seg, self.field)
            except InputError:
                self.fail("unsupported number (write decimal digits, e.g. 3, 0.25 or 1e-3)", node)
            return self.bounded(sympy.Rational(q.numerator, q.denominator), node)
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
                if base == 0 and exponent < 0:
                    self.fail("division by zero", node)
                self.defined(base, node, half=not exponent.is_Integer, inverse=exponent < 0)
                # 9**64**... or ((9**64)**64)**64 would build numbers of millions of digits
                # and hang: predict the size before SymPy computes anything.
                if _number_bits(base) * abs(exponent) > MAX_NUMBER_BITS:
                    self.fail(f"numbers must stay below {MAX_NUMBER_BITS} bits", node)
                if _largest_exponent(base) * abs(exponent) > MAX_POWER:
                    self.fail(f"a power of a power must stay at most {MAX_POWER} in total", node)
                return base ** exponent
            for group, combine in (((ast.Add, ast.Sub), sympy.Add), ((ast.Mult, ast.Div), sympy.Mul)):
                if isinstance(node.op, group):
                    break
            else:
                self.fail(f"unsupported operator {type(node.op).__name__}", node)
            # a + b - c + ... is a left-leaning chain in the tree; walk it in a loop, so that
            # a long sum counts as one level of nesting, not one per term.
            chain, left = [], node
            while isinstance(left, ast.BinOp) and isinstance(left.op, group):
                chain.append(left)
                left = left.left
            parts = [self.build(left, depth + 1)]
            for link in reversed(chain):
                right = self.build(link.right, depth + 1)
                if isinstance(link.op, ast.Div):
                    if right == 0:
                        self.fail("division by zero", link)
                    self.defined(right, link.right, inverse=True)
                    right = 1 / right
                elif isinstance(link.op, ast.Sub):
                    right = -right
                parts.append(right)
            # Without ** the numbers can only grow by as many digits as the text holds.
            return self.bounded(combine(*parts), node)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                self.fail("unsupported function call", node)
            if node.keywords:
                self.fail("keyword arguments are not allowed", node)
            args = [self.build(a, depth + 1) for a in node.args]
            fn = FUNCTIONS[node.func.id]
            if fn is sympy.sqrt:
                self.defined(args[0] if args else sympy.S.Zero, node, half=True)
            elif fn is sympy.log:
                self.defined(args[0] if args else sympy.S.One, node, log=True)
            if fn in (sympy.Max, sympy.Min):
                if len(args) < 1:
                    self.fail("Max/Min need arguments", node)
            elif len(args) != 1:
                self.fail(f"{node.func.id} takes exactly one argument", node)
            try:
                return fn(*args)
            except InputError:
                raise
            except (ValueError, TypeError, ArithmeticError):  # e.g. Max of a complex number
                self.fail(f"{node.func.id} cannot take these arguments", node)
        self.fail(f"unsupported syntax ({type(node).__name__})", node)
        raise AssertionError("unreachable")


def _number_bits(expr: sympy.Expr) -> int:
    """Bits of the largest numerator or denominator of a rational appearing in ``expr``."""
    return max((max(int(q.p).bit_length(), int(q.q).bit_length())
                for q in expr.atoms(sympy.Rational)), default=1)


def _largest_exponent(expr: sympy.Expr) -> int:
    """Largest |exponent| of a power of a non-number in ``expr`` (1 without any)."""
    exps = [abs(p.exp) for p in expr.atoms(sympy.Pow) if p.exp.is_Rational and not p.base.is_Number]
    return max([1, *(int(sympy.ceiling(e)) for e in exps)])
