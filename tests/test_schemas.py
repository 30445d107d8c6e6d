"""The JSON Schemas shipped in ``landscape_proofs/schemas/`` describe what the commands write.

Each command runs on a small bundled or hand-made instance and its JSON output (stdout, and the
files it writes) must validate; then a mutated copy must be rejected, so no schema is vacuous.
The enumerations in the schemas are compared with the program's own enums.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

from landscape_proofs import schemas  # noqa: E402
from landscape_proofs.cli.main import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "landscape_proofs" / "data" / "examples"
COUNTEREXAMPLES = ROOT / "counterexamples"

AB = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
ABC = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square"}
DECAY = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
         "weight_decay": "1/4"}
SHALLOW = {"family": "shallow-rank", "shape": [3, 3], "rank": 1,
           "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"}


def valid(doc, name) -> bool:
    return schemas.validator(name).is_valid(doc)


def write(path: Path, data) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run_json(capsys, *argv) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("schemas")
    return {"ab": write(d / "ab.json", AB), "abc": write(d / "abc.json", ABC),
            "decay": write(d / "decay.json", DECAY), "shallow": write(d / "shallow.json", SHALLOW),
            "origin2": write(d / "origin2.json", {"weights": [[[0]], [[0]]]}),
            "origin3": write(d / "origin3.json", {"weights": [[[0]], [[0]], [[0]]]}),
            "approx": write(d / "approx.json", {"weights": [[["0.999"]], [["1.002"]]]}),
            "R": write(d / "R.json", {"R": [[5, 0, 0], [0, 0, 0], [0, 0, 0]]}),
            "dir": d}


# --- the schema files themselves -------------------------------------------------------------
def test_every_schema_is_a_valid_draft_2020_12_schema_with_its_id():
    assert {"certificate", "classify", "verify", "check", "search", "census", "campaign",
            "campaign-result", "hunt", "openness", "experiment"} <= set(schemas.names())
    for name in schemas.names():
        s = schemas.load(name)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert s["$id"] == f"{schemas.BASE_URI}{name}.json"
        jsonschema.Draft202012Validator.check_schema(s)


def test_every_command_with_json_output_has_a_schema_of_its_name():
    import argparse

    from landscape_proofs.cli.main import build_parser

    def subcommands(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices
        return {}

    with_json = []
    for name, sub in subcommands(build_parser()).items():
        for p in [sub, *subcommands(sub).values()]:
            if any("--json" in a.option_strings for a in p._actions):
                with_json.append(name)
                break
    assert {"classify", "verify", "check", "search", "census", "campaign", "hunt", "openness",
            "experiment"} <= set(with_json)
    missing = sorted(set(with_json) - set(schemas.names()))
    assert not missing, f"commands with --json but no schema in landscape_proofs/schemas: {missing}"


def test_load_returns_a_fresh_copy_and_refuses_unknown_names():
    a = schemas.load("classify")
    a["title"] = "changed"
    assert schemas.load("classify.json")["title"] != "changed"
    with pytest.raises(ValueError, match="unknown schema 'nope'; known: campaign"):
        schemas.load("nope")


def test_enumerations_match_the_program():
    from landscape_proofs.kernel.checker import _HANDLERS
    from landscape_proofs.openness.common import Openness
    from landscape_proofs.produce.kinds import Kind
    from landscape_proofs.search.local import RunStatus
    from landscape_proofs.theorems.base import ConclusionStatus, PointVerdict

    defs = schemas.load("common")["$defs"]
    assert defs["kind"]["enum"] == [k.value for k in Kind]
    assert set(defs["claim"]["enum"]) == set(_HANDLERS) | {"census", "product-census"}
    check = schemas.load("check")["properties"]["conclusion"]["properties"]
    assert {s.value for s in ConclusionStatus} <= set(check["status"]["enum"])
    verdicts = check["evidence"]["properties"]["points"]["items"]["properties"]["verdict"]["enum"]
    assert set(verdicts) == {v.value for v in PointVerdict}
    runs = schemas.load("search")["properties"]["runs"]["items"]["properties"]
    assert set(runs["status"]["enum"]) == {s.value for s in RunStatus}
    assert set(schemas.load("openness")["properties"]["verdict"]["enum"]) == {o.value for o in Openness}


@pytest.mark.parametrize("number, ok", [(3, True), ("-7/2", True), ("12", True), (0.5, False),
                                        ("0.5", False), ("1/2/3", False), (True, False)])
def test_exact_numbers_are_integers_or_p_over_q_strings_never_floats(number, ok):
    doc = {"claim": "strict-saddle", "holds": True, "summary": "", "argument": [], "checked": ""}
    assert valid(doc, "explain")
    tour = {"all_ok": True, "rows": [{"example": "e", "point": "p", "expected": "strict-saddle",
                                      "kind": "strict-saddle", "value": number,
                                      "certificate_verified": True, "ok": True, "seconds": 0.1,
                                      "reason": "r"}]}
    assert valid(tour, "tour") is ok


# --- certificate files ------------------------------------------------------------------------
def test_every_catalogued_and_bundled_certificate_matches(tmp_path, capsys):
    paths = sorted(COUNTEREXAMPLES.glob("*.json"))
    assert main(["tour", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    paths += sorted(tmp_path.glob("*.json"))
    assert len(paths) >= 20
    claims = set()
    for path in paths:
        cert = json.loads(path.read_text(encoding="utf-8"))
        assert valid(cert, "certificate"), path
        claims.add(cert["claim"])
    assert {"strict-saddle", "non-strict-saddle", "global-minimum",
            "spurious-local-minimum", "not-critical"} <= claims


def test_tampered_certificates_are_rejected():
    cert = json.loads((COUNTEREXAMPLES / "kawaguchi2016-iv-scalar-depth3-nonstrict-saddle-at-origin"
                                         ".json").read_text(encoding="utf-8"))
    assert valid(cert, "certificate")
    for mutate in (lambda c: c.update(format="landscape-certificate/2"),
                   lambda c: c.update(claim="inconclusive"),      # never a certified claim
                   lambda c: c.update(claim="saddle"),
                   lambda c: c.pop("evidence"),
                   lambda c: c.pop("point"),
                   lambda c: c.update(value=0.5),
                   lambda c: c["problem"].pop("family"),
                   lambda c: c.update(evidnce={})):
        bad = copy.deepcopy(cert)
        mutate(bad)
        assert not valid(bad, "certificate")


# --- one test per command ---------------------------------------------------------------------
def test_classify_exact_and_refined(files, capsys, tmp_path):
    cert_path = tmp_path / "cert.json"
    code, out = run_json(capsys, "classify", files["ab"], files["origin2"], "--json",
                         "--certificate", str(cert_path))
    assert code == 0 and out["kind"] == "strict-saddle" and out["value"] == "1/2"
    assert out["hessian_inertia"] == {"positive": 1, "negative": 1, "zero": 0}
    assert valid(out, "classify")
    assert valid(json.loads(cert_path.read_text(encoding="utf-8")), "certificate")
    for mutate in (lambda d: d.update(kind="saddle"), lambda d: d.pop("reason"),
                   lambda d: d.update(value=0.5), lambda d: d.update(extra=1),
                   lambda d: d["hessian_inertia"].update(negative=-1)):
        bad = copy.deepcopy(out)
        mutate(bad)
        assert not valid(bad, "classify")

    code, refined = run_json(capsys, "classify", files["ab"], files["approx"], "--refine", "--json")
    assert code == 0 and refined["kind"] == "global-minimum" and refined["value"] == 0
    assert valid(refined, "classify")
    bad = copy.deepcopy(refined)
    bad["snapped"] = "yes"
    assert not valid(bad, "classify")


def test_shallow(files, capsys):
    code, out = run_json(capsys, "shallow", files["shallow"], files["R"], "--json")
    # ||Y - diag(5, 0, 0)||^2 / 2 = (9 + 1) / 2 = 5, the best rank-1 fit
    assert code == 0 and out["kind"] == "global-minimum" and out["value"] == 5
    assert valid(out, "shallow") and valid(out, "classify")
    bad = copy.deepcopy(out)
    bad["global_solution"]["optimum_enclosure"] = {"lo": "5"}
    assert not valid(bad, "shallow")


def test_verify(files, capsys, tmp_path):
    cert = tmp_path / "c.json"
    assert main(["classify", files["abc"], files["origin3"], "--certificate", str(cert)]) == 0
    capsys.readouterr()
    code, out = run_json(capsys, "verify", str(cert), "--json")
    assert code == 0 and out["all_hold"] is True and out["results"][0]["holds"] is True
    assert out["results"][0]["claim"] == "non-strict-saddle"
    assert valid(out, "verify")
    bad = copy.deepcopy(out)
    del bad["results"][0]["holds"]
    assert not valid(bad, "verify")
    bad = copy.deepcopy(out)
    bad["all_hold"] = "true"
    assert not valid(bad, "verify")


def test_check_theorems_and_explain(files, capsys):
    code, out = run_json(capsys, "check", "kawaguchi2016", files["abc"], "--json")
    assert code == 0 and out["theorem"] == "kawaguchi2016"
    assert valid(out, "check")
    for mutate in (lambda d: d["conclusion"].update(status="holds"),
                   lambda d: d["assumptions"][0].update(holds="yes"),
                   lambda d: d.pop("applies")):
        bad = copy.deepcopy(out)
        mutate(bad)
        assert not valid(bad, "check")

    code, listing = run_json(capsys, "theorems", "--json")
    assert code == 0 and valid(listing, "theorems")
    assert not valid([{**listing[0], "id": "two words"}], "theorems")

    path = COUNTEREXAMPLES / "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json"
    code, ex = run_json(capsys, "explain", str(path), "--json")
    assert code == 0 and ex["holds"] is True and ex["claim"] == "spurious-local-minimum"
    assert valid(ex, "explain")
    assert not valid({**ex, "argument": "one string"}, "explain")


def test_derive(files, capsys):
    code, out = run_json(capsys, "derive", files["abc"], "--json")
    assert code == 0 and "W_3 W_2 W_1" in out["plain"]
    assert valid(out, "derive") and not valid({"plain": out["plain"]}, "derive")


def test_search_stdout_and_summary_file(files, capsys, tmp_path):
    code, out = run_json(capsys, "search", files["ab"], "--starts", "8", "--json",
                         "--no-progress", "--out", str(tmp_path))
    assert code == 0 and out["complete"] is True
    # every start of 1/2 (ab - 1)^2 ends on the curve ab = 1, value 0, a certified global minimum
    assert out["global_value"]["value"] == 0
    assert valid(out, "search")
    summary = json.loads((tmp_path / "search.json").read_text(encoding="utf-8"))
    assert "runs" in summary and valid(summary, "search")
    code, checked = run_json(capsys, "verify", str(tmp_path / "search.json"), "--json")
    assert code == 0 and checked["all_hold"] is True and valid(checked, "verify")
    for g in out["groups"]:
        if g["certificate_file"]:
            assert valid(json.loads(Path(g["certificate_file"]).read_text(encoding="utf-8")),
                         "certificate")
    for mutate in (lambda d: d.pop("complete"), lambda d: d["groups"][0].update(kind="minimum"),
                   lambda d: d["runs"][0].update(status="done"),
                   lambda d: d["global_value"].update(value=1e-30)):
        bad = copy.deepcopy(summary)
        mutate(bad)
        assert not valid(bad, "search")


def test_census(files, capsys, tmp_path):
    code, out = run_json(capsys, "census", files["decay"], "--json")
    # 1/2 (ba - 1)^2 + 1/8 (a^2 + b^2): the origin (a saddle) and the two minima a = b = +-sqrt(3)/2
    assert code == 0 and out["complete"] is True and out["real_count"] == 3
    assert out["kinds"] == {"global-minimum": 2, "strict-saddle": 1}
    assert valid(out, "census") and valid(out["certificate"], "certificate")
    assert out["certificate"]["claim"] == "census"
    code, ref = run_json(capsys, "census", files["decay"], "--json", "--out", str(tmp_path))
    assert isinstance(ref["certificate"], str) and valid(ref, "census")
    assert valid(json.loads((tmp_path / "census.json").read_text(encoding="utf-8")), "certificate")
    code, checked = run_json(capsys, "verify", ref["certificate"], "--json")
    assert code == 0 and checked["results"][0]["claim"] == "census" and valid(checked, "verify")
    for mutate in (lambda d: d["kinds"].update(saddle=1),
                   lambda d: d["points"][0].update(value={"lo": "0"}),
                   lambda d: d["points"][0].update(index=-1),
                   lambda d: d.pop("real_count")):
        bad = copy.deepcopy(out)
        mutate(bad)
        assert not valid(bad, "census")
    bad = copy.deepcopy(out["certificate"])
    del bad["census"]
    assert not valid(bad, "certificate")


def test_campaign_report_and_results_lines(files, capsys, tmp_path):
    results = tmp_path / "results.jsonl"
    code, out = run_json(capsys, "campaign", files["ab"], "--out", str(results), "--seeds", "1",
                         "--starts", "6", "--workers", "1", "--json")
    assert code == 0 and out["tasks"] == 1 and out["ran"] == 1 and out["failed"] == 0
    assert valid(out, "campaign")
    assert not valid({**out, "ran": "1"}, "campaign")
    lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["status"] == "ok"
    assert valid(lines[0], "campaign-result")
    for mutate in (lambda r: r.update(status="failed"), lambda r: r.pop("task"),
                   lambda r: r["result"].pop("certificates"),
                   lambda r: r.update(error="both a result and an error")):
        bad = copy.deepcopy(lines[0])
        mutate(bad)
        assert not valid(bad, "campaign-result")
    failed = {"id": "x/seed-0", "status": "error", "task": lines[0]["task"], "error": "E: boom"}
    assert valid(failed, "campaign-result")


def test_hunt(capsys):
    code, out = run_json(capsys, "hunt", "--max-examples", "2", "--starts", "3", "--json",
                         "--no-progress")
    assert code in (0, 1) and valid(out, "hunt")
    bad = copy.deepcopy(out)
    bad["found"] = not out["found"]   # found without a certificate, or a certificate not found
    assert not valid(bad, "hunt")
    assert not valid({k: v for k, v in out.items() if k != "statement"}, "hunt")


def test_openness(files, capsys):
    code, out = run_json(capsys, "openness", files["ab"], files["origin2"], "--json")
    # U V at U = V = 0 with k = 1: rank(UV) + k - rank(V) = 1 >= m = 1, so open
    assert code == 0 and out["verdict"] == "open" and out["probe_agrees"] is True
    assert valid(out, "openness")
    for mutate in (lambda d: d.update(verdict="closed"), lambda d: d.pop("rule"),
                   lambda d: d["probe"]["random_targets"].update(tried=-1),
                   lambda d: d["parts"].append({"verdict": "open"})):
        bad = copy.deepcopy(out)
        mutate(bad)
        assert not valid(bad, "openness")


def test_experiment(capsys, tmp_path):
    code, out = run_json(capsys, "experiment", "ma-fattahi", "--depths", "1", "--outliers", "0.1",
                         "--seeds", "1", "--iterations", "5", "--json")
    assert code == 0 and len(out["runs"]) == 1 and out["runs"][0]["depth"] == 1
    assert valid(out, "experiment")
    bad = copy.deepcopy(out)
    del bad["runs"][0]["final_error"]
    assert not valid(bad, "experiment")
    assert not valid({**out, "figures": "none"}, "experiment")


def test_tour(capsys):
    code, out = run_json(capsys, "tour", "--json")
    assert code == 0 and out["all_ok"] is True and valid(out, "tour")
    bad = copy.deepcopy(out)
    bad["rows"][0]["kind"] = "minimum"
    assert not valid(bad, "tour")


# --- shipped with the package -----------------------------------------------------------------
def test_package_data_ships_the_schemas_and_py_typed():
    """What the wheel contains is what package-data lists (a wheel built with `pip wheel .`
    holds landscape_proofs/py.typed and every landscape_proofs/schemas/*.json)."""
    import fnmatch
    from importlib import resources

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["landscape_proofs"]
    package = ROOT / "landscape_proofs"
    shipped = {str(p.relative_to(package)) for p in package.rglob("*")
               if p.is_file() and any(fnmatch.fnmatch(str(p.relative_to(package)), pat)
                                      for pat in patterns)}
    assert "py.typed" in shipped and (package / "py.typed").is_file()
    assert {f"schemas/{n}.json" for n in schemas.names()} <= shipped
    assert len(schemas.names()) >= 15
    # and readable as package resources (what `load` uses), not through the source tree
    assert resources.files("landscape_proofs").joinpath("py.typed").is_file()


def test_plot(files, capsys, tmp_path):
    code, out = run_json(capsys, "plot", files["abc"], files["origin3"], "--out",
                         str(tmp_path / "f.svg"), "--json")
    assert code == 0 and valid(out, "plot")
    assert out["lines"] and out["plane"] is not None
    assert not valid({**out, "value": 0.5}, "plot")          # a float is never a value
    assert not valid({k: v for k, v in out.items() if k != "figure"}, "plot")
    assert not valid({**out, "plane": ["only one axis"]}, "plot")
