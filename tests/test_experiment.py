"""The Ma & Fattahi experiment (search/experiment.py, cli/experiment.py): float evidence.

The tiny setting (d = 40, n = 30, a 3-sparse truth, 10% gross outliers, 1500 iterations)
is one where the paper's positive result predicts that depth >= 2 ends near the truth while
depth 1 (plain l1 regression by the sub-gradient method) does not; the assertions can fail.
"""
from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from landscape_proofs.errors import InputError
from landscape_proofs.search.experiment import (MaFattahiSetting, figure_error_curves,
                                                figure_final_error, parse_depths,
                                                parse_fractions, run_experiment, run_one)

TINY = MaFattahiSetting(depths=(1, 2), outlier_fractions=(0.1,), seeds=3, seed=0,
                        iterations=1500, dimension=40, measurements=30, sparsity=3)


@pytest.fixture(scope="module")
def tiny():
    return run_experiment(TINY)


def _runs(result, depth, p=0.1):
    return [r for r in result["runs"] if r["depth"] == depth and r["outlier_fraction"] == p]


def test_the_result_has_the_documented_shape(tiny):
    assert set(tiny) >= {"setting", "runs", "summary", "figures"}
    assert len(tiny["runs"]) == 2 * 1 * 3
    for r in tiny["runs"]:
        assert set(r) >= {"depth", "outlier_fraction", "seed", "final_error", "errors",
                          "balancedness", "flatness"}
        assert len(r["errors"]) == len(r["balancedness"]) == len(r["iterations"]) <= 100
        assert r["iterations"][0] == 0 and r["iterations"][-1] == TINY.iterations
        assert r["final_error"] == r["errors"][-1]
        assert r["outliers"] == 3  # round(0.1 * 30)
    assert [(s["depth"], s["outlier_fraction"]) for s in tiny["summary"]] == [(1, 0.1), (2, 0.1)]


def test_depth_two_ends_nearer_the_truth_than_depth_one_on_every_seed(tiny):
    one = {r["seed"]: r["final_error"] for r in _runs(tiny, 1)}
    two = {r["seed"]: r["final_error"] for r in _runs(tiny, 2)}
    assert one.keys() == two.keys() == {0, 1, 2}
    for seed in one:
        assert two[seed] < one[seed], (seed, one[seed], two[seed])
    # and by a wide margin in the median: l1 regression with n < d overfits the outliers
    assert np.median(list(two.values())) < 0.2 * np.median(list(one.values()))


def test_the_depth_two_error_curve_decreases_overall(tiny):
    E = np.median([r["errors"] for r in _runs(tiny, 2)], axis=0)
    q = len(E) // 4
    assert E[0] == pytest.approx(1.0, abs=1e-2)       # starts at init_scale * 1, far from theta*
    assert E[-1] < 0.2 * E[0]
    assert np.median(E[-q:]) < np.median(E[:q])


def test_the_depth_one_solution_has_lower_loss_than_the_truth(tiny):
    # the negative side: the sub-gradient method at depth 1 finds points the l1 loss prefers
    # to the truth (so the truth is not a global minimum on these instances)
    for r in _runs(tiny, 1):
        assert r["final_loss"] < r["truth_loss"]


def test_two_runs_give_identical_numbers_also_through_an_executor(tiny):
    assert run_experiment(TINY) == tiny
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert run_experiment(TINY, executor=pool) == tiny
    other = run_experiment(MaFattahiSetting(**{**TINY.to_json(), "seed": 7}))
    assert other["runs"][0]["final_error"] != tiny["runs"][0]["final_error"]


def test_balanced_initialization_stays_balanced():
    r = run_one(TINY.validated(), 2, 0.1, 0)
    assert max(r["balancedness"]) <= 1e-12


@pytest.mark.parametrize("depth", [2, 3])
def test_imbalance_at_initialization_does_not_grow(depth):
    # each step multiplies w_k^2 - w_{k+1}^2 by a factor in (0, 1] for a diagonal network
    # (the first-order terms cancel); a wrong gradient factor breaks it
    setting = MaFattahiSetting(**{**TINY.to_json(), "imbalance": 1e-2}).validated()
    r = run_one(setting, depth, 0.1, 0)
    b = r["balancedness"]
    assert b[0] > 0
    assert max(b) <= b[0] * (1 + 1e-9)


def test_deeper_end_points_are_flatter(tiny):
    # mean loss increase over random perturbations of radius 0.05: smaller for depth 2
    one = np.median([r["flatness"] for r in _runs(tiny, 1)])
    two = np.median([r["flatness"] for r in _runs(tiny, 2)])
    assert 0 < two < one


@pytest.mark.parametrize("change, field", [
    ({"depths": (0, 2)}, "depths[0]"),
    ({"depths": (1.5,)}, "depths[0]"),
    ({"depths": ()}, "depths"),
    ({"depths": (2, 2)}, "depths"),
    ({"outlier_fractions": (1.0,)}, "outlier_fractions[0]"),
    ({"outlier_fractions": (0.1, -0.1)}, "outlier_fractions[1]"),
    ({"outlier_fractions": (float("nan"),)}, "outlier_fractions[0]"),
    ({"iterations": 0}, "iterations"),
    ({"iterations": 10.0}, "iterations"),
    ({"seeds": 0}, "seeds"),
    ({"seed": -1}, "seed"),
    ({"sparsity": 41}, "sparsity"),
    ({"step_decay": 2.0}, "step_decay"),
])
def test_bad_settings_raise_input_error_naming_the_field(change, field):
    with pytest.raises(InputError) as exc:
        run_experiment(MaFattahiSetting(**{**TINY.to_json(), **change}))
    assert exc.value.field == field


@pytest.mark.parametrize("parse, text, field", [
    (parse_depths, "1,x", "--depths[1]"), (parse_depths, "1,,2", "--depths"),
    (parse_depths, "2.5", "--depths[0]"), (parse_fractions, "0.1,1", "--outliers[1]"),
    (parse_fractions, "a", "--outliers[0]"),
])
def test_bad_text_raises_input_error_naming_the_option(parse, text, field):
    with pytest.raises(InputError) as exc:
        parse(text)
    assert exc.value.field == field


def _main(argv, capsys):
    from landscape_proofs.cli import experiment, main

    commands = main.COMMANDS
    if experiment not in commands:  # until cli/main.py registers the command
        main.COMMANDS = commands + (experiment,)
    try:
        status = main.main(argv)
    finally:
        main.COMMANDS = commands
    return status, capsys.readouterr()


@pytest.mark.parametrize("argv, needle", [
    (["--depths", "0"], "--depths[0]"), (["--depths", "1,two"], "--depths[1]"),
    (["--outliers", "1.5"], "--outliers[0]"), (["--iterations", "0"], "--iterations"),
    (["--iterations", "3.5"], "--iterations"), (["--seeds", "x"], "--seeds"),
    (["--seed", "-2"], "--seed"), (["--depths", "2,2"], "--depths"),
])
def test_the_command_turns_bad_values_into_one_line_and_exit_2(argv, needle, capsys):
    status, out = _main(["experiment", "ma-fattahi", *argv], capsys)
    assert status == 2
    assert out.err.startswith("landscape: error: ") and out.err.count("\n") == 1
    assert needle in out.err and "Traceback" not in out.err


def test_the_command_prints_a_table_or_the_json(capsys, tmp_path):
    small = ["experiment", "ma-fattahi", "--depths", "1,2", "--outliers", "0.1", "--seeds", "1",
             "--iterations", "50"]
    status, out = _main(small, capsys)
    assert status == 0 and out.err == ""
    assert "median err" in out.out and "2 runs" in out.out
    status, out = _main(small + ["--json"], capsys)
    data = json.loads(out.out)
    assert [r["depth"] for r in data["runs"]] == [1, 2]
    assert data["setting"]["iterations"] == 50


def test_files_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    result = run_experiment(MaFattahiSetting(**{**TINY.to_json(), "iterations": 200,
                                                 "outlier_fractions": (0.0, 0.2)}),
                            out_dir=tmp_path)
    names = sorted(p.split("/")[-1] for p in result["figures"])
    assert names == ["error_vs_iteration.png", "error_vs_iteration.svg",
                     "final_error_vs_outliers.png", "final_error_vs_outliers.svg"]
    for p in result["figures"]:
        assert (tmp_path / p.split("/")[-1]).stat().st_size > 1000
    assert json.loads((tmp_path / "experiment.json").read_text()) == result
    with open(tmp_path / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result["runs"]) == 2 * 2 * 3
    assert float(rows[0]["final_error"]) == result["runs"][0]["final_error"]

    import matplotlib.pyplot as plt

    fig = figure_error_curves(result)
    assert len(fig.axes) == 2
    ax = fig.axes[1]
    assert ax.get_xlabel() == "iteration" and "0.2" in ax.get_title()
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["N = 1", "N = 2"]
    runs = [r for r in result["runs"] if r["depth"] == 2 and r["outlier_fraction"] == 0.2]
    np.testing.assert_allclose(lines[1].get_ydata(), np.median([r["errors"] for r in runs], axis=0))
    np.testing.assert_array_equal(lines[1].get_xdata(), runs[0]["iterations"])
    plt.close(fig)

    fig = figure_final_error(result)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "outlier fraction p" and ax.get_ylabel() == "final relative error"
    meds = [s["median_final_error"] for s in result["summary"] if s["depth"] == 1]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), meds)
    plt.close(fig)


def test_verify_recomputes_the_summary_of_an_experiment_file(tmp_path, monkeypatch):
    from landscape_proofs.api import verify

    monkeypatch.setattr("landscape_proofs.search.experiment.write_figures", lambda *a, **k: [])
    run_experiment(MaFattahiSetting(**{**TINY.to_json(), "iterations": 50, "seeds": 2}),
                   out_dir=tmp_path)
    path = tmp_path / "experiment.json"
    ok = verify(str(path))
    assert ok.holds and "4 runs" in ok.reason
    data = json.loads(path.read_text())
    data["summary"][0]["median_final_error"] *= 1.001      # a summary its runs do not give
    path.write_text(json.dumps(data))
    assert not verify(str(path)).holds


def test_without_matplotlib_the_files_are_written_and_the_figures_skipped(tmp_path, monkeypatch):
    import landscape_proofs.search.experiment as experiment

    monkeypatch.setattr(experiment, "_pyplot", lambda: None)
    result = run_experiment(MaFattahiSetting(**{**TINY.to_json(), "iterations": 20, "seeds": 1}),
                            out_dir=tmp_path)
    assert result["figures"] == []
    assert figure_error_curves(result) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment.json", "runs.csv",
                                                          "summary.csv"]


def test_run_on_data_is_the_run_of_run_one_and_works_on_exact_draws():
    from fractions import Fraction

    from landscape_proofs.families.robust_regression import RobustRegressionSetting, draw_instance
    from landscape_proofs.search.experiment import make_instance, run_on_data

    setting = MaFattahiSetting(**{**TINY.to_json(), "iterations": 300}).validated()
    X, y, theta, _ = make_instance(setting, 1, 0.1)
    a, b = run_one(setting, 2, 0.1, 1), run_on_data(setting, X, y, theta, 2, 1)
    assert a["errors"] == b["errors"] and a["flatness"] == b["flatness"]
    assert np.prod([b["theta"]], axis=0).shape == (setting.dimension,)
    # the same method on an exact draw of the robust-regression generator (n < d): depth 2 ends
    # nearer the truth than depth 1, which interpolates the outliers
    draw = draw_instance(RobustRegressionSetting(dimension=40, measurements=30, sparsity=3,
                                                 outlier_fraction=Fraction(1, 10)), 0)
    Xe = np.array([[float(v) for v in row] for row in draw.X]).T
    ye = np.array([float(v) for v in draw.y])
    te = np.array([float(v) for v in draw.theta_star])
    s = MaFattahiSetting(iterations=1500).validated()
    one, two = run_on_data(s, Xe, ye, te, 1), run_on_data(s, Xe, ye, te, 2)
    assert two["final_error"] < 0.1 < 1 < one["final_error"]
    assert one["final_loss"] < one["truth_loss"]          # depth 1 beats the truth's l1 loss
