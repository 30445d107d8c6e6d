"""The public Python API (landscape_proofs.api) on hand-derived cases, and that it stays light.

The running example is f(a, b) = 1/2 (ab - 1)^2 (deep-linear, widths [1, 1, 1], Y = [[1]]):
grad f = (ab - 1)(b, a) and Hess f = [[b^2, 2ab - 1], [2ab - 1, a^2]].  At the origin
f = 1/2, grad f = 0 and Hess f = [[0, -1], [-1, 0]] (eigenvalues 1, -1): a strict saddle.
At a = b = 1, f = 0 = the lower bound of the loss: a global minimum (Hess [[1, 1], [1, 1]],
inertia (1, 0, 1)).
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from landscape_proofs import api
from landscape_proofs.kernel.errors import InputError

AB = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
ORIGIN = {"weights": [[[0]], [[0]]]}
ONE = {"weights": [[[1]], [[1]]]}
SHALLOW = {"family": "shallow-rank", "shape": [3, 3], "rank": 1,
           "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"}


def write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def ab(tmp_path):
    problem = api.load_problem(write(tmp_path, "ab.json", AB))
    return problem, tmp_path


def test_the_origin_is_a_strict_saddle_with_value_one_half_and_its_certificate_verifies(ab):
    problem, tmp_path = ab
    point = api.load_point(write(tmp_path, "origin.json", ORIGIN), problem)
    result = api.classify(problem, point)
    assert result.kind.value == "strict-saddle"
    assert result.value == Fraction(1, 2)
    assert result.inertia == (1, 1, 0)            # eigenvalues 1 and -1
    assert result.certificate is not None
    out = tmp_path / "cert.json"
    api.write_certificate(result.certificate, out)
    check = api.verify(out)
    assert check.valid and check.claim == "strict-saddle"
    assert api.check_certificate(api.read_certificate(out)).valid


def test_a_equals_b_equals_one_is_a_global_minimum_with_value_zero(ab):
    problem, tmp_path = ab
    point = api.load_point(write(tmp_path, "one.json", ONE), problem)
    result = api.classify(problem, point, seed=3)
    assert result.kind.value == "global-minimum"
    assert result.value == 0
    assert result.inertia == (1, 0, 1)            # Hess [[1, 1], [1, 1]]
    assert api.check_certificate(result.certificate.to_json()).valid


def test_a_tampered_certificate_is_rejected(ab):
    problem, tmp_path = ab
    result = api.classify(problem, api.point_from_dict(ORIGIN, problem))
    data = result.certificate.to_json()
    data["claim"] = "local-minimum"               # the origin is not one
    assert not api.check_certificate(data).valid


def test_classify_refine_delegates_to_the_refined_classifier(ab):
    problem, _ = ab
    near = api.point_from_dict({"weights": [[["1.0001"]], [["0.9999"]]]}, problem)
    result = api.classify(problem, near, refine=True, digits=30)
    assert type(result.raw).__name__ == "RefinedClassification"   # wrapped in api.Result
    assert result.kind.value == "global-minimum"
    assert "value_enclosure" in result.to_json()
    with pytest.raises(InputError, match="refine"):
        api.classify(problem, near, digits=30)


def test_the_classes_are_loaded_on_first_access():
    from landscape_proofs.produce.classify import Budget, classify

    assert api.Budget is Budget and api.classify_refined.__name__ == "classify_refined"
    assert {"Budget", "Kind", "Point", "classify", "verify"} <= set(dir(api))
    assert set(api.__all__) <= set(dir(api))
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018
    p = api.problem_from_dict(AB)
    assert api.classify(p, api.point_from_dict(ORIGIN, p), Budget(seed=1)).kind == \
        classify(p, api.point_from_dict(ORIGIN, p)).kind


def test_classify_shallow_and_its_refusal_of_other_families(ab):
    problem, _ = ab
    shallow = api.problem_from_dict(SHALLOW)
    # R = diag(0, 3, 0) keeps the second eigenvalue: R is neither a local min nor max on the set
    result = api.classify_shallow(shallow, api.point_from_dict({"R": [[0, 0, 0], [0, 3, 0],
                                                                      [0, 0, 0]]}, shallow))
    assert result.kind.value == "strict-saddle" and result.value == 13   # (25 + 0 + 1) / 2
    with pytest.raises(InputError, match="shallow-rank"):
        api.classify_shallow(problem, api.point_from_dict(ORIGIN, problem))


def test_theorems_explain_and_check():
    ids = [t.id for t in api.theorems()]
    assert "kawaguchi2016" in ids and len(ids) == len(set(ids))
    assert api.theorem("kawaguchi2016").id == "kawaguchi2016"
    with pytest.raises(InputError, match="unknown theorem"):
        api.theorem("nope")
    assert "kawaguchi2016" in api.explain("kawaguchi2016")
    assert api.explain(api.theorem("achour2021"), as_json=True)["id"] == "achour2021"
    result = api.check("kawaguchi2016", api.problem_from_dict(AB))
    assert not result.counterexample
    assert result.to_json()["theorem"] == "kawaguchi2016"


def test_derive_the_objective_and_refuse_shallow_rank():
    p = api.problem_from_dict(AB)
    text = api.derive(p)
    assert isinstance(text, str) and text
    both = api.derive(p, as_json=True)
    assert set(both) == {"plain", "latex"} and both["plain"] == text
    assert api.derive(p, latex=True) == both["latex"]
    with pytest.raises(InputError, match="field family"):
        api.derive(api.problem_from_dict(SHALLOW))


def test_openness_of_ab_at_the_origin():
    # (a, b) -> ab at (0, 0): k = 1 >= min(m, n) = 1 and rank(ab) + k - rank(b) = 1 >= m = 1,
    # so some a' of full row rank (a' = 1 here) has a' b = ab: open (rule pair-fill-rows)
    p = api.problem_from_dict(AB)
    decision, probe = api.openness(p, api.point_from_dict(ORIGIN, p), probe=False)
    assert decision.verdict.value == "open" and decision.rule == "pair-fill-rows"
    assert probe is None
    decision, probe = api.openness(p, api.point_from_dict(ORIGIN, p), targets=2, seed=1)
    assert probe.verdict is decision.verdict and probe.random_tried == 2


def test_search_reaches_and_certifies_the_global_minima():
    report = api.search(api.problem_from_dict(AB), starts=4, seed=0)
    data = report.to_json()
    assert data["config"]["starts"] == 4 and data["config"]["method"] == "hybrid"
    assert data["global_value"]["value"] == 0
    assert "certified global minimum" in data["global_value"]["source"]


def test_tour(tmp_path):
    report = api.tour(out_dir=tmp_path / "certs")
    assert report.all_ok
    assert any((tmp_path / "certs").iterdir())


def test_importing_the_api_loads_no_numpy_sympy_or_mpmath():
    code = ("import sys, landscape_proofs.api\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'sympy', 'mpmath', 'scipy'))\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout


# --- import landscape_proofs as lp: problems and points in any form, results -------------------
def test_lp_classify_the_origin_and_one_one_from_dicts_and_lists():
    import landscape_proofs as lp

    saddle = lp.classify(AB, [[[0]], [[0]]])
    assert saddle.kind == "strict-saddle" and saddle.value == Fraction(1, 2)
    assert lp.verify(saddle).holds
    minimum = lp.classify(AB, [[[1]], [[1]]])
    assert minimum.kind == "global-minimum" and minimum.value == 0
    assert lp.verify(minimum.certificate_json).holds


def test_a_point_as_nested_lists_fractions_decimal_strings_a_dict_or_a_file_agree(tmp_path):
    import landscape_proofs as lp

    problem = lp.load_problem(write(tmp_path, "ab.json", AB))
    forms = [[[[1]], [[1]]],                                    # nested lists of ints
             [[[Fraction(1)]], [[Fraction(2, 2)]]],             # Fractions
             [[["1.0"]], [["1"]]],                              # decimal strings
             ((( 1,),), ((1,),)),                               # tuples
             ONE,                                               # a dict
             write(tmp_path, "one.json", ONE),                  # a path
             lp.load_point(write(tmp_path, "one2.json", ONE), problem)]   # a loaded point
    answers = {(r.kind.value, r.value) for r in (lp.classify(problem, p) for p in forms)}
    assert answers == {("global-minimum", 0)}
    for p in (AB, write(tmp_path, "ab2.json", AB), problem):  # the problem in any form too
        assert lp.classify(p, [[[0]], [[0]]]).kind == "strict-saddle"
    with pytest.raises(InputError, match="binary float"):
        lp.classify(AB, [[[0.5]], [[1]]])
    with pytest.raises(InputError, match="expected a point"):
        lp.classify(AB, 3)


def test_lp_verify_takes_a_dict_a_path_or_a_result_and_rejects_tampering(tmp_path):
    import landscape_proofs as lp

    result = lp.classify(AB, [[[0]], [[0]]])
    path = tmp_path / "cert.json"
    api.write_certificate(result.certificate, path)
    for form in (result, result.certificate, result.certificate_json, path, str(path)):
        verdict = lp.verify(form)
        assert verdict.holds and verdict.claim == "strict-saddle"
    tampered = dict(result.certificate_json, claim="local-minimum")
    verdict = lp.verify(tampered)
    assert verdict.holds is False and verdict.reason
    assert lp.explain(tampered, as_json=True)["holds"] is False
    inconclusive = lp.classify({"family": "deep-linear", "widths": [1, 1, 1, 1, 1], "Y": [[0]],
                                "loss": "square"}, [[[0]]] * 4)
    if inconclusive.certificate is None:
        with pytest.raises(InputError, match="no certificate"):
            lp.verify(inconclusive)


def test_results_explain_themselves_and_render_in_jupyter():
    import landscape_proofs as lp

    result = lp.classify(AB, [[[0]], [[0]]])
    text = result.explain()
    assert "strict saddle" in text and "v^T H v = -2" in text and "HOLDS" in text
    assert lp.explain(result) == text
    data = result.to_json()
    assert data["kind"] == "strict-saddle" and data["value"] == "1/2"
    assert data == result.raw.to_json()
    html = result._repr_html_()
    assert "<table>" in html and "strict-saddle" in html and "1/2" in html
    assert "(1, 1, 0)" in html and "<details>" in html
    assert repr(result) == "<Result strict-saddle, value 1/2, certified>"
    with pytest.raises(AttributeError):
        result.kind = "x"


def test_huge_values_are_abbreviated_in_html_and_repr_but_exact_in_json():
    import landscape_proofs as lp

    big = 10 ** 100 - 1
    result = lp.classify({**AB, "Y": [[big]]}, [[[0]], [[0]]])
    assert result.value == Fraction(big * big, 2)
    assert "--full prints it" in result._repr_html_() and "--full prints it" in repr(result)
    assert result.to_json()["value"] == f"{big * big}/2"


def test_lp_check_search_and_explain_take_problems_in_any_form(tmp_path):
    import landscape_proofs as lp

    assert not lp.check("kawaguchi2016", AB).counterexample
    assert not lp.check("kawaguchi2016", write(tmp_path, "ab.json", AB), ONE).counterexample
    assert lp.search(AB, starts=2, seed=0).to_json()["config"]["starts"] == 2
    assert lp.explain("kawaguchi2016") == api.explain(api.theorem("kawaguchi2016"))
    with pytest.raises(InputError, match="expected a problem"):
        lp.classify(None, ONE)


def test_shallow_rank_through_lp_classify():
    import landscape_proofs as lp

    result = lp.classify(SHALLOW, [[0, 0, 0], [0, 3, 0], [0, 0, 0]])
    assert result.kind == "strict-saddle" and result.value == 13
    assert lp.verify(result).holds


def test_importing_landscape_proofs_stays_light():
    code = ("import sys, landscape_proofs as lp\n"
            "assert callable(lp.classify) and callable(lp.explain) and lp.__version__\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'sympy', 'mpmath', 'scipy'))\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout


def test_lp_search_is_the_function_and_still_reaches_the_subpackage():
    import importlib

    import landscape_proofs as lp

    multistart = importlib.import_module("landscape_proofs.search.multistart")
    assert callable(lp.search) and lp.search.__doc__.startswith("Multi-start descent")
    assert lp.search.multistart is multistart
    import landscape_proofs.search.local as local   # the dotted import still works
    assert local.__name__ == "landscape_proofs.search.local"


def test_a_refined_result_shows_its_value_enclosure_in_html():
    import landscape_proofs as lp

    # 1/2 (ab - 2)^2 near a = b = sqrt 2: the critical point is irrational, value 0
    result = lp.classify({**AB, "Y": [[2]]}, [[["1.4142"]], [["1.4143"]]], refine=True, digits=30)
    assert result.kind == "global-minimum" and lp.verify(result).holds
    if result.value is None:
        assert "in [" in result._repr_html_()
    assert "HOLDS" in result.explain()


def test_lp_search_survives_importing_the_subpackage_in_a_fresh_interpreter():
    code = ("import sys, landscape_proofs as lp\n"
            "assert 'landscape_proofs.search' not in sys.modules\n"
            "import landscape_proofs.search.multistart as m\n"
            "from landscape_proofs.search import local\n"
            "assert callable(lp.search) and lp.search.multistart is m\n"
            "assert lp.search.__doc__.startswith('Multi-start descent')\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_result_has_a_latex_view_with_its_exact_value():
    from fractions import Fraction

    from landscape_proofs.api import _latex_number

    r = api.classify({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]],
                      "loss": "square"}, [[[0]], [[0]]])
    assert r._repr_latex_() == r"$\text{strict-saddle}:\ L = \frac{1}{2}\ (\text{certified})$"
    assert _latex_number(Fraction(-3, 4)) == r"-\frac{3}{4}" and _latex_number(5) == "5"
    assert _latex_number(Fraction(10**70 + 1, 3)).startswith(r"\approx 3.33333333333e+69")
