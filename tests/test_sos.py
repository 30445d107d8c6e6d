"""Sum-of-squares certificates (kernel/sos.py, produce/sos.py), on hand-derived cases.

The kernel is tested with Gram matrices built by hand, exactly, so it is tested whether or
not cvxpy is installed; the producer's tests (SDP + rounding) skip cleanly without cvxpy.
"""
from __future__ import annotations

import copy

import flint
import pytest

from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce import sos

needs_cvxpy = pytest.mark.skipif(not sos.available(), reason="cvxpy (extra sos) not installed")

MOTZKIN = "R_0_0**4*R_0_1**2 + R_0_0**2*R_0_1**4 - 3*R_0_0**2*R_0_1**2 + 1"
# (a^2 - 1)^2 + (a - b)^2 + 1/2: minimum 1/2 at (1, 1) and (-1, -1); not convex, so no
# convexity argument applies, and the value is not 0, so no zero lower bound either
PLAIN = "(R_0_0**2 - 1)**2 + (R_0_0 - R_0_1)**2 + 1/2"


def setup(expr, weights, widths=(2, 1)):
    p = problem_from_dict({"family": "deep-linear", "widths": list(widths),
                           "loss": {"name": "custom", "expression": expr, "over": "product"}})
    return p, point_from_dict({"weights": weights}, p)


def certificate(p, pt, evidence, claim="global-minimum"):
    value = exact_objective(p).value(exact_weights(pt))
    return Certificate(claim=claim, problem=p, point=pt, value=value,
                       evidence=copy.deepcopy(evidence), method="test").to_json()


def gram(vectors, weights):
    """Q = sum_i w_i v_i v_i^T as exact strings (PSD by construction when every w_i >= 0)."""
    n = len(vectors[0])
    Q = [[flint.fmpq(0)] * n for _ in range(n)]
    for v, w in zip(vectors, weights):
        for i in range(n):
            for j in range(n):
                Q[i][j] += flint.fmpq(*w) * v[i] * v[j]
    return [[str(x) for x in row] for row in Q]


# basis of the plain case: 1, a, b, a^2 ;  L - 1/2 = (a^2 - 1)^2 + (a - b)^2
PLAIN_BASIS = [[], [[0, 1]], [[1, 1]], [[0, 2]]]
PLAIN_GRAM = gram([[-1, 0, 0, 1], [0, 1, -1, 0]], [(1, 1), (1, 1)])

# (1 + x^2 + y^2) M(x, y) = (x^2 y - y)^2 + (x y^2 - x)^2 + (x^2 y^2 - 1)^2
#                          + 1/4 (x y^3 - x^3 y)^2 + 3/4 (x y^3 + x^3 y - 2 x y)^2
# basis: x^2 y, y, x y^2, x, x^2 y^2, 1, x y^3, x^3 y, x y
MOTZKIN_BASIS = [[[0, 2], [1, 1]], [[1, 1]], [[0, 1], [1, 2]], [[0, 1]], [[0, 2], [1, 2]], [],
                 [[0, 1], [1, 3]], [[0, 3], [1, 1]], [[0, 1], [1, 1]]]
MOTZKIN_GRAM = gram([[1, -1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, -1, 0, 0, 0, 0, 0],
                     [0, 0, 0, 0, 1, -1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, -1, 0],
                     [0, 0, 0, 0, 0, 0, 1, 1, -2]], [(1, 1), (1, 1), (1, 1), (1, 4), (3, 4)])


def plain_cert():
    p, pt = setup(PLAIN, [[[1, 1]]])
    return certificate(p, pt, {"type": "sos-lower-bound", "multiplier_degree": 0,
                               "basis": PLAIN_BASIS, "gram": PLAIN_GRAM})


def motzkin_cert():
    p, pt = setup(MOTZKIN, [[[1, 1]]])
    return certificate(p, pt, {"type": "sos-lower-bound", "multiplier_degree": 1,
                               "basis": MOTZKIN_BASIS, "gram": MOTZKIN_GRAM})


# --- the kernel, with hand-built exact Gram matrices (always run) ---------------------------
def test_a_plain_sum_of_squares_proves_the_global_minimum():
    res = check_certificate(plain_cert())
    assert res.holds, res.reason
    assert "L >= 1/2 everywhere" in res.reason and "4 x 4" in res.reason


def test_the_motzkin_polynomial_is_certified_with_the_multiplier_1_plus_x2_plus_y2():
    res = check_certificate(motzkin_cert())
    assert res.holds, res.reason
    assert "(1 + |x|^2)^1 (L - 0)" in res.reason


def test_the_same_gram_matrix_without_the_multiplier_is_rejected():
    cert = motzkin_cert()
    cert["evidence"]["multiplier_degree"] = 0
    res = check_certificate(cert)
    assert not res.holds and "identity" in res.reason


def test_a_gram_matrix_that_is_not_psd_is_rejected_though_the_identity_holds():
    # x^2 y^2 is m_i m_j for (x^2 y^2, 1), (x y, x y), (x^2 y, y), (x y^2, x): moving 5 from the
    # (x y, x y) diagonal entry to the two (x^2 y^2, 1) entries keeps every coefficient
    cert = motzkin_cert()
    Q = cert["evidence"]["gram"]
    Q[8][8] = str(flint.fmpq(Q[8][8]) - 5)          # 3 - 5 = -2 < 0
    Q[4][5] = Q[5][4] = str(flint.fmpq(Q[4][5]) + flint.fmpq(5, 2))
    res = check_certificate(cert)
    assert not res.holds and "not positive semidefinite" in res.reason


def test_one_wrong_coefficient_breaks_the_identity():
    cert = plain_cert()
    cert["evidence"]["gram"][0][0] = "2"             # L - 1/2 + 1 is not L - 1/2
    res = check_certificate(cert)
    assert not res.holds and "identity" in res.reason and "(1 term(s) differ)" in res.reason


def test_a_value_above_the_minimum_is_not_a_lower_bound():
    # at (2, 2) the value is 9 + 0 + 1/2; L - 19/2 < 0 at (1, 1), so no Gram matrix can work:
    # the hand-built one (for 1/2) fails the identity, a recorded value 1/2 is recomputed
    p, pt = setup(PLAIN, [[[2, 2]]])
    ev = {"type": "sos-lower-bound", "multiplier_degree": 0, "basis": PLAIN_BASIS,
          "gram": PLAIN_GRAM}
    cert = certificate(p, pt, ev)
    assert cert["value"] == "19/2"
    res = check_certificate(cert)
    assert not res.holds and "identity" in res.reason
    cert["value"] = "1/2"
    res = check_certificate(cert)
    assert not res.holds and "recomputed" in res.reason


@pytest.mark.parametrize("change, words", [
    (lambda b: b.__setitem__(slice(1, 4), [b[3], b[2], b[1]]), "identity"),  # a, a^2 swapped
    (lambda b: b.__setitem__(3, [[0, 1], [1, 1]]), "identity"),             # a b for a^2
    (lambda b: b.__setitem__(3, [[0, 1]]), "listed twice"),
    (lambda b: b.__setitem__(3, [[5, 2]]), "index 5"),
    (lambda b: b.__setitem__(3, [[0, 0]]), "exponent 0"),
    (lambda b: b.pop(), "3 x 3"),
])
def test_a_wrong_basis_is_rejected(change, words):
    cert = plain_cert()
    change(cert["evidence"]["basis"])
    res = check_certificate(cert)
    assert not res.holds and words in res.reason, res.reason


@pytest.mark.parametrize("field, bad, words", [
    ("multiplier_degree", 4, "multiplier_degree"),
    ("multiplier_degree", True, "multiplier_degree"),
    ("gram", [["1", "0"], ["0", "1"]], "4 x 4"),
    ("gram", "nan", "4 x 4"),
    ("ball", {"radius_squared": 1, "basis": [[]], "gram": [[1]]}, "local claim only"),
])
def test_malformed_evidence_is_rejected_not_raised(field, bad, words):
    cert = plain_cert()
    cert["evidence"][field] = bad
    res = check_certificate(cert)
    assert not res.holds and words in res.reason, res.reason


def test_an_asymmetric_gram_matrix_is_rejected():
    cert = plain_cert()
    cert["evidence"]["gram"][1][2] = "0"             # Q[2][1] stays -1
    res = check_certificate(cert)
    assert not res.holds and "not symmetric" in res.reason


def test_a_non_number_entry_is_malformed_evidence():
    cert = plain_cert()
    cert["evidence"]["gram"][0][0] = "NaN"
    res = check_certificate(cert)
    assert not res.holds and "malformed" in res.reason


# --- the producer (cvxpy) ------------------------------------------------------------------
@needs_cvxpy
def test_classify_certifies_the_motzkin_minimum_global_with_a_multiplier():
    p, pt = setup(MOTZKIN, [[[1, 1]]])
    res = classify(p, pt)
    assert res.kind is Kind.GLOBAL_MINIMUM and res.value == 0
    ev = res.certificate.evidence
    assert ev["type"] == "sos-lower-bound" and ev["multiplier_degree"] >= 1   # Motzkin is not SOS
    assert check_certificate(res.certificate.to_json()).holds


@needs_cvxpy
def test_without_a_multiplier_the_motzkin_polynomial_gets_no_certificate():
    # nonnegative but not a sum of squares: the SDP is infeasible, and no (false) certificate
    p, pt = setup(MOTZKIN, [[[1, 1]]])
    obj, W = exact_objective(p), exact_weights(pt)
    assert sos.sos_evidence(obj, W, obj.value(W), degrees=(0,)) is None
    assert sos.sos_evidence(obj, W, obj.value(W), degrees=(0, 1))["multiplier_degree"] == 1


@needs_cvxpy
def test_classify_certifies_a_plain_sum_of_squares_with_k_0():
    p, pt = setup(PLAIN, [[[1, 1]]])
    res = classify(p, pt)
    assert res.kind is Kind.GLOBAL_MINIMUM and str(res.value) == "1/2"
    ev = res.certificate.evidence
    assert ev["type"] == "sos-lower-bound" and ev["multiplier_degree"] == 0
    # the rounded Gram matrix is exactly PSD and reproduces L - 1/2 (the kernel said so); and a
    # tampered copy of the producer's own matrix is refused
    cert = copy.deepcopy(res.certificate.to_json())
    cert["evidence"]["gram"][0][0] = str(flint.fmpq(cert["evidence"]["gram"][0][0]) + 1)
    assert not check_certificate(cert).holds


@needs_cvxpy
def test_a_local_minimum_above_the_global_value_gets_no_global_certificate():
    # l(R) = R^4/4 - R^3/3 - R^2 + 1, l' = R (R - 2)(R + 1): local minima at R = -1 (value
    # 7/12) and R = 2 (value -5/3), so -1 is spurious and 2 is global:
    # l + 5/3 = (R - 2)^2 (R^2/4 + 2R/3 + 2/3), and the last factor has no real root
    p, pt = setup("R_0_0**4/4 - R_0_0**3/3 - R_0_0**2 + 1", [[[-1]]], widths=(1, 1))
    obj, W = exact_objective(p), exact_weights(pt)
    assert sos.sos_evidence(obj, W, obj.value(W)) is None
    res = classify(p, pt)
    assert res.kind is Kind.SPURIOUS_LOCAL_MINIMUM and str(res.value) == "7/12"
    p2, pt2 = setup("R_0_0**4/4 - R_0_0**3/3 - R_0_0**2 + 1", [[[2]]], widths=(1, 1))
    res2 = classify(p2, pt2)
    assert res2.kind is Kind.GLOBAL_MINIMUM and str(res2.value) == "-5/3"
    assert res2.certificate.evidence["type"] == "sos-lower-bound"


@needs_cvxpy
def test_the_cli_writes_a_certificate_that_verify_accepts(tmp_path):
    import json
    from landscape_proofs.cli.main import main
    prob, point, out = tmp_path / "p.json", tmp_path / "w.json", tmp_path / "c.json"
    prob.write_text(json.dumps({"family": "deep-linear", "widths": [2, 1], "loss": {
        "name": "custom", "expression": MOTZKIN, "over": "product"}}))
    point.write_text(json.dumps({"weights": [[[1, 1]]]}))
    assert main(["classify", str(prob), str(point), "--certificate", str(out)]) == 0
    assert json.loads(out.read_text())["evidence"]["type"] == "sos-lower-bound"
    assert main(["verify", str(out)]) == 0


def test_the_psd_test_agrees_with_exact_inertia_on_random_singular_and_indefinite_matrices():
    # the kernel's PSD test (symmetric elimination) against Descartes' rule on the characteristic
    # polynomial; Gram matrices V V^T of low rank (PSD, singular) and perturbed ones (often not)
    import random
    from landscape_proofs.kernel.linalg import inertia, negative_direction, quadratic_form
    rng = random.Random(12)
    seen = {True: 0, False: 0}
    for _ in range(150):
        n, r = rng.randint(1, 6), rng.randint(0, 4)
        V = flint.fmpq_mat(n, max(r, 1), [flint.fmpq(rng.randint(-3, 3), rng.randint(1, 3))
                                          for _ in range(n * max(r, 1))])
        Q = V * V.transpose() if r else flint.fmpq_mat(n, n)
        if rng.random() < 0.5:
            i, j, d = rng.randrange(n), rng.randrange(n), flint.fmpq(rng.randint(-2, 2), 7)
            Q[i, j] += d
            if i != j:
                Q[j, i] += d
        v = negative_direction(Q)
        psd = inertia(Q).negative == 0
        assert (v is None) == psd
        if v is not None:
            assert quadratic_form(Q, v) < 0
        seen[psd] += 1
    assert seen[True] > 20 and seen[False] > 20


@pytest.mark.parametrize("claim, kind", [("global-minimum", "sos-lower-bound"),
                                         ("local-minimum", "sos-local")])
def test_a_loss_that_is_not_a_polynomial_is_refused(claim, kind):
    cert = {"format": "landscape-certificate/1", "claim": claim,
            "problem": {"family": "deep-linear", "widths": [1, 1],
                        "loss": {"name": "custom", "expression": "exp(R_0_0)", "over": "product"}},
            "point": {"weights": [[[0]]]},
            "evidence": {"type": kind, "multiplier_degree": 0, "basis": [[]], "gram": [[0]]}}
    res = check_certificate(cert)
    assert not res.holds and "polynomial" in res.reason


def test_the_tour_holds_without_the_sos_extra(monkeypatch):
    """`pip install .` has no cvxpy: the two answers that need a sum of squares fall back to
    what second order proves (e2 e2^T a local minimum, the flat sextic inconclusive), and the
    tour says so instead of reporting a mismatch."""
    from landscape_proofs.produce import sos, tour

    monkeypatch.setattr(sos, "available", lambda: False)
    report = tour.run_tour()
    assert report.all_ok, report.table()
    rows = {(r.example, r.point): r for r in report.rows}
    assert rows[("bottleneck-weighted", "e2 e2^T")].kind == "local-minimum"
    assert rows[("sextic-flat", "origin")].kind == "inconclusive"
