"""Hypothesis fuzz of the command line: random arguments and mutated input files.

Every run goes through ``landscape_proofs.cli.main.main`` in this process.  Whatever comes
in, the exit status is 0, 1 or 2, and stderr holds no traceback and no "internal error"
(exit 3).  The inputs are the bundled examples, mutated: a field replaced, deleted or added,
the text cut or its bytes changed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscape_proofs.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "landscape_proofs" / "data" / "examples"
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _bundled() -> list[tuple[dict, dict]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text())
        for point in data.get("points", []):
            out.append((data["problem"], {"weights": point["weights"]}))
    return out


PAIRS = _bundled()

# values a hostile or careless file may hold (small sizes: a valid mutation stays cheap)
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 6), st.sampled_from([10 ** 30, -(10 ** 30), 65]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "1/0", "0/0", "1e999999", "-1/3", "abc", "1.5e-3", "nan", "inf",
                     "square", "custom", "l1", "deep-linear", "multi-tower", "R_0_0**2",
                     "exp(r_0_0)", "sqrt(-1)*r_0_0", "r_0_0**99999", "\u00e9\x00", "1" * 400]),
    st.text(max_size=8))
JSONISH = st.recursive(LEAVES, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), kids,
                                                                      max_size=3)),
                       max_leaves=6)


def _paths(x, prefix=()):
    yield prefix
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, data):
    """``data`` with one random change (or unchanged)."""
    data = json.loads(json.dumps(data))
    paths = [p for p in _paths(data) if p]
    if not paths:
        return data
    path = draw(st.sampled_from(paths))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["replace", "delete", "add", "same"]))
    if how == "replace":
        parent[path[-1]] = draw(JSONISH)
    elif how == "delete":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=6))] = draw(JSONISH)
    elif how == "add":
        parent.append(draw(JSONISH))
    return data


@st.composite
def file_bytes(draw, data):
    """A JSON file for ``data`` (mutated), sometimes cut short or with bytes changed."""
    text = json.dumps(draw(mutated(data)), allow_nan=True).encode()
    how = draw(st.sampled_from(["json", "json", "cut", "bytes", "random"]))
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))]
    if how == "bytes":
        pos = draw(st.integers(0, len(text)))
        return text[:pos] + draw(st.binary(min_size=1, max_size=4)) + text[pos:]
    if how == "random":
        return draw(st.binary(max_size=64))
    return text


def _run(capsys, argv) -> int:
    capsys.readouterr()
    status = main(argv)
    err = capsys.readouterr().err
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if status == 2:      # one error line (a usage block may come before it)
        assert err.strip().splitlines()[-1].startswith("landscape: error:"), err
    return status


@pytest.fixture(scope="module")
def certificate():
    from landscape_proofs import api

    problem = json.loads((EXAMPLES / "ab-saddle.json").read_text())["problem"]
    return api.classify(problem, [[[0]], [[0]]]).certificate_json


@FUZZ
@given(pair=st.sampled_from(PAIRS), data=st.data())
def test_classify_and_derive_on_mutated_files(tmp_path, capsys, pair, data):
    problem, point = pair
    p, q = tmp_path / "problem.json", tmp_path / "point.json"
    p.write_bytes(data.draw(file_bytes(problem)))
    q.write_bytes(data.draw(file_bytes(point)))
    _run(capsys, ["classify", str(p), str(q), "--json", "--timeout", "5"])
    _run(capsys, ["derive", str(p)])


@FUZZ
@given(pair=st.sampled_from(PAIRS), data=st.data(),
       theorem=st.sampled_from(["kawaguchi2016", "laurent_vonbrecht2018", "nope"]))
def test_check_and_census_on_mutated_problems(tmp_path, capsys, pair, data, theorem):
    p = tmp_path / "problem.json"
    p.write_bytes(data.draw(file_bytes(pair[0])))
    _run(capsys, ["check", theorem, str(p), "--json", "--timeout", "5"])
    _run(capsys, ["census", str(p), "--json", "--timeout", "0.5"])


@FUZZ
@given(data=st.data())
def test_verify_and_explain_on_mutated_certificates(tmp_path, capsys, certificate, data):
    c = tmp_path / "cert.json"
    c.write_bytes(data.draw(file_bytes(certificate)))
    status = _run(capsys, ["verify", str(c), "--timeout", "5"])
    _run(capsys, ["explain", str(c)])
    if c.read_bytes() == json.dumps(certificate).encode():
        assert status == 0


OPTION_VALUES = st.one_of(st.sampled_from(["0", "-1", "1", "2.5", "nan", "inf", "1e400", "",
                                           "x", "10000000000000", "/nonexistent/dir", "--json"]),
                          st.text(max_size=6))


@FUZZ
@given(command=st.sampled_from(["classify", "verify", "check", "census", "search", "derive",
                                "explain", "theorems", "campaign", "shallow", "openness",
                                "nonsense", "--version", "--help"]),
       options=st.lists(st.tuples(st.sampled_from(
           ["--timeout", "--starts", "--seed", "--seeds", "--out", "--digits", "--max-parameters",
            "--max-bytes", "--max-digits", "--max-boxes", "--workers", "--method", "--point",
            "--certificate", "--refine", "--json", "--full", "--bogus", "-x", ""]),
           OPTION_VALUES), max_size=3))
def test_random_arguments(tmp_path, capsys, command, options):
    problem = tmp_path / "ab.json"
    problem.write_text(json.dumps(PAIRS[0][0]))
    point = tmp_path / "pt.json"
    point.write_text(json.dumps(PAIRS[0][1]))
    argv = [command, str(problem)]
    if command in ("classify", "shallow", "openness"):
        argv.append(str(point))
    if command == "check":
        argv = [command, "kawaguchi2016", str(problem)]
    for flag, value in options:
        argv += [flag, value] if flag else [value]
    if command == "campaign":
        if "--out" not in argv:
            argv += ["--out", str(tmp_path / "c.jsonl")]
        argv += ["--starts", "3", "--workers", "1", "--no-progress"]
    if command == "search":
        argv += ["--starts", "3", "--no-progress"]
    if command == "census":
        argv += ["--timeout", "0.5"]
    cwd = os.getcwd()
    os.chdir(tmp_path)                  # a relative "--out x" writes under tmp_path, not the checkout
    try:
        _run(capsys, argv)
    except SystemExit as exc:           # --help and --version print and exit 0
        assert exc.code in (0, None)
    finally:
        os.chdir(cwd)


def test_every_bundled_example_passes_unmutated(tmp_path, capsys):
    """The control: without mutation the files are fine (exit 0), so the fuzz exercises the
    error paths on purpose, not because the fixtures are broken."""
    for problem, point in PAIRS[:6]:
        p, q = tmp_path / "p.json", tmp_path / "q.json"
        p.write_text(json.dumps(problem))
        q.write_text(json.dumps(point))
        assert _run(capsys, ["classify", str(p), str(q), "--json"]) == 0
