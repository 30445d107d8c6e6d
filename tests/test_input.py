"""Bad input is refused, precisely; good input is read exactly.

Every malformed problem or point file must raise :class:`InputError` (also a ``ValueError``)
whose message names the file, the field and what was expected.  Every number is read as the
rational it spells: ``0.1`` is 1/10 whether written as a JSON number or a string.
"""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import (MAX_DIGITS, digits_of_int, format_exact, int_from_digits,
                                            parse_exact)
from landscape_proofs.families.io import load_point, load_problem, loads_exact, problem_from_dict

# widths [2, 3, 1]: X is 2 x 3 (n = 3 samples), Y is 1 x 3, W_1 is 3 x 2, W_2 is 1 x 3.
BASE = {
    "family": "deep-linear",
    "widths": [2, 3, 1],
    "X": [[1, 0, 2], [0, 1, 1]],
    "Y": [[1, 2, 3]],
    "loss": "square",
}
POINT = {"weights": [[[1, 0], [0, 1], [1, 1]], [[1, 2, 3]]]}


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def refused(excinfo, path, field, *expected):
    """The error names the file, the field (when given) and what was expected."""
    err = excinfo.value
    msg = str(err)
    assert isinstance(err, ValueError)
    assert path in msg, msg
    assert err.source == path
    if field is not None:
        assert err.field == field, msg
        assert f"field {field}:" in msg
    for text in expected:
        assert text in msg, msg
    assert "\n" not in msg


def with_(**changes):
    """BASE with fields replaced (a value of ... deletes the field)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# --- problem files: (JSON object, field, fragments the message must contain) ----------------
BAD_PROBLEMS = {
    "missing family": (with_(family=...), "family", "missing", "deep-linear"),
    "unknown family": (with_(family="shallow"), "family", "expected one of deep-linear"),
    "family not a string": (with_(family=["deep-linear"]), "family", "expected one of"),
    "missing widths": (with_(widths=...), "widths", "missing"),
    "missing loss": (with_(loss=...), "loss", "missing"),
    "missing Y": (with_(Y=...), "Y", "missing", "1 x 3"),
    "unknown top-level field": (with_(widht=[1, 1]), "widht", "unknown field", "widths"),
    "name not a string": (with_(name=[1]), "name", "expected a string"),
    # widths
    "zero width": (with_(widths=[2, 0, 1]), "widths[1]", "integer >= 1", "got 0"),
    "negative width": (with_(widths=[2, -3, 1]), "widths[1]", "integer >= 1", "got -3"),
    "decimal width": (with_(widths=[2, 1.5, 1]), "widths[1]", "integer >= 1"),
    "integral decimal width": (with_(widths=[2, 3.0, 1]), "widths[1]", "integer >= 1"),
    "boolean width": (with_(widths=[2, True, 1]), "widths[1]", "integer >= 1", "True"),
    "string width": (with_(widths=[2, "3", 1]), "widths[1]", "integer >= 1"),
    "list width": (with_(widths=[2, [3], 1]), "widths[1]", "integer >= 1"),
    "single width (H = 0)": (with_(widths=[2]), "widths", "at least 2 widths", "H >= 1"),
    "empty widths": (with_(widths=[]), "widths", "at least 2 widths"),
    "widths not a list": (with_(widths="2,3,1"), "widths", "a list"),
    "huge width": (with_(widths=[2, 10 ** 6, 1]), "widths[1]", "at most"),
    # shapes
    "ragged X": (with_(X=[[1, 0, 2], [0, 1]]), "X[1]", "row of 3 numbers"),
    "X too many rows": (with_(X=[[1, 0, 2], [0, 1, 1], [1, 1, 1]]), "X", "expected 2 rows"),
    "X too few rows": (with_(X=[[1, 0, 2]]), "X", "expected 2 rows"),
    "Y too many rows": (with_(Y=[[1, 2, 3], [4, 5, 6]]), "Y", "expected 1 rows"),
    "Y too few columns": (with_(Y=[[1, 2]]), "Y[0]", "row of 3 numbers"),
    "Y too many columns": (with_(Y=[[1, 2, 3, 4]]), "Y[0]", "row of 3 numbers"),
    "X identity implied, Y wrong columns": (with_(X=..., Y=[[1, 2, 3]]), "Y[0]", "row of 2 numbers"),
    "X empty": (with_(X=[]), "X", "non-empty list of rows"),
    "X empty row": (with_(X=[[], []]), "X[0]", "non-empty row"),
    "X row not a list": (with_(X=[1, 2]), "X[0]", "list of numbers"),
    "Y a number": (with_(Y=3), "Y", "list of rows"),
    # numbers
    "abc": (with_(X=[[1, 0, "abc"], [0, 1, 1]]), "X[0][2]", "expected a number", "'abc'"),
    "1/0": (with_(X=[[1, 0, "1/0"], [0, 1, 1]]), "X[0][2]", "nonzero denominator"),
    "negative denominator": (with_(X=[[1, 0, "1/-2"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "hex": (with_(X=[[1, 0, "0x10"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "underscore digits": (with_(X=[[1, 0, "1_000"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "string nan": (with_(X=[[1, 0, "nan"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "string Infinity": (with_(X=[[1, 0, "Infinity"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "empty string": (with_(X=[[1, 0, ""], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "arabic-indic digits": (with_(X=[[1, 0, "\u0661/\u0662"], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "nested list": (with_(X=[[1, 0, [2]], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "object": (with_(X=[[1, 0, {"p": 1}], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "null": (with_(X=[[1, 0, None], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "boolean": (with_(X=[[1, 0, True], [0, 1, 1]]), "X[0][2]", "expected a number"),
    "huge exponent": (with_(Y=[[1, 2, "1e999999999"]]), "Y[0][2]", "exponent"),
    # losses
    "unknown loss name": (with_(loss="cube"), "loss", "square, l1, power, custom"),
    "unknown loss object name": (with_(loss={"name": "cube"}), "loss.name", "square, l1, power, custom"),
    "loss name a list": (with_(loss={"name": ["square"]}), "loss.name", "square, l1, power, custom"),
    "loss name an object": (with_(loss={"name": {"a": 1}}), "loss.name", "square, l1, power, custom"),
    "loss a number": (with_(loss=2), "loss", '"square", "l1" or an object'),
    "unknown loss key": (with_(loss={"name": "power", "p": 4, "q": 2}), "loss.q", "unknown key"),
    "power without p": (with_(loss={"name": "power"}), "loss.p", "missing", "even integer"),
    "power p odd": (with_(loss={"name": "power", "p": 3}), "loss.p", "even integer >= 2", "got 3"),
    "power p = 1": (with_(loss={"name": "power", "p": 1}), "loss.p", "even integer >= 2"),
    "power p = 0": (with_(loss={"name": "power", "p": 0}), "loss.p", "even integer >= 2"),
    "power p negative": (with_(loss={"name": "power", "p": -2}), "loss.p", "even integer >= 2"),
    "power p a decimal": (with_(loss={"name": "power", "p": 4.0}), "loss.p", "even integer >= 2"),
    "power p a string": (with_(loss={"name": "power", "p": "4"}), "loss.p", "even integer >= 2"),
    "power p boolean": (with_(loss={"name": "power", "p": True}), "loss.p", "even integer >= 2"),
    "power p too large": (with_(loss={"name": "power", "p": 66}), "loss.p", "<= 64"),
    "custom without expression": (with_(loss={"name": "custom", "over": "residual"}),
                                  "loss.expression", "missing"),
    "custom expression not a string": (with_(loss={"name": "custom", "expression": 3}),
                                       "loss.expression", "string"),
    "custom bad over": (with_(loss={"name": "custom", "expression": "r_0_0**2", "over": "both"}),
                        "loss.over", '"residual" or "product"'),
    "custom over null": (with_(loss={"name": "custom", "expression": "r_0_0**2", "over": None}),
                         "loss.over", '"residual" or "product"'),
    "custom convex a string": (with_(loss={"name": "custom", "expression": "r_0_0**2",
                                           "convex": "yes"}), "loss.convex", "true, false or null"),
    "custom convex a number": (with_(loss={"name": "custom", "expression": "r_0_0**2",
                                           "convex": 1}), "loss.convex", "true, false or null"),
    "custom differentiable a string": (with_(loss={"name": "custom", "expression": "r_0_0**2",
                                                   "differentiable": "no"}),
                                       "loss.differentiable", "true, false or null"),
    # the residual is 1 x 3: r_1_0 and r_0_3 are outside it
    "custom row out of range": (with_(loss={"name": "custom", "expression": "r_1_0**2"}),
                                "loss.expression", "0 <= i < 1", "r_1_0"),
    "custom column out of range": (with_(loss={"name": "custom", "expression": "r_0_3**2"}),
                                   "loss.expression", "0 <= j < 3", "r_0_3"),
    # the product W_2 W_1 is 1 x 2: R_0_2 is outside it
    "custom product out of range": (with_(loss={"name": "custom", "expression": "R_0_2**2",
                                                "over": "product"}),
                                    "loss.expression", "0 <= j < 2", "R_0_2"),
    "custom mixes r and R": (with_(loss={"name": "custom", "expression": "r_0_0**2 + R_0_0**2"}),
                             "loss.expression", "cannot mix"),
    "custom R over residual": (with_(loss={"name": "custom", "expression": "R_0_0**2"}),
                               "loss.expression", "r_i_j"),
    "custom r over product": (with_(loss={"name": "custom", "expression": "r_0_0**2",
                                          "over": "product"}), "loss.expression", "R_i_j"),
    "custom unsafe expression": (with_(loss={"name": "custom",
                                             "expression": "__import__('os').system('true')"}),
                                 "loss.expression", "unsupported function call"),
    # weight decay
    "negative weight decay": (with_(weight_decay="-1/2"), "weight_decay", ">= 0"),
    "negative integer weight decay": (with_(weight_decay=-1), "weight_decay", ">= 0"),
    "weight decay text": (with_(weight_decay="abc"), "weight_decay", "expected a number"),
    "weight decay null": (with_(weight_decay=None), "weight_decay", "expected a number"),
    "weight decay boolean": (with_(weight_decay=False), "weight_decay", "expected a number"),
}


@pytest.mark.parametrize("data,field,expected", [(d, f, e) for d, f, *e in BAD_PROBLEMS.values()],
                         ids=list(BAD_PROBLEMS))
def test_bad_problem_file_is_refused_naming_file_and_field(tmp_path, data, field, expected):
    path = write(tmp_path, "problem.json", data)
    with pytest.raises(InputError) as excinfo:
        load_problem(path)
    refused(excinfo, path, field, *expected)


# --- problem files that are not the right JSON at all --------------------------------------
BAD_TEXTS = {
    "not JSON": ("{", None, "expected valid JSON", "line 1"),
    "empty file": ("", None, "expected valid JSON"),
    "trailing garbage": (json.dumps(BASE) + " x", None, "expected valid JSON"),
    "JSON array": ("[1, 2]", None, "expected a JSON object"),
    "JSON string": ('"deep-linear"', None, "expected a JSON object"),
    "JSON null": ("null", None, "expected a JSON object"),
    "NaN literal": (json.dumps(BASE).replace('"X": [[1, 0, 2]', '"X": [[1, 0, NaN]'),
                    "X[0][2]", "finite number", "NaN"),
    "Infinity literal": (json.dumps(BASE).replace('"Y": [[1, 2, 3]', '"Y": [[1, Infinity, 3]'),
                         "Y[0][1]", "finite number", "Infinity"),
    "-Infinity literal": (json.dumps(BASE).replace('"X": [[1, 0, 2]', '"X": [[-Infinity, 0, 2]'),
                          "X[0][0]", "finite number", "-Infinity"),
    # refused wherever it stands, even in a field that is otherwise free text
    "NaN in a label": (json.dumps(with_(description="ok")).replace('"ok"', "NaN"),
                       "description", "finite number"),
    "over-long integer": (json.dumps(BASE).replace('"Y": [[1, 2, 3]',
                                                   '"Y": [[1, 2, ' + "9" * (MAX_DIGITS + 1) + "]"),
                          "Y[0][2]", f"at most {MAX_DIGITS} digits"),
}


@pytest.mark.parametrize("text,field,expected", [(t, f, e) for t, f, *e in BAD_TEXTS.values()],
                         ids=list(BAD_TEXTS))
def test_bad_json_text_is_refused_naming_the_file(tmp_path, text, field, expected):
    path = write(tmp_path, "problem.json", text)
    with pytest.raises(InputError) as excinfo:
        load_problem(path)
    refused(excinfo, path, field, *expected)


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(InputError, match="file not found") as excinfo:
        load_problem(str(tmp_path / "nope.json"))
    assert str(tmp_path / "nope.json") in str(excinfo.value)
    with pytest.raises(InputError, match="directory"):
        load_problem(str(tmp_path))


def test_invalid_utf8_is_refused(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'{"family": "deep-linear\xff"}')
    with pytest.raises(InputError) as excinfo:
        load_problem(str(path))
    refused(excinfo, str(path), None, "cannot read")


# --- point files ------------------------------------------------------------------------------
BAD_POINTS = {
    "one layer too few": ({"weights": [[[1, 0], [0, 1], [1, 1]]]}, "weights",
                          "expected 2 weight matrices", "1 matrices"),
    "one layer too many": ({"weights": POINT["weights"] + [[[1]]]}, "weights",
                           "expected 2 weight matrices", "3 matrices"),
    "no layers": ({"weights": []}, "weights", "expected 2 weight matrices"),
    "weights not a list": ({"weights": "W"}, "weights", "list of 2 weight matrices"),
    "missing weights": ({"weight": POINT["weights"]}, "weights", "missing"),
    "W_1 too few rows": ({"weights": [[[1, 0], [0, 1]], [[1, 2, 3]]]}, "weights[0]",
                         "expected 3 rows (3 x 2)"),
    "W_1 too many columns": ({"weights": [[[1, 0, 0], [0, 1, 0], [1, 1, 0]], [[1, 2, 3]]]},
                             "weights[0][0]", "row of 2 numbers"),
    "W_2 too few columns": ({"weights": [[[1, 0], [0, 1], [1, 1]], [[1, 2]]]}, "weights[1][0]",
                            "row of 3 numbers"),
    "W_2 too many rows": ({"weights": [[[1, 0], [0, 1], [1, 1]], [[1, 2, 3], [4, 5, 6]]]},
                          "weights[1]", "expected 1 rows"),
    "W_2 ragged": ({"weights": [[[1, 0], [0, 1, 5], [1, 1]], [[1, 2, 3]]]}, "weights[0][1]",
                   "row of 2 numbers"),
    "W_2 a number": ({"weights": [[[1, 0], [0, 1], [1, 1]], 7]}, "weights[1]", "list of rows"),
    "entry text": ({"weights": [[[1, 0], [0, "x"], [1, 1]], [[1, 2, 3]]]}, "weights[0][1][1]",
                   "expected a number"),
    "entry nested": ({"weights": [[[1, 0], [0, 1], [1, 1]], [[1, [2], 3]]]}, "weights[1][0][1]",
                     "expected a number"),
    "array instead of object": (POINT["weights"], None, "expected a JSON object"),
}


@pytest.mark.parametrize("data,field,expected", [(d, f, e) for d, f, *e in BAD_POINTS.values()],
                         ids=list(BAD_POINTS))
def test_bad_point_file_is_refused_naming_file_and_field(tmp_path, data, field, expected):
    problem = load_problem(write(tmp_path, "problem.json", BASE))
    path = write(tmp_path, "point.json", data)
    with pytest.raises(InputError) as excinfo:
        load_point(path, problem)
    refused(excinfo, path, field, *expected)


def test_nan_in_point_file_names_the_entry(tmp_path):
    problem = load_problem(write(tmp_path, "problem.json", BASE))
    text = '{"weights": [[[1, 0], [0, 1], [1, 1]], [[1, NaN, 3]]]}'
    path = write(tmp_path, "point.json", text)
    with pytest.raises(InputError) as excinfo:
        load_point(path, problem)
    refused(excinfo, path, "weights[1][0][1]", "finite number")


# --- exact reading --------------------------------------------------------------------------
def test_decimals_are_read_as_the_decimal_they_spell(tmp_path):
    # JSON number 0.1, string "0.1", "1e-3", "3/6": exactly 1/10, 1/10, 1/1000, 1/2;
    # never the binary float nearest to 0.1 (which is 3602879701896397/36028797018963968).
    text = ('{"family": "deep-linear", "widths": [1, 1, 1], "X": [[1, 1, 1, 1, 1, 1]], '
            '"Y": [[0.1, "0.1", "1e-3", "3/6", -2.50, " 7/14 "]], "loss": "square", '
            '"weight_decay": 1E-2}')
    problem = load_problem(write(tmp_path, "p.json", text))
    assert problem.Y == ((Fraction(1, 10), Fraction(1, 10), Fraction(1, 1000), Fraction(1, 2),
                          Fraction(-5, 2), Fraction(1, 2)),)
    assert problem.Y[0][0] != Fraction(0.1)
    assert problem.weight_decay == Fraction(1, 100)


def test_a_python_float_is_never_silently_made_exact():
    with pytest.raises(InputError, match="binary float"):
        parse_exact(0.1, "x")
    with pytest.raises(InputError, match="finite"):
        parse_exact(Decimal("NaN"), "x")


def test_numbers_beyond_pythons_4300_digit_limit_are_read_and_written(tmp_path):
    # Python refuses int <-> str beyond 4300 digits; exact reading must not.
    big = 10 ** 5000 + 7
    digits = "1" + "0" * 4999 + "7"
    assert int_from_digits(digits) == big and digits_of_int(big) == digits
    text = (f'{{"family": "deep-linear", "widths": [1, 1, 1], "Y": [[{digits}]], '
            f'"loss": "square", "weight_decay": "1/{digits}"}}')
    problem = load_problem(write(tmp_path, "p.json", text))
    assert problem.Y == ((Fraction(big),),)
    assert problem.weight_decay == Fraction(1, big)
    # ... and written back in a form that json.dumps accepts and parse_exact reads
    for q in (Fraction(big), Fraction(-big), Fraction(3, big), Fraction(big, 3),
              Fraction(10 ** 6000 + 1, 3 ** 9000)):
        assert parse_exact(loads_exact(json.dumps(format_exact(q)))) == q


def test_too_many_digits_are_refused():
    with pytest.raises(InputError, match="digits"):
        parse_exact("1/" + "3" * (MAX_DIGITS + 1), "x")
    with pytest.raises(InputError, match="digits"):
        parse_exact("3" * (MAX_DIGITS + 1) + ".5", "x")


@given(st.fractions())
@example(Fraction(0))
@example(Fraction(-1, 3))
def test_format_then_parse_is_the_identity_on_fractions(q):
    written = format_exact(q)
    assert parse_exact(written) == q
    # also through JSON text, as in every file the project writes
    assert parse_exact(loads_exact(json.dumps({"x": written}))["x"]) == q


@given(sign=st.sampled_from(["", "-", "+"]), whole=st.text("0123456789", min_size=1, max_size=30),
       frac=st.text("0123456789", max_size=30), exponent=st.integers(-400, 400))
@example(sign="", whole="0", frac="1", exponent=0)
def test_decimal_text_is_read_as_the_exact_decimal(sign, whole, frac, exponent):
    # sign whole.frac e exponent  ==  (+/-) int(whole frac) * 10^(exponent - len(frac))
    digits = int(whole + frac)
    value = Fraction(-digits if sign == "-" else digits) * Fraction(10) ** (exponent - len(frac))
    positional = f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"
    assert parse_exact(positional) == value * Fraction(10) ** (-exponent)
    assert parse_exact(f"{positional}e{exponent}") == value
    assert parse_exact(f"{positional}E{exponent:+d}") == value
    # the same text as a JSON number (where JSON allows it: no "+", no leading zeros)
    if sign != "+" and (whole == "0" or not whole.startswith("0")):
        assert parse_exact(loads_exact(f"{positional}e{exponent}")) == value


@given(st.integers(), st.integers(min_value=1))
def test_ratio_strings_are_read_in_lowest_terms(p, q):
    assert parse_exact(f"{p}/{q}") == Fraction(p, q)
    assert parse_exact(f" {p} / {q} ") == Fraction(p, q)


def test_good_problem_round_trips_through_its_dict_form(tmp_path):
    from landscape_proofs.families.io import problem_to_dict

    data = with_(Y=[["1/3", 0.25, -2]], weight_decay="1/10",
                 loss={"name": "custom", "expression": "0.5*r_0_0**2 + r_0_2**4",
                       "over": "residual", "convex": True, "differentiable": None})
    problem = problem_from_dict(loads_exact(json.dumps(data)))
    again = problem_from_dict(loads_exact(json.dumps(problem_to_dict(problem))))
    assert again == problem
    assert again.Y == ((Fraction(1, 3), Fraction(1, 4), Fraction(-2)),)
