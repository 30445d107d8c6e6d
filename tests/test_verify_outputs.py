"""``landscape verify`` accepts every file ``search --out`` writes: the certificates and the
summary, whose certified groups are re-checked through their certificate files."""
from __future__ import annotations

import json

from landscape_proofs.cli.main import main

# widths 3-1-3, X = I, Y = diag(5, 3, 1): every start converges to a rank-one critical point;
# the descent reaches the global minimum (keep 5, value 1/2 (9 + 1) = 5)
P313 = {"family": "deep-linear", "widths": [3, 1, 3], "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]],
        "loss": "square"}


def _search(tmp_path):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(P313))
    out = tmp_path / "out"
    assert main(["search", str(problem), "--starts", "12", "--seed", "1", "--out", str(out)]) == 0
    return out


def test_verify_accepts_the_whole_search_directory(tmp_path, capsys):
    out = _search(tmp_path)
    files = sorted(str(p) for p in out.glob("*.json"))
    assert any(f.endswith("search.json") for f in files) and len(files) >= 2
    capsys.readouterr()
    assert main(["verify", *files]) == 0
    text = capsys.readouterr().out
    assert "search-summary" in text and "INVALID" not in text


def test_a_tampered_group_certificate_fails_the_summary(tmp_path, capsys):
    out = _search(tmp_path)
    cert_path = next(p for p in out.glob("group-*.json"))
    cert = json.loads(cert_path.read_text())
    cert["value"] = "1/3"                      # not the recomputed value
    cert_path.write_text(json.dumps(cert))
    assert main(["verify", str(out / "search.json")]) == 1
    assert "differs from the recomputed" in capsys.readouterr().out


def test_a_summary_that_misreports_a_kind_fails(tmp_path, capsys):
    out = _search(tmp_path)
    summary = json.loads((out / "search.json").read_text())
    certified = [g for g in summary["groups"] if g.get("certified")]
    assert certified
    certified[0]["kind"] = "strict-saddle" if certified[0]["kind"] != "strict-saddle" else "global-minimum"
    (out / "search.json").write_text(json.dumps(summary))
    assert main(["verify", str(out / "search.json")]) == 1
    assert "its certificate claims" in capsys.readouterr().out


def test_the_summary_finds_its_certificates_after_the_folder_moves(tmp_path):
    out = _search(tmp_path)
    moved = tmp_path / "moved"
    out.rename(moved)
    assert main(["verify", str(moved / "search.json")]) == 0


def test_a_copied_folder_is_checked_against_its_own_files(tmp_path, monkeypatch):
    # search ran from tmp_path (the summary records "out/group-..."); a copy without its
    # certificates must fail, even when verified from where the original's paths resolve
    import shutil

    monkeypatch.chdir(tmp_path)
    out = _search(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    for cert in copy.glob("group-*.json"):
        cert.unlink()
    assert main(["verify", str(copy / "search.json")]) == 1
    assert main(["verify", str(out / "search.json")]) == 0


def test_run_counts_that_do_not_add_up_fail(tmp_path, capsys):
    out = _search(tmp_path)
    summary = json.loads((out / "search.json").read_text())
    summary["groups"][0]["starts"] += 1            # 13 runs in groups of a 12-start search
    (out / "search.json").write_text(json.dumps(summary))
    assert main(["verify", str(out / "search.json")]) == 1
    assert "add up to 13" in capsys.readouterr().out
