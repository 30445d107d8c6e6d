"""Weight decay, two layers: global minima certified by the nuclear-norm lower bound.

``||W_1||^2 + ||W_2||^2 >= 2 ||W_2 W_1||_*``, so with X = I
``L >= min over rank R <= r of 1/2 ||R - Y||^2 + lam ||R||_*``, attained by the balanced
factors of the soft-thresholded Y.  Hand values for Y = diag(5, 2):
lam = 1, r = 2: (5 - 1/2) + (2 - 1/2) = 6; r = 1: 9/2 + 2^2/2 = 13/2;
lam = 3, r = 2: 5 > 3 gives 15 - 9/2, 2 < 3 gives 2^2/2: 25/2.
"""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from flint import fmpq, fmpq_mat

from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.critical_values import nuclear_norm_optimum
from landscape_proofs.produce.classify import classify


def test_hand_values_of_the_bound():
    Y = fmpq_mat([[5, 0], [0, 2]])
    assert nuclear_norm_optimum(Y, fmpq(1), 2) == 6
    assert nuclear_norm_optimum(Y, fmpq(1), 1) == fmpq(13, 2)
    assert nuclear_norm_optimum(Y, fmpq(3), 2) == fmpq(25, 2)
    # singular values of [[3, 4]] and of [[0, 2], [2, 0]]: 5 and (2, 2)
    assert nuclear_norm_optimum(fmpq_mat([[3, 4]]), fmpq(1), 1) == fmpq(9, 2)
    # (2, 2) with lam = 1/2, r = 1: 2 (1/2) - 1/8 for the kept one, 2^2/2 for the other
    assert nuclear_norm_optimum(fmpq_mat([[0, 2], [2, 0]]), fmpq(1, 2), 1) == fmpq(7, 8) + 2
    with pytest.raises(ArithmeticError):                     # singular value sqrt 2
        nuclear_norm_optimum(fmpq_mat([[1, 1], [0, 0]]), fmpq(1), 1)


def _classify(widths, Y, decay, weights):
    p = problem_from_dict({"family": "deep-linear", "widths": widths, "Y": Y, "loss": "square",
                           "weight_decay": decay})
    return classify(p, point_from_dict({"weights": weights}, p))


def test_the_issue_example_is_certified_global():
    # widths [2, 2, 2], X = I, Y = diag(5, 2), decay 1: W_1 = W_2 = diag(2, 1), product diag(4, 1)
    res = _classify([2, 2, 2], [[5, 0], [0, 2]], 1, [[[2, 0], [0, 1]], [[2, 0], [0, 1]]])
    assert res.kind.value == "global-minimum" and res.value == 6
    assert res.certificate.evidence == {"type": "nuclear-norm-bound"}
    assert check_certificate(res.certificate.to_json()).holds


def test_through_a_bottleneck_only_the_top_direction_is_global():
    Y = [[5, 0], [0, 2]]
    top = _classify([2, 1, 2], Y, 1, [[[2, 0]], [[2], [0]]])           # keeps 5 -> 4
    assert top.kind.value == "global-minimum" and top.value == Fraction(13, 2)
    low = _classify([2, 1, 2], Y, 1, [[[0, 1]], [[0], [1]]])           # keeps 2 -> 1: value 14
    assert low.value == 14 and low.kind.value != "global-minimum"
    forged = copy.deepcopy(top.certificate.to_json())
    forged["point"] = {"weights": [[[0, 1]], [[0], [1]]]}
    forged["value"] = 14
    assert not check_certificate(forged).holds


@pytest.mark.parametrize("tamper", ["decay", "data", "irrational", "no-decay"])
def test_tampered_bounds_are_rejected(tamper):
    res = _classify([2, 2, 2], [[5, 0], [0, 2]], 1, [[[2, 0], [0, 1]], [[2, 0], [0, 1]]])
    cert = copy.deepcopy(res.certificate.to_json())
    cert.pop("value")
    if tamper == "decay":
        cert["problem"]["weight_decay"] = 2
    elif tamper == "data":
        cert["problem"]["X"] = [[1, 0], [0, 2]]
    elif tamper == "irrational":
        cert["problem"]["Y"] = [[5, 1], [0, 2]]
    else:
        cert["problem"]["weight_decay"] = 0
    assert not check_certificate(cert).holds
