"""Per-entry weight decay: ``"weight_decay": [L_1, ..., L_H]`` adds 1/2 sum_i sum_jk L_i[j][k] W_i[j][k]^2.

Hand derivation used below.  **Widths [1, 2, 1], X = 1, Y = 2**, hidden unit j with input
weight a_j, output weight b_j and decay lam_j on both (lam_1 = 1/2, lam_2 = 1):

    L = 1/2 (a_1 b_1 + a_2 b_2 - 2)^2 + 1/2 sum_j lam_j (a_j^2 + b_j^2).

With r = 2 - a_1 b_1 - a_2 b_2: dL/da_j = -r b_j + lam_j a_j, dL/db_j = -r a_j + lam_j b_j.
A unit with (a_j, b_j) != 0 needs r^2 = lam_j^2, so r = lam_j (r > 0 because a_j b_j = r a_j^2 /
lam_j >= 0) and a_j = b_j = +-sqrt(2 - lam_j - (the other unit's product)).  Both units active
would need r = lam_1 = lam_2: impossible.  So exactly 5 real critical points:

* the origin, value 2; Hessian blocks [[lam_j, -2], [-2, lam_j]]: one negative eigenvalue per
  unit, index 2;
* unit 2 alone: a_2 = b_2 = +-1 (r = 1), value 1/2 + 1 = 3/2; unit 1's block [[1/2, -1], [-1,
  1/2]] has a negative eigenvalue, unit 2's is [[2, 0], [0, 2]]: index 1;
* unit 1 alone: a_1 = b_1 = +-sqrt(3/2) (r = 1/2), value 1/8 + 3/4 = 7/8; unit 2's block
  [[1, -1/2], [-1/2, 1]] and unit 1's [[2, 0], [0, 2]] are positive definite: index 0, and
  7/8 is the least critical value (L is coercive), so these two are the global minima.

The decays differ between the units, so no rotation of the hidden layer keeps L: unlike a
scalar decay (an O(2) orbit of minima), the critical set is finite.
"""
from __future__ import annotations

import copy
import json
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy
from flint import fmpq

import landscape_proofs as lp
from landscape_proofs.cli.main import main
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.objective import Objective
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.search.census import census
from landscape_proofs.symbolic.derive import derive_hessian, derive_objective, parameter_symbols

HALF = Fraction(1, 2)
PROBLEM = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[2]], "loss": "square",
           "weight_decay": [[["1/2"], [1]], [["1/2", 1]]]}


def F(x) -> Fraction:
    """An fmpq or a SymPy Rational as a Fraction."""
    return Fraction(int(x.p), int(x.q))


def weights(a1, a2, b1, b2):
    return [[[a1], [a2]], [[b1, b2]]]


def by_hand(a1, a2, b1, b2):
    r = 2 - a1 * b1 - a2 * b2
    return r * r / 2 + (HALF * (a1 * a1 + b1 * b1) + (a2 * a2 + b2 * b2)) / 2


@pytest.fixture(scope="module")
def full_census():
    rep = census(copy.deepcopy(PROBLEM), timeout=60)
    assert rep.complete, rep.reason
    return rep


# --- reading ----------------------------------------------------------------------------------
def test_equal_entries_are_the_scalar_decay():
    same = dict(PROBLEM, weight_decay=[[["1/3"], ["1/3"]], [["1/3", "1/3"]]])
    p = problem_from_dict(same)
    assert p.weight_decay == Fraction(1, 3) and p.decay_entries is None
    assert p.to_dict()["weight_decay"] == "1/3"
    kp = read_problem(same)
    assert kp.weight_decay == fmpq(1, 3) and kp.decay_entries is None


def test_a_per_entry_decay_round_trips_and_both_readers_agree():
    p = problem_from_dict(copy.deepcopy(PROBLEM))
    assert p.decay_entries == (HALF, 1, HALF, 1)
    again = problem_from_dict(json.loads(json.dumps(p.to_dict())))
    assert again.decay_entries == p.decay_entries
    kp = read_problem(copy.deepcopy(PROBLEM))
    assert kp.weight_decay is None and kp.decay_vector == [fmpq(1, 2), 1, fmpq(1, 2), 1]


@pytest.mark.parametrize("decay, field", [
    ([[["1/2"], ["-1"]], [["1/2", 1]]], "weight_decay[0][1][0]"),
    ([[["1/2"]], [["1/2", 1]]], "weight_decay[0]"),
    ([[["1/2"], [1]]], "weight_decay"),
    ([[["1/2"], [1]], [["1/2", 1, 1]]], "weight_decay[1]"),
])
def test_bad_per_entry_decays_are_refused_by_the_producer_and_the_kernel(decay, field):
    data = dict(PROBLEM, weight_decay=decay)
    for reader in (problem_from_dict, read_problem):
        with pytest.raises(InputError) as info:
            reader(copy.deepcopy(data))
        assert info.value.field == field or info.value.field.startswith(field + "[")


def test_other_families_refuse_a_per_entry_decay(tmp_path, capsys):
    data = {"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[2]],
            "loss": "square", "weight_decay": [[[1]], [[2]], [[1]], [[2]]]}
    (tmp_path / "p.json").write_text(json.dumps(data))
    (tmp_path / "w.json").write_text(json.dumps({"weights": [[[0]], [[0]], [[0]], [[0]]]}))
    assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "weight_decay" in err and "per-entry" in err
    with pytest.raises(InputError):
        read_problem(data)


# --- three independent evaluations agree ------------------------------------------------------
def test_producer_kernel_and_symbolic_derivatives_agree_at_random_rational_points():
    rng = random.Random(7)
    p = problem_from_dict(copy.deepcopy(PROBLEM))
    exact = p.exact_objective()
    kobj = Objective(read_problem(copy.deepcopy(PROBLEM)))
    syms = parameter_symbols(p)
    L = derive_objective(p)
    Hs = derive_hessian(p)
    f64 = float64_objective(p)
    for _ in range(5):
        a1, a2, b1, b2 = (Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for _ in range(4))
        W = weights(a1, a2, b1, b2)
        Wk = kobj.problem.validate_point(W)
        We = exact.unflatten([x for M in Wk for x in M.entries()])
        subs = dict(zip(syms, [sympy.Rational(x.numerator, x.denominator) for x in (a1, a2, b1, b2)]))
        assert F(exact.value(We)) == F(kobj.value(Wk)) == by_hand(a1, a2, b1, b2)
        assert L.subs(subs) == by_hand(a1, a2, b1, b2)
        g = [F(x) for x in exact.gradient_vector(We)]
        assert g == [F(x) for x in kobj.gradient_vector(Wk)]
        r = 2 - a1 * b1 - a2 * b2
        assert g == [-r * b1 + HALF * a1, -r * b2 + a2, -r * a1 + HALF * b1, -r * a2 + b2]
        H = exact.hessian(We)
        assert H == kobj.hessian(Wk)
        assert [[F(H[i, j]) for j in range(4)] for i in range(4)] \
            == [[F(Hs[i, j].subs(subs)) for j in range(4)] for i in range(4)]
        Wf = [np.array([[[float(a1)], [float(a2)]]]), np.array([[[float(b1), float(b2)]]])]
        assert f64.value(Wf)[0] == pytest.approx(float(by_hand(a1, a2, b1, b2)), rel=1e-12)
        assert np.allclose(f64.hessian(Wf)[0], np.array([[float(H[i, j]) for j in range(4)]
                                                         for i in range(4)]), rtol=1e-12)


def test_only_rotations_of_units_with_equal_decays_are_symmetries():
    # unit decays (1, 1) in both layers but 2 on the second layer's first entry: no rotation;
    # units with equal rows below and equal columns above: the rotation is kept
    W = [[[1], [2]], [[3, 4]]]
    kept = dict(PROBLEM, weight_decay=[[[1], [1]], [[2, 2]]])
    broken = dict(PROBLEM, weight_decay=[[[1], [1]], [[2, 1]]])
    for data, count in ((kept, 1), (broken, 0)):
        kobj = Objective(read_problem(copy.deepcopy(data)))
        Wk = kobj.problem.validate_point(W)
        T = kobj.orbit_tangent(Wk, orthogonal=True)
        assert len(T) == count
        exact = problem_from_dict(copy.deepcopy(data)).exact_objective()
        assert len(exact.orbit_tangent(exact.unflatten([x for M in Wk for x in M.entries()]))) == count
        for v in T:                  # a symmetry direction: L is constant to first order
            g = kobj.gradient_vector(Wk)
            assert sum(a * b for a, b in zip(g, v)) == 0


# --- classification ---------------------------------------------------------------------------
def test_the_origin_is_an_index_two_saddle_of_value_two():
    r = lp.classify(copy.deepcopy(PROBLEM), weights(0, 0, 0, 0))
    assert r.kind.value == "strict-saddle" and r.value == 2
    assert lp.verify(r).holds


def test_unit_two_alone_is_a_critical_saddle_of_value_three_halves():
    r = lp.classify(copy.deepcopy(PROBLEM), weights(0, 1, 0, 1))
    assert r.kind.value == "strict-saddle" and r.value == Fraction(3, 2)
    assert lp.verify(r).holds


# --- census -----------------------------------------------------------------------------------
def test_census_finds_the_five_hand_derived_points(full_census):
    rep = full_census
    assert rep.real_count == 5
    assert rep.kinds == {"global-minimum": 2, "strict-saddle": 3}
    got = sorted((p["index"], p["kind"]) for p in rep.points)
    assert got == [(0, "global-minimum"), (0, "global-minimum"), (1, "strict-saddle"),
                   (1, "strict-saddle"), (2, "strict-saddle")]
    expected = {0: Fraction(7, 8), 1: Fraction(3, 2), 2: Fraction(2)}
    for p in rep.points:
        lo, hi = Fraction(p["value"]["lo"]), Fraction(p["value"]["hi"])
        assert lo <= expected[p["index"]] <= hi
        if p["index"] == 0:          # a_1 = b_1 = +-sqrt(3/2), unit 2 off
            a1, a2, b1, b2 = (Fraction(c) for c in p["enclosure"]["center"])
            rad = Fraction(p["enclosure"]["radius"])
            assert abs(a2) <= rad and abs(b2) <= rad and a1 == b1
            assert (abs(a1) - rad) ** 2 <= Fraction(3, 2) <= (abs(a1) + rad) ** 2
    assert check_certificate(json.loads(json.dumps(rep.certificate))).holds


@pytest.mark.parametrize("edit", [
    lambda c: c["problem"]["weight_decay"][0].__setitem__(1, ["1/2"]),     # unit 2 below: 1/2
    lambda c: c["problem"].__setitem__("weight_decay", [[[1], ["1/2"]], [[1, "1/2"]]]),  # swapped
    lambda c: c["problem"].__setitem__("weight_decay", "1/2"),
])
def test_a_census_with_a_changed_decay_entry_is_rejected(full_census, edit):
    cert = copy.deepcopy(full_census.certificate)
    edit(cert)
    assert not check_certificate(cert).holds


@pytest.mark.parametrize("decay, words", [
    ([[[1], [1]], [[2, 2]]], "equal decays"),
    ([[["1/2"], [0]], [["1/2", 1]]], "is 0"),
])
def test_census_says_why_it_cannot_count(decay, words):
    rep = census(dict(PROBLEM, weight_decay=decay))
    assert not rep.complete and words in rep.reason


# --- derivation -------------------------------------------------------------------------------
def test_derive_states_the_per_entry_decay(tmp_path, capsys):
    (tmp_path / "p.json").write_text(json.dumps(PROBLEM))
    assert main(["derive", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert "Lambda_1 = [[1/2], [1]]" in out
    assert "dL/dW_1 = W_2^T G X^T + Lambda_1 .* W_1" in out
    assert "<Lambda_2, V_2 .* V_2>" in out
    assert main(["derive", str(tmp_path / "p.json"), "--latex"]) == 0
    assert r"\left\langle \Lambda_{1}, W_{1} \circ W_{1} \right\rangle" in capsys.readouterr().out


# --- complex critical points (Groebner basis) ---------------------------------------------------
def test_the_complex_count_is_nine_by_hand(full_census):
    # each unit alone: r = +lam_j gives a_j = b_j, a_j^2 = 2 - lam_j (2 real points); r = -lam_j
    # gives b_j = -a_j, a_j^2 = -(2 + lam_j) (2 non-real ones); both units need lam_1 = +-lam_2:
    # impossible.  With the origin: 1 + 2 * 4 = 9 complex critical points, 5 of them real.
    assert full_census.complex_count == 9 and full_census.real_count == 5


def test_a_multiple_critical_point_gives_no_complex_count():
    # [1, 1, 1], X = Y = 1, lam = 1: b = a, a (a^2 - 1 + lam) = a^3 = 0, a triple zero at the
    # origin (the two minima merged into it): counted with multiplicity, not as distinct points
    rep = census({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
                  "weight_decay": 1}, max_boxes=300)
    assert rep.complex_count is None and "multiplicity" in rep.complex_note
    assert not rep.complete


def test_the_complex_count_has_a_time_budget():
    rep = census(copy.deepcopy(PROBLEM), algebra_timeout=0)
    assert rep.complex_count is None and "not computed" in rep.complex_note and rep.complete


# --- soundness: kernel-accepted answers agree with an independent SymPy oracle ------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DECAYS = st.sampled_from([0, Fraction(1, 2), 1, 2])


@st.composite
def decayed_points(draw):
    widths = draw(st.sampled_from([(1, 2, 1), (2, 1, 2), (1, 2, 2), (2, 2, 1), (1, 1, 1, 1)]))
    shapes = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    decay = [[[draw(DECAYS) for _ in range(c)] for _ in range(r)] for r, c in shapes]
    Y = [[draw(st.integers(-2, 2)) for _ in range(widths[0])] for _ in range(widths[-1])]
    # the origin, or a point with one hidden unit of the first hidden layer switched on
    origin = draw(st.booleans())      # always critical for H >= 2
    W = [[[0 if origin else draw(st.sampled_from([0, 0, 1, -1])) for _ in range(c)]
          for _ in range(r)] for r, c in shapes]
    data = {"family": "deep-linear", "widths": list(widths), "Y": Y, "loss": "square",
            "weight_decay": [[[str(x) for x in row] for row in L] for L in decay]}
    return data, W


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decayed_points())
def test_answers_on_per_entry_decays_agree_with_a_sympy_oracle(case):
    data, W = case
    p = problem_from_dict(copy.deepcopy(data))
    r = lp.classify(copy.deepcopy(data), W)
    if r.certificate is None:
        return
    assert lp.verify(r).holds
    # the oracle: SymPy's own objective, gradient and Hessian at the point, from the
    # definition (no code shared with the producer or the kernel)
    syms = sympy.symbols(f"x0:{p.n_params}")
    mats, k = [], 0
    for r_, c_ in p.shapes:
        mats.append(sympy.Matrix(r_, c_, syms[k:k + r_ * c_]))
        k += r_ * c_
    R = mats[0]
    for M in mats[1:]:
        R = M * R
    E = R - sympy.Matrix(data["Y"])
    lams = [sympy.Rational(x) for L in data["weight_decay"] for row in L for x in row]
    f = sum(e ** 2 for e in E) / 2 + sum(l * s ** 2 for l, s in zip(lams, syms)) / 2
    at = dict(zip(syms, [sympy.Integer(x) for M in W for row in M for x in row]))
    value = f.subs(at)
    grad = [sympy.diff(f, s).subs(at) for s in syms]
    H = sympy.hessian(f, syms).subs(at)
    kind = r.kind.value
    if kind == "not-critical":
        assert any(g != 0 for g in grad)
        return
    assert all(g == 0 for g in grad) and r.value == value
    psd, nsd = H.is_positive_semidefinite, (-H).is_positive_semidefinite   # exact, rational H
    assert psd is not None and nsd is not None
    if kind == "strict-saddle":
        assert not psd and not nsd   # a negative and a positive eigenvalue
    if kind in ("global-minimum", "local-minimum", "spurious-local-minimum"):
        assert psd                   # the second-order necessary condition
    if kind == "local-maximum":
        assert nsd
