"""Campaigns through any Executor: process pool, Dask distributed; JSON lines, resumable."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.search.campaign import (RefuteTask, SearchTask, read_results, run_campaign,
                                              search_tasks)

BH = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
      "loss": "square"}
WD = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square",
      "weight_decay": "1/10"}
BW = {"family": "deep-linear", "widths": [2, 1, 2],
      "loss": {"name": "custom", "over": "product", "convex": True, "differentiable": True,
               "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"}}


def _tasks():
    return search_tasks({"bh": BH, "wd": WD, "bw": BW}, seeds=[0, 1], starts=20)


def _final(path):
    return {r["id"]: json.dumps(r["result"], sort_keys=True)
            for r in read_results(path) if r["status"] == "ok"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Results of an uninterrupted run in this process (a thread pool)."""
    path = tmp_path_factory.mktemp("ref") / "ref.jsonl"
    with ThreadPoolExecutor(2) as ex:
        rep = run_campaign(_tasks(), path, executor=ex)
    assert rep.ran == 6 and rep.failed == 0
    return _final(path)


def test_process_pool_by_default(tmp_path, reference):
    path = tmp_path / "pool.jsonl"
    rep = run_campaign(_tasks(), path, max_workers=2)
    assert (rep.tasks, rep.skipped, rep.ran, rep.failed) == (6, 0, 6, 0)
    assert _final(path) == reference
    res = {r["id"]: r["result"] for r in read_results(path)}
    assert res["bh/seed-0"]["global_value"]["value"] == 5
    kinds = {g["kind"] for g in res["bw/seed-0"]["groups"]}
    assert "spurious-local-minimum" in kinds


def test_resumes_after_interruption(tmp_path, reference):
    path = tmp_path / "resume.jsonl"
    with ThreadPoolExecutor(2) as ex:
        run_campaign(_tasks(), path, executor=ex)
    lines = path.read_text().splitlines()
    # an interruption: two tasks lost, and half a line written
    path.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    with ThreadPoolExecutor(2) as ex:
        rep = run_campaign(_tasks(), path, executor=ex)
    assert (rep.skipped, rep.ran) == (3, 3)
    assert _final(path) == reference
    assert all(json.loads(line) for line in path.read_text().splitlines())  # no broken line left
    with ThreadPoolExecutor(2) as ex:                                       # nothing left to do
        assert run_campaign(_tasks(), path, executor=ex).ran == 0


def test_failed_tasks_are_recorded_and_retried(tmp_path):
    bad = SearchTask(id="bad", problem={"family": "deep-linear", "widths": [1, 1]}, starts=2)
    path = tmp_path / "bad.jsonl"
    with ThreadPoolExecutor(1) as ex:
        rep = run_campaign([bad], path, executor=ex)
    assert rep.failed == 1
    rec = read_results(path)[0]
    assert rec["status"] == "error" and "loss" in rec["error"]
    with ThreadPoolExecutor(1) as ex:
        assert run_campaign([bad], path, executor=ex).failed == 1   # tried again


def test_duplicate_ids_are_refused(tmp_path):
    t = SearchTask(id="x", problem=BH, starts=2)
    with pytest.raises(InputError):
        run_campaign([t, t], tmp_path / "dup.jsonl")


def test_dask_distributed_local_cluster(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "dask.jsonl"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rep = run_campaign(_tasks(), path, executor=client.get_executor())
        assert (rep.ran, rep.failed) == (6, 0)
        refute = RefuteTask(id="refute-wd", problem=WD, starts=4)
        run_campaign([refute], path, executor=client.get_executor())
    assert {k: v for k, v in _final(path).items() if k != "refute-wd"} == reference
    rec = [r for r in read_results(path) if r["id"] == "refute-wd"][0]
    assert rec["result"]["refuted"] and rec["result"]["certificate"]["claim"] == "spurious-local-minimum"


def test_cli_campaign_runs_and_resumes(tmp_path, capsys):
    from landscape_proofs.cli.main import main

    files = []
    for name, p in (("bh", BH), ("wd", WD)):
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(p))
        files.append(str(f))
    out = tmp_path / "c.jsonl"
    argv = ["campaign", *files, "--out", str(out), "--seeds", "2", "--starts", "10",
            "--workers", "1", "--no-progress", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["tasks"], first["ran"], first["failed"]) == (4, 4, 0)
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["skipped"], again["ran"]) == (4, 0)
    assert sorted(r["id"] for r in read_results(out)) == ["bh/seed-0", "bh/seed-1",
                                                          "wd/seed-0", "wd/seed-1"]


def test_one_folder_per_case_gives_distinct_task_ids(tmp_path, capsys, monkeypatch):
    # c01/problem.json and c02/problem.json share a stem: the ids use the paths (c01/problem);
    # a file given twice is still refused, with one line
    from landscape_proofs.cli.campaign import task_names
    from landscape_proofs.cli.main import main

    assert task_names(["a.json", "b.json"]) == ["a", "b"]
    assert task_names(["c01/problem.json", "c02/problem.json", "x.json"]) == [
        "c01/problem", "c02/problem", "x"]
    monkeypatch.chdir(tmp_path)
    for case, p in (("c01", BH), ("c02", WD)):
        (tmp_path / case).mkdir()
        (tmp_path / case / "problem.json").write_text(json.dumps(p))
    out = tmp_path / "c.jsonl"
    assert main(["campaign", "c01/problem.json", "c02/problem.json", "--out", str(out),
                 "--seeds", "1", "--starts", "6", "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    assert sorted(r["id"] for r in read_results(out)) == ["c01/problem/seed-0", "c02/problem/seed-0"]
    assert main(["campaign", "c01/problem.json", "c01/problem.json", "--out", str(tmp_path / "d.jsonl"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "given twice" in err[0]


def test_verify_re_checks_a_campaign_results_file(tmp_path, capsys):
    """`landscape verify results.jsonl`: every certified group of every finished task, through
    the certificate its line carries; a tampered certificate or a kind its certificate does not
    claim fails; a failed task claims nothing."""
    from landscape_proofs.cli.main import main

    out = tmp_path / "r.jsonl"
    with ThreadPoolExecutor(1) as ex:
        run_campaign(search_tasks({"wd": WD}, seeds=[0], starts=10), out, executor=ex)
    assert main(["verify", str(out), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["results"][0]
    assert row["holds"] is True and row["claim"] == "campaign-results"
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    certified = [g for g in line["result"]["groups"] if g["certified"]]
    assert certified and "re-checked by the kernel" in row["reason"]

    def rewrite(name, edit):
        bad = json.loads(json.dumps(line))
        edit(bad)
        path = tmp_path / name
        path.write_text(json.dumps(bad) + "\n" + json.dumps(
            {"id": "x/seed-0", "status": "error", "task": line["task"], "error": "E: boom"}) + "\n")
        return main(["verify", str(path)])

    g = certified[0]
    other = "strict-saddle" if g["kind"] != "strict-saddle" else "global-minimum"
    assert rewrite("kind.jsonl", lambda d: d["result"]["groups"][0].update(kind=other)) == 1
    assert rewrite("value.jsonl", lambda d: d["result"]["certificates"][str(g["id"])].update(
        problem={**WD, "weight_decay": "1/9"})) == 1
    assert rewrite("gvalue.jsonl", lambda d: d["result"]["groups"][0].update(
        value="1/7" if g["value"] != "1/7" else "1/8",
        value_enclosure=None)) == 1                       # a group's number is a claim too
    assert rewrite("global.jsonl", lambda d: d["result"]["global_value"].update(value=-5)) == 1
    assert rewrite("same.jsonl", lambda d: None) == 0      # the error line claims nothing
    assert "1 failed task(s) claim nothing" in capsys.readouterr().out
    (tmp_path / "junk.jsonl").write_text("not json\n")
    assert main(["verify", str(tmp_path / "junk.jsonl")]) == 2
