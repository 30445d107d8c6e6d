"""Starting points of a multi-start search: Gaussian at several scales, small balanced.

Every start is drawn from one ``numpy.random.Generator`` seeded by the caller, in a fixed
order, so the same seed gives the same starts on every machine.  A start plan is a cycle
of *start kinds*: start ``i`` uses ``plan[i % len(plan)]``, so every prefix of the starts
mixes the kinds.

Scales are relative to a *natural scale* of the problem: ``nu = rho^(1/H)`` where ``rho``
is the spectral norm of the least-squares product ``Y X^+`` (1 for a loss of the product,
which names no target), so that a product of H layers of size ``nu`` has the size of the
target.  A Gaussian start of scale ``s`` has entries ``N(0, (s nu)^2 / d_{k-1})`` in
``W_k`` (Glorot-like fan-in scaling).  A *small balanced* start (Arora, Cohen, Golowich &
Hu 2019) is ``W_H = U S^(1/H) Q_{H-1}^T``, ``W_k = Q_k S^(1/H) Q_{k-1}^T``,
``W_1 = Q_1 S^(1/H) V^T`` for a small random product ``U S V^T`` of rank
``r = min(widths)`` and random matrices ``Q_k`` with orthonormal columns: it satisfies
``W_{k+1}^T W_{k+1} = W_k W_k^T`` exactly (up to rounding).

Other families (:mod:`.families`): a multi-tower network draws each tower as above, tower 1
first, with its own ``nu_t = rho^(1/H_t)``; a symmetric factorization ``U U^T`` has
``nu = rho^(1/2)``, Gaussian entries ``N(0, (s nu)^2 / k)`` and a small start
``U = Q_n S Q_k^T`` (orthonormal ``Q``, ``S`` of size ``s nu``).

Producer code: starts are floats and prove nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.search.families import chains, target_norm


class StartKind(str, Enum):
    GAUSSIAN = "gaussian"
    SMALL_BALANCED = "small-balanced"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class StartSpec:
    """One entry of a start plan: a kind and a scale (relative to the natural scale)."""

    kind: StartKind
    scale: float

    def __post_init__(self):
        object.__setattr__(self, "kind", StartKind(self.kind))
        if not (isinstance(self.scale, (int, float)) and np.isfinite(self.scale) and self.scale > 0):
            raise InputError("expected a finite number > 0", field="start scale", got=self.scale)

    @property
    def label(self) -> str:
        return f"{self.kind.value}@{self.scale:g}"


DEFAULT_PLAN = (
    StartSpec(StartKind.GAUSSIAN, 0.5),
    StartSpec(StartKind.GAUSSIAN, 1.0),
    StartSpec(StartKind.GAUSSIAN, 2.0),
    StartSpec(StartKind.GAUSSIAN, 1.0),
    StartSpec(StartKind.SMALL_BALANCED, 0.01),
)


def natural_scale(problem, factors: int | None = None) -> float:
    """``nu = rho^(1/H)``, rho the spectral norm of the least-squares product (>= 1e-3).

    ``factors`` is ``H`` (by default the largest number of factors of a chain of the problem:
    ``H`` for deep-linear, ``max_t H_t`` for multi-tower, 2 for ``U U^T``).
    """
    H = factors if factors is not None else max(c.factors for c in chains(problem))
    if problem.loss.over_product or problem.Y is None:
        return 1.0
    return max(target_norm(problem), 1e-3) ** (1.0 / H)


def _orthonormal_columns(rng: np.random.Generator, d: int, r: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((d, r)))
    return Q * np.sign(np.where(np.diag(R) == 0, 1.0, np.diag(R)))


def _gaussian(rng, shapes, s):
    return [rng.standard_normal((r, c)) * (s / np.sqrt(c)) for r, c in shapes]


def _balanced(rng, widths, s):
    H = len(widths) - 1
    r = min(widths)
    d0, dH = widths[0], widths[-1]
    U = _orthonormal_columns(rng, dH, r)
    V = _orthonormal_columns(rng, d0, r)
    sig = np.sort(np.abs(rng.standard_normal(r)))[::-1] + 0.5    # well separated from 0
    sig = sig / sig[0] * s ** H                                   # product of size s^H
    root = np.diag(sig ** (1.0 / H))
    Qs = [V] + [_orthonormal_columns(rng, widths[k], r) for k in range(1, H)] + [U]
    # W_k = Q_k S^(1/H) Q_{k-1}^T with Q_0 = V, Q_H = U
    return [Qs[k + 1] @ root @ Qs[k].T for k in range(H)]


def draw_starts(problem, n: int, seed: int, plan=DEFAULT_PLAN) -> tuple[list[np.ndarray], tuple]:
    """``n`` starts as H arrays of shape (n, d_k, d_{k-1}), and the spec of each start.

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[4]],
    ...                        "loss": "square"})
    >>> Ws, specs = draw_starts(p, 5, seed=0)
    >>> [W.shape for W in Ws], specs[4].kind.value
    ([(5, 1, 1), (5, 1, 1)], 'small-balanced')
    """
    parts = list(iter_starts(problem, n, seed, plan, n))
    return parts[0][1], tuple(plan[i % len(plan)] for i in range(n))


def iter_starts(problem, n: int, seed: int, plan=DEFAULT_PLAN, chunk: int = 1):
    """The starts of :func:`draw_starts`, drawn lazily: ``(lo, Ws)`` with the starts ``lo`` to
    ``lo + chunk`` (fewer at the end), the same numbers as one call would draw (one generator,
    start after start), so a search under ``--timeout`` draws only what it descends.

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [2, 2, 2], "Y": [[1, 0], [0, 1]],
    ...                        "loss": "square"})
    >>> whole = draw_starts(p, 5, seed=3)[0]
    >>> lazy = [Ws for _, Ws in iter_starts(p, 5, seed=3, chunk=2)]
    >>> all((np.concatenate([Ws[k] for Ws in lazy]) == whole[k]).all() for k in range(2))
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError("expected an integer >= 1", field="starts", got=n)
    if not plan:
        raise InputError("expected at least one start kind", field="plan", got=plan)
    rng = np.random.default_rng(seed)
    parts = [(c, natural_scale(problem, c.factors)) for c in chains(problem)]
    shapes = problem.shapes
    for lo in range(0, n, chunk):
        out = [np.empty((min(chunk, n - lo), r, c)) for r, c in shapes]
        for i in range(lo, min(lo + chunk, n)):
            spec = plan[i % len(plan)]
            for chain, nu in parts:   # one chain (tower) after the other, in parameter order
                if spec.kind is StartKind.GAUSSIAN:
                    Ws = _gaussian(rng, [shapes[k] for k in chain.layers], spec.scale * nu)
                else:
                    Ws = _balanced(rng, chain.widths, spec.scale * nu)
                for k, W in zip(chain.layers, Ws):
                    out[k][i - lo] = W
        yield lo, out
