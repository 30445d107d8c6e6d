"""Search limit points grouped by orbits of the symmetry, with proofs (issue 12, item 6).

Every expected answer below is derived by hand in its comment: the gauge maps, the orbits that
must stay apart, the irrational optimum of the golden bottleneck, and the degenerate minima of
``R_00^4 - R_00^6``, which the search now decides through the loss argument's entries.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import flint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landscape_proofs.cli.main import main
from landscape_proofs.families.base import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce import sos
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce.tour import example_files, load_example
from landscape_proofs.search.dedupe import _acts, gauge_normal_form, orbit_map
from landscape_proofs.search.multistart import LimitPointGroup, SearchConfig, _merge_exact, search

needs_cvxpy = pytest.mark.skipif(not sos.available(), reason="cvxpy (extra sos) not installed")
SEXTIC = {"name": "custom", "expression": "R_0_0**4 - R_0_0**6", "over": "product"}


def _problem(widths, loss, **extra):
    return problem_from_dict({"family": "deep-linear", "widths": list(widths), "loss": loss,
                              **extra})


def _example(name):
    for path in example_files():
        ex = load_example(path)
        if ex["name"] == name:
            return problem_from_dict(ex["problem"])
    raise LookupError(name)


def _rows(M):
    return [[Fraction(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())]
            for i in range(M.nrows())]


# --- orbit maps -------------------------------------------------------------------------------
def test_a_hand_built_gauge_is_found_and_rechecked():
    # widths 2-2-2-2: Q = A . P with A_1 = [[1, 1], [0, 1]], A_2 = [[2, 0], [1, 1]]
    p = _problem((2, 2, 2, 2), "square", Y=[[1, 0], [0, 1]])
    W = [flint.fmpq_mat(w) for w in ([[1, 2], [3, 4]], [[0, 1], [1, 0]], [[2, 0], [0, 1]])]
    A1, A2 = flint.fmpq_mat([[1, 1], [0, 1]]), flint.fmpq_mat([[2, 0], [1, 1]])
    Wq = [A1 * W[0], A2 * W[1] * A1.inv(), W[2] * A2.inv()]
    P, Q = Point.of(p, [_rows(M) for M in W]), Point.of(p, [_rows(M) for M in Wq])
    A = orbit_map(p, P, Q)
    assert A is not None and _acts(W, A) == Wq
    assert all(M.det() != 0 for M in A)
    # the same value: the loss is invariant
    obj = exact_objective(p)
    assert obj.value(exact_weights(P)) == obj.value(exact_weights(Q))
    # one entry of the last layer changed: no longer on the orbit (the product changed)
    bad = [_rows(M) for M in Wq]
    bad[2][0][0] += 1
    assert orbit_map(p, P, Point.of(p, bad)) is None


def _unimodular(draw_ints, d):
    """An integer matrix of determinant +-1: lower unitriangular times upper triangular
    with diagonal +-1."""
    L = flint.fmpq_mat(d, d, [1 if i == j else (draw_ints() if i > j else 0)
                              for i in range(d) for j in range(d)])
    U = flint.fmpq_mat(d, d, [(1 if draw_ints() >= 0 else -1) if i == j else
                              (draw_ints() if i < j else 0) for i in range(d) for j in range(d)])
    return L * U


@settings(max_examples=40, deadline=None, database=None)
@given(st.sampled_from([(2, 2, 2), (2, 3, 1), (1, 2, 3, 2), (3, 2, 2, 3)]), st.data())
def test_every_gauge_image_is_found_and_anything_else_is_not(widths, data):
    # Q = A . P for a random invertible A: a map is found and re-checked; Q with one entry of
    # the last layer moved by 1 has another product or another orbit: no map is accepted
    # unless it reproduces Q exactly (orbit_map re-computes A . P)
    ints = lambda: data.draw(st.integers(-3, 3))  # noqa: E731
    p = _problem(widths, "square", Y=[[0] * widths[0] for _ in range(widths[-1])])
    W = [flint.fmpq_mat(widths[k + 1], widths[k], [ints() for _ in range(widths[k + 1] * widths[k])])
         for k in range(len(widths) - 1)]
    A = [_unimodular(ints, d) for d in widths[1:-1]]
    Wq = _acts(W, A)
    P, Q = Point.of(p, [_rows(M) for M in W]), Point.of(p, [_rows(M) for M in Wq])
    found = orbit_map(p, P, Q)
    assert found is not None and _acts(W, found) == Wq
    moved = [_rows(M) for M in Wq]
    moved[-1][0][0] += 1
    other = orbit_map(p, P, Point.of(p, moved))
    assert other is None or _acts(W, other) == [
        flint.fmpq_mat([[flint.fmpq(q.numerator, q.denominator) for q in row] for row in M])
        for M in moved]


def test_points_with_the_same_product_but_different_rank_profiles_have_no_map():
    # depth3-diag27: diag(3,0)^3 (non-strict saddle) and (diag(1,0), I, diag(27,0)) (strict
    # saddle): same product diag(27, 0) and value, but W_2 has rank 1 in one, 2 in the other,
    # and invertible maps keep ranks
    p = _example("depth3-diag27")
    d3 = [[3, 0], [0, 0]]
    P = Point.of(p, [d3, d3, d3])
    Q = Point.of(p, [[[1, 0], [0, 0]], [[1, 0], [0, 1]], [[27, 0], [0, 0]]])
    assert orbit_map(p, P, Q) is None and orbit_map(p, Q, P) is None


def test_with_weight_decay_only_orthogonal_maps_count():
    # scalar depth 2, (a, b) -> (t a, b / t): t = -1 is orthogonal, t = 2 is not
    loss = {"name": "custom", "expression": "R_0_0**2", "over": "product"}
    plain, decayed = _problem((1, 1, 1), loss), _problem((1, 1, 1), loss, weight_decay="1/2")
    F = Fraction
    for p in (plain, decayed):
        A = orbit_map(p, Point.of(p, [[[F(2)]], [[F(3)]]]), Point.of(p, [[[F(-2)]], [[F(-3)]]]))
        assert A is not None and A[0][0, 0] == -1
    P, Q = [[[F(2)]], [[F(3)]]], [[[F(4)]], [[F(3, 2)]]]
    assert orbit_map(plain, Point.of(plain, P), Point.of(plain, Q))[0][0, 0] == 2
    assert orbit_map(decayed, Point.of(decayed, P), Point.of(decayed, Q)) is None


def test_gauge_normal_form_is_on_the_orbit_and_simplest():
    # (a, 0) -> (1, 0) by t = 1/a; (0, b) -> (0, 1) by t = b; (2, 1/2) -> (1, 1)
    p = _problem((1, 1, 1), SEXTIC)
    F = Fraction
    for w, want in (([[[F(13, 7)]], [[F(0)]]], ((1,),), ),
                    ([[[F(0)]], [[F(-5, 3)]]], ((0,),)),
                    ([[[F(2)]], [[F(1, 2)]]], ((1,),))):
        P = Point.of(p, w)
        N = gauge_normal_form(p, P)
        assert N.weights[0] == want
        assert orbit_map(p, P, N) is not None


# --- merging: only what is proven -----------------------------------------------------------
def _group(p, weights, gid):
    pt = Point.of(p, weights)
    c = classify(p, pt)
    assert c.certificate is not None
    return LimitPointGroup(id=gid, starts=1, representative=gid, value_approx=0.0,
                           rank_profile=(), certified=True, kind=c.kind, value=c.value,
                           route="test", distance=None, reason=c.reason, point=pt,
                           certificate=c.certificate.to_json())


def test_different_critical_points_with_equal_invariants_are_never_merged():
    # widths 2-1-1, l(R) = R_00^4 + R_01^4 >= 0: W_1 = (1, 0), W_2 = 0 and W_1 = (0, 1), W_2 = 0
    # are both global minima of value 0 with product 0 and rank profile (1, 0, 0): equal
    # invariants, equal kind.  But t (1, 0) is never (0, 1): two orbits, two groups.
    # (3, 0), 0 is (1, 0), 0 with t = 3: merged, counted as proven.
    import numpy as np

    p = _problem((2, 1, 1), {"name": "custom", "expression": "R_0_0**4 + R_0_1**4",
                             "over": "product"})
    F = Fraction
    a = _group(p, [[[F(1), F(0)]], [[F(0)]]], 1)
    b = _group(p, [[[F(0), F(1)]], [[F(0)]]], 2)
    c = _group(p, [[[F(3), F(0)]], [[F(0)]]], 3)
    assert a.kind is b.kind is c.kind is Kind.GLOBAL_MINIMUM
    members = [np.array([i]) for i in range(3)]
    merged, mem = _merge_exact(p, [a, b, c], members)
    assert len(merged) == 2
    assert merged[0].starts == 2 and merged[0].orbit_proven == 1
    assert sorted(mem[0].tolist()) == [0, 2] and mem[1].tolist() == [1]
    assert merged[1].starts == 1 and merged[1].orbit_proven == 0


# --- the search on hand-derived cases -------------------------------------------------------
def test_power4_identity_every_limit_point_is_one_global_minimum_group():
    # 1/4 sum (W_2 W_1 - I)_ij^4: every critical point with W_2 W_1 = I has value 0, the lower
    # bound of the loss; the runs converge slowly (quartic), end ~1e-3 apart, and the float
    # grouping splits them, but each snaps to the canonical factorization (I, I): one group
    p = _example("power4-identity")
    r = search(p, SearchConfig(starts=100, seed=0))
    assert r.converged == 100 and len(r.groups) == 1
    g = r.groups[0]
    assert g.certified and g.kind is Kind.GLOBAL_MINIMUM and g.value == 0
    assert g.starts == 100 and g.subgroups > 1
    assert r.undecided == 0 and r.inconclusive_share == 0
    assert check_certificate(json.loads(json.dumps(g.certificate))).valid


def _ge_sqrt(q: Fraction, n: int) -> bool:
    """q >= sqrt(n), exactly."""
    return q >= 0 and q * q >= n


def test_golden_bottleneck_irrational_global_minimum_is_one_group():
    # widths 2-1-2, X = I, Y = [[2, 1], [1, 1]]: eigenvalues (3 +- sqrt5)/2; the best rank-one
    # product keeps the top one, value 1/2 ((3 - sqrt5)/2)^2 = (7 - 3 sqrt5)/4, irrational.
    # Every run lands on the orbit of W_2 W_1 = lambda u u^T: one group, its value enclosed.
    p = _problem((2, 1, 2), "square", Y=[[2, 1], [1, 1]])
    r = search(p, SearchConfig(starts=30, seed=0))
    assert len(r.groups) == 1 and r.undecided == 0
    g = r.groups[0]
    assert g.certified and g.kind is Kind.GLOBAL_MINIMUM and g.starts == r.converged == 30
    # every run, gauge-fixed exactly onto the certificate's slice, is in one certified box
    assert g.runs_in_certified_box == 30 and check_certificate(g.box_certificate).valid
    lo, hi = g.value_enclosure
    # lo <= (7 - 3 sqrt5)/4 <=> 7 - 4 lo >= 3 sqrt5 <=> (7 - 4 lo)/3 >= sqrt5; hi likewise
    assert _ge_sqrt((7 - 4 * lo) / 3, 5) and not _ge_sqrt((7 - 4 * hi) / 3, 5)
    assert hi - lo < Fraction(1, 10**20)
    assert check_certificate(json.loads(json.dumps(g.certificate))).valid


@needs_cvxpy
def test_sextic_wide_degenerate_minima_are_decided_and_distinct_orbits_stay_apart():
    # R_00^4 - R_00^6 over a 2-2-2 network: every point with R_00 = 0 is critical with value
    # 0; near it R_00 is small, so L = l(E(W)) >= 0: a local minimum, not global (L -> -inf).
    # The Hessian is 0 (quartic), 8 parameters; the loss argument's one entry decides it.
    # Different products R (other entries free) are different orbits: never merged.
    p = _example("sextic-wide")
    r = search(p, SearchConfig(starts=24, seed=0))
    assert r.converged > 0 and r.undecided == 0 and r.inconclusive_share == 0
    products = []
    obj = exact_objective(p)
    for g in r.groups:
        assert g.certified and g.kind is Kind.SPURIOUS_LOCAL_MINIMUM and g.value == 0
        R = obj.product(exact_weights(g.point))
        assert R[0, 0] == 0
        products.append(tuple(R.entries()))
        ev = g.certificate["evidence"]["local_minimum"]
        assert ev["type"] == "sos-local" and ev["space"] == "argument"
        assert check_certificate(json.loads(json.dumps(g.certificate))).valid
    assert len(set(products)) == len(products)


# --- the kernel's "argument" space ----------------------------------------------------------
# l(z) = z_0^4 - z_0^6 in the entries z of E = R (2 x 2, z_0 = R_00), on |z|^2 <= 1:
#   z_0^4 - z_0^6 = sum_{i=1..3} (z_i z_0^2)^2 + (1 - |z|^2) (z_0^2)^2
# since (1 - |z|^2) z_0^4 = z_0^4 - z_0^6 - z_0^4 sum_{i>=1} z_i^2.
ARGUMENT_LOCAL = {
    "type": "sos-local", "multiplier_degree": 0, "space": "argument",
    "basis": [[[0, 2], [1, 1]], [[0, 2], [2, 1]], [[0, 2], [3, 1]]],
    "gram": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "ball": {"radius_squared": 1, "basis": [[[0, 2]]], "gram": [[1]]},
}
ORIGIN = [[[0, 0], [0, 0]], [[0, 0], [0, 0]]]


def _argument_cert(evidence=ARGUMENT_LOCAL, claim="local-minimum", **extra):
    p = _problem((2, 2, 2), SEXTIC, **extra)
    pt = Point.of(p, [[[Fraction(x) for x in row] for row in W] for W in ORIGIN])
    value = exact_objective(p).value(exact_weights(pt))
    return Certificate(claim=claim, problem=p, point=pt, value=value,
                       evidence=copy.deepcopy(evidence), method="test").to_json()


def test_the_hand_built_argument_space_certificate_proves_a_local_minimum():
    res = check_certificate(_argument_cert())
    assert res.valid, res.reason
    assert "L = l(E)" in res.reason


def _mutated(change):
    ev = copy.deepcopy(ARGUMENT_LOCAL)
    change(ev)
    return ev


@pytest.mark.parametrize("evidence, claim, extra", [
    (_mutated(lambda ev: ev["ball"].__setitem__("radius_squared", 2)), "local-minimum", {}),
    (_mutated(lambda ev: ev["gram"][0].__setitem__(0, 2)), "local-minimum", {}),
    (_mutated(lambda ev: ev.__setitem__("space", "product")), "local-minimum", {}),
    (_mutated(lambda ev: ev.pop("space")), "local-minimum", {}),   # read in the parameters
    (ARGUMENT_LOCAL, "local-maximum", {}),
    (ARGUMENT_LOCAL, "local-minimum",                              # L is not l(E(W)) here
     {"weight_decay": [[[0, 0], [0, 1]], [[0, 0], [0, 0]]]}),
])
def test_tampered_argument_space_certificates_are_rejected(evidence, claim, extra):
    res = check_certificate(_argument_cert(evidence, claim, **extra))
    assert not res.valid


def test_a_ball_in_the_argument_cannot_prove_a_global_minimum():
    ev = dict(ARGUMENT_LOCAL, type="sos-lower-bound")
    assert not check_certificate(_argument_cert(ev, "global-minimum")).valid


# --- the command line -------------------------------------------------------------------------
@needs_cvxpy
def test_cli_search_reports_the_undecided_share_and_verify_accepts_the_folder(tmp_path, capsys):
    prob = tmp_path / "sextic.json"
    prob.write_text(json.dumps({"family": "deep-linear", "widths": [1, 1, 1], "loss": SEXTIC}))
    out = tmp_path / "out"
    assert main(["search", str(prob), "--starts", "12", "--seed", "0", "--out", str(out)]) == 0
    assert "undecided: 0 of" in capsys.readouterr().out
    data = json.loads((out / "search.json").read_text(encoding="utf-8"))
    assert data["inconclusive_share"] == 0 and data["undecided"] == 0
    # (ab)^4 - (ab)^6: the minima a b = 0 reached are (a, 0) or (0, b), two orbits besides the
    # origin's, each a spurious local minimum (value 0; (2, 1) has value -48)
    assert {g["kind"] for g in data["groups"]} == {"spurious-local-minimum"}
    assert all(g["point"]["weights"] in ([[[1]], [[0]]], [[[0]], [[1]]], [[[0]], [[0]]])
               for g in data["groups"])
    assert main(["verify", *map(str, sorted(out.glob("*.json")))]) == 0
