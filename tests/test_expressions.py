"""Custom loss expressions are parsed, never executed.

Hostile text must be refused quickly with an InputError naming ``loss.expression``, and
nothing in it may run: payloads below would create a sentinel file if any part of them were
evaluated, and ``eval``/``exec``/code compilation are watched while parsing.  Valid text
must give exactly the SymPy expression it spells, with decimals read as decimals.
"""
from __future__ import annotations

import ast
import builtins
import time

import pytest
import sympy

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.expression import (MAX_LENGTH, MAX_NUMBER_BITS, MAX_POWER, entry_symbol,
                                          parse_expression)

FAST = 2.0  # seconds; every refusal below takes milliseconds


def parse_watched(text: str, monkeypatch):
    """parse_expression(text), failing if eval, exec or a non-AST compile runs meanwhile."""
    calls = []
    real_compile = builtins.compile

    def spy(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called while parsing")
        return refuse

    def watched_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:  # ast.parse compiles to a tree only; that is fine
            calls.append("compile")
            raise AssertionError("compile to code was called while parsing")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(builtins, "eval", spy("eval"))
        m.setattr(builtins, "exec", spy("exec"))
        m.setattr(builtins, "compile", watched_compile)
        m.setattr(sympy, "sympify", spy("sympy.sympify"))
        m.setattr(sympy, "parse_expr", spy("sympy.parse_expr"))
        try:
            return parse_expression(text)
        finally:
            assert calls == [], calls


# Each payload, if anything in it were executed, would create the file SENTINEL.
SIDE_EFFECTS = [
    "__import__('os').system('touch SENTINEL')",
    "__import__('pathlib').Path('SENTINEL').touch()",
    "open('SENTINEL', 'w')",
    "exec(\"open('SENTINEL', 'w')\")",
    "eval(\"open('SENTINEL', 'w')\")",
    "sympify(\"open('SENTINEL', 'w')\")",
    "Abs(open('SENTINEL', 'w'))",
    "[open('SENTINEL', 'w') for x in (1,)]",
    "(lambda: open('SENTINEL', 'w'))()",
    "f\"{open('SENTINEL', 'w')}\"",
    "r_0_0 if open('SENTINEL', 'w') else 0",
    "getattr(__builtins__, 'open')('SENTINEL', 'w')",
    "r_0_0 + (s := open('SENTINEL', 'w'))",
    "r_0_0.__class__.__init__.__globals__['__builtins__']['open']('SENTINEL', 'w')",
    "exp(r_0_0).func.__globals__['__builtins__']['open']('SENTINEL', 'w')",
]


@pytest.mark.parametrize("template", SIDE_EFFECTS)
def test_payloads_are_refused_and_nothing_runs(template, tmp_path, monkeypatch):
    sentinel = tmp_path / "sentinel"
    text = template.replace("SENTINEL", str(sentinel))
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    with pytest.raises(InputError) as excinfo:
        parse_watched(text, monkeypatch)
    assert time.perf_counter() - start < FAST
    assert excinfo.value.field == "loss.expression"
    assert not sentinel.exists()
    assert list(tmp_path.iterdir()) == []


HOSTILE = {
    "import": "__import__('os').system('echo hi')",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "attribute": "r_0_0.__class__",
    "lambda": "lambda: 0",
    "comprehension": "[x for x in ()]",
    "generator": "sum(x for x in (1, 2))",
    "exec": "exec('1')",
    "eval": "eval('1')",
    "open": "open('/etc/passwd')",
    "getattr": "getattr(r_0_0, 'x')",
    "conditional": "r_0_0 if 1 else 0",
    "f-string": "f'{r_0_0}'",
    "string": "'r_0_0'",
    "bytes": "b'1'",
    "tower of powers": "9**9**9",
    "tower of powers, parenthesised": "((((9**64)**64)**64)**64)**64",
    "power of a huge literal": "(9**64)**64",
    "power of a symbol, too high": "(r_0_0**8)**9",
    "exponent too large": "r_0_0**65",
    "symbolic exponent": "2**r_0_0",
    "third root": "r_0_0**(1/3)",
    "huge decimal exponent": "1e999999999",
    "tiny decimal exponent": "1e-999999999",
    "too long": "r_0_0 + " * (MAX_LENGTH // 8 + 1) + "1",
    "deep parentheses": "(" * 500 + "r_0_0" + ")" * 500,
    "deep function nesting": "exp(" * 300 + "r_0_0" + ")" * 300,
    "deep unary minus": "-" * 5000 + "r_0_0",
    "keyword argument": "Abs(r_0_0, evaluate=False)",
    "keyword only": "Abs(x=r_0_0)",
    "star argument": "Max(*[r_0_0])",
    "Symbol": "Symbol('x')",
    "sympify": "sympify('1')",
    "S.One": "S.One",
    "E": "E",
    "pi": "pi",
    "I": "I",
    "oo": "oo",
    "nan": "nan",
    "unknown name": "x",
    "bare function name": "Abs",
    "True": "True",
    "None": "None",
    "complex literal": "1j",
    "hex literal": "0x10",
    "underscore literal": "1_000",
    "ellipsis": "...",
    "subscript": "r_0_0[0]",
    "comparison": "r_0_0 < 1",
    "boolean operator": "r_0_0 and 1",
    "floor division": "r_0_0 // 2",
    "modulo": "r_0_0 % 2",
    "bitwise": "r_0_0 ^ 2",
    "matmul": "r_0_0 @ r_0_0",
    "two statements": "r_0_0; 1",
    "statement": "import os",
    "walrus": "(x := 1)",
    "division by zero": "r_0_0 / (1 - 1)",
    "zero to a negative power": "0**-1",
    "log of zero": "log(0)",
    "imaginary via sqrt": "sqrt(-1)",
    "imaginary via power": "(-1)**(1/2)",
    "Max of a complex": "Max(r_0_0, sqrt(-1))",
    "square root of a possibly negative entry": "sqrt(r_0_0)",
    "half power of a possibly negative entry": "r_0_0**0.5",
    "log of a possibly zero term": "log(r_0_0**2)",
    "zero times an undefined log": "0*log(r_0_0)",
    "exp of the log of -1": "exp(log(-1))*r_0_0**2",
    "Abs of an imaginary": "Abs(sqrt(-1))*r_0_0**2",
    "division by an entry": "1/r_0_0",
    "negative power of an entry": "r_0_0**(-2)",
    "wrong arity": "exp(r_0_0, 2)",
    "empty": "   ",
    "null byte": "r_0_0\x00",
    "fullwidth r": "\uff52_0_0",               # NFKC would fold it to r_0_0
    "mathematical bold r": "\U0001d42b_0_0",   # likewise
    "fullwidth digit": "r_\uff10_0",
    "zero-width space": "r_0_0\u200b",
    "cyrillic e in exp": "\u0435xp(r_0_0)",
    "non-string": 3,
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expression_is_refused_quickly(text, monkeypatch):
    start = time.perf_counter()
    with pytest.raises(InputError) as excinfo:
        parse_watched(text, monkeypatch)
    assert time.perf_counter() - start < FAST
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.field == "loss.expression"
    assert "\n" not in str(err)


def test_refusals_say_what_is_allowed():
    with pytest.raises(InputError, match=r"unknown name 'pi'.*allowed: numbers, symbols r_i_j"):
        parse_expression("pi * r_0_0")
    with pytest.raises(InputError, match="ASCII"):
        parse_expression("\uff52_0_0")
    with pytest.raises(InputError, match=f"at most {MAX_POWER}"):
        parse_expression("9**9**9")
    with pytest.raises(InputError, match=f"below {MAX_NUMBER_BITS} bits"):
        parse_expression("(9**64)**64")


r00, r01, r10 = (entry_symbol("r", i, j) for i, j in ((0, 0), (0, 1), (1, 0)))
R00, R10 = entry_symbol("R", 0, 0), entry_symbol("R", 1, 0)

VALID = [
    # decimals are the decimals they spell, never binary floats
    ("0.1*r_0_0**2", r00 ** 2 / 10),
    ("1e-3*r_0_0", r00 / 1000),
    ("1.5E2 + .5 + 2.", sympy.Rational(305, 2)),
    ("3/6*r_0_1", r01 / 2),
    ("(r_0_0 - 1/3)**2", (r00 - sympy.Rational(1, 3)) ** 2),
    ("r_0_0**2/2 + 3*r_0_1/2 - r_1_0", r00 ** 2 / 2 + 3 * r01 / 2 - r10),
    ("r_0_0 - r_0_1 - r_1_0", r00 - r01 - r10),
    ("r_0_0/2/3", r00 / 6),
    ("-(r_0_0) + +r_0_1", -r00 + r01),
    ("Abs(r_0_0) + abs(r_0_1)", sympy.Abs(r00) + sympy.Abs(r01)),
    ("sqrt(r_0_0**2 + 1)", sympy.sqrt(r00 ** 2 + 1)),
    ("(r_0_0**2 + 1)**0.5", sympy.sqrt(r00 ** 2 + 1)),
    ("r_0_0**2 / (1 + r_0_1**2)", r00 ** 2 / (1 + r01 ** 2)),
    ("Max(r_0_0, 0)**2 + Min(r_0_1, 1)", sympy.Max(r00, 0) ** 2 + sympy.Min(r01, 1)),
    ("exp(r_0_0) + log(r_0_1**2 + 1)", sympy.exp(r00) + sympy.log(r01 ** 2 + 1)),
    ("(r_0_0**2)**32", r00 ** 64),
    ("(r_0_0 +\n 0.25*r_0_1)**2", (r00 + r01 / 4) ** 2),
    ("R_0_0**2 + 2*R_1_0", R00 ** 2 + 2 * R10),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[t for t, _ in VALID])
def test_valid_expression_is_the_exact_sympy_expression(text, expected, monkeypatch):
    parsed = parse_watched(text, monkeypatch)
    assert parsed.expr == expected
    assert not parsed.expr.atoms(sympy.Float)
    assert sympy.simplify(parsed.expr - expected) == 0


def test_symbols_prefix_and_entries_are_recorded():
    parsed = parse_expression("r_0_0**2 + r_1_0*r_0_1")
    assert parsed.prefix == "r"
    assert parsed.entries == {(0, 0), (1, 0), (0, 1)}
    assert parse_expression("R_1_0").prefix == "R"
    assert parse_expression("2 + 3").prefix is None
    # the symbols are real, so that Abs, sqrt and friends simplify as they should
    assert all(s.is_real for s in parsed.expr.free_symbols)


def test_long_sums_are_accepted_quickly():
    # A sum over every entry of a 30 x 30 residual: a long chain, but only one level deep.
    text = " + ".join(f"r_{i}_{j}**2" for i in range(30) for j in range(30))
    start = time.perf_counter()
    parsed = parse_expression(text)
    assert time.perf_counter() - start < FAST
    assert parsed.expr == sum(entry_symbol("r", i, j) ** 2 for i in range(30) for j in range(30))
    assert len(parsed.entries) == 900
    text = "+".join(["1/7"] * 2500)
    assert parse_expression(text).expr == sympy.Rational(2500, 7)


@pytest.mark.parametrize("text, part, words", [
    ("sqrt(r_0_0)", "sqrt(r_0_0)", "square root"),
    ("r_0_1 + 0*log(r_0_0)", "log(r_0_0)", "log"),
    ("exp(log(-1))*r_0_0**2", "log(-1)", "log"),
    ("r_0_0**2 / (r_0_1 - 1)", "r_0_1 - 1", "division"),
])
def test_a_term_not_real_or_not_defined_everywhere_is_named(text, part, words):
    """Checked node by node before SymPy simplifies anything: 0*log(r) is not 0, and
    exp(log(-1)) is not -1; the refusal names the sub-expression."""
    with pytest.raises(InputError) as info:
        parse_expression(text)
    assert info.value.got == part and words in str(info.value)


@pytest.mark.parametrize("text", [
    "r_0_0**2 + r_0_0**4 - 3*r_0_0**3 #a + 3*r_0_0**3",    # Python reads r^2 + r^4 - 3 r^3
    "(r_0_0 + 1)**2 # a note",
    "r_0_0**2 \\\n + 1",                                   # a line continuation
])
def test_comments_and_line_continuations_are_refused_by_both_readers(text):
    # the kernel splits a sum at its top-level signs before Python reads the pieces, so a
    # comment would hide a different part of the text from each reader (review finding: a loss
    # read as r^2 + r^4, proven convex, while Python read r^2 + r^4 - 3 r^3)
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.kernel.errors import InputError
    from landscape_proofs.kernel.polynomial import read_polynomial

    with pytest.raises(InputError, match="without comments"):
        parse_expression(text)
    with pytest.raises(InputError, match="without comments"):
        read_polynomial(text)
    cert = {"format": "landscape-certificate/1", "claim": "global-minimum",
            "problem": {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[0]],
                        "loss": {"name": "custom", "expression": text}, "weight_decay": "1/2"},
            "point": {"weights": [[[0]], [[0]]]}, "evidence": {"type": "convex-stationary"}}
    with pytest.raises(InputError):
        check_certificate(cert)
