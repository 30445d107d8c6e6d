"""Limit points whose layers have larger rank than their product (low-rank Y, wide layers):
the layers are rebuilt exactly around the snapped product with the limit point's ranks
(search/snap.py, ``_structured_candidates``), so the global minima are certified exactly."""
from __future__ import annotations

import json
from fractions import Fraction

import flint
import numpy as np

from landscape_proofs.cli.main import main
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.produce.structured import _fit_chain
from landscape_proofs.search.snap import _structured_candidates, certify_limit_point

# Y = a b^T + c d^T, rank 2, 4 x 4: every factorization W_2 W_1 = Y is a global minimum (value 0)
A = np.array([[1, 0], [2, 1], [0, 3], [1, -1]])
B = np.array([[1, 2, 0, -1], [0, 1, 1, 2]])
Y = (A @ B).tolist()
PROBLEM = {"family": "deep-linear", "widths": [4, 4, 4], "Y": Y, "loss": "square"}


def _exact(M):
    return flint.fmpq_mat([[flint.fmpq(int(v)) for v in row] for row in M])


def _limit_point(seed=0):
    """A float point near the global-minimum set whose W_1 has rank 3 and W_2 rank 2: W_1's
    rows span the row space of Y plus one direction outside it; W_2 kills that direction."""
    rng = np.random.default_rng(seed)
    P = np.linalg.pinv(B.astype(float)) @ B          # projector onto the row space of Y
    C = rng.normal(size=(4, 2))
    u, v = rng.normal(size=4), rng.normal(size=4) @ (np.eye(4) - P)
    W1 = C @ B + np.outer(u, v)
    # W_2 with W_2 C = A and W_2 u = 0: then W_2 W_1 = A B = Y (up to rounding)
    G = np.column_stack([C, u])
    W2 = np.column_stack([A, np.zeros(4)]) @ np.linalg.pinv(G)
    noise = 1e-13 * rng.normal(size=(2, 4, 4))
    return W1 + noise[0], W2 + noise[1]


def test_the_rebuilt_layers_have_the_product_and_the_ranks_exactly():
    W1, W2 = _limit_point()
    ranks = {(0, 0): 3, (0, 1): 2, (1, 1): 2}
    layers = _fit_chain([W1, W2], _exact(Y), lambda i, j: ranks[i, j], 1e-8)
    assert layers is not None
    E1, E2 = layers
    assert E2 * E1 == _exact(Y)                               # exactly the product
    assert (E1.rank(), E2.rank(), (E2 * E1).rank()) == (3, 2, 2)
    back = np.array([[float(E1[i, j]) for j in range(4)] for i in range(4)])
    assert np.max(np.abs(back - W1)) < 1e-6                   # and near the float layer
    # a rank the limit point does not have cannot be imposed: W_1 of rank 2 would have to lie
    # in the row space of Y, and the float W_1 does not (its extra direction is order 1)
    ranks2 = {(0, 0): 2, (0, 1): 2, (1, 1): 2}
    bad = _fit_chain([W1, W2], _exact(Y), lambda i, j: ranks2[i, j], 1e-8)
    assert bad is None or np.max(np.abs(np.array(
        [[float(bad[0][i, j]) for j in range(4)] for i in range(4)]) - W1)) > 1e-3


def test_such_a_limit_point_is_certified_a_global_minimum_with_value_0():
    p = problem_from_dict(PROBLEM)
    W1, W2 = _limit_point(1)
    x = np.concatenate([W1.ravel(), W2.ravel()])
    c = certify_limit_point(p, x, (3, 2, 2), use_enclosures=False)
    assert c.certified and c.kind is Kind.GLOBAL_MINIMUM and c.value == 0
    assert "rebuilt exactly" in c.route
    # the entrywise snaps are not critical there: without the new route nothing is certified
    routes = [route for route, _, _ in _structured_candidates(p, x, (3, 2, 2), lambda pt: True)]
    assert routes


def test_search_on_a_low_rank_target_certifies_every_group(tmp_path):
    p = problem_from_dict(PROBLEM)
    report = search(p, SearchConfig(starts=12, seed=0))
    converged = [g for g in report.groups]
    assert converged and all(g.certified for g in converged)
    assert all(g.kind is Kind.GLOBAL_MINIMUM and g.value == 0 for g in converged)
    # and the written certificates verify
    f = tmp_path / "p.json"
    f.write_text(json.dumps(PROBLEM))
    assert main(["search", str(f), "--starts", "6", "--out", str(tmp_path / "out"),
                 "--no-progress"]) == 0
    files = sorted((tmp_path / "out").glob("*.json"))
    assert files and main(["verify", *map(str, files)]) == 0


def test_refinement_stops_when_the_residual_stalls(monkeypatch):
    """Without the rebuilt layers, some limit points of a deeper low-rank problem go to the
    enclosure route, whose Newton refinement cannot converge there (the global-minimum set is
    not one orbit: the slice Hessian is singular); it used to run its 400 iterations (25 s on
    [6, 6, 6, 6]), it now stops when the residual does not halve over STALL_WINDOW steps."""
    import landscape_proofs.numeric.refine as refine
    import landscape_proofs.produce.refined as refined
    import landscape_proofs.search.snap as snap

    runs = []
    original = refine.refine_critical_point

    def recorded(*args, **kwargs):
        r = original(*args, **kwargs)
        runs.append(r)
        return r

    monkeypatch.setattr(snap, "_structured_candidates", lambda *a, **k: iter(()))
    monkeypatch.setattr(refined, "refine_critical_point", recorded)
    p = problem_from_dict(dict(PROBLEM, widths=[4, 4, 4, 4]))
    for seed in range(4):   # where the runs end depends on the float libraries: all 4 seeds
        search(p, SearchConfig(starts=30, seed=seed))
    stalled = [r for r in runs if not r.converged]
    assert stalled, "these seeds have limit points where the refinement cannot converge"
    for r in stalled:       # stopped early: a stall, or no step that decreases the residual
        assert r.iterations <= refine.STALL_WINDOW + 5, (r.iterations, r.reason)
        if "stalls" in r.reason:    # and it did stall: less than a factor 2 over the window
            assert r.history[-1] > r.history[-1 - refine.STALL_WINDOW] / 2
        else:
            assert "no step decreased the slice residual" in r.reason, r.reason
    assert all(r.iterations < 60 for r in runs)


def test_classify_refine_certifies_the_global_minimum_near_such_a_point():
    """``classify --refine`` from the same kind of float point: the refinement cannot converge
    or its slice Hessian is singular (the global-minimum set is not one orbit there), and the
    point as written is not critical;
    the layers rebuilt with the point's ranks give an exact global minimum nearby."""
    from landscape_proofs.families.base import Point
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.produce.refined import classify_refined

    p = problem_from_dict(PROBLEM)
    W1, W2 = _limit_point(3)
    rows = [[[repr(float(v)) for v in row] for row in W] for W in (W1, W2)]
    r = classify_refined(p, Point.of(p, rows), digits=40)
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 0 and r.snapped
    # the enclosure route gives nothing here (a converged refinement at 40 digits, but the
    # Hessian on the gauge slice is singular), before the rebuilt layers are tried
    assert any("no enclosure" in n or "did not converge" in n for n in r.notes)
    assert any("rebuilt exactly" in n for n in r.notes)
    assert check_certificate(r.certificate).valid
    exact = [np.array([[float(Fraction(v)) for v in row] for row in W])
             for W in r.certificate["point"]["weights"]]
    assert np.max(np.abs(exact[0] - W1)) < 1e-5 and np.max(np.abs(exact[1] - W2)) < 1e-5


# widths [3, 2, 3, 3]: a bottleneck of 2, Y of full rank, so the global minimum (the best
# rank-2 approximation of Y) is irrational; runs whose W_3 ends with rank 2 sit on a critical set
# larger than one orbit (W_3 + u c^T with c^T W_2 = 0 and u outside the range of W_3)
DEEP = {"family": "deep-linear", "widths": [3, 2, 3, 3],
        "Y": [[3, -2, -3], [1, -3, -1], [0, 3, -3]], "loss": "square"}


def test_null_directions_off_the_orbit_are_tangent_to_the_critical_set():
    from landscape_proofs.numeric.refine import orbit_tangent_float
    from landscape_proofs.numeric.views import float64_objective
    from landscape_proofs.search.snap import _along_critical_set

    p = problem_from_dict(DEEP)
    Yf = np.array(DEEP["Y"], dtype=float)
    U, S, Vt = np.linalg.svd(Yf)
    W1 = np.diag(S[:2]) @ Vt[:2]                                 # 2 x 3
    W2 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])         # 3 x 2: c = e_3 kills it
    W3 = U[:, :2] @ np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # rank 2, W3 W2 = U_2
    x = np.concatenate([W.ravel() for W in (W1, W2, W3)])
    obj = float64_objective(p)
    Ws = [W[None] for W in (W1, W2, W3)]
    assert np.max(np.abs(obj.gradient_vector(Ws)[0])) < 1e-12    # a critical point
    moves = _along_critical_set(p, x)
    assert moves                                                  # u e_3^T, u not in range(W3)
    H = obj.hessian(Ws)[0]
    T = orbit_tangent_float(DEEP["widths"], [W1, W2, W3], False)
    Q, sv, _ = np.linalg.svd(T, full_matrices=False)
    Q = Q[:, sv > 1e-9 * sv[0]]
    for v, t in moves:
        assert abs(np.linalg.norm(v) - 1) < 1e-9 and np.linalg.norm(H @ v) < 1e-6
        assert np.linalg.norm(Q.T @ v) < 1e-6                     # not along the orbit
        Wv = _split(v)
        assert np.allclose(Wv[0], 0, atol=1e-6) and np.allclose(Wv[1], 0, atol=1e-6)
        assert np.allclose(Wv[2][:, :2], 0, atol=1e-6)            # only W_3's third column
        # the step leaves the value unchanged to first and second order: still critical
        Wm = [W[None] for W in _split(x + t * v)]
        assert abs(obj.value(Wm)[0] - obj.value(Ws)[0]) < 1e-12


def _split(v):
    return [v[:6].reshape(2, 3), v[6:12].reshape(3, 2), v[12:].reshape(3, 3)]


def test_search_certifies_the_groups_on_the_lower_stratum_after_a_step():
    p = problem_from_dict(DEEP)
    report = search(p, SearchConfig(starts=12, seed=0))
    assert all(g.certified and g.kind is Kind.GLOBAL_MINIMUM for g in report.groups)
    moved = [g for g in report.groups if "along the critical set" in (g.route or "")]
    assert moved and all(g.distance is not None and g.distance < 1e-2 for g in moved)
    # one global value: the enclosures of all groups overlap
    encl = [g.value_enclosure for g in report.groups]
    assert max(lo for lo, _ in encl) <= min(hi for _, hi in encl)
