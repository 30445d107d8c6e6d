"""`landscape search`: multi-start descent, grouping modulo symmetry, certification."""
from __future__ import annotations

import io
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.cli.main import main
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.search.dedupe import group, invariants
from landscape_proofs.search.local import DescentConfig, Method, RunStatus, descend
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.search.progress import TtyProgress
from landscape_proofs.search.snap import canonical_factorization, simplest_rational

BH = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
      "loss": "square"}


def _without_timings(d: dict) -> dict:
    d = dict(d)
    d.pop("seconds"), d.pop("descent_seconds")
    return d


def _assert_sound(report):
    """Every reported kind is certified by the checker; no certified point has a nonzero
    gradient; counts add up to the number of starts."""
    assert sum(g.starts for g in report.groups) + report.stopped_short + report.diverged \
        == report.config.starts
    for g in report.groups:
        assert g.kind is not Kind.NOT_CRITICAL
        if g.certified:
            res = check_certificate(json.loads(json.dumps(g.certificate)))
            assert res.valid, res.reason
            assert res.claim == g.kind.value
        if g.certified and g.point is not None:
            obj = exact_objective(report.problem)
            assert all(x == 0 for x in obj.gradient_vector(exact_weights(g.point)))
    for o in report.outcomes:
        if o.status is not RunStatus.CONVERGED and o.status is not RunStatus.AT_KINK:
            assert o.group is None


def test_baldi_hornik_finds_the_certified_global_value_5():
    p = problem_from_dict(BH)
    r = search(p, SearchConfig(starts=60, seed=3))
    _assert_sound(r)
    assert r.global_value.value == 5
    best = min((g for g in r.groups if g.certified), key=lambda g: g.value)
    assert best.kind is Kind.GLOBAL_MINIMUM and best.value == 5
    # keeping the top singular direction: the product is diag(5, 0, 0)
    assert best.point is not None
    R = exact_objective(p).product(exact_weights(best.point))
    assert [R[i, j] for i in range(3) for j in range(3)] == [5, 0, 0, 0, 0, 0, 0, 0, 0]


def test_seeded_search_is_reproducible():
    p = problem_from_dict(BH)
    a = search(p, SearchConfig(starts=30, seed=7))
    b = search(p, SearchConfig(starts=30, seed=7))
    c = search(p, SearchConfig(starts=30, seed=8))
    assert _without_timings(a.to_json()) == _without_timings(b.to_json())
    assert [o.gradient_norm for o in a.outcomes] != [o.gradient_norm for o in c.outcomes]


def test_runs_that_stop_short_are_counted_and_never_classified():
    p = problem_from_dict(BH)
    cfg = SearchConfig(starts=20, seed=0,
                       descent=DescentConfig(method=Method.GRADIENT, gradient_iterations=3))
    r = search(p, cfg)
    assert r.stopped_short > 0
    _assert_sound(r)
    short = [o for o in r.outcomes if o.status is RunStatus.STOPPED_SHORT]
    assert all(o.group is None and o.gradient_norm > cfg.descent.gtol for o in short)


def test_saddle_free_newton_leaves_the_saddle_gradient_descent_stays():
    # L(a, b) = 1/2 (ab - 4)^2 from the origin (a strict saddle, gradient exactly 0)
    obj = BatchedDeepLinear([1, 1, 1], np.ones((1, 1)), np.full((1, 1), 4.0), "square")
    x0 = np.zeros((1, 2))
    newton = descend(obj, x0, DescentConfig(method=Method.NEWTON))
    assert newton.statuses()[0] is RunStatus.CONVERGED and newton.value[0] < 1e-20
    gd = descend(obj, x0, DescentConfig(method=Method.GRADIENT))
    assert gd.value[0] == 8.0       # converged *at* the saddle: classification must say so
    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[4]],
                           "loss": "square"})
    from landscape_proofs.search.snap import certify_limit_point
    cert = certify_limit_point(p, gd.x[0], (1, 1, 1))
    assert cert.kind is Kind.STRICT_SADDLE and cert.certified


def test_grouping_separates_equal_products_with_different_rank_profiles():
    # docs/examples.md (depth3-diag27): diag(3,0)^3 and (diag(1,0), I, diag(27,0)): same product and value
    d3 = np.diag([3.0, 0.0])
    A = [np.stack([d3, np.diag([1.0, 0.0])]), np.stack([d3, np.eye(2)]),
         np.stack([d3, np.diag([27.0, 0.0])])]
    inv = invariants(A, np.array([0.5, 0.5]), orthogonal=False)
    assert np.allclose(inv.product[0], inv.product[1])
    assert len(group(inv, np.array([0, 1]))) == 2
    # and a symmetry image of the first point joins its group
    G = np.array([[2.0, 1.0], [0.0, 1.0]])
    B = [np.stack([d3, G @ d3]), np.stack([d3, d3 @ np.linalg.inv(G)]), np.stack([d3, d3])]
    inv2 = invariants(B, np.array([0.5, 0.5]), orthogonal=False)
    assert len(group(inv2, np.array([0, 1]))) == 1


def test_irrational_limit_points_are_certified_by_enclosure_or_reported_uncertified():
    # widths 2-1-2, Y = [[3, 1], [1, 2]]: the optimum keeps the top eigenvector of Y, whose
    # entries are irrational; no rational point is critical near it.
    p = problem_from_dict({"family": "deep-linear", "widths": [2, 1, 2], "Y": [[3, 1], [1, 2]],
                           "loss": "square"})
    r = search(p, SearchConfig(starts=20, seed=0))
    _assert_sound(r)
    top = r.groups[0]
    assert abs(top.value_approx - (5 - np.sqrt(5)) / 2 * ((5 - np.sqrt(5)) / 2) / 2) < 1e-9
    if top.certified:
        assert top.value is None and top.value_enclosure is not None
        lo, hi = top.value_enclosure
        assert lo <= Fraction(top.value_approx) + Fraction(1, 10**9) and hi >= lo
    else:
        assert "rational candidates" in top.reason
    r2 = search(p, SearchConfig(starts=20, seed=0, enclosures=False))
    assert not r2.groups[0].certified and r2.groups[0].kind is None


@settings(max_examples=200, deadline=None, database=None)
@given(st.fractions(), st.fractions(min_value=0, max_value=1))
def test_simplest_rational_is_in_the_interval_and_simplest(x, w):
    lo, hi = x - w / 3, x + w / 3
    q = simplest_rational(lo, hi)
    assert lo <= q <= hi
    for d in range(1, min(q.denominator, 60)):   # no smaller denominator fits
        assert not any(lo <= Fraction(n, d) <= hi
                       for n in range(math.ceil(lo * d), math.floor(hi * d) + 1))


def test_canonical_factorization_reproduces_the_product():
    import flint
    p = problem_from_dict({"family": "deep-linear", "widths": [3, 2, 2, 3], "Y": BH["Y"],
                           "loss": "square"})
    R = flint.fmpq_mat([[1, 2, 3], [2, 4, 6], [0, 1, 1]])
    pt = canonical_factorization(p, R)
    assert exact_objective(p).product(exact_weights(pt)) == R


def test_progress_bar_only_on_a_tty():
    quiet = io.StringIO()
    bar = TtyProgress(quiet)
    bar(5, 10, "descent")
    bar.close()
    assert quiet.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self):
            return True

    loud = Tty()
    bar = TtyProgress(loud, interval=0)
    bar(10, 10, "descent")
    bar.close()
    assert "10/10" in loud.getvalue() and loud.getvalue().endswith("\n")


def test_cli_search_writes_certificates_that_verify(tmp_path, capsys):
    prob = tmp_path / "bh.json"
    prob.write_text(json.dumps(BH))
    out = tmp_path / "out"
    assert main(["search", str(prob), "--starts", "30", "--seed", "1", "--out", str(out),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["global_value"]["value"] == 5
    files = [g["certificate_file"] for g in data["groups"] if g["certificate_file"]]
    assert files and (out / "search.json").exists()
    assert main(["verify", *files]) == 0
    assert data["converged"] + data["stopped_short"] + data["diverged"] + data["at_kink"] == 30


def test_verify_re_derives_a_search_summarys_numbers(tmp_path, capsys):
    """The summary's values, points, problem, global value and undecided count are claims:
    each tampered one fails verify (exit 1), the untouched summary passes."""
    prob = tmp_path / "bh.json"
    prob.write_text(json.dumps(BH))
    out = tmp_path / "out"
    assert main(["search", str(prob), "--starts", "12", "--seed", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "search.json").read_text())
    capsys.readouterr()
    assert main(["verify", str(out / "search.json")]) == 0
    exact = [g for g in summary["groups"] if g["certified"] and g["value"] is not None]
    assert exact and summary["global_value"]["value"] == 5      # the closed form (hand: 5)

    def tampered(edit):
        bad = json.loads(json.dumps(summary))
        edit(bad)
        path = out / "tampered.json"
        path.write_text(json.dumps(bad))
        return main(["verify", str(path)])

    i = summary["groups"].index(exact[0])
    v = exact[0]["value"]
    assert tampered(lambda d: d["groups"][i].update(value="123/7" if v != "123/7" else "1/7")) == 1
    assert tampered(lambda d: d["groups"][i]["point"]["weights"][0][0].__setitem__(0, 99)) == 1
    assert tampered(lambda d: d["global_value"].update(value=6)) == 1
    assert tampered(lambda d: d.update(undecided=d["undecided"] + 1)) == 1
    assert tampered(lambda d: d["problem"].update(Y=[[9]])) == 1
    assert tampered(lambda d: None) == 0


@pytest.mark.parametrize("argv", [["--starts", "0"], ["--seed", "-1"], ["--method", "bfgs"]])
def test_cli_search_bad_input_exit_2_one_line(tmp_path, capsys, argv):
    prob = tmp_path / "bh.json"
    prob.write_text(json.dumps(BH))
    assert main(["search", str(prob), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_search_missing_file_exit_2(capsys):
    assert main(["search", "/nonexistent/problem.json"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_diverging_runs_print_no_numpy_warning():
    """-2 cosh(R) is unbounded below: every run diverges, its gradient overflows; that is
    reported as divergence, never as a RuntimeWarning on the user's terminal."""
    import warnings

    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1],
                           "loss": {"name": "custom", "expression": "-(exp(R_0_0) + exp(-R_0_0))",
                                    "over": "product", "convex": False}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = search(p, SearchConfig(starts=100, seed=0))
    # (a start at R = 0, a maximum, may stop short there: every start diverges or stops)
    assert report.diverged >= 80 and report.diverged + report.stopped_short == 100
    assert not report.groups


def test_slow_runs_to_a_flat_minimum_of_one_layer_snap_to_it():
    # l(R) = (y - x^2)^2 + x^4 - x^6 over R = (x, y), one layer: near 0, l >= x^4 (1 - x^2) >= 0,
    # a local minimum with a quartic bottom (runs end ~1e-5 away from it), and l(2, 4) = -48:
    # spurious.  The loose entrywise snaps (1e-4, 1e-3) land on the origin, checked exactly.
    problem = problem_from_dict({"family": "deep-linear", "widths": [2, 1], "loss": {
        "name": "custom", "expression": "(R_0_1 - R_0_0**2)**2 + R_0_0**4 - R_0_0**6",
        "over": "product"}})
    report = search(problem, SearchConfig(starts=20, seed=0))
    at_zero = [g for g in report.groups if g.value == 0]
    assert len(at_zero) == 1 and at_zero[0].kind is Kind.SPURIOUS_LOCAL_MINIMUM
    assert all(x == 0 for x in exact_weights(at_zero[0].point)[0].entries())
    assert check_certificate(at_zero[0].certificate).holds
