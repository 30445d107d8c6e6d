"""Short float64 searches that *suggest* points (never prove anything).

Used by classification to look for a point of strictly lower value than a certified local
minimum: the candidates are rationalised and compared exactly by the caller.
"""
from __future__ import annotations

import numpy as np


def _closed_form_candidates(problem):
    """Square loss: the reduced-rank regression optimum, factored through the layers."""
    if not problem.loss.square_like:
        return []
    if getattr(problem, "psd_product", False):
        # the best PSD matrix of rank <= k near Y: the top k positive eigenpairs of sym(Y)
        Y = np.array([[float(x) for x in row] for row in problem.Y])
        w, Q = np.linalg.eigh((Y + Y.T) / 2)
        top = [i for i in np.argsort(w)[::-1][:problem.k] if w[i] > 0]
        U = np.zeros((problem.n, problem.k))
        for c, i in enumerate(top):
            U[:, c] = Q[:, i] * np.sqrt(w[i])
        return [[U]]
    X = np.array([[float(x) for x in row] for row in problem.X])
    Y = np.array([[float(x) for x in row] for row in problem.Y])
    r = problem.max_rank
    P = X.T @ np.linalg.pinv(X @ X.T) @ X
    U, s, Vt = np.linalg.svd(Y @ P)
    k = min(r, len(s))
    Z = (U[:, :k] * s[:k]) @ Vt[:k]
    R = Z @ np.linalg.pinv(X)
    U2, s2, Vt2 = np.linalg.svd(R)
    chains = problem.chains()
    if problem.sum_of_towers:  # R split over the towers
        return [_split_over_towers(tuple(c.widths for c in chains), k, s2, U2, Vt2)]
    widths = chains[0].widths
    H = len(widths) - 1
    Ws = []
    for i in range(H):
        M = np.zeros((widths[i + 1], widths[i]))
        if i == 0 and H == 1:
            M = R.copy()
        elif i == 0:
            M[:k, :] = (s2[:k, None] * Vt2[:k])
        elif i == H - 1:
            M[:, :k] = U2[:, :k]
        else:
            M[:k, :k] = np.eye(k)
        Ws.append(M)
    return [Ws]


def _split_over_towers(towers, k, s, U, Vt):
    """Layers (flat, tower 1 first) whose towers sum to sum_{i < k} s_i u_i v_i^T.

    Tower t takes the next min(r_t, remaining) components and factors them through its
    layers (scaled right factor first, identity in the middle, left factor last).
    """
    Ws, start = [], 0
    for widths in towers:
        comps = list(range(start, min(k, start + min(widths))))
        start += len(comps)
        kt, H = len(comps), len(widths) - 1
        for i in range(H):
            M = np.zeros((widths[i + 1], widths[i]))
            if H == 1:
                M = (U[:, comps] * s[comps]) @ Vt[comps]
            elif i == 0:
                M[:kt, :] = s[comps, None] * Vt[comps]
            elif i == H - 1:
                M[:, :kt] = U[:, comps]
            else:
                M[:kt, :kt] = np.eye(kt)
            Ws.append(M)
    return Ws


def candidate_points(problem, budget):
    """Yield float64 points (lists of arrays, W_1 first) worth comparing exactly."""
    yield from _closed_form_candidates(problem)
    from landscape_proofs.numeric.views import float64_objective

    obj = float64_objective(problem)
    rng = np.random.default_rng(budget.seed)
    B = budget.better_point_starts
    shapes = problem.shapes
    for scale in (1.0, 0.3):
        Ws = [rng.normal(scale=scale, size=(B, r, c)) for r, c in shapes]
        with np.errstate(all="ignore"):  # diverging starts overflow; non-finite ones are dropped
            Ws = _descend(obj, Ws, budget.descent_steps)
            vals = obj.value(Ws)
        order = np.argsort(vals)
        for b in order:
            if np.isfinite(vals[b]):
                yield [W[b] for W in Ws]


def _descend(obj, Ws, steps):
    """Batched gradient descent with a per-point step that grows on success, halves otherwise."""
    B = Ws[0].shape[0]
    step = np.full(B, 0.05)
    val = obj.value(Ws)
    for _ in range(steps):
        g = obj.gradient(Ws)
        trial = [W - step[:, None, None] * gk for W, gk in zip(Ws, g)]
        tv = obj.value(trial)
        ok = np.isfinite(tv) & (tv < val)
        for k in range(len(Ws)):
            Ws[k] = np.where(ok[:, None, None], trial[k], Ws[k])
        val = np.where(ok, tv, val)
        step = np.where(ok, step * 1.2, step * 0.5)
        step = np.clip(step, 1e-12, 10.0)
    return Ws
