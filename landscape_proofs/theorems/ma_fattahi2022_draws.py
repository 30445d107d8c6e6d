"""Ma & Fattahi's negative result certified on drawn instances, and its probability estimated.

The negative result (arXiv:2207.07612 / NeurIPS 2022, abstract): "given any N >= 1, with
constant probability, there exists a solution corresponding to the ground truth that is
neither local nor global minimum".  Here, for each seed, an exact instance is drawn
(:func:`landscape_proofs.families.robust_regression.draw_instance`), the truth is factored
through a depth-N chain (``W_1 = theta*^T``, later layers 1) and classified exactly; the event
is **certified** when the trusted kernel accepts a ``not-critical`` certificate for it (a
descent curve along which the l1 loss has a negative one-sided derivative).  Such a point is
not a local minimum, hence not a global one; an exact point of strictly lower value on the
curve is reported too (its value recomputed by the kernel's own evaluator).

Why the event does not depend on N (and a test checks that it does not): the truth's
factorization has ``W_2 = ... = W_N = 1``, so moving ``W_1`` alone moves the end-to-end model
in every direction; a descent direction of the convex depth-1 problem at ``theta*`` lifts to
one of the chain, and conversely when ``theta*`` minimizes the depth-1 problem every
factorization of it is a global minimum.  So the probability is that of "``theta*`` does not
minimize ``sum_i |<x_i, theta> - y_i|``", the same for every N, as the abstract's "given any
N >= 1" says.

Everything is exact; the estimate is the fraction of certified seeds (a lower bound on the
event's frequency when some seeds stay undecided) with a Wilson 95% interval (a float
*summary*, never a certified claim).
"""
from __future__ import annotations

import math
from fractions import Fraction

import flint

from landscape_proofs.families.robust_regression import (RobustRegressionDraw,
                                                         RobustRegressionSetting, draw_instance)
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.model import read_point, read_problem
from landscape_proofs.kernel.objective import Objective
from landscape_proofs.produce.classify import Budget, classify
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems import facts

__all__ = ["certify_truth_not_minimum", "estimate_negative_probability", "MAX_DRAWS"]

MAX_DRAWS = 2000          # size guard: seeds x depths classified exactly
MAX_HALVINGS = 80         # t = 1, 1/2, ..., 2^-80 along the descent curve
BUDGET = Budget(curve_candidates=60, better_point_starts=2, descent_steps=50)


def _better_point(cert: dict, truth_value: Fraction):
    """A point of strictly lower value on the certificate's descent curve ``W + sum_j t^j C_j``,
    evaluated by the kernel's own objective; ``(t, weights_json, value)`` or None."""
    kp = read_problem(cert["problem"])
    W = read_point(cert["point"], kp)
    curve = [kp.validate_point(c) for c in cert["evidence"]["curve"]]
    obj = Objective(kp)
    bound = flint.fmpq(truth_value.numerator, truth_value.denominator)
    t = flint.fmpq(1)
    for _ in range(MAX_HALVINGS + 1):
        Wt = [M + sum((C[i] * t ** (j + 1) for j, C in enumerate(curve)), flint.fmpq_mat(M.nrows(), M.ncols()))
              for i, M in enumerate(W)]
        v = obj.value(Wt)
        if v < bound:
            rows = [[[str(x) for x in (M[r, c] for c in range(M.ncols()))] for r in range(M.nrows())]
                    for M in Wt]
            return str(t), rows, Fraction(int(v.p), int(v.q))
        t /= 2
    return None


def certify_truth_not_minimum(draw: RobustRegressionDraw, depth: int) -> dict:
    """Classify the truth's factorization on the depth-``depth`` chain of ``draw`` exactly.

    Returns a plain dict: ``outcome`` is ``"not-a-minimum"`` (kernel-certified: neither a local
    nor a global minimum), ``"minimum"`` (kernel-certified local or global minimum),
    ``"undecided"``; with the kind, the truth's exact value, the better point and the
    certificate when certified.
    """
    problem = draw.problem(depth, facts.absolute_loss())
    point = draw.truth_point(problem)
    c = classify(problem, point, BUDGET)
    cert = c.certificate.to_json() if c.certificate is not None else None
    accepted = cert is not None and check_certificate(cert).holds
    out = {"seed": draw.seed, "depth": depth, "outliers": len(draw.outliers),
           "kind": c.kind.value, "truth_value": str(c.value), "reason": c.reason,
           "outcome": "undecided", "better_point": None, "certificate": None}
    if not accepted:
        return out
    if c.kind is Kind.NOT_CRITICAL and cert["evidence"].get("type") == "descent-curve":
        better = _better_point(cert, c.value)
        out.update(outcome="not-a-minimum", certificate=cert)
        if better is not None:
            t, weights, value = better
            out["better_point"] = {"t": t, "weights": weights, "value": str(value)}
    elif c.kind in (Kind.GLOBAL_MINIMUM, Kind.LOCAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM):
        out.update(outcome="minimum", certificate=cert)
    return out


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def estimate_negative_probability(setting: RobustRegressionSetting | None = None, *,
                                  depths=(1, 2, 3), seeds: int = 20, seed: int = 0,
                                  keep_certificates: bool = False, progress=None) -> dict:
    """Draw ``seeds`` instances (seeds ``seed .. seed + seeds - 1``), certify at every depth.

    ``summary`` per depth: how many draws were certified not-a-minimum, certified minimum,
    undecided, the estimate ``certified / seeds`` and a Wilson 95% interval.  ``per_seed``: the
    outcome at every depth and whether the outcome is the same at every depth (it must be,
    see the module docstring).  ``progress(done, total)`` is called after each draw.
    """
    setting = setting or RobustRegressionSetting()
    depths = tuple(depths)
    if not depths or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in depths):
        raise InputError("expected depths, integers >= 1", field="depths", got=list(depths))
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError("expected an integer >= 1", field="seeds", got=seeds)
    if seeds * len(depths) > MAX_DRAWS:
        raise InputError(f"expected seeds x depths <= {MAX_DRAWS}", field="seeds",
                         got=seeds * len(depths))
    runs = []
    for s in range(seed, seed + seeds):
        draw = draw_instance(setting, s)
        for h in depths:
            r = certify_truth_not_minimum(draw, h)
            if not keep_certificates:
                r.pop("certificate")
            runs.append(r)
        if progress is not None:
            progress(s - seed + 1, seeds)
    summary = []
    for h in depths:
        rs = [r for r in runs if r["depth"] == h]
        k = sum(r["outcome"] == "not-a-minimum" for r in rs)
        lo, hi = _wilson(k, len(rs))
        summary.append({"depth": h, "draws": len(rs), "certified_not_minimum": k,
                        "certified_minimum": sum(r["outcome"] == "minimum" for r in rs),
                        "undecided": sum(r["outcome"] == "undecided" for r in rs),
                        "estimate": k / len(rs), "wilson95": [lo, hi]})
    per_seed = []
    for s in range(seed, seed + seeds):
        outs = [r["outcome"] for r in runs if r["seed"] == s]
        per_seed.append({"seed": s, "outcomes": outs, "same_at_every_depth": len(set(outs)) == 1})
    return {"setting": {"dimension": setting.dimension, "measurements": setting.measurements,
                        "sparsity": setting.sparsity,
                        "outlier_fraction": str(setting.outlier_fraction),
                        "outlier_scale": setting.outlier_scale,
                        "denominator": setting.denominator, "depths": list(depths),
                        "seeds": seeds, "seed": seed},
            "runs": runs, "summary": summary, "per_seed": per_seed}
