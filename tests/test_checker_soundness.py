"""The checker never accepts a false claim.

Valid certificates of every kind (from the bundled examples) are mutated at random (claim,
point, data, weight decay, evidence).  Whenever the checker still accepts, an *independent*
oracle (SymPy differentiation of the explicitly expanded objective, then floating-point
necessary conditions) must agree that the claim is true.  Mutating the evidence alone can
never make a claim false, so it may be accepted; mutating the claim, the point or the data
must not sneak a false claim through.
"""
from __future__ import annotations

import copy
import functools
import json
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from landscape_proofs.kernel.checker import CLAIMS, check_certificate
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.io import loads_exact, point_from_dict, problem_from_dict
from landscape_proofs.produce.tour import example_files, load_example


# evidence the bundled examples do not reach: minima at l1 kinks (kink-slice), widths 2-1-2,
# X = I, Y = diag(3, 1): e2 e2^T is a spurious local minimum, 3 e1 e1^T a local minimum
EXTRA = [({"family": "deep-linear", "widths": [2, 1, 2], "Y": [[3, 0], [0, 1]], "loss": "l1"},
          [{"weights": [[[0, 1]], [[0], [1]]]}, {"weights": [[[1, 0]], [[3], [0]]]}]),
         # global minima through censuses: the narrowed census of a wide hidden layer (widths
         # 2-2-1-1, value 7/2) and the census of the power loss (widths 2-1-1-1, value 13/4)
         ({"family": "deep-linear", "widths": [2, 2, 1, 1], "X": [[1, 0], [0, 2]], "Y": [[0, 3]],
           "loss": "square", "weight_decay": 2}, [{"weights": [[[0, 1], [0, 0]], [[1, 0]], [[1]]]}]),
         ({"family": "deep-linear", "widths": [2, 1, 1, 1], "X": [[1, 0], [0, 2]], "Y": [[0, 3]],
           "loss": {"name": "power", "p": 4}, "weight_decay": 2},
          [{"weights": [[[0, 1]], [[1]], [[1]]]}])]


@functools.lru_cache(maxsize=None)
def valid_certificates():
    out = []
    cases = [(load_example(path)["problem"], load_example(path)["points"])
             for path in example_files()] + EXTRA
    import landscape_proofs.search.census as census_module
    from landscape_proofs.api import classify as api_classify   # with the census upgrade
    with pytest.MonkeyPatch.context() as mp:    # the census's 5 s: answers here, not speed
        mp.setattr(census_module, "CENSUS_SECONDS", 120.0)
        for problem, points in cases:
            for pt in points:
                res = api_classify(problem, pt).raw
                if res.certificate is not None:
                    out.append(json.dumps(res.certificate.to_json()))
    return tuple(out)


def test_every_example_certificate_is_valid():
    certs = valid_certificates()
    assert len(certs) >= 15
    claims, types = set(), set()
    for text in certs:
        data = loads_exact(text)
        res = check_certificate(data)
        assert res.valid, res.reason
        claims.add(res.claim)
        types.add(data["evidence"].get("type", data["evidence"].get("local_minimum", {}).get("type")))
    assert claims == set(CLAIMS)
    assert {"kink", "kink-slice"} <= types      # the l1 kink evidence is mutated below too
    assert {"census", "narrow-census"} <= types


# --- the independent oracle ------------------------------------------------------------------
def _sym(x):
    q = Fraction(x) if not isinstance(x, Fraction) else x
    return sympy.Rational(q.numerator, q.denominator)


def sympy_objective(problem):
    syms = [sympy.Matrix(r, c, lambda i, j, k=k: sympy.Symbol(f"w{k}_{i}_{j}", real=True))
            for k, (r, c) in enumerate(problem.shapes)]
    R = syms[0]
    for S in syms[1:]:
        R = S * R
    X = sympy.Matrix([[_sym(x) for x in row] for row in problem.X])
    loss = problem.loss
    if loss.over_product:
        E = R
    else:
        E = R * X - sympy.Matrix([[_sym(x) for x in row] for row in problem.Y])
    name = loss.name
    if name == "square":
        f = sum(e ** 2 for e in E) / 2
    elif name == "l1":
        f = sum(sympy.Abs(e) for e in E)
    elif name == "power":
        f = sum(e ** loss.p for e in E) / loss.p
    else:
        sub = {sympy.Symbol(f"{loss.prefix}_{i}_{j}", real=True): E[i, j]
               for i in range(E.rows) for j in range(E.cols)}
        f = loss.parsed.expr.xreplace(sub)
    f = f + _sym(problem.weight_decay) / 2 * sum(s ** 2 for S in syms for s in S)
    flat = [s for S in syms for s in S]
    return f, flat


def oracle_agrees(data) -> bool:
    """Necessary conditions for the claim, computed independently of the library's formulas."""
    problem = problem_from_dict(data["problem"])
    point = point_from_dict(data["point"], problem)
    f, flat = sympy_objective(problem)
    vals = {s: _sym(x) for s, x in zip(flat, (x for W in point.weights for row in W for x in row))}
    value = f.xreplace(vals)
    claim = data["claim"]
    smooth = problem.loss.name != "l1" or all(
        e != 0 for e in sympy.Matrix(_residual(problem, point)))
    if claim == "not-critical":
        if not smooth:
            # one-sided derivative along the certificate's curve, by SymPy limit-free expansion
            return True if _l1_descends(f, flat, vals, data) else False
        return any(sympy.diff(f, s).xreplace(vals) != 0 for s in flat)
    if not smooth:
        if claim in ("nonsmooth-saddle", "local-minimum", "spurious-local-minimum"):
            near = _l1_kink_near(problem, point, f, flat, vals)
            if near is None:
                return False
            if claim == "nonsmooth-saddle":
                return min(near) < value < max(near)
            if min(near) < value - 1e-9:
                return False
            if claim == "spurious-local-minimum":
                better = data["evidence"]["better_point"]
                bvals = {s: _sym(x) for s, x in zip(flat, (x for W in better for row in W for x in row))}
                return f.xreplace(bvals) < value
            return True
        return claim == "global-minimum" and _l1_global(problem, value)
    grad = [sympy.diff(f, s).xreplace(vals) for s in flat]
    if any(g != 0 for g in grad):
        return False
    Hs = sympy.hessian(f, flat).xreplace(vals)
    eig = np.linalg.eigvalsh(np.array(Hs.tolist(), dtype=float))
    lo, hi = eig.min(), eig.max()
    fl = sympy.lambdify(flat, f, "numpy")
    x0 = np.array([float(vals[s]) for s in flat])
    v0 = float(value)
    rng = np.random.default_rng(0)

    def min_near(radius, n=400):
        pts = x0 + radius * rng.standard_normal((n, len(x0)))
        return min(float(fl(*p)) for p in pts)

    if claim == "strict-saddle":
        return lo < -1e-12 and (hi > 1e-12 or min_near(1e-2) < v0)
    if claim == "local-maximum":
        return hi <= 1e-12 and -min_near(1e-3) >= -v0 - 1e-9 and max(
            float(fl(*p)) for p in x0 + 1e-3 * rng.standard_normal((400, len(x0)))) <= v0 + 1e-9
    if claim == "non-strict-saddle":
        return lo >= -1e-9
    # local / global / spurious minimum: PSD and no lower value nearby
    if lo < -1e-9 or min_near(1e-3) < v0 - 1e-9:
        return False
    if claim == "global-minimum":
        return _global_ok(problem, value)
    if claim == "spurious-local-minimum":
        better = data["evidence"]["better_point"]
        bvals = {s: _sym(x) for s, x in zip(flat, (x for W in better for row in W for x in row))}
        return f.xreplace(bvals) < value
    return True


def _residual(problem, point):
    from landscape_proofs.kernel.linalg import matrix
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    E = exact_objective(problem).loss_argument(exact_weights(point))
    return [[E[i, j] for j in range(E.ncols())] for i in range(E.nrows())]


def _global_ok(problem, value):
    loss = problem.loss
    if loss.name in ("square", "l1", "power") and value == 0:
        return True
    if loss.name == "custom" and value == 0 and loss.parsed.expr.is_nonnegative is True:
        return True  # SymPy's own assumptions: a real expression that is never negative
    if loss.name == "custom" and (loss.parsed.expr - value).is_nonnegative is True:
        return True  # l - value >= 0 by SymPy's assumptions (then L >= l >= value for any product)
    if loss.name == "square" and problem.weight_decay == 0:
        X = np.array([[float(x) for x in r] for r in problem.X])
        Y = np.array([[float(x) for x in r] for r in problem.Y])
        P = X.T @ np.linalg.pinv(X @ X.T) @ X
        s = np.linalg.svd(Y @ P, compute_uv=False)
        opt = 0.5 * (np.linalg.norm(Y - Y @ P) ** 2 + np.sum(s[problem.max_rank:] ** 2))
        return abs(float(value) - opt) < 1e-9 * max(1.0, opt)
    if loss.name == "square" and getattr(problem, "psd_product", False) and problem.weight_decay == 0:
        # best PSD matrix of rank <= k, independently: numpy eigenvalues
        lam = np.linalg.eigvalsh(np.array([[float(x) for x in r] for r in problem.Y]))[::-1]
        k = problem.shapes[0][1]
        kept = [x for x in lam[:k] if x > 0]
        opt = 0.5 * (float(np.sum(lam ** 2)) - float(np.sum(np.square(kept))))
        return abs(float(value) - opt) < 1e-9 * max(1.0, opt)
    if (loss.name == "square" and problem.weight_decay > 0 and len(problem.shapes) == 2
            and all(float(x) == float(i == j) for i, r in enumerate(problem.X) for j, x in enumerate(r))
            and len(problem.X) == len(problem.X[0])):
        # nuclear-norm bound, computed independently with an SVD: soft-threshold the top r
        lam = float(problem.weight_decay)
        s = np.linalg.svd(np.array([[float(x) for x in r] for r in problem.Y]), compute_uv=False)
        opt = sum(lam * x - lam * lam / 2 if j < problem.max_rank and x > lam else x * x / 2
                  for j, x in enumerate(sorted(s, reverse=True)))
        return abs(float(value) - opt) < 1e-9 * max(1.0, opt)
    if loss.convex_proven(*problem.loss_argument_shape) and problem.weight_decay == 0:
        return True  # convex + stationary in function space: checked by PSD/no-lower above
    if problem.weight_decay > 0 and loss.name in ("square", "power"):
        return _multistart_ok(problem, value)   # coercive: a numeric multistart, no library code
    return False


def _multistart_ok(problem, value, starts=40):
    """No local search from random starts (the SymPy objective, lambdified) goes below value."""
    from scipy.optimize import minimize
    f, flat = sympy_objective(problem)
    fn = sympy.lambdify([flat], f, "numpy")
    grad = sympy.lambdify([flat], [sympy.diff(f, s) for s in flat], "numpy")
    rng = np.random.default_rng(0)
    for _ in range(starts):
        m = minimize(lambda x: float(fn(x)), rng.normal(0, 1.5, len(flat)),
                     jac=lambda x: np.array(grad(x), dtype=float), method="L-BFGS-B")
        if m.fun < float(value) - 1e-7 * (1 + abs(float(value))):
            return False
    return True


def _l1_global(problem, value):
    # l1 regression: compare with a brute-force LP optimum over all d_H x d_0 matrices
    from scipy.optimize import linprog
    if problem.weight_decay != 0:
        return False  # (a bottleneck is fine: the LP below minimises over all matrices)
    X = np.array([[float(x) for x in r] for r in problem.X])
    Y = np.array([[float(x) for x in r] for r in problem.Y])
    dH, d0, n = Y.shape[0], X.shape[0], X.shape[1]
    # min sum t  s.t. -t <= R X - Y <= t
    nv = dH * d0 + dH * n
    c = np.concatenate([np.zeros(dH * d0), np.ones(dH * n)])
    A, b = [], []
    for i in range(dH):
        for j in range(n):
            row = np.zeros(nv)
            for a in range(d0):
                row[i * d0 + a] = X[a, j]
            t = np.zeros(nv)
            t[dH * d0 + i * n + j] = 1
            A.append(row - t); b.append(Y[i, j])
            A.append(-row - t); b.append(-Y[i, j])
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=[(None, None)] * nv, method="highs")
    return abs(res.fun - float(value)) < 1e-9


def _l1_kink_near(problem, point, f, flat, vals):
    """None unless 0 is in the Clarke subdifferential (an LP over SymPy's gradients of the
    residual entries); else sampled values at distance ~1e-3."""
    from scipy.optimize import linprog
    E = _residual(problem, point)
    syms = flat     # the residual entries as SymPy expressions, expanded independently
    R = None
    k = 0
    mats = []
    for r, c in problem.shapes:
        mats.append(sympy.Matrix(r, c, syms[k:k + r * c]))
        k += r * c
    for M in mats:
        R = M if R is None else M * R
    X = sympy.Matrix([[_sym(x) for x in row] for row in problem.X])
    Ym = sympy.Matrix([[_sym(x) for x in row] for row in problem.Y])
    Es = R * X - Ym
    lam = _sym(problem.weight_decay)
    base = np.array([float(lam * vals[s]) for s in syms])
    free = []
    for i in range(Es.rows):
        for j in range(Es.cols):
            grad = np.array([float(sympy.diff(Es[i, j], s).xreplace(vals)) for s in syms])
            if E[i][j] != 0:
                base = base + (1.0 if E[i][j] > 0 else -1.0) * grad
            else:
                free.append(grad)
    if free:
        res = linprog(np.zeros(len(free)), A_eq=np.array(free).T, b_eq=-base,
                      bounds=[(-1, 1)] * len(free), method="highs")
        if not res.success:
            return False
    elif np.abs(base).max() > 1e-12:
        return False
    fl = sympy.lambdify(flat, f, "numpy")
    x0 = np.array([float(vals[s]) for s in flat])
    pts = x0 + 1e-3 * np.random.default_rng(0).standard_normal((400, len(x0)))
    return [float(fl(*p)) for p in pts]


def _l1_descends(f, flat, vals, data):
    curve = data["evidence"].get("curve")
    if not curve:
        return False
    t = sympy.Symbol("t", positive=True)
    sub = {}
    for s, x0, c in zip(flat, (vals[s] for s in flat),
                        (x for W in curve[0] for row in W for x in row)):
        sub[s] = x0 + t * _sym(c)
    g = f.xreplace(sub)
    h = sympy.Rational(1, 10**6)
    return float(g.subs(t, h) - g.subs(t, 0)) < 0


# --- mutations ----------------------------------------------------------------------------------
SMALL = st.sampled_from(["1", "-1", "1/2", "-1/3", "1/10", "2", "-2", "0"])


def _matrices_in(obj):
    """Paths to numeric leaves inside nested lists."""
    out = []

    def walk(x, path):
        if isinstance(x, list):
            for i, y in enumerate(x):
                walk(y, path + [i])
        elif not isinstance(x, str) or x.lstrip("-").replace("/", "", 1).isdigit():
            out.append(path)    # not a word of a tree (interval-lower-bound's "split", "bound")
    walk(obj, [])
    return out


def _add_at(obj, path, delta):
    x = obj
    for i in path[:-1]:
        x = x[i]
    x[path[-1]] = str(Fraction(str(x[path[-1]])) + Fraction(delta))


@st.composite
def mutated(draw):
    certs = valid_certificates()
    data = loads_exact(draw(st.sampled_from(certs)))
    data = json.loads(json.dumps(data, default=str))
    n = draw(st.integers(1, 3))
    for _ in range(n):
        what = draw(st.sampled_from(["claim", "point", "data", "decay", "evidence"]))
        if what == "claim":
            data["claim"] = draw(st.sampled_from(CLAIMS))
        elif what == "point":
            paths = _matrices_in(data["point"]["weights"])
            _add_at(data["point"]["weights"], draw(st.sampled_from(paths)), draw(SMALL))
        elif what == "data":
            key = draw(st.sampled_from([k for k in ("X", "Y") if k in data["problem"]] or ["weight_decay"]))
            if key == "weight_decay":
                data["problem"]["weight_decay"] = draw(st.sampled_from(["0", "1/10", "1"]))
            else:
                paths = _matrices_in(data["problem"][key])
                _add_at(data["problem"][key], draw(st.sampled_from(paths)), draw(SMALL))
        elif what == "decay":
            data["problem"]["weight_decay"] = draw(st.sampled_from(["0", "1/10", "1", "1/2"]))
        else:
            ev = data["evidence"]
            keys = [k for k, v in ev.items() if isinstance(v, (list, dict))]
            if keys:
                k = draw(st.sampled_from(keys))
                target = ev[k]
                if isinstance(target, dict):
                    target["type"] = draw(st.sampled_from(["slice", "definite-hessian", "bogus"]))
                else:
                    paths = _matrices_in(target)
                    if paths:
                        _add_at(target, draw(st.sampled_from(paths)), draw(SMALL))
            else:
                ev["type"] = draw(st.sampled_from(["zero-lower-bound", "square-loss-optimum",
                                                   "convex-stationary", "slice", "definite-hessian"]))
        data.pop("value", None) if draw(st.booleans()) else None
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_checker_never_accepts_a_false_claim(data):
    try:
        res = check_certificate(loads_exact(json.dumps(data)))
    except ValueError:
        return  # unusable input (e.g. a mutation made the data invalid): refused, fine
    if res.valid:
        assert oracle_agrees(data), (data["claim"], res.reason)


@pytest.mark.parametrize("index", range(6))
def test_claim_swaps_to_incompatible_kinds_are_rejected(index):
    certs = valid_certificates()
    compatible = {
        "global-minimum": {"global-minimum", "local-minimum"},
        "spurious-local-minimum": {"spurious-local-minimum", "local-minimum"},
    }
    for text in certs[index::6]:
        data = loads_exact(text)
        true_claim = data["claim"]
        for claim in CLAIMS:
            if claim in compatible.get(true_claim, {true_claim}):
                continue
            data2 = dict(data, claim=claim)
            assert not check_certificate(data2).valid, (true_claim, claim)


def test_recorded_value_must_match():
    data = loads_exact(valid_certificates()[0])
    data["value"] = "12345/7"
    res = check_certificate(data)
    assert not res.valid and "differs" in res.reason
