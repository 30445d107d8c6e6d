"""The ``robust-regression`` problem format: Ma & Fattahi's robust regression as a file.

A problem file

    {"family": "robust-regression", "depth": N, "X": d x n, "y": [y_1, ..., y_n],
     "loss": "l1", "weight_decay": "0"}

fits the n measurements ``y_i`` (exact numbers, some of them possibly grossly corrupted) from
the d x n data ``X`` (one column per sample, the problem format's orientation) by the chain
``w_N ... w_2 w_1`` of N weight matrices with widths ``(d, 1, ..., 1)``: ``W_1 = theta^T`` is a
row, ``W_2, ..., W_N`` are scalars, and the end-to-end map is the linear model
``theta^T w_2 ... w_N`` (J. Ma and S. Fattahi, NeurIPS 2022 / arXiv:2207.07612; the
parameterization is our documented choice, docs/families.md).  The loss is required, as in
every family (the paper's is the l1 loss ``sum_i |w_N ... w_1 x_i - y_i|``); any loss of the
problem format may be given.

Like ``matrix-factorization`` this is a *reader* of the deep-linear family: loading returns the
:class:`~landscape_proofs.families.deep_linear.DeepLinearProblem` with widths ``(d, 1, ..., 1)``,
``X`` and ``Y = [y]``; evaluation, classification, search and certificates are the deep-linear
machinery, and a certificate records the deep-linear form.  The kernel reads this format itself
too (``kernel/model.py``), so a certificate may embed the problem as written here.

>>> p = robust_regression_from_dict({"family": "robust-regression", "depth": 2,
...                                  "X": [[1, 3]], "y": [1, 6], "loss": "l1"})
>>> p.widths, p.Y, p.loss.name
((1, 1, 1), ((Fraction(1, 1), Fraction(6, 1)),), 'l1')
"""
from __future__ import annotations

from landscape_proofs.families.base import MAX_DEPTH, MAX_WIDTH, exact_matrix, matrix_to_json
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.fields import check_top_level_fields
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import format_exact, parse_exact

FAMILY = "robust-regression"
PROBLEM_KEYS = {"family", "depth", "X", "y", "loss", "weight_decay", "name", "description"}
MAX_SAMPLES = 400          # size guard: exact work grows with n * d (as the generator's)


def robust_regression_from_dict(data: dict) -> DeepLinearProblem:
    """The deep-linear chain ``(d, 1, ..., 1)`` that a robust-regression file denotes."""
    from landscape_proofs.losses.registry import loss_from_json, loss_hint

    check_top_level_fields(data, PROBLEM_KEYS, FAMILY)
    depth = data.get("depth")
    if "depth" not in data:
        raise InputError("missing: expected the number N >= 1 of weight matrices", field="depth")
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"expected an integer N in [1, {MAX_DEPTH}] (weight matrices)",
                         field="depth", got=depth)
    if "X" not in data:
        raise InputError("missing: expected the d x n data (one column per sample)", field="X")
    X = exact_matrix(data["X"], "X")
    d, n = len(X), len(X[0])
    if d > MAX_WIDTH:
        raise InputError(f"expected at most {MAX_WIDTH} rows (the dimension d)", field="X",
                         got=f"{d} rows")
    if n > MAX_SAMPLES:
        raise InputError(f"expected at most {MAX_SAMPLES} samples (columns)", field="X",
                         got=f"{n} columns")
    y = data.get("y")
    if "y" not in data:
        raise InputError(f"missing: expected the list of {n} measurements", field="y")
    if not isinstance(y, (list, tuple)) or any(isinstance(v, (list, tuple)) for v in y):
        raise InputError(f"expected a list of {n} numbers (one per column of X)", field="y", got=y)
    if len(y) != n:
        raise InputError(f"expected a list of {n} numbers (one per column of X), got {len(y)}",
                         field="y", got=y, show_got=False)
    y_row = tuple(parse_exact(v, f"y[{j}]") for j, v in enumerate(y))
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    loss = loss_from_json(data["loss"])
    return DeepLinearProblem(widths=(d,) + (1,) * depth, X=X, Y=(y_row,), loss=loss,
                             weight_decay=data.get("weight_decay", 0))


def robust_regression_to_dict(X, y, depth: int, loss) -> dict:
    """The file of the problem fitting ``y`` from ``X`` with ``depth`` layers (exact numbers)."""
    return {"family": FAMILY, "depth": depth, "X": matrix_to_json(X),
            "y": [format_exact(v) for v in y],
            "loss": loss.to_json() if hasattr(loss, "to_json") else loss}
