"""Robust-regression instances (families/robust_regression.py) and Ma & Fattahi's negative
result certified on them (theorems/ma_fattahi2022_draws.py): exact data, hand-derived cases,
kernel-checked certificates, tampering, and the depth-independence of the event."""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

from landscape_proofs.errors import InputError
from landscape_proofs.families.robust_regression import (RobustRegressionDraw,
                                                         RobustRegressionSetting, draw_instance)
from landscape_proofs.kernel import check_certificate
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.ma_fattahi2022_draws import (certify_truth_not_minimum,
                                                            estimate_negative_probability)

SMALL = RobustRegressionSetting(dimension=4, measurements=12, sparsity=2,
                                outlier_fraction=Fraction(3, 10))


def test_a_draw_is_exact_seeded_and_corrupts_exactly_the_outliers():
    a, b = draw_instance(SMALL, 3), draw_instance(SMALL, 3)
    assert a == b and a != draw_instance(SMALL, 4)
    assert all(type(v) is Fraction for row in a.X for v in row)
    assert all(type(v) is Fraction and (v * 4).denominator == 1 for v in a.y)
    assert len(a.X) == 4 and all(len(row) == 12 for row in a.X) and len(a.y) == 12
    assert sorted(a.theta_star) == [0, 0, 1, 1]
    assert len(a.outliers) == 4                      # round(3/10 * 12) = round(3.6)
    res = a.residuals_at_truth()
    assert {i for i, r in enumerate(res) if r != 0} == set(a.outliers)


def test_the_corrupted_set_grows_with_the_fraction_for_a_fixed_seed():
    sets = [set(draw_instance(RobustRegressionSetting(outlier_fraction=Fraction(k, 10)), 7).outliers)
            for k in range(0, 6)]
    assert [len(s) for s in sets] == [0, 1, 2, 4, 5, 6]   # round(k/10 * 12), halves up
    assert all(s <= t for s, t in zip(sets, sets[1:]))


@pytest.mark.parametrize("kwargs, field", [
    ({"dimension": 0}, "dimension"), ({"sparsity": 5}, "sparsity"),
    ({"outlier_fraction": 0.3}, "outlier_fraction"), ({"outlier_fraction": Fraction(1)}, "outlier_fraction"),
    ({"measurements": 10 ** 6}, "measurements"), ({"denominator": True}, "denominator"),
])
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        RobustRegressionSetting(**kwargs)
    assert exc.value.field == field


def test_the_problem_is_the_chain_d_1_1_with_the_truth_as_its_product():
    d = draw_instance(SMALL, 0)
    p = d.problem(3, facts.absolute_loss())
    assert p.widths == (4, 1, 1, 1)
    pt = d.truth_point(p)
    from landscape_proofs.families.exact_view import exact_weights

    value = p.exact_objective().value(exact_weights(pt))
    # the l1 loss at the truth is the total size of the outliers
    assert Fraction(int(value.p), int(value.q)) == sum(abs(r) for r in d.residuals_at_truth())


def _hand_draw():
    # x = (1, 1, 3), y = (1, 1, 6): theta* = 1 fits two samples, the third is an outlier (+3)
    s = RobustRegressionSetting(dimension=1, measurements=3, sparsity=1,
                                outlier_fraction=Fraction(1, 3))
    return RobustRegressionDraw(s, 0, ((Fraction(1), Fraction(1), Fraction(3)),),
                                (Fraction(1), Fraction(1), Fraction(6)), (Fraction(1),), (2,))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_the_hand_instance_truth_is_neither_local_nor_global_minimum(depth):
    # L(theta) = 2|theta - 1| + |3 theta - 6| = 3 - t at theta = 1 + t: a descent direction
    r = certify_truth_not_minimum(_hand_draw(), depth)
    assert r["outcome"] == "not-a-minimum" and r["kind"] == "not-critical"
    assert r["truth_value"] == "3"
    assert check_certificate(r["certificate"]).holds
    better = r["better_point"]
    assert Fraction(better["value"]) < 3
    # recompute the better point's value by hand: theta = product of the layers
    theta = Fraction(1)
    for W in better["weights"]:
        theta *= Fraction(W[0][0])
    assert Fraction(better["value"]) == 2 * abs(theta - 1) + abs(3 * theta - 6)


def test_a_tampered_descent_certificate_is_rejected():
    cert = certify_truth_not_minimum(_hand_draw(), 2)["certificate"]
    assert check_certificate(cert).holds
    flipped = copy.deepcopy(cert)       # the opposite direction ascends: 2t + 3t > 0
    flipped["evidence"]["curve"] = [[[[str(-Fraction(x)) for x in row] for row in M] for M in order]
                                    for order in cert["evidence"]["curve"]]
    assert not check_certificate(flipped).holds
    moved = copy.deepcopy(cert)         # at theta = 2 (the l1 minimizer) nothing descends
    moved["point"]["weights"][0] = [[2]]
    assert not check_certificate(moved).holds


def test_without_outliers_the_truth_is_a_certified_global_minimum():
    s = RobustRegressionSetting(outlier_fraction=Fraction(0))
    r = estimate_negative_probability(s, depths=(1, 2), seeds=4, keep_certificates=True)
    assert [x["kind"] for x in r["runs"]] == ["global-minimum"] * 8
    assert all(x["truth_value"] == "0" and check_certificate(x["certificate"]).holds
               for x in r["runs"])
    assert [row["estimate"] for row in r["summary"]] == [0.0, 0.0]


def test_over_parameterized_draws_with_an_outlier_always_certify_the_event():
    # n < d: some theta interpolates every sample (value 0 < the outliers' total), and the
    # kernel must certify each truth as not a minimum
    s = RobustRegressionSetting(dimension=6, measurements=4, outlier_fraction=Fraction(1, 4))
    r = estimate_negative_probability(s, depths=(1, 2), seeds=6)
    assert [row["certified_not_minimum"] for row in r["summary"]] == [6, 6]
    assert all(Fraction(x["better_point"]["value"]) < Fraction(x["truth_value"]) for x in r["runs"])


def test_the_event_has_constant_probability_and_does_not_depend_on_the_depth():
    r = estimate_negative_probability(SMALL, depths=(1, 2, 3), seeds=12)
    assert all(row["same_at_every_depth"] for row in r["per_seed"])
    counts = {row["certified_not_minimum"] for row in r["summary"]}
    assert len(counts) == 1
    k = counts.pop()
    assert 0 < k < 12                        # neither never nor always, on these seeds
    assert all(row["undecided"] == 0 for row in r["summary"])
    lo, hi = r["summary"][0]["wilson95"]
    assert lo < k / 12 < hi


def test_bad_arguments_of_the_estimate_name_the_field():
    with pytest.raises(InputError) as exc:
        estimate_negative_probability(SMALL, depths=(0,), seeds=1)
    assert exc.value.field == "depths"
    with pytest.raises(InputError) as exc:
        estimate_negative_probability(SMALL, depths=(1,), seeds=10 ** 5)
    assert exc.value.field == "seeds"


def test_the_command_writes_certificates_that_verify(tmp_path, capsys):
    from landscape_proofs.cli import main

    status = main.main(["experiment", "ma-fattahi", "--negative", "--outliers", "0.4",
                        "--seeds", "3", "--depths", "1,2", "--out", str(tmp_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    (res,) = out["results"]
    assert res["setting"]["outlier_fraction"] == "2/5"
    assert len(out["certificates"]) == 6
    for path in out["certificates"]:
        assert check_certificate(json.loads(open(path).read())).holds
    status = main.main(["experiment", "ma-fattahi", "--negative", "--outliers", "0.4,x"])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("landscape: error:") and "--outliers[1]" in err
