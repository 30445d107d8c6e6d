"""Strict input, atomic files, an unusable --out found before the work, and a one-line
internal error (issue: never hang, never lose work, never trust hostile input)."""
from __future__ import annotations

import json
import os
import time

import pytest

from landscape_proofs.cli.main import main
from landscape_proofs.families import io
from landscape_proofs.kernel.errors import InputError

P = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}


def _err(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_fifo_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "cert.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    assert main(["verify", str(fifo)]) == 2
    assert time.perf_counter() - start < 5
    assert "regular file" in _err(capsys)


def test_a_device_is_refused(capsys):
    assert main(["verify", "/dev/zero"]) == 2
    assert "regular file" in _err(capsys)


def test_duplicate_keys_are_refused_with_the_key(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text('{"family": "deep-linear", "widths": [1, 1, 1], "widths": [1, 2, 1], '
                   '"Y": [[1]], "loss": "square"}')
    point = tmp_path / "w.json"
    point.write_text('{"weights": [[[0]], [[0]]]}')
    assert main(["classify", str(bad), str(point)]) == 2
    line = _err(capsys)
    assert "duplicate key" in line and "widths" in line and str(bad) in line


def test_non_utf8_and_oversized_files_are_refused(tmp_path, capsys):
    bad = tmp_path / "b.json"
    bad.write_bytes(b'{"a": "\xff"}')
    assert main(["verify", str(bad)]) == 2
    assert "UTF-8" in _err(capsys)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(P))
    with pytest.raises(InputError, match="at most 10 bytes"):
        io.read_json(big, max_bytes=10)


def test_an_unusable_out_folder_is_found_before_the_work(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(P))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    start = time.perf_counter()
    assert main(["search", str(problem), "--starts", "100000", "--out", str(blocker / "sub")]) == 2
    assert time.perf_counter() - start < 5           # refused before 100,000 starts
    assert "--out" in _err(capsys)


def test_atomic_writes_leave_the_old_file_or_the_new_one(tmp_path, monkeypatch):
    target = tmp_path / "c.json"
    io.write_text_atomic(target, "old\n")
    assert target.read_text() == "old\n"

    def boom(fd):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        io.write_text_atomic(target, "new, but never complete\n")
    assert target.read_text() == "old\n"                # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]   # no temporary file left


def test_certificates_are_written_atomically(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(P))
    point = tmp_path / "w.json"
    point.write_text('{"weights": [[[0]], [[0]]]}')
    out = tmp_path / "cert.json"
    assert main(["classify", str(problem), str(point), "--certificate", str(out)]) == 0
    assert json.loads(out.read_text())["claim"] == "strict-saddle"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cert.json", "p.json", "w.json"]


def test_an_internal_error_is_one_line_a_saved_report_and_exit_3(tmp_path, capsys, monkeypatch):
    from landscape_proofs.cli import verify

    def crash(args):
        raise RuntimeError("a bug")
    monkeypatch.setattr(verify, "run", crash)
    cert = tmp_path / "c.json"
    cert.write_text("{}")
    assert main(["verify", str(cert)]) == 3
    line = _err(capsys)
    assert line.startswith("landscape: internal error: RuntimeError: a bug")
    saved = line.split("details saved to ")[1].split(";")[0]
    text = open(saved, encoding="utf-8").read()
    assert "Traceback" in text and "a bug" in text
    os.unlink(saved)


P313 = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
        "loss": "square"}


def test_search_with_a_spent_budget_keeps_its_report_and_says_incomplete(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(P313))
    out = tmp_path / "out"
    assert main(["search", str(problem), "--starts", "20", "--timeout", "1e-9", "--out", str(out),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is False and data["stopped"] == "timeout"
    # the budget is spent during the descent: the starts after it are not run, and no group
    # that was reached is claimed certified
    assert data["starts_run"] < 20
    assert all(not g["certified"] and "time budget" in g["reason"] for g in data["groups"])
    assert json.loads((out / "search.json").read_text())["complete"] is False
    assert main(["verify", str(out / "search.json")]) == 0      # nothing false was claimed


def test_ctrl_c_while_certifying_keeps_the_finished_groups(tmp_path, monkeypatch):
    from landscape_proofs.search import multistart

    real = multistart.certify_limit_point
    calls = []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(multistart, "certify_limit_point", interrupt_second)
    from landscape_proofs.families.io import problem_from_dict
    # the bundled bottleneck example: two local minima (e2 e2^T, value 1; e1 e1^T, value 2)
    weighted = {"family": "deep-linear", "widths": [2, 1, 2],
                "loss": {"name": "custom", "over": "product",
                         "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"}}
    cfg = multistart.SearchConfig(starts=40, seed=3)
    report = multistart.search(problem_from_dict(weighted), cfg, out_dir=tmp_path)
    assert len(report.groups) == 2
    assert report.stopped == "interrupted" and not report.complete
    assert report.groups[0].certified                       # finished before Ctrl-C: kept
    assert all("interrupted" in g.reason for g in report.groups[1:] if not g.certified)
    saved = json.loads((tmp_path / "search.json").read_text())
    assert saved["complete"] is False and saved["stopped"] == "interrupted"


def test_an_absurd_number_of_starts_is_refused_at_once(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(P313))
    assert main(["search", str(problem), "--starts", "1000000000000"]) == 2
    assert "at most 10000000 starts" in _err(capsys)
