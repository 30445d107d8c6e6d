"""Runs of an irrational limit point gauge-fixed exactly into one certified box (issue 12, item 6).

``search`` certifies an irrational critical point by an interval enclosure on a coordinate
slice ``Sigma = {W_P = c_P}``.  Each run's float endpoint is moved along its orbit, exactly,
onto ``Sigma`` (``search/dedupe.py``, ``SliceGauge``), and a wider box ``H`` with the same
center, slice and claim holding those endpoints is accepted by the kernel: ``H`` holds one
critical point of the slice, the certified one.  Expected values are derived by hand in the
comments; the golden bottleneck is widths 2-1-2, ``X = I``, ``Y = [[2, 1], [1, 1]]``, whose
global value is ``(7 - 3 sqrt5)/4`` (docs/enclosures.md).
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.numbers import format_exact, parse_exact
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce.refined import widened_enclosure
from landscape_proofs.search.boxes import orbit_boxes
from landscape_proofs.search.dedupe import NotGaugeFixable, SliceGauge
from landscape_proofs.search.multistart import LimitPointGroup, SearchConfig, search
from landscape_proofs.search.snap import certify_limit_point

GOLDEN = {"family": "deep-linear", "widths": [2, 1, 2], "Y": [[2, 1], [1, 1]], "loss": "square"}
F = Fraction


def _problem(**d):
    return problem_from_dict(d)


def _cert(center, free):
    """The part of an enclosure certificate that SliceGauge reads."""
    return {"point": {"center": center, "free": free, "radius": "1/1024"}}


def _q(values):
    return [F(int(v.p), int(v.q)) for v in values]


# --- exact gauge fixing, by hand -------------------------------------------------------------
def test_one_hidden_layer_is_gauge_fixed_exactly_from_either_side():
    # widths 2-1-2: the orbit of (W_1, W_2) = ((a, b), (p, q)^T) is ((t a, t b), (p/t, q/t)^T).
    # Frozen W_1[0,0] = 3: t = 3/a.  x = (1/2, 5/4; 2, -3): t = 6, y = (3, 15/2; 1/3, -1/2).
    p = _problem(**GOLDEN)
    x = np.array([0.5, 1.25, 2.0, -3.0])
    y = _q(SliceGauge(p, _cert([[["3", "5"]], [["7"], ["11"]]], [1, 2, 3])).fix(x))
    assert y == [3, F(15, 2), F(1, 3), F(-1, 2)]
    # Frozen W_2[1,0] = 11: q/t = 11, t = -3/11: y = (-3/22, -15/44; -22/3, 11)
    y = _q(SliceGauge(p, _cert([[["3", "5"]], [["7"], ["11"]]], [0, 1, 2])).fix(x))
    assert y == [F(-3, 22), F(-15, 44), F(-22, 3), 11]
    # the product W_2 W_1 is unchanged: (p, q)^T (a, b) = (-22/3, 11)^T (-3/22, -15/44)
    assert [y[2] * y[0], y[2] * y[1], y[3] * y[0], y[3] * y[1]] == [1, F(5, 2), F(-3, 2),
                                                                    F(-15, 4)]


def test_two_hidden_layers_sweep_up_to_a_free_layer_and_down_to_it():
    # widths 2-1-1-2, frozen W_1[0,1] = 2 and W_3[0,0] = 5, W_2 free (the split layer).
    # x: W_1 = (1, 4), W_2 = 3, W_3 = (1/2, 2)^T.  Bottom-up A_1 * 4 = 2: A_1 = 1/2,
    # y_1 = (1/2, 2); top-down (1/2) B = 5: B = A_2^{-1} = 10, y_3 = (5, 20)^T;
    # y_2 = A_2 W_2 A_1^{-1} = (1/10) 3 (2) = 3/5.
    p = _problem(family="deep-linear", widths=[2, 1, 1, 2], Y=[[0, 0], [0, 0]], loss="square")
    gauge = SliceGauge(p, _cert([[["7", "2"]], [["7"]], [["5"], ["7"]]], [0, 2, 4]))
    y = _q(gauge.fix(np.array([1.0, 4.0, 3.0, 0.5, 2.0])))
    assert y == [F(1, 2), 2, F(3, 5), 5, 20]
    # max over the free coordinates of |y - c| = max(|1/2 - 7|, |3/5 - 7|, |20 - 7|) = 13
    assert gauge.distance(np.array([1.0, 4.0, 3.0, 0.5, 2.0])) == 13


def test_patterns_without_a_linear_gauge_fixing_are_refused():
    p = _problem(**GOLDEN)
    # every layer has a frozen coordinate: the one gauge would be fixed by two layers at once
    with pytest.raises(NotGaugeFixable, match="every layer"):
        SliceGauge(p, _cert([[["3", "5"]], [["7"], ["11"]]], [1, 2]))
    # weight decay: only orthogonal maps are symmetries; O(1) = {+-1} has no continuous part,
    # so a slice that freezes a coordinate is not one of its slices
    decayed = _problem(**GOLDEN, weight_decay="1/10")
    with pytest.raises(NotGaugeFixable, match="sign flips"):
        SliceGauge(decayed, _cert([[["3", "5"]], [["7"], ["11"]]], [1, 2, 3]))
    # O(2) (hidden width 2) would need rational orthogonal maps
    wide = _problem(family="deep-linear", widths=[1, 2, 1], Y=[[1]], loss="square",
                    weight_decay="1/10")
    with pytest.raises(NotGaugeFixable, match="orthogonal"):
        SliceGauge(wide, _cert([[["3"], ["5"]], [["7", "11"]]], [0, 1, 2, 3]))
    # W_1[0,0] = 0 at the run: t * 0 = 3 has no solution, so no map (not a wrong one)
    gauge = SliceGauge(p, _cert([[["3", "5"]], [["7"], ["11"]]], [1, 2, 3]))
    assert gauge.fix(np.array([0.0, 1.0, 2.0, 3.0])) is None


# --- the golden bottleneck through search --------------------------------------------------
def _ge_sqrt(q: Fraction, n: int) -> bool:
    return q >= 0 and q * q >= n


@pytest.fixture(scope="module")
def golden_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("golden")
    prob = d / "golden.json"
    prob.write_text(json.dumps(GOLDEN))
    assert main(["search", str(prob), "--starts", "30", "--seed", "0",
                 "--out", str(d / "out")]) == 0
    return d / "out"


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_golden_run_lands_in_one_certified_box_and_verify_accepts_the_folder(golden_dir):
    data = _read(golden_dir / "search.json")
    assert len(data["groups"]) == 1
    g = data["groups"][0]
    assert g["kind"] == "global-minimum" and g["starts"] == data["converged"] == 30
    assert g["runs_in_certified_box"] == 30
    cert, box = _read(golden_dir / g["certificate_file"].split("/")[-1]), \
        _read(golden_dir / g["box_certificate_file"].split("/")[-1])
    # same slice and center; H holds X and the farthest run, which X alone does not
    assert box["point"]["center"] == cert["point"]["center"]
    assert box["point"]["free"] == cert["point"]["free"]
    r, rx, far = (parse_exact(v) for v in (box["point"]["radius"], cert["point"]["radius"],
                                            g["box_farthest"]))
    assert rx < far <= r
    # the box's value enclosure contains the global value (7 - 3 sqrt5)/4:
    # lo <= (7 - 3 sqrt5)/4  <=>  (7 - 4 lo)/3 >= sqrt5
    lo, hi = parse_exact(box["value"]["lower"]), parse_exact(box["value"]["upper"])
    assert _ge_sqrt((7 - 4 * lo) / 3, 5) and not _ge_sqrt((7 - 4 * hi) / 3, 5)
    assert check_certificate(box).valid
    assert main(["verify", *map(str, sorted(golden_dir.glob("*.json")))]) == 0


@pytest.mark.parametrize("tamper", ["shrunk", "moved", "swollen", "farthest", "count"])
def test_a_tampered_box_is_rejected(golden_dir, tmp_path, tamper, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(golden_dir, out)
    data = _read(out / "search.json")
    g = data["groups"][0]
    for key in ("certificate_file", "box_certificate_file"):   # the copies, not the originals
        g[key] = str(out / g[key].split("/")[-1])
    box_path = out / g["box_certificate_file"].split("/")[-1]
    box = _read(box_path)
    r, far = parse_exact(box["point"]["radius"]), parse_exact(g["box_farthest"])
    if tamper == "shrunk":
        # a true smaller box around the point (the kernel accepts it on its own), but the
        # farthest run is no longer in it: the summary's claim fails
        box["point"]["radius"] = format_exact(far / 2)
        assert check_certificate(box).valid
    elif tamper == "moved":
        # the center moved off the point by 4 radii in a free coordinate: no root in the box
        p = box["point"]["free"][0]
        flat = [v for W in box["point"]["center"] for row in W for v in row]
        shapes = [(len(W), len(W[0])) for W in box["point"]["center"]]
        flat[p] = format_exact(parse_exact(flat[p]) + 4 * r)
        it = iter(flat)
        box["point"]["center"] = [[[next(it) for _ in range(c)] for _ in range(rr)]
                                  for rr, c in shapes]
        assert not check_certificate(box).valid
    elif tamper == "swollen":
        # radius 4: the slice box then holds other critical points too (Krawczyk fails)
        box["point"]["radius"] = 4
        box.pop("value")
        assert not check_certificate(box).valid
    elif tamper == "farthest":
        g["box_farthest"] = format_exact(2 * r)       # a run said to be outside the box
    else:
        g["runs_in_certified_box"] = g["starts"] + 1  # more runs in the box than the group has
    (out / "search.json").write_text(json.dumps(data))
    box_path.write_text(json.dumps(box))
    capsys.readouterr()
    assert main(["verify", str(out / "search.json")]) == 1
    assert "box" in capsys.readouterr().out


# --- distinct orbits are never merged ----------------------------------------------------------
def _group(p, x, gid, members):
    c = certify_limit_point(p, x, (1, 1, 1))
    assert c.certified and c.point is None          # irrational: an enclosure
    return LimitPointGroup(id=gid, starts=len(members), representative=int(members[0]),
                           value_approx=0.0, rank_profile=(1, 1, 1), certified=True,
                           kind=c.kind, value=None, route=c.route, distance=None,
                           reason=c.reason, point=None, certificate=c.certificate,
                           value_enclosure=c.value_enclosure)


@pytest.mark.parametrize("saddle_certified", [True, False])
def test_the_golden_minimum_and_saddle_are_never_merged_and_no_box_holds_both(saddle_certified):
    # Y = [[2, 1], [1, 1]]: eigenvalues l = (3 + sqrt5)/2 (eigenvector (1, (sqrt5 - 1)/2)) and
    # m = (3 - sqrt5)/2 (eigenvector (1, -(1 + sqrt5)/2)).  W_1 = sqrt(l) u^T, W_2 = sqrt(l) u
    # is the global minimum, the same with (m, v) a strict saddle of value (7 + 3 sqrt5)/4.
    # Both float groups get value_approx 0 here, so only the boxes can keep them apart.
    p = _problem(**GOLDEN)
    s5 = math.sqrt(5)
    pts = []
    for lam, vec in (((3 + s5) / 2, (1, (s5 - 1) / 2)), ((3 - s5) / 2, (1, -(1 + s5) / 2))):
        u = np.array(vec) / np.linalg.norm(vec)
        w = math.sqrt(lam)
        pts.append(np.concatenate([w * u, w * u]))
    x = np.array([pts[0], pts[0] * [2, 2, 0.5, 0.5], pts[1], pts[1] * [-3, -3, -1 / 3, -1 / 3]])
    gmin, gsad = _group(p, x[0], 1, [0, 1]), _group(p, x[2], 2, [2, 3])
    assert gmin.kind is Kind.GLOBAL_MINIMUM and gsad.kind is Kind.STRICT_SADDLE
    if not saddle_certified:       # a float group with no proof: its runs are offered to the box
        gsad = replace(gsad, certified=False, kind=None, certificate=None)
    groups, members = orbit_boxes(p, [gmin, gsad], [np.array([0, 1]), np.array([2, 3])], x,
                                  tol=10.0)
    assert len(groups) == 2 and [g.runs_in_certified_box for g in groups] == \
        [2, 2 if saddle_certified else None]
    assert [sorted(m.tolist()) for m in members] == [[0, 1], [2, 3]]
    # a box on the minimum's slice wide enough to hold the saddle's gauge-fixed runs is
    # refused: it would hold two critical points of the slice
    d = SliceGauge(p, gmin.certificate).distance(x[2])
    wide = widened_enclosure(gmin.certificate, F(2) ** math.ceil(math.log2(2 * float(d))))
    assert not check_certificate(wide).valid


def test_equal_values_on_different_orbits_stay_two_groups():
    # l(R) = (R^2 - 2)^2 over scalar depth 2: minima a b = sqrt2 and a b = -sqrt2, both of
    # value 0, different products (the gauge t keeps a b): two orbits, never one group
    p = _problem(family="deep-linear", widths=[1, 1, 1],
                 loss={"name": "custom", "expression": "(R_0_0**2 - 2)**2", "over": "product"})
    r = search(p, SearchConfig(starts=20, seed=0))
    assert len(r.groups) == 2 and sum(g.starts for g in r.groups) == r.converged == 20
    signs = set()
    for g in r.groups:
        assert g.certified and g.runs_in_certified_box == g.starts
        a, b = (parse_exact(W[0][0]) for W in g.certificate["point"]["center"])
        signs.add(a * b > 0)
        assert abs(float(a * b) ** 2 - 2) < 1e-9
    assert signs == {True, False}


def test_float_groups_of_one_orbit_are_merged_by_the_box():
    # a dedupe tolerance of 1e-14 splits the 20 golden runs into many float groups (their
    # products differ at 1e-10); each is certified, and all land in one box: one group
    p = _problem(**GOLDEN)
    r = search(p, SearchConfig(starts=20, seed=0, dedupe_tol=1e-14))
    assert len(r.groups) == 1
    g = r.groups[0]
    assert g.subgroups > 1 and g.starts == g.runs_in_certified_box == r.converged == 20
    assert "merged" in g.box_reason
    assert check_certificate(json.loads(json.dumps(g.box_certificate))).valid


def test_weight_decay_runs_are_sign_flipped_into_the_certified_box():
    # scalar depth 3, Y = 1, decay 1/10: the global minimum a = b = c = s, s^4 - s + 1/10 = 0,
    # is irrational; its gauge is {+-1}^2 (orthogonal, finite): runs ending at (s, -s, -s),
    # (-s, -s, s), ... are mapped exactly by hidden-unit sign flips
    p = _problem(family="deep-linear", widths=[1, 1, 1, 1], Y=[[1]], loss="square",
                 weight_decay="1/10")
    r = search(p, SearchConfig(starts=20, seed=0))
    by_kind = {g.kind: g for g in r.groups}
    g = by_kind[Kind.GLOBAL_MINIMUM]
    assert g.runs_in_certified_box == g.starts and "sign flips" in g.box_reason
    assert check_certificate(g.box_certificate).holds
    # flipping hidden unit 1 (W_1, W_2 -> -W_1, -W_2) is undone exactly by the gauge fixing
    c = [float(F(str(W[0][0]))) for W in g.certificate["point"]["center"]]
    y = SliceGauge(p, g.certificate).fix(np.array([-c[0], -c[1], c[2]]))
    assert [F(str(v)) for v in y] == [F(v) for v in c]
    # the origin (value 1/2, exact) is covered by snapping, not by a box
    origin = by_kind[Kind.SPURIOUS_LOCAL_MINIMUM]
    assert origin.runs_in_certified_box is None and origin.value == F(1, 2)


def test_an_uncertified_float_group_on_the_same_orbit_joins_the_certified_box():
    # runs 2, 3 end at gauge images (t = 5, t = -1) of the golden minimum: a float group
    # that was not certified on its own is merged, all four runs in the box
    p = _problem(**GOLDEN)
    s5 = math.sqrt(5)
    u = np.array([1, (s5 - 1) / 2]) / np.linalg.norm([1, (s5 - 1) / 2])
    w = math.sqrt((3 + s5) / 2)
    m = np.concatenate([w * u, w * u])
    x = np.array([m, m * [2, 2, 0.5, 0.5], m * [5, 5, 0.2, 0.2], -m])
    gmin = _group(p, x[0], 1, [0, 1])
    lost = replace(gmin, id=2, certified=False, kind=None, certificate=None)
    groups, members = orbit_boxes(p, [gmin, lost], [np.array([0, 1]), np.array([2, 3])], x)
    assert len(groups) == 1 and sorted(members[0].tolist()) == [0, 1, 2, 3]
    g = groups[0]
    assert g.certified and g.starts == g.runs_in_certified_box == 4 and g.subgroups == 2


def test_a_slice_frozen_in_every_layer_is_replaced_by_an_echelon_slice(tmp_path):
    # widths 4-2-4, Y symmetric with eigenvalues of multiplicity one: the best rank-2
    # truncation is irrational.  The refinement's slice freezes entries of both layers (a
    # bilinear gauge fixing); the claim is certified again on the slice where two rows I of
    # W_2 are the identity: y_2 = x_2 A^{-1} with x_2[I, :] A^{-1} = I, i.e. A = x_2[I, :].
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps({"family": "deep-linear", "widths": [4, 2, 4], "loss": "square",
                                "Y": [[2, 1, 0, 1], [1, 3, 1, 0], [0, 1, 1, 2], [1, 0, 2, 5]]}))
    assert main(["search", str(prob), "--starts", "20", "--seed", "0", "--out",
                 str(tmp_path / "out")]) == 0
    data = _read(tmp_path / "out" / "search.json")
    (g,) = data["groups"]
    assert g["kind"] == "global-minimum" and g["runs_in_certified_box"] == g["starts"] == 20
    assert "echelon" in g["route"]
    cert = _read(tmp_path / "out" / g["certificate_file"].split("/")[-1])
    W1, W2 = cert["point"]["center"]
    free = set(cert["point"]["free"])
    # W_1 (8 entries) free; two rows of W_2 (entries 8..15, row-major) frozen to the identity
    frozen = sorted(set(range(16)) - free)
    assert len(frozen) == 4 and all(p >= 8 for p in frozen)
    rows = sorted({(p - 8) // 2 for p in frozen})
    assert [[parse_exact(v) for v in W2[i]] for i in rows] == [[1, 0], [0, 1]]
    assert main(["verify", *map(str, sorted((tmp_path / "out").glob("*.json")))]) == 0
