"""The public Hypothesis strategies, and the property tests that use them."""
from __future__ import annotations

import mpmath
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import Budget, classify
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.kernel.numbers import to_fraction
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.numeric.views import float64_objective, float64_weights, mp_objective, mp_weights
from landscape_proofs.strategies import directions, points, problems

FAST = settings(max_examples=25, deadline=None, database=None)


@FAST
@given(problems(bottleneck=True, max_depth=3, max_width=3))
def test_bottleneck_instances_have_one(p):
    assert p.has_bottleneck and p.depth >= 2


@FAST
@given(problems(bottleneck=False, losses=("square", "power4", "l1", "weighted")))
def test_no_bottleneck_instances_have_none(p):
    assert not p.has_bottleneck


@FAST
@given(problems(weight_decay=True, data="full-row-rank", max_width=3, max_depth=2))
def test_weight_decay_and_full_row_rank_data(p):
    assert p.weight_decay > 0
    assert rank(matrix(p.X)) == p.widths[0]


@FAST
@given(st.data())
def test_exact_mpmath_and_float64_agree_on_generated_points(data):
    p = data.draw(problems(losses=("square", "power4", "weighted"), weight_decay=None,
                           data="any", max_depth=3, max_width=3))
    pt = data.draw(points(p))
    exact = to_fraction(exact_objective(p).value(exact_weights(pt)))
    f64 = float64_objective(p).value(float64_weights([pt]))[0]
    ctx = mpmath.MPContext()
    ctx.dps = 50
    mp = mp_objective(p, ctx).value(mp_weights(pt, ctx))
    assert abs(mp - ctx.mpf(exact.numerator) / exact.denominator) <= ctx.mpf(10) ** -40 * (1 + abs(mp))
    assert abs(f64 - float(exact)) <= 1e-9 * (1 + abs(float(exact)))


@settings(max_examples=12, deadline=None, database=None)
@given(st.data())
def test_every_certificate_classify_builds_is_accepted_by_the_checker(data):
    p = data.draw(problems(losses=("square", "weighted"), weight_decay=None, max_depth=2,
                           max_width=2))
    pt = data.draw(points(p, max_entry=2, max_denominator=2))
    c = classify(p, pt, Budget(curve_candidates=60, better_point_starts=4, descent_steps=50))
    if c.certificate is not None:
        assert check_certificate(c.certificate.to_json()).valid
    else:
        assert c.kind is Kind.INCONCLUSIVE


@FAST
@given(st.data())
def test_directions_are_nonzero_and_shaped_like_the_weights(data):
    p = data.draw(problems())
    v = data.draw(directions(p))
    assert [(len(M), len(M[0])) for M in v] == list(p.shapes)
    assert any(x != 0 for M in v for row in M for x in row)


def test_shrinking_goes_to_few_parameters_and_small_integers():
    p = find(problems(bottleneck=True), lambda p: True)
    assert p.widths == (2, 1, 2)
    q = find(problems(max_entry=5), lambda p: any(abs(y) >= 2 for row in p.Y for y in row))
    assert q.widths == (1, 1) and q.Y in (((2,),), ((-2,),))


@pytest.mark.parametrize("kwargs, field", [
    ({"max_depth": 0}, "max_depth"), ({"losses": ("hinge",)}, "losses"),
    ({"bottleneck": "yes"}, "bottleneck"), ({"data": "sparse"}, "data"),
    ({"bottleneck": True, "max_width": 1}, "max_width"), ({"max_entry": -1}, "max_entry")])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        problems(**kwargs)
    assert exc.value.field == field
    assert isinstance(exc.value, ValueError)
