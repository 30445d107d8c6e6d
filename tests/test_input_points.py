"""Point files: unknown fields and ambiguous layouts are refused with one line (exit 2),
never silently ignored; census's own options name themselves in their errors."""
import json

import pytest

from landscape_proofs.cli.main import main

PROBLEM = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}


@pytest.mark.parametrize("point, field", [
    ({"weights": [[[0]], [[0]]], "U": [[5]], "V": [[5]]}, "field U"),      # which one?
    ({"weights": [[[0]], [[0]]], "V": [[5]]}, "field V"),
    ({"weights": [[[0]], [[0]]], "extra": 1}, "field extra"),
])
def test_ambiguous_or_unknown_point_fields_exit_2(tmp_path, capsys, point, field):
    (tmp_path / "p.json").write_text(json.dumps(PROBLEM))
    (tmp_path / "w.json").write_text(json.dumps(point))
    assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err


def test_labels_of_example_points_and_the_u_v_layout_are_read(tmp_path, capsys):
    (tmp_path / "p.json").write_text(json.dumps(PROBLEM))
    # the origin: Hessian [[0, -1], [-1, 0]] (a strict saddle); U = V = 1: global (ab = 1)
    for point, kind in (({"weights": [[[0]], [[0]]], "name": "origin",
                          "expected": "strict-saddle"}, "strict-saddle"),
                        ({"U": [[1]], "V": [[1]]}, "global-minimum")):
        (tmp_path / "w.json").write_text(json.dumps(point))
        assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json"),
                     "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["kind"] == kind


@pytest.mark.parametrize("option, value", [("--timeout", "0"), ("--max-boxes", "x"),
                                           ("--algebra-timeout", "-1")])
def test_census_option_errors_name_the_option(tmp_path, capsys, option, value):
    (tmp_path / "p.json").write_text(json.dumps({**PROBLEM, "weight_decay": "1/2"}))
    assert main(["census", str(tmp_path / "p.json"), option, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err and "expected" in err and "invalid _" not in err


def test_a_data_file_of_another_kind_is_named_in_the_error(tmp_path, capsys):
    (tmp_path / "p.json").write_text(json.dumps({**PROBLEM, "widths": [2, 1, 1], "X": "data.txt",
                                                 "Y": [[1, 0]]}))
    (tmp_path / "w.json").write_text(json.dumps({"weights": [[[0, 0]], [[0]]]}))
    assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".npy or .csv" in err and "None" not in err
