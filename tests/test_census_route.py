"""``check`` decides a landscape statement by a complete census (theorems/census_route.py).

Instances (hand derivations in tests/test_census.py and tests/test_per_entry_decay.py):

* ``[1, 1, 1, 1]``, ``Y = 1``, decay 2/5: the origin is the global minimum (value 1/2) and
  four points of value ~0.503 are spurious local minima: "every local minimum is global"
  fails, certified by the census;
* ``[1, 1, 1]``, ``Y = 1``, decay 1/2: two global minima (3/8) and a saddle (1/2): the
  statement is true on the whole instance;
* ``[1, 2, 1]``, ``Y = 2``, per-entry decays 1/2 and 1: two global minima and three saddles.

All carry weight decay, so the no-decay theorems do not apply; what the census proves is
reported as "status if it had applied".
"""
from __future__ import annotations

import pytest

import landscape_proofs as lp
from landscape_proofs.api import as_problem
from landscape_proofs.kernel import check_certificate
from landscape_proofs.theorems import census_route
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.census_route import census_conclusion


def problem(widths, Y, decay):
    return {"family": "deep-linear", "widths": widths, "Y": Y, "loss": "square",
            "weight_decay": decay}


DEPTH3 = problem([1, 1, 1, 1], [[1]], "2/5")
TWO = problem([1, 1, 1], [[1]], "1/2")
WIDE = problem([1, 2, 1], [[2]], [[["1/2"], [1]], [["1/2", 1]]])


def _notes(check):
    return check.conclusion.notes


def test_a_census_with_spurious_minima_fails_the_statement_with_its_certificate():
    c = lp.check("kawaguchi2016", DEPTH3)
    assert not c.applies and c.conclusion.status is ConclusionStatus.NOT_APPLICABLE
    assert "status if it had applied: fails-on-instance" in _notes(c)
    cert = c.conclusion.certificates[0]
    assert cert["claim"] == "census" and check_certificate(cert).holds
    contra = [p for p in c.conclusion.points if p.verdict.value == "contradicts"]
    assert len(contra) == 4 and all(p.kind == "spurious-local-minimum" for p in contra)
    assert "complete census" in c.conclusion.scope


@pytest.mark.parametrize("theorem, data", [
    ("lu_kawaguchi2017", TWO),
    ("laurent_vonbrecht2018", WIDE),
    ("nouiehed_razaviyayn2018-two-layer", TWO),
])
def test_a_complete_census_without_spurious_minima_proves_the_statement(theorem, data):
    c = lp.check(theorem, data)
    assert "status if it had applied: proved-on-instance" in _notes(c)
    cert = c.conclusion.certificates[0]          # the census's, before the sampled test's
    assert cert["claim"] == "census" and check_certificate(cert).holds
    census = [p for p in c.conclusion.points if p.label.startswith("census point")]
    assert census and all(p.verdict.value == "consistent" for p in census)
    # the sampled test's points stay after the census's; none contradicts the proof
    assert all(p.verdict.value != "contradicts" for p in c.conclusion.points)
    assert "proved on this instance" in c.conclusion.summary


def test_direct_decision_and_json():
    r = census_conclusion("local-minima-global", as_problem(TWO))
    assert r.status is ConclusionStatus.PROVED_ON_INSTANCE
    assert r.to_json()["status"] == "proved-on-instance"
    assert sorted(p.kind for p in r.points) == ["global-minimum", "global-minimum", "strict-saddle"]
    bad = census_conclusion("saddles-or-global", as_problem(DEPTH3))
    assert bad.status is ConclusionStatus.FAILS_ON_INSTANCE


def test_no_census_without_decay_or_for_other_statements():
    # without decay the product census decides only when Sigma's eigenvalues are distinct
    assert census_conclusion("local-minima-global",
                             as_problem(problem([2, 1, 2], [[1, 0], [0, 1]], 0))) is None
    # Baldi-Hornik's conclusion is not a statement a census decides: its answer is sampled
    c = lp.check("baldi_hornik1989", TWO)
    assert not any("proved-on-instance" in n for n in _notes(c))
    with pytest.raises(ValueError):
        census_conclusion("no-such-statement", as_problem(TWO))


def test_a_census_the_kernel_rejects_is_never_used(monkeypatch):
    class No:
        holds = False
        reason = "rejected"
    monkeypatch.setattr("landscape_proofs.kernel.check_certificate", lambda cert: No())
    assert census_conclusion("local-minima-global", as_problem(TWO)) is None


def test_a_large_instance_is_not_censused(monkeypatch):
    monkeypatch.setattr(census_route, "MAX_PARAMETERS", 1)
    assert census_conclusion("local-minima-global", as_problem(TWO)) is None
