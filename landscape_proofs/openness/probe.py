"""Can a product map reach a target with a small move?  A float64 probe (never a proof).

The probe behind ``landscape openness``'s numeric cross-check.  A product map sends factors
to a matrix: the chain ``W_H ... W_1`` (``factors[0]`` is ``W_1``, the house convention), the
symmetric ``U U^T``, or the sum of several chains (the multi-tower map).  Given factors ``W``,
a target ``T`` and a move budget ``b``, it looks for factors ``W'`` with
``||W' - W||_F <= b`` (all factors together) and ``product(W') = T`` up to a tolerance.

Method: minimum-norm Gauss-Newton on the fiber.  At an iterate ``x`` with residual
``r = product(x) - T`` and Jacobian ``J``, the next iterate is the point of the linearised
fiber ``{y : r + J (y - x) = 0}`` closest to the start ``W``:

    x+ = W + J^+ ( J (x - W) - r ).

At a rank-deficient start (where the Jacobian is degenerate, e.g. at the origin of ``ab``)
the iteration is restarted from small random perturbations of ``W`` at several scales.
A target counts as *reached* when some run ends with a residual below ``tol`` (relative to
the target's distance from ``product(W)``) and within the budget.

This module imports only NumPy: it takes and returns arrays, knows nothing of problems,
and its answers are evidence for people, never a certificate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


def chain_product(factors: Sequence[np.ndarray]) -> np.ndarray:
    """``W_H ... W_1`` for ``factors = [W_1, ..., W_H]``."""
    P = factors[0]
    for W in factors[1:]:
        P = W @ P
    return P


def _chain_jacobian(factors: Sequence[np.ndarray]) -> np.ndarray:
    """d vec(W_H...W_1) / d (vec W_1, ..., vec W_H), row-major vec."""
    H = len(factors)
    m, n = factors[-1].shape[0], factors[0].shape[1]
    above = [None] * H   # A_k = W_H ... W_{k+1}
    below = [None] * H   # B_k = W_{k-1} ... W_1
    above[H - 1] = np.eye(m)
    for k in range(H - 2, -1, -1):
        above[k] = above[k + 1] @ factors[k + 1]
    below[0] = np.eye(n)
    for k in range(1, H):
        below[k] = factors[k - 1] @ below[k - 1]
    # d(A Z B) = (A kron B^T) vec(Z) for row-major vec
    return np.hstack([np.kron(above[k], below[k].T) for k in range(H)])


def _sym_jacobian(U: np.ndarray) -> np.ndarray:
    """d vec(U U^T) / d vec(U), row-major vec: dS = dU U^T + U dU^T."""
    m, k = U.shape
    J = np.zeros((m * m, m * k))
    for a in range(m):
        for b in range(k):
            E = np.zeros((m, k))
            E[a, b] = 1.0
            J[:, a * k + b] = (E @ U.T + U @ E.T).ravel()
    return J


@dataclass(frozen=True)
class ReachAttempt:
    """The best attempt at reaching one target.

    ``reached``: some run landed on the target (residual below the tolerance) with a move
    of norm at most ``budget``; ``move``: the smallest such move over the runs that landed
    (``inf`` when none landed at all, even outside the budget).
    """

    reached: bool
    move: float
    budget: float


class ProductMap:
    """A product map on flattened factors: ``"chain"`` (W_H...W_1), ``"symmetric"`` (U U^T) or
    ``"towers"`` (the sum of the chain products of consecutive groups of ``depths[t]``
    factors: tower 1 first, W_1 first within a tower)."""

    def __init__(self, factors: Sequence[np.ndarray], kind: str = "chain",
                 depths: Sequence[int] | None = None):
        if kind not in ("chain", "symmetric", "towers"):
            raise ValueError(f"kind: expected 'chain', 'symmetric' or 'towers', got {kind!r}")
        if kind == "symmetric" and len(factors) != 1:
            raise ValueError("the symmetric map takes one factor U")
        if kind == "towers":
            if not depths or sum(depths) != len(factors) or min(depths) < 1:
                raise ValueError(f"depths: expected tower depths summing to {len(factors)}, "
                                 f"got {depths}")
            self.depths = [int(h) for h in depths]
        else:
            self.depths = [len(factors)]
        self.kind = kind
        self.shapes = [np.asarray(W).shape for W in factors]
        self.sizes = [a * b for a, b in self.shapes]
        self.x0 = np.concatenate([np.asarray(W, dtype=np.float64).ravel() for W in factors])

    def unflatten(self, x: np.ndarray) -> list[np.ndarray]:
        out, off = [], 0
        for (a, b), s in zip(self.shapes, self.sizes):
            out.append(x[off:off + s].reshape(a, b))
            off += s
        return out

    def flatten(self, factors: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(F, dtype=np.float64).ravel() for F in factors])

    def towers(self, W: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """The factors grouped by tower (one group for a chain)."""
        out, k = [], 0
        for h in self.depths:
            out.append(list(W[k:k + h]))
            k += h
        return out

    def value(self, x: np.ndarray) -> np.ndarray:
        W = self.unflatten(x)
        if self.kind == "symmetric":
            return W[0] @ W[0].T
        return sum(chain_product(t) for t in self.towers(W))

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        W = self.unflatten(x)
        if self.kind == "symmetric":
            return _sym_jacobian(W[0])
        return np.hstack([_chain_jacobian(t) for t in self.towers(W)])

    def fiber_move(self, x: np.ndarray, size: float, rng: np.random.Generator,
                   rounds: int = 2) -> np.ndarray:
        """A random point of the fiber ``{product = product(x)}`` about ``size`` away from x.

        Chain: ``rounds`` sweeps over the layers in random order; layer l moves by a random
        Z with ``A_l Z B_l = 0`` (A_l = W_H...W_{l+1}, B_l = W_{l-1}...W_1), which leaves the
        product unchanged since it is linear in W_l.  Towers: the same inside every tower (each
        tower's product, hence the sum, is kept).  Symmetric: U -> U O with O orthogonal
        (a Cayley transform of a random skew matrix); every U' with U'U'^T = UU^T is of
        this form.
        """
        F = [f.copy() for f in self.unflatten(x)]
        if self.kind == "symmetric":
            U = F[0]
            k = U.shape[1]
            S = rng.standard_normal((k, k))
            S = S - S.T
            norm = float(np.linalg.norm(U @ S))
            if norm < 1e-12:                   # U = 0 (or nearly): the fiber is one point
                return x.copy()
            S *= size / norm                   # I - S/2 is invertible for every skew S
            O = np.linalg.solve(np.eye(k) - S / 2, np.eye(k) + S / 2)
            return self.flatten([U @ O])
        groups = self.towers(F)          # a move inside one tower keeps that tower's product
        step = size / np.sqrt(rounds * len(F))
        for _ in range(rounds):
            order = [0] if len(groups) == 1 else rng.permutation(len(groups))
            for T in order:
                _chain_fiber_sweep(groups[T], step, rng)
        return self.flatten([M for g in groups for M in g])


def _chain_fiber_sweep(F: list[np.ndarray], step: float, rng: np.random.Generator) -> None:
    """One sweep over the layers of the chain F (in place): layer l moves by a random Z of norm
    ``step`` with ``A_l Z B_l = 0``, which keeps the product."""
    H = len(F)
    for l in rng.permutation(H):
        A = np.eye(F[-1].shape[0])
        for j in range(H - 1, l, -1):
            A = A @ F[j]
        B = np.eye(F[0].shape[1])
        for j in range(l):
            B = F[j] @ B
        K = np.kron(A, B.T)                      # vec(A Z B) = K vec(Z), row-major
        _, sv, vt = np.linalg.svd(K)
        rk = int((sv > 1e-10 * max(1.0, sv.max(initial=0.0))).sum())
        N = vt[rk:].T
        if N.shape[1] == 0:
            continue
        z = N @ rng.standard_normal(N.shape[1])
        F[l] = F[l] + (step / max(np.linalg.norm(z), 1e-300)) * z.reshape(F[l].shape)


def _newton(pmap: ProductMap, x: np.ndarray, target: np.ndarray, tol_abs: float,
            iterations: int, limit: float) -> np.ndarray | None:
    """Gauss-Newton with minimum-norm steps from x onto {product = target}; None if it fails."""
    for _ in range(iterations):
        r = (pmap.value(x) - target).ravel()
        if np.linalg.norm(r) <= tol_abs:
            return x
        J = pmap.jacobian(x)
        step, *_ = np.linalg.lstsq(J, -r, rcond=1e-13)
        x = x + step
        if not np.all(np.isfinite(x)) or np.linalg.norm(x - pmap.x0) > limit:
            return None
    return x if np.linalg.norm(pmap.value(x) - target) <= tol_abs else None


def reach(pmap: ProductMap, target: np.ndarray, budget: float, rng: np.random.Generator,
          tol: float = 1e-3, iterations: int = 40, tries: int = 4,
          scales: Sequence[float] = (0.0, 0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8)) -> ReachAttempt:
    """Try to reach ``target`` from ``pmap``'s factors W with a move of norm at most ``budget``.

    Each run starts from a random point about ``s * budget`` away from W (``s`` in
    ``scales``; ``tries`` runs per scale inside the fiber of ``product(W)`` and as many off
    it: at a degenerate point the Jacobian is rank-deficient, and generic points nearby are
    where the map is well conditioned), then runs Gauss-Newton with minimum-norm steps
    towards the target.  A run *lands* when the residual is at most
    ``max(tol * ||target - product(W)||, 1e-13 (1 + ||product(W)||))`` (float64 cannot
    resolve less); it counts when it lands within the budget.

    >>> pm = ProductMap([np.zeros((1, 1)), np.zeros((1, 1))])     # (a, b) -> b a at the origin
    >>> reach(pm, np.array([[1e-6]]), 1e-2, np.random.default_rng(0)).reached
    True
    """
    W = pmap.x0
    target = np.asarray(target, dtype=np.float64)
    center = pmap.value(W)
    dist = float(np.linalg.norm(target - center))
    tol_abs = max(tol * dist, 1e-13 * (1.0 + float(np.linalg.norm(center))))
    limit = 1e3 * (budget + 1.0)
    best = np.inf
    for s in scales:
        for t in range(2 * tries if s > 0 else 1):
            if s == 0:
                x = W.copy()
            elif t % 2 == 0:
                x = pmap.fiber_move(W, s * budget, rng)
            else:                                  # a plain random start, off the fiber
                xi = rng.standard_normal(W.shape)
                x = W + (s * budget / max(float(np.linalg.norm(xi)), 1e-300)) * xi
            if np.linalg.norm(x - W) > budget:
                continue
            y = _newton(pmap, x, target, tol_abs, iterations, limit)
            if y is None:
                continue
            move = float(np.linalg.norm(y - W))
            best = min(best, move)
            if move <= budget:
                return ReachAttempt(True, move, budget)
    return ReachAttempt(False, best, budget)


# -- targets ------------------------------------------------------------------------------
def truncate_rank(M: np.ndarray, r: int) -> np.ndarray:
    """The nearest matrix of rank <= r (truncated SVD, Eckart-Young)."""
    P, s, Qt = np.linalg.svd(M, full_matrices=False)
    s = s.copy()
    s[r:] = 0.0
    return (P * s) @ Qt


def truncate_psd(S: np.ndarray, r: int) -> np.ndarray:
    """The nearest PSD matrix of rank <= r to the symmetric part of S."""
    S = (S + S.T) / 2
    w, V = np.linalg.eigh(S)
    order = np.argsort(w)[::-1]
    w, V = w[order], V[:, order]
    w = np.where(np.arange(len(w)) < r, np.maximum(w, 0.0), 0.0)
    return (V * w) @ V.T


def random_targets(center: np.ndarray, distance: float, count: int, rng: np.random.Generator,
                   max_rank: int, psd: bool = False) -> list[np.ndarray]:
    """``count`` random points of the range near ``center``: a random step of norm
    ``distance``, then the nearest point of the range (rank <= max_rank, PSD if ``psd``)."""
    out = []
    for _ in range(count):
        G = rng.standard_normal(center.shape)
        if psd:
            G = (G + G.T) / 2
        T = center + distance * G / np.linalg.norm(G)
        out.append(truncate_psd(T, max_rank) if psd else truncate_rank(T, max_rank))
    return out
