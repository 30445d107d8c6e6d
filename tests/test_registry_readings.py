"""Registry entries re-read against source text (docs/theorems/*.md, "Caveats"): Yun, Sra &
Jadbabaie's assumptions as the ICLR 2018 submission states them, Ma & Fattahi's negative result
at depth 1, Zhang's two-layer square-loss premise without full-rank data, Lu & Kawaguchi's
disputed lemma.  Every instance is solved by hand in the comments; every certificate a check
attaches is re-verified by the checker."""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.algebraic import spans_top_eigenspace
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.theorems.registry import THEOREMS
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.io import loads_exact, point_from_dict, problem_from_dict
from landscape_proofs.theorems import zhang2019
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.facts import sigma_distinct_eigenvalues
from landscape_proofs.theorems.registry import get_theorem
from landscape_proofs.theorems.runner import check_theorem

DOCS = Path(__file__).resolve().parent.parent / "docs" / "theorems"


def P(**kw):
    return problem_from_dict({"family": "deep-linear", **kw})


def run(theorem_id, problem, point=None):
    res = check_theorem(get_theorem(theorem_id), problem, point=point)
    for cert in res.conclusion.certificates:
        assert check_certificate(loads_exact(json.dumps(cert))).valid
    return res


def by_name(res, name):
    return next(a for a in res.assumptions if a.name == name)


def points(res):
    return {p.label: p for p in res.conclusion.points}


# --- Yun, Sra & Jadbabaie 2018 ------------------------------------------------------------------
YSJ = "yun_sra_jadbabaie2018"
SV = "the singular values of Y X^T (X X^T)^{-1} X are distinct"


def test_yun_assumptions_are_the_papers():
    # "d_x <= m and d_y <= m, ... XX^T and YX^T have full ranks", distinct singular values
    res = run(YSJ, P(widths=[2, 1, 2], Y=[[2, 1], [1, 2]], loss="square"))
    assert [a.name for a in res.assumptions][3:] == [
        "d_0 <= n", "d_H <= n", "rank(X) = d_0", "rank(X Y^T) = min(d_0, d_H)", SV]
    assert res.applies and not get_theorem(YSJ).reconstructed


def test_yun_bottleneck_condition_is_the_top_eigenspace():
    # X = I, Y = [[2, 1], [1, 2]]: Sigma = [[5, 4], [4, 5]], eigenvalues 9 (1, 1) and 1 (1, -1),
    # discriminant 100 - 36 = 64.  k = 1 < 2.  Critical products P Y: 0 (value 10/2 = 5), keep 9
    # [[3/2, 3/2], [3/2, 3/2]] (value 1/2, col = span(1, 1) = col(U_hat): global), keep 1
    # [[1/2, -1/2], [-1/2, 1/2]] (value 9/2, col = span(1, -1): a saddle)
    res = run(YSJ, P(widths=[2, 1, 2], Y=[[2, 1], [1, 2]], loss="square"))
    assert by_name(res, SV).detail.endswith("= 64")
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    pts = points(res)
    top, low = pts["closed form: keep eigenvalues of Sigma {9}"], pts["closed form: keep eigenvalues of Sigma {1}"]
    assert (top.kind, top.value) == ("global-minimum", Fraction(1, 2))
    assert "col(W_H...W_{p+1}) = col(U_hat)" in top.note
    assert (low.kind, low.value) == ("strict-saddle", Fraction(9, 2))
    assert "!= col(U_hat)" in low.note
    assert pts["closed form: keep eigenvalues of Sigma {none}"].value == 5
    # the column-space test on its own, on those products
    S = matrix([[5, 4], [4, 5]])
    assert spans_top_eigenspace(S, matrix([[3, 3], [3, 3]])) is True
    assert spans_top_eigenspace(S, matrix([[1, -1], [-1, 1]])) is False
    assert spans_top_eigenspace(S, matrix([[1], [0]])) is False   # not Sigma-invariant


def test_yun_irrational_top_eigenspace_is_decided_exactly():
    # Y = [[2,1,0],[1,1,0],[0,0,1/2]], X = I: Sigma = Y^2 = [[5,3,0],[3,2,0],[0,0,1/4]],
    # eigenvalues (7 +- 3 sqrt 5)/2 ~ 6.854, 0.146 and 1/4; k = 2.  Keeping the quadratic factor
    # gives col = span(e1, e2) with eigenvalues 6.854 and 0.146, not the top two (6.854, 1/4):
    # value 1/2 * 1/4 = 1/8 > (7 - 3 sqrt 5)/4, a saddle
    res = run(YSJ, P(widths=[3, 2, 3], Y=[[2, 1, 0], [1, 1, 0], [0, 0, "1/2"]], loss="square"))
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    pt = points(res)["closed form: keep eigenvalues of Sigma {roots of x^2 + (-7)*x + 1}"]
    assert (pt.kind, pt.value, pt.product_rank) == ("strict-saddle", Fraction(1, 8), 2)
    assert "!= col(U_hat)" in pt.note
    S = matrix([[5, 3, 0], [3, 2, 0], [0, 0, Fraction(1, 4)]])
    assert spans_top_eigenspace(S, matrix([[1, 0], [0, 1], [0, 0]])) is False
    T = matrix([[2, 1, 0], [1, 1, 0], [0, 0, 0]])    # eigenvalues (3 +- sqrt 5)/2 ~ 2.618, 0.382, 0
    assert spans_top_eigenspace(T, matrix([[1, 0], [0, 1], [0, 0]])) is True
    assert spans_top_eigenspace(T, matrix([[0], [0], [1]])) is False
    D = matrix([[5, 0, 0], [0, 5, 0], [0, 0, 1]])
    assert spans_top_eigenspace(D, matrix([[1], [0], [0]])) is None   # lambda_1 = lambda_2
    assert spans_top_eigenspace(D, matrix([[1, 1], [0, 1], [0, 0]])) is True


def test_yun_checks_output_width_against_samples():
    # X = [[1, 2]]: n = 2 < d_H = 3.  M = Y X^T X / 5 = (1, 2, 3)^T (1, 2) / 5 has 2 singular values,
    # the square roots of the eigenvalues 14/5 and 0 of M^T M (discriminant (14/5)^2 = 196/25):
    # distinct, although Sigma = M M^T (3 x 3: 14/5, 0, 0) repeats 0
    p = P(widths=[1, 1, 3], X=[[1, 2]], Y=[[1, 0], [0, 1], [1, 1]], loss="square")
    res = run(YSJ, p)
    assert res.headline() == "does not apply: assumption d_H <= n fails: d_H = 3, n = 2 samples"
    sv = by_name(res, SV)
    assert sv.holds is True and "M^T M" in sv.detail and sv.detail.endswith("= 196/25")
    assert sigma_distinct_eigenvalues(p).holds is False


def test_yun_applies_with_output_wider_than_input():
    # the paper has no side condition d_H <= d_0.  X = [[1, 1]], Y = [[1, 3], [2, 0]]: Y X^T =
    # (4, 2)^T, Sigma = [[8, 4], [4, 2]] (eigenvalues 10, 0; discriminant 100).  Optimum
    # R = Y X^T (X X^T)^{-1} = (2, 1)^T, residual [[1, -1], [-1, 1]]: value 2; origin 14/2 = 7
    res = run(YSJ, P(widths=[1, 1, 2], X=[[1, 1]], Y=[[1, 3], [2, 0]], loss="square"))
    assert res.applies and by_name(res, SV).detail.endswith("= 100")
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    pts = points(res)
    assert (pts["closed form: keep eigenvalues of Sigma {10}"].kind,
            pts["closed form: keep eigenvalues of Sigma {10}"].value) == ("global-minimum", 2)
    assert (pts["closed form: keep eigenvalues of Sigma {none}"].kind,
            pts["closed form: keep eigenvalues of Sigma {none}"].value) == ("strict-saddle", 7)


def test_yun_distinct_singular_values_assumed_without_bottleneck_too():
    # X = Y = I: no bottleneck, but Sigma = I has the double eigenvalue 1 (discriminant 0)
    res = run(YSJ, P(widths=[2, 2, 2], Y=[[1, 0], [0, 1]], loss="square"))
    assert not res.applies
    assert res.headline().startswith(f"does not apply: assumption {SV} fails:")
    assert "discriminant of the characteristic polynomial of Sigma = 0" in res.headline()


# --- Ma & Fattahi 2022 -----------------------------------------------------------------------
def test_ma_fattahi_negative_result_at_depth_one():
    # "given any N >= 1".  x = (1, 1, 3), y = (1, 1, 6), L(w) = 2|w - 1| + 3|w - 2|: the truth
    # w = 1 fits 2 of 3 samples; L(1 + t) = 3 - t (descent), so not a local minimum; the
    # minimizer is w = 2 (slopes -1 / +5), value 2 < 3: not global either
    p = P(widths=[1, 1], X=[[1, 1, 3]], Y=[[1, 1, 6]], loss="l1")
    res = run("ma_fattahi2022", p)
    assert res.applies
    assert by_name(res, "H >= 1 weight matrices").detail == "H = 1 weight matrices"
    assert res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    truth = points(res)["truth, standard factorization"]
    assert (truth.kind, truth.value) == ("not-critical", 3)
    best = classify(p, point_from_dict({"weights": [[[2]]]}, p))
    assert best.kind is Kind.GLOBAL_MINIMUM and best.value == 2
    assert check_certificate(loads_exact(json.dumps(best.certificate.to_json()))).valid


def test_ma_fattahi_citation_names_both_versions():
    t = get_theorem("ma_fattahi2022")
    assert "arXiv:2207.07612" in t.citation and "NeurIPS 2022" in t.citation
    assert "Blessing of nonconvexity in deep linear models" in t.citation
    assert "Blessing of depth in linear regression" in t.citation
    assert "appears in neither abstract" in t.caveat


# --- Zhang 2019 --------------------------------------------------------------------------------
RANK1_X = [[1, 2, 0], [2, 4, 0]]          # = u v^T, u = (1, 2), v = (1, 2, 0): rank 1 < d_0 = 2
RANK1_Y = [[1, 0, 1], [0, 1, 1]]


def test_zhang_square_loss_premise_needs_no_full_rank_x():
    # R X = (R u) v^T and a = R u ranges over R^2, so the optimum is a = Y v / |v|^2 = (1, 2)/5,
    # value (||Y||^2 - |Y v|^2 / |v|^2) / 2 = (4 - 1)/2 = 3/2, attained by W_1 = [[1, 2]]/5,
    # W_2 = [[1]], W_3 = [[1], [2]]/5 (product [[1, 2], [2, 4]]/25, R u = (1, 2)/5)
    p = P(widths=[2, 1, 1, 2], X=RANK1_X, Y=RANK1_Y, loss="square")
    premise = zhang2019.two_layer_premise(p, None)      # not searched: proven outright
    assert premise.holds is True and not premise.declared
    assert "any X and Y" in premise.detail and "Nouiehed & Razaviyayn" in premise.detail
    pt = point_from_dict({"weights": [[["1/5", "2/5"]], [[1]], [["1/5"], ["2/5"]]]}, p)
    res = run("zhang2019", p, pt)
    assert res.applies and res.conclusion.status is ConclusionStatus.HOLDS_ON_INSTANCE
    given = points(res)["the given point"]
    assert (given.kind, given.value) == ("global-minimum", Fraction(3, 2))


def test_zhang_premise_stays_open_for_other_losses_and_weight_decay():
    bottleneck = dict(widths=[2, 1, 2], Y=[[2, 1], [1, 2]])
    assert zhang2019.two_layer_premise(P(**bottleneck, loss={"name": "power", "p": 4}), None).holds is None
    decayed = P(**bottleneck, loss="square", weight_decay="1/10")
    assert zhang2019.two_layer_premise(decayed, None).holds is None


# --- Lu & Kawaguchi 2017 ---------------------------------------------------------------------
def test_lu_kawaguchi_caveat_reports_the_disputed_lemma():
    caveat = get_theorem("lu_kawaguchi2017").caveat
    assert "Lemma 3.3" in caveat and "Stewart 1998" in caveat and "does not use that lemma" in caveat


# --- the doc pages carry the registry's text --------------------------------------------------
@pytest.mark.parametrize("tid", sorted(t.id for t in THEOREMS))
def test_doc_page_matches_registry(tid):
    t = get_theorem(tid)
    text = (DOCS / f"{tid}.md").read_text(encoding="utf-8")
    caveats = re.search(r"## Caveats\n\n(.*?)\n\n", text, re.S).group(1)
    statement = re.search(r"## Statement \(our words\)\n\n(.*?)\n\n", text, re.S).group(1)
    assert caveats == t.caveat and statement == t.statement
    assert t.citation in text
    for name, _ in t.assumptions_doc:
        assert f"| `{name}` |" in text
    reading = re.search(r"\*\*Reading:\*\* (.*)", text).group(1)
    assert ("reconstructed" in reading) == t.reconstructed


def test_doctests_of_exact_algebraic():
    import doctest

    from landscape_proofs.kernel import algebraic
    result = doctest.testmod(algebraic)
    assert result.failed == 0 and result.attempted >= 6
