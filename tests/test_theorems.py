"""The theorem registry and `landscape theorems / check / explain`, on instances whose answers
are known by hand.  Every certificate a check attaches is re-verified by the checker."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from landscape_proofs.cli import main as cli
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.families.io import loads_exact, point_from_dict, problem_from_dict
from landscape_proofs.theorems import registry
from landscape_proofs.theorems.base import (AssumptionCheck, ConclusionResult, ConclusionStatus,
                                            Theorem)
from landscape_proofs.theorems.facts import loss_convex, sigma_distinct_eigenvalues
from landscape_proofs.theorems.registry import THEOREMS, get_theorem
from landscape_proofs.theorems.runner import check_theorem


def P(**kw):
    return problem_from_dict({"family": "deep-linear", **kw})


def run(theorem_id, problem, point=None):
    res = check_theorem(get_theorem(theorem_id), problem, point=point)
    for cert in res.conclusion.certificates:  # every attached certificate re-checks from JSON
        assert check_certificate(loads_exact(json.dumps(cert))).valid
    return res


def by_name(res, name):
    return next(a for a in res.assumptions if a.name == name)


def kinds(res):
    return {p.label: p.kind for p in res.conclusion.points}


# --- Kawaguchi 2016 -----------------------------------------------------------------------------
KAWA = P(widths=[2, 2, 2], Y=[[2, 0], [0, 1]], loss="square")      # X = I_2


def test_kawaguchi_applies_and_holds_on_diag21():
    res = run("kawaguchi2016", KAWA)
    assert res.applies and all(a.holds for a in res.assumptions)
    # Sigma = diag(4, 1): discriminant of (x-4)(x-1) = 9 != 0
    assert "= 9" in by_name(res, "Sigma = Y X^T (X X^T)^{-1} X Y^T has distinct eigenvalues").detail
    # no decay, X = I, Sigma = diag(4, 1) distinct, two layers: the product census (4
    # critical products, each fibre classified, nothing cited) proves statement (ii) on this
    # instance, and the sampled points stay in the report
    assert res.conclusion.status is ConclusionStatus.PROVED_ON_INSTANCE
    assert "relies on" not in res.conclusion.summary
    assert "the sampled test had answered holds-on-instance" in res.conclusion.notes
    assert res.conclusion.certificates[0]["claim"] == "product-census"
    k = kinds(res)
    # by hand: keep none (R = 0, value 5/2), keep 4 (value 1/2), keep 1 (value 2) are strict
    # saddles of a two-layer network; keep both is the global minimum (value 0)
    assert k["closed form: keep eigenvalues of Sigma {none}"] == "strict-saddle"
    assert k["closed form: keep eigenvalues of Sigma {4}"] == "strict-saddle"
    assert k["closed form: keep eigenvalues of Sigma {1}"] == "strict-saddle"
    assert k["closed form: keep eigenvalues of Sigma {4, 1}"] == "global-minimum"
    values = {p.label: p.value for p in res.conclusion.points}
    assert values["closed form: keep eigenvalues of Sigma {4}"] == Fraction(1, 2)
    assert any(n.startswith("(i) non-convex and non-concave: certified") for n in res.conclusion.notes)
    assert "product-space census" in res.conclusion.scope


def test_kawaguchi_rank_deficient_x_does_not_apply():
    p = P(widths=[2, 1, 2], X=[[1, 2, 0], [2, 4, 0]], Y=[[1, 0, 1], [0, 1, 1]], loss="square")
    res = run("kawaguchi2016", p)
    assert not res.applies
    assert res.headline() == "does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2"
    assert res.conclusion.status is ConclusionStatus.NOT_APPLICABLE
    data = res.to_json()
    assert data["applies"] is False
    assert data["assumptions"][4] == {"name": "rank(X) = d_0", "holds": False,
                                      "detail": "rank(X) = 1, need 2"}


def test_kawaguchi_depth3_finds_non_strict_saddles_outside_iv():
    p = P(widths=[2, 2, 2, 2], Y=[[27, 0], [0, 1]], loss="square")
    res = run("kawaguchi2016", p)
    # three layers: the census would cite Lu & Kawaguchi's transfer, which implies the
    # statement, so the answer stays the sampled one
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    k = kinds(res)
    # the standard factorization of diag(27, 0) is diag(3,0)-like: non-strict, rank(W_2) = 1 < 2
    assert k["closed form: keep eigenvalues of Sigma {729}"] == "non-strict-saddle"
    assert k["closed form, full-rank middle layers: keep eigenvalues of Sigma {729}"] == "strict-saddle"
    assert any("rank(W_{H-1}...W_2) < p" in n for n in res.conclusion.notes)


def test_distinct_eigenvalues_by_discriminant():
    same = P(widths=[2, 2], Y=[[1, 0], [0, 1]], loss="square")
    chk = sigma_distinct_eigenvalues(same)
    assert chk.holds is False and "discriminant" in chk.detail and "= 0" in chk.detail
    # Sigma = [[2,1],[1,2]] (Y = [[1,1],[1,-1]]... X = I): eigenvalues 1, 3
    other = P(widths=[2, 2], Y=[[1, 1], [1, 0]], loss="square")
    assert sigma_distinct_eigenvalues(other).holds is True


# --- Laurent & von Brecht 2018 ------------------------------------------------------------------
BOTTLENECK = P(widths=[2, 1, 2], loss={
    "name": "custom", "over": "product", "convex": True, "differentiable": True,
    "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"})


def test_laurent_vonbrecht_bottleneck_does_not_apply_and_catalog_shows_it_fails():
    e1 = point_from_dict({"weights": [[[1, 0]], [[1], [0]]]}, BOTTLENECK)
    res = run("laurent_vonbrecht2018", BOTTLENECK, e1)
    assert not res.applies
    assert res.headline() == ("does not apply: assumption min hidden width >= min(d_0, d_H) fails: "
                              "bottleneck: d_1 = 1 < min(d_0, d_H) = 2")
    convex = by_name(res, "l convex")  # a quadratic with PSD Hessian: proven, not just declared
    assert convex.holds and not convex.declared and "(proven)" in convex.detail
    assert res.conclusion.status is ConclusionStatus.NOT_APPLICABLE
    # tested anyway: the given point e1 e1^T is a certified spurious local minimum
    assert kinds(res)["the given point"] == "spurious-local-minimum"
    assert "FAILS here" in res.conclusion.summary
    assert not res.counterexample
    # and the catalog entry for this theorem is exactly this instance
    from test_catalog import CATALOG
    from landscape_proofs.produce.certificate import read_certificate
    cert = read_certificate(CATALOG / "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json")
    assert cert["provenance"]["theorem"] == "laurent_vonbrecht2018"
    assert problem_from_dict(cert["problem"]) == BOTTLENECK
    assert check_certificate(cert).valid and cert["claim"] == "spurious-local-minimum"


def test_laurent_vonbrecht_applies_to_power_loss():
    p = P(widths=[2, 2, 2], Y=[[1, 0], [0, 1]], loss={"name": "power", "p": 4})
    res = run("laurent_vonbrecht2018", p)
    assert res.applies and not any(a.declared for a in res.assumptions)
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE


def test_power_loss_zero_residual_point_is_a_candidate():
    # 1/4 sum (R - Y)^4 with Y = [[3, 1], [1, 2]] (X = I, widths 2-2-2, rank 2 fits): the exact
    # fit R = Y, factored as W_1 = rref(Y) = I, W_2 = Y, is a global minimum of value 0 (a
    # zero lower bound); descent alone creeps towards it (the Hessian of r^4 vanishes at 0)
    from landscape_proofs.kernel.linalg import matrix
    from landscape_proofs.produce.candidates import exact_fit_candidates

    p = P(widths=[2, 2, 2], Y=[[3, 1], [1, 2]], loss={"name": "power", "p": 4})
    (c,) = exact_fit_candidates(p)
    assert c.weights[1] * c.weights[0] == matrix([[3, 1], [1, 2]])
    res = run("laurent_vonbrecht2018", p)
    pt = next(q for q in res.conclusion.points if q.label == "exact fit: R X = Y")
    assert pt.kind == "global-minimum" and pt.value == 0
    # no exact fit: X = [1 1] (n = 2 samples, d_0 = 1), Y = [1 2] is not R X for any R
    assert exact_fit_candidates(P(widths=[1, 1, 1], X=[[1, 1]], Y=[[1, 2]],
                                  loss={"name": "power", "p": 4})) == []
    # nor through a bottleneck: rank Y = 2 > width 1
    assert exact_fit_candidates(P(widths=[2, 1, 2], Y=[[3, 1], [1, 2]], loss="l1")) == []


def test_convexity_proven_disproven_or_declared():
    concave = P(widths=[1, 1], loss={"name": "custom", "over": "product", "convex": True,
                                     "expression": "1 - R_0_0**2"})
    chk = loss_convex(concave)
    assert chk.holds is False and "proven not convex" in chk.detail  # the declaration is overruled
    # a quartic double well, convex at small sample points, *declared* convex: one entry, so
    # decided exactly (l'' = 12 R^2 - 256 R + 1356 has two real roots, negative between them)
    well = P(widths=[1, 1], loss={"name": "custom", "over": "product", "convex": True,
                                  "expression": "R_0_0**4 - 128/3*R_0_0**3 + 678*R_0_0**2 - 4752*R_0_0"})
    chk = loss_convex(well)
    assert chk.holds is False and not chk.declared and "proven not convex" in chk.detail
    quartic = loss_convex(P(widths=[1, 1], loss={"name": "custom", "over": "product",
                                                 "expression": "R_0_0**4"}))
    assert quartic.holds is True and "(proven)" in quartic.detail
    # a declaration alone is never a proof: undecided, and it says so (a polynomial such as
    # R_0_0**4 + R_0_1**4 is now proven SOS-convex, tests/test_sos_convex.py)
    two = P(widths=[2, 1], loss={"name": "custom", "over": "product", "convex": True,
                                 "expression": "exp(R_0_0) + exp(R_0_1)"})
    chk = loss_convex(two)
    assert chk.holds is None and chk.declared and "declared, not proven" in chk.detail


# --- Lu & Kawaguchi 2017 --------------------------------------------------------------------------
def test_lu_kawaguchi_maps_deep_minimum_to_shallow_optimum():
    p = P(widths=[3, 1, 3], Y=[[5, 0, 0], [0, 3, 0], [0, 0, 1]], loss="square")
    res = run("lu_kawaguchi2017", p)
    # two layers, Sigma = diag(25, 9, 1): the product census proves it, citing nothing
    assert res.applies and res.conclusion.status is ConclusionStatus.PROVED_ON_INSTANCE
    top = next(q for q in res.conclusion.points if q.label == "closed form: keep eigenvalues of Sigma {25}")
    assert top.kind == "global-minimum" and "equals the shallow optimum" in top.note


def test_lu_kawaguchi_needs_full_row_rank_y():
    p = P(widths=[2, 2, 2], Y=[[1, 2], [2, 4]], loss="square")
    assert run("lu_kawaguchi2017", p).headline() == ("does not apply: assumption rank(Y) = d_H "
                                                    "fails: rank(Y) = 1, need 2")


# --- Zhang 2019 ---------------------------------------------------------------------------------
def test_zhang_premise_fails_on_the_bottleneck_loss():
    res = run("zhang2019", BOTTLENECK)
    premise = res.assumptions[-1]
    assert premise.holds is False and "certified spurious local minimum" in premise.detail
    spurious = [q for q in res.conclusion.points if q.kind == "spurious-local-minimum"]
    assert spurious and all(q.product_rank == 1 for q in spurious)  # rank = r, as required


def test_zhang_square_loss_premise_proven():
    p = P(widths=[2, 2, 1, 2], Y=[[5, 0], [0, 3]], loss="square")
    res = run("zhang2019", p)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE


# --- Ma & Fattahi 2022 -------------------------------------------------------------------------
def test_ma_fattahi_truth_is_not_a_local_minimum():
    # y = (1, 1, 6), x = (1, 1, 3): the truth 1 fits 2 of 3 samples; L(1, 1 + t) = 3 - t
    p = P(widths=[1, 1, 1], X=[[1, 1, 3]], Y=[[1, 1, 6]], loss="l1")
    res = run("ma_fattahi2022", p)
    assert res.applies and "fits 2 of 3 samples" in res.assumptions[-1].detail
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    assert kinds(res)["truth, standard factorization"] == "not-critical"
    assert "critical point(s) classified" not in res.conclusion.summary   # it is not critical


def test_ma_fattahi_needs_a_truth():
    p = P(widths=[1, 1, 1], X=[[1, 3]], Y=[[1, 6]], loss="l1")
    res = run("ma_fattahi2022", p)
    assert not res.applies and "give the truth with --point" in res.headline()
    truth = point_from_dict({"weights": [[[1]], [[1]]]}, p)
    res = run("ma_fattahi2022", p, truth)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE


def test_ma_fattahi_rank_deficient_x_leaves_the_truth_undecided():
    # X = [[1, 1, 0], [1, 1, 0]] has rank 1 < d_0 = 2: R and R + M (M X = 0, e.g. M = [[1, -1],
    # [0, 0]]) fit the same samples, so no truth is recovered; the check says so with the
    # numbers instead of reporting "best: 0" (R = [[1/2, 1/2], [0, 0]] fits sample 1)
    p = P(widths=[2, 1, 2], X=[[1, 1, 0], [1, 1, 0]], Y=[[1, 0, 2], [0, 1, 1]], loss="l1")
    res = run("ma_fattahi2022", p)
    a = res.assumptions[-1]
    assert a.holds is None and a.detail.startswith("rank(X) = 1 < d_0 = 2")
    assert not res.applies and res.headline().startswith("not known to apply")


def test_ma_fattahi_truth_that_is_a_minimum_is_inconclusive_not_failing():
    # x = (1, 1, 3, 2), y = (8, 8, 30, 16): R* = 8 fits 3 of 4; slopes -7 / +1 around 8: a minimum
    p = P(widths=[1, 1, 1, 1], X=[[1, 1, 3, 2]], Y=[[8, 8, 30, 16]], loss="l1")
    res = run("ma_fattahi2022", p)
    assert res.applies and res.conclusion.status is ConclusionStatus.INCONCLUSIVE
    assert "balanced factorization (each weight 2)" in " ".join(kinds(res))
    # the summary says the points were classified, not that nothing was decided
    assert "the points were classified (global-minimum)" in res.conclusion.summary


# --- Baldi-Hornik, Yun-Sra-Jadbabaie, Achour, Nouiehed-Razaviyayn -------------------------------
BH = P(widths=[3, 1, 3], Y=[[5, 0, 0], [0, 3, 0], [0, 0, 1]], loss="square")


def test_baldi_hornik_exhaustive_on_rational_spectrum():
    res = run("baldi_hornik1989", BH)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    assert res.conclusion.scope.startswith("exhaustive over critical products")
    k = kinds(res)
    assert k["closed form: keep eigenvalues of Sigma {25}"] == "global-minimum"
    assert {k[f"closed form: keep eigenvalues of Sigma {{{s}}}"] for s in ("9", "1", "none")} == {"strict-saddle"}


def test_yun_sra_jadbabaie_and_achour_on_depth3():
    p = P(widths=[2, 2, 2, 2], Y=[[27, 0], [0, 1]], loss="square")
    for tid in ("yun_sra_jadbabaie2018", "achour2021"):
        res = run(tid, p)
        assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE, tid
    k = kinds(run("achour2021", p))
    assert k["closed form: keep eigenvalues of Sigma {729}"] == "non-strict-saddle"


def test_nouiehed_two_layer_needs_no_data_assumption():
    p = P(widths=[2, 1, 2], X=[[1, 2, 0], [2, 4, 0]], Y=[[1, 0, 1], [0, 1, 1]], loss="square")
    res = run("nouiehed_razaviyayn2018-two-layer", p)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE


def test_burer_monteiro_needs_its_family():
    res = run("nouiehed_razaviyayn2018-burer-monteiro", BH)
    assert not res.applies and "symmetric-factorization" in res.headline()


# --- Burer-Monteiro (docs/theorems/nouiehed_razaviyayn2018-burer-monteiro.md) ---------------------
BM = "nouiehed_razaviyayn2018-burer-monteiro"
WEIGHTED = {"name": "custom", "over": "product",
            "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"}


def S(**kw):
    return problem_from_dict({"family": "symmetric-factorization", **kw})


def verdicts(res):
    return {p.label: p.verdict.value for p in res.conclusion.points}


def test_burer_monteiro_applies_and_holds_on_diag14():
    # by hand: the pieces of M = Y are the eigenvalues 1 and 4; keep {4}: U = [[0,0],[0,2]]
    # (value 1/2) and keep {1}: U = e1 e1^T (value 8) are strict saddles, keep both: U = diag(1, 2)
    # is global (value 0); the origin has H = -2 (Y (x) I_2), negative definite: a local maximum
    res = run(BM, S(shape=[2, 2], Y=[[1, 0], [0, 4]], loss="square"))
    assert res.applies and [a.holds for a in res.assumptions] == [True, True, True]
    assert by_name(res, "k >= n").detail == "k = 2 >= n = 2"
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    k = kinds(res)
    values = {p.label: p.value for p in res.conclusion.points}
    keep = "closed form: keep eigenvalues of sym(Y) - lam/2 I {%s}"
    assert k[keep % "4"] == k[keep % "1"] == "strict-saddle"
    assert (values[keep % "4"], values[keep % "1"]) == (Fraction(1, 2), Fraction(8))
    assert k[keep % "4, 1"] == "global-minimum" and values[keep % "4, 1"] == 0
    assert k["origin"] == "local-maximum" and values["origin"] == Fraction(17, 2)
    assert "contradicts" not in verdicts(res).values()


def test_burer_monteiro_psd_optimality_settles_a_boundary_minimum():
    # Y = diag(1, -1), k = 2: U = e1 e1^T (value 1/2) is on the boundary of the PSD cone; the
    # closed-form optimum does not apply to this family, but S = sym(U U^T - Y) = diag(0, 1) >= 0
    # and <S, U U^T> = 0: a certified global minimum (evidence psd-cone-optimality)
    res = run(BM, S(shape=[2, 2], Y=[[1, 0], [0, -1]], loss="square"))
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    pt = next(p for p in res.conclusion.points if p.label.endswith("{1}"))
    assert pt.kind == "global-minimum" and pt.value == Fraction(1, 2)
    assert pt.verdict.value == "consistent"
    assert kinds(res)["origin"] == "strict-saddle"


def test_burer_monteiro_weight_decay_and_sum_of_squares_factor():
    # lam = 1/2: M = diag(1, -1) - 1/4 I = diag(3/4, -5/4); R = diag(3/4, 0) needs sqrt(3/4), but
    # with k = 3 columns 3/4 = 3 (1/2)^2: U = [[1/2, 1/2, 1/2], [0, 0, 0]], value
    # 1/2 (1/16 + 1) + 1/4 * 3/4 = 23/32; S = diag(-1/4, 1) + 1/4 I = diag(0, 5/4) >= 0, <S, R> = 0
    res = run(BM, S(shape=[2, 3], Y=[[1, 0], [0, -1]], loss="square", weight_decay="1/2"))
    assert res.applies
    by_label = {p.label: p for p in res.conclusion.points}
    pt = by_label["closed form: keep eigenvalues of sym(Y) - lam/2 I {3/4}"]
    assert pt.value == Fraction(23, 32) and pt.verdict.value == "consistent"


def test_burer_monteiro_irrational_global_minimum_is_certified_by_an_enclosure():
    # Y = diag(3, -1), k = 2: the optimum over PSD Z is Z = diag(3, 0) (value 1/2 (-1)^2 = 1/2);
    # U U^T = diag(3, 0) needs (a, b) with a^2 + b^2 = 3, never rational (3 is not a sum of two
    # rational squares), so no closed-form or rounded candidate is exactly critical.  A descent
    # limit, refined and enclosed, is a certified global minimum (psd-cone optimality on a box).
    import dataclasses

    from landscape_proofs.produce.candidates import CheckBudget
    from landscape_proofs.theorems.nouiehed_razaviyayn2018 import test_burer_monteiro

    prob = S(shape=[2, 2], Y=[[3, 0], [0, -1]], loss="square")
    res = run(BM, prob)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    enclosed = [p for p in res.conclusion.points if "refined and enclosed" in p.label]
    assert len(enclosed) == 1 and enclosed[0].kind == "global-minimum"
    assert enclosed[0].value is None and enclosed[0].verdict.value == "consistent"
    assert kinds(res)["origin"] == "strict-saddle"
    cert = next(c for c in res.conclusion.certificates if c["claim"] == "global-minimum")
    lo, hi = (Fraction(str(cert["value"][k])) for k in ("lower", "upper"))
    assert lo <= Fraction(1, 2) <= hi and hi - lo < Fraction(1, 10**40)
    assert cert["evidence"]["global"]["type"] == "psd-cone-optimality"
    # without enclosures no global minimum is found on this instance
    off = test_burer_monteiro(prob, dataclasses.replace(CheckBudget(), max_enclosures=0))
    assert "global-minimum" not in {p.kind for p in off.points}


def test_burer_monteiro_non_convex_loss_leaves_the_psd_assumption_undecided():
    res = run(BM, S(shape=[1, 1], loss={"name": "custom", "over": "product",
                                        "expression": "(R_0_0**2 - 1)**2"}))
    a = by_name(res, "every local minimum of l on PSD matrices is global")
    assert a.holds is None and a.detail.startswith("l is not convex")
    assert not res.applies and res.headline().startswith("not known to apply")


def test_burer_monteiro_k_below_n_fails_with_its_numbers():
    # the catalog instance (k = 1 < n = 2): l is convex, so only k >= n fails; U = e1 is a
    # spurious local minimum (Hessian diag(8, 32), value 2; U = e2 has value 1)
    p = S(shape=[2, 1], loss=WEIGHTED)
    res = run(BM, p, point_from_dict({"U": [[1], [0]]}, p))
    assert res.headline() == "does not apply: assumption k >= n fails: k = 1 < n = 2"
    assert [a.holds for a in res.assumptions] == [True, False, True]
    c = res.conclusion
    assert c.status is ConclusionStatus.NOT_APPLICABLE and "FAILS here" in c.summary
    assert "status if it had applied: fails-on-instance" in c.notes
    given = next(pt for pt in c.points if pt.label == "the given point")
    assert (given.kind, given.value, given.verdict.value) == ("spurious-local-minimum", 2, "contradicts")
    assert c.certificates[0]["claim"] == "spurious-local-minimum"
    assert c.certificates[0]["point"] == {"weights": [[[1], [0]]]}


def test_cli_check_burer_monteiro_hand_solved_and_counterexample(tmp_path, capsys):
    # k = n = 2, the weighted loss: U = I is global (value 0, dl/dZ = 0), the origin a local
    # maximum (dl/dZ = diag(-2, -4)); no spurious minimum
    ok = write(tmp_path, "ok.json", {"family": "symmetric-factorization", "shape": [2, 2],
                                     "loss": WEIGHTED})
    assert cli.main(["check", BM, ok, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["applies"] is True and data["conclusion"]["status"] == "holds-on-instance"
    pts = {p["label"]: p for p in data["conclusion"]["evidence"]["points"]}
    assert pts["origin"]["kind"] == "local-maximum" and pts["origin"]["value"] == 3
    assert any(p["kind"] == "global-minimum" and p["value"] == 0 for p in pts.values())
    for cert in data["conclusion"]["certificates"]:
        assert check_certificate(loads_exact(json.dumps(cert))).valid
    # k = 1 < n = 2: no --point; the test's own search finds U = +-e1 and certifies it
    bad = write(tmp_path, "bad.json", {"family": "symmetric-factorization", "shape": [2, 1],
                                       "loss": WEIGHTED})
    assert cli.main(["check", BM, bad, "--json"]) == 0   # not applicable: exit 0
    data = json.loads(capsys.readouterr().out)
    assert data["applies"] is False
    assert data["headline"] == "does not apply: assumption k >= n fails: k = 1 < n = 2"
    assert {"name": "k >= n", "holds": False, "detail": "k = 1 < n = 2"} in data["assumptions"]
    assert data["conclusion"]["status"] == "not-applicable"
    certs = data["conclusion"]["certificates"]
    assert certs and certs[0]["claim"] == "spurious-local-minimum" and certs[0]["value"] == 2
    assert check_certificate(loads_exact(json.dumps(certs[0]))).valid
    assert cli.main(["check", BM, bad]) == 0
    out = capsys.readouterr().out
    assert "does not apply: assumption k >= n fails: k = 1 < n = 2" in out and "FAILS here" in out


def test_psd_factor_exact_and_refusals():
    import flint

    from landscape_proofs.kernel.linalg import matrix
    from landscape_proofs.theorems.symmetric_points import psd_factor, rational_squares

    for rows, k in (([[1, 1], [1, 5]], 2), ([[4, 2, 0], [2, 2, 0], [0, 0, 0]], 2),
                    ([[2, 0], [0, 0]], 2), ([[3, 0], [0, 1]], 4), ([[1, 0], [0, 9]], 3)):
        R = matrix(rows)
        U = psd_factor(R, k)
        assert U is not None and (U.nrows(), U.ncols()) == (len(rows), k) and U * U.transpose() == R
    for rows, k in (([[1, 0], [0, -1]], 2),      # not PSD
                    ([[0, 1], [1, 0]], 2),       # zero pivot, nonzero row: not PSD
                    ([[1, 2], [0, 1]], 2),       # not symmetric
                    ([[1, 0], [0, 1]], 1),       # rank 2 > k
                    ([[2, 0], [0, 0]], 1)):      # sqrt(2) irrational, no spare column
        assert psd_factor(matrix(rows), k) is None
    assert rational_squares(flint.fmpq(7), 4) == [2, 1, 1, 1]
    assert rational_squares(flint.fmpq(7), 3) is None      # 7 is not a sum of three squares
    assert rational_squares(flint.fmpq(5, 9), 2) == [flint.fmpq(2, 3), flint.fmpq(1, 3)]


# --- the registry itself --------------------------------------------------------------------------
def test_registry_entries_are_complete():
    ids = [t.id for t in THEOREMS]
    assert len(ids) == len(set(ids))
    for mod in ("kawaguchi2016", "lu_kawaguchi2017", "laurent_vonbrecht2018", "zhang2019",
                "ma_fattahi2022", "baldi_hornik1989", "yun_sra_jadbabaie2018", "achour2021"):
        assert mod in ids
    assert any(i.startswith("nouiehed_razaviyayn2018") for i in ids)
    for t in THEOREMS:
        assert t.title and t.citation and t.source and t.statement and t.caveat
        assert t.assumptions_doc and t.conclusion_doc
        if t.reconstructed:
            assert "econstruct" in t.caveat or "not" in t.caveat


def test_unknown_id_is_an_input_error_listing_known_ids():
    with pytest.raises(ValueError) as exc:
        get_theorem("kawaguchi")
    assert "kawaguchi2016" in str(exc.value) and "achour2021" in str(exc.value)


# --- command line ------------------------------------------------------------------------------
def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_cli_theorems_and_explain(capsys):
    assert cli.main(["theorems", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {"id", "title", "source"} <= set(listing[0])
    assert cli.main(["explain", "achour2021"]) == 0
    text = capsys.readouterr().out
    assert "arXiv:2107.13289" in text and "reconstructed" in text and "caveats:" in text
    assert cli.main(["explain", "kawaguchi2016", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statement"] and data["assumptions"][0]["how_checked"]


def test_cli_unknown_id_exits_2_with_one_line(capsys):
    assert cli.main(["explain", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kawaguchi2016" in err[0]


def test_cli_check_json_shape_and_exit_codes(tmp_path, capsys):
    prob = write(tmp_path, "k.json", {"family": "deep-linear", "widths": [2, 2, 2],
                                      "Y": [[2, 0], [0, 1]], "loss": "square"})
    assert cli.main(["check", "kawaguchi2016", prob, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"theorem", "applies", "assumptions", "conclusion"}
    assert data["theorem"] == "kawaguchi2016" and data["applies"] is True
    assert all(set(a) >= {"name", "holds", "detail"} for a in data["assumptions"])
    assert set(data["conclusion"]) == {"status", "evidence", "certificates"}
    assert data["conclusion"]["status"] == "proved-on-instance"      # the product census
    # not applicable: exit 0 even though the conclusion fails there
    bott = write(tmp_path, "b.json", {"family": "deep-linear", "widths": [2, 1, 2],
                                      "loss": BOTTLENECK.loss.to_json()})
    assert cli.main(["check", "laurent_vonbrecht2018", bott]) == 0
    assert "does not apply: assumption min hidden width" in capsys.readouterr().out


def test_cli_check_exit_1_only_for_a_counterexample(tmp_path, capsys, monkeypatch):
    """A theorem whose assumptions hold and whose conclusion fails on the instance -> exit 1."""
    failing = ConclusionResult(ConclusionStatus.FAILS_ON_INSTANCE, "fails (test double)")
    fake = Theorem(id="fake", title="t", citation="c", source="s", statement="s",
                   reconstructed=False, caveat="c", assumptions_doc=(("a", "b"),),
                   conclusion_doc="d",
                   check_assumptions=lambda p: (AssumptionCheck("a", True, "yes"),),
                   test_conclusion=lambda p, b, pt=None: failing)
    monkeypatch.setitem(registry._BY_ID, "fake", fake)
    prob = write(tmp_path, "k.json", {"family": "deep-linear", "widths": [1, 1], "Y": [[1]],
                                      "loss": "square"})
    assert cli.main(["check", "fake", prob]) == 1
    fake_na = Theorem(id="fake2", title="t", citation="c", source="s", statement="s",
                      reconstructed=False, caveat="c", assumptions_doc=(("a", "b"),),
                      conclusion_doc="d",
                      check_assumptions=lambda p: (AssumptionCheck("a", False, "no"),),
                      test_conclusion=lambda p, b, pt=None: failing)
    monkeypatch.setitem(registry._BY_ID, "fake2", fake_na)
    assert cli.main(["check", "fake2", prob]) == 0
    capsys.readouterr()


def test_every_theorem_has_a_doc_page():
    from pathlib import Path
    docs = Path(__file__).resolve().parent.parent / "docs" / "theorems"
    index = (docs / "README.md").read_text(encoding="utf-8")
    for t in THEOREMS:
        page = docs / f"{t.id}.md"
        assert page.is_file(), t.id
        text = page.read_text(encoding="utf-8")
        assert t.title in text and t.source in text and "## Caveats" in text
        assert "## Assumptions and how each is checked" in text and "## Conclusion test" in text
        for name in t.catalog:
            assert name in text
        assert f"`{t.id}`" in index


def test_doctests_of_symmetric_points():
    import doctest

    from landscape_proofs.theorems import symmetric_points

    result = doctest.testmod(symmetric_points)
    assert result.attempted >= 6 and result.failed == 0


# --- Nouiehed & Razaviyayn, multi-layer: the assumption on l, decided for separable l ------------
MULTI = "nouiehed_razaviyayn2018-multilayer"


def test_multilayer_assumption_on_l_is_decided_for_the_catalog_loss():
    # l = P11^2 + P12^2 + P22^2 + (P21^2 - 1)^2: not convex, but separable with local minima
    # P21 = +-1 (both value 0 of its term): every local minimum of l is global.
    p = {"family": "deep-linear", "widths": [2, 2, 2],
         "loss": {"name": "custom", "over": "product",
                  "expression": "R_0_0**2 + R_0_1**2 + R_1_1**2 + (R_1_0**2 - 1)**2"}}
    res = run(MULTI, problem_from_dict(p))
    check = by_name(res, "every local minimum of l is global")
    assert check.holds is True and "separable" in check.detail
    assert res.applies
    # a tilted double well has a local minimum above the global one: the assumption fails
    p["loss"]["expression"] = "3*R_0_0**4 - 4*R_0_0**3 - 12*R_0_0**2 + R_0_1**2 + R_1_0**2 + R_1_1**2"
    res = run(MULTI, problem_from_dict(p))
    check = by_name(res, "every local minimum of l is global")
    assert check.holds is False and "-5 > its minimum -32" in check.detail
    assert not res.applies
