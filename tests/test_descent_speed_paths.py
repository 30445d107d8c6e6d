"""The fast paths of the Hessian-free descent (issue 16, fourth round): the curvature test once
per float group of converged points, and the Armijo backtracking that waits for the next pass.

Each test states a mathematical fact about the result (which points get an escape, which step is
taken, which direction), on small seeded problems; none measures a time.
"""
from __future__ import annotations

import numpy as np
import pytest

from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.search import hessian_free
from landscape_proofs.search.hessian_free import _HessianFreeRunner, float_groups
from landscape_proofs.search.local import DescentConfig


def _rotation(t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _orbit(obj, W1, W2, angles):
    """The points (Q W1, W2 Q^T) for rotations Q by ``angles``: one orbit of the gauge."""
    Qs = [_rotation(t) for t in angles]
    return np.concatenate([obj.flatten([(Q @ W1)[None], (W2 @ Q.T)[None]]) for Q in Qs])


# [3, 3, 3], square loss, no weight decay, Y = diag(3, 2, 1): W1 = W2 = diag(sqrt(3), 0, 0)
# is a critical point with R = diag(3, 0, 0), a strict saddle (value (4 + 1)/2 = 5/2: along
# (e2 e2^T, e2 e2^T) the value is (2 - t^2)^2 / 2 + 1/2, second derivative -4); W1 = W2 =
# diag(sqrt 3, sqrt 2, 1) is a global minimum (value 0).
_Y = np.diag([3.0, 2.0, 1.0])
_SADDLE = np.diag([np.sqrt(3.0), 0.0, 0.0])
_MIN = np.diag([np.sqrt(3.0), np.sqrt(2.0), 1.0])


def _objective():
    return BatchedDeepLinear([3, 3, 3], None, _Y, "square")


def _dense_min_eig(obj, x):
    return np.linalg.eigvalsh(obj.hessian(obj.unflatten(x)))[:, 0]


def test_float_groups_are_the_orbits():
    """Four rotations of the saddle and four of the minimum: two groups of four, each group's
    representative its first point.  With ``Y = 3 I`` the points ``W1 = W2 = sqrt(3) e1 e1^T``
    and ``sqrt(3) e2 e2^T`` have the same value (9), the same layer norms and Gram spectra, but
    different products (``3 e1 e1^T``, ``3 e2 e2^T``; the gauge keeps the product): two groups."""
    obj = _objective()
    angles = [0.0, 0.4, 1.1, 2.5]
    x = np.concatenate([_orbit(obj, _SADDLE, _SADDLE, angles), _orbit(obj, _MIN, _MIN, angles)])
    f = obj.value(obj.unflatten(x))
    assert np.allclose(f, [2.5] * 4 + [0.0] * 4, atol=1e-12)
    groups = float_groups(obj, x, f)
    assert [g.tolist() for g in groups] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    iso = BatchedDeepLinear([3, 3, 3], None, 3.0 * np.eye(3), "square")
    P1, P2 = np.diag([np.sqrt(3.0), 0.0, 0.0]), np.diag([0.0, np.sqrt(3.0), 0.0])
    both = np.concatenate([iso.flatten([P[None], P[None]]) for P in (P1, P2)])
    fb = iso.value(iso.unflatten(both))
    assert fb.tolist() == [9.0, 9.0]
    assert [g.tolist() for g in float_groups(iso, both, fb)] == [[0], [1]]
    # a relative change of 1e-4 in one coordinate splits a group; 1e-9 does not
    for eps, n in [(1e-4, 2), (1e-9, 1)]:
        y = x[:2].copy()
        y[1, 0] *= 1 + eps
        assert len(float_groups(obj, y, obj.value(obj.unflatten(y)))) == n


def test_the_grouped_curvature_test_escapes_every_member_of_a_saddle_group(monkeypatch):
    """Lanczos runs once for the minimum's group (its representative) and at every point of
    the saddle's group (each needs its own direction): 1 + 4 points instead of 8.  Every saddle
    point gets a direction of negative curvature at *its own* point (checked with the dense
    Hessian), every minimum point none, and the minimum's members carry the representative's
    smallest eigenvalue (the dense one, ~0 from the symmetry)."""
    obj = _objective()
    angles = [0.0, 0.4, 1.1, 2.5]
    x = np.concatenate([_orbit(obj, _SADDLE, _SADDLE, angles), _orbit(obj, _MIN, _MIN, angles)])
    seen = []
    real = hessian_free.batched_smallest_eigenpair

    def counted(o, X, *a, **kw):
        seen.append(X.shape[0])
        return real(o, X, *a, **kw)

    monkeypatch.setattr(hessian_free, "batched_smallest_eigenpair", counted)
    runner = _HessianFreeRunner(obj, x, DescentConfig(), 1.0)
    dirs = runner.grouped_curvature_check(np.arange(8))
    assert sum(seen) == 5
    assert runner.neg.tolist() == [True] * 4 + [False] * 4
    H = obj.hessian(obj.unflatten(x))
    curv = np.einsum("bn,bnm,bm->b", dirs, H, dirs)
    assert (curv[:4] < -1.0).all()                    # -4 / |d|^2 at best; unit vectors
    assert np.allclose(np.linalg.norm(dirs[:4], axis=1), 1.0)
    assert not dirs[4:].any()
    dense = _dense_min_eig(obj, x)
    assert abs(dense[4]) <= 1e-9 and np.allclose(runner.lam_min[4:], runner.lam_min[4])
    assert abs(runner.lam_min[4] - dense[4]) <= 1e-8


def test_the_descent_leaves_every_rotated_saddle():
    """From the four rotated saddles (gradient exactly small) and the four rotated minima, the
    Hessian-free descent ends every run converged at the global value 0: the saddles were all
    escaped, though the curvature test ran once for the minima."""
    obj = _objective()
    angles = [0.0, 0.4, 1.1, 2.5]
    x = np.concatenate([_orbit(obj, _SADDLE, _SADDLE, angles), _orbit(obj, _MIN, _MIN, angles)])
    res = hessian_free.descend_hessian_free(obj, x, DescentConfig())
    assert (res.status == 0).all()
    assert np.all(np.abs(res.value) <= 1e-12)
    assert (_dense_min_eig(obj, res.x) >= -1e-8).all()


def _halving_step(runner, x, f, gn, d, slope):
    """The reference: steps 1, 1/2, 1/4, ... one at a time, the first acceptable one."""
    for k in range(40):
        t = 0.5 ** k
        ft, gt = runner.value_gradient(x[None] + t * d[None])
        gnt = np.linalg.norm(gt, axis=1)
        if runner._acceptable(ft, gnt, f[None], gn[None], slope[None], np.array([t]))[0]:
            return k
    return None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backtracking_in_later_passes_takes_the_halving_step(seed):
    """Directions scaled by 2^j (j = 0..12) so that runs need 0 to ~12 halvings: passing the
    rows through ``_trial_steps`` until each is accepted (a row that fails waits for the next
    pass, where it tries the half step, then eight steps at once) takes exactly the step that
    halving one at a time takes, for every row, and the point, value and gradient returned
    are the objective's at that step."""
    rng = np.random.default_rng(seed)
    obj = BatchedDeepLinear([4, 3, 4], None, rng.standard_normal((4, 4)), "square",
                            weight_decay=0.1)
    b = 13
    x = rng.standard_normal((b, obj.n_params))
    runner = _HessianFreeRunner(obj, x, DescentConfig(), 1.0)
    f, g, gn = runner.f.copy(), runner.g.copy(), runner.gn.copy()
    d = -g * (2.0 ** np.arange(b))[:, None]
    slope = np.einsum("bn,bn->b", g, d)
    want = [_halving_step(runner, x[i], f[i:i + 1], gn[i:i + 1], d[i], slope[i:i + 1])
            for i in range(b)]
    assert len(set(want)) >= 6 and max(want) >= 9          # the cases are varied
    back = np.zeros(b, dtype=np.int64)
    got = np.full(b, -1.0)
    for _ in range(20):
        t, xt, ft, gt, gnt, ok, back = runner._trial_steps(x, f, gn, d, slope, back)
        new = ok & (got < 0)
        got[new] = t[new]
        fe, ge = runner.value_gradient(xt[new])
        assert np.array_equal(xt[new], x[new] + t[new, None] * d[new])
        assert np.allclose(ft[new], fe, rtol=1e-14) and np.allclose(gt[new], ge, rtol=1e-14)
        if (got >= 0).all():
            break
    assert got.tolist() == [0.5 ** k for k in want]


def test_every_lbfgs_direction_is_the_compact_product_of_its_memory(monkeypatch):
    """The L-BFGS phase keeps R (S^T Y's upper time triangle), its diagonal, Y^T Y and gamma
    up to date as pairs arrive in the circular memory (3 slots, overwritten many times), instead
    of rebuilding them: at every iteration of a descent on [4, 3, 4] the direction is minus the
    compact product rebuilt from the raw memory (``compact_lbfgs_product``, itself tested against
    the two-loop recursion in tests/test_hvp.py), and the slope returned is g^T d."""
    from landscape_proofs.search.hessian_free import compact_lbfgs_product

    real = hessian_free._lbfgs_direction
    seen = {"calls": 0, "full": 0}

    def checked(g, gn, MG, mem, R, Dd, YY, gam, count):
        d, slope = real(g, gn, MG, mem, R, Dd, YY, gam, count)
        want = -compact_lbfgs_product(g, mem, mem @ np.swapaxes(mem, 1, 2), count)
        scale = np.abs(want).max(axis=1, keepdims=True)
        assert np.all(np.abs(d - want) <= 1e-8 * scale)
        assert np.allclose(slope, np.einsum("bn,bn->b", g, d), rtol=1e-8)
        assert np.allclose(MG, (mem @ g[:, :, None])[:, :, 0], rtol=1e-6,
                           atol=1e-9 * np.abs(g).max())
        seen["calls"] += 1
        seen["full"] += int((count > 3).sum())
        return d, slope

    monkeypatch.setattr(hessian_free, "_lbfgs_direction", checked)
    rng = np.random.default_rng(6)
    obj = BatchedDeepLinear([4, 3, 4], None, rng.standard_normal((4, 4)), "square",
                            weight_decay=0.05)
    runner = _HessianFreeRunner(obj, rng.standard_normal((3, obj.n_params)), DescentConfig(), 1.0)
    runner.lbfgs(60)
    assert seen["calls"] >= 20 and seen["full"] >= 20      # the slots were overwritten
    assert (runner.it > 0).all()
