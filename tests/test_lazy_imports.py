"""Start-up cost: ``import landscape_proofs``, ``landscape --help`` and ``landscape verify``
must not load the heavy libraries they do not use (each check runs in a fresh interpreter,
since this test process has imported everything already)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("flint", "sympy", "numpy", "scipy", "mpmath")
ROOT = Path(__file__).resolve().parent.parent


def loaded_after(code: str) -> list[str]:
    probe = (f"{code}\nimport sys\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_importing_the_package_loads_no_heavy_library():
    assert loaded_after("import landscape_proofs") == []


def test_help_loads_no_heavy_library():
    code = ("import contextlib, io\nfrom landscape_proofs.cli.main import build_parser\n"
            "text = build_parser().format_help()\nassert 'verify' in text and 'classify' in text")
    assert loaded_after(code) == []


def test_the_kernel_names_are_still_there_and_load_on_first_use():
    code = ("import landscape_proofs.kernel as k\nimport sys\n"
            "assert 'landscape_proofs.kernel.checker' not in sys.modules\n"
            "from landscape_proofs.kernel import check_certificate, CheckResult\n"
            "assert check_certificate.__module__ == 'landscape_proofs.kernel.checker'\n"
            "assert CheckResult.__name__ == 'CheckResult'\n"
            "try:\n    k.no_such_name\nexcept AttributeError:\n    pass\n"
            "else:\n    raise SystemExit('an unknown name resolved')")
    assert "flint" in loaded_after(code)     # the checker came in, with python-flint


def test_verify_loads_no_numeric_library():
    cert = sorted((ROOT / "counterexamples").glob("*.json"))[0]
    code = ("from landscape_proofs.cli.main import main\n"
            f"assert main(['verify', {str(cert)!r}]) == 0")
    got = loaded_after(code)
    # the kernel needs python-flint only: no SymPy (the strict JSON reader of families/io.py
    # loads no family or loss), no NumPy, SciPy or mpmath
    assert got == ["flint"]


def test_the_io_module_still_re_exports_the_registry_names():
    code = ("import landscape_proofs.families.io as io, sys\n"
            "assert 'landscape_proofs.families.registry' not in sys.modules\n"
            "assert io.problem_from_dict.__module__ == 'landscape_proofs.families.registry'\n"
            "assert 'deep-linear' in io.FAMILIES\n"
            "try:\n    io.no_such_name\nexcept AttributeError:\n    pass\n"
            "else:\n    raise SystemExit('an unknown name resolved')")
    assert "sympy" in loaded_after(code)      # the registry came in, with the losses
