"""Certified enclosures of irrational critical points (certificates/enclosure.py).

Instances with irrational critical points, derived by hand:
- widths [1, 1, 1], X = [[1]], Y = [[2]]: the global minima ab = 2; the balanced one is
  a = b = sqrt 2 (a free coordinate stays irrational whatever the gauge, with snapping off).
- widths [2, 2, 2], Y = [[2, 1], [1, 2]]: the balanced global minimum W_1 = W_2 = Y^{1/2}
  has entries (sqrt 3 +- 1)/2.
- widths [3, 1, 3], Y = [[2, 1, 0], [1, 1, 0], [0, 0, 3]]: keeping the eigen-direction of
  (3 + sqrt 5)/2 is a strict saddle (3 is larger), and its product is irrational in every
  gauge (no rational snapping possible).
- widths [2, 1, 2], l(R) = (R_00^2 - 2)^2 + 5 (R_11 - 1)^2 + 10 (R_01^2 + R_10^2): near
  R = sqrt 2 e1 e1^T a local minimum of value 5, worse than R = e2 e2^T (value 4): spurious.

Each is refined to 100 digits and certified; the certificate then goes through JSON and the
checker.  Mutations (center, radius, claim, gauge, value, data) must be rejected, and a
Hypothesis test checks every accepted mutated center against an independent mpmath Newton.
"""
from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import flint
import mpmath
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import landscape_proofs
from _enclosure_cases import CertifiedCases, check
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.enclosure import (ArbDeepLinear, check_nonsingular_everywhere,
                                                     check_positive_definite_everywhere,
                                                     lower_q, upper_q)
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.cli.main import main
from landscape_proofs.kernel.numbers import parse_exact
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.numeric.views import mp_objective

ROOT = Path(landscape_proofs.__file__).resolve().parent

AB2 = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1]], "Y": [[2]], "loss": "square"}
SQRT3 = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[2, 1], [1, 2]], "loss": "square"}
SADDLE313 = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[2, 1, 0], [1, 1, 0], [0, 0, 3]],
             "loss": "square"}
SPURIOUS = {"family": "deep-linear", "widths": [2, 1, 2],
            "loss": {"name": "custom", "over": "product",
                     "expression": "(R_0_0**2 - 2)**2 + 5*(R_1_1 - 1)**2 + 10*(R_0_1**2 + R_1_0**2)"}}

CASES = {
    "ab2": (AB2, [[["1.4142"]], [["1.4143"]]], Kind.GLOBAL_MINIMUM),
    "sqrt3": (SQRT3, [[["1.366", "0.366"], ["0.366", "1.366"]]] * 2, Kind.GLOBAL_MINIMUM),
    "saddle313": (SADDLE313, [[["1.1", "0.68", "0"]], [["1.1"], ["0.68"], ["0"]]], Kind.STRICT_SADDLE),
    "spurious": (SPURIOUS, [[["1.0", "0.01"]], [["1.41"], ["0.0"]]], Kind.SPURIOUS_LOCAL_MINIMUM),
    # keeps the top eigenvalue 3 of Y: the global minimum, through a bottleneck (value isolated
    # among the square loss's critical values, kernel/critical_values.py)
    "local313": (SADDLE313, [[["0", "0", "1.732"]], [["0"], ["0"], ["1.732"]]], Kind.GLOBAL_MINIMUM),
}

certified = CertifiedCases(CASES).certified


# --- the instances --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_irrational_critical_points_are_certified(name):
    res, cert = certified(name)
    expected = CASES[name][2]
    assert res.kind is expected, res.reason
    assert not res.snapped and res.value is None
    assert cert["claim"] == expected.value and cert["evidence"]["type"] == "enclosure"
    verdict = check(cert)
    assert verdict.valid, verdict.reason
    r = parse_exact(cert["point"]["radius"])
    assert 0 < r < Fraction(1, 10 ** 95)           # the box pins the point to ~100 digits
    lo, hi = res.value_enclosure
    assert lo <= hi and hi - lo < Fraction(1, 10 ** 90)


def test_the_enclosed_values_are_the_right_irrationals():
    ctx = mpmath.MPContext()
    ctx.dps = 110
    lo, hi = certified("saddle313")[0].value_enclosure
    # kept (3 + sqrt 5)/2: value = ((3 - sqrt 5)/2)^2 / 2 + 3^2 / 2
    v = ((3 - ctx.sqrt(5)) / 2) ** 2 / 2 + ctx.mpf(9) / 2
    assert ctx.mpf(lo.numerator) / lo.denominator <= v <= ctx.mpf(hi.numerator) / hi.denominator
    lo, hi = certified("spurious")[0].value_enclosure
    assert lo <= 5 <= hi


def test_the_ab2_box_contains_the_balanced_point_up_to_gauge():
    res, cert = certified("ab2")
    (a,), (b,) = [[parse_exact(x) for x in W[0]] for W in cert["point"]["center"]]
    ctx = mpmath.MPContext()
    ctx.dps = 120
    assert abs(ctx.mpf(a.numerator) / a.denominator * ctx.mpf(b.numerator) / b.denominator - 2) \
        < ctx.mpf(10) ** -100


def test_the_bottleneck_minimum_is_certified_global_by_an_isolated_critical_value():
    res, cert = certified("local313")
    assert res.kind is Kind.GLOBAL_MINIMUM
    assert cert["evidence"]["global"] == {"type": "isolated-critical-value"}
    # and the same evidence on the saddle of the same problem is refused
    _, saddle = certified("saddle313")
    bad = copy.deepcopy(saddle)
    bad["claim"] = "global-minimum"
    bad["evidence"]["global"] = {"type": "isolated-critical-value"}
    assert not check(bad).valid


def test_thousand_digit_certificate():
    res, cert = certified("sqrt3", digits=1000)
    assert res.kind is Kind.GLOBAL_MINIMUM and check(cert).valid
    assert parse_exact(cert["point"]["radius"]) < Fraction(1, 10 ** 995)


def test_weight_decay_uses_the_orthogonal_group():
    data = dict(SQRT3, weight_decay="1/4")
    p = problem_from_dict(data)
    res = classify_refined(p, Point.of(p, [[["1.3", "0.3"], ["0.3", "1.3"]]] * 2), snap=False)
    # balanced, s^2 = y - 1/4 for both singular values 3 and 1 of Y: the global minimum
    # (kernel/critical_values.py, case 3), certified through the O(2) gauge
    assert res.kind is Kind.GLOBAL_MINIMUM and "gauge of O" in res.reason
    assert len(res.certificate["point"]["free"]) == 8 - 1   # dim so(2) = 1
    assert check(res.certificate).valid


# --- mutations must be rejected -----------------------------------------------------------------
def shifted(cert, index, delta):
    out = copy.deepcopy(cert)
    flat = [(k, i, j) for k, W in enumerate(out["point"]["center"])
            for i, row in enumerate(W) for j in range(len(row))]
    k, i, j = flat[index]
    out["point"]["center"][k][i][j] = str(parse_exact(out["point"]["center"][k][i][j]) + delta)
    return out


@pytest.mark.parametrize("name", ["ab2", "sqrt3", "saddle313", "spurious"])
def test_moving_the_center_off_the_root_is_rejected(name):
    _, cert = certified(name)
    free, fixed = cert["point"]["free"], None
    bad = shifted(cert, free[0], Fraction(1, 10 ** 60))
    assert not check(bad).valid
    n = sum(len(row) for W in cert["point"]["center"] for row in W)
    fixed = [p for p in range(n) if p not in set(free)]
    if fixed:  # moving the slice moves its root by ~1e-60 along the orbit: out of the box
        assert not check(shifted(cert, fixed[0], Fraction(1, 10 ** 60))).valid


@pytest.mark.parametrize("name", ["ab2", "sqrt3", "saddle313", "spurious", "local313"])
def test_shrinking_the_radius_so_the_box_misses_the_root_is_rejected(name):
    _, cert = certified(name)
    bad = copy.deepcopy(cert)
    # the root sits about the last Newton correction away from the center; a box 2^20
    # times smaller than the producer's (4 to 8 times that distance) cannot contain it
    # ... unless the center is the root to all digits: then move the center a little too
    bad["point"]["radius"] = str(parse_exact(cert["point"]["radius"]) / 2 ** 20)
    r_small = parse_exact(bad["point"]["radius"])
    bad = shifted(bad, cert["point"]["free"][0], 4 * r_small)
    res = check(bad)
    assert not res.valid and "Krawczyk" in res.reason


def test_a_huge_box_is_rejected():
    _, cert = certified("saddle313")
    bad = copy.deepcopy(cert)
    bad["point"]["radius"] = "1/10"
    assert not check(bad).valid


SWAPS = [("saddle313", "local-minimum"), ("saddle313", "global-minimum"),
         ("saddle313", "local-maximum"), ("ab2", "strict-saddle"), ("ab2", "local-maximum"),
         ("ab2", "spurious-local-minimum"), ("spurious", "global-minimum"),
         ("local313", "spurious-local-minimum"), ("local313", "local-maximum"),
         ("ab2", "not-critical"), ("ab2", "non-strict-saddle")]


@pytest.mark.parametrize("name,claim", SWAPS)
def test_swapping_the_claim_is_rejected(name, claim):
    _, cert = certified(name)
    bad = copy.deepcopy(cert)
    bad["claim"] = claim
    assert not check(bad).valid


def test_borrowed_evidence_does_not_make_a_false_claim_true():
    _, saddle = certified("saddle313")
    _, local = certified("local313")
    # the saddle's negative direction pasted into the local minimum's certificate
    bad = copy.deepcopy(local)
    bad["claim"] = "strict-saddle"
    bad["evidence"].update({k: saddle["evidence"][k] for k in ("direction", "ascent_direction")})
    assert not check(bad).valid
    # the bottleneck minimum claimed spurious because "above the optimum": it is not above
    bad = copy.deepcopy(local)
    bad["claim"] = "spurious-local-minimum"
    bad["evidence"]["spurious"] = {"type": "above-square-optimum"}
    assert not check(bad).valid
    # a "better point" that is not better
    bad["evidence"]["spurious"] = {"type": "better-point", "point": local["point"]["center"]}
    assert not check(bad).valid


def test_wrong_gauge_generators_are_rejected():
    _, cert = certified("sqrt3")
    gens = cert["evidence"]["gauge_generators"]
    bad = copy.deepcopy(cert)
    bad["evidence"]["gauge_generators"] = [gens[0]] * len(gens)   # repeated: not distinct
    assert not check(bad).valid
    bad["evidence"]["gauge_generators"] = gens[:-1]               # too few
    assert not check(bad).valid


def test_fewer_free_coordinates_than_the_gauge_needs_is_rejected():
    # freeing one more coordinate than the gauge allows leaves a singular slice system
    _, cert = certified("ab2")
    bad = copy.deepcopy(cert)
    bad["point"]["free"] = [0, 1]
    bad["evidence"]["gauge_generators"] = []
    assert not check(bad).valid


def test_a_tampered_value_or_problem_is_rejected():
    _, cert = certified("sqrt3")
    bad = copy.deepcopy(cert)
    bad["value"]["lower"] = "1/10"
    assert not check(bad).valid
    bad = copy.deepcopy(cert)
    bad["problem"]["Y"] = [[2, 1], [1, 3]]
    assert not check(bad).valid
    bad = copy.deepcopy(cert)
    bad["problem"]["weight_decay"] = "1/1000"
    assert not check(bad).valid


def test_malformed_enclosures_are_unusable_input():
    from landscape_proofs.kernel.errors import InputError
    _, cert = certified("ab2")
    for field, value in (("radius", "-1"), ("radius", "0"), ("free", [1, 1]), ("free", [5]),
                         ("free", "all"), ("center", [[[1]]])):
        bad = copy.deepcopy(cert)
        bad["point"][field] = value
        with pytest.raises(InputError):
            check_certificate(bad)
    bad = copy.deepcopy(cert)
    bad["evidence"]["precision_bits"] = 10
    assert not check(bad).valid


# --- soundness against an independent oracle ----------------------------------------------------
def newton_root_on_slice(cert, dps=260):
    """Full Newton (mpmath Hessian, not the arb code) on the certificate's slice from its
    center: the root and whether Newton converged."""
    p = problem_from_dict(cert["problem"])
    ctx = mpmath.MPContext()
    ctx.dps = dps
    obj = mp_objective(p, ctx)
    x = [ctx.mpf(q.numerator) / q.denominator for W in cert["point"]["center"] for row in W
         for q in map(parse_exact, row)]
    F = cert["point"]["free"]
    for _ in range(30):
        W = obj.unflatten(x)
        g = obj.gradient_vector(W)
        H = obj.hessian(W)
        J = ctx.matrix([[H[i, j] for j in F] for i in F])
        d = ctx.lu_solve(J, ctx.matrix([g[i] for i in F]))
        for k, i in enumerate(F):
            x[i] -= d[k]
        if max(abs(t) for t in d) < ctx.mpf(10) ** -(dps - 20):
            return x, True
    return x, False


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["ab2", "saddle313", "spurious"]), st.integers(0, 50),
       st.integers(100, 125), st.integers(-9, 9))
@example("saddle313", 0, 125, 7)   # accepted: the oracle must find the root in the box
@example("ab2", 0, 100, -9)        # rejected: moved ~1e-100, the box (~1e-105) misses it
def test_accepted_mutated_centers_really_contain_a_root(name, which, exponent, mantissa):
    _, cert = certified(name)
    free = cert["point"]["free"]
    bad = shifted(cert, free[which % len(free)], Fraction(mantissa, 10 ** exponent))
    del bad["value"]  # (optional; recorded for the old center, it would reject on its own)
    if not check(bad).valid:
        assert exponent < 125  # a move of at most 9e-125 stays well inside every box here
        return
    root, ok = newton_root_on_slice(bad)
    assert ok
    r = parse_exact(bad["point"]["radius"])
    c = [parse_exact(x) for W in bad["point"]["center"] for row in W for x in row]
    ctx = mpmath.MPContext()
    ctx.dps = 260
    for i in free:
        assert abs(root[i] - ctx.mpf(c[i].numerator) / c[i].denominator) <= \
            ctx.mpf(r.numerator) / r.denominator


# --- the interval kernel ---------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    SQRT3, dict(SQRT3, weight_decay="1/3"), SPURIOUS,
    {"family": "deep-linear", "widths": [2, 3, 1, 2], "X": [[1, 0, 2], [0, 1, -1]],
     "Y": [[1, 2, 0], [0, -1, 1]], "loss": {"name": "power", "p": 4}},
    {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[3]],
     "loss": {"name": "custom", "expression": "r_0_0**4 - r_0_0**2 + 1/3"}},
])
def test_interval_objective_encloses_the_exact_one(data):
    import random
    rng = random.Random(7)
    p = problem_from_dict(data)
    exact = exact_objective(p)
    flat = [Fraction(rng.randint(-20, 20), rng.randint(1, 9)) for _ in range(p.n_params)]
    W = exact.unflatten(flat)
    with flint.ctx.workprec(200):
        obj = ArbDeepLinear(read_problem(data))
        Wa = obj.unflatten([flint.fmpq(q.numerator, q.denominator) for q in flat])
        pairs = [(obj.value(Wa), exact.value(W))]
        pairs += list(zip(obj.gradient_vector(Wa), exact.gradient_vector(W)))
        Ha, He = obj.hessian(Wa), exact.hessian(W)
        pairs += [(Ha[i, j], He[i, j]) for i in range(p.n_params) for j in range(p.n_params)]
        for ball, value in pairs:
            assert lower_q(ball) <= value <= upper_q(ball)
            assert upper_q(ball) - lower_q(ball) <= flint.fmpq(1, 2 ** 150) * (1 + abs(value))


def test_interval_definiteness_and_nonsingularity():
    from flint import arb, arb_mat, fmpq
    from landscape_proofs.kernel.enclosure import _Rejected
    with flint.ctx.workprec(100):
        eps = arb(0).union(arb(fmpq(1, 100)))
        A = arb_mat([[2, eps], [eps, 1]])
        assert "positive definite" in check_positive_definite_everywhere(A, "A")
        with pytest.raises(_Rejected):
            check_positive_definite_everywhere(arb_mat([[1, 2], [2, 1]]), "indefinite")
        with pytest.raises(_Rejected):   # contains the singular [[1, 1], [1, 1]]
            check_nonsingular_everywhere(arb_mat([[1, 1], [1, arb(1).union(arb(2))]]), "M")
        assert "nonsingular" in check_nonsingular_everywhere(arb_mat([[1, eps], [0, 1]]), "M")


# --- architecture: the enclosure checker is trusted code -------------------------------------------
def test_enclosure_module_is_float_free_and_imports_only_trusted_layers():
    path = ROOT / "kernel" / "enclosure.py"
    tree = ast.parse(path.read_text())
    allowed = ("landscape_proofs.kernel", "landscape_proofs.families", "landscape_proofs.losses.specs")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "float"
        if isinstance(node, ast.Constant):
            assert not isinstance(node.value, float), node.value
        if isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ("landscape_proofs.certificates." + (node.module or "")) if node.level == 1 \
                    else "landscape_proofs." + (node.module or "")
                assert mod.startswith(allowed), mod
            elif node.module.startswith("landscape_proofs"):
                assert node.module.startswith(allowed), node.module
            else:
                assert node.module.split(".")[0] in ("__future__", "dataclasses", "flint"), node.module
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in ("flint",) for a in node.names)


def test_checking_an_enclosure_loads_no_producer_module(tmp_path):
    _, cert = certified("saddle313")
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert))
    code = (
        "import json, sys\n"
        "from landscape_proofs.kernel.checker import check_certificate\n"
        "from landscape_proofs.families.io import read_json\n"
        f"assert check_certificate(read_json({str(path)!r})).valid\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('landscape_proofs'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout)
    forbidden = ("numeric", "symbolic", "search", "classify", "classify_refined", "theorems", "cli")
    assert not [m for m in mods if m.split(".")[1:2] and m.split(".")[1] in forbidden]
    assert "landscape_proofs.kernel.enclosure" in mods


# --- the command line -----------------------------------------------------------------------------
def test_cli_refine_certifies_a_float_point_and_verify_accepts_it(tmp_path, capsys):
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(SADDLE313))
    pt = tmp_path / "w.json"
    pt.write_text('{"weights": [[[1.1, 0.68, 0]], [[1.1], [0.68], [0]]]}')
    cert = tmp_path / "c.json"
    assert main(["classify", str(prob), str(pt), "--refine", "--digits", "60", "--json",
                 "--certificate", str(cert)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "strict-saddle" and out["value"] is None
    assert out["refinement"]["converged"] and out["value_enclosure"]["lo"]
    assert main(["verify", str(cert)]) == 0
    tampered = json.loads(cert.read_text())
    tampered["claim"] = "local-minimum"
    cert.write_text(json.dumps(tampered))
    assert main(["verify", str(cert)]) == 1


def test_cli_without_refine_is_unchanged_and_digits_needs_refine(tmp_path, capsys):
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(AB2))
    pt = tmp_path / "w.json"
    pt.write_text('{"weights": [[[1]], [[2]]]}')
    assert main(["classify", str(prob), str(pt), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "global-minimum" and out["value"] == 0
    assert main(["classify", str(prob), str(pt), "--digits", "50"]) == 2
    assert "--refine" in capsys.readouterr().err
    assert main(["classify", str(prob), str(pt), "--refine", "--digits", "3"]) == 2


def test_a_non_isolated_critical_set_is_inconclusive_not_guessed():
    """Y = [[2, 1, 0], [1, 2, 0], [0, 0, 1]] has the eigenvalue 1 twice: keeping a direction
    of that eigenspace gives a whole circle of critical products (a data symmetry, not the
    network's), so no root is isolated on any gauge slice and nothing is claimed."""
    p = problem_from_dict({"family": "deep-linear", "widths": [3, 1, 3],
                           "Y": [[2, 1, 0], [1, 2, 0], [0, 0, 1]], "loss": "square"})
    w = [[["0.7071", "-0.7071", "0"]], [["0.7071"], ["-0.7071"], ["0"]]]
    res = classify_refined(p, Point.of(p, w), snap=False)
    assert res.kind is Kind.INCONCLUSIVE and res.certificate is None
    assert "singular" in res.reason
