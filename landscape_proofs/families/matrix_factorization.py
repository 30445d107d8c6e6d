"""Matrix factorization l(U V): a thin alias of the deep-linear family (docs/families.md).

A problem file

    {"family": "matrix-factorization", "shape": [m, n], "rank": k, "Y": m x n, "loss": ...,
     "weight_decay": "0"}

*is* the deep-linear problem with widths ``[n, k, m]``, ``X`` the identity (omitted) and the
same ``Y``, loss and weight decay: ``L(V, U) = loss(U V - Y)`` (or ``loss(U V)`` for a custom
loss over the product, where ``Y`` may be omitted).  Loading it returns that
:class:`DeepLinearProblem`; everything else (evaluation, derivatives, classification,
certificates, openness) is the deep-linear machinery, and a certificate records the
deep-linear form.  A point may be written ``{"U": m x k, "V": k x n}`` (it is the deep-linear
point ``{"weights": [V, U]}``, W_1 = V first).

The symmetric form l(U U^T) is its own family, ``symmetric-factorization``
(``problems/symmetric_factorization.py``, docs/families.md).
"""
from __future__ import annotations

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.families.deep_linear import DeepLinearProblem, point_from_factors  # noqa: F401

FAMILY = "matrix-factorization"
PROBLEM_KEYS = {"family", "shape", "rank", "Y", "loss", "weight_decay", "name", "description"}


def matrix_factorization_from_dict(data: dict) -> DeepLinearProblem:
    """The deep-linear problem (widths [n, k, m]) that a matrix-factorization file denotes.

    >>> p = matrix_factorization_from_dict({"family": "matrix-factorization", "shape": [2, 3],
    ...     "rank": 1, "Y": [[1, 0, 0], [0, 1, 0]], "loss": "square"})
    >>> p.widths, p.family
    ((3, 1, 2), 'deep-linear')
    """
    from landscape_proofs.losses.registry import loss_from_json, loss_hint

    if data.get("symmetric") is not None:
        raise InputError('the symmetric factorization l(U U^T) is the family '
                         '"symmetric-factorization" ({"family": "symmetric-factorization", '
                         '"shape": [n, k], ...}); omit the field for l(U V)', field="symmetric",
                         got=data["symmetric"])
    unknown = sorted(set(data) - PROBLEM_KEYS)
    if unknown:
        hint = (" (a loss of U V X is the deep-linear family with widths [d_0, k, m])"
                if unknown[0] == "X" else "")
        raise InputError(f"unknown field for the {FAMILY} family; allowed: "
                         f"{', '.join(sorted(PROBLEM_KEYS))}{hint}", field=unknown[0],
                         got=unknown[0], show_got=False)
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise InputError("expected a string (a label for people; it is not used)", field=key,
                             got=data[key])
    shape = data.get("shape")
    if not isinstance(shape, (list, tuple)) or len(shape) != 2:
        raise InputError("expected [m, n], the shape of U V", field="shape", got=shape)
    for i, d in enumerate(shape):
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InputError("expected an integer >= 1", field=f"shape[{i}]", got=d)
    k = data.get("rank")
    if "rank" not in data:
        raise InputError("missing: expected the inner dimension k (U is m x k, V is k x n)",
                         field="rank")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError("expected an integer >= 1 (the inner dimension k)", field="rank", got=k)
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    loss = loss_from_json(data["loss"])
    m, n = shape
    try:
        return DeepLinearProblem(widths=(n, k, m), X=None, Y=data.get("Y"), loss=loss,
                                 weight_decay=data.get("weight_decay", 0))
    except InputError as exc:
        if exc.field == "widths[1]":
            raise InputError(exc.expected, field="rank", got=exc.got) from None
        raise
