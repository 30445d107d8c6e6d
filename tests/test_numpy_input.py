"""NumPy in: .npz point files, X / Y from .npy or .csv files, arrays in the Python API.

A float64 is read as the rational it *is* (0.1 -> 3602879701896397 / 2^55); CSV text is read
as the decimal it spells (0.1 -> 1/10)."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import landscape_proofs as lp
from landscape_proofs.cli.main import main
from landscape_proofs.families.io import load_point, load_problem


def _problem(tmp_path, **fields):
    data = {"family": "deep-linear", "widths": [2, 1, 2], "loss": "square"}
    data.update(fields)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    return path


def test_npz_points_are_their_exact_binary_values(tmp_path):
    np.savez(tmp_path / "w.npz", W1=np.array([[0.5, 0.1]]), W2=np.array([[1.0], [0.0]]))
    problem = load_problem(_problem(tmp_path, Y=[[1, 0], [0, 1]]))
    point = load_point(tmp_path / "w.npz", problem)
    assert point.weights[0] == ((Fraction(1, 2), Fraction(0.1)),)
    assert Fraction(0.1) == Fraction(3602879701896397, 2 ** 55) != Fraction(1, 10)
    assert point.weights[1] == ((Fraction(1),), (Fraction(0),))


def test_x_and_y_from_csv_are_exact_decimals_and_from_npy_exact_binaries(tmp_path):
    (tmp_path / "y.csv").write_text("1, 0\n0, 0.1\n")
    p = load_problem(_problem(tmp_path, Y="y.csv"))
    assert p.Y == ((1, 0), (0, Fraction(1, 10)))
    np.save(tmp_path / "y.npy", np.array([[1.0, 0.0], [0.0, 0.1]]))
    q = load_problem(_problem(tmp_path, Y="y.npy"))
    assert q.Y[1][1] == Fraction(0.1)


def test_a_float_npz_point_gets_the_refine_hint_and_refine_certifies(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", W1=np.array([[0.9, 0.1]]), W2=np.array([[1.1], [0.0]]))
    problem = _problem(tmp_path, Y=[[1, 0], [0, Fraction(1, 2).__str__()]])
    assert main(["classify", str(problem), str(tmp_path / "w.npz")]) == 0
    out = capsys.readouterr().out
    assert "not-critical" in out and "exact binary values" in out and "--refine" in out
    assert main(["classify", str(problem), str(tmp_path / "w.npz"), "--refine"]) == 0
    assert "global-minimum" in capsys.readouterr().out     # keeps the eigenvalue 1 of Y


@pytest.mark.parametrize("bad", ["nan", "names", "bool"])
def test_bad_arrays_are_one_line_errors(tmp_path, capsys, bad):
    problem = _problem(tmp_path, Y=[[1, 0], [0, 1]])
    if bad == "nan":
        np.savez(tmp_path / "w.npz", W1=np.array([[np.nan, 0.0]]), W2=np.array([[1.0], [0.0]]))
    elif bad == "names":
        np.savez(tmp_path / "w.npz", A=np.array([[1.0, 0.0]]), W2=np.array([[1.0], [0.0]]))
    else:
        np.savez(tmp_path / "w.npz", W1=np.array([[True, False]]), W2=np.array([[1.0], [0.0]]))
    assert main(["classify", str(problem), str(tmp_path / "w.npz")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_python_api_takes_arrays():
    ab = {"family": "deep-linear", "widths": [1, 1, 1], "Y": np.array([[1]]), "loss": "square"}
    r = lp.classify(ab, [np.array([[0.0]]), np.array([[0.0]])])
    assert r.kind.value == "strict-saddle" and r.value == Fraction(1, 2)
    r = lp.classify(ab, {"weights": [np.array([[2]]), np.array([[0.5]])]})
    assert r.kind.value == "global-minimum" and r.value == 0


@pytest.mark.parametrize("decay, kind, value", [
    # 1/2 (ab - 1)^2 + lam/2 (a^2 + b^2) at 0: value 1/2.  lam = 1: L >= 1/2 (R - 1)^2 + |R|,
    # least at R = 0 (global); lam = 1/2: 1/2 (R - 1)^2 + |R|/2 is 3/8 at R = 1/2 (a saddle)
    (np.int64(1), "global-minimum", Fraction(1, 2)),
    (np.float64(0.5), "strict-saddle", Fraction(1, 2)),
    ([np.array([[1.0]]), np.array([[1]])], "global-minimum", Fraction(1, 2)),
])
def test_the_python_api_takes_numpy_weight_decays(decay, kind, value):
    ab = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
          "weight_decay": decay}
    r = lp.classify(ab, [np.array([[0]]), np.array([[0]])])
    assert r.kind.value == kind and r.value == value


def test_a_nan_in_the_weights_names_its_matrix():
    ab = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
    from landscape_proofs.errors import InputError

    with pytest.raises(InputError, match=r"weights\[1\].*finite"):
        lp.classify(ab, [np.array([[0.5]]), np.array([[np.nan]])])
