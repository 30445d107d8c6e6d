"""`landscape search` and `landscape hunt` on the multi-tower and symmetric-factorization
families: answers derived by hand, every certificate re-checked by the trusted checker."""
from __future__ import annotations

import json
from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.cli.main import main
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.search.hunt import HuntConfig, HuntConstraints, hunt, special_points
from landscape_proofs.search.local import RunStatus
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.search.snap import _rref_split, symmetric_square_root
from landscape_proofs.strategies import multi_tower_problems, symmetric_factorization_problems

# 1/2 ||U U^T - diag(4, -1)||^2, U = (a, b)^T:
#   F = 1/2 [(a^2 - 4)^2 + 2 a^2 b^2 + (b^2 + 1)^2] >= 1/2 (b^2 + 1)^2 >= 1/2,
#   dF/da = 2a (a^2 + b^2 - 4), dF/db = 2b (a^2 + b^2 + 1): critical iff b = 0, a in {0, +-2}.
#   At (+-2, 0): F = 1/2 (the lower bound: global), Hessian diag(16, 10).
#   At the origin: F = 17/2, Hessian diag(-8, 2): a strict saddle.
SYM = {"family": "symmetric-factorization", "shape": [2, 1], "Y": [[4, 0], [0, -1]],
       "loss": "square"}
# (ab + cd - 2)^2 / 2: the gradient is r (b, a, d, c), r = ab + cd - 2, so a critical point has
# r = 0 (value 0: global) or a = b = c = d = 0 (value 2; the (a, b) block of the Hessian is
# [[0, -2], [-2, 0]], a strict saddle).  Every local minimum is global.
TWO_TOWERS = {"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[2]],
              "loss": "square"}
DEEP = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
        "loss": "square"}


def _assert_sound(report):
    """Counts add up; every certified kind is accepted by the checker, for the exact point
    the group names, which is exactly critical; runs that did not converge are in no group."""
    assert sum(g.starts for g in report.groups) + report.stopped_short + report.diverged \
        == report.config.starts
    obj = exact_objective(report.problem)
    for g in report.groups:
        assert g.kind is not Kind.NOT_CRITICAL
        if g.certified:
            res = check_certificate(json.loads(json.dumps(g.certificate)))
            assert res.valid, res.reason
            assert res.claim == g.kind.value
            pt = point_from_dict(g.certificate["point"], report.problem)
            assert pt.weights == g.point.weights
            assert all(x == 0 for x in obj.gradient_vector(exact_weights(g.point)))
            assert Fraction(str(obj.value(exact_weights(g.point)))) == g.value
    for o in report.outcomes:
        if o.status not in (RunStatus.CONVERGED, RunStatus.AT_KINK):
            assert o.group is None


# --- symmetric factorization -----------------------------------------------------------------
def test_symmetric_diag_4_minus_1_reaches_the_global_minima_plus_minus_2_0():
    p = problem_from_dict(SYM)
    r = search(p, SearchConfig(starts=60, seed=0))
    _assert_sound(r)
    minima = [g for g in r.groups if g.certified and g.kind in
              (Kind.LOCAL_MINIMUM, Kind.GLOBAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM)]
    assert minima and sum(g.starts for g in minima) == r.converged == 60
    for g in minima:
        (U,) = g.point.weights
        assert U in (((2,), (0,)), ((-2,), (0,)))
        assert g.value == Fraction(1, 2)          # the hand lower bound 1/2 (b^2 + 1)^2 = 1/2
        # a strict local minimum (Hessian diag(16, 10)); "global" only with an exact proof of
        # optimality over the PSD cone, never from the float closed form
        assert g.kind in (Kind.LOCAL_MINIMUM, Kind.GLOBAL_MINIMUM)
    if any(g.kind is Kind.GLOBAL_MINIMUM for g in minima):
        assert r.global_value.value == Fraction(1, 2)
    else:   # only the float closed form of the PSD-constrained optimum: a hint
        assert r.global_value.value is None and r.global_value.approx == pytest.approx(0.5)
    assert not r.spurious_minima()


def test_symmetric_psd_target_is_reached_exactly_through_the_canonical_square_root():
    # Y = L L^T, L = [[2, 0], [1, 3]]; k = 2: the minimizers U = L Q (Q in O(2)) form a circle
    # of mostly irrational points; U U^T = Y is snapped and factored exactly.
    d = {"family": "symmetric-factorization", "shape": [2, 2], "Y": [[4, 2], [2, 10]],
         "loss": "square"}
    r = search(problem_from_dict(d), SearchConfig(starts=30, seed=2))
    _assert_sound(r)
    assert [g.kind for g in r.groups] == [Kind.GLOBAL_MINIMUM]
    g = r.groups[0]
    assert g.value == 0 and g.starts == 30 and r.global_value.value == 0
    U = matrix(g.point.weights[0])
    assert U * U.transpose() == matrix(d["Y"])
    assert "square root" in g.route or g.route.startswith("entrywise")


def test_symmetric_weighted_loss_has_a_spurious_minimum_found_and_certified():
    # f(a, b) = (a^2 - 1)^2 + 6 a^2 b^2 + 2 (b^2 - 1)^2 at U = (a, b)^T.
    # (+-1, 0): f = 2, Hessian diag(8, 4): a strict local minimum; (0, +-1): f = 1 < 2.
    d = {"family": "symmetric-factorization", "shape": [2, 1],
         "loss": {"name": "custom", "over": "product",
                  "expression": "(R_0_0 - 1)**2 + 3*R_0_1**2 + 3*R_1_0**2 + 2*(R_1_1 - 1)**2"}}
    r = search(problem_from_dict(d), SearchConfig(starts=60, seed=1))
    _assert_sound(r)
    spurious = r.spurious_minima()
    assert len(spurious) == 1
    assert spurious[0].value == 2 and spurious[0].point.weights[0] in (((1,), (0,)), ((-1,), (0,)))
    others = [g for g in r.groups if g.certified and g is not spurious[0]]
    assert {g.value for g in others} <= {Fraction(1)}
    assert all(g.point.weights[0] in (((0,), (1,)), ((0,), (-1,))) for g in others)


def test_symmetric_square_root_is_exact_or_absent():
    P = [[Fraction(4), Fraction(2)], [Fraction(2), Fraction(10)]]
    assert symmetric_square_root(P, 2) == [[2, 0], [1, 3]]
    assert symmetric_square_root(P, 1) is None                       # rank 2 > k = 1
    assert symmetric_square_root([[Fraction(2)]], 1) is None          # sqrt(2)
    assert symmetric_square_root([[Fraction(-1)]], 1) is None         # not PSD
    assert symmetric_square_root([[Fraction(1), Fraction(2)],
                                  [Fraction(2), Fraction(1)]], 2) is None   # indefinite


@settings(max_examples=60, database=None, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_symmetric_square_root_property(n, k, data):
    U = [[Fraction(data.draw(st.integers(-3, 3))) for _ in range(k)] for _ in range(n)]
    P = [[sum(U[i][c] * U[j][c] for c in range(k)) for j in range(n)] for i in range(n)]
    root = symmetric_square_root(P, k)
    if root is not None:   # a heuristic may miss a root, never return a wrong one
        assert len(root) == n and all(len(row) == k for row in root)
        assert matrix(root) * matrix(root).transpose() == matrix(P)


def test_non_square_pivots_use_sums_of_squares_and_orthogonal_blocks():
    # P = [[2]]: 2 = 1 + 1, so U = (1, 1) with k = 2, none with k = 1
    assert symmetric_square_root([[Fraction(2)]], 2) == [[1, 1]]
    # B = [[1, 1], [1, 2], [1, -1]], P = B B^T: no diagonal entry (2, 5, 2) is a square.
    # Pivots d = 2 (l = (1, 3/2, 0)) and then 5 - 9/2 = 1/2: 1/2 / 2 = 1/4 is a square, so
    # both share one 2-column block: v_1 = (1, 1), v_2 = (1/2) (-1, 1); two columns suffice
    P = [[Fraction(2), Fraction(3), Fraction(0)], [Fraction(3), Fraction(5), Fraction(-1)],
         [Fraction(0), Fraction(-1), Fraction(2)]]
    U = symmetric_square_root(P, 2)
    assert U is not None and matrix(U) * matrix(U).transpose() == matrix(P)
    # 7 is no sum of 3 squares (7 = 4 + 1 + 1 + 1): 4 columns needed, 3 are refused
    assert symmetric_square_root([[Fraction(7)]], 3) is None
    assert symmetric_square_root([[Fraction(7)]], 4) is not None


@settings(max_examples=40, database=None, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.data())
def test_a_rational_gram_matrix_always_has_a_root_with_four_columns_per_rank(n, r, data):
    # Lagrange: every positive rational is a sum of 4 squares, so 4 r columns always suffice
    B = [[Fraction(data.draw(st.integers(-4, 4)), data.draw(st.integers(1, 3))) for _ in range(r)]
         for _ in range(n)]
    P = [[sum(B[i][c] * B[j][c] for c in range(r)) for j in range(n)] for i in range(n)]
    root = symmetric_square_root(P, 4 * r)
    assert root is not None
    assert matrix(root) * matrix(root).transpose() == matrix(P)


def test_search_certifies_a_rank_deficient_target_through_a_rational_factor():
    # l(U U^T), U 3 x 3, M = B B^T with B as above (rank 2 < k = 3): value 0 is the global
    # value, reached only quartically in U's third direction (the float rank of the runs is 3)
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [3, 3], "loss": "square",
                           "Y": [[2, 3, 0], [3, 5, -1], [0, -1, 2]]})
    r = search(p, SearchConfig(starts=10, seed=0))
    (g,) = r.groups
    assert g.kind is Kind.GLOBAL_MINIMUM and g.value == 0 and g.starts == 10
    U = matrix([list(row) for row in g.point.weights[0]])
    assert U * U.transpose() == matrix([[2, 3, 0], [3, 5, -1], [0, -1, 2]])


def test_float64_symmetric_hessian_matches_the_exact_hessian():
    for loss in ("square", {"name": "power", "p": 4}):
        p = problem_from_dict({"family": "symmetric-factorization", "shape": [3, 2],
                               "Y": [[1, 2, 0], [2, -1, 1], [0, 1, 2]], "loss": loss,
                               "weight_decay": "1/4"})
        rng = np.random.default_rng(5)
        U = rng.integers(-3, 4, size=(3, 2))
        He = exact_objective(p).hessian([matrix(U.tolist())])
        He = np.array([[float(He[i, j]) for j in range(6)] for i in range(6)])
        Hf = float64_objective(p).hessian([U[None].astype(float)])[0]
        assert np.allclose(Hf, He, rtol=1e-12, atol=1e-12)


# --- multi-tower -----------------------------------------------------------------------------
def test_two_scalar_towers_every_minimum_reached_is_global_with_value_0():
    p = problem_from_dict(TWO_TOWERS)
    r = search(p, SearchConfig(starts=60, seed=0))
    _assert_sound(r)
    assert r.groups and all(g.certified for g in r.groups)
    for g in r.groups:
        a, b, c, d = (W[0][0] for W in g.point.weights)
        if g.kind is Kind.GLOBAL_MINIMUM:
            assert g.value == 0 and a * b + c * d == 2
        else:  # only the origin is critical off the global set, and it is a strict saddle
            assert g.kind is Kind.STRICT_SADDLE and (a, b, c, d) == (0, 0, 0, 0) and g.value == 2
    assert any(g.kind is Kind.GLOBAL_MINIMUM for g in r.groups)
    assert r.global_value.value == 0 and not r.spurious_minima()


def test_zhang_example_two_rank_one_towers_reach_the_target():
    # docs/families.md: R = u_1 v_1^T + u_2 v_2^T, Y = diag(3, 1); global value 0.  Critical
    # values off the global set (by hand): 1/2, 9/2, 5, all strict saddles.
    d = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]], "Y": [[3, 0], [0, 1]],
         "loss": "square"}
    r = search(problem_from_dict(d), SearchConfig(starts=40, seed=0))
    _assert_sound(r)
    assert r.global_value.value == 0
    for g in r.groups:
        assert g.certified
        if g.value == 0:
            assert g.kind is Kind.GLOBAL_MINIMUM
            R = exact_objective(r.problem).product(exact_weights(g.point))
            assert R == matrix(d["Y"])
        else:
            assert g.value in (Fraction(1, 2), Fraction(9, 2), 5)
            assert g.kind is Kind.STRICT_SADDLE


def test_rref_split_deals_out_the_rank_over_the_towers():
    R = flint.fmpq_mat([[1, 2, 0], [0, 1, 1], [1, 3, 1]])     # rank 2
    parts = _rref_split(R, [1, 1])
    assert sum(parts[1:], parts[0]) == R and [M.rank() for M in parts] == [1, 1]
    assert _rref_split(R, [1, 0]) is None and _rref_split(R, [2, 1]) is None


def test_search_is_reproducible_for_both_families():
    for d in (SYM, TWO_TOWERS):
        p = problem_from_dict(d)
        a, b = (search(p, SearchConfig(starts=15, seed=4)).to_json() for _ in range(2))
        for x in (a, b):
            x.pop("seconds"), x.pop("descent_seconds")
        assert a == b


# --- command line ----------------------------------------------------------------------------
@pytest.mark.parametrize("problem", [SYM, TWO_TOWERS], ids=["symmetric", "multi-tower"])
def test_cli_search_writes_certificates_that_verify(tmp_path, capsys, problem):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem))
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(DEEP))
    out = tmp_path / "certs"
    assert main(["search", str(path), "--starts", "20", "--out", str(out), "--json",
                 "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert main(["search", str(deep), "--starts", "5", "--json", "--no-progress"]) == 0
    reference = json.loads(capsys.readouterr().out)
    assert set(data) == set(reference)                       # the same summary as deep-linear
    assert set(data["groups"][0]) == set(reference["groups"][0])
    assert data["problem"]["family"] == problem["family"]
    files = sorted(out.glob("group-*.json"))
    assert files and (out / "search.json").exists()
    assert [g["certificate_file"] for g in data["groups"] if g["certificate_file"]] == \
        [str(f) for f in files]
    assert main(["verify", *map(str, files)]) == 0
    assert capsys.readouterr().out.count("VALID") == len(files)


def test_cli_search_still_refuses_families_it_does_not_handle(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"family": "shallow-rank", "shape": [2, 2], "rank": 1,
                                "Y": [[1, 0], [0, 1]], "loss": "square"}))
    assert main(["search", str(path), "--starts", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "family" in err and "shallow-rank" in err


# --- hunt ------------------------------------------------------------------------------------
def test_hunt_multi_tower_with_weight_decay_finds_and_shrinks_a_spurious_minimum():
    cons = HuntConstraints(family="multi-tower", weight_decay=True, max_depth=3, max_width=1)
    r = hunt(HuntConfig(constraints=cons, max_examples=10, seed=0))
    assert r.found and r.verified
    res = check_certificate(json.loads(json.dumps(r.certificate)))
    assert res.valid and res.claim == "spurious-local-minimum"
    p = r.problem
    assert p.family == "multi-tower" and p.weight_decay > 0 and p.n_params <= 4
    # By hand for what it shrinks to: F = 1/2 (a + bcd - 3)^2 + 1/4 (a^2 + b^2 + c^2 + d^2).
    # At (2, 0, 0, 0): dF/da = (2 - 3) + 2/2 = 0, the other partials vanish (two factors 0);
    # Hessian diag(3/2, 1/2, 1/2, 1/2): a strict local minimum of value 1/2 + 1 = 3/2.
    assert p.towers == ((1, 1), (1, 1, 1, 1)) and p.Y == ((3,),) and p.weight_decay == Fraction(1, 2)
    assert r.certificate["point"]["weights"] == [[[2]], [[0]], [[0]], [[0]]]
    assert Fraction(r.certificate["value"]) == Fraction(3, 2)


def test_hunt_symmetric_square_loss_finds_no_spurious_minimum():
    # Square loss of U U^T with a symmetric target: every local minimum is global (e.g. Ge,
    # Jin & Zheng 2017); the hunt must not produce a counterexample, and says what it tried.
    cons = HuntConstraints(family="symmetric-factorization", max_width=3)
    r = hunt(HuntConfig(constraints=cons, max_examples=12, seed=0, starts=8))
    assert not r.found and r.certificate is None
    assert r.instances == 12 and r.starts == 12 * 8 and r.certified_points > 0


def test_hunt_special_points_of_the_families_are_exact_and_aligned():
    p = problem_from_dict({"family": "multi-tower", "towers": [[2, 1, 2], [2, 2]],
                           "Y": [[3, 0], [0, 1]], "loss": "square"})
    pts = dict(special_points(p))
    # tower 1 alone carrying 3 e_1 e_1^T: W_1 = 3 e_1^T, W_2 = e_1; tower 2 zero
    assert pts["special point: tower 1 aligned rank one (other towers 0), entry (0, 0), "
               "scale 3"].weights == (((3, 0),), ((1,), (0,)), ((0, 0), (0, 0)))
    # U = a e_1: F(a) = 1/2 ((a^2 - 4)^2 + 1) is least at a = +-2
    s = problem_from_dict(SYM)
    first = [pt.weights for how, pt in special_points(s) if "U = a e_0 e_0^T" in how]
    assert first and set(first) <= {(((2,), (0,)),), (((-2,), (0,)),)}


def test_strategies_for_the_families_shrink_to_the_smallest_instances():
    from hypothesis import find

    p = find(multi_tower_problems(), lambda p: True)
    assert p.towers == ((1, 1), (1, 1)) and p.weight_decay == 0
    s = find(symmetric_factorization_problems(bottleneck=True), lambda p: True)
    assert (s.n, s.k) == (2, 1) and s.has_bottleneck
    s = find(symmetric_factorization_problems(), lambda p: p.Y[0][0] != 0 and p.n == 2)
    assert s.Y[0][1] == s.Y[1][0]                                  # targets are symmetric


def test_cli_hunt_family_writes_a_certificate_that_verify_accepts(tmp_path, capsys):
    out = tmp_path / "mt.json"
    code = main(["hunt", "--family", "multi-tower", "--weight-decay", "--max-depth", "3",
                 "--max-width", "1", "--max-examples", "10", "--no-shrink", "--out", str(out),
                 "--json", "--no-progress"])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["found"] and data["certificate_verified"]
    assert data["constraints"]["family"] == "multi-tower"
    assert main(["verify", str(out)]) == 0


@pytest.mark.parametrize("argv, field", [
    (["--family", "multi-tower", "--bottleneck"], "bottleneck"),
    (["--family", "symmetric-factorization", "--data", "any"], "data"),
])
def test_cli_hunt_family_bad_constraints_exit_2(capsys, argv, field):
    assert main(["hunt", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err
