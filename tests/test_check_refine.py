"""``landscape check --point P --refine``: the point of interest refined to a nearby critical
point first, as ``classify --refine`` does."""
from __future__ import annotations

import json

from landscape_proofs.cli.main import main

# 1/2 (ab - 2)^2: every ab = 2 is a global minimum; (1.0001, 1.9999) is not critical
PROBLEM = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[2]], "loss": "square"}
APPROX = {"weights": [[["1.0001"]], [["1.9999"]]]}


def _files(tmp_path):
    p, q = tmp_path / "p.json", tmp_path / "q.json"
    p.write_text(json.dumps(PROBLEM))
    q.write_text(json.dumps(APPROX))
    return str(p), str(q)


def _given(out) -> dict:
    return next(pt for pt in out["conclusion"]["evidence"]["points"]
                if pt["label"] == "the given point")


def test_refine_replaces_the_point_by_the_snapped_critical_point(tmp_path, capsys):
    p, q = _files(tmp_path)
    assert main(["check", "kawaguchi2016", p, "--point", q, "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    # 1.0001 * 1.9999 = 1.99999999 != 2: the point as written is not critical
    assert _given(plain)["kind"] == "not-critical"
    assert "refined_point" not in plain
    assert main(["check", "kawaguchi2016", p, "--point", q, "--refine", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    refined = out["refined_point"]
    assert refined["snapped"] is True and refined["kind"] == "global-minimum"
    a, b = (refined["certificate"]["point"]["weights"][i][0][0] for i in (0, 1))
    from fractions import Fraction

    assert Fraction(a) * Fraction(b) == 2                         # exactly on ab = 2
    assert _given(out)["kind"] == "global-minimum" and _given(out)["value"] in (0, "0")
    assert out["conclusion"]["status"] == plain["conclusion"]["status"]


def test_refine_needs_a_point_and_digits_need_refine(tmp_path, capsys):
    p, q = _files(tmp_path)
    assert main(["check", "kawaguchi2016", p, "--refine"]) == 2
    assert "--refine needs --point" in capsys.readouterr().err
    assert main(["check", "kawaguchi2016", p, "--point", q, "--digits", "50"]) == 2
    assert "--digits needs --refine" in capsys.readouterr().err


def test_refine_text_output_shows_the_refinement(tmp_path, capsys):
    p, q = _files(tmp_path)
    assert main(["check", "kawaguchi2016", p, "--point", q, "--refine", "--digits", "40"]) == 0
    text = capsys.readouterr().out
    assert "refined --point:" in text and "snapped to an exact rational critical point" in text
