"""A sum of towers with a bottleneck: global minima through the rank manifold (kernel/enclosure.py,
``_towers_on_rank_manifold``).  Two towers of width 1 reach exactly the matrices of rank <= 2;
where R(W*) has rank 2 and J_R has rank dim T M_2 = 2 (3 + 3 - 2) = 8, R(W*) is critical for
1/2 ||R - Y||^2 on the rank-2 matrices, whose critical values are the subset sums
1/2 (||Y||^2 - sigma_i^2 - sigma_j^2)."""
from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np

from landscape_proofs.families.base import Point
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.search.multistart import SearchConfig, search

IRRATIONAL = {"family": "multi-tower", "towers": [[3, 1, 3], [3, 1, 3]],
              "Y": [[0, 3, -1], [-1, 3, 0], [-3, 1, 2]], "loss": "square"}
DIAG = {"family": "multi-tower", "towers": [[3, 1, 3], [3, 1, 3]],
        "Y": [[3, 0, 0], [0, 2, 0], [0, 0, 1]], "loss": "square"}


def _float_point(p, s1, s2, noise=1e-9, seed=0):
    """Tower t carries s_t e_{i_t} e_{i_t}^T as (sqrt(s) e_i^T, sqrt(s) e_i), slightly moved."""
    rng = np.random.default_rng(seed)
    layers = []
    for s, i in (s1, s2):
        a = np.zeros((1, 3)); a[0, i] = np.sqrt(s)
        b = np.zeros((3, 1)); b[i, 0] = np.sqrt(s)
        layers += [a + noise * rng.normal(size=a.shape), b + noise * rng.normal(size=b.shape)]
    return Point.of(p, [[[repr(float(v)) for v in row] for row in W] for W in layers])


def test_search_certifies_the_irrational_global_minimum_of_two_rank_one_towers():
    p = problem_from_dict(IRRATIONAL)
    report = search(p, SearchConfig(starts=6, seed=0))
    assert report.groups and all(g.kind is Kind.GLOBAL_MINIMUM for g in report.groups)
    sv = np.linalg.svd(np.array(IRRATIONAL["Y"], dtype=float), compute_uv=False)
    optimum = sv[2] ** 2 / 2                         # Eckart-Young, rank 2
    for g in report.groups:
        cert = g.certificate
        assert cert["evidence"]["global"]["type"] == "isolated-critical-value"
        assert len(cert["evidence"]["global"]["jacobian_rows"]) == 8
        assert check_certificate(cert).valid
        lo, hi = g.value_enclosure
        assert float(lo) - 1e-12 <= optimum <= float(hi) + 1e-12


def _diag_certificate():
    p = problem_from_dict(DIAG)
    r = classify_refined(p, _float_point(p, (3, 0), (2, 1)), digits=40, snap=False)
    assert r.kind is Kind.GLOBAL_MINIMUM and check_certificate(r.certificate).valid
    return r.certificate


def test_the_kernel_rejects_wrong_rank_hints():
    cert = _diag_certificate()
    gl = cert["evidence"]["global"]
    assert gl["minor_rows"] == [0, 1] and 8 not in gl["jacobian_rows"]

    def tampered(**changes):
        c = copy.deepcopy(cert)
        c["evidence"]["global"].update(changes)
        return check_certificate(c)

    # row 2 of R* = diag(3, 2, 0) is 0: that minor is not provably nonsingular
    assert not tampered(minor_rows=[0, 2]).valid
    # the entry (2, 2) of R has a zero Jacobian row at R*: J_R on those entries is singular
    rows = sorted(set(gl["jacobian_rows"]) - {gl["jacobian_rows"][0]} | {8})
    assert not tampered(jacobian_rows=rows).valid
    assert not tampered(jacobian_rows=gl["jacobian_rows"][:-1]).valid          # 7 < 8
    assert not tampered(minor_cols=[0, 0]).valid                                # repeated
    assert not tampered(minor_rows=[0, 3]).valid                                # out of range
    # the same point in a problem with weight decay: not the route's setting (and not critical)
    c = copy.deepcopy(cert)
    c["problem"]["weight_decay"] = "1/10"
    assert not check_certificate(c).valid


def test_a_saddle_of_the_towers_cannot_be_passed_off_as_global():
    p = problem_from_dict(DIAG)
    # R = diag(3, 0, 1): the subset {1, 3}, value 1/2 * 2^2 = 2 > 1/2, a saddle
    r = classify_refined(p, _float_point(p, (3, 0), (1, 2)), digits=40, snap=False)
    assert r.kind is Kind.STRICT_SADDLE
    lo, hi = r.value_enclosure
    assert lo <= Fraction(2) <= hi
    forged = copy.deepcopy(r.certificate)
    forged["claim"] = "global-minimum"
    forged["evidence"]["global"] = {"type": "isolated-critical-value", "minor_rows": [0, 2],
                                    "minor_cols": [0, 2],
                                    "jacobian_rows": [0, 1, 2, 3, 5, 6, 7, 8]}
    res = check_certificate(forged)
    assert not res.valid
