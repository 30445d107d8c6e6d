"""The command line for people: --version, the usage without arguments, the examples in every
``--help``, huge numbers abbreviated in human output (``--full`` prints them whole; JSON is
always exact)."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from landscape_proofs.cli.main import COMMANDS, build_parser
from landscape_proofs.cli.output import MAX_NUMBER_CHARS, abbreviate, number_text
from landscape_proofs.families.io import loads_exact

TIMEOUT = 120
AB_BIG = ('{"family": "deep-linear", "widths": [1, 1, 1], "Y": [[%s]], "loss": "square"}'
          % ("9" * 100))
ORIGIN = {"weights": [[[0]], [[0]]]}


def landscape(*args, cwd):
    return subprocess.run([sys.executable, "-m", "landscape_proofs", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)


def test_version(tmp_path):
    import landscape_proofs

    proc = landscape("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"landscape-proofs {landscape_proofs.__version__}"


def test_no_arguments_prints_the_usage_and_one_clean_error_line(tmp_path):
    proc = landscape(cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("usage: landscape")
    assert lines[-1].startswith("landscape: error: the following arguments are required: COMMAND")
    assert sum(line.startswith("landscape: error:") for line in lines) == 1
    assert "error:\n" not in proc.stderr and "Traceback" not in proc.stderr


def _subcommands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices


def test_every_subcommand_help_ends_with_examples():
    choices = _subcommands()
    assert len(choices) >= len(COMMANDS)
    for name, parser in choices.items():
        text = parser.format_help()
        assert "examples:" in text, name
        tail = text[text.index("examples:"):]
        assert tail.count("landscape ") >= 2, (name, tail)


def test_help_of_classify_in_a_process(tmp_path):
    proc = landscape("classify", "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "examples:" in proc.stdout and "--full" in proc.stdout


# --- numbers -------------------------------------------------------------------------------
def test_short_numbers_are_printed_whole():
    assert number_text(Fraction(-3, 4)) == "-3/4"
    assert number_text(Fraction(10 ** 59)) == "1" + "0" * 59
    assert abbreviate("value 1/2, entry 3 is -7/9") == "value 1/2, entry 3 is -7/9"


def test_long_numbers_are_abbreviated_with_their_size_and_a_rounded_value():
    q = Fraction(10 ** 149 * 12345678, 7 * 10 ** 7)      # 150-digit numerator / 7
    text = number_text(q)
    assert len(text) < MAX_NUMBER_CHARS + 10
    assert text.startswith("~1.76367e+148 (exact value: ")
    assert "digits; --full prints it)" in text
    assert number_text(q, full=True) == f"{q.numerator}/{q.denominator}"
    assert number_text(Fraction((10 ** 100 - 1) ** 2, 2)).startswith("~5.00000e+199")
    assert number_text(-Fraction(1, 3 * 10 ** 70)).startswith("~-3.33333e-71")
    big = "9" * 5000
    assert abbreviate(f"v = {big}, w = 1/{big}.") == (
        "v = ~1.00000e+5000 (exact value: 5000/1 digits; --full prints it), "
        "w = ~1.00000e-5000 (exact value: 1/5000 digits; --full prints it).")
    assert abbreviate(f"v = {big}", full=True) == f"v = {big}"
    assert abbreviate("file_" + "1" * 80) == "file_" + "1" * 80   # not a number


def test_classify_and_verify_abbreviate_unless_full_and_json_is_exact(tmp_path):
    (tmp_path / "p.json").write_text(AB_BIG)
    (tmp_path / "o.json").write_text(json.dumps(ORIGIN))
    proc = landscape("classify", "p.json", "o.json", "--certificate", "c.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    exact = (10 ** 100 - 1) ** 2
    value_line = next(line for line in proc.stdout.splitlines() if line.startswith("value:"))
    assert value_line == "value:  ~5.00000e+199 (exact value: 200/1 digits; --full prints it)"
    assert str(exact) not in proc.stdout
    full = landscape("classify", "p.json", "o.json", "--full", cwd=tmp_path)
    assert f"value:  {exact}/2" in full.stdout
    js = landscape("classify", "p.json", "o.json", "--json", cwd=tmp_path)
    assert loads_exact(js.stdout)["value"] == f"{exact}/2"
    short = landscape("verify", "c.json", cwd=tmp_path)
    assert short.returncode == 0 and "--full prints it" in short.stdout
    long = landscape("verify", "c.json", "--full", cwd=tmp_path)
    assert str(2 * (10 ** 100 - 1)) in long.stdout and "--full prints it" not in long.stdout


@pytest.mark.parametrize("command", ["classify", "verify", "check", "search", "tour", "shallow",
                                     "hunt"])
def test_full_is_accepted(command):
    assert "--full" in _subcommands()[command].format_help()
