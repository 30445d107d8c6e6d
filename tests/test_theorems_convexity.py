"""Convexity of polynomial custom losses, decided exactly where decidable, and declared facts
that are never taken as proofs (``landscape check``)."""
import json

import flint
import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.linalg import inertia
from landscape_proofs.losses.convexity import decide_convexity
from landscape_proofs.losses.specs import CustomLoss
from landscape_proofs.theorems.base import AssumptionCheck
from landscape_proofs.theorems.facts import loss_convex, loss_differentiable
from landscape_proofs.theorems.registry import get_theorem
from landscape_proofs.theorems.runner import check_theorem

BUG = {"family": "deep-linear", "widths": [1, 1], "X": [["1"]], "Y": [["0"]],
       "loss": {"name": "custom", "expression": "r_0_0**2 - r_0_0**4/100", "convex": True}}


def decide(expr, over="residual"):
    loss = CustomLoss(expr, over_=over)
    return loss, decide_convexity(loss._polynomial_terms(), loss.prefix)


def hessian_has_negative_eigenvalue(loss, witness, shape):
    """Re-check a witness independently: the loss's own exact Hessian at the point."""
    E = flint.fmpq_mat(*shape)
    for (i, j), v in witness.items():
        E[i, j] = v
    return inertia(loss.hessian_exact(E)).negative > 0


def test_the_bug_instance_through_the_cli(tmp_path, capsys):
    f = tmp_path / "problem.json"
    f.write_text(json.dumps(BUG))
    code = main(["check", "laurent_vonbrecht2018", str(f), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    convex = next(a for a in out["assumptions"] if a["name"] == "l convex")
    assert convex["holds"] is False
    assert "proven not convex" in convex["detail"] and "r_0_0 = 5" in convex["detail"]
    assert out["applies"] is False
    assert out["conclusion"]["status"] == "not-applicable"


@pytest.mark.parametrize("expr,expected", [
    ("r_0_0**4", True),                              # univariate: l'' = 12 r^2 >= 0
    ("r_0_0**4 - r_0_0**3 + r_0_0**2", True),        # l'' = 12 r^2 - 6 r + 2 > 0 (no real root)
    ("(r_0_0 - 1)**6 + r_0_0**2", True),
    ("r_0_0**2 - r_0_0**4", False),
    ("r_0_0**2 - r_0_0**4/100", False),
    ("r_0_0**3", False),                             # odd degree
    ("r_0_0**4 - 4*r_0_0**3 + 6*r_0_0**2", True),    # l'' = 12 (r - 1)^2: a double root only
    ("r_0_0**5 + 10*r_0_0**2", False),
    ("(r_0_0 + r_0_1)**2 + r_1_1**2 + 3", True),     # two or more entries, degree 2: PSD
    ("r_0_0**2 + 4*r_0_0*r_0_1 + r_0_1**2", False),  # degree 2, indefinite
    ("r_0_0**2 * r_0_1**2", False),                  # a two-variable non-convex quartic
    ("r_0_0**3*r_0_1 + r_0_1**2", False),
    ("r_0_0*r_0_1*r_1_0", False),                    # odd degree, several entries
])
def test_decided_exactly(expr, expected):
    loss, d = decide(expr)
    assert d.convex is expected, d.detail
    # the checker's view: False, degree <= 2 and the kernel's rule (a PSD quadratic part plus
    # positive multiples of even powers of single entries: r_0_0**4) answer as decided; other
    # univariate Trues are not handed to the checker
    kernel_rule = expr in ("r_0_0**4",)
    assert loss.convex_proven(2, 2) is (None if expected and not (d.constant_hessian or kernel_rule)
                                        else expected)
    if expected is False:
        assert "proven not convex" in d.detail
        assert hessian_has_negative_eigenvalue(loss, d.witness, (2, 2)), d.detail


def test_univariate_witness_from_root_isolation():
    # l'' = 12 (r - 1/7)^2 - 1/10^6 is negative only on a tiny interval around 1/7: not at any
    # of the "nice" points, so the witness comes from the exact root isolation
    expr = "(r_0_0 - 1/7)**4 - (r_0_0 - 1/7)**2/(2*10**6)"
    loss, d = decide(expr)
    assert d.convex is False
    (t,) = d.witness.values()
    assert abs(t - flint.fmpq(1, 7)) < flint.fmpq(1, 100)
    assert hessian_has_negative_eigenvalue(loss, d.witness, (1, 1))


def test_two_variable_non_convex_quartic_witness_rechecked():
    loss, d = decide("R_0_0**2 * R_1_0**2 + R_0_0**4 / 10", over="product")
    assert d.convex is False and set(d.witness) == {(0, 0), (1, 0)}
    assert "R_0_0 = " in d.detail and "R_1_0 = " in d.detail
    # the test's own Hessian: [[2 y^2 + 6/5 x^2, 4 x y], [4 x y, 2 x^2]]
    x, y = d.witness[(0, 0)], d.witness[(1, 0)]
    H = flint.fmpq_mat([[2 * y ** 2 + flint.fmpq(6, 5) * x ** 2, 4 * x * y], [4 * x * y, 2 * x ** 2]])
    assert H.det() < 0  # one negative eigenvalue
    assert hessian_has_negative_eigenvalue(loss, d.witness, (2, 1))


def test_a_convex_multivariate_quartic_stays_undecided_by_the_bounded_search_alone():
    # without SDP hints; with them it is proven SOS-convex (tests/test_sos_convex.py)
    # (r_0_0**4 + r_0_1**4 + (r_0_0 - r_0_1)**2 is now proven by the separable rule below)
    loss, d = decide("(r_0_0 + r_0_1)**4 + (r_0_0 - r_0_1)**2")
    assert d.convex is None and "not decided" in d.detail
    assert loss.convex_proven(1, 2) is None


def test_even_powers_of_single_entries_over_a_psd_quadratic_are_proven_convex():
    # each term is convex, so is the sum; the kernel proves the same (Custom.convex_proven)
    loss, d = decide("r_0_0**4 + r_0_1**4 + (r_0_0 - r_0_1)**2")
    assert d.convex is True and "even powers of single entries" in d.detail
    assert loss.convex_proven(1, 2) is True
    # a negative quartic coefficient is outside the rule (and r^2 - r^4 is not convex)
    loss, d = decide("r_0_0**2 + r_0_1**2 - r_0_0**4")
    assert d.convex is False and loss.convex_proven(1, 2) is False


def test_declared_convexity_never_makes_a_theorem_apply():
    p = problem_from_dict({"family": "deep-linear", "widths": [2, 2], "X": [[1, 0], [0, 1]],
                           "Y": [[1, 0], [0, 1]],
                           "loss": {"name": "custom", "convex": True,
                                    # not a polynomial: no proof either way (a convex
                                    # quartic would now be proven SOS-convex)
                                    "expression": "exp(r_0_0) + exp(r_1_1) + (r_0_0 - r_1_1)**2"}})
    chk = loss_convex(p)
    assert chk.holds is None and chk.declared and "declared, not proven" in chk.detail
    res = check_theorem(get_theorem("laurent_vonbrecht2018"), p, test_anyway=False)
    assert not res.applies and not res.counterexample
    assert res.conclusion.status.value == "not-applicable"
    assert res.to_json()["assumptions"][1]["holds"] is None
    assert "l convex is undecided" in res.headline()


def test_declared_differentiability_is_not_proven():
    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1], "X": [[1]], "Y": [[0]],
                           "loss": {"name": "custom", "convex": True, "differentiable": True,
                                    "expression": "Abs(r_0_0)"}})
    chk = loss_differentiable(p)
    assert chk.holds is None and "declared, not proven" in chk.detail
    assert loss_convex(p).holds is None


def test_an_assumption_resting_on_a_declaration_is_undecided_by_construction():
    a = AssumptionCheck("l convex", True, "declared convex by the problem file", declared=True)
    assert a.holds is None and "declared, not proven" in a.detail
    assert a.to_json()["holds"] is None
    b = AssumptionCheck("l convex", False, "declared not convex", declared=True)
    assert b.holds is None
