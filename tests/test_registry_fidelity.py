"""Registry entries against their papers: each assumption held and failed on an instance, and
the conclusion where it can fail.  Ma & Fattahi's positive entry is evidence only (status
"evidence", no certificate, exit 0); its assertions are about what the run observes and can
fail (depth 2 ends nearer the truth than depth 1 on over-parameterized draws)."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.robust_regression import RobustRegressionSetting, draw_instance
from landscape_proofs.losses.registry import loss_from_json
from landscape_proofs.produce.candidates import CheckBudget
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.registry import get_theorem
from landscape_proofs.theorems.runner import check_theorem

POSITIVE = get_theorem("ma_fattahi2022_positive")
NEGATIVE = get_theorem("ma_fattahi2022")
OVER = RobustRegressionSetting(dimension=40, measurements=30, sparsity=3,
                               outlier_fraction=Fraction(1, 10))
# n = 5 > d = 2: theta* = (1, 0) fits four samples, the fifth is corrupted by +6
HAND = dict(widths=(2, 1, 1), X=((1, 0, 1, 2, 1), (0, 1, 1, 1, 2)), Y=((1, 0, 1, 2, 7),))


def _names(result):
    return {a.name.split(" (")[0].split(":")[0]: a.holds for a in result.assumptions}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_positive_entry_depth_two_ends_nearer_the_truth_on_over_parameterized_draws(seed):
    draw = draw_instance(OVER, seed)
    problem = draw.problem(2, facts.absolute_loss())
    r = check_theorem(POSITIVE, problem, CheckBudget(descent_steps=150, seed=seed),
                      point=draw.truth_point(problem))
    assert r.applies and r.conclusion.status is ConclusionStatus.EVIDENCE
    assert not r.counterexample and r.conclusion.certificates == ()
    text = r.conclusion.summary
    assert "not a proof" in text and "ended nearer the truth than depth 1" in text
    final = float(text.split("relative error ")[1].split(" ")[0])
    baseline = float(text.split("depth 1 ended at ")[1].split(")")[0])
    assert final < 0.1 < 1 < baseline       # depth 1 fits the outliers when n < d
    assert r.to_json()["conclusion"]["status"] == "evidence"


def test_positive_entry_on_the_hand_instance_recovers_the_truth_from_the_majority():
    problem = DeepLinearProblem(loss=facts.absolute_loss(), **HAND)
    r = check_theorem(POSITIVE, problem, CheckBudget(descent_steps=150))
    assert r.applies
    assert "R* = [['1', '0']] fits 4 of 5" in r.assumptions[-1].detail
    assert r.conclusion.status is ConclusionStatus.EVIDENCE
    # n > d: l1 regression itself is exact here, so depth 2 cannot beat it; reported honestly
    assert "did NOT end nearer" in r.conclusion.summary


@pytest.mark.parametrize("change, failing", [
    (dict(loss=loss_from_json("square")), "loss = l1"),
    (dict(widths=(2, 1)), "H >= 2 weight matrices"),
    (dict(weight_decay=Fraction(1, 10)), "weight_decay = 0"),
    (dict(widths=(2, 1, 2), Y=((1, 0, 1, 2, 7), (0, 0, 0, 0, 0))), "d_H = 1"),
])
def test_positive_entry_each_assumption_can_fail(change, failing):
    problem = DeepLinearProblem(**{**HAND, "loss": facts.absolute_loss(), **change})
    r = check_theorem(POSITIVE, problem, CheckBudget(descent_steps=20))
    assert not r.applies
    held = _names(r)
    assert held[failing] is False, held
    assert all(v is True for k, v in held.items() if k != failing), held
    assert r.conclusion.status is ConclusionStatus.NOT_APPLICABLE


def test_positive_entry_without_a_truth_does_not_apply():
    draw = draw_instance(OVER, 0)     # n < d: no model is determined by the samples
    problem = draw.problem(2, facts.absolute_loss())
    r = check_theorem(POSITIVE, problem, CheckBudget(descent_steps=20))
    assert not r.applies and r.assumptions[-1].holds is None
    assert r.conclusion.status is ConclusionStatus.NOT_APPLICABLE


def test_positive_entry_through_the_command_line_is_evidence_and_exits_0(tmp_path, capsys):
    from landscape_proofs.cli import main

    path = tmp_path / "p.json"
    path.write_text(json.dumps({"family": "deep-linear", "widths": [2, 1, 1],
                                "X": [list(r) for r in HAND["X"]], "Y": [list(HAND["Y"][0])],
                                "loss": "l1"}))
    status = main.main(["check", "ma_fattahi2022_positive", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and out["applies"] is True
    assert out["conclusion"]["status"] == "evidence" and out["conclusion"]["certificates"] == []


def test_negative_entry_on_drawn_instances_majority_truth_and_its_failure():
    # a drawn instance with n > d and few outliers: the truth fits a strict majority exactly
    s = RobustRegressionSetting(dimension=2, measurements=7, sparsity=1,
                                outlier_fraction=Fraction(3, 7))
    certified, minimum = 0, 0
    for seed in range(6):
        draw = draw_instance(s, seed)
        problem = draw.problem(2, facts.absolute_loss())
        r = check_theorem(NEGATIVE, problem)
        assert r.applies, r.headline()
        assert "fits 4 of 7" in r.assumptions[-1].detail
        if r.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE:
            certified += 1
        else:
            assert r.conclusion.status is ConclusionStatus.INCONCLUSIVE   # a truth that is a minimum
            minimum += 1
    assert certified >= 1 and certified + minimum == 6
    # the majority assumption fails when the outliers are the majority
    s = RobustRegressionSetting(dimension=2, measurements=7, sparsity=1,
                                outlier_fraction=Fraction(5, 7))
    problem = draw_instance(s, 0).problem(2, facts.absolute_loss())
    r = check_theorem(NEGATIVE, problem)
    assert not r.applies and r.assumptions[-1].holds is False


# --- check --budget: the internal descent search scales with the instance -------------------
def _count_descent(monkeypatch):
    from landscape_proofs.produce import candidates

    seen = []
    original = candidates.descent_limits

    def counting(problem, budget):
        for item in original(problem, budget):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(candidates, "descent_limits", counting)
    return seen


def test_budget_scales_the_descent_search_with_the_instance_and_reports_it(monkeypatch):
    from landscape_proofs.theorems.runner import check_with_budget, scaled_budget

    small = DeepLinearProblem(widths=(1, 1, 1), X=((1,),), Y=((2,),), loss=loss_from_json("l1"))
    big = DeepLinearProblem(widths=(3, 3, 3), X=((1, 0, 0), (0, 1, 0), (0, 0, 1)),
                            Y=((5, 0, 0), (0, 3, 0), (0, 0, 1)), loss=loss_from_json("l1"))
    # 2 and 18 parameters: 1 and 2 units of 10 parameters
    assert scaled_budget(small, 4).starts == 4 and scaled_budget(big, 4).starts == 8
    assert scaled_budget(big, 4).descent_steps == 300 + 180
    assert scaled_budget(big, None).starts == 6          # the historical default
    theorem = get_theorem("laurent_vonbrecht2018")
    seen = _count_descent(monkeypatch)
    r = check_with_budget(theorem, big, budget=None)
    default_runs = len(seen)
    assert r.search["budget"] is None and r.search["descent_runs_at_most"] == 13
    assert 0 < default_runs <= 13
    seen.clear()
    r = check_with_budget(theorem, big, budget=10)
    assert r.search == {**r.search, "budget": 10, "parameters": 18,
                        "descent_starts_per_scale": 20, "descent_runs_at_most": 41,
                        "descent_steps_per_run": 480}
    assert default_runs < len(seen) <= 41                # more descent ran, within the bound
    assert json.loads(json.dumps(r.to_json()))["search"]["budget"] == 10


@pytest.mark.parametrize("value", ["0", "x", "1001", "2.5"])
def test_a_bad_budget_is_one_line_and_exit_2(value, tmp_path, capsys):
    from landscape_proofs.cli import main

    path = tmp_path / "p.json"
    path.write_text(json.dumps({"family": "deep-linear", "widths": [1, 1], "Y": [[1]],
                                "loss": "square"}))
    status = main.main(["check", "kawaguchi2016", str(path), "--budget", value])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("landscape: error:") and "--budget" in err
    assert err.count("\n") == 1


# --- Burer-Monteiro: rank-deficient second-order critical points are global -------------------
BM = get_theorem("burer_monteiro2005-rank-deficient")
CATALOG = __import__("pathlib").Path(__file__).resolve().parents[1] / "counterexamples"


def _sym(data, point=None):
    from landscape_proofs.families.registry import point_from_dict, problem_from_dict

    problem = problem_from_dict(data)
    return problem, (None if point is None else point_from_dict(point, problem))


def _catalog(name):
    cert = json.loads((CATALOG / name).read_text())
    return _sym(cert["problem"], cert["point"]), cert


def test_burer_monteiro_rank_deficient_holds_where_every_assumption_holds():
    from landscape_proofs.kernel import check_certificate

    problem, point = _sym({"family": "symmetric-factorization", "shape": [2, 2],
                           "Y": [[1, 0], [0, -1]], "loss": "square"}, {"U": [[1, 0], [0, 0]]})
    r = check_theorem(BM, problem, CheckBudget(starts=2), point)
    assert r.applies and r.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    given = [p for p in r.conclusion.points if p.label == "the given point"][0]
    # by hand: S = sym(U U^T - Y) = diag(0, 1) >= 0 and <S, U U^T> = 0; value |diag(0, 1)|^2 / 2
    assert given.kind == "global-minimum" and given.value == Fraction(1, 2)
    assert "rank(U) = 1 < k = 2" in given.note
    assert all(check_certificate(c).holds for c in r.conclusion.certificates)


def test_burer_monteiro_rank_deficient_fails_without_convexity_catalog_entry():
    from landscape_proofs.kernel import check_certificate

    (problem, point), cert = _catalog(
        "burer_monteiro2005-rank-deficient-nonconvex-spurious-local-minimum.json")
    assert check_certificate(cert).holds
    r = check_theorem(BM, problem, CheckBudget(starts=2), point)
    held = {a.name: a.holds for a in r.assumptions}
    assert held["l convex"] is False and held["l differentiable"] is True
    assert r.conclusion.status is ConclusionStatus.NOT_APPLICABLE
    assert "the conclusion FAILS here" in r.conclusion.summary
    assert r.conclusion.certificates and check_certificate(r.conclusion.certificates[0]).holds
    assert r.conclusion.certificates[0]["claim"] == "spurious-local-minimum"


def test_burer_monteiro_rank_deficiency_is_needed_full_rank_spurious_minimum_is_outside():
    (problem, point), _ = _catalog("nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json")
    r = check_theorem(BM, problem, CheckBudget(starts=2), point)
    assert r.applies                       # convex, differentiable: every assumption holds
    given = [p for p in r.conclusion.points if p.label == "the given point"][0]
    # the conclusion "U is global" fails at U = e1 (value 2 > 1), but U has full rank k = 1
    assert given.kind == "spurious-local-minimum" and given.verdict.value == "irrelevant"
    assert r.conclusion.status is not ConclusionStatus.FAILS_ON_INSTANCE and not r.counterexample


def test_burer_monteiro_rank_deficient_other_assumptions_fail():
    problem, _ = _sym({"family": "symmetric-factorization", "shape": [2, 2],
                       "Y": [[1, 0], [0, -1]], "loss": "l1"})
    held = {a.name: a.holds for a in check_theorem(BM, problem, CheckBudget(starts=1)).assumptions}
    assert held["l convex"] is True and held["l differentiable"] is False
    deep = DeepLinearProblem(widths=(1, 1), Y=((1,),), loss=loss_from_json("square"))
    r = check_theorem(BM, deep, CheckBudget(starts=1))
    assert [a.holds for a in r.assumptions] == [False]


# --- Kawaguchi 2016 (iv): the index of the rank condition --------------------------------------
def test_kawaguchi_iv_uses_the_layers_between_the_first_and_the_last():
    from landscape_proofs.theorems.common import rank_middle

    K = get_theorem("kawaguchi2016")
    p = DeepLinearProblem(widths=(2, 2, 2, 2), Y=((27, 0), (0, 1)), loss=loss_from_json("square"))
    r = check_theorem(K, p)
    assert r.applies
    pts = {pt.label: pt for pt in r.conclusion.points}
    full = pts["closed form, full-rank middle layers: keep eigenvalues of Sigma {729}"]
    # rank(W_2) = 2 = p although rank(W_3 W_2) = 1: the paper's (iv) covers this saddle, and it
    # is strict as (iv) says
    assert full.kind == "strict-saddle" and "(iv): rank(W_{H-1}...W_2) = 2 = p" in full.note
    std = pts["closed form: keep eigenvalues of Sigma {729}"]
    assert std.kind == "non-strict-saddle" and "does not speak" in std.note   # rank(W_2) = 1 < 2
    # two layers: the empty product has rank d_1, so (iv) covers every saddle
    two = DeepLinearProblem(widths=(2, 2, 2), Y=((2, 0), (0, 1)), loss=loss_from_json("square"))
    r2 = check_theorem(K, two)
    saddles = [pt for pt in r2.conclusion.points if pt.kind.endswith("saddle")
               and not pt.label.startswith("critical product")]     # the census's fibres aside
    assert saddles and all(pt.kind == "strict-saddle" and "= 2 = p" in pt.note for pt in saddles)
    assert rank_middle.__doc__ and "W_{H-1}" in rank_middle.__doc__


def test_kawaguchi_iv_catalog_entries_drop_the_rank_condition():
    from landscape_proofs.kernel import check_certificate
    from landscape_proofs.kernel.linalg import matrix, rank

    for name in ("kawaguchi2016-iv-rank-condition-nonstrict-saddle.json",
                 "kawaguchi2016-iv-scalar-depth3-nonstrict-saddle-at-origin.json"):
        cert = json.loads((CATALOG / name).read_text())
        assert check_certificate(cert).holds and cert["claim"] == "non-strict-saddle"
        Ws = cert["point"]["weights"]
        middle = matrix(Ws[1])                              # depth 3: W_2 alone
        p = min(cert["problem"]["widths"][1:-1])
        assert rank(middle) < p                             # (iv)'s condition fails


def test_kawaguchi_iv_covers_the_origin_of_a_two_layer_network():
    # abstract: "no bad saddle point for the shallow networks (with three layers)"; at the origin
    # W_2 = 0, so the old index rank(W_2) = 0 < p left it out
    from fractions import Fraction as F

    from landscape_proofs.families.base import Point

    K = get_theorem("kawaguchi2016")
    two = DeepLinearProblem(widths=(2, 1, 2), Y=((2, 0), (0, 1)), loss=loss_from_json("square"))
    origin = Point.of(two, [[[F(0), F(0)]], [[F(0)], [F(0)]]])
    r = check_theorem(K, two, CheckBudget(starts=1), origin)
    pt = [p for p in r.conclusion.points if p.label in ("the given point", "origin")][0]
    assert pt.kind == "strict-saddle" and "(iv): rank(W_{H-1}...W_2) = 1 = p" in pt.note


# --- Lu & Kawaguchi 2017: each assumption, and the square loss dropped --------------------------
LK = get_theorem("lu_kawaguchi2017")


def test_lu_kawaguchi_holds_where_every_assumption_holds():
    p = DeepLinearProblem(widths=(2, 2, 2), Y=((2, 0), (0, 1)), loss=loss_from_json("square"))
    r = check_theorem(LK, p, CheckBudget(starts=2))
    # two layers: the product census proves it on the instance (nothing cited); the sampled
    # minima stay in the report with the shallow reading
    assert r.applies and r.conclusion.status is ConclusionStatus.PROVED_ON_INSTANCE
    mins = [pt for pt in r.conclusion.points if pt.kind == "global-minimum"
            and not pt.label.startswith("critical product")]
    assert mins and all("equals the shallow optimum" in pt.note for pt in mins)
    assert all(pt.value == 0 for pt in mins)       # X = I, Y reachable: optimum 0


@pytest.mark.parametrize("change, failing", [
    (dict(X=((1, 2), (2, 4))), "rank(X) = d_0"),
    (dict(Y=((1, 1), (1, 1))), "rank(Y) = d_H"),
    (dict(weight_decay=Fraction(1, 10)), "weight_decay = 0"),
    (dict(loss=loss_from_json("l1")), "loss = square, or l convex and differentiable"),
])
def test_lu_kawaguchi_each_assumption_can_fail(change, failing):
    base = dict(widths=(2, 2, 2), Y=((2, 0), (0, 1)), loss=loss_from_json("square"))
    r = check_theorem(LK, DeepLinearProblem(**{**base, **change}), CheckBudget(starts=1))
    held = {a.name: a.holds for a in r.assumptions}
    assert held[failing] is False, held
    assert all(v is True for k, v in held.items() if k != failing), held


def test_lu_kawaguchi_relation_fails_without_the_square_loss_catalog_entry():
    from landscape_proofs.families.registry import problem_from_dict
    from landscape_proofs.kernel import check_certificate

    name = "nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json"
    assert name in LK.catalog
    cert = json.loads((CATALOG / name).read_text())
    assert check_certificate(cert).holds and cert["claim"] == "spurious-local-minimum"
    W1, W2 = [[[Fraction(x) for x in row] for row in M] for M in cert["point"]["weights"]]
    R = [[sum(W2[i][k] * W1[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    assert R == [[0, 0], [0, 0]]

    def l(P):   # the catalog's loss, by hand
        return P[0][0] ** 2 + P[0][1] ** 2 + P[1][1] ** 2 + (P[1][0] ** 2 - 1) ** 2

    assert l(R) == 1
    for t in (Fraction(1, 2), Fraction(1, 10), Fraction(1, 1000)):
        assert l([[0, 0], [t, 0]]) == 1 - 2 * t ** 2 + t ** 4 < 1   # R is not a shallow local min
    problem = problem_from_dict(cert["problem"])
    r = check_theorem(LK, problem, CheckBudget(starts=1))
    held = {a.name: a.holds for a in r.assumptions}
    assert not r.applies and held["loss = square, or l convex and differentiable"] is False
