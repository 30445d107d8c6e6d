"""``landscape explain CERT.json`` and ``produce.explain``: a certificate in plain language.

Each certificate written by ``landscape tour --out DIR`` is explained: the kind in words, the
kernel's verdict, and at least one number the explanation recomputed (derived by hand below).
Tampered certificates are explained as not holding, with the kernel's own reason.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from landscape_proofs.families.io import loads_exact, read_json
from landscape_proofs.kernel import check_certificate
from landscape_proofs.produce.explain import certificate_explanation, explain_certificate
from landscape_proofs.produce.sos import available as sos_available

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def landscape(*args, cwd):
    return subprocess.run([sys.executable, "-m", "landscape_proofs", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def tour_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    proc = landscape("tour", "--out", out / "certs", cwd=out)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    return out / "certs"


# file -> (kind in words, recomputed facts derived by hand)
TOUR = {
    # 1/2 (ab - 1)^2 at the origin: L(t, t) = 1/2 - t^2 + t^4/2, so the t^2 coefficient is -1
    # and v^T H v = -2 for v = (1, 1); L(t, -t) = 1/2 + t^2 + ...: +1 and +2; H = [[0, -1],
    # [-1, 0]] has inertia (1, 1, 0).
    "ab-saddle-0.json": ("a strict saddle", ["L(W) = 1/2", "t^2 coefficient of L(W + tV) is -1",
                                             "v^T H v = -2 < 0", "v^T H v = 2 > 0",
                                             "(+, -, 0) = (1, 1, 0)", "gradient is exactly zero"]),
    # a = 2, b = 1/2: ab = 1, value 0 = the lower bound of the square loss
    "ab-saddle-1.json": ("a global minimum", ["L(W) = 0", "proven nonnegative"]),
    # 1/2 (abc - 1)^2 at the origin: along (t, t, t), L - 1/2 = -t^3 + ...; along -(t, t, t),
    # +t^3; the Hessian is 0 (inertia (0, 0, 3))
    "abc-degenerate-0.json": ("a non-strict (degenerate) saddle",
                              ["-1 t^3 + ...", "1 t^3 + ...", "(+, -, 0) = (0, 0, 3)"]),
    # Y = diag(5, 3, 1), rank <= 1: keeping 5 leaves 1/2 (9 + 1) = 5, the optimum
    "baldi-hornik-313-0.json": ("a global minimum", ["rank at most 1", "the value 5 equals it"]),
    # (R00 - 1)^2 + 10 R01^2 + 10 R10^2 + 2 (R11 - 1)^2 at e1 e1^T: value 2; the better point
    # has R = e2 e2^T (value 1); GL(1) orbit of dimension 1, rank H = 3 of 4 parameters
    "bottleneck-weighted-0.json": ("a spurious local minimum",
                                   ["L(W) = 2", "value 1 (recomputed), below 2",
                                    "rank H = 3 and the orbit tangent has dimension 1"]),
    # (L - 1) is a sum of squares (produce/sos.py, extra sos): global; without cvxpy the slice
    # argument's local minimum, rank H = 3 plus the 1-dimensional orbit
    "bottleneck-weighted-1.json": (("a global minimum", ["L(W) = 1", "L >= 1 (recomputed)"])
                                   if sos_available() else
                                   ("a local minimum", ["L(W) = 1", "3 + 1 = 4 of 4 parameters"])),
    # 1 - w^2 at 0: Hessian -2, inertia (0, 1, 0)
    "concave-product-0.json": ("a local maximum", ["L(W) = 1", "(+, -, 0) = (0, 1, 0)",
                                                   "negative definite"]),
    # |ab - 1| + |ab - 4| + ... at (1, 1): the certificate's curve gives -4 t
    "l1-outlier-0.json": ("not a critical point", ["L(W) = 3", "L(W(t)) - L(W) = -4 t + ..."]),
    "l1-outlier-1.json": ("a global minimum", ["L(W) = 1", "E = W_H ... W_1 X - Y = [[1, 0]]",
                                               "S X^T = 0 (recomputed)"]),
    # |ab| + |ab - 1| + |ab - 5| at 0: a kink; along (t, t) L - 6 = -t^2, along (t, -t) +3t^2
    "l1-kink-saddle-0.json": ("a saddle at a kink of the l1 loss, where there is no Hessian",
                              ["L(W) = 6", "Clarke subdifferential", "-1 t^2 + ...",
                               "3 t^2 + ..."]),
    "power4-identity-0.json": ("a global minimum", ["L(W) = 0"]),
    "power4-identity-1.json": ("not a critical point", ["L(W) = 1/64",
                                                        "entry 1 (W_1[0][1]) is 1/8"]),
    # 1/2 (abc - 1)^2 + 1/20 (a^2 + b^2 + c^2): 1/2 at 0, 3/20 at (1, 1, 1); Hessian I/10
    "weight-decay-origin-0.json": ("a spurious local minimum",
                                   ["weight decay 1/10", "L(W) = 1/2", "(+, -, 0) = (3, 0, 0)",
                                    "value 3/20 (recomputed), below 1/2"]),
    # widths 2-2-2 at W_1 = W_2 = I: l >= 1 in the 4 entries of R (every term but 1 is a square),
    # proved by interval branch and bound in those entries (weights 1, 2, 2, 2)
    # widths 2-2-3: the same loss in 6 entries of R, beyond branch and bound: the slice argument
    "wide-quartic-six-0.json": ("a local minimum", ["L(W) = 1", "6 + 4 = 10 of 10 parameters"]),
    "wide-quartic-0.json": ("a global minimum", ["L(W) = 1", "branch and bound in the entries of "
                                                  "the loss argument E", "weights [1, 2, 2, 2]"]),
}
if sos_available():  # (ab)^4 - (ab)^6 at 0: a sum of squares on a ball; (2, 1) has 16 - 64 = -48
    TOUR["sextic-flat-0.json"] = ("a spurious local minimum",
                                  ["L(W) = 0", "on the ball |y| <= rho",
                                   "value -48 (recomputed), below 0"])


@pytest.mark.parametrize("name", sorted(TOUR))
def test_every_tour_certificate_is_explained(tour_dir, name):
    words, facts = TOUR[name]
    data = read_json(tour_dir / name)
    text = explain_certificate(data)
    assert f"is {words} ({data['claim']})" in text
    assert "the claim HOLDS" in text
    assert check_certificate(data).reason in text
    for fact in facts:
        assert fact in text, (fact, text)


def test_every_claim_of_the_tour_is_covered(tour_dir):
    claims = {read_json(p)["claim"] for p in tour_dir.glob("*.json")}
    covered = {read_json(tour_dir / name)["claim"] for name in TOUR}
    assert claims == covered
    types = {read_json(p)["evidence"].get("type") for p in tour_dir.glob("*.json")}
    assert {read_json(tour_dir / name)["evidence"].get("type") for name in TOUR} == types


def test_the_cli_explains_a_certificate_in_text_and_json(tour_dir):
    cert = tour_dir / "ab-saddle-0.json"
    proc = landscape("explain", cert, cwd=tour_dir)
    assert proc.returncode == 0, proc.stderr
    assert "strict saddle" in proc.stdout and "v^T H v = -2" in proc.stdout
    js = landscape("explain", cert, "--json", cwd=tour_dir)
    data = json.loads(js.stdout)
    assert set(data) == {"claim", "holds", "summary", "argument", "checked"}
    assert data["claim"] == "strict-saddle" and data["holds"] is True
    assert isinstance(data["argument"], list) and all(isinstance(s, str) for s in data["argument"])
    assert data["checked"] == check_certificate(read_json(cert)).reason


def _tampered(tour_dir, tmp_path, name, change):
    data = read_json(tour_dir / name)
    change(data)
    path = tmp_path / f"bad-{name}"
    path.write_text(json.dumps(json.loads(json.dumps(data, default=str))))
    return path


TAMPER = {
    # the origin of 1/2 (ab - 1)^2 is not a local minimum: H has eigenvalue -1
    "claim": ("ab-saddle-0.json", lambda d: d.update(claim="local-minimum"),
              ["does NOT hold", "cannot be a local minimum"]),
    # L(t, -t) has t^2 coefficient +1, not negative
    "direction": ("ab-saddle-0.json", lambda d: d["evidence"].update(direction=[[[1]], [[-1]]]),
                  ["does NOT hold", "t^2 coefficient of L(W + tV) is 1 (recomputed)",
                   "which is not negative"]),
    "value": ("ab-saddle-0.json", lambda d: d.update(value="1"),
              ["does NOT hold", "the certificate says 1, which is wrong"]),
    # (a, b) = (2, 1/2) moved to (2, 1): value 0 no longer
    "point": ("ab-saddle-1.json", lambda d: d["point"].update(weights=[[[2]], [[1]]]),
              ["does NOT hold", "L(W) = 1/2 (recomputed)"]),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_a_tampered_certificate_is_explained_as_not_holding(tour_dir, tmp_path, case):
    name, change, needles = TAMPER[case]
    path = _tampered(tour_dir, tmp_path, name, change)
    data = read_json(path)
    verdict = check_certificate(data)
    assert not verdict.holds
    explained = certificate_explanation(data)
    assert explained["holds"] is False and explained["checked"] == verdict.reason
    text = explain_certificate(data)
    for needle in needles:
        assert needle in text, (needle, text)
    proc = landscape("explain", path, cwd=tmp_path)
    assert proc.returncode == 1 and verdict.reason in proc.stdout


def test_explain_of_a_theorem_id_is_unchanged(tmp_path):
    from landscape_proofs import api

    proc = landscape("explain", "kawaguchi2016", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == api.explain("kawaguchi2016") + "\n"
    js = landscape("explain", "kawaguchi2016", "--json", cwd=tmp_path)
    assert json.loads(js.stdout)["id"] == "kawaguchi2016"
    unknown = landscape("explain", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown theorem" in unknown.stderr


def test_unusable_files_exit_2_with_one_line(tmp_path):
    (tmp_path / "problem.json").write_text('{"family": "deep-linear"}')
    for arg, needle in (("missing.json", "missing.json"), ("problem.json", "format")):
        proc = landscape("explain", arg, cwd=tmp_path)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.startswith("landscape: error: ") and needle in proc.stderr


# --- beyond the tour: Gram identities, enclosures, shallow rank ---------------------------------
def test_a_gram_identity_certificate():
    path = ROOT / "counterexamples" / \
        "nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json"
    text = explain_certificate(read_json(path))
    assert "a spurious local minimum" in text and "HOLDS" in text
    assert "polynomial identity" in text and "value 0 (recomputed), below 1" in text


def test_a_symmetric_factorization_slice_certificate():
    path = ROOT / "counterexamples" / \
        "nouiehed_razaviyayn2018-burer-monteiro-k2-n3-slice-spurious-local-minimum.json"
    text = explain_certificate(read_json(path))
    assert "l(U U^T) with U of shape 3 x 2" in text and "symmetry group O" in text
    assert "5 + 1 = 6 of 6 parameters" in text


def test_an_enclosure_certificate():
    from landscape_proofs.families.deep_linear import Point
    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.produce.refined import classify_refined

    # 1/2 (ab - 2)^2 near ab = 2, a = b = sqrt 2: irrational, certified by an enclosure
    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[2]],
                           "loss": "square"})
    res = classify_refined(p, Point.of(p, [[["1.4142"]], [["1.4143"]]]), digits=40, snap=False)
    data = loads_exact(json.dumps(res.certificate))
    explained = certificate_explanation(data)
    text = " ".join(explained["argument"])
    assert explained["holds"] is True and explained["claim"] == "global-minimum"
    bits = data["evidence"]["precision_bits"]
    assert f"at {bits} bits of precision" in text
    assert f"radius {data['point']['radius']}" in text and "1 free coordinate" in text
    assert "about 0" in text or "about -0" in text or "e-" in text  # the value is 0 at W*


def test_a_shallow_rank_certificate():
    from landscape_proofs import api

    shallow = {"family": "shallow-rank", "shape": [3, 3], "rank": 1,
               "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"}
    res = api.classify(shallow, [[0, 0, 0], [0, 3, 0], [0, 0, 0]])
    data = loads_exact(json.dumps(res.certificate_json))
    text = explain_certificate(data)
    # R = diag(0, 3, 0): value 1/2 (25 + 1) = 13 for the lift; rank 1 everywhere
    assert "R, on the set of matrices of rank <= 1, is a strict saddle" in text
    assert "rank(U) = 1, rank(V) = 1, rank(R) = 1 (recomputed)" in text
    assert "L(W) = 13 (recomputed)" in text and "HOLDS" in text


def test_explanations_use_only_the_kernel():
    code = ("import sys, json\n"
            "from landscape_proofs.produce.explain import explain_certificate\n"
            "from decimal import Decimal\n"
            f"text = open({str(ROOT / 'counterexamples' / 'laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json')!r}).read()\n"
            "assert 'HOLDS' in explain_certificate(json.loads(text, parse_float=Decimal))\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy', 'mpmath', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_deepcopy_of_the_certificate_is_not_needed():
    # explaining does not modify the certificate
    path = ROOT / "counterexamples" / "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json"
    data = read_json(path)
    before = copy.deepcopy(data)
    explain_certificate(data)
    assert data == before


def test_a_psd_cone_certificate():
    from landscape_proofs import api

    # l(U U^T) = 1/2 ||U U^T - Y||^2, Y = diag(1, -1), U = [[1, 0], [0, 0]]: S = sym(U U^T - Y)
    # = diag(0, 1) >= 0 (inertia (1, 0, 1)) and <S, U U^T> = 0: a global minimum, value 1/2
    problem = {"family": "symmetric-factorization", "shape": [2, 2], "Y": [[1, 0], [0, -1]],
               "loss": "square"}
    res = api.classify(problem, {"U": [[1, 0], [0, 0]]})
    data = res.certificate_json
    assert data["evidence"] == {"type": "psd-cone-optimality"}
    text = explain_certificate(loads_exact(json.dumps(data)))
    assert "a global minimum" in text and "HOLDS" in text and "L(W) = 1/2" in text
    assert "S has inertia (+, -, 0) = (1, 0, 1) and <S, U U^T> = 0 (recomputed)" in text


def test_a_multi_tower_certificate_and_a_gradient_entry():
    from landscape_proofs import api

    # two towers of widths [1, 1, 1]: f = 1/2 (a1 b1 + a2 b2 - 1)^2 at a = b = (1, 1): the
    # residual is 1, so the gradient entry of a1 is b1 * 1 = 1
    problem = {"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[1]],
               "loss": "square"}
    res = api.classify(problem, [[[1]], [[1]], [[1]], [[1]]])
    assert res.kind == "not-critical"
    text = res.explain()
    assert "a sum of 2 towers" in text and "L(W) = 1/2" in text
    assert "is 1 (recomputed" in text and "HOLDS" in text


def test_census_and_product_census_certificates_are_explained():
    """A census (widths [1, 1, 1], decay 1/2: 3 real points, 2 global minima and a saddle,
    tests/test_census.py) and a product census (widths [2, 1, 2], Y = diag(3, 1): rank <= 1,
    3 fibres R = 0, 3 e1 e1^T, e2 e2^T of values 1/2 (9 + 1) = 5, 1/2 and 9/2) are explained, not crashed on; a tampered count does not hold."""
    from landscape_proofs.search.census import census
    from landscape_proofs.search.product_census import product_census

    rep = census({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
                  "weight_decay": "1/2"})
    e = certificate_explanation(rep.certificate)
    assert e["holds"] and "every real critical point" in e["summary"]
    assert "exactly 3 real critical points" in e["argument"][0]
    bad = copy.deepcopy(rep.certificate)
    bad["census"]["result"]["real_count"] = 5
    assert certificate_explanation(bad)["holds"] is False

    prod = product_census({"family": "deep-linear", "widths": [2, 1, 2],
                           "Y": [[3, 0], [0, 1]], "loss": "square"})
    text = explain_certificate(prod.certificate)
    assert "HOLDS" in text and "3 products" in text
    values = sorted(line.split("): value ")[1].split(",")[0] for line in text.splitlines()
                    if "The fibre over" in line)
    assert values == sorted(["5", "1/2", "9/2"])


# every global-minimum evidence the kernel accepts is explained (not "not one the kernel
# accepts"), each with its own sentence; the psd-cone facts at an l1 kink use the multiplier
@pytest.mark.parametrize("problem, weights, ev_type, words", [
    ({"family": "deep-linear", "widths": [1, 4, 1], "Y": [[5]], "loss": "square",
      "weight_decay": [[[1], [6], [6], [4]], [[1, "2/3", "3/2", 4]]]},
     [[[2], [0], [0], [0]], [[2, 0, 0, 0]]], "nuclear-dual-bound", "norm bound"),
    ({"family": "deep-linear", "widths": [2, 1, 1, 1], "X": [[1, 0], [0, 2]], "Y": [[0, 3]],
      "loss": {"name": "power", "p": 4}, "weight_decay": 2},
     [[[0, 1]], [[1]], [[1]]], "census", "census of this very problem"),
    ({"family": "deep-linear", "widths": [2, 2, 1, 1], "X": [[1, 0], [0, 2]], "Y": [[0, 3]],
      "loss": "square", "weight_decay": 2},
     [[[0, 1], [0, 0]], [[1, 0]], [[1]]], "narrow-census", "same infimum"),
    ({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, -1]], "loss": "l1"},
     [[[1], [0]]], "psd-cone-optimality", "inertia (+, -, 0) = (1, 0, 1) and <S, U U^T> = 0"),
])
def test_every_global_evidence_is_explained(problem, weights, ev_type, words, monkeypatch):
    import landscape_proofs.search.census as census_module

    monkeypatch.setattr(census_module, "CENSUS_SECONDS", 120.0)   # answers, not speed
    from landscape_proofs.api import classify
    r = classify(problem, {"weights": weights})
    data = r.raw.certificate.to_json()
    assert data["evidence"]["type"] == ev_type and check_certificate(data).holds
    text = explain_certificate(data)
    assert "not one the kernel accepts" not in text and words in text, text
