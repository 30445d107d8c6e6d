"""Orthogonal gauge fixing onto triangular slices (search/orthoslice.py): weight decay with
hidden widths above 1, and ``l(U U^T)``.  The maps are QR decompositions, enclosed in balls;
the tests check them on hand-computed cases and as inverses of exact rational rotations."""
from __future__ import annotations

import json
import random
from fractions import Fraction

import flint
import numpy as np
import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.numbers import parse_exact
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.search.dedupe import NotGaugeFixable
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.search.orthoslice import (OrthoSliceGauge, TriangularPlan, _frozen,
                                                triangular_slice)

F = Fraction
WD22 = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[2, 1], [1, 1]], "loss": "square",
        "weight_decay": "1/10"}


def _cert(layers, plan, shapes):
    """A certificate's point (center, free) on the plan's slice, from exact layers."""
    frozen = _frozen(plan, shapes)
    flat = [v for W in layers for row in W for v in row]
    assert all(flat[p] == 0 for p in frozen)
    return {"point": {"center": [[[str(v) for v in row] for row in W] for W in layers],
                      "free": [p for p in range(len(flat)) if p not in frozen],
                      "radius": "1/1024"}}


def _dist(g, x):
    d = g.distance(x)
    return None if d is None else F(int(d.p), int(d.q))


def _flat(layers):
    return np.array([float(v) for W in layers for row in W for v in row])


# --- by hand -----------------------------------------------------------------------------
def test_a_full_rank_block_is_made_upper_triangular_with_the_centers_signs():
    # W_1 = [[3, 4], [4, -3]]: B^T B = 25 I, R = 5 I, Q_1 = R W_1^{-1} = W_1 / 5 (orthogonal),
    # y_1 = Q_1 W_1 = 5 I; y_2 = W_2 Q_1^T = [[1, 2], [3, 4]] W_1 / 5 = [[11/5, -2/5], [5, 0]]
    p = problem_from_dict(WD22)
    plan = TriangularPlan(False, 1, {0: (((0, 1), (0, 1)),)}, {})
    x = _flat([[[3, 4], [4, -3]], [[1, 2], [3, 4]]])
    shapes = [(2, 2), (2, 2)]
    center = [[[5, 0], [0, 5]], [[F(11, 5), F(-2, 5)], [5, 0]]]
    g = OrthoSliceGauge(p, _cert(center, plan, shapes), plan)
    assert _dist(g, x) < F(1, 10**30)
    # a center with W_1[1, 1] < 0 asks for S = diag(1, -1): y_1 = diag(5, -5), and column 2 of
    # y_2 changes sign: [[11/5, 2/5], [5, 0]]
    flipped = [[[5, 0], [0, -5]], [[F(11, 5), F(2, 5)], [5, 0]]]
    assert _dist(OrthoSliceGauge(p, _cert(flipped, plan, shapes), plan), x) < F(1, 10**30)
    # the distance is the largest free-coordinate gap: W_2[0, 1] off by 1/7
    off = [[[5, 0], [0, 5]], [[F(11, 5), F(-2, 5) + F(1, 7)], [5, 0]]]
    d = _dist(OrthoSliceGauge(p, _cert(off, plan, shapes), plan), x)
    assert F(1, 7) <= d < F(1, 7) + F(1, 10**30)


def test_a_rank_deficient_block_uses_the_unit_normal_with_either_sign():
    # W_1 = [[3, 6], [4, 8]] has rank 1: J = (column 1,), B = (6, 8)^T, R = 10, Q's first row
    # (6, 8)/10, its last the unit normal +-(8, -6)/10.  y_1 = [[5, 10], [0, 0]]; with W_2 =
    # [[1, 2], [3, 4]], y_2 = W_2 Q^T = [[11/5, -2/5 s], [5, 0]]: the center's s = -1 is found
    p = problem_from_dict(WD22)
    plan = TriangularPlan(False, 1, {0: (((0, 1), (1,)),)}, {})
    shapes = [(2, 2), (2, 2)]
    x = _flat([[[3, 6], [4, 8]], [[1, 2], [3, 4]]])
    for s in (1, -1):
        center = [[[5, 10], [0, 0]], [[F(11, 5), F(-2, 5) * s], [5, 0]]]
        assert _dist(OrthoSliceGauge(p, _cert(center, plan, shapes), plan), x) < F(1, 10**30)


def test_u_u_transpose_rows_are_made_lower_triangular():
    # U = [[3, 4], [4, -3], [1, 2]], rows I = (0, 1): C = [[3, 4], [4, -3]], C C^T = 25 I,
    # U Q = U C^T / 5 = [[5, 0], [0, 5], [11/5, -2/5]]
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [3, 2],
                           "Y": [[2, 1, 0], [1, 3, 1], [0, 1, 1]], "loss": "square"})
    plan = TriangularPlan(True, 0, {}, {0: (((0, 1), (0, 1)),)})
    center = [[[5, 0], [0, 5], [F(11, 5), F(-2, 5)]]]
    g = OrthoSliceGauge(p, _cert(center, plan, [(3, 2)]), plan)
    assert _dist(g, _flat([[[3, 4], [4, -3], [1, 2]]])) < F(1, 10**30)


def test_gl_gauges_and_deeper_towers_are_refused():
    with pytest.raises(NotGaugeFixable, match="GL"):
        triangular_slice(problem_from_dict({**WD22, "weight_decay": "0"}), np.ones(8))
    towers = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]],
              "Y": [[1, 0], [0, 1]], "loss": "square", "weight_decay": "1/10"}
    with pytest.raises(NotGaugeFixable, match="multi-tower"):
        triangular_slice(problem_from_dict(towers), np.ones(8))


# --- as the inverse of exact rotations ----------------------------------------------------
def _cayley(d, rng):
    """A rational orthogonal matrix (I - S)(I + S)^{-1}, S skew with small rational entries."""
    S = flint.fmpq_mat(d, d)
    for i in range(d):
        for j in range(i + 1, d):
            v = flint.fmpq(rng.randint(-5, 5), rng.randint(1, 4))
            S[i, j], S[j, i] = v, -v
    eye = flint.fmpq_mat(d, d, [int(i == j) for i in range(d) for j in range(d)])
    return (eye - S) * (eye + S).inv()


@pytest.mark.parametrize("widths", [[2, 2, 2], [3, 2, 3], [2, 2, 2, 2], [3, 3, 2, 2]])
def test_rotating_a_slice_point_and_mapping_it_back_returns_it(widths):
    rng = random.Random(sum(widths))
    p = problem_from_dict({"family": "deep-linear", "widths": widths, "loss": "square",
                           "Y": [[int(i == j) for j in range(widths[0])]
                                 for i in range(widths[-1])], "weight_decay": "1/10"})
    shapes = [tuple(s) for s in p.shapes]
    n = sum(r * c for r, c in shapes)
    ran = 0
    for trial in range(3):
        x0 = np.array([rng.uniform(-2, 2) for _ in range(n)])
        sl, plan = triangular_slice(p, x0)
        # the plan freezes as many coordinates as the kernel's orbit tangent has generators
        W = [flint.fmpq_mat(r, c, [0] * (r * c)) for r, c in shapes]
        assert len(_frozen(plan, shapes)) == len(p.exact_objective().orbit_tangent(W, True))
        # a random exact point on the slice (frozen entries 0), then rotated exactly by
        # Q_k in O(d_k) at every hidden layer: W_k -> Q_k W_k Q_{k-1}^T
        frozen = _frozen(plan, shapes)
        c = [F(rng.randint(-9, 9), rng.randint(1, 5)) if q not in frozen else F(0)
             for q in range(n)]
        layers, off = [], 0
        for r, cc in shapes:
            layers.append(flint.fmpq_mat(r, cc, [flint.fmpq(v.numerator, v.denominator)
                                                for v in c[off:off + r * cc]]))
            off += r * cc
        Qs = [_cayley(r, rng) for r, _ in shapes[:-1]]
        rot = []
        for k, M in enumerate(layers):
            if k < len(Qs):
                M = Qs[k] * M
            if k > 0:
                M = M * Qs[k - 1].transpose()
            rot.append(M)
        x = np.array([float(v) for M in rot for v in M.entries()])
        cert = _cert([[[F(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())]
                       for i in range(M.nrows())] for M in layers], plan, shapes)
        try:
            g = OrthoSliceGauge(p, cert, plan)
        except NotGaugeFixable:           # a zero on a frozen block's diagonal: draw again
            continue
        d = _dist(g, x)
        assert d is not None and d < F(1, 10**10)
        # moving one free coordinate by 1/1000 (still on the slice, same signs) is seen
        q = rng.choice(cert["point"]["free"])
        moved = list(c)
        moved[q] += F(1, 1000)
        offs = [sum(r * cc for r, cc in shapes[:k]) for k in range(len(shapes))]
        cert2 = _cert([[[moved[o + i * cc + j] for j in range(cc)] for i in range(r)]
                       for o, (r, cc) in zip(offs, shapes)], plan, shapes)
        d2 = _dist(OrthoSliceGauge(p, cert2, plan), x)
        assert abs(d2 - F(1, 1000)) < F(1, 10**9)
        ran += 1
    assert ran >= 2


# --- through search --------------------------------------------------------------------
def test_weight_decay_with_hidden_width_two_every_run_in_one_certified_box(tmp_path):
    # widths 2-2-2, X = I, Y = [[2, 1], [1, 1]], decay 1/10: the global minimum shrinks the
    # golden singular values of Y (irrational); its gauge is O(2), fixed on a triangular slice
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(WD22))
    assert main(["search", str(prob), "--starts", "20", "--seed", "0", "--out",
                 str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "search.json").read_text())
    (g,) = data["groups"]
    assert g["kind"] == "global-minimum" and g["runs_in_certified_box"] == g["starts"] == 20
    assert "triangular" in g["route"]
    cert = json.loads((tmp_path / "out" / g["certificate_file"].split("/")[-1]).read_text())
    # one coordinate frozen (so(2) has one generator), at 0, below a diagonal
    frozen = sorted(set(range(8)) - set(cert["point"]["free"]))
    assert len(frozen) == 1
    flat = [parse_exact(v) for W in cert["point"]["center"] for row in W for v in row]
    assert flat[frozen[0]] == 0
    assert main(["verify", *map(str, sorted((tmp_path / "out").glob("*.json")))]) == 0


def test_rank_deficient_u_u_transpose_runs_in_one_certified_box():
    # U (3 x 3) with decay 1/3 and M with a negative eigenvalue: U U^T keeps the positive
    # part shrunk, so U has rank 2 and the third direction is fixed by a unit normal
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [3, 3],
                           "Y": [[2, 1, 0], [1, 3, 1], [0, 1, -1]], "loss": "square",
                           "weight_decay": "1/3"})
    r = search(p, SearchConfig(starts=16, seed=0))
    g = next(g for g in r.groups if g.kind is Kind.GLOBAL_MINIMUM)
    assert g.runs_in_certified_box == g.starts == 16
    assert check_certificate(g.box_certificate).holds
    U = np.array([[float(parse_exact(v)) for v in row]
                  for row in g.certificate["point"]["center"][0]])
    assert np.linalg.matrix_rank(U, tol=1e-6) == 2


# --- towers of two layers: one chain -----------------------------------------------------------
MT = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]], "Y": [[2, 1], [1, 1]],
      "loss": "square", "weight_decay": "1/10"}


def test_two_layer_towers_are_read_as_one_chain():
    # tower t: V_t (1 x 2), U_t (2 x 1); the chain W_1 = [V_1; V_2], W_2 = [U_1 U_2]
    from landscape_proofs.search.orthoslice import TwoLayerView

    view = TwoLayerView(problem_from_dict(MT))
    x = np.arange(8.0)       # V_1 = (0, 1), U_1 = (2, 3)^T, V_2 = (4, 5), U_2 = (6, 7)^T
    assert view.to_chain(x).tolist() == [0, 1, 4, 5, 2, 6, 3, 7]
    deep = problem_from_dict({**MT, "family": "multi-tower", "towers": [[2, 1, 1, 2], [2, 1, 2]]})
    with pytest.raises(NotGaugeFixable, match="more than two layers"):
        TwoLayerView(deep)


def test_two_layer_towers_with_decay_global_minimum_certified_and_runs_in_one_box():
    # the towers are the chain 2-2-2 with decay 1/10 and X = I: per singular value sigma of Y
    # (the golden (3 +- sqrt5)/2, both above 1/10) the minimum of 1/2 (sigma - s)^2 + s/10 is
    # sigma/10 - 1/200, so the global value is (3/10) - 2/200 = 29/100, at an irrational point
    p = problem_from_dict(MT)
    r = search(p, SearchConfig(starts=12, seed=0))
    (g,) = r.groups
    assert g.kind is Kind.GLOBAL_MINIMUM and g.runs_in_certified_box == g.starts == 12
    lo, hi = g.value_enclosure
    assert lo <= F(29, 100) <= hi and hi - lo < F(1, 10**20)
    assert check_certificate(g.box_certificate).holds
    assert "isolated-critical-value" in json.dumps(g.certificate["evidence"])


def test_isolated_critical_values_refuse_deeper_towers_and_wrong_data():
    from landscape_proofs.kernel.critical_values import isolate_global
    from landscape_proofs.kernel.model import read_problem

    deep = read_problem({**MT, "towers": [[2, 1, 1, 2], [2, 1, 2]]})
    with pytest.raises(ArithmeticError, match="one chain"):
        isolate_global(deep, flint.fmpq(29, 100), flint.fmpq(29, 100))
    # the two-layer towers: 29/100 is the least critical value; 3/10 is none of them
    two = read_problem(MT)
    assert "least" in isolate_global(two, flint.fmpq(29, 100), flint.fmpq(29, 100))
    with pytest.raises(ArithmeticError):
        isolate_global(two, flint.fmpq(3, 10), flint.fmpq(3, 10))
    # a tampered certificate: the point is not critical for another Y
    r = search(problem_from_dict(MT), SearchConfig(starts=4, seed=1))
    cert = json.loads(json.dumps(r.groups[0].certificate))
    cert["problem"]["Y"] = [["2", "1"], ["1", "2"]]
    assert not check_certificate(cert).holds


# --- a per-entry decay: the gauge is a product over blocks of units with equal decays -------
PE3 = {"family": "deep-linear", "widths": [2, 3, 2], "Y": [[2, 1], [1, 1]], "loss": "square",
       "weight_decay": [[["1/10", "1/10"], ["1/10", "1/10"], ["1/5", "1/5"]],
                        [["1/10", "1/10", "1/5"], ["1/10", "1/10", "1/5"]]]}


def test_units_with_equal_decays_form_one_block():
    from landscape_proofs.search.orthoslice import unit_blocks

    # units 0 and 1: rows (1/10, 1/10) of W_1 and columns (1/10, 1/10) of W_2; unit 2 differs
    assert unit_blocks(problem_from_dict(PE3)) == [[(0, 1), (2,)]]
    generic = {**PE3, "weight_decay": [[["1/10", "1/7"], ["1/10", "1/10"], ["1/5", "1/5"]],
                                       [["1/10", "1/10", "1/5"], ["1/10", "1/10", "1/5"]]]}
    assert unit_blocks(problem_from_dict(generic)) == [[(0,), (1,), (2,)]]
    assert unit_blocks(problem_from_dict(WD22)) == [[(0, 1)]]


def test_a_per_entry_decay_search_puts_every_run_in_one_box():
    # O(2) on units 0, 1 (one generator: one frozen coordinate) times the sign of unit 2
    r = search(problem_from_dict(PE3), SearchConfig(starts=12, seed=0))
    (g,) = r.groups
    assert g.runs_in_certified_box == g.starts == 12
    assert check_certificate(g.box_certificate).holds
    frozen = 12 - len(g.certificate["point"]["free"])
    assert frozen == 1
