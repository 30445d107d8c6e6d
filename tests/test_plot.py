"""Figures: `landscape plot`, `--plot` on search and census, `Result.plot()` (docs/plots.md).

Figures are float64 illustrations, so the tests check what is drawn against values derived by
hand (to 1e-12), the labels and titles, the files written and their determinism; not pixels.
"""
from __future__ import annotations

import json
import sys
from fractions import Fraction

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import landscape_proofs as lp  # noqa: E402
from landscape_proofs import api, viz  # noqa: E402
from landscape_proofs.cli.main import main  # noqa: E402

ABC = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square"}
AB = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
# 1/2 ||W_2 W_1 - diag(2, 1)||^2 with weight decay 1/2, hidden width 1: census by hand below
CENSUS_111 = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1]], "Y": [[1]],
              "loss": "square", "weight_decay": "1/2"}


def _files(tmp_path, problem, weights):
    p, w = tmp_path / "problem.json", tmp_path / "point.json"
    p.write_text(json.dumps(problem))
    w.write_text(json.dumps({"weights": weights}))
    return str(p), str(w)


def _lines(ax):
    """The drawn curves of a 1-D panel (markers excluded), by legend label."""
    return {ln.get_label(): ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1}


# --- what is drawn equals the mathematics ----------------------------------------------------
def test_abc_origin_descent_curve_is_half_t3_minus_1_squared():
    """(abc - 1)^2 / 2 at the origin: along the certified curve t(1,1,1) the loss is
    (t^3 - 1)^2 / 2, along the ascent curve -t(1,1,1) it is (t^3 + 1)^2 / 2."""
    r = lp.classify(ABC, [[[0]], [[0]], [[0]]])
    assert r.kind == "non-strict-saddle" and lp.verify(r).holds
    fig = r.plot()
    ax = fig.axes[0]
    assert fig._suptitle.get_text().startswith("non-strict-saddle, value 1/2")
    assert ax.get_xlabel() == "t" and ax.get_ylabel() == "loss L along the line"
    lines = list(_lines(ax).values())
    assert len(lines) == 2
    (c, a) = lines
    t = np.asarray(c.get_xdata())
    assert t.min() < 0 < t.max() and 0.0 in t
    sign = {"descent curve C": -1.0, "ascent curve A": 1.0}
    for ln in (c, a):
        s = sign[ln.get_label().split(": ")[1]]
        t = np.asarray(ln.get_xdata())
        np.testing.assert_allclose(ln.get_ydata(), 0.5 * (t ** 3 + s) ** 2, rtol=0, atol=1e-12)
    # the point is marked at t = 0 with its value 1/2
    dots = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1]
    assert any(list(d.get_xdata()) == [0.0] and list(d.get_ydata()) == [0.5] for d in dots)


def test_a_hand_made_curve_certificate_is_drawn_along_its_own_curve():
    """A certificate written by hand: the curve t(2,1,1) at the origin of (abc - 1)^2 / 2, so
    L = (2 t^3 - 1)^2 / 2 (lowest change -2 t^3 < 0): the kernel accepts it and the plot
    follows it, not a recomputed direction."""
    cert = {"format": "landscape-certificate/1", "claim": "non-strict-saddle", "problem": ABC,
            "point": {"weights": [[[0]], [[0]], [[0]]]}, "value": "1/2",
            "evidence": {"type": "descent-curve", "curve": [[[[2]], [[1]], [[1]]]],
                         "ascent_curve": [[[[-1]], [[1]], [[1]]]]}}
    assert lp.verify(cert).holds
    fig = lp.api.plot(cert, span=0.9)
    (curve, ascent) = _lines(fig.axes[0]).values()
    t = np.asarray(curve.get_xdata())
    assert t.min() == pytest.approx(-0.9) and t.max() == pytest.approx(0.9)
    np.testing.assert_allclose(curve.get_ydata(), 0.5 * (2 * t ** 3 - 1) ** 2, atol=1e-12, rtol=0)
    # ascent curve t(-1, 1, 1): product -t^3, loss (t^3 + 1)^2 / 2
    np.testing.assert_allclose(ascent.get_ydata(), 0.5 * (t ** 3 + 1) ** 2, atol=1e-12, rtol=0)


def test_strict_saddle_plane_is_the_two_evidence_directions():
    """ab-saddle at the origin: V = (1, 1), U = (1, -1); over the plane a = s + t, b = s - t,
    so L = (s^2 - t^2 - 1)^2 / 2."""
    r = lp.classify(AB, [[[0]], [[0]]])
    assert r.kind == "strict-saddle"
    fig = r.plot()
    assert len(fig.axes) == 3           # the line panel, the plane, its colour bar
    plane_ax = fig.axes[1]
    assert plane_ax.get_xlabel() == "s along V" and plane_ax.get_ylabel() == "t along U"
    assert plane_ax.get_title() == "L(W + s V + t U)"
    pic = viz.picture_of_certificate(r.certificate_json)
    (d1, _), (d2, _) = viz.plane(pic)
    s = np.linspace(-1.3, 1.3, 7)
    t = np.linspace(-0.7, 0.9, 5)
    S, T = np.meshgrid(s, t)
    np.testing.assert_allclose(pic.values_on_plane(d1, d2, s, t),
                               0.5 * (S ** 2 - T ** 2 - 1) ** 2, atol=1e-12, rtol=0)
    V, U = _lines(fig.axes[0]).values()
    x = np.asarray(V.get_xdata())
    np.testing.assert_allclose(V.get_ydata(), 0.5 * (x ** 2 - 1) ** 2, atol=1e-12, rtol=0)
    np.testing.assert_allclose(U.get_ydata(), 0.5 * (x ** 2 + 1) ** 2, atol=1e-12, rtol=0)


def test_spurious_minimum_marks_the_better_point_with_its_exact_value(tmp_path):
    """The better point of the bottleneck certificate is drawn at t = 1 with the value the
    exact classifier gives it; the segment starts at the point's value."""
    ex = api.example("bottleneck-weighted")
    problem, point = ex["problem"], ex["points"]["e1 e1^T"]
    r = lp.classify(problem, point)
    assert r.kind == "spurious-local-minimum"
    better = r.certificate_json["evidence"]["better_point"]
    exact_better = lp.classify(problem, better).value
    assert exact_better < r.value
    ax = r.plot().axes[0]
    marks = [ln for ln in ax.get_lines() if ln.get_label() == "the better point W'"]
    assert len(marks) == 1
    assert list(marks[0].get_xdata()) == [1.0]
    assert marks[0].get_ydata()[0] == pytest.approx(float(exact_better), abs=1e-12)
    (seg,) = _lines(ax).values()
    assert seg.get_ydata()[list(seg.get_xdata()).index(0.0)] == pytest.approx(float(r.value),
                                                                            abs=1e-12)


def test_no_certificate_uses_seeded_orthogonal_random_directions():
    """An inconclusive point (no evidence) is drawn along two orthonormal directions drawn
    from numpy's default_rng with the given seed: the same seed gives the same directions."""
    sextic = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1]], "Y": [[0]],
              "loss": {"name": "power", "p": 6}}
    problem = api.as_problem(sextic)
    point = api.as_point([[[0]], [[0]]], problem)
    pic = viz.picture_of_point(problem, point, "inconclusive")
    (d1, l1), (d2, l2) = viz.plane(pic, seed=3)
    assert l1.startswith("R1 (random, seed 3)") and l2.startswith("R2 (random, seed 4)")
    assert abs(d1 @ d2) < 1e-12 and np.linalg.norm(d1) == pytest.approx(1.0)
    (e1, _), (e2, _) = viz.plane(pic, seed=3)
    assert np.array_equal(d1, e1) and np.array_equal(d2, e2)
    # (ab)^6 / 6 along d: (t^2 d_a d_b)^6 / 6
    ts = np.linspace(-1, 1, 9)
    line = viz.Line("d", "d", (d1,))
    np.testing.assert_allclose(pic.values_along(line, ts), (ts ** 2 * d1[0] * d1[1]) ** 6 / 6,
                               atol=1e-12, rtol=0)


def test_result_plot_into_given_axes_and_path(tmp_path):
    from matplotlib.figure import Figure

    r = lp.classify(AB, [[[0]], [[0]]])
    fig = Figure()
    ax = fig.subplots()
    assert r.plot(ax=ax) is fig
    assert ax.get_title().startswith("strict-saddle, value 1/2")
    out = tmp_path / "r.png"
    assert isinstance(r.plot(out), Figure)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the command -----------------------------------------------------------------------------
def test_cli_plot_writes_deterministic_svg_and_png(tmp_path, capsys):
    p, w = _files(tmp_path, ABC, [[[0]], [[0]], [[0]]])
    outs = []
    for k in range(2):
        out = tmp_path / f"f{k}.svg"
        assert main(["plot", p, w, "--out", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].startswith(b"<?xml")
    assert "non-strict-saddle: figure written to" in capsys.readouterr().out
    pngs = []
    for k in range(2):
        out = tmp_path / f"f{k}.png"
        assert main(["plot", p, w, "--out", str(out)]) == 0
        pngs.append(out.read_bytes())
    assert pngs[0] == pngs[1] and pngs[0][:4] == b"\x89PNG"


def test_cli_plot_with_certificate_follows_it(tmp_path, capsys):
    p, w = _files(tmp_path, AB, [[[0]], [[0]]])
    cert = tmp_path / "c.json"
    assert main(["classify", p, w, "--certificate", str(cert)]) == 0
    out = tmp_path / "c.svg"
    assert main(["plot", p, w, "--certificate", str(cert), "--out", str(out)]) == 0
    assert "strict-saddle: figure written to" in capsys.readouterr().out
    # the same bytes as drawing the certificate through the API
    again = tmp_path / "again.svg"
    api.plot(str(cert), path=again)
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("extra, message", [
    (["--out", "f.pdf"], "--out: expected a file name ending in .png or .svg"),
    (["--out", "f.png", "--span", "0"], "argument --span: expected a number in (0, 1e6], got '0'"),
    (["--out", "f.png", "--span", "x"], "argument --span: expected a number > 0, got 'x'"),
    (["--out", "f.png", "--certificate", "missing.json"], "missing.json"),
    (["--out", "no/such/dir/f.png"], "cannot write the figure"),
])
def test_cli_plot_bad_input_exits_2_with_one_line(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    p, w = _files(tmp_path, AB, [[[0]], [[0]]])
    assert main(["plot", p, w] + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("landscape: error:") and message in err


def test_cli_plot_refuses_a_certificate_of_another_point(tmp_path, capsys):
    p, w = _files(tmp_path, AB, [[[0]], [[0]]])
    cert = tmp_path / "c.json"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"weights": [[[2]], [["1/2"]]]}))
    assert main(["classify", p, str(other), "--certificate", str(cert)]) == 0
    capsys.readouterr()
    assert main(["plot", p, w, "--certificate", str(cert), "--out",
                 str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "another point than POINT" in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_cli_plot_without_matplotlib_says_how_to_install(tmp_path, capsys, monkeypatch):
    p, w = _files(tmp_path, AB, [[[0]], [[0]]])
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import fails
    assert main(["plot", p, w, "--out", str(tmp_path / "f.png")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == 'landscape: error: plots need matplotlib: pip install ' \
                          '"landscape-proofs[plot]"'


def test_plot_refuses_census_certificates_and_huge_numbers():
    with pytest.raises(lp.api.InputError, match="about one point"):
        viz.picture_of_certificate({"claim": "census", "problem": AB})
    cert = {"claim": "strict-saddle", "problem": AB,
            "point": {"weights": [[[str(10 ** 400)]], [[0]]]}, "evidence": {}}
    with pytest.raises(lp.api.InputError, match="small enough to plot"):
        viz.picture_of_certificate(cert)
    bad = {"claim": "strict-saddle", "problem": AB, "point": {"weights": [[[0]], [[0]]]},
           "evidence": {"direction": [[[1, 2]], [[1]]]}}
    with pytest.raises(lp.api.InputError, match="evidence.direction"):
        viz.picture_of_certificate(bad)


# --- search and census figures ---------------------------------------------------------------
def _scatter(fig):
    ax = fig.axes[0]
    return {c.get_label(): np.asarray(c.get_offsets()) for c in ax.collections}


def test_census_plot_matches_the_json_and_the_hand_count(tmp_path, capsys):
    """widths [1,1,1], X = Y = 1, lam = 1/2 (docs/census.md, tests/test_census.py): the origin
    (value 1/2, one negative eigenvalue) and a = b = +-sqrt(1/2) (value 3/8, minima)."""
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(CENSUS_111))
    out = tmp_path / "census.svg"
    assert main(["census", str(prob), "--json", "--plot", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"] is True
    fig = api.plot(summary)
    pts = _scatter(fig)
    assert set(pts) == {"global-minimum (2)", "strict-saddle (1)"}
    np.testing.assert_allclose(pts["global-minimum (2)"], [[0, 0.375], [0, 0.375]], atol=1e-12)
    np.testing.assert_allclose(pts["strict-saddle (1)"], [[1, 0.5]], atol=1e-12)
    assert fig.axes[0].get_xlabel() == "Hessian index (negative eigenvalues)"
    # the file the command wrote is this very figure
    again = tmp_path / "again.svg"
    viz.save_figure(fig, again)
    assert again.read_bytes() == out.read_bytes()


def test_search_plot_matches_the_json(tmp_path, capsys):
    """The 3-1-3 Baldi-Hornik instance: the groups' exact values are among the hand-derived
    critical values 5, 13, 17, 35/2 (docs/examples.md); the scatter is (group id, value)."""
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps({"family": "deep-linear", "widths": [3, 1, 3],
                                "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"}))
    out = tmp_path / "search.png"
    assert main(["search", str(prob), "--starts", "30", "--json", "--no-progress",
                 "--plot", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert out.read_bytes()[:4] == b"\x89PNG"
    pts = _scatter(api.plot(summary))
    drawn = sorted((float(x), float(y)) for arr in pts.values() for x, y in arr)
    want = sorted((float(g["id"]), float(Fraction(g["value"]))) for g in summary["groups"])
    assert drawn == want
    assert {y for _, y in drawn} <= {5.0, 13.0, 17.0, 17.5} and 5.0 in {y for _, y in drawn}
    counts = {}
    for g in summary["groups"]:
        counts[g["kind"]] = counts.get(g["kind"], 0) + 1
    assert set(pts) == {f"{k} ({n})" for k, n in counts.items()}


def test_search_and_census_refuse_a_bad_plot_name_before_working(tmp_path, capsys):
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps(CENSUS_111))
    for cmd in (["census"], ["search", "--starts", "2"]):
        assert main(cmd[:1] + [str(prob)] + cmd[1:] + ["--plot", "x.jpg"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("landscape: error: --plot: expected a file name ending in .png")


def test_enclosure_certificate_is_drawn_around_its_center():
    """1/2 (ab - 1)^2 + 1/4 (a^2 + b^2) has its minima at a = b = +-1/sqrt(2) (irrational), value
    3/8: refined from 0.7071, the certificate is an enclosure; the figure is centred on its
    center and the value there is 3/8."""
    r = lp.classify(CENSUS_111, [[["0.7071"]], [["0.7071"]]], refine=True, digits=40)
    cert = r.certificate_json
    assert "center" in cert["point"] and lp.verify(cert).holds
    pic = viz.picture_of_certificate(cert)
    np.testing.assert_allclose(pic.point, [2 ** -0.5, 2 ** -0.5], atol=1e-15)
    fig = r.plot()
    assert "value ~0.375 (enclosed" in fig._suptitle.get_text()
    dot = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "the point W (t = 0)"]
    assert dot[0].get_ydata()[0] == pytest.approx(0.375, abs=1e-12)


def test_cli_plot_json_says_what_was_drawn(tmp_path, capsys):
    p, w = _files(tmp_path, AB, [[[0]], [[0]]])
    out = tmp_path / "f.svg"
    assert main(["plot", p, w, "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"kind": "strict-saddle", "value": "1/2", "figure": str(out),
                    "lines": ["L(W + tV): negative-curvature direction V",
                              "L(W + tU): ascent direction U"],
                    "plane": ["s along V", "t along U"]}
    assert out.read_bytes().startswith(b"<?xml")


def test_multi_tower_lines_use_that_family_objective():
    """Two towers 2-1-2, X = I, Y = diag(3, 1), at 0: the certificate's V moves tower 1 to
    W_1 = t e1^T, W_2 = t e1, so R = t^2 e1 e1^T and L = ((t^2 - 3)^2 + 1) / 2."""
    problem = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 1, 2]], "X": [[1, 0], [0, 1]],
               "Y": [[3, 0], [0, 1]], "loss": "square"}
    cert = {"format": "landscape-certificate/1", "claim": "strict-saddle", "problem": problem,
            "point": {"weights": [[[0, 0]], [[0], [0]], [[0, 0]], [[0], [0]]]}, "value": 5,
            "evidence": {"type": "negative-curvature",
                         "direction": [[[1, 0]], [[1], [0]], [[0, 0]], [[0], [0]]],
                         "ascent_direction": [[[1, 0]], [[-1], [0]], [[0, 0]], [[0], [0]]]}}
    assert lp.verify(cert).holds            # written by hand, accepted by the kernel
    line = _lines(lp.api.plot(cert).axes[0])["L(W + tV): negative-curvature direction V"]
    t = np.asarray(line.get_xdata())
    np.testing.assert_allclose(line.get_ydata(), ((t ** 2 - 3) ** 2 + 1) / 2, atol=1e-12, rtol=0)


def test_cli_plot_refuses_a_shallow_rank_problem(tmp_path, capsys):
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps({"family": "shallow-rank", "shape": [2, 2], "rank": 1,
                                "Y": [[2, 0], [0, 1]], "loss": "square"}))
    pt = tmp_path / "r.json"
    pt.write_text(json.dumps({"R": [[2, 0], [0, 0]]}))
    assert main(["plot", str(prob), str(pt), "--out", str(tmp_path / "f.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "points are lists of layers" in err
    assert not (tmp_path / "f.png").exists()


def test_huge_directions_are_rescaled_to_the_same_curve():
    """ab-saddle at 0 with V = 10^4 (1, 1): drawn as t -> (t, t) (t rescaled by 10^4), so the
    line is still (t^2 - 1)^2 / 2; the kernel accepts the certificate either way."""
    cert = {"format": "landscape-certificate/1", "claim": "strict-saddle", "problem": AB,
            "point": {"weights": [[[0]], [[0]]]}, "value": "1/2",
            "evidence": {"type": "negative-curvature", "direction": [[[10000]], [[10000]]],
                         "ascent_direction": [[[1]], [["-1"]]]}}
    assert lp.verify(cert).holds
    lines = _lines(lp.api.plot(cert).axes[0])
    V = lines["L(W + tV): negative-curvature direction V (rescaled)"]
    t = np.asarray(V.get_xdata())
    assert t.max() == pytest.approx(0.75)
    np.testing.assert_allclose(V.get_ydata(), 0.5 * (t ** 2 - 1) ** 2, atol=1e-12, rtol=0)
