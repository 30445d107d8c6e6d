"""`landscape hunt`: rediscover the two kinds of spurious minima, find none for the square loss."""
from __future__ import annotations

import json

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.cli.main import main
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.square import SquareLoss
from landscape_proofs.search.hunt import HuntConfig, HuntConstraints, hunt


def test_rediscovers_bottleneck_plus_convex_weighted_loss():
    cons = HuntConstraints(losses=("weighted",), bottleneck=True, max_depth=2, max_width=2)
    r = hunt(HuntConfig(constraints=cons, max_examples=30, seed=0))
    assert r.found and r.verified
    p = r.problem
    # shrunk to the smallest bottleneck: widths d-1-d with d = 2, four parameters
    assert p.widths == (2, 1, 2) and p.n_params == 4 and p.has_bottleneck
    assert isinstance(p.loss, CustomLoss) and p.loss.convex is True and p.weight_decay == 0
    res = check_certificate(json.loads(json.dumps(r.certificate)))
    assert res.valid and res.claim == "spurious-local-minimum"
    assert r.instances >= 1 and r.starts > 0


def test_rediscovers_weight_decay_at_depth_three():
    cons = HuntConstraints(losses=("square",), weight_decay=True, max_depth=3, max_width=2)
    r = hunt(HuntConfig(constraints=cons, max_examples=30, seed=0))
    assert r.found and r.verified
    p = r.problem
    assert p.depth == 3 and p.widths == (1, 1, 1, 1) and p.weight_decay > 0
    assert isinstance(p.loss, SquareLoss)
    # the origin is the strict local minimum (Hessian = weight decay * I)
    assert r.certificate["point"]["weights"] == [[[0]], [[0]], [[0]]]
    assert check_certificate(r.certificate).valid


def test_finds_nothing_for_the_square_loss_without_weight_decay():
    cons = HuntConstraints(losses=("square",), weight_decay=False, max_depth=3, max_width=3)
    r = hunt(HuntConfig(constraints=cons, max_examples=25, seed=1, starts=8))
    assert not r.found and r.certificate is None
    assert r.instances == 25 and r.starts == 25 * 8
    assert r.certified_points > 0
    text = r.text()
    assert "no counterexample found" in text and "25 instances" in text


def test_cli_hunt_writes_a_certificate_that_verify_accepts(tmp_path, capsys):
    out = tmp_path / "wd.json"
    code = main(["hunt", "--weight-decay", "--max-depth", "3", "--max-width", "1",
                 "--max-examples", "20", "--out", str(out), "--json"])
    assert code == 1                           # a counterexample to the property was found
    data = json.loads(capsys.readouterr().out)
    assert data["found"] and data["certificate_verified"] and data["certificate_file"] == str(out)
    assert main(["verify", str(out)]) == 0


def test_cli_hunt_bad_constraints_exit_2(capsys):
    assert main(["hunt", "--bottleneck", "--max-depth", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "max_depth" in err


def test_cli_hunt_prints_the_point_it_found(tmp_path, capsys):
    # weight decay, depth 3, width 1: the shrunk counterexample is the scalar chain whose
    # origin is a spurious local minimum (Hessian lam I, a far point is lower)
    code = main(["hunt", "--weight-decay", "--max-depth", "3", "--max-width", "1",
                 "--max-examples", "20"])
    assert code == 1
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.strip().startswith("local minimum:"))
    point = json.loads(line.split("local minimum:")[1].split(" (value")[0])
    assert point["weights"] and all(x == 0 for W in point["weights"] for row in W for x in row)
    assert "better point:" in out


def test_hunt_writes_no_hypothesis_database_into_the_current_directory(tmp_path, monkeypatch):
    from landscape_proofs.cli.main import main

    monkeypatch.chdir(tmp_path)
    main(["hunt", "--max-examples", "2", "--starts", "3", "--no-progress", "--json"])
    assert not (tmp_path / ".hypothesis").exists() and list(tmp_path.iterdir()) == []
