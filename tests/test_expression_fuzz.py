"""The custom-loss parser against a reference evaluator (Hypothesis).

Random expressions of the documented grammar are drawn together with a reference evaluator
written here in plain Python floats (``math``), independent of SymPy and of the parser.  Two
properties:

* **accepted means real and defined everywhere**: when the parser accepts an expression, the
  reference evaluator finds it defined and finite at random real points (a square root of a
  negative number, a log of a non-positive one or a division by 0 there would raise);
* **accepted means the same function**: SymPy's value of the parsed expression equals the
  reference value at those points (relative 1e-9).

A refusal is always an :class:`InputError` naming ``loss.expression`` (never another
exception).
"""
from __future__ import annotations

import math

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.expression import parse_expression

SYMS = ("r_0_0", "r_0_1")


def _leaf():
    num = st.integers(-3, 3).map(lambda k: (str(k) if k >= 0 else f"({k})", lambda v, k=k: float(k)))
    sym = st.sampled_from(range(len(SYMS))).map(lambda i: (SYMS[i], lambda v, i=i: v[i]))
    return num | sym


def _extend(children):
    def binop(op):
        def make(a, b):
            (ta, fa), (tb, fb) = a, b
            text = f"({ta} {op} {tb})"
            if op == "+":
                return text, lambda v: fa(v) + fb(v)
            if op == "-":
                return text, lambda v: fa(v) - fb(v)
            if op == "*":
                return text, lambda v: fa(v) * fb(v)
            return text, lambda v: fa(v) / fb(v)          # ZeroDivisionError when undefined
        return st.tuples(children, children).map(lambda ab: make(*ab))

    def power(a, k):
        ta, fa = a
        if k == 0.5:
            return f"({ta})**0.5", lambda v: math.sqrt(fa(v))   # ValueError below 0
        return f"({ta})**({k})", lambda v: fa(v) ** k if k >= 0 else 1.0 / fa(v) ** (-k)

    def call(name, a):
        ta, fa = a
        fn = {"sqrt": math.sqrt, "log": math.log, "Abs": abs}[name]   # ValueError off-domain
        return f"{name}({ta})", lambda v: fn(fa(v))

    return (binop("+") | binop("-") | binop("*") | binop("/")
            | st.tuples(children, st.sampled_from([2, 3, -1, 0.5])).map(lambda ak: power(*ak))
            | st.tuples(st.sampled_from(["sqrt", "log", "Abs"]), children).map(
                lambda na: call(*na)))


EXPRESSIONS = st.recursive(_leaf(), _extend, max_leaves=6)
POINTS = st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), min_size=3, max_size=3)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(EXPRESSIONS, POINTS)
def test_accepted_expressions_are_real_defined_and_the_same_function(case, points):
    text, reference = case
    try:
        parsed = parse_expression(text)
    except InputError as exc:
        assert exc.field == "loss.expression"
        return
    symbols = [sympy.Symbol(s, real=True) for s in SYMS]
    for a, b in points + [(0, 0), (1, -1)]:
        v = (a / 4, b / 4)
        want = reference(v)                 # raises if not defined here: the test fails
        got = parsed.expr.subs(dict(zip(symbols, [sympy.Rational(a, 4), sympy.Rational(b, 4)])))
        got = complex(sympy.N(got, 30))
        assert abs(got.imag) <= 1e-9 * max(1.0, abs(got.real))     # real everywhere
        if math.isfinite(want) and abs(want) < 1e12:
            assert math.isclose(got.real, want, rel_tol=1e-9, abs_tol=1e-9), (text, v, got, want)
