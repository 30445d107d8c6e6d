"""l(U U^T) = 1/2 ||U U^T - Y||^2 with U n x k, k < n: the global value is that of the best
PSD matrix of rank <= k, which keeps Y's k largest positive eigenvalues.

Hand values, Y = diag(9, 4, -1): k = 1 keeps 9: (16 + 1)/2 = 17/2; k = 2 keeps 9, 4: 1/2.
Y = [[2, 1], [1, 2]] (eigenvalues 3, 1), k = 1: 1/2.  Y = [[1, 2], [2, 1]] (3, -1), k = 2:
only 3 is positive: 1/2.
"""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from flint import fmpq, fmpq_mat

from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.critical_values import psd_rank_optimum
from landscape_proofs.produce.classify import classify


def test_hand_values():
    D = fmpq_mat([[9, 0, 0], [0, 4, 0], [0, 0, -1]])
    assert psd_rank_optimum(D, 1) == fmpq(17, 2)
    assert psd_rank_optimum(D, 2) == fmpq(1, 2) == psd_rank_optimum(D, 3)
    assert psd_rank_optimum(fmpq_mat([[2, 1], [1, 2]]), 1) == fmpq(1, 2)
    assert psd_rank_optimum(fmpq_mat([[1, 2], [2, 1]]), 2) == fmpq(1, 2)
    # eigenvalues (3 +- sqrt 5)/2 split by k = 1: irrational, refused rather than guessed
    with pytest.raises(ArithmeticError):
        psd_rank_optimum(fmpq_mat([[2, 1], [1, 1]]), 1)


def _classify(Y, k, U):
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [len(Y), k], "Y": Y,
                           "loss": "square"})
    return classify(p, point_from_dict({"U": U}, p))


def test_rank_one_truncation_with_two_positive_eigenvalues_is_global():
    # the PSD-cone optimality certificate cannot apply here (Z - Y = diag(0, -4, 1) is not PSD)
    res = _classify([[9, 0, 0], [0, 4, 0], [0, 0, -1]], 1, [[3], [0], [0]])
    assert res.kind.value == "global-minimum" and res.value == Fraction(17, 2)
    assert res.certificate.evidence == {"type": "psd-rank-optimum"}
    assert check_certificate(res.certificate.to_json()).holds
    saddle = _classify([[9, 0, 0], [0, 4, 0], [0, 0, -1]], 1, [[0], [2], [0]])
    assert saddle.kind.value == "strict-saddle" and saddle.value == 41


@pytest.mark.parametrize("tamper", ["point", "target", "decay", "width"])
def test_tampered_certificates_are_rejected(tamper):
    res = _classify([[9, 0, 0], [0, 4, 0], [0, 0, -1]], 1, [[3], [0], [0]])
    cert = copy.deepcopy(res.certificate.to_json())
    cert.pop("value")
    if tamper == "point":
        cert["point"] = {"weights": [[[0], [2], [0]]]}
    elif tamper == "target":
        cert["problem"]["Y"] = [[9, 0, 0], [0, 16, 0], [0, 0, -1]]   # now 16 is the one to keep
    elif tamper == "decay":
        cert["problem"]["weight_decay"] = "1/10"
    else:
        cert["problem"]["shape"] = [3, 2]
        cert["point"] = {"weights": [[[3, 0], [0, 0], [0, 0]]]}
    assert not check_certificate(cert).holds
