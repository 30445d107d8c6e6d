"""``search --timeout`` bounds the descent too, and limit points of problems the kernel would
refuse are not classified exactly (issue 15: "never a hang without a budget")."""
from __future__ import annotations

import json
import time

from landscape_proofs import schemas
from landscape_proofs.cli.main import main
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.api import as_problem


def square(k: int) -> dict:
    return {"family": "deep-linear", "widths": [k, k, k], "loss": "square",
            "Y": [[int(i == j) for j in range(k)] for i in range(k)]}


def test_a_budget_spent_before_the_descent_ends_runs_no_more_starts():
    t0 = time.monotonic()
    rep = search(as_problem(square(8)), SearchConfig(starts=200, timeout=1e-6))
    assert time.monotonic() - t0 < 30
    assert not rep.complete and rep.stopped == "timeout"
    assert len(rep.outcomes) < 200             # the starts after the budget were not run
    out = rep.to_json()
    assert out["starts"] == 200 and out["starts_run"] == len(rep.outcomes) < 200
    assert out["complete"] is False
    assert schemas.validator("search").is_valid(json.loads(json.dumps(out)))
    assert "were not run" in rep.table()


def test_a_problem_the_kernel_would_refuse_is_not_classified_exactly(capsys):
    # widths [24, 24, 24]: 1,152 parameters, above the kernel's default limit of 1,024
    t0 = time.monotonic()
    rep = search(as_problem(square(24)), SearchConfig(starts=4))
    assert time.monotonic() - t0 < 60
    assert rep.groups and all(not g.certified and "too large" in g.reason for g in rep.groups)
    assert all(g.certificate is None for g in rep.groups)


def test_the_command_line_reports_the_starts_not_run(tmp_path, capsys):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(square(8)))
    assert main(["search", str(p), "--starts", "50", "--timeout", "0.000001", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["complete"] is False and out["starts_run"] < 50


def test_a_reused_out_folder_keeps_no_certificate_of_an_earlier_search(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / "group-007-global-minimum.json"
    stale.write_text("{}")
    mine = out / "notes.json"            # not one of the tool's names: left alone
    mine.write_text("{}")
    rep = search(as_problem({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]],
                             "loss": "square"}), SearchConfig(starts=5), out_dir=out)
    assert not stale.exists() and mine.exists()
    written = {p.name for p in out.glob("group-*.json")}
    assert written == {f"group-{g.id:03d}-{g.kind.value}.json" for g in rep.groups
                       if g.certificate is not None}


def test_a_deadline_reached_inside_a_groups_classification_stops_it(monkeypatch):
    # the deadline is checked before each kernel check of an enclosure and between snap
    # candidates: here it "expires" at the first such check, so no group is classified and
    # the search says why (before, one group's enclosures ran to the end, 10x past --timeout)
    import landscape_proofs.search.snap as snap
    from landscape_proofs.budget import DeadlineExceeded

    calls = []

    def expired():
        calls.append(1)
        raise DeadlineExceeded(1.0)

    monkeypatch.setattr(snap, "check_deadline", expired)
    rep = search(as_problem(square(2)), SearchConfig(starts=6, seed=0, timeout=600))
    assert calls and rep.stopped == "timeout" and not rep.complete
    assert rep.groups and all(not g.certified and "time budget" in g.reason for g in rep.groups)
    # without the deadline the same search classifies its groups
    monkeypatch.undo()
    full = search(as_problem(square(2)), SearchConfig(starts=6, seed=0, timeout=600))
    assert full.stopped is None and all(g.certified for g in full.groups)
