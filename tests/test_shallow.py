"""The shallow rank-constrained problem and the matrix-factorization alias (docs/families.md).

Known answers derived by hand for f(R) = 1/2 ||R - Y||^2, Y = diag(5, 3, 1), rank(R) <= 1
(X = I_3); every certificate is re-verified from its JSON text, and mutations are rejected.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.openness.common import Openness
from landscape_proofs.openness.dispatch import decide_openness
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.io import (loads_exact, point_from_dict, point_to_dict,
                                          problem_from_dict, problem_to_dict)
from landscape_proofs.produce.shallow import classify_shallow, shallow_global_solution

SHALLOW = {"family": "shallow-rank", "shape": [3, 3], "rank": 1,
           "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"}


def shallow(**kw):
    return problem_from_dict({**SHALLOW, **kw})


def point(p, R):
    return point_from_dict({"R": R}, p)


def roundtrip(cert) -> dict:
    return loads_exact(json.dumps(cert.to_json()))


P = shallow()


def test_top_direction_is_the_global_minimum():
    # R = diag(5, 0, 0): residual diag(0, -3, -1), value (9 + 1)/2 = 5 = Eckart-Young's
    # optimum 1/2 (3^2 + 1^2) over rank <= 1.
    res = classify_shallow(P, point(P, [[5, 0, 0], [0, 0, 0], [0, 0, 0]]))
    assert res.kind is Kind.GLOBAL_MINIMUM and res.value == 5
    assert res.is_local_minimum_on_set is True
    assert check_certificate(roundtrip(res.certificate)).valid


def test_second_direction_is_not_a_local_minimum_on_the_set():
    # R = diag(0, 3, 0), value (25 + 1)/2 = 13.  On the set: R(t) = 3 u u^T with
    # u = (sin t, cos t, 0) has f = 1/2 (9 - 6 (5 sin^2 t + 3 cos^2 t) + 35) = 13 - 6 sin^2 t,
    # below 13 for every small t != 0; and R(t) = (3 + t) e2 e2^T raises f.
    res = classify_shallow(P, point(P, [[0, 0, 0], [0, 3, 0], [0, 0, 0]]))
    assert res.value == 13
    assert res.kind is Kind.STRICT_SADDLE
    assert res.is_local_minimum_on_set is False
    assert check_certificate(roundtrip(res.certificate)).valid


def test_zero_is_not_a_local_minimum():
    # R = 0, value 35/2; R(t) = t e1 e1^T gives f = 1/2 ((5 - t)^2 + 9 + 1) = 35/2 - 5t + t^2/2.
    res = classify_shallow(P, point(P, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]))
    assert res.value == Fraction(35, 2)
    assert res.is_local_minimum_on_set is False
    assert check_certificate(roundtrip(res.certificate)).valid


def test_global_solution_is_exact():
    sol = shallow_global_solution(P)
    assert sol.optimum.exact == 5
    assert sol.optimum.minimizer == matrix([[5, 0, 0], [0, 0, 0], [0, 0, 0]])


def test_global_solution_with_data_and_irrational_optimum():
    # X of rank 2 (rows 1 and 2 proportional), Y with an irrational spectrum:
    # the optimum is an enclosure; with r = d_H no rank constraint bites and it is exact.
    p = shallow(shape=[2, 3], rank=1, X=[[1, 2, 0, 1], [2, 4, 0, 2], [0, 1, 1, 0]],
                Y=[[1, 0, 2, 3], [0, 1, 1, 1]])
    sol = shallow_global_solution(p)
    assert sol.optimum.exact is None and sol.optimum.lower < sol.optimum.upper
    p2 = shallow(shape=[2, 3], rank=2, X=[[1, 2, 0, 1], [2, 4, 0, 2], [0, 1, 1, 0]],
                 Y=[[1, 0, 2, 3], [0, 1, 1, 1]])
    sol2 = shallow_global_solution(p2)
    R = sol2.optimum.minimizer
    E = R * matrix(p2.X) - matrix(p2.Y)
    assert sum(x * x for x in E.entries()) / 2 == sol2.optimum.exact


def test_rank_bound_is_checked_exactly():
    with pytest.raises(InputError, match="rank <= 1"):
        point(P, [[5, 0, 0], [0, 3, 0], [0, 0, 0]])


def test_problem_and_point_roundtrip():
    assert problem_from_dict(problem_to_dict(P)) == P
    pt = point(P, [["1/2", 0, 0], [1, 0, 0], [0, 0, 0]])
    assert point_from_dict(point_to_dict(pt), P) == pt


def test_canonical_factorization_is_open():
    # U V = R with rank U = rank V = rank R: the pair map is open onto rank <= p there.
    pt = point(P, [[1, 2, 0], [2, 4, 0], [0, 0, 0]])
    U, V = P.canonical_factorization(pt)
    assert matrix(U) * matrix(V) == matrix(pt.R)
    d = decide_openness(P, pt)
    assert d.verdict is Openness.OPEN


# --- mutations of the certificate are rejected -------------------------------------------
def _cert(R):
    res = classify_shallow(P, point(P, R))
    return roundtrip(res.certificate)


SADDLE = [[0, 0, 0], [0, 3, 0], [0, 0, 0]]
GLOBAL = [[5, 0, 0], [0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("mutate, why", [
    (lambda c: c.update(claim="local-minimum"), "claims"),
    (lambda c: (c.update(claim="local-minimum"),
                c["evidence"]["deep_certificate"].update(claim="local-minimum")), "not"),
    (lambda c: c["point"].update(R=[[0, 0, 0], [0, 0, 0], [0, 0, 1]]), "U V differs"),
    (lambda c: c["problem"].update(Y=[[5, 0, 0], [0, 4, 0], [0, 0, 1]]), "lift"),
    (lambda c: c["evidence"].update(U=[[0], [6], [0]], V=[[0, "1/2", 0]]), "(V, U)"),
    (lambda c: c.update(value="12"), "value"),
    (lambda c: c["evidence"].update(type="something-else"), "evidence type"),
    (lambda c: c["evidence"]["deep_certificate"]["problem"].update(weight_decay="1"), "lift"),
])
def test_mutated_saddle_certificate_is_rejected(mutate, why):
    c = _cert(SADDLE)
    assert check_certificate(copy.deepcopy(c)).valid
    mutate(c)
    res = check_certificate(c)
    assert not res.valid and why in res.reason, res.reason


def test_mutated_global_certificate_is_rejected():
    c = _cert(GLOBAL)
    c["problem"]["Y"] = [[5, 0, 0], [0, 3, 0], [0, 0, 2]]
    c["evidence"]["deep_certificate"]["problem"]["Y"] = [[5, 0, 0], [0, 3, 0], [0, 0, 2]]
    c.pop("value")
    c["evidence"]["deep_certificate"].pop("value", None)
    res = check_certificate(c)
    # the value 1/2 (9 + 4) = 13/2 is the new optimum as well: still a global minimum
    assert res.valid
    c["evidence"]["deep_certificate"]["problem"]["Y"] = [[4, 0, 0], [0, 3, 0], [0, 0, 2]]
    assert not check_certificate(c).valid


def test_factorization_with_unequal_ranks_is_rejected():
    # R = diag(5, 0, 0) with p = 2 factored as U = [[5, 0], [0, 0], [0, 1]] (rank 2),
    # V = [[1, 0, 0], [0, 0, 0]] (rank 1): U V = R, but the pair map need not be open there,
    # so a claim about (V, U) says nothing about R on the set.  Rejected whatever the lift.
    p = shallow(rank=2)
    U = [[5, 0], [0, 0], [0, 1]]
    V = [[1, 0, 0], [0, 0, 0]]
    deep = p.deep_linear()
    lifted = classify(deep, Point.of(deep, [V, U]))
    assert lifted.certificate is not None
    cert = {"format": "landscape-certificate/1", "claim": lifted.kind.value,
            "problem": problem_to_dict(p), "point": {"R": [[5, 0, 0], [0, 0, 0], [0, 0, 0]]},
            "evidence": {"type": "factorization-transfer", "U": U, "V": V,
                         "deep_certificate": lifted.certificate.to_json()}}
    res = check_certificate(loads_exact(json.dumps(cert)))
    assert not res.valid and "need not be open" in res.reason


# --- the matrix-factorization alias -------------------------------------------------------
MF = {"family": "matrix-factorization", "shape": [2, 3], "rank": 1,
      "Y": [[2, 0, 0], [0, 1, 0]], "loss": "square"}


def test_matrix_factorization_loads_as_deep_linear():
    p = problem_from_dict(MF)
    assert isinstance(p, DeepLinearProblem) and p.widths == (3, 1, 2)
    assert problem_to_dict(p)["family"] == "deep-linear"
    pt = point_from_dict({"U": [[2], [0]], "V": [[1, 0, 0]]}, p)
    assert pt.weights[0] == ((1, 0, 0),) and pt.weights[1] == ((2,), (0,))
    # U V = [[2, 0, 0], [0, 0, 0]] keeps the top singular value of Y: global minimum (1/2)
    res = classify(p, pt)
    assert res.kind is Kind.GLOBAL_MINIMUM and res.value == Fraction(1, 2)


@pytest.mark.parametrize("edit, field", [
    ({"X": [[1]]}, "X"),
    ({"symmetric": True}, "symmetric"),
    ({"rank": 0}, "rank"),
    ({"shape": [2]}, "shape"),
])
def test_matrix_factorization_errors_name_the_field(edit, field):
    with pytest.raises(InputError) as info:
        problem_from_dict({**MF, **edit})
    assert info.value.field == field


@pytest.mark.parametrize("edit, field", [
    ({"shape": [3, 0]}, "shape[1]"),
    ({"rank": "2"}, "rank"),
    ({"weight_decay": "1"}, "weight_decay"),
    ({"Y": [[1, 2, 3]]}, "Y"),
])
def test_shallow_errors_name_the_field(edit, field):
    with pytest.raises(InputError) as info:
        problem_from_dict({**SHALLOW, **edit})
    assert info.value.field == field


def test_cli_shallow_and_verify(tmp_path):
    import subprocess
    import sys

    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(SHALLOW))
    pt = tmp_path / "r.json"
    pt.write_text(json.dumps({"R": SADDLE}))
    cert = tmp_path / "c.json"
    run = lambda *a: subprocess.run([sys.executable, "-m", "landscape_proofs", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    out = run("shallow", str(prob), str(pt), "--json", "--certificate", str(cert))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["kind"] == "strict-saddle" and data["is_local_minimum_on_set"] is False
    assert data["global_solution"]["optimum"] == 5
    assert run("verify", str(cert)).returncode == 0


def test_checking_a_shallow_certificate_loads_no_producer_module(tmp_path):
    """The shallow checker is part of the trusted kernel: a fresh interpreter that checks a
    shallow certificate imports no producer (numeric, symbolic, search, classify, ...)."""
    import subprocess
    import sys

    path = tmp_path / "c.json"
    path.write_text(json.dumps(_cert(SADDLE)))
    code = (
        "import json, sys\n"
        "from landscape_proofs.families.io import read_json\n"
        "from landscape_proofs.kernel.checker import check_certificate\n"
        f"assert check_certificate(read_json({str(path)!r})).valid\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('landscape_proofs'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout)
    forbidden = ("numeric", "symbolic", "search", "classify", "theorems", "cli", "tour",
                 "shallow", "openness")
    bad = [m for m in mods if m.split(".")[1:2] and m.split(".")[1] in forbidden]
    assert not bad, bad
    assert "landscape_proofs.kernel.shallow" in mods
