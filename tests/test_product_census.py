"""The product-space census of unregularized deep linear networks (docs/census.md, "Without
weight decay: the product space"; kernel/product.py, search/product_census.py).

Hand derivations.  With X = I, L(W) = 1/2 ||W_H ... W_1 - Y||^2 and Sigma = Y Y^T.

* widths [2, 1, 2], Y = diag(3, 1): Sigma = diag(9, 1), r = 1; the critical products are
  R_{} = 0 (value 1/2 (9 + 1) = 5), R_{1} = diag(3, 0) (value 1/2 * 1 = 1/2, the optimum) and
  R_{2} = diag(0, 1) (value 1/2 * 9 = 9/2); fibres: saddle, global minimum, strict saddle
  (|S| = r = 1 and lambda_1 = 9 > lambda_2 = 1 is left out).
* widths [3, 2, 3], Y = diag(3, 2, 1): Sigma = diag(9, 4, 1), r = 2; 1 + 3 + 3 = 7 products,
  value(S) = 1/2 (sum of the eigenvalues not in S): {} 7, {1} 5/2, {2} 5, {3} 13/2,
  {1,2} 1/2 (global), {1,3} 2 and {2,3} 9/2 (strict saddles: size r, not the top).
* Y = [[2, 1], [1, 1]]: Sigma = [[5, 3], [3, 2]], eigenvalues (7 +- 3 sqrt 5)/2, irrational;
  values 7/2 (R = 0), (7 - 3 sqrt 5)/4 (the top) and (7 + 3 sqrt 5)/4.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import flint
import pytest

import landscape_proofs as lp
from landscape_proofs.api import as_problem
from landscape_proofs.cli.main import main
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.model import read_point, read_problem
from landscape_proofs.kernel.objective import Objective
from landscape_proofs.kernel.product import LEMMA
from landscape_proofs.schemas import validator
from landscape_proofs.search.census import census
from landscape_proofs.search.product_census import product_census
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.census_route import census_conclusion, circular


def problem(widths, Y, X=None, loss="square"):
    out = {"family": "deep-linear", "widths": widths, "Y": Y, "loss": loss}
    if X is not None:
        out["X"] = X
    return out


DIAG = problem([2, 1, 2], [[3, 0], [0, 1]])
DIAG3 = problem([2, 1, 1, 2], [[3, 0], [0, 1]])
IRR = problem([2, 1, 2], [[2, 1], [1, 1]])
WIDE = problem([3, 2, 3], [[3, 0, 0], [0, 2, 0], [0, 0, 1]])


def by_subset(rep):
    return {tuple(p["subset"]): p for p in rep.points}


@pytest.fixture(scope="module")
def diag():
    return product_census(DIAG)


@pytest.fixture(scope="module")
def irr():
    return product_census(IRR)


# --- hand-derived answers ----------------------------------------------------------------
@pytest.mark.parametrize("widths", [[2, 1, 2], [2, 1, 1, 2], [2, 2, 1, 2]])
def test_diag_3_1_hand_derived(widths):
    rep = product_census(problem(widths, [[3, 0], [0, 1]]))
    assert rep.complete and rep.real_count == 3
    pts = by_subset(rep)
    # two layers: the rank-0 fibre is strict too (a kernel vector of W_1^T or W_2, no lemma);
    # from three layers on it holds the non-strict origin and is a "saddle" fibre (the lemma)
    low = "strict-saddle" if len(widths) == 3 else "saddle"
    assert {s: (p["kind"], p["value"], p["rank"]) for s, p in pts.items()} == {
        (): (low, "5", 0), (1,): ("global-minimum", "1/2", 1), (2,): ("strict-saddle", "9/2", 1)}
    assert pts[()]["product"] == [["0", "0"], ["0", "0"]]
    assert pts[(1,)]["product"] == [["3", "0"], ["0", "0"]]
    assert pts[(2,)]["product"] == [["0", "0"], ["0", "1"]]
    assert rep.eigenvalues == ["9", "1"] and rep.relies_on == (() if len(widths) == 3 else (LEMMA,))


def test_three_outputs_rank_two_hand_derived():
    rep = product_census(WIDE)
    assert rep.complete and rep.real_count == 7
    assert {s: (p["kind"], p["value"]) for s, p in by_subset(rep).items()} == {
        (): ("strict-saddle", "7"), (1,): ("strict-saddle", "5/2"), (2,): ("strict-saddle", "5"),
        (3,): ("strict-saddle", "13/2"), (1, 2): ("global-minimum", "1/2"),
        (1, 3): ("strict-saddle", "2"), (2, 3): ("strict-saddle", "9/2")}
    assert rep.kinds == {"global-minimum": 1, "strict-saddle": 6} and rep.relies_on == ()


@pytest.mark.parametrize("weights", [
    # [2, 2, 2], Y = diag(3, 1): the rank-1 fibre of S = {1} (R = diag(3, 0), |S| = 1 < r = 2):
    # G = R - Y = diag(0, -1), W_2^T G = 0 and G W_1^T = 0 by hand, and W_2 e_2 = 0
    [[[1, 0], [0, 0]], [[3, 0], [0, 0]]],
    [[[3, 0], [0, 0]], [[1, 0], [0, 0]]],
    [[[0, 0], [0, 0]], [[0, 0], [0, 0]]],          # the rank-0 fibre: the origin
])
def test_two_layer_rank_deficient_fibres_are_strict_at_their_points(weights):
    # the census's fibre-wide claim against the exact Hessian at points of the fibre
    prob = problem([2, 2, 2], [[3, 0], [0, 1]])
    res = lp.classify(prob, {"weights": weights})
    assert res.kind == "strict-saddle"
    fib = {tuple(f["subset"]): f["kind"] for f in product_census(prob).points}
    assert fib[(1,)] == fib[()] == "strict-saddle"


def _contains_root_of(box, a, b, c):
    """Does [lo, hi] contain (a - b sqrt 5) / c (b > 0, c > 0)?  sqrt 5 = (a - c v) / b is
    decreasing in v, so lo <= v <= hi iff ((a - c hi)/b)^2 <= 5 <= ((a - c lo)/b)^2 when
    both bases are >= 0 (true here)."""
    lo, hi = Fraction(box["lo"]), Fraction(box["hi"])
    top, bottom = (a - c * lo) / b, (a - c * hi) / b
    return bottom >= 0 and bottom ** 2 <= 5 <= top ** 2


def test_irrational_eigenvalues_give_certified_enclosures(irr):
    assert irr.complete
    pts = by_subset(irr)
    assert pts[()]["value"] == "7/2"                               # 1/2 tr Sigma, rational
    assert pts[(1,)]["kind"] == "global-minimum" and pts[(2,)]["kind"] == "strict-saddle"
    assert _contains_root_of(pts[(1,)]["value"], 7, 3, 4)          # (7 - 3 sqrt 5) / 4
    assert _contains_root_of({"lo": -Fraction(pts[(2,)]["value"]["hi"]),
                              "hi": -Fraction(pts[(2,)]["value"]["lo"])}, -7, 3, 4)
    lam1, lam2 = irr.eigenvalues
    assert _contains_root_of({"lo": -Fraction(lam1["hi"]), "hi": -Fraction(lam1["lo"])}, -7, 3, 2)
    assert _contains_root_of(lam2, 7, 3, 2)
    # P_{1} + P_{2} = I, so the two product enclosures must add up around Y
    R1, R2 = pts[(1,)]["product"], pts[(2,)]["product"]
    for i in range(2):
        for j in range(2):
            lo = Fraction(R1["lo"][i][j]) + Fraction(R2["lo"][i][j])
            hi = Fraction(R1["hi"][i][j]) + Fraction(R2["hi"][i][j])
            assert lo <= IRR["Y"][i][j] <= hi and hi - lo < Fraction(1, 10 ** 30)


def test_values_are_the_loss_at_the_products_with_general_X():
    # X 2 x 3 of full row rank: the value of every exact fibre is 1/2 ||R X - Y||^2, computed here
    P = problem([2, 1, 2], [[1, 0, 2], [0, 3, 1]], X=[[1, 0, 1], [0, 1, 1]])
    rep = product_census(P)
    assert rep.complete and rep.real_count == 3
    X = [[Fraction(x) for x in row] for row in P["X"]]
    Y = P["Y"]
    for p in rep.points:
        R = [[Fraction(x) for x in row] for row in p["product"]]
        RX = [[sum(R[i][k] * X[k][j] for k in range(2)) for j in range(3)] for i in range(2)]
        loss = sum((RX[i][j] - Y[i][j]) ** 2 for i in range(2) for j in range(3)) / 2
        assert Fraction(p["value"]) == loss
    assert Fraction(by_subset(rep)[()]["value"]) == Fraction(1 + 4 + 9 + 1, 2)   # 1/2 ||Y||^2


def _witness(P, subset):
    """A critical point with product R_S: W_H = [U_S 0], W_1 = [(U^T U)^{-1} U^T Y X^+; 0],
    middle layers the identity on the first |S| units (docs/census.md)."""
    import sympy
    Y, X = sympy.Matrix(P["Y"]), sympy.Matrix(P.get("X") or sympy.eye(P["widths"][0]).tolist())
    Sig = Y * X.T * (X * X.T).inv() * X * Y.T
    vals = sorted(Sig.eigenvals(), reverse=True)
    U = sympy.Matrix.hstack(*[(Sig - vals[i - 1] * sympy.eye(Sig.rows)).nullspace()[0]
                              for i in subset]) if subset else sympy.zeros(Sig.rows, 0)
    k, w = len(subset), P["widths"]
    first = (U.T * U).inv() * U.T * Y * X.T * (X * X.T).inv() if k else sympy.zeros(0, w[0])
    layers = []
    for li in range(len(w) - 1):
        M = sympy.zeros(w[li + 1], w[li])
        if li == 0:
            M[:k, :] = first
        elif li == len(w) - 2:
            M[:, :k] = U
        else:
            M[:k, :k] = sympy.eye(k)
        layers.append([[str(x) for x in M.row(i)] for i in range(M.rows)])
    return layers


@pytest.mark.parametrize("P", [DIAG, WIDE, problem([2, 1, 1, 2], [[3, 0], [0, 1]]),
                               problem([2, 1, 2], [[1, 0, 2], [0, 3, 1]], X=[[1, 0, 1], [0, 1, 1]])])
def test_every_listed_product_is_reached_by_an_exactly_critical_point(P):
    kp = read_problem(P)
    obj = Objective(kp)
    for p in product_census(P).points:
        W = read_point({"weights": _witness(P, p["subset"])}, kp)
        assert all(g == 0 for g in obj.gradient_vector(W))
        assert obj.product(W) == flint.fmpq_mat([[_q(x) for x in r] for r in p["product"]])
        assert obj.value(W) == _q(p["value"])


def _q(text):
    x = Fraction(text)
    return flint.fmpq(x.numerator, x.denominator)


def test_a_saddle_fibre_holds_strict_and_non_strict_saddles():
    # [2,1,1,2], S = {}: the origin is a non-strict saddle (depth 3, Hessian 0) while another
    # critical point with product 0 (W_1 = 0, W_2 = 0, W_3 = e_1) is a strict saddle
    from landscape_proofs.families.deep_linear import Point
    from landscape_proofs.theorems.direct import decide_square_critical_point
    P = as_problem(problem([2, 1, 1, 2], [[3, 0], [0, 1]]))
    origin = decide_square_critical_point(P, Point.of(P, [[[0, 0]], [[0]], [[0], [0]]]))
    other = decide_square_critical_point(P, Point.of(P, [[[0, 0]], [[0]], [[1], [0]]]))
    assert origin.kind.value == "non-strict-saddle", origin.reason
    assert other.kind.value == "strict-saddle", other.reason


# --- the kernel rejects tampering ----------------------------------------------------------
def _tamper(cert, how):
    c = copy.deepcopy(cert)
    pc = c["product_census"]
    if how == "drop":
        pc["fibres"].pop(0)
    elif how == "duplicate":
        pc["fibres"][0] = copy.deepcopy(pc["fibres"][1])
    elif how == "value":
        f = next(f for f in pc["fibres"] if f["subset"] == [1])
        f["value"] = "1/3" if isinstance(f["value"], str) else {"lo": "0", "hi": "1/100"}
    elif how == "swap":
        pc["eigenvalues"].reverse()
    elif how == "data":
        c["problem"]["Y"][1][1] = 2
    elif how == "kind":
        f = next(f for f in pc["fibres"] if f["subset"] == [2])
        f["kind"] = "global-minimum"
    elif how == "product":
        f = next(f for f in pc["fibres"] if f["subset"] == [1])
        if isinstance(f["product"], list):
            f["product"][0][0] = "4"
        else:
            f["product"]["hi"][0][0] = f["product"]["lo"][0][0]
    elif how == "decay":
        c["problem"]["weight_decay"] = "1/10"
    return c


@pytest.mark.parametrize("how", ["drop", "duplicate", "value", "swap", "data", "kind",
                                 "product", "decay"])
@pytest.mark.parametrize("which", ["diag", "irr"])
def test_tampered_product_census_is_rejected(how, which, request):
    rep = request.getfixturevalue(which)
    assert check_certificate(rep.certificate).holds
    res = check_certificate(_tamper(rep.certificate, how))
    assert not res.holds and res.claim == "product-census"


def test_a_strict_saddle_claimed_on_a_non_top_set_needs_a_larger_eigenvalue_left_out():
    # relabelling: claiming the top set {1} is a strict saddle (and {2} the global) is refused
    rep = product_census(DIAG)
    c = copy.deepcopy(rep.certificate)
    for f in c["product_census"]["fibres"]:
        f["kind"] = {"global-minimum": "strict-saddle", "strict-saddle": "global-minimum"}.get(
            f["kind"], f["kind"])
    assert not check_certificate(c).holds


# --- scope -------------------------------------------------------------------------------
@pytest.mark.parametrize("P, words", [
    (problem([2, 1, 2], [[1, 0], [0, 1]]), "repeated eigenvalue"),
    (problem([2, 1, 2], [[1, 0, 0], [0, 1, 0]], X=[[1, 1, 0], [2, 2, 0]]), "X X^T is singular"),
    (problem([2, 1, 2], [[3, 0], [0, 1]], loss="l1"), "square loss"),
])
def test_out_of_scope_is_incomplete_naming_the_condition(P, words):
    rep = census(P)
    assert not rep.complete and words in rep.reason and "no weight decay" in rep.reason


def test_decay_still_goes_to_branch_and_bound():
    rep = census({**DIAG, "weight_decay": "1/2"}, timeout=5)
    assert rep.to_json().get("space") is None


# --- command line, verify, schema ----------------------------------------------------------
def test_cli_census_out_and_verify_report_relies_on(tmp_path, capsys):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(IRR))
    assert main(["census", str(f), "--json", "--out", str(tmp_path / "c")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["space"] == "product" and out["complete"] and out["real_count"] == 3
    assert validator("census").is_valid(out)
    cert = json.loads((tmp_path / "c" / "census.json").read_text())
    assert validator("certificate").is_valid(cert)
    assert main(["verify", "--json", str(tmp_path / "c" / "census.json")]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert rows[0]["holds"] and rows[0]["relies_on"] == []          # two layers: nothing cited
    bad = _tamper(cert, "swap")
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert main(["verify", str(tmp_path / "bad.json")]) == 1


# --- check: proved-on-instance, and the circularity rule -----------------------------------
@pytest.mark.parametrize("theorem", ["kawaguchi2016", "lu_kawaguchi2017", "zhang2019"])
def test_check_proves_two_layer_instances_through_the_product_census(theorem):
    c = lp.check(theorem, DIAG)
    assert c.conclusion.status is ConclusionStatus.PROVED_ON_INSTANCE
    assert "relies on" not in c.conclusion.summary          # two layers: nothing cited
    assert c.conclusion.certificates[0]["claim"] == "product-census"


def test_three_layers_rely_on_the_lemma_which_implies_the_statements():
    # Lu & Kawaguchi's transfer (with the benign rank-constrained problem) says "every local
    # minimum is global" by itself, and "global or saddle" contains that: no proof by citation
    assert product_census(DIAG3).relies_on == (LEMMA,)
    for theorem in ("kawaguchi2016", "zhang2019"):
        c = lp.check(theorem, DIAG3)
        assert c.conclusion.status is not ConclusionStatus.PROVED_ON_INSTANCE
        # and the report says why the census was not used
        assert any("not used as a proof" in n and "Lu & Kawaguchi 2017" in n
                   for n in c.conclusion.notes)


def test_a_theorem_is_not_proved_by_a_lemma_from_its_own_source():
    r = census_conclusion("local-minima-global", as_problem(DIAG3), source="arXiv:1702.08580")
    assert r is None
    c = lp.check("lu_kawaguchi2017", DIAG3)
    assert c.conclusion.status is not ConclusionStatus.PROVED_ON_INSTANCE
    # with the shallow problem's benign landscape the lemma says "every local minimum is
    # global" by itself: no proof by citation of that statement, from any source
    assert "asserts the statement" in circular([LEMMA], "local-minima-global", "arXiv:1605.07110")
    assert "part of the statement" in circular([LEMMA], "saddles-or-global", "arXiv:1605.07110")
    assert circular([], "saddles-or-global", "arXiv:1605.07110") is None
    assert census_conclusion("local-minima-global", as_problem(DIAG3), source="arXiv:1605.07110") is None
    assert "does not know" in circular(["Someone 2030, Lemma 1"], "local-minima-global", None)


def test_census_plot_of_a_product_census_draws_values_by_rank(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from landscape_proofs.viz.figures import summary_points
    f = tmp_path / "p.json"
    f.write_text(json.dumps(WIDE))
    assert main(["census", str(f), "--json", "--plot", str(tmp_path / "c.svg")]) == 0
    out = json.loads(capsys.readouterr().out)
    label, pts = summary_points(out)
    assert label.startswith("rank") and (tmp_path / "c.svg").stat().st_size > 0
    assert sorted(pts) == sorted((float(len(s)), float(Fraction(v)), k) for s, v, k in [
        ((), "7", "strict-saddle"), ((1,), "5/2", "strict-saddle"), ((2,), "5", "strict-saddle"),
        ((3,), "13/2", "strict-saddle"), ((1, 2), "1/2", "global-minimum"),
        ((1, 3), "2", "strict-saddle"), ((2, 3), "9/2", "strict-saddle")])


def test_more_than_eight_outputs_is_refused_before_any_exact_work():
    Y = [[int(i == j) * (i + 1) for j in range(9)] for i in range(9)]
    rep = census(problem([9, 1, 9], Y))
    assert not rep.complete and "more than 8 outputs" in rep.reason


def test_the_kernels_curve_coefficients_are_the_hand_derived_ones():
    # DIAG: S = {2} (0-based (1,)), i = 2, j = 1: unit eigenvectors e_2, e_1, k = 1, so the
    # t^2-coefficient is (lambda_2 - lambda_1) / 2 = (1 - 9) / 2 = -4; with the roles swapped
    # (a curve from the top set towards a smaller eigenvalue) it is +4: the check can fail.
    # The saddle line from R = 0 towards u_1: -lambda_1 = -9.
    from landscape_proofs.kernel.product import BITS, _curve, eigen
    kp = read_problem(DIAG)
    lams, Xp = eigen(kp), kp.X.transpose() * (kp.X * kp.X.transpose()).inv()
    with flint.ctx.workprec(BITS + 64):
        down, up = _curve(kp, lams, (1,), 1, 0, Xp), _curve(kp, lams, (0,), 0, 1, Xp)
        line = _curve(kp, lams, (), None, 0, Xp)
    assert down.contains(-4) and up.contains(4) and line.contains(-9)
    assert down.rad() < flint.arb(2) ** -100
    # irrational: S = {2} of Sigma = [[5, 3], [3, 2]]: k^2 (lambda_2 - lambda_1) / 2 < 0, and the
    # line from 0 has -lambda_1 = -(7 + 3 sqrt 5) / 2
    kp = read_problem(IRR)
    lams = eigen(kp)
    with flint.ctx.workprec(BITS + 64):
        assert _curve(kp, lams, (1,), 1, 0, Xp) < 0 < _curve(kp, lams, (0,), 0, 1, Xp)
        line = _curve(kp, lams, (), None, 0, Xp)
        assert (line + (7 + 3 * flint.arb(5).sqrt()) / 2).contains(0)


def test_the_cited_lemmas_hypothesis_y_of_full_row_rank_is_checked():
    # X = I, Y = [[1, 1], [1, 1]]: Sigma = Y Y^T has the distinct eigenvalues 4 and 0, but Y has
    # rank 1 < 2 rows, outside Lu & Kawaguchi's Theorem 2.2: no complete census
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.kernel.product import scope
    data = {"family": "deep-linear", "widths": [2, 1, 2], "loss": "square",
            "X": [[1, 0], [0, 1]], "Y": [[1, 1], [1, 1]]}
    assert "full row rank" in scope(read_problem(data))
