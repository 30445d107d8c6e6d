"""The multi-tower family (docs/families.md): sums of deep linear towers.

* the closed forms of ``exact/multi_tower.py`` (value, gradient, Jacobian, Hessian, values along
  curves) equal SymPy differentiating the explicitly built objective, exactly, at random
  rational points;
* Zhang's reduction, by hand: two one-unit towers *are* a two-layer network of width 2 (same
  values, gradients, Hessians and symmetry tangents after the obvious relabelling of the
  parameters, same kinds at hand-made critical points);
* the range of the sum of towers is exactly the rank <= min(d_0, d_H, sum_t r_t) matrices;
* every symmetry generator the slice argument uses is an exact symmetry;
* certificates from ``classify`` pass the checker, and mutated ones do not;
* unusable input exits 2 through the command line.
"""
from __future__ import annotations

import copy
import doctest
import json
import random
import subprocess
import sys
from fractions import Fraction

import flint
import pytest
import sympy

from landscape_proofs.kernel.checker import CLAIMS, check_certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.core import multi_tower as exact_multi_tower
from landscape_proofs.kernel.linalg import inertia, matrix, rank
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families import multi_tower as problem_multi_tower
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import (point_from_dict, point_to_dict, problem_from_dict,
                                          problem_to_dict)
from landscape_proofs.families.multi_tower import MultiTowerProblem


def frac(x) -> Fraction:
    if isinstance(x, sympy.Basic):
        assert x.is_Rational, f"expected an exact rational, got {x}"
    return Fraction(int(x.p), int(x.q))


def rand_q(rng, num=3, den=3) -> Fraction:
    return Fraction(rng.randint(-num, num), rng.randint(1, den))


def rand_weights(problem, rng):
    return [[[rand_q(rng) for _ in range(c)] for _ in range(r)] for r, c in problem.shapes]


# --- SymPy oracle: the objective built explicitly, entry by entry ------------------------------
def sympy_objective(problem: MultiTowerProblem, loss_fn):
    """(L, symbols in parameter order, E) as SymPy expressions, independent of exact/."""
    syms, mats = [], []
    for i, (r, c) in enumerate(problem.shapes):
        S = [[sympy.Symbol(f"w{i}_{a}_{b}") for b in range(c)] for a in range(r)]
        syms += [s for row in S for s in row]
        mats.append(sympy.Matrix(S))
    R = sympy.zeros(problem.output_width, problem.input_width)
    for layers in problem.tower_layers:
        Rt = mats[layers[0]]
        for i in layers[1:]:
            Rt = mats[i] * Rt
        R += Rt
    X = sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in row] for row in problem.X])
    if problem.loss.over_product:
        E = R
    else:
        Y = sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in row]
                          for row in problem.Y])
        E = R * X - Y
    lam = sympy.Rational(problem.weight_decay.numerator, problem.weight_decay.denominator)
    L = loss_fn(E) + lam / 2 * sum(s ** 2 for s in syms)
    return L, syms, E


SQUARE = lambda E: sum(e ** 2 for e in E) / 2                                    # noqa: E731
POWER4 = lambda E: sum(e ** 4 for e in E) / 4                                    # noqa: E731
CUSTOM_PRODUCT = lambda E: E[0, 0] * E[1, 1] - E[0, 1] ** 2 + E[1, 0] ** 3        # noqa: E731
CUSTOM_RESIDUAL = lambda E: (E[0, 0] - E[0, 1]) ** 2 + E[0, 2] ** 4 / 3           # noqa: E731

INSTANCES = {
    # name: (problem json, SymPy loss)
    "square-2-towers": ({"family": "multi-tower", "towers": [[2, 1, 2], [2, 2, 2]],
                         "X": [[1, 2, 0], [0, "1/2", -1]], "Y": [[1, 0, 2], [3, -1, 1]],
                         "loss": "square"}, SQUARE),
    "power4-3-towers-decay": ({"family": "multi-tower", "towers": [[1, 2, 1], [1, 1, 1, 1], [1, 1]],
                               "X": [[1, -2]], "Y": [[1, 3]], "loss": {"name": "power", "p": 4},
                               "weight_decay": "1/2"}, POWER4),
    "custom-product": ({"family": "multi-tower", "towers": [[2, 1, 1, 2], [2, 2]],
                        "loss": {"name": "custom", "over": "product",
                                 "expression": "R_0_0*R_1_1 - R_0_1**2 + R_1_0**3"}},
                       CUSTOM_PRODUCT),
    "custom-residual-3-towers-decay": ({"family": "multi-tower", "towers": [[2, 2, 1], [2, 1], [2, 1, 1]],
                                        "X": [[1, 0, 2], [1, 1, 0]], "Y": [[2, -1, 1]],
                                        "loss": {"name": "custom", "over": "residual",
                                                 "expression": "(r_0_0 - r_0_1)**2 + r_0_2**4/3"},
                                        "weight_decay": "1/3"}, CUSTOM_RESIDUAL),
}


@pytest.mark.parametrize("name", sorted(INSTANCES))
@pytest.mark.parametrize("seed", [0, 1])
def test_value_gradient_jacobian_hessian_equal_sympy_exactly(name, seed):
    data, loss_fn = INSTANCES[name]
    problem = problem_from_dict(data)
    rng = random.Random(f"{name}-{seed}")
    point = Point.of(problem, rand_weights(problem, rng))
    obj = exact_objective(problem)
    W = exact_weights(point)
    L, syms, E = sympy_objective(problem, loss_fn)
    values = [x for Wk in point.weights for row in Wk for x in row]
    subs = {s: sympy.Rational(v.numerator, v.denominator) for s, v in zip(syms, values)}
    assert obj.n_params == len(syms)

    assert frac(obj.value(W)) == frac(L.xreplace(subs))
    grad = [sympy.diff(L, s) for s in syms]
    assert [frac(g) for g in obj.gradient_vector(W)] == [frac(g.xreplace(subs)) for g in grad]
    # gradient blocks are the vector cut layer by layer
    flat = [x for g in obj.gradient(W) for x in g.entries()]
    assert flat == obj.gradient_vector(W)

    Hm = obj.hessian(W)
    for p, gp in enumerate(grad):
        for q in range(p, len(syms)):
            want = frac(sympy.diff(gp, syms[q]).xreplace(subs))
            assert frac(Hm[p, q]) == want, (p, q)
            assert frac(Hm[q, p]) == want, (q, p)

    J = obj.jacobian(W)
    entries = list(E)  # row-major
    assert J.nrows() == len(entries)
    for i, e in enumerate(entries):
        for p, s in enumerate(syms):
            assert frac(J[i, p]) == frac(sympy.diff(e, s).xreplace(subs))

    # L(W + t V + t^2 C) as a polynomial in t
    t = sympy.Symbol("t")
    V = rand_weights(problem, rng)
    C = rand_weights(problem, rng)
    vflat = [x for M in V for row in M for x in row]
    cflat = [x for M in C for row in M for x in row]
    curve = {s: sympy.Rational(v.numerator, v.denominator)
             + t * sympy.Rational(a.numerator, a.denominator)
             + t ** 2 * sympy.Rational(b.numerator, b.denominator)
             for s, v, a, b in zip(syms, values, vflat, cflat)}
    want = sympy.Poly(sympy.expand(L.xreplace(curve)), t).all_coeffs()[::-1]
    got = obj.value_along(W, [[matrix(M) for M in V], [matrix(M) for M in C]]).coeffs()
    assert [frac(c) for c in got] == [frac(c) for c in want]


def test_numeric_evaluators_agree_with_the_exact_one():
    """float64 (batched) and mpmath evaluators of the family, against the exact closed forms."""
    import mpmath
    import numpy as np

    from landscape_proofs.numeric.views import (float64_objective, float64_weights,
                                                        mp_objective)

    for name, (data, _) in sorted(INSTANCES.items()):
        problem = problem_from_dict(data)
        rng = random.Random(name)
        point = Point.of(problem, rand_weights(problem, rng))
        ex, W = exact_objective(problem), exact_weights(point)
        f64, Wf = float64_objective(problem), float64_weights([point])
        ctx = mpmath.MPContext()
        ctx.dps = 40
        mp = mp_objective(problem, ctx)
        N = ex.n_params
        Hx = np.array([[float(ex.hessian(W)[i, j]) for j in range(N)] for i in range(N)])
        gx = np.array([float(x) for x in ex.gradient_vector(W)])
        scale = 1 + np.abs(Hx).max()
        assert abs(float(ex.value(W)) - f64.value(Wf)[0]) <= 1e-9 * scale
        assert np.abs(gx - f64.gradient_vector(Wf)[0]).max() <= 1e-9 * scale
        assert np.abs(Hx - f64.hessian(Wf)[0]).max() <= 1e-9 * scale
        assert abs(float(ex.value(W)) - float(mp.value(list(point.weights)))) <= 1e-25 * scale
        gm = np.array([float(x) for x in mp.gradient_vector(list(point.weights))])
        assert np.abs(gx - gm).max() <= 1e-25 * scale
        Hmp = np.array(mp.hessian(list(point.weights)).tolist(), dtype=float)
        assert np.abs(Hx - Hmp).max() <= 1e-25 * scale


# --- Zhang's reduction: two one-unit towers = a two-layer network of width 2 -----------------
MT = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]], "Y": [[3, 0], [0, 1]],
      "loss": "square"}
TWO_LAYER = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[3, 0], [0, 1]], "loss": "square"}
# multi-tower parameters (v1, u1, v2, u2) -> two-layer parameters (V = [v1; v2], U = [u1 u2]),
# both row-major: v1 -> V[0, :] = 0, 1; u1 -> U[:, 0] = 4, 6; v2 -> V[1, :] = 2, 3; u2 -> U[:, 1] = 5, 7
PERM = [0, 1, 4, 6, 2, 3, 5, 7]


def as_two_layer(weights):
    v1, u1, v2, u2 = weights
    V = [v1[0], v2[0]]
    U = [[u1[i][0], u2[i][0]] for i in range(2)]
    return [V, U]


HAND_POINTS = {
    # tower 1 keeps e1 (product 3 e1 e1^T), tower 2 keeps e2: R = Y, value 0
    "keep-both": ([[[1, 0]], [[3], [0]], [[0, 1]], [[0], [1]]], Kind.GLOBAL_MINIMUM, Fraction(0)),
    # both towers on e1, products 1 and 2 summing to 3; e2 unused: value 1/2, a saddle
    "split-3-as-1-plus-2": ([[[1, 0]], [[1], [0]], [[1, 0]], [[2], [0]]], Kind.STRICT_SADDLE,
                            Fraction(1, 2)),
    # only the small direction kept: value 9/2, a saddle
    "keep-e2-only": ([[[0, 1]], [[0], [1]], [[0, 0]], [[0], [0]]], Kind.STRICT_SADDLE, Fraction(9, 2)),
    # the origin: value 5, a saddle
    "origin": ([[[0, 0]], [[0], [0]], [[0, 0]], [[0], [0]]], Kind.STRICT_SADDLE, Fraction(5)),
}


def _span_rank(vectors):
    if not vectors:
        return 0
    return rank(flint.fmpq_mat(len(vectors), len(vectors[0]), [x for v in vectors for x in v]))


@pytest.mark.parametrize("name", sorted(HAND_POINTS))
def test_two_one_unit_towers_are_a_two_layer_network_of_width_two(name):
    weights, kind, value = HAND_POINTS[name]
    mt, tl = problem_from_dict(MT), problem_from_dict(TWO_LAYER)
    assert mt.max_rank == tl.max_rank == 2 and not mt.has_bottleneck
    pm, pt = Point.of(mt, weights), Point.of(tl, as_two_layer(weights))
    om, ot = exact_objective(mt), exact_objective(tl)
    Wm, Wt = exact_weights(pm), exact_weights(pt)
    # the same function after relabelling the parameters
    assert frac(om.value(Wm)) == frac(ot.value(Wt)) == value
    gm, gt = om.gradient_vector(Wm), ot.gradient_vector(Wt)
    assert [gt[PERM[p]] for p in range(8)] == gm
    Hm, Ht = om.hessian(Wm), ot.hessian(Wt)
    assert all(Hm[p, q] == Ht[PERM[p], PERM[q]] for p in range(8) for q in range(8))
    # the multi-tower symmetry tangent (per tower + cross-tower) = the GL(2) tangent
    Tm = [[v[p] for p in range(8)] for v in om.orbit_tangent(Wm)]
    Tt = [[v[PERM[p]] for p in range(8)] for v in ot.orbit_tangent(Wt)]
    assert _span_rank(Tm) == _span_rank(Tt) == _span_rank(Tm + Tt)
    # and the same kinds, each certified
    cm, ct = classify(mt, pm), classify(tl, pt)
    assert cm.kind is ct.kind is kind
    assert cm.value == ct.value == value
    assert check_certificate(cm.certificate.to_json()).valid


# --- the range of the sum of towers ---------------------------------------------------------------
def factor_over_towers(problem: MultiTowerProblem, M):
    """Exact weights whose towers sum to M (rank M <= max_rank): the construction of
    docs/families.md.  M = C F (C: pivot columns, F: nonzero RREF rows); tower t takes the next
    k_t <= r_t rank-one terms and passes them through its layers."""
    Mq = M  # an fmpq_mat
    Er, k = Mq.rref()
    assert k <= problem.max_rank
    pivots = [next(j for j in range(Mq.ncols()) if Er[i, j] != 0) for i in range(k)]
    C = [[Mq[i, p] for p in pivots] for i in range(Mq.nrows())]
    F = [[Er[i, j] for j in range(Mq.ncols())] for i in range(k)]
    weights, start = [], 0
    for widths in problem.towers:
        kt = min(min(widths), k - start)
        idx = range(start, start + kt)
        start += kt
        H = len(widths) - 1
        for i in range(H):
            rows, cols = widths[i + 1], widths[i]
            Wi = [[Fraction(0)] * cols for _ in range(rows)]
            for a, c in enumerate(idx):
                if H == 1:
                    for r in range(rows):
                        for col in range(cols):
                            Wi[r][col] += Fraction(int(C[r][c].p), int(C[r][c].q)) * \
                                Fraction(int(F[c][col].p), int(F[c][col].q))
                elif i == 0:
                    Wi[a] = [Fraction(int(x.p), int(x.q)) for x in F[c]]
                elif i == H - 1:
                    for r in range(rows):
                        Wi[r][a] = Fraction(int(C[r][c].p), int(C[r][c].q))
                else:
                    Wi[a][a] = Fraction(1)
            weights.append(Wi)
    assert start == k
    return weights


@pytest.mark.parametrize("seed", range(12))
def test_the_sum_of_towers_reaches_exactly_the_matrices_of_rank_at_most_max_rank(seed):
    rng = random.Random(seed)
    d0, dH = rng.randint(1, 4), rng.randint(1, 4)
    towers = [[d0] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))] + [dH]
              for _ in range(rng.randint(1, 3))]
    problem = MultiTowerProblem(towers=towers, Y=[[0] * d0 for _ in range(dH)])
    r = problem.max_rank
    assert r == min(d0, dH, sum(min(w) for w in towers))
    # every point: rank(sum_t R_t) <= sum_t rank(R_t) <= sum_t r_t, and <= min(d0, dH)
    obj = exact_objective(problem)
    for _ in range(3):
        W = exact_weights(Point.of(problem, rand_weights(problem, rng)))
        assert rank(obj.product(W)) <= r
    # every matrix of rank <= r is reached: a random rank-s product s <= r, factored exactly
    s = r if seed % 2 == 0 else rng.randint(0, r)  # often the largest rank
    A = matrix([[rand_q(rng) for _ in range(s)] for _ in range(dH)]) if s else None
    B = matrix([[rand_q(rng) for _ in range(d0)] for _ in range(s)]) if s else None
    M = A * B if s else flint.fmpq_mat(dH, d0)
    W = exact_weights(Point.of(problem, factor_over_towers(problem, M)))
    assert obj.product(W) == M


# --- the symmetries used by the slice argument are exact symmetries ----------------------------------
@pytest.mark.parametrize("decay", ["0", "1/3"])
@pytest.mark.parametrize("seed", range(4))
def test_every_orbit_tangent_vector_is_an_exact_symmetry_direction(decay, seed):
    """L is invariant along each generator's family, so grad L . v = 0 at *every* point; the
    cross-tower translations (no weight decay) are straight lines: L(W + a v) is constant."""
    rng = random.Random(seed)
    towers = [[2, 2, 2], [2, 1, 2], [2, 2], [2, 1, 1, 2]]
    problem = problem_from_dict({"family": "multi-tower", "towers": towers,
                                 "X": [[1, 2, 0], [0, 1, 1]], "Y": [[1, 0, 2], [3, 1, 1]],
                                 "loss": {"name": "power", "p": 4}, "weight_decay": decay})
    obj = exact_objective(problem)
    W = exact_weights(Point.of(problem, rand_weights(problem, rng)))
    g = obj.gradient_vector(W)
    T = obj.orbit_tangent(W)
    assert T
    for v in T:
        assert sum((a * b for a, b in zip(g, v)), flint.fmpq(0)) == 0
    if decay != "0":
        # so(2) inside tower 1, and the rotations mixing the hidden units of the two two-layer
        # towers (1 x 2 unit matrices E): 1 + 2
        assert len(T) == 3
    if decay == "0":
        per_tower = sum(d * d for w in towers for d in w[1:-1])  # gl(d) at each hidden layer
        cross = T[per_tower:]
        # one generator per entry of E (d^(t)_1 x d^(s)_{H_s - 1}) for each ordered pair s != t
        assert len(cross) == sum(towers[t][1] * towers[s][-2] for s in range(4) for t in range(4)
                                 if s != t)
        for v in cross:
            p = obj.value_along(W, [obj.unflatten(v)])
            assert p.degree() <= 0, p  # constant in a


def test_cross_tower_symmetries_are_needed_for_the_slice_argument():
    """At a local minimum of two one-unit towers the Hessian kernel has dimension 4: 2 from
    rescaling inside each tower, 2 from moving mass between the towers.  The per-tower group
    alone could never certify it."""
    mt = problem_from_dict(MT)
    obj = exact_objective(mt)
    W = exact_weights(Point.of(mt, HAND_POINTS["keep-both"][0]))
    ine = inertia(obj.hessian(W))
    assert ine.as_tuple() == (4, 0, 4)
    T = obj.orbit_tangent(W)
    assert _span_rank(T) == 4
    assert _span_rank(T[:2]) == 2  # the per-tower generators (one per tower here)


# --- certificates and mutations ---------------------------------------------------------------------
BOTTLENECK_EXPR = " + ".join(
    f"{1 if i == j == 0 else 2 if i == j == 1 else 3 if i == j == 2 else 10}*(R_{i}_{j} - {int(i == j)})**2"
    for i in range(3) for j in range(3))
BOTTLENECK = {"family": "multi-tower", "towers": [[3, 1, 3], [3, 1, 3]],
              "loss": {"name": "custom", "over": "product", "expression": BOTTLENECK_EXPR}}

CASES = {
    "global-zero": (MT, HAND_POINTS["keep-both"][0], Kind.GLOBAL_MINIMUM),
    "saddle": (MT, HAND_POINTS["split-3-as-1-plus-2"][0], Kind.STRICT_SADDLE),
    "not-critical": (MT, [[[1, 0]], [[1], [0]], [[1, 0]], [[1], [0]]], Kind.NOT_CRITICAL),
    # X not the identity: the closed-form optimum (rank <= 2) decides
    "square-optimum": ({"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 1, 2]],
                        "X": [[1, 0, 1], [0, 1, 1]], "Y": [[1, 0, 1], [0, 2, 2]], "loss": "square"},
                       [[[1, 0]], [[1], [0]], [[0, 1]], [[1]], [[0], [2]]], Kind.GLOBAL_MINIMUM),
    # bottleneck (sum of ranks 2 < 3), custom convex loss: R = diag(1, 1, 0) is a local minimum
    # with value c_33 = 3, worse than diag(0, 1, 1) with value c_11 = 1 (slice, GL, cross-tower)
    "spurious-slice-GL": (BOTTLENECK, [[[1, 0, 0]], [[1], [0], [0]], [[0, 1, 0]], [[0], [1], [0]]],
                          Kind.SPURIOUS_LOCAL_MINIMUM),
    # weight decay 3, Y = diag(4, 1): tower 1 = e1 e1^T, tower 2 = 0, value 1/2 (9 + 1) + 3 = 8,
    # is global: G = Y - R = diag(3, 1) has ||G||_2 = 3 <= lam (nuclear-dual-bound), and indeed
    # min 1/2 ||R - Y||^2 + 3 ||R||_* shrinks Y's singular values 4, 1 by 3: R = diag(1, 0), 8
    # (it was certified local-minimum by the slice argument before that evidence existed)
    "local-min-slice-O": ({"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]],
                           "Y": [[4, 0], [0, 1]], "loss": "square", "weight_decay": 3},
                          [[[1, 0]], [[1], [0]], [[0, 0]], [[0], [0]]], Kind.GLOBAL_MINIMUM),
}


def _certificate(case):
    data, weights, kind = CASES[case]
    problem = problem_from_dict(data)
    result = classify(problem, Point.of(problem, weights))
    assert result.kind is kind, (result.kind, result.reason)
    cert = result.certificate.to_json()
    assert cert["problem"]["family"] == "multi-tower"
    return json.loads(json.dumps(cert))  # as read back from a file


@pytest.mark.parametrize("case", sorted(CASES))
def test_classify_certificates_pass_the_checker_and_mutations_fail(case):
    cert = _certificate(case)
    assert check_certificate(cert).valid
    if CASES[case][2] in (Kind.SPURIOUS_LOCAL_MINIMUM, Kind.LOCAL_MINIMUM):
        ev = cert["evidence"].get("local_minimum", cert["evidence"])
        assert ev["type"] == "slice"

    def rejected(mutant):
        try:
            return not check_certificate(mutant).valid
        except InputError:
            return True

    for claim in CLAIMS:
        if claim != cert["claim"]:
            m = copy.deepcopy(cert)
            m["claim"] = claim
            assert rejected(m), claim
    m = copy.deepcopy(cert)
    m["value"] = str(Fraction(m["value"]) + 1)
    assert rejected(m)
    # move one weight entry: the recorded value no longer matches (or the claim fails)
    for layer in range(len(cert["point"]["weights"])):
        m = copy.deepcopy(cert)
        m["point"]["weights"][layer][0][0] = str(Fraction(m["point"]["weights"][layer][0][0]) + Fraction(1, 7))
        assert rejected(m), layer
    # towers of other widths: the point no longer fits (malformed) or the claim fails
    m = copy.deepcopy(cert)
    m["problem"]["towers"] = [m["problem"]["towers"][-1]] + m["problem"]["towers"][:-1]
    if m["problem"]["towers"] != cert["problem"]["towers"]:
        assert rejected(m)
    m = copy.deepcopy(cert)
    m["problem"]["weight_decay"] = str(Fraction(m["problem"].get("weight_decay", "0")) + Fraction(1, 5))
    assert rejected(m)
    ev = cert["evidence"].get("local_minimum", cert["evidence"])
    if ev.get("type") == "slice":  # the other group is refused
        m = copy.deepcopy(cert)
        target = m["evidence"].get("local_minimum", m["evidence"])
        target["group"] = "O" if ev["group"] == "GL" else "GL"
        assert rejected(m)
    if "direction" in cert["evidence"]:  # an ascent direction is not a descent direction
        m = copy.deepcopy(cert)
        m["evidence"]["direction"] = m["evidence"]["ascent_direction"]
        assert rejected(m)


def test_a_better_point_for_a_spurious_minimum_must_be_better():
    cert = _certificate("spurious-slice-GL")
    m = copy.deepcopy(cert)
    m["evidence"]["better_point"] = cert["point"]["weights"]
    assert not check_certificate(m).valid


# --- files: problem and point formats --------------------------------------------------------------
def test_problem_and_point_round_trip_through_the_file_format():
    for data, _ in INSTANCES.values():
        problem = problem_from_dict(data)
        assert problem_from_dict(json.loads(json.dumps(problem_to_dict(problem)))) == problem
        point = Point.of(problem, rand_weights(problem, random.Random(0)))
        back = point_from_dict(json.loads(json.dumps(point_to_dict(point))), problem)
        assert back == point


@pytest.mark.parametrize("data, field", [
    ({**MT, "towers": [[2, 1, 2], [3, 1, 2]]}, "towers[1][0]"),
    ({**MT, "towers": [[2, 1, 2], [2, 1, 3]]}, "towers[1][2]"),
    ({**MT, "towers": []}, "towers"),
    ({**MT, "towers": [[2, 1, 2], [2]]}, "towers[1]"),
    ({**MT, "towers": [[2, 0, 2]]}, "towers[0][1]"),
    ({**MT, "towers": [[2, 1, 2], 5]}, "towers[1]"),
    ({**MT, "widths": [2, 2]}, "widths"),
    ({k: v for k, v in MT.items() if k != "towers"}, "towers"),
    ({**MT, "Y": [[3, 0, 1], [0, 1]]}, "Y[0]"),  # X = I_2: n = 2
    ({**MT, "Y": [[3, 0], [0, 1], [1, 1]]}, "Y"),
    ({**MT, "weight_decay": -1}, "weight_decay"),
])
def test_bad_problems_name_the_field(data, field):
    with pytest.raises(InputError) as info:
        problem_from_dict(data)
    assert info.value.field == field, str(info.value)


@pytest.mark.parametrize("point, field", [
    ({"weights": [[[1, 0]], [[1], [0]], [[1, 0]]]}, "weights"),
    ({"weights": [[[1, 0]], [[1], [0]], [[1, 0, 0]], [[2], [0]]]}, "weights[2][0]"),
    ({"weights": [[[1, 0]], [[1], [0]], [[1, 0]], [[2, 0]]]}, "weights[3][0]"),
    ({"towers": [[[[1, 0]], [[1], [0]]], [[[1, 0]], [[2], [0]]]]}, "towers"),
    ({}, "weights"),
])
def test_bad_points_name_the_field(point, field):
    problem = problem_from_dict(MT)
    with pytest.raises(InputError) as info:
        point_from_dict(point, problem)
    assert info.value.field == field, str(info.value)


# --- the command line ---------------------------------------------------------------------------------
def landscape(*args, cwd):
    return subprocess.run([sys.executable, "-m", "landscape_proofs", *map(str, args)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


def test_cli_classify_refuses_towers_with_different_input_or_output_widths(tmp_path):
    (tmp_path / "w.json").write_text(json.dumps({"weights": HAND_POINTS["keep-both"][0]}))
    for towers, field in (([[2, 1, 2], [3, 1, 2]], "towers[1][0]"),
                          ([[2, 1, 2], [2, 1, 3]], "towers[1][2]")):
        (tmp_path / "p.json").write_text(json.dumps({**MT, "towers": towers}))
        proc = landscape("classify", "p.json", "w.json", cwd=tmp_path)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
        assert f"p.json: field {field}:" in proc.stderr


def test_cli_classify_then_verify_a_multi_tower_certificate(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(MT))
    (tmp_path / "w.json").write_text(json.dumps({"weights": HAND_POINTS["split-3-as-1-plus-2"][0]}))
    proc = landscape("classify", "p.json", "w.json", "--certificate", "c.json", "--json",
                     cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == "strict-saddle" and out["value"] == "1/2"
    proc = landscape("verify", "c.json", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("VALID"), (proc.stdout, proc.stderr)
    # a point of the wrong shape: exit 2
    (tmp_path / "bad.json").write_text(json.dumps({"weights": [[[1, 0]], [[1], [0]], [[1, 0, 0]], [[2], [0]]]}))
    # (classify --refine handles the family: tests/test_enclosure_families.py; derive:
    # tests/test_derive_families.py; openness: tests/test_openness_towers.py)
    for args in (("classify", "p.json", "bad.json"),
                 ("openness", "p.json", "bad.json")):
        proc = landscape(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_doctests_of_the_family_modules():
    import landscape_proofs.numeric.multi_tower as numeric_multi_tower

    for module in (problem_multi_tower, exact_multi_tower, numeric_multi_tower):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


# --- Zhang 2019 on multi-tower instances ----------------------------------------------------------
def _zhang(problem_data, point=None):
    from landscape_proofs.families.io import loads_exact
    from landscape_proofs.theorems.registry import get_theorem
    from landscape_proofs.theorems.runner import check_theorem

    problem = problem_from_dict(problem_data)
    pt = None if point is None else Point.of(problem, point)
    res = check_theorem(get_theorem("zhang2019"), problem, point=pt)
    for cert in res.conclusion.certificates:  # every attached certificate re-checks from JSON
        assert check_certificate(loads_exact(json.dumps(cert))).valid
    return res


def test_zhang_multi_tower_square_loss_applies_and_holds_with_the_hand_critical_points():
    from landscape_proofs.theorems.base import ConclusionStatus

    res = _zhang(MT)
    assert res.applies
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    found = {(p.kind, p.value) for p in res.conclusion.points}
    # Baldi-Hornik products split over the towers: keep both (global), keep 9, keep 1, none
    assert {("global-minimum", 0), ("strict-saddle", Fraction(1, 2)),
            ("strict-saddle", Fraction(9, 2)), ("strict-saddle", 5)} <= found


def test_zhang_multi_tower_bottleneck_premise_fails_and_spurious_minima_have_full_rank():
    """Sum of ranks 2 < 3: the two-layer problem of width 2 has a certified spurious minimum,
    so the premise fails; the multi-tower's spurious minima (the given one among them) have
    rank(sum_t R_t) = r = 2, as the structural half of the theorem requires."""
    res = _zhang(BOTTLENECK, CASES["spurious-slice-GL"][1])
    premise = res.assumptions[-1]
    assert premise.holds is False and "widths [3, 2, 3]" in premise.detail
    spurious = [p for p in res.conclusion.points if p.kind == "spurious-local-minimum"]
    assert any(p.label == "the given point" for p in spurious)
    assert spurious and all(p.product_rank == 2 for p in spurious)
    assert not res.counterexample


def test_zhang_multi_tower_irrational_global_minimum_by_enclosure():
    """Towers ``ab + cd``, x = (1, 2), y = (1, 3), power loss p = 4:
    ``L = 1/4 ((r - 1)^4 + (2r - 3)^4)`` with ``r = ab + cd``.  Its minimum solves
    ``(r - 1)^3 + 2 (2r - 3)^3 = 0``, i.e. ``r* = (1 + 3 s) / (1 + 2 s)`` with ``s = 2^(1/3)``:
    irrational, so no candidate is exactly critical; a descent limit refined and enclosed is a
    certified global minimum (full-rank product Jacobian, convex loss), its value enclosure
    containing ``L(r*)`` computed here independently with mpmath."""
    import mpmath

    from landscape_proofs.theorems.base import ConclusionStatus

    res = _zhang({"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "X": [[1, 2]],
                  "Y": [[1, 3]], "loss": {"name": "power", "p": 4}})
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    enclosed = [p for p in res.conclusion.points if "refined and enclosed" in p.label]
    assert [p.kind for p in enclosed] == ["global-minimum"]
    cert = next(c for c in res.conclusion.certificates if c["claim"] == "global-minimum")
    assert cert["evidence"]["global"]["type"] == "convex-stationary"
    lo, hi = (Fraction(str(cert["value"][k])) for k in ("lower", "upper"))
    with mpmath.workdps(80):
        s = mpmath.cbrt(2)
        r = (1 + 3 * s) / (1 + 2 * s)
        v = ((r - 1) ** 4 + (2 * r - 3) ** 4) / 4
        assert abs((r - 1) ** 3 + 2 * (2 * r - 3) ** 3) < mpmath.mpf(10) ** -70
        assert mpmath.mpf(lo.numerator) / lo.denominator <= v <= mpmath.mpf(hi.numerator) / hi.denominator
    assert hi - lo < Fraction(1, 10**30)


def test_zhang_refuses_other_families():
    from landscape_proofs.theorems.registry import get_theorem
    from landscape_proofs.theorems.runner import check_theorem

    shallow = problem_from_dict({"family": "shallow-rank", "shape": [2, 2], "rank": 1,
                                 "Y": [[1, 0], [0, 1]], "loss": "square"})
    res = check_theorem(get_theorem("zhang2019"), shallow)
    assert res.assumptions[0].holds is False
    assert "multi-tower" in res.assumptions[0].name
