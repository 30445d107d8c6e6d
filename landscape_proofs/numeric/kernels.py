"""Loss kernels for the numeric layer: float64 (batched) and mpmath (one point).

A *loss kernel* evaluates a loss ``l(E)`` of a matrix argument ``E`` (the residual
``W_H ... W_1 X - Y``, or the product ``W_H ... W_1`` for a product loss) together with
its first two derivatives.  The numeric evaluators in :mod:`.float64` and :mod:`.mp` take
any object with these three methods (duck typing); the kernels of the built-in losses are handed out by the losses
themselves (``Loss.float64_kernel``, ``Loss.mp_kernel``, code in
``losses/numeric_kernels.py``) and re-exported here:

* float64 kernels work on a batch ``E`` of shape ``(B, m, n)``:
  ``value(E) -> (B,)``, ``gradient(E) -> (B, m, n)``,
  ``hessian(E) -> (B, m*n, m*n)`` (row-major vec: entry (i, j) is index ``i*n + j``).
  A *separable* kernel (``l(E) = sum_ij phi(E_ij)``) may also offer
  ``hessian_diagonal(E) -> (B, m*n)``, which the evaluators then use instead of the
  full ``(m*n) x (m*n)`` matrix.
* mpmath kernels work on one ``ctx.matrix`` ``E`` (m x n) of an mpmath context ``ctx``:
  ``value(E) -> ctx.mpf``, ``gradient(E) -> ctx.matrix (m x n)``,
  ``hessian(E) -> ctx.matrix (m*n x m*n)``.  They never touch the global ``mpmath.mp``.

Built-in kernels: square (``1/2 sum E_ij^2``), l1 (``sum |E_ij|``), power
(``1/p sum E_ij^p``, p even).  :class:`EntryFunctionKernel` and
:class:`MpEntryFunctionKernel` wrap scalar callables of finitely many entries (what a
custom loss compiles to: the custom loss lambdifies its SymPy derivatives).

The l1 "gradient" returned here is ``sign(E)`` with ``sign(0) = 0``: one subgradient,
chosen for convenience.  At a kink it is a *hint* for producers (descent, guessing), never
a derivative; claims about kinks are decided by the exact layer.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.numeric_kernels import (  # noqa: F401  (re-exported)
    EntryFunctionKernel, L1Kernel, MpEntryFunctionKernel, MpL1Kernel, MpPowerKernel,
    MpSquareKernel, PowerKernel, SquareKernel)


# --------------------------------------------------------------------------------------
# protocols
# --------------------------------------------------------------------------------------
@runtime_checkable
class Float64LossKernel(Protocol):
    """A loss of a batch of matrices ``E`` of shape (B, m, n), in float64."""

    def value(self, E: np.ndarray) -> np.ndarray: ...          # (B,)

    def gradient(self, E: np.ndarray) -> np.ndarray: ...       # (B, m, n)

    def hessian(self, E: np.ndarray) -> np.ndarray: ...        # (B, m*n, m*n)


@runtime_checkable
class MpLossKernel(Protocol):
    """A loss of one mpmath matrix ``E`` (m x n), in the kernel's own context."""

    def value(self, E) -> Any: ...

    def gradient(self, E) -> Any: ...

    def hessian(self, E) -> Any: ...


def _check_kernel(obj: object, what: str) -> None:
    missing = [name for name in ("value", "gradient", "hessian")
               if not callable(getattr(obj, name, None))]
    if missing:
        raise TypeError(f"expected a {what} loss kernel (an object with value, gradient and "
                        f"hessian methods) or a built-in name 'square', 'l1', 'power p'; "
                        f"got {obj!r}, which lacks {', '.join(missing)}")


def _from_name(spec: object):
    """The loss a short name denotes ("square", "l1", "power 4", ("power", 4), ...), or None
    for anything that is not a name (a kernel object)."""
    if isinstance(spec, str) or (isinstance(spec, tuple) and len(spec) == 2):
        from landscape_proofs.losses.registry import loss_from_name
        try:
            return loss_from_name(spec)
        except InputError as exc:  # e.g. an odd power
            raise ValueError(f"loss kernel {spec!r}: {exc.expected}") from None
    return None


def resolve_float64_kernel(spec: object) -> Float64LossKernel:
    """A float64 kernel from a loss name (see ``losses.registry.loss_from_name``) or a kernel.

    ``spec`` is ``"square"``, ``"l1"``, ``"power 4"`` (or ``("power", 4)``), or any object
    with ``value``, ``gradient`` and ``hessian`` methods, returned unchanged.

    >>> resolve_float64_kernel("power 4")
    PowerKernel(p=4)
    """
    loss = _from_name(spec)
    if loss is None:
        _check_kernel(spec, "float64")
        return spec  # type: ignore[return-value]
    return loss.float64_kernel()


def resolve_mp_kernel(spec: object, ctx) -> MpLossKernel:
    """An mpmath kernel in context ``ctx`` from a loss name or a kernel object."""
    loss = _from_name(spec)
    if loss is None:
        _check_kernel(spec, "mpmath")
        return spec  # type: ignore[return-value]
    return loss.mp_kernel(ctx)


__all__: Sequence[str] = (
    "Float64LossKernel", "MpLossKernel", "resolve_float64_kernel", "resolve_mp_kernel",
    "SquareKernel", "L1Kernel", "PowerKernel", "EntryFunctionKernel",
    "MpSquareKernel", "MpL1Kernel", "MpPowerKernel", "MpEntryFunctionKernel",
)
