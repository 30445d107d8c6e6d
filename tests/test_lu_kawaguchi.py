"""Lu & Kawaguchi 2017 beyond the square loss: the entry covers the square loss (Theorem 2.2)
and losses proven convex and differentiable without a bottleneck (the shallow problem is then
the convex min l(R)).  Each assumption held and failed on an instance; the conclusion on a
non-square loss where it holds (dl/dR = 0 exactly at the deep global minima) and where a
dropped assumption (the bottleneck) makes it fail with a checker-accepted certificate."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from landscape_proofs.families.base import Point
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.registry import problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.losses.registry import loss_from_json
from landscape_proofs.produce.candidates import CheckBudget
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.registry import get_theorem
from landscape_proofs.theorems.runner import check_theorem

LK = get_theorem("lu_kawaguchi2017")
CATALOG = Path(__file__).resolve().parents[1] / "counterexamples"
LOSS = "loss = square, or l convex and differentiable"
WIDE = "min hidden width >= min(d_0, d_H)"
POWER4 = {"name": "power", "p": 4}


def _problem(**kw):
    base = dict(widths=(2, 2, 2), Y=((2, 0), (0, 1)), loss=POWER4)
    base.update(kw)
    base["loss"] = loss_from_json(base["loss"])
    return DeepLinearProblem(**base)


def _held(problem):
    return {a.name: a.holds for a in LK.check_assumptions(problem)}


def test_power_loss_every_assumption_holds_and_the_square_ones_are_not_asked():
    held = _held(_problem())
    assert held == {"family = deep-linear": True, "weight_decay = 0": True, LOSS: True, WIDE: True}
    # X and Y of full row rank are Theorem 2.2's (square loss) and not needed here
    held = _held(_problem(Y=((1, 1), (1, 1))))
    assert held[LOSS] is True and "rank(Y) = d_H" not in held


def test_the_square_loss_keeps_theorem_2_2_assumptions():
    held = _held(_problem(loss="square", Y=((1, 1), (1, 1))))
    assert held[LOSS] is True and held["rank(Y) = d_H"] is False and WIDE not in held


@pytest.mark.parametrize("change, failing", [
    (dict(loss="l1"), LOSS),                                        # convex, not differentiable
    (dict(loss={"name": "custom", "over": "product",                # non-convex: witness point
                "expression": "R_0_0**2 + (R_1_0**2 - 1)**2"}), LOSS),
    (dict(widths=(2, 1, 2)), WIDE),                                 # a bottleneck
    (dict(weight_decay=Fraction(1, 10)), "weight_decay = 0"),
])
def test_each_assumption_can_fail(change, failing):
    held = _held(_problem(**change))
    assert held[failing] is False, held
    assert all(v is True for k, v in held.items() if k != failing), held


def test_a_declared_convexity_is_not_a_proof():
    declared = {"name": "custom", "over": "product", "convex": True, "differentiable": True,
                "expression": "exp(R_0_0) + R_1_1**2"}
    held = _held(_problem(loss=declared))
    assert held[LOSS] is None


def test_the_custom_non_convex_loss_names_its_witness():
    (chk,) = [a for a in LK.check_assumptions(_problem(loss={
        "name": "custom", "over": "product", "expression": "R_0_0**2 + (R_1_0**2 - 1)**2"}))
        if a.name == LOSS]
    # l'' in R_1_0 is 12 t^2 - 4 < 0 at t = 0: the Hessian has a negative eigenvalue there
    assert chk.holds is False and "negative eigenvalue" in chk.detail


def test_conclusion_on_the_power_loss_maps_global_minima_to_dl_dR_zero():
    r = check_theorem(LK, _problem(), CheckBudget(starts=2))
    assert r.applies and r.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    mins = [p for p in r.conclusion.points if p.kind == "global-minimum"]
    assert mins and all(p.value == 0 and "dl/dR = 0 there (exact)" in p.note for p in mins)
    # 1/4 sum r^4 at the origin: residual -Y, value (2^4 + 1^4)/4 = 17/4; a strict saddle
    origin = next(p for p in r.conclusion.points if p.label == "origin")
    assert origin.kind == "strict-saddle" and origin.value == Fraction(17, 4)


def test_conclusion_on_a_power_loss_whose_optimum_is_not_zero():
    # X = [1 1], Y = [[1, 3]] (d_0 = d_H = 1, widths 1-1-1, n = 2): l(R) = ((R-1)^4 + (R-3)^4)/4,
    # l'(R) = (R-1)^3 + (R-3)^3 = 0 at R = 2 (symmetry), value (1 + 1)/4 = 1/2 > 0
    p = DeepLinearProblem(widths=(1, 1, 1), X=((1, 1),), Y=((1, 3),), loss=loss_from_json(POWER4))
    w = Point.of(p, [[[Fraction(1)]], [[Fraction(2)]]])
    r = check_theorem(LK, p, CheckBudget(starts=1), w)
    assert r.applies and r.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    given = next(q for q in r.conclusion.points if q.label == "the given point")
    assert given.kind == "global-minimum" and given.value == Fraction(1, 2)
    assert "dl/dR = 0 there (exact)" in given.note


def test_the_bottleneck_dropped_the_conclusion_fails_with_the_catalog_certificate():
    name = "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json"
    assert name in LK.catalog
    cert = json.loads((CATALOG / name).read_text())
    assert check_certificate(cert).holds and cert["claim"] == "spurious-local-minimum"
    problem = problem_from_dict(cert["problem"])
    held = _held(problem)
    assert held[LOSS] is True and held[WIDE] is False     # convex, differentiable; bottleneck
    point = Point.of(problem, cert["point"]["weights"])
    r = check_theorem(LK, problem, CheckBudget(starts=1), point)
    assert not r.applies
    given = next(q for q in r.conclusion.points if q.label == "the given point")
    assert given.kind == "spurious-local-minimum" and given.value == 2
    # rank R = 1 = p and the product is open there: the relation holds (R is a shallow local
    # minimum), it is the shallow problem over rank <= 1 that has a spurious minimum
    assert "locally open at W (Theorem 3.1" in given.note
    assert any(check_certificate(c).holds and c["claim"] == "spurious-local-minimum"
               for c in r.conclusion.certificates)


def test_a_custom_quadratic_loss_proven_convex_is_covered(tmp_path, capsys):
    """l(r) = 2 r00^2 + r00 r11 + r11^2 + r01^2 + r10^2: a constant Hessian with the PSD block
    [[4, 1], [1, 2]] (det 7 > 0), so convex by exact inertia, not by declaration."""
    from landscape_proofs.cli.main import main

    loss = {"name": "custom", "over": "residual",
            "expression": "2*r_0_0**2 + r_0_0*r_1_1 + r_1_1**2 + r_0_1**2 + r_1_0**2"}
    held = _held(_problem(loss=loss))
    assert set(held.values()) == {True}, held
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"family": "deep-linear", "widths": [2, 2, 2],
                                "Y": [[2, 0], [0, 1]], "loss": loss}))
    assert main(["check", "lu_kawaguchi2017", str(path), "--json", "--budget", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["applies"] is True and out["conclusion"]["status"] == "holds-on-instance"
    exact = [p for p in out["conclusion"]["evidence"]["points"] if p["kind"] == "global-minimum"]
    assert exact and all("dl/dR = 0 there (exact)" in p["note"] for p in exact)
