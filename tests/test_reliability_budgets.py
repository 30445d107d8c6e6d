"""Time budgets (--timeout) and size limits: every heavy input ends quickly with a clean answer.

Heavy inputs run in a subprocess under ``RLIMIT_AS`` (memory stays bounded); timeouts run
in-process through ``landscape_proofs.cli.main.main``.
"""
from __future__ import annotations

import json
from fractions import Fraction
import random
import subprocess
import sys
import time

import pytest

import landscape_proofs as lp
from landscape_proofs.budget import Deadline, DeadlineExceeded, deadline, check_deadline, run_bounded
from landscape_proofs.cli.main import main
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.limits import DEFAULT, Limits, check_numbers, current, using

MEMORY_CAP = 1200 << 20      # bytes of address space for the capped subprocesses


def _square(n: int, seed: int = 1, decay=None) -> dict:
    rng = random.Random(seed)
    p = {"family": "deep-linear", "widths": [n, n, n], "loss": "square",
         "Y": [[rng.randint(-3, 3) for _ in range(n)] for _ in range(n)]}
    if decay is not None:
        p["weight_decay"] = decay
    return p


def _zero(n: int, depth: int = 2) -> dict:
    return {"weights": [[[0] * n for _ in range(n)] for _ in range(depth)]}


def _write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _definite_hessian_certificate(n: int, decay: str = "100") -> dict:
    """The origin of a square loss with a large decay is a strict local minimum: its Hessian
    is [[d I, -Y (x) I], [..., d I]]-like and definite once d > ||Y||.  The kernel checks the
    claim by the exact inertia of a 2 n^2 x 2 n^2 matrix (slow for n = 16)."""
    return {"format": "landscape-certificate/1", "claim": "local-minimum",
            "problem": _square(n, seed=2, decay=decay),
            "point": {"weights": [[["0"] * n for _ in range(n)] for _ in range(2)]},
            "evidence": {"type": "definite-hessian"}}


def _capped(commands: list[list[str]], cwd) -> list[tuple[int, str, str, float]]:
    """Run each ``landscape ARGS`` in one subprocess with at most MEMORY_CAP bytes of address
    space; (exit status, stdout, stderr, seconds) for each."""
    code = ("import contextlib, io, json, resource, sys, time\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
            "from landscape_proofs.cli.main import main\n"
            "rows = []\n"
            "for argv in json.loads(sys.argv[1]):\n"
            "    out, err, t0 = io.StringIO(), io.StringIO(), time.monotonic()\n"
            "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
            "        status = main(argv)\n"
            "    rows.append((status, out.getvalue(), err.getvalue(), time.monotonic() - t0))\n"
            "print(json.dumps(rows))\n")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(commands)], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                               "PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]


# --- the mechanism ----------------------------------------------------------------------------
def test_run_bounded_returns_values_reraises_input_errors_and_kills_overruns():
    assert run_bounded(pow, 3, 4, seconds=10).value == 81

    def refuse():
        raise InputError("expected something", field="f", source="s.json")

    with pytest.raises(InputError) as info:
        run_bounded(refuse, seconds=10)
    assert (info.value.field, info.value.source) == ("f", "s.json")   # fields survive

    def spin():
        while True:
            pass

    t0 = time.monotonic()
    out = run_bounded(spin, seconds=0.3)
    assert not out.done and "timeout" in out.reason and time.monotonic() - t0 < 3


def test_deadline_nests_and_expires():
    with deadline(100) as outer:
        with deadline(0.01) as inner:
            assert inner.end < outer.end
            time.sleep(0.02)
            with pytest.raises(DeadlineExceeded):
                check_deadline()
        check_deadline()                       # the outer one has not passed
        with deadline(1000) as later:          # a later deadline never extends the outer one
            assert later is outer
    with pytest.raises(InputError):
        Deadline(0)


# --- --timeout per command ----------------------------------------------------------------------
def test_classify_timeout_is_inconclusive_with_timeout_in_the_reason(tmp_path, capsys):
    # the origin of widths [16, 16, 16] takes about 0.5 s to classify exactly (a few seconds
    # before the float-guided inertia): 0.05 s is far too little
    p, z = _write(tmp_path, "p.json", _square(16)), _write(tmp_path, "z.json", _zero(16))
    t0 = time.monotonic()
    assert main(["classify", p, z, "--timeout", "0.05", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert time.monotonic() - t0 < 4
    assert out["kind"] == "inconclusive" and "timeout" in out["reason"]
    assert out["certificate"] is None
    # the value is still exact: at the origin, 1/2 ||Y||^2
    Y = _square(16)["Y"]
    assert out["value"] == str(Fraction(sum(y * y for row in Y for y in row), 2))


def test_classify_with_a_generous_timeout_gives_the_same_certified_answer():
    p = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}
    a = lp.classify(p, [[[0]], [[0]]], timeout=60)
    b = lp.classify(p, [[[0]], [[0]]])
    assert (a.kind.value, a.value) == (b.kind.value, b.value) == ("strict-saddle", 1 / 2)
    assert lp.verify(a).holds


def test_verify_timeout_names_the_certificate_and_exits_1(tmp_path, capsys, monkeypatch):
    # the kernel checks this certificate in about 0.2 s since the float-guided inertia (20 s
    # before); a check that takes 30 s is simulated, in the kernel's own entry point, so the
    # budget is what stops it
    from landscape_proofs.kernel import checker

    exact = checker.check_certificate

    def slow_check(cert):
        if cert.get("problem", {}).get("widths", [0])[0] == 16:
            time.sleep(30)
        return exact(cert)

    monkeypatch.setattr(checker, "check_certificate", slow_check)
    slow = _write(tmp_path, "slow.json", _definite_hessian_certificate(16))
    fast = _write(tmp_path, "fast.json", _definite_hessian_certificate(6))
    t0 = time.monotonic()
    assert main(["verify", fast, slow, "--timeout", "1", "--json"]) == 1
    assert time.monotonic() - t0 < 8
    rows = {r["file"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert rows[fast]["holds"] is True and "definite" in rows[fast]["reason"]
    assert rows[slow]["holds"] is False and "timeout" in rows[slow]["reason"]
    assert rows[slow]["claim"] == "local-minimum"


def test_check_timeout_is_inconclusive_and_does_not_claim_the_theorem_applies(tmp_path, capsys):
    p = _write(tmp_path, "bh.json", {"family": "deep-linear", "widths": [3, 1, 3],
                                     "Y": [[5, 0, 0], [0, 3, 0], [0, 0, 1]], "loss": "square"})
    assert main(["check", "kawaguchi2016", p, "--timeout", "0.01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["conclusion"]["status"] == "inconclusive"
    assert "timeout" in out["conclusion"]["evidence"]["summary"]
    assert out["applies"] is False
    done = lp.check("kawaguchi2016", p, timeout=120)          # enough time: the real answer
    assert done.to_json()["conclusion"] == lp.check("kawaguchi2016", p).to_json()["conclusion"]


def test_census_timeout_keeps_complete_false(tmp_path, capsys):
    # depth 6 scalar chain with decay: 65 critical points, ~8 s for a complete census here (the
    # depth-4 chain this test used now finishes in a fraction of a second)
    p = _write(tmp_path, "wd.json", {"family": "deep-linear", "widths": [1, 1, 1, 1, 1, 1, 1],
                                     "Y": [[3]], "loss": "square", "weight_decay": "1/10"})
    t0 = time.monotonic()
    assert main(["census", p, "--timeout", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert time.monotonic() - t0 < 5
    assert out["complete"] is False and "timeout" in out["reason"]
    # with --out, the text says that nothing was written (no certificate to re-check)
    assert main(["census", p, "--timeout", "0.5", "--out", str(tmp_path / "c")]) == 0
    text = capsys.readouterr().out
    assert "nothing written" in text and not (tmp_path / "c" / "census.json").exists()


def test_timeout_must_be_a_positive_number(tmp_path, capsys):
    for bad in ("0", "-1", "nan", "inf", "soon"):
        assert main(["verify", "x.json", "--timeout", bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("landscape: error:") and "timeout" in err[0]


# --- size limits --------------------------------------------------------------------------------
def test_limits_are_validated_and_scoped():
    with pytest.raises(InputError):
        Limits(max_parameters=0)
    with using(Limits(max_parameters=5)):
        assert current().max_parameters == 5
    assert current() == DEFAULT


def test_number_digits_limit_walks_nested_data_without_recursion():
    deep = "1"
    for _ in range(50_000):          # far deeper than Python's recursion limit
        deep = [deep]
    check_numbers(deep)
    with using(Limits(max_digits=10)):
        check_numbers({"a": ["12345/67890", "x" * 100]})              # letters are not digits
        with pytest.raises(InputError) as info:
            check_numbers({"a": [{"b": "1/" + "7" * 11}]})
        assert info.value.field == "a[0].b"
        with pytest.raises(InputError):
            check_numbers({"a": 10 ** 40})


def test_kernel_refuses_a_problem_above_the_parameter_limit_before_any_work():
    cert = _definite_hessian_certificate(64)                           # 8192 parameters
    t0 = time.monotonic()
    with pytest.raises(InputError) as info:
        check_certificate(cert)
    assert "8192 parameters" in str(info.value) and time.monotonic() - t0 < 2
    with using(Limits(max_parameters=400)):                            # raised: checked
        assert check_certificate(_definite_hessian_certificate(6)).holds
        with pytest.raises(InputError):
            check_certificate(_definite_hessian_certificate(16))       # 512 > 400


def test_widths_64_classify_and_verify_end_quickly_in_bounded_memory(tmp_path):
    p, z = _write(tmp_path, "p.json", _square(64)), _write(tmp_path, "z.json", _zero(64))
    c = _write(tmp_path, "c.json", _definite_hessian_certificate(64))
    first, tried, checked = _capped([
        ["classify", p, z, "--json"],
        # raising the limit makes it try; the budget (or the memory cap) still ends it cleanly
        ["classify", p, z, "--json", "--max-parameters", "10000", "--timeout", "3"],
        ["verify", c]], tmp_path)
    code, out, err, secs = first
    assert code == 0 and secs < 10, err
    res = json.loads(out)
    assert res["kind"] == "inconclusive" and "8192 parameters" in res["reason"]
    code, out, err, secs = tried
    assert code == 0 and secs < 10, err
    assert json.loads(out)["kind"] == "inconclusive"
    code, out, err, secs = checked
    assert code == 2 and secs < 10
    assert err.count("\n") == 1 and "--max-parameters" in err and "Traceback" not in err


def test_power_64_custom_loss_is_refused_quickly(tmp_path):
    p = _write(tmp_path, "p.json", {
        "family": "deep-linear", "widths": [2, 1, 2],
        "loss": {"name": "custom", "over": "product", "convex": True, "differentiable": True,
                 "expression": "(R_0_0 + R_0_1 + R_1_0 + R_1_1)**64"}})
    w = _write(tmp_path, "w.json", {"weights": [[[1, 0]], [[1], [0]]]})
    [(code, out, err, secs)] = _capped([["classify", p, w, "--json"]], tmp_path)
    assert code == 0 and secs < 10, err
    res = json.loads(out)
    assert res["kind"] == "inconclusive" and "20000 terms" in res["reason"]


def test_depth_33_is_refused_and_depth_32_is_bounded(tmp_path):
    deep = _write(tmp_path, "d33.json", {"family": "deep-linear", "widths": [1] * 34,
                                         "Y": [[1]], "loss": "square"})
    pt = _write(tmp_path, "p33.json", {"weights": [[[0]]] * 33})
    d32 = _write(tmp_path, "d32.json", {"family": "deep-linear", "widths": [1] * 33,
                                        "Y": [[1]], "loss": "square"})
    p32 = _write(tmp_path, "p32.json", {"weights": [[[0]]] * 32})
    refused, bounded = _capped([["classify", deep, pt],
                                ["classify", d32, p32, "--json", "--timeout", "8"]], tmp_path)
    code, out, err, secs = refused
    assert code == 2 and "at most 32 layers" in err and secs < 10
    code, out, err, secs = bounded
    assert code == 0 and secs < 10, err
    # the origin of a depth-32 scalar chain: gradient 0, Hessian 0, value 1/2; t -> (t,...,t)
    # lowers the value by t^32: a non-strict saddle
    res = json.loads(out)
    assert res["value"] == "1/2" and res["kind"] in ("non-strict-saddle", "inconclusive")


def test_three_megabyte_certificates_are_refused_or_verified_fast(tmp_path):
    small = _definite_hessian_certificate(3)
    huge_number = dict(small, point={"weights": [[["1" + "0" * 3_000_000] + ["0"] * 2]
                                                 + [["0"] * 3] * 2, [["0"] * 3] * 3]})
    a = _write(tmp_path, "digits.json", huge_number)
    padded = dict(small, notes=["x" * 1000] * 3000)                     # 3 MB of notes
    b = _write(tmp_path, "padded.json", padded)
    digits, padded_ok, too_big = _capped([["verify", a], ["verify", b],
                                          ["verify", b, "--max-bytes", "1000000"]], tmp_path)
    code, out, err, secs = digits
    assert code == 2 and secs < 10 and "--max-digits" in err and err.count("\n") == 1
    code, out, err, secs = padded_ok
    assert code == 0 and secs < 10 and out.startswith("VALID"), err
    code, out, err, secs = too_big
    assert code == 2 and "--max-bytes" in err and secs < 10


def test_digits_in_fields_the_kernel_never_reads_are_not_limited():
    cert = _definite_hessian_certificate(2)
    cert["notes"] = ["9" * 30]
    with using(Limits(max_digits=20)):
        assert check_certificate(cert).holds
        cert["point"]["weights"][0][0][0] = "0/" + "1" * 30       # a read field: refused
        with pytest.raises(InputError, match="--max-digits"):
            check_certificate(cert)
