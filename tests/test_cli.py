"""The command-line contract, exercised as a user would: a fresh process per call.

Unusable input exits with status 2 and exactly one line on stderr naming the file and the
field, never a traceback.  ``verify`` exits 1 when a certificate does not establish its
claim, naming the file.  See docs/formats.md.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from landscape_proofs.families.io import loads_exact

TIMEOUT = 120

# 1/2 (ab - 1)^2 with a = W_1, b = W_2 (widths [1, 1, 1], X = [[1]], Y = [[1]]).
AB = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
ORIGIN = {"weights": [[[0]], [[0]]]}


def landscape(*args, cwd, stdout=subprocess.PIPE):
    return subprocess.run([sys.executable, "-m", "landscape_proofs", *map(str, args)],
                          cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=TIMEOUT)


def write(folder, name, content):
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def assert_one_line_error(proc, *needles, status=2):
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.endswith("\n") and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("landscape: error: ")
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


# --- the positive path, derived by hand --------------------------------------------------------
def test_classify_origin_of_ab_is_a_strict_saddle_and_the_certificate_verifies(tmp_path):
    # L(a, b) = 1/2 (ab - 1)^2.  At (0, 0): L = 1/2; grad = ((ab - 1) b, (ab - 1) a) = (0, 0);
    # Hessian [[b^2, 2ab - 1], [2ab - 1, a^2]] = [[0, -1], [-1, 0]], eigenvalues -1 and 1:
    # a strict saddle, descending along (1, 1) and ascending along (1, -1).
    problem = write(tmp_path, "problem.json", AB)
    point = write(tmp_path, "point.json", ORIGIN)
    proc = landscape("classify", problem, point, "--json", "--certificate", "cert.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == "strict-saddle"
    assert out["value"] == "1/2"
    assert out["gradient_is_zero"] is True
    assert out["hessian_inertia"] == {"positive": 1, "negative": 1, "zero": 0}
    assert out["n_params"] == 2
    assert out["certificate"]["claim"] == "strict-saddle"
    assert out["certificate"]["format"] == "landscape-certificate/1"

    cert = tmp_path / "cert.json"
    written = loads_exact(cert.read_text(encoding="utf-8"))
    assert written["claim"] == "strict-saddle"
    assert written["value"] == "1/2"
    assert written["problem"]["widths"] == [1, 1, 1]
    assert written["point"] == ORIGIN

    ok = landscape("verify", cert, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("VALID")
    assert ok.stderr == ""
    ok_json = landscape("verify", cert, "--json", cwd=tmp_path)
    assert ok_json.returncode == 0
    report = json.loads(ok_json.stdout)
    assert report["all_hold"] is True
    assert report["results"][0]["holds"] is True
    assert report["results"][0]["claim"] == "strict-saddle"


def test_classify_text_output(tmp_path):
    problem = write(tmp_path, "problem.json", AB)
    point = write(tmp_path, "point.json", {"weights": [[[2]], [["1/2"]]]})
    proc = landscape("classify", problem, point, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # ab = 1: value 0, the lower bound of a nonnegative loss
    assert "kind:   global-minimum" in proc.stdout
    assert "value:  0" in proc.stdout


@pytest.fixture
def certificate(tmp_path):
    problem = write(tmp_path, "problem.json", AB)
    point = write(tmp_path, "point.json", ORIGIN)
    proc = landscape("classify", problem, point, "--certificate", "cert.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return loads_exact((tmp_path / "cert.json").read_text(encoding="utf-8"))


def tampered(data, change):
    data = copy.deepcopy(data)
    change(data)
    return json.dumps(data, default=str)


TAMPERINGS = {
    # the evidence is negative curvature, which does not establish a minimum
    "claim changed to local-minimum": lambda d: d.update(claim="local-minimum"),
    "claim changed to global-minimum": lambda d: d.update(claim="global-minimum"),
    # v = (1, -1): v^T H v = 2 > 0 with H = [[0, -1], [-1, 0]]
    "direction entry changed": lambda d: d["evidence"]["direction"][1][0].__setitem__(0, -1),
    "direction zeroed": lambda d: d["evidence"]["direction"][0][0].__setitem__(0, 0),
    "ascent direction removed": lambda d: d["evidence"].pop("ascent_direction"),
    "recorded value changed": lambda d: d.update(value="1/3"),
    # at (1, 0) the gradient is ((ab - 1) b, (ab - 1) a) = (0, -1): not critical
    "point moved": lambda d: d["point"]["weights"][0][0].__setitem__(0, 1),
    "problem changed": lambda d: d["problem"].update(Y=[[0]]),
    "claim not a kind": lambda d: d.update(claim="saddle-ish"),
    "evidence removed": lambda d: d.pop("evidence"),
}


@pytest.mark.parametrize("change", list(TAMPERINGS.values()), ids=list(TAMPERINGS))
def test_verify_rejects_a_tampered_certificate_naming_the_file(tmp_path, certificate, change):
    path = write(tmp_path, "tampered.json", tampered(certificate, change))
    proc = landscape("verify", path, cwd=tmp_path)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("INVALID")
    assert str(path) in proc.stdout
    report = json.loads(landscape("verify", path, "--json", cwd=tmp_path).stdout)
    assert report["all_hold"] is False
    assert report["results"][0]["holds"] is False
    assert report["results"][0]["file"] == str(path)


def test_verify_several_files_fails_if_any_fails(tmp_path, certificate):
    good = write(tmp_path, "good.json", json.dumps(certificate))
    bad = write(tmp_path, "bad.json", tampered(certificate, TAMPERINGS["claim changed to local-minimum"]))
    proc = landscape("verify", good, bad, cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"VALID   {good}")
    assert lines[1].startswith(f"INVALID {bad}")


def test_verify_unusable_file_exits_2(tmp_path, certificate):
    not_json = write(tmp_path, "notes.txt", "this is not JSON\n")
    assert_one_line_error(landscape("verify", not_json, cwd=tmp_path), str(not_json),
                          "expected valid JSON")
    array = write(tmp_path, "array.json", "[1, 2, 3]")
    assert_one_line_error(landscape("verify", array, cwd=tmp_path), str(array), "JSON object")
    wrong_format = write(tmp_path, "format.json", tampered(certificate, lambda d: d.update(format="x/2")))
    assert_one_line_error(landscape("verify", wrong_format, cwd=tmp_path), str(wrong_format),
                          "field format")
    bad_problem = write(tmp_path, "problem.json",
                        tampered(certificate, lambda d: d["problem"]["widths"].__setitem__(1, 0)))
    assert_one_line_error(landscape("verify", bad_problem, cwd=tmp_path), str(bad_problem),
                          "field problem.widths[1]")
    nan = write(tmp_path, "nan.json", json.dumps(certificate).replace('"value": "1/2"', '"value": NaN'))
    assert_one_line_error(landscape("verify", nan, cwd=tmp_path), str(nan), "field value", "finite")
    missing = tmp_path / "missing.json"
    assert_one_line_error(landscape("verify", missing, cwd=tmp_path), str(missing), "file not found")
    missing = tmp_path / "results.jsonl"      # a campaign's results file: the same words
    assert_one_line_error(landscape("verify", missing, cwd=tmp_path), str(missing), "file not found")


def test_verify_unusable_input_wins_over_invalid(tmp_path, certificate):
    bad = write(tmp_path, "bad.json", tampered(certificate, TAMPERINGS["claim changed to local-minimum"]))
    broken = write(tmp_path, "broken.json", "{")
    proc = landscape("verify", bad, broken, cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line_error(proc, str(broken))


# --- malformed input: exit 2, one line naming the file and the field -----------------------------
def with_(**changes):
    data = copy.deepcopy(AB)
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data)


BAD_PROBLEMS = {
    "bad JSON": ("{", "problem.json", "expected valid JSON"),
    "array": ("[1]", "problem.json", "JSON object"),
    "missing widths": (with_(widths=...), "problem.json", "field widths"),
    "missing Y": (with_(Y=...), "problem.json", "field Y"),
    "unknown family": (with_(family="cnn"), "problem.json", "field family"),
    "unknown loss": (with_(loss="hinge"), "problem.json", "field loss"),
    "unknown field": (with_(colour="red"), "problem.json", "field colour"),
    "a bundled example file": ('{"name": "x", "problem": {"family": "deep-linear", "widths": [1, 1], '
                               '"Y": [[1]], "loss": "square"}, "points": []}', "problem.json",
                               'its problem is the object under "problem"'),
    "zero width": (with_(widths=[1, 0, 1]), "problem.json", "field widths[1]"),
    "single width": (with_(widths=[1]), "problem.json", "field widths"),
    "Y wrong columns": (with_(Y=[[1, 2]]), "problem.json", "field Y[0]"),
    "Y wrong rows": (with_(Y=[[1], [2]]), "problem.json", "field Y"),
    "X ragged": (with_(widths=[2, 1, 1], X=[[1, 2], [3]], Y=[[1, 2]]), "problem.json", "field X[1]"),
    "NaN": (with_(Y=[[1]]).replace("[[1]]", "[[NaN]]"), "problem.json", "field Y[0][0]"),
    "Infinity": (with_(Y=[[1]]).replace("[[1]]", "[[Infinity]]"), "problem.json", "field Y[0][0]"),
    "1/0": (with_(Y=[["1/0"]]), "problem.json", "field Y[0][0]"),
    "abc": (with_(Y=[["abc"]]), "problem.json", "field Y[0][0]"),
    "power p odd": (with_(loss={"name": "power", "p": 3}), "problem.json", "field loss.p"),
    "loss name a list": (with_(loss={"name": ["square"]}), "problem.json", "field loss.name"),
    "custom missing expression": (with_(loss={"name": "custom"}), "problem.json",
                                  "field loss.expression"),
    "custom hostile": (with_(loss={"name": "custom", "expression": "__import__('os')"}),
                       "problem.json", "field loss.expression"),
    "custom tower": (with_(loss={"name": "custom", "expression": "((((9**64)**64)**64)**64)**64"}),
                     "problem.json", "field loss.expression"),
    "custom out of range": (with_(loss={"name": "custom", "expression": "r_0_1**2"}),
                            "problem.json", "field loss.expression"),
    "custom convex not boolean": (with_(loss={"name": "custom", "expression": "r_0_0**2",
                                              "convex": "yes"}), "problem.json", "field loss.convex"),
    "negative weight decay": (with_(weight_decay=-1), "problem.json", "field weight_decay"),
    "over-long integer": (with_(Y=[[1]]).replace("[[1]]", "[[" + "9" * 100_001 + "]]"),
                          "problem.json", "field Y[0][0]"),
}


@pytest.mark.parametrize("problem_text,culprit,needle", list(BAD_PROBLEMS.values()),
                         ids=list(BAD_PROBLEMS))
def test_malformed_problem_exits_2_with_one_line(tmp_path, problem_text, culprit, needle):
    problem = write(tmp_path, "problem.json", problem_text)
    point = write(tmp_path, "point.json", ORIGIN)
    proc = landscape("classify", problem, point, "--json", cwd=tmp_path)
    assert_one_line_error(proc, str(tmp_path / culprit), needle)
    assert proc.stdout == ""


@pytest.mark.parametrize("case", ["bad JSON", "NaN", "zero width", "unknown field", "custom hostile"])
def test_derive_refuses_malformed_problems_the_same_way(tmp_path, case):
    problem_text, culprit, needle = BAD_PROBLEMS[case]
    problem = write(tmp_path, "problem.json", problem_text)
    proc = landscape("derive", problem, cwd=tmp_path)
    assert_one_line_error(proc, str(tmp_path / culprit), needle)
    assert proc.stdout == ""


BAD_POINTS = {
    "bad JSON": ('{"weights": [', "expected valid JSON"),
    "array": ("[[[0]], [[0]]]", "JSON object"),
    "missing weights": ('{"w": 1}', "field weights"),
    "one layer": ('{"weights": [[[0]]]}', "field weights"),
    "three layers": ('{"weights": [[[0]], [[0]], [[0]]]}', "field weights"),
    "wrong rows": ('{"weights": [[[0], [0]], [[0]]]}', "field weights[0]"),
    "wrong columns": ('{"weights": [[[0]], [[0, 0]]]}', "field weights[1][0]"),
    "NaN": ('{"weights": [[[NaN]], [[0]]]}', "field weights[0][0][0]"),
    "-Infinity": ('{"weights": [[[0]], [[-Infinity]]]}', "field weights[1][0][0]"),
    "text": ('{"weights": [[["zero"]], [[0]]]}', "field weights[0][0][0]"),
}


@pytest.mark.parametrize("point_text,needle", list(BAD_POINTS.values()), ids=list(BAD_POINTS))
def test_malformed_point_exits_2_with_one_line(tmp_path, point_text, needle):
    problem = write(tmp_path, "problem.json", AB)
    point = write(tmp_path, "point.json", point_text)
    proc = landscape("classify", problem, point, "--json", cwd=tmp_path)
    assert_one_line_error(proc, str(point), needle)
    assert proc.stdout == ""


def test_unreadable_files_exit_2(tmp_path):
    point = write(tmp_path, "point.json", ORIGIN)
    missing = tmp_path / "missing.json"
    assert_one_line_error(landscape("classify", missing, point, cwd=tmp_path), str(missing),
                          "file not found")
    assert_one_line_error(landscape("classify", tmp_path, point, cwd=tmp_path), str(tmp_path),
                          "directory")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_error(landscape("classify", binary, point, cwd=tmp_path), str(binary))


def test_unwritable_certificate_path_exits_2(tmp_path):
    problem = write(tmp_path, "problem.json", AB)
    point = write(tmp_path, "point.json", ORIGIN)
    target = tmp_path / "no" / "such" / "dir" / "cert.json"
    assert_one_line_error(landscape("classify", problem, point, "--certificate", target,
                                    cwd=tmp_path), str(target), "cannot write")


USAGE_ERRORS = {
    "unknown subcommand": (["prove"], "invalid choice: 'prove'"),
    "classify without arguments": (["classify"], "required: problem, point"),
    "classify without point": (["classify", "p.json"], "required: point"),
    "verify without certificates": (["verify"], "required: CERTIFICATE"),
    "derive without problem": (["derive"], "required: problem"),
    "bad seed": (["classify", "p.json", "q.json", "--seed", "abc"], "--seed: invalid int value"),
    "unknown option": (["classify", "p.json", "q.json", "--fast"], "unrecognized arguments: --fast"),
    "extra argument": (["derive", "p.json", "q.json"], "unrecognized arguments: q.json"),
    "option without value": (["classify", "p.json", "q.json", "--certificate"],
                             "--certificate: expected one argument"),
}


@pytest.mark.parametrize("args,needle", list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_usage_errors_exit_2_with_one_line(tmp_path, args, needle):
    proc = landscape(*args, cwd=tmp_path)
    assert_one_line_error(proc, needle)
    assert proc.stdout == ""


def test_help_exits_0(tmp_path):
    proc = landscape("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for command in ("classify", "verify", "derive", "tour"):
        assert command in proc.stdout


# --- regressions ---------------------------------------------------------------------------------
def test_numbers_beyond_4300_digits_do_not_crash_classify_or_verify(tmp_path):
    # Python refuses int <-> str past 4300 digits; the value here has about 10000 digits.
    digits = "9" * 5000
    problem = write(tmp_path, "problem.json",
                    '{"family": "deep-linear", "widths": [1, 1, 1], "Y": [[%s]], "loss": "square"}'
                    % digits)
    point = write(tmp_path, "point.json", ORIGIN)
    for extra in ([], ["--json"]):
        proc = landscape("classify", problem, point, "--certificate", "big.json", *extra,
                         cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "strict-saddle" in proc.stdout
    assert landscape("verify", "big.json", cwd=tmp_path).returncode == 0
    # derive prints formulas through SymPy, which cannot print such numbers: a clear refusal
    assert_one_line_error(landscape("derive", problem, cwd=tmp_path), str(problem), "4300 digits")


@pytest.mark.parametrize("key", ["x\ny", "a\rb", "line\u2028separator", "tab\there"])
def test_line_breaks_in_field_names_stay_on_one_line(tmp_path, key, certificate):
    # Field names come from the file; a key with a line break must not split the message.
    problem = write(tmp_path, "problem.json", {**AB, key: 1})
    point = write(tmp_path, "point.json", ORIGIN)
    proc = landscape("classify", problem, point, cwd=tmp_path)
    assert_one_line_error(proc, str(problem), "unknown field")
    assert key not in proc.stderr
    cert = write(tmp_path, "cert2.json", tampered(certificate, lambda d: d["problem"].update({key: 1})))
    assert_one_line_error(landscape("verify", cert, cwd=tmp_path), str(cert), "field problem.")


def test_closed_stdout_is_not_a_traceback(tmp_path):
    problem = write(tmp_path, "problem.json", AB)
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout fails with EPIPE
    try:
        proc = landscape("derive", problem, cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr
    assert proc.stderr == ""
    assert proc.returncode == 141


def test_derive_prints_the_objective(tmp_path):
    problem = write(tmp_path, "problem.json", AB)
    proc = landscape("derive", problem, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "H = 2 layers" in proc.stdout
    latex = landscape("derive", problem, "--json", cwd=tmp_path)
    assert latex.returncode == 0
    assert set(json.loads(latex.stdout)) == {"plain", "latex"}


def test_tour_runs_and_everything_verifies(tmp_path):
    proc = landscape("tour", "--json", "--out", tmp_path / "certs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    report = json.loads(proc.stdout)
    assert report["all_ok"] is True
    written = sorted((tmp_path / "certs").glob("*.json"))
    assert written
    assert landscape("verify", *written, cwd=tmp_path).returncode == 0
