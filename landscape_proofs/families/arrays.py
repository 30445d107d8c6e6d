"""NumPy arrays and array files as exact input.

* ``exact_values(x)``: nested lists of exact numbers from NumPy arrays or scalars: integers
  as integers, float64 values as the rational they *are* (their exact binary value:
  ``0.1`` becomes 3602879701896397/36028797018963968, not 1/10), NaN and infinities refused;
* point files ``.npz`` with arrays ``W1`` .. ``WH`` (``weights[0]`` is ``W1``);
* in a problem file, ``X`` or ``Y`` may name a ``.npy`` file (read as above) or a ``.csv``
  file (comma-separated decimal text, read exactly as written: ``0.1`` is 1/10), relative to
  the problem file.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from landscape_proofs.kernel.errors import InputError

ARRAY_KEYS = ("X", "Y")


def is_array(x) -> bool:
    return type(x).__module__ == "numpy" and hasattr(x, "dtype")


def exact_values(x, field: str = "value"):
    """Nested lists of ints and Fractions from NumPy arrays/scalars (other values as given)."""
    if is_array(x) or type(x).__module__ == "numpy":
        import numpy as np

        a = np.asarray(x)
        if a.dtype.kind == "b":
            raise InputError("expected numbers, not booleans", field=field, got=str(a.dtype))
        if a.dtype.kind in "iu":
            return a.tolist()
        if a.dtype.kind == "f":
            flat = a.astype(np.float64)
            if not np.all(np.isfinite(flat)):
                raise InputError("expected finite numbers (no NaN or infinity)", field=field)
            return _fractions(flat.tolist())
        raise InputError("expected an integer or float array", field=field, got=str(a.dtype))
    if isinstance(x, (list, tuple)):
        return [exact_values(v, field) for v in x]
    return x


def _fractions(x):
    if isinstance(x, list):
        return [_fractions(v) for v in x]
    return Fraction(x)          # the exact binary value of the float


def read_npz_point(path) -> dict:
    """``{"weights": [W1, ..., WH]}`` from an ``.npz`` file (exact binary values)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            names = sorted((n for n in z.files if n.startswith("W") and n[1:].isdigit()),
                           key=lambda n: int(n[1:]))
            if not names or names != [f"W{k}" for k in range(1, len(names) + 1)]:
                raise InputError("expected arrays W1, W2, ..., WH", source=str(path),
                                 got=sorted(z.files))
            return {"weights": [exact_values(z[n], n) for n in names]}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the .npz file ({type(exc).__name__})", source=str(path)) from None


def resolve_array_fields(data, folder: Path):
    """Replace ``"X": "file.npy"`` / ``"Y": "file.csv"`` by the matrices they hold."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key in ARRAY_KEYS:
        name = out.get(key)
        if isinstance(name, str) and name.lower().endswith((".npy", ".csv")):
            out[key] = _read_matrix_file(folder / name, key)
    return out


def _read_matrix_file(path: Path, field: str):
    if not path.is_file():
        raise InputError("file not found", field=field, got=str(path))
    if path.suffix.lower() == ".npy":
        import numpy as np

        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the .npy file ({type(exc).__name__})", field=field,
                             got=str(path)) from None
        if a.ndim != 2:
            raise InputError("expected a 2-D array", field=field, got=f"{a.ndim}-D")
        return exact_values(a, field)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the .csv file ({type(exc).__name__})", field=field,
                         got=str(path)) from None
    rows = [[cell.strip() for cell in line.split(",")] for line in text.splitlines() if line.strip()]
    if not rows:
        raise InputError("expected at least one row", field=field, got=str(path))
    return rows                  # decimal text: read exactly by the problem reader


__all__ = ["exact_values", "is_array", "read_npz_point", "resolve_array_fields"]


def point_from_torch(model) -> dict:
    """``{"weights": [W1, ..., WH]}`` from a PyTorch ``nn.Sequential`` of bias-free ``nn.Linear``.

    ``nn.Linear(d_in, d_out)`` maps ``x -> W x`` with ``W`` of shape ``(d_out, d_in)``: the
    same orientation as ``W_i`` in ``W_H ... W_1 X``, so layer ``i`` of the sequence is ``W_i``.
    Each weight is read as the rational it *is* (float32 and float64 values are exact binary
    fractions), so the exported point is the network's point, not a rounding of it.
    Refused (one-line :class:`InputError`): anything but a sequence of linear layers, a layer
    with a bias, widths that do not chain, NaN or infinite weights.
    """
    layers = list(model) if hasattr(model, "__iter__") else [model]
    if not layers:
        raise InputError("expected at least one nn.Linear layer", field="model")
    weights, width = [], None
    for i, layer in enumerate(layers, start=1):
        name = type(layer).__name__
        weight = getattr(layer, "weight", None)
        if name != "Linear" or weight is None:
            raise InputError("expected only bias-free nn.Linear layers (a deep linear network)",
                             field=f"layer {i}", got=name)
        if getattr(layer, "bias", None) is not None:
            raise InputError("expected bias=False (the deep linear model has no biases)",
                             field=f"layer {i}")
        W = weight.detach().cpu().double().numpy()
        if width is not None and W.shape[1] != width:
            raise InputError(f"expected {width} inputs (the previous layer's outputs)",
                             field=f"layer {i}", got=W.shape[1])
        width = W.shape[0]
        weights.append(exact_values(W, f"layer {i}"))
    return {"weights": weights}


__all__ += ["point_from_torch"]
