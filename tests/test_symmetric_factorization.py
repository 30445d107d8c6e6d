"""The symmetric factorization family l(U U^T) + lam/2 ||U||^2 (docs/families.md).

Exact derivatives against SymPy; hand-derived examples; certificates through the checker,
mutations rejected; the closed-form square-loss optimum (which ignores the PSD constraint of
U U^T) is refused as evidence for this family.
"""
from __future__ import annotations

import copy
import json
import random
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy

from landscape_proofs.kernel.checker import CLAIMS, check_certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import (point_from_dict, point_to_dict, problem_from_dict,
                                          problem_to_dict)
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem

FAM = "symmetric-factorization"


def frac(x) -> Fraction:
    return Fraction(str(x))


def q(x) -> sympy.Rational:
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def rand_U(problem, rng):
    return [[Fraction(rng.randint(-3, 3), rng.randint(1, 3)) for _ in range(problem.k)]
            for _ in range(problem.n)]


def sympy_objective(problem: SymmetricFactorizationProblem, loss_fn):
    """(L, symbols row-major, E), built independently of exact/."""
    S = [[sympy.Symbol(f"u{a}_{b}") for b in range(problem.k)] for a in range(problem.n)]
    syms = [s for row in S for s in row]
    U = sympy.Matrix(S)
    R = U * U.T
    if problem.loss.over_product:
        E = R
    else:
        E = R - sympy.Matrix([[q(x) for x in row] for row in problem.Y])
    L = loss_fn(E) + q(problem.weight_decay) / 2 * sum(s ** 2 for s in syms)
    return L, syms, E


SQUARE = lambda E: sum(e ** 2 for e in E) / 2                                 # noqa: E731
POWER4 = lambda E: sum(e ** 4 for e in E) / 4                                 # noqa: E731
CUSTOM_PRODUCT = lambda E: E[0, 0] * E[1, 1] - E[0, 1] ** 2 + E[1, 0] ** 3     # noqa: E731
CUSTOM_RESIDUAL = lambda E: (E[0, 0] - E[0, 1]) ** 2 + E[1, 0] ** 4 / 3 + E[1, 1] * E[0, 1]  # noqa: E731

INSTANCES = {
    "square-3x2": ({"family": FAM, "shape": [3, 2], "Y": [[1, 2, 0], [0, "1/2", -1], [3, 0, 1]],
                    "loss": "square"}, SQUARE),
    "square-2x3-decay": ({"family": FAM, "shape": [2, 3], "Y": [[2, 1], [1, -1]],
                          "loss": "square", "weight_decay": "1/3"}, SQUARE),
    "power4-2x2-decay": ({"family": FAM, "shape": [2, 2], "Y": [[1, 0], [2, 1]],
                          "loss": {"name": "power", "p": 4}, "weight_decay": "1/2"}, POWER4),
    "custom-product": ({"family": FAM, "shape": [2, 2],
                        "loss": {"name": "custom", "over": "product",
                                 "expression": "R_0_0*R_1_1 - R_0_1**2 + R_1_0**3"}},
                       CUSTOM_PRODUCT),
    "custom-residual": ({"family": FAM, "shape": [2, 1], "Y": [[1, -1], [0, 2]],
                         "loss": {"name": "custom", "over": "residual",
                                  "expression": "(r_0_0 - r_0_1)**2 + r_1_0**4/3 + r_1_1*r_0_1"}},
                        CUSTOM_RESIDUAL),
}


@pytest.mark.parametrize("name", sorted(INSTANCES))
@pytest.mark.parametrize("seed", [0, 1])
def test_value_gradient_jacobian_hessian_curve_equal_sympy_exactly(name, seed):
    data, loss_fn = INSTANCES[name]
    problem = problem_from_dict(data)
    rng = random.Random(f"{name}-{seed}")
    point = Point.of(problem, [rand_U(problem, rng)])
    obj = exact_objective(problem)
    W = exact_weights(point)
    L, syms, E = sympy_objective(problem, loss_fn)
    values = [x for row in point.weights[0] for x in row]
    subs = {s: q(v) for s, v in zip(syms, values)}
    assert obj.n_params == len(syms) == problem.n_params

    assert frac(obj.value(W)) == frac(L.xreplace(subs))
    grad = [sympy.diff(L, s) for s in syms]
    assert [frac(g) for g in obj.gradient_vector(W)] == [frac(g.xreplace(subs)) for g in grad]
    Hm = obj.hessian(W)
    for p, gp in enumerate(grad):
        for r in range(len(syms)):
            assert frac(Hm[p, r]) == frac(sympy.diff(gp, syms[r]).xreplace(subs)), (p, r)
    J = obj.jacobian(W)
    R = sympy.Matrix(problem.n, problem.k, syms) * sympy.Matrix(problem.n, problem.k, syms).T
    for i, e in enumerate(list(R)):
        for p, s in enumerate(syms):
            assert frac(J[i, p]) == frac(sympy.diff(e, s).xreplace(subs))
    # the Hessian formula: J^T Hl J + S with v^T S v = 2 <G, V V^T>
    G = obj.function_gradient(W)
    V = rand_U(problem, rng)
    v = [x for row in V for x in row]
    VVt = matrix(V) * matrix(V).transpose()
    quad = sum((Fraction(str(Hm[a, b])) * v[a] * v[b] for a in range(len(v)) for b in range(len(v))),
               Fraction(0))
    Jv = J * flint.fmpq_mat(len(v), 1, [flint.fmpq(x.numerator, x.denominator) for x in v])
    Hl = problem.loss.hessian_exact(obj.loss_argument(W))
    first = frac((Jv.transpose() * Hl * Jv)[0, 0])
    second = 2 * sum(frac(G[i, j]) * frac(VVt[i, j]) for i in range(problem.n) for j in range(problem.n))
    assert quad == first + second + frac(problem.weight_decay) * sum(x * x for x in v)

    # L(U + t V + t^2 C) as a polynomial in t
    t = sympy.Symbol("t")
    C = rand_U(problem, rng)
    cflat = [x for row in C for x in row]
    curve = {s: q(u) + t * q(a) + t ** 2 * q(b) for s, u, a, b in zip(syms, values, v, cflat)}
    want = sympy.Poly(sympy.expand(L.xreplace(curve)), t).all_coeffs()[::-1]
    got = obj.value_along(W, [[matrix(V)], [matrix(C)]]).coeffs()
    assert [frac(c) for c in got] == [frac(c) for c in want]


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_float64_evaluator_agrees_with_the_exact_one(name):
    data, _ = INSTANCES[name]
    problem = problem_from_dict(data)
    rng = random.Random(name)
    pts = [Point.of(problem, [rand_U(problem, rng)]) for _ in range(3)]
    obj, f64 = exact_objective(problem), float64_objective(problem)
    U = np.stack([np.array(p.weights[0], dtype=float) for p in pts])
    vals = f64.value([U])
    grads = f64.gradient_vector([U])
    for b, p in enumerate(pts):
        W = exact_weights(p)
        assert vals[b] == pytest.approx(float(frac(obj.value(W))), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grads[b], [float(frac(g)) for g in obj.gradient_vector(W)],
                                   rtol=1e-12, atol=1e-12)


def test_orbit_tangent_is_an_exact_symmetry_of_the_objective():
    problem = problem_from_dict(INSTANCES["square-2x3-decay"][0])
    obj = exact_objective(problem)
    W = exact_weights(Point.of(problem, [rand_U(problem, random.Random(3))]))
    T = obj.orbit_tangent(W)
    assert len(T) == 3  # dim so(3)
    # U E is tangent to U exp(tE): the value is constant to first order and H (U E) = 0
    # at a critical point; here check invariance of U U^T to first order: J (U E) = 0
    J = obj.jacobian(W)
    for v in T:
        col = flint.fmpq_mat(len(v), 1, v)
        assert all(x == 0 for x in (J * col).entries())


# --- hand examples ------------------------------------------------------------------------------
def _problem(Y, k=1, loss="square", wd=0):
    return problem_from_dict({"family": FAM, "shape": [len(Y), k], "Y": Y, "loss": loss,
                              "weight_decay": wd})


def test_zero_is_a_strict_saddle_with_hessian_minus_two_Y():
    # f(u) = 1/2 ||u u^T - Y||^2, Y = diag(1, 0).  At u = 0: G = -Y, J = 0, so
    # H = S = -(G + G^T) ... with S[(a,b),(c,d)] = [b = d](G + G^T)_{ac} = -2 Y.
    p = _problem([[1, 0], [0, 0]])
    obj = exact_objective(p)
    W = exact_weights(point_from_dict({"U": [[0], [0]]}, p))
    assert obj.gradient_vector(W) == [0, 0]
    H = obj.hessian(W)
    assert [[frac(H[i, j]) for j in range(2)] for i in range(2)] == [[-2, 0], [0, 0]]
    res = classify(p, point_from_dict({"U": [[0], [0]]}, p))
    assert res.kind is Kind.STRICT_SADDLE
    assert check_certificate(json.loads(json.dumps(res.certificate.to_json()))).valid


def test_reaching_a_psd_target_is_a_global_minimum():
    p = _problem([[1, 0], [0, 0]])
    res = classify(p, point_from_dict({"U": [[1], [0]]}, p))
    assert res.kind is Kind.GLOBAL_MINIMUM and res.value == 0
    assert res.certificate.to_json()["evidence"]["type"] == "zero-lower-bound"
    # convex-stationary is valid too: the square loss is convex and G = 0
    cert = json.loads(json.dumps(res.certificate.to_json()))
    cert["evidence"] = {"type": "convex-stationary"}
    assert check_certificate(cert).valid


def _indefinite_target_cert():
    # Y = diag(1, -1), k = 1, u = (1, 0): E = diag(0, 1), G U = 0 (critical), value 1/2.
    # J^T J = diag(4, 2), S = 2 G = diag(0, 2): H = diag(4, 4), positive definite.  The value
    # 1/2 = 1/2 ||Y_-||^2 is the optimum over PSD matrices: sym(G) = diag(0, 1) >= 0 and
    # <sym(G), u u^T> = 0, which the psd-cone-optimality evidence proves.
    p = _problem([[1, 0], [0, -1]])
    obj = exact_objective(p)
    W = exact_weights(point_from_dict({"U": [[1], [0]]}, p))
    H = obj.hessian(W)
    assert [[frac(H[i, j]) for j in range(2)] for i in range(2)] == [[4, 0], [0, 4]]
    res = classify(p, point_from_dict({"U": [[1], [0]]}, p))
    assert res.kind is Kind.GLOBAL_MINIMUM, res.reason
    assert res.value == Fraction(1, 2)
    return p, json.loads(json.dumps(res.certificate.to_json()))


def test_indefinite_target_local_and_global_certificates():
    _, cert = _indefinite_target_cert()
    assert cert["evidence"] == {"type": "psd-cone-optimality"}
    assert check_certificate(cert).valid
    local = {**cert, "claim": "local-minimum", "evidence": {"type": "definite-hessian"}}
    assert check_certificate(local).valid


def test_square_loss_optimum_evidence_is_refused_for_this_family():
    p, cert = _indefinite_target_cert()
    # the unconstrained closed form (rank <= 1, any sign) has the same value 1/2 here, so a
    # checker without the family guard would accept this evidence
    assert compare_with_square_optimum(matrix(p.X), matrix(p.Y), p.max_rank,
                                       flint.fmpq(1, 2)) == 0
    cert["claim"] = "global-minimum"
    cert["evidence"] = {"type": "square-loss-optimum"}
    res = check_certificate(cert)
    assert not res.valid and "PSD" in res.reason


def test_slice_with_the_orthogonal_group_certifies_a_local_minimum():
    # Y = diag(1, -1), k = 2, U = [[1, 0], [0, 0]]: the Hessian is PSD with a one-dimensional
    # kernel, spanned by U E (E the generator of so(2)).
    p = _problem([[1, 0], [0, -1]], k=2)
    res = classify(p, point_from_dict({"U": [[1, 0], [0, 0]]}, p))
    assert res.kind is Kind.GLOBAL_MINIMUM, res.reason  # psd-cone-optimality (S = diag(0, 1))
    cert = json.loads(json.dumps(res.certificate.to_json()))
    cert["claim"], cert["evidence"] = "local-minimum", {"type": "slice", "group": "O"}
    assert check_certificate(cert).valid
    cert["evidence"]["group"] = "GL"  # GL(k) is not a symmetry of U U^T
    assert not check_certificate(cert).valid


def test_weight_decay_example():
    # Y = diag(2, 0), lam = 2: 2 (u u^T - Y) u + 2 u = 0 at u = (1, 0); value 1/2 + 1 = 3/2;
    # H = diag(4, 2) + diag(-2, 0) + 2 I = diag(4, 4).  Global: 1/2 ||Z - Y||^2 + tr Z is
    # minimised over PSD Z at (Y - I)_+ = diag(1, 0); S = sym(Z - Y) + I = diag(0, 1).
    p = _problem([[2, 0], [0, 0]], wd=2)
    res = classify(p, point_from_dict({"weights": [[[1], [0]]]}, p))
    assert res.kind is Kind.GLOBAL_MINIMUM and res.value == Fraction(3, 2)
    assert check_certificate(json.loads(json.dumps(res.certificate.to_json()))).valid


CASES = {
    "saddle": ([[1, 0], [0, 0]], 1, [[0], [0]], Kind.STRICT_SADDLE),
    "global": ([[1, 0], [0, 0]], 1, [[1], [0]], Kind.GLOBAL_MINIMUM),
    "psd-boundary-k1": ([[1, 0], [0, -1]], 1, [[1], [0]], Kind.GLOBAL_MINIMUM),
    "psd-boundary-k2": ([[1, 0], [0, -1]], 2, [[1, 0], [0, 0]], Kind.GLOBAL_MINIMUM),
    "not-critical": ([[1, 0], [0, 0]], 1, [[1], [1]], Kind.NOT_CRITICAL),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_certificates_pass_the_checker_and_mutations_fail(case):
    Y, k, U, kind = CASES[case]
    p = _problem(Y, k=k)
    res = classify(p, point_from_dict({"U": U}, p))
    assert res.kind is kind, (res.kind, res.reason)
    cert = json.loads(json.dumps(res.certificate.to_json()))
    assert cert["problem"]["family"] == FAM
    assert check_certificate(cert).valid

    def rejected(m):
        try:
            return not check_certificate(m).valid
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
    m = copy.deepcopy(cert)
    m["point"]["weights"][0][0][0] = str(Fraction(m["point"]["weights"][0][0][0]) + Fraction(1, 7))
    assert rejected(m)
    m = copy.deepcopy(cert)
    m["problem"]["shape"] = [2, k + 1]  # the point no longer fits
    assert rejected(m)
    m = copy.deepcopy(cert)
    m["problem"]["weight_decay"] = "5"  # at U = 0 the value is unchanged, but H = 5 I - 2 Y
    assert rejected(m)
    m = copy.deepcopy(cert)
    m["problem"]["Y"][1][1] = str(Fraction(m["problem"]["Y"][1][1]) + 3)
    assert rejected(m)


# --- file format ----------------------------------------------------------------------------------
def test_problem_and_point_round_trip():
    for data, _ in INSTANCES.values():
        p = problem_from_dict(data)
        assert problem_from_dict(json.loads(json.dumps(problem_to_dict(p)))) == p
        pt = Point.of(p, [rand_U(p, random.Random(0))])
        back = point_from_dict(json.loads(json.dumps(point_to_dict(pt))), p)
        assert back == pt
    p = _problem([[1, 0], [0, 0]])
    assert point_from_dict({"U": [[1], [0]]}, p) == point_from_dict({"weights": [[[1], [0]]]}, p)
    assert (p.n, p.k, p.rank, p.max_rank, p.has_bottleneck) == (2, 1, 1, 1, True)
    assert p.loss_argument_shape == (2, 2) and p.shapes == ((2, 1),)


@pytest.mark.parametrize("data, field", [
    ({"family": FAM, "shape": [2], "Y": [[1, 0], [0, 1]], "loss": "square"}, "shape"),
    ({"family": FAM, "shape": [2, 0], "Y": [[1, 0], [0, 1]], "loss": "square"}, "shape[1]"),
    ({"family": FAM, "shape": [2, 1], "Y": [[1, 0]], "loss": "square"}, "Y"),
    ({"family": FAM, "shape": [2, 1], "Y": [[1, 0], [0, 1]]}, "loss"),
    ({"family": FAM, "shape": [2, 1], "Y": [[1, 0], [0, 1]], "loss": "square", "X": [[1]]}, "X"),
])
def test_bad_problems_name_the_field(data, field):
    with pytest.raises(InputError) as exc:
        problem_from_dict(data)
    assert exc.value.field is not None and exc.value.field.startswith(field)


@pytest.mark.parametrize("point, field", [
    ({"U": [[1, 2], [0, 0]]}, "U"),
    ({"weights": [[[1], [0]], [[1], [0]]]}, "weights"),
    ({"weights": [[[1], [0]]], "U": [[1], [0]]}, "U"),
    ({"V": [[1], [0]]}, "V"),
])
def test_bad_points_name_the_field(point, field):
    p = _problem([[1, 0], [0, 0]])
    with pytest.raises(InputError) as exc:
        point_from_dict(point, p)
    assert exc.value.field is not None and exc.value.field.startswith(field)


def test_matrix_factorization_points_to_the_symmetric_family():
    with pytest.raises(InputError) as exc:
        problem_from_dict({"family": "matrix-factorization", "shape": [2, 2], "rank": 1,
                           "Y": [[1, 0], [0, 1]], "loss": "square", "symmetric": True})
    assert "symmetric-factorization" in str(exc.value)


def test_openness_command_on_the_symmetric_family(tmp_path):
    # U -> U U^T is open onto the PSD matrices of rank <= k at every U (docs/openness.md),
    # here at a rank-deficient U = e1 (rank 1 < k = 2); the probe must agree
    import json
    import subprocess
    import sys
    prob = tmp_path / "p.json"
    pt = tmp_path / "w.json"
    prob.write_text(json.dumps({"family": "symmetric-factorization", "shape": [3, 2],
                                "Y": [[1, 0, 0], [0, 0, 0], [0, 0, 0]], "loss": "square"}))
    pt.write_text(json.dumps({"weights": [[[1, 0], [0, 0], [0, 0]]]}))
    out = subprocess.run([sys.executable, "-m", "landscape_proofs", "openness", str(prob), str(pt),
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"] == "open" and data["probe_agrees"] is True


# --- global minima on the boundary of the PSD cone: psd-cone-optimality -----------------------
def _boundary_certificate():
    from landscape_proofs.produce.classify import classify
    from landscape_proofs.families.io import point_from_dict, problem_from_dict
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [2, 2],
                           "Y": [[1, 0], [0, -1]], "loss": "square"})
    return classify(p, point_from_dict({"weights": [[[1, 0], [0, 0]]]}, p))


def test_psd_cone_optimality_certifies_a_boundary_global_minimum():
    # 1/2 ||U U^T - diag(1, -1)||^2 >= 1/2 (the (2,2) entry of a PSD matrix is >= 0 > -1),
    # attained at U U^T = e1 e1^T; by hand S = sym(U U^T - Y) = diag(0, 1) >= 0, <S, e1 e1^T> = 0.
    from landscape_proofs.kernel.checker import check_certificate
    res = _boundary_certificate()
    assert res.kind.value == "global-minimum" and res.value == Fraction(1, 2)
    data = res.certificate.to_json()
    assert data["evidence"] == {"type": "psd-cone-optimality"}
    assert check_certificate(data).valid


def test_psd_cone_optimality_mutations_are_rejected():
    import copy
    from landscape_proofs.kernel.checker import check_certificate
    good = _boundary_certificate().certificate.to_json()

    def check(fn):
        d = copy.deepcopy(good)
        d.pop("value")
        fn(d)
        return check_certificate(d)

    # U = (9/10) e1: S = diag(-19/100, 1) has a negative eigenvalue (not optimal)
    assert not check(lambda d: d["point"]["weights"][0][0].__setitem__(0, "9/10")).valid
    # Y = diag(1, 1): at e1 e1^T, S = diag(0, -1): the value 1/2 is beaten by U = I (value 0)
    assert not check(lambda d: d["problem"].__setitem__("Y", [[1, 0], [0, 1]])).valid
    # a non-convex loss (declared convex: a declaration is no proof)
    assert not check(lambda d: d["problem"].__setitem__("loss", {
        "name": "custom", "expression": "(r_0_0**2 - 1)**2 + r_1_1**2", "over": "residual",
        "convex": True})).valid
    # not this family: the same evidence on a deep-linear problem is refused
    deep = {"format": "landscape-certificate/1", "claim": "global-minimum",
            "problem": {"family": "deep-linear", "widths": [1, 1], "X": [[1]], "Y": [[1]],
                        "loss": "square"},
            "point": {"weights": [[[1]]]}, "evidence": {"type": "psd-cone-optimality"}}
    res = check_certificate(deep)
    assert not res.valid and "needs l(U U^T)" in res.reason
