"""No warnings or tracebacks reach stderr from ``landscape check`` on custom losses whose float
descent diverges (overflow is expected there and handled: non-finite starts are dropped)."""
import json
import subprocess
import sys
import warnings

import pytest

from landscape_proofs.cli.main import main

# the problem of the redesign issue, and losses unbounded below: float descent overflows
CASES = [
    ({"family": "deep-linear", "widths": [1, 1], "X": [["10"]], "Y": [["0"]],
      "loss": {"name": "custom", "expression": "r_0_0**2 - r_0_0**4/100", "convex": True}},
     "laurent_vonbrecht2018"),
    ({"family": "deep-linear", "widths": [1, 1, 1], "X": [["10"]], "Y": [["0"]],
      "loss": {"name": "custom", "expression": "-r_0_0**4", "convex": True}},
     "zhang2019"),
    ({"family": "deep-linear", "widths": [2, 2, 2], "X": [["10", "0"], ["0", "10"]],
      "Y": [["0", "0"], ["0", "0"]], "loss": {"name": "custom", "expression": "r_0_0**3"}},
     "nouiehed_razaviyayn2018-two-layer"),
]


@pytest.mark.parametrize("problem,tid", CASES)
def test_check_writes_nothing_to_stderr(problem, tid, tmp_path, capsys):
    f = tmp_path / "problem.json"
    f.write_text(json.dumps(problem))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["check", tid, str(f), "--json"])
    out = capsys.readouterr()
    assert code in (0, 1)
    assert out.err == ""
    assert [str(w.message) for w in caught] == []
    json.loads(out.out)


def test_the_command_itself_writes_nothing_to_stderr(tmp_path):
    problem, tid = CASES[0]
    f = tmp_path / "problem.json"
    f.write_text(json.dumps(problem))
    proc = subprocess.run([sys.executable, "-m", "landscape_proofs", "check", tid, str(f)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert "proven not convex" in proc.stdout
