"""Fault-tolerant campaigns: kills, dead workers, orphans, the results-file lock, resume.

The process tests run ``landscape campaign`` as a subprocess and watch its children through
``/proc`` (Linux).
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.search.campaign import SearchTask, read_results, run_campaign

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

BH = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
      "loss": "square"}
WD = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square",
      "weight_decay": "1/10"}


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _workers(pid: int) -> list[int]:
    """The pool workers of a campaign (not multiprocessing's resource tracker)."""
    out = []
    for c in _children(pid):
        try:
            cmd = Path(f"/proc/{c}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd:
            out.append(c)
    return out


def _campaign(tmp_path, out: Path, *extra: str) -> subprocess.Popen:
    files = []
    for name, p in (("bh", BH), ("wd", WD)):
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(p))
        files.append(str(f))
    return subprocess.Popen([sys.executable, "-m", "landscape_proofs", "campaign", *files,
                             "--out", str(out), "--seeds", "3", "--starts", "1500",
                             "--workers", "2", "--no-progress", "--json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))


def _wait_for(cond, seconds=60.0, step=0.02):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def _lines_done(out: Path) -> int:
    return len(out.read_text().splitlines()) if out.exists() else 0


def _check_results_file(out: Path) -> dict:
    """Every line parses, and every certificate in it is accepted by the kernel."""
    ids = {}
    for line in out.read_text().splitlines():
        rec = json.loads(line)                       # no half-written line
        assert rec["id"] not in ids
        ids[rec["id"]] = rec["status"]
        if rec["status"] == "ok":
            for cert in rec["result"]["certificates"].values():
                assert check_certificate(cert).holds
    return ids


# --- processes ------------------------------------------------------------------------------
def test_killing_a_worker_retries_its_tasks_and_the_campaign_completes(tmp_path):
    out = tmp_path / "r.jsonl"
    proc = _campaign(tmp_path, out)
    _wait_for(lambda: _lines_done(out) >= 1)          # the pool is running tasks
    victim = _wait_for(lambda: _workers(proc.pid))[0]
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    assert (report["tasks"], report["ran"], report["failed"]) == (6, 6, 0)
    assert report["complete"] is True and report["retried"] >= 1    # the kill hit live work
    assert set(_check_results_file(out).values()) == {"ok"} and len(_check_results_file(out)) == 6


def test_sigkill_of_the_campaign_leaves_parsable_files_and_no_orphans(tmp_path):
    out = tmp_path / "k.jsonl"
    for moment in (0.3, 1.5):                      # before any result, and in the middle
        proc = _campaign(tmp_path, out)
        _wait_for(lambda: len(_workers(proc.pid)) == 2)
        workers = _workers(proc.pid)
        time.sleep(moment)
        proc.kill()
        proc.communicate(timeout=30)          # a surviving worker would hold the pipes open
        t0 = time.monotonic()
        while any(_alive(w) for w in workers) and time.monotonic() - t0 < 3:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "a worker outlived its campaign"
        _check_results_file(out)
    proc = _campaign(tmp_path, out)                # resuming finishes the campaign
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["skipped"] + report["ran"] == 6 and report["complete"]
    assert set(_check_results_file(out).values()) == {"ok"}


def test_sigterm_stops_cleanly_keeping_what_finished(tmp_path):
    out = tmp_path / "t.jsonl"
    proc = _campaign(tmp_path, out, "--seeds", "6")
    _wait_for(lambda: _lines_done(out) >= 1)
    workers = _workers(proc.pid)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["complete"] is False and report["stopped"] == "interrupted"
    assert len(_check_results_file(out)) == report["ran"] >= 1
    time.sleep(0.5)
    assert not any(_alive(w) for w in workers)


def test_campaign_timeout_keeps_what_finished(tmp_path, capsys):
    files = []
    for name, p in (("bh", BH), ("wd", WD)):
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(p))
        files.append(str(f))
    out = tmp_path / "to.jsonl"
    t0 = time.monotonic()
    assert main(["campaign", *files, "--out", str(out), "--seeds", "50", "--starts", "50",
                 "--workers", "1", "--no-progress", "--json", "--timeout", "2"]) == 0
    assert time.monotonic() - t0 < 15
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] is False and report["stopped"] == "timeout"
    assert report["ran"] < 100 and len(read_results(out)) == report["ran"]


# --- dead workers in-process: a task that kills its own worker --------------------------------
@dataclass(frozen=True)
class DyingTask:
    """Kills its worker process while ``marker`` is missing or always (``always``)."""

    id: str
    marker: str
    always: bool = False
    kind = "dying"

    def to_json(self) -> dict:
        return {"kind": self.kind, "id": self.id}

    def run(self) -> dict:
        if self.always or not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(1)
        return {"survived": True}


def test_a_task_whose_worker_dies_once_is_retried_and_one_that_always_dies_is_an_error(tmp_path):
    tasks = [DyingTask("once", str(tmp_path / "once")),
             DyingTask("always", str(tmp_path / "always"), always=True)]
    out = tmp_path / "d.jsonl"
    rep = run_campaign(tasks, out, max_workers=2)
    recs = {r["id"]: r for r in read_results(out)}
    assert recs["once"]["status"] == "ok" and recs["once"]["result"] == {"survived": True}
    assert recs["always"]["status"] == "error" and "died 3 times" in recs["always"]["error"]
    assert (rep.ran, rep.failed, rep.complete) == (1, 1, True) and rep.retried >= 2


# --- the results file -----------------------------------------------------------------------
def test_a_second_campaign_on_the_same_file_is_refused(tmp_path, capsys):
    f = tmp_path / "bh.json"
    f.write_text(json.dumps(BH))
    out = tmp_path / "locked.jsonl"
    fd = os.open(str(out) + ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)       # as a running campaign holds it
        assert main(["campaign", str(f), "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "another campaign" in err[0] and str(out) in err[0]
    finally:
        os.close(fd)
    assert not out.exists() or out.read_text() == ""        # nothing was written


def test_resume_replaces_stale_error_lines(tmp_path):
    out = tmp_path / "s.jsonl"
    good = SearchTask(id="bh/seed-0", problem=BH, starts=5)
    flaky = SearchTask(id="wd/seed-0", problem=WD, starts=5)
    stale = {"id": flaky.id, "status": "error", "task": flaky.to_json(), "error": "Boom: gone"}
    out.write_text(json.dumps(stale) + "\n" + json.dumps(stale) + "\n")
    with ThreadPoolExecutor(1) as ex:
        rep = run_campaign([good, flaky], out, executor=ex)
    assert (rep.skipped, rep.ran, rep.failed) == (0, 2, 0)
    recs = read_results(out)
    assert sorted((r["id"], r["status"]) for r in recs) == [("bh/seed-0", "ok"), ("wd/seed-0", "ok")]


def test_a_results_file_that_is_not_utf8_is_an_input_error(tmp_path):
    out = tmp_path / "bad.jsonl"
    out.write_bytes(b'{"id": "x", "status": "ok"}\n\xff\xfe\n')
    with pytest.raises(InputError, match="UTF-8"):
        run_campaign([SearchTask(id="x", problem=BH, starts=2)], out)


# --- Dask -----------------------------------------------------------------------------------
def test_dask_unreachable_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    f = tmp_path / "bh.json"
    f.write_text(json.dumps(BH))
    t0 = time.monotonic()
    assert main(["campaign", str(f), "--out", str(tmp_path / "x.jsonl"), "--no-progress",
                 "--scheduler", "tcp://127.0.0.1:9", "--timeout", "2"]) == 2
    assert time.monotonic() - t0 < 15
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the scheduler" in err[0]


def test_dask_cluster_without_workers_is_one_line(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    f = tmp_path / "bh.json"
    f.write_text(json.dumps(BH))
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=None) as cluster:
        t0 = time.monotonic()
        assert main(["campaign", str(f), "--out", str(tmp_path / "x.jsonl"), "--no-progress",
                     "--scheduler", cluster.scheduler_address, "--timeout", "1"]) == 2
        assert time.monotonic() - t0 < 15
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no workers" in err[0]
