"""The robust-regression problem family (families/robust_regression_format.py, a reader of the
deep-linear chain (d, 1, ..., 1)) and the kernel's own reading of it (kernel/model.py):
hand-derived values on THEOREMS.md's outlier example, classify and verify on it, the generator's
draws written as files, bad inputs (one line, exit 2) and tampered certificates."""
from __future__ import annotations

import json
from fractions import Fraction

import flint
import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.registry import problem_from_dict
from landscape_proofs.families.robust_regression import RobustRegressionSetting, draw_instance
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.losses.registry import loss_from_json

# y = (1, 6) from x = (1, 3): the truth theta* = 1 fits sample 1; sample 2 is corrupted by +3
OUTLIER = {"family": "robust-regression", "depth": 2, "X": [[1, 3]], "y": [1, 6], "loss": "l1"}


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_the_file_is_the_deep_linear_chain_with_the_l1_loss():
    p = problem_from_dict(OUTLIER)
    assert isinstance(p, DeepLinearProblem) and p.widths == (1, 1, 1)
    assert p.Y == ((1, 6),) and p.loss == loss_from_json("l1")
    # L(w1, w2) = |w2 w1 - 1| + |3 w2 w1 - 6|: 3 at the truth's factorization, 1 at theta = 2
    f = exact_objective(p)
    assert f.value([matrix([[1]]), matrix([[1]])]) == 3
    assert f.value([matrix([[2]]), matrix([[1]])]) == 1
    assert f.value([matrix([[Fraction(3, 2)]]), matrix([[Fraction(2, 3)]])]) == 3   # product 1
    # another loss of the format; the depth sets the chain
    sq = problem_from_dict({**OUTLIER, "depth": 4, "loss": "square"})
    assert sq.widths == (1, 1, 1, 1, 1) and sq.loss == loss_from_json("square")


def test_the_kernel_reads_the_same_problem():
    k = read_problem(OUTLIER)
    assert k.widths == (1, 1, 1) and k.family == "deep-linear"
    assert k.Y.entries() == [1, 6] and k.X.entries() == [1, 3]
    wide = read_problem({"family": "robust-regression", "depth": 3, "X": [[1, 0, 2], [0, 1, 1]],
                         "y": ["1/2", 0, 7], "loss": "l1"})
    assert wide.widths == (2, 1, 1, 1) and wide.Y.entries()[0] == flint.fmpq(1, 2)


def test_classify_and_verify_on_the_truth_and_on_the_l1_minimiser(tmp_path, capsys):
    prob = _write(tmp_path, "p.json", OUTLIER)
    truth = _write(tmp_path, "truth.json", {"weights": [[[1]], [[1]]]})
    best = _write(tmp_path, "best.json", {"weights": [[[2]], [[1]]]})
    cert = str(tmp_path / "c.json")
    assert main(["classify", prob, truth, "--json", "--certificate", cert]) == 0
    out = json.loads(capsys.readouterr().out)
    # along w(t) = (1 + t, 1 + t): theta = (1 + t)^2, L = |2t + t^2| + |3 (1 + t)^2 - 6| = 3 - 4t + O(t^2)
    assert out["kind"] == "not-critical" and out["value"] == 3 and "-4" in out["reason"]
    assert main(["classify", prob, best, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "global-minimum" and out["value"] == 1
    # the certificate verifies as written (deep-linear form) and with the problem embedded in
    # the robust-regression form: the kernel reads that format itself
    c = json.loads(open(cert).read())
    assert check_certificate(c).holds
    c["problem"] = dict(OUTLIER)
    assert check_certificate(c).holds
    assert main(["verify", _write(tmp_path, "c2.json", c)]) == 0


def _truth_certificate(tmp_path):
    prob = _write(tmp_path, "p.json", OUTLIER)
    truth = _write(tmp_path, "truth.json", {"weights": [[[1]], [[1]]]})
    cert = str(tmp_path / "c.json")
    assert main(["classify", prob, truth, "--certificate", cert]) == 0
    return json.loads(open(cert).read())


@pytest.mark.parametrize("change, why", [
    (dict(y=[1, 3]), "the truth fits both samples: it is a global minimum"),
    (dict(y=[2, 6]), "the truth fits no sample; the value is 4, not 3"),
    # same value 3 at the truth (residuals 0 and 3), but now the corrupted sample pulls theta
    # down: along (1 + t, 1 + t) L = |2t + t^2| + |3 (1 + t)^2| = 3 + 8t + O(t^2) rises
    (dict(y=[1, 0]), "the evidence's curve is no longer a descent curve"),
])
def test_tampered_robust_regression_certificates_are_rejected(tmp_path, change, why):
    c = _truth_certificate(tmp_path)
    c["problem"] = {**OUTLIER, **change}
    assert not check_certificate(c).holds, why


@pytest.mark.parametrize("change, field", [
    (dict(y=[1, 6, 7]), "problem.y"),           # three measurements for two samples
    (dict(depth=3), "weights"),                 # three weight matrices, the point has two
    (dict(depth=True), "problem.depth"),
    (dict(Y=[[1, 6]]), "problem.Y"),            # the family's field is y
])
def test_malformed_embedded_robust_regression_problems_are_input_errors(tmp_path, change, field):
    c = _truth_certificate(tmp_path)
    c["problem"] = {**OUTLIER, **change}
    with pytest.raises(InputError) as exc:
        check_certificate(c)
    assert field in str(exc.value)


@pytest.mark.parametrize("change, field", [
    (dict(y=[1]), "y"),
    (dict(y=[1, "x"]), "y[1]"),
    (dict(y=[1, float("nan")]), "y[1]"),
    (dict(depth=0), "depth"),
    (dict(depth="2"), "depth"),
    (dict(X=[]), "X"),
    (dict(X=[[1, 3], [1]]), "X[1]"),
    (dict(Y=[[1, 6]]), "Y"),
    (dict(loss="cubic"), "loss"),
])
def test_bad_files_are_one_line_naming_the_field_and_exit_2(tmp_path, capsys, change, field):
    data = {**OUTLIER, **change}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data).replace("NaN", "NaN"))
    point = _write(tmp_path, "pt.json", {"weights": [[[1]], [[1]]]})
    assert main(["classify", str(path), point]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("landscape: error:") and field in err[0], err
    with pytest.raises(InputError):
        problem_from_dict(data)


def test_missing_fields_are_named():
    for key in ("depth", "X", "y", "loss"):
        data = {k: v for k, v in OUTLIER.items() if k != key}
        with pytest.raises(InputError) as exc:
            problem_from_dict(data)
        assert exc.value.field == key


def test_size_guard_on_samples():
    with pytest.raises(InputError) as exc:
        problem_from_dict({**OUTLIER, "X": [[1] * 401], "y": [0] * 401})
    assert exc.value.field == "X" and "400" in str(exc.value)


@pytest.mark.parametrize("seed", [0, 3])
def test_a_generated_draw_written_as_a_file_is_the_same_problem(seed):
    setting = RobustRegressionSetting(dimension=3, measurements=7, sparsity=1,
                                      outlier_fraction=Fraction(2, 7))
    draw = draw_instance(setting, seed)
    data = json.loads(json.dumps(draw.problem_file(3, loss_from_json("l1"))))  # via JSON text
    loaded = problem_from_dict(data)
    assert loaded == draw.problem(3, loss_from_json("l1"))
    # at the truth's factorization the residuals are exactly -s_i: zero off the outliers
    value = exact_objective(loaded).value([matrix(W) for W in draw.truth_point(loaded).weights])
    assert Fraction(int(value.p), int(value.q)) == sum(abs(r) for r in draw.residuals_at_truth()) > 0
    assert read_problem(data).widths == (3, 1, 1, 1)
