"""Ma & Fattahi's positive result as a reproducible float experiment (evidence, not proof).

J. Ma and S. Fattahi, "Blessing of depth in linear regression: deeper models have flatter
landscape around the true solution", NeurIPS 2022 (arXiv:2207.07612).  Their abstract: robust,
over-parameterized regression, a subset of the measurements grossly corrupted, the model an
N-layer *diagonal* linear network, the l1 loss; for N >= 2 a sub-gradient method converges to
a balanced solution close to the truth with a flat local landscape (no early stopping).

What is run here (the choices are ours where the paper's full text was not available; see
docs/experiments/ma-fattahi.md for the list):

* instance: ``X`` with i.i.d. N(0, 1) entries (``n x d``, ``n < d``), a ``k``-sparse truth
  with entries 1 on a random support, ``y = X theta* + s`` where a fraction ``p`` of the
  entries of ``s`` (a random subset, nested in ``p``) are N(0, (c ||theta*||)^2) and the rest 0;
* model: ``theta = w_1 * ... * w_N`` (entrywise), loss ``f = (1/n) ||X theta - y||_1``;
* sub-gradient method: ``w_k <- w_k - eta_t (prod_{j != k} w_j) * X^T sign(X theta - y) / n``,
  ``eta_t = eta_0 r^(t/T)`` (geometric decay by the factor ``r`` over the ``T`` iterations);
* small balanced initialization: every layer ``alpha 1`` with ``alpha^N = init_scale``
  (the end-to-end model starts at ``init_scale * 1`` whatever the depth); optionally
  perturbed by a relative ``imbalance`` to test that imbalance does not grow;
* records: relative error ``||theta - theta*|| / ||theta*||`` along the way, balancedness
  ``max_{k,i} |w_{k,i}^2 - w_{k+1,i}^2|`` (conserved by the gradient flow of a diagonal
  network; 0 at a balanced point), and flatness at the end point: the mean increase of the
  loss over random perturbations of the parameters of Euclidean norm ``radius`` (the l1
  loss of a linear network is piecewise polynomial, its Hessian is not the right measure of
  flatness at a kink; the loss increase at a fixed radius is defined everywhere).

Everything is seeded (``numpy.random.default_rng``); a run depends on its task only, so the
result does not depend on the executor or on the order in which tasks finish.
"""
from __future__ import annotations

import csv
import json
import math
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import median
from typing import Iterable, Sequence

import numpy as np

from landscape_proofs.kernel.errors import InputError

__all__ = [
    "MaFattahiSetting", "parse_depths", "parse_fractions", "parse_count", "parse_seed",
    "make_instance", "run_one", "run_on_data", "run_experiment", "summarize", "write_outputs",
    "figure_error_curves", "figure_final_error", "write_figures", "summary_table",
]

SOURCE = ("J. Ma and S. Fattahi. Blessing of depth in linear regression: deeper models have "
          "flatter landscape around the true solution. NeurIPS 2022 (arXiv:2207.07612).")


# --- the setting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MaFattahiSetting:
    """Every number that determines the experiment; the defaults are the bundled run."""

    depths: tuple = (1, 2, 3, 4)
    outlier_fractions: tuple = (0.0, 0.1, 0.2, 0.3, 0.4)
    seeds: int = 5                 # instances seed, seed + 1, ..., seed + seeds - 1
    seed: int = 0
    iterations: int = 3000
    dimension: int = 100           # d
    measurements: int = 60         # n
    sparsity: int = 5              # k nonzero entries of the truth, each equal to 1
    outlier_scale: float = 10.0    # outliers ~ N(0, (outlier_scale * ||theta*||)^2)
    init_scale: float = 1e-3       # end-to-end model at initialization: init_scale * 1
    step_size: float = 0.3         # eta_0
    step_decay: float = 1e-3       # eta_T = step_decay * eta_0 (geometric in between)
    imbalance: float = 0.0         # relative perturbation of each layer at initialization
    curve_points: int = 100        # points kept of each curve (subsampled)
    flatness_radius: float = 0.05
    flatness_directions: int = 64

    def validated(self) -> "MaFattahiSetting":
        """The same setting with tuples of plain numbers, or an ``InputError`` naming the field."""
        depths = tuple(_integer(v, f"depths[{i}]", 1) for i, v in enumerate(_seq(self.depths, "depths")))
        fracs = tuple(_fraction(v, f"outlier_fractions[{i}]")
                      for i, v in enumerate(_seq(self.outlier_fractions, "outlier_fractions")))
        for name, values in (("depths", depths), ("outlier_fractions", fracs)):
            if len(set(values)) != len(values):
                raise InputError("expected distinct values", field=name, got=list(values))
        ints = {name: _integer(getattr(self, name), name, low)
                for name, low in (("seeds", 1), ("seed", 0), ("iterations", 1), ("dimension", 1),
                                  ("measurements", 1), ("sparsity", 1), ("curve_points", 2),
                                  ("flatness_directions", 1))}
        if ints["sparsity"] > ints["dimension"]:
            raise InputError(f"expected an integer <= dimension ({ints['dimension']})",
                             field="sparsity", got=ints["sparsity"])
        pos = {name: _positive(getattr(self, name), name)
               for name in ("outlier_scale", "init_scale", "step_size", "flatness_radius")}
        decay = _positive(self.step_decay, "step_decay")
        if decay > 1:
            raise InputError("expected a number in (0, 1]", field="step_decay", got=self.step_decay)
        imb = _number(self.imbalance, "imbalance")
        if not 0 <= imb < 1:
            raise InputError("expected a number in [0, 1)", field="imbalance", got=self.imbalance)
        return replace(self, depths=depths, outlier_fractions=fracs, step_decay=decay,
                       imbalance=imb, **ints, **pos)

    def to_json(self) -> dict:
        d = asdict(self)
        d["depths"], d["outlier_fractions"] = list(self.depths), list(self.outlier_fractions)
        return d


def _seq(value, field):
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InputError("expected a list", field=field, got=value)
    value = list(value)
    if not value:
        raise InputError("expected at least one value", field=field)
    return value


def _integer(value, field, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"expected an integer >= {low}", field=field, got=value)
    if value < low:
        raise InputError(f"expected an integer >= {low}", field=field, got=int(value))
    return int(value)


def _number(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError("expected a number", field=field, got=value)
    value = float(value)
    if not math.isfinite(value):
        raise InputError("expected a finite number", field=field, got=value)
    return value


def _positive(value, field):
    v = _number(value, field)
    if v <= 0:
        raise InputError("expected a number > 0", field=field, got=value)
    return v


def _fraction(value, field):
    v = _number(value, field)
    if not 0 <= v < 1:
        raise InputError("expected a fraction in [0, 1)", field=field, got=value)
    return v


# --- parsing command-line text (kept here so that the API and the CLI agree) ----------------
def _items(text: str, field: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",")]
    if not items or any(t == "" for t in items):
        raise InputError("expected a comma-separated list without empty items", field=field, got=text)
    return items


def parse_depths(text: str, field: str = "--depths") -> tuple:
    """``"1,2,3"`` -> ``(1, 2, 3)``; each an integer >= 1."""
    out = []
    for i, t in enumerate(_items(text, field)):
        try:
            v = int(t)
        except ValueError:
            raise InputError("expected an integer >= 1", field=f"{field}[{i}]", got=t) from None
        out.append(_integer(v, f"{field}[{i}]", 1))
    return tuple(out)


def parse_fractions(text: str, field: str = "--outliers") -> tuple:
    """``"0,0.1"`` -> ``(0.0, 0.1)``; each a fraction in [0, 1)."""
    out = []
    for i, t in enumerate(_items(text, field)):
        try:
            v = float(t)
        except ValueError:
            raise InputError("expected a fraction in [0, 1)", field=f"{field}[{i}]", got=t) from None
        out.append(_fraction(v, f"{field}[{i}]"))
    return tuple(out)


def parse_count(text: str, field: str, low: int = 1) -> int:
    """An integer >= ``low`` written as text (``"3"``)."""
    try:
        v = int(str(text).strip())
    except ValueError:
        raise InputError(f"expected an integer >= {low}", field=field, got=text) from None
    return _integer(v, field, low)


def parse_seed(text: str, field: str = "--seed") -> int:
    return parse_count(text, field, low=0)


# --- one instance, one run ----------------------------------------------------------------------
def make_instance(setting: MaFattahiSetting, seed: int, outlier_fraction: float):
    """``(X, y, theta_star, outliers)`` for one seed; the corrupted set grows with ``p``."""
    rng = np.random.default_rng(seed)
    n, d, k = setting.measurements, setting.dimension, setting.sparsity
    X = rng.standard_normal((n, d))
    theta = np.zeros(d)
    theta[rng.choice(d, size=k, replace=False)] = 1.0
    order = rng.permutation(n)                     # the first m of them are corrupted
    noise = rng.standard_normal(n) * setting.outlier_scale * np.linalg.norm(theta)
    m = int(round(outlier_fraction * n))
    outliers = np.sort(order[:m])
    y = X @ theta
    y[outliers] += noise[outliers]
    return X, y, theta, outliers


def _others(W: np.ndarray) -> np.ndarray:
    """``prod_{j != k} W[j]`` for every layer k (prefix times suffix products, no division)."""
    N, d = W.shape
    pre = np.ones((N, d))
    suf = np.ones((N, d))
    if N > 1:
        pre[1:] = np.cumprod(W[:-1], axis=0)
        suf[:-1] = np.cumprod(W[:0:-1], axis=0)[::-1]
    return pre * suf


def _imbalance(W: np.ndarray) -> float:
    if W.shape[0] < 2:
        return 0.0
    sq = W * W
    return float(np.max(np.abs(sq[:-1] - sq[1:])))


def _flatness(W, X, y, radius, directions, rng) -> float:
    """Mean of ``f(W + U) - f(W)`` over ``U`` uniform on the sphere of the given radius."""
    n = X.shape[0]
    base = np.abs(X @ W.prod(axis=0) - y).sum() / n
    U = rng.standard_normal((directions,) + W.shape)
    U *= radius / np.sqrt((U * U).sum(axis=(1, 2)))[:, None, None]
    thetas = (W[None] + U).prod(axis=1)            # (directions, d)
    values = np.abs(thetas @ X.T - y[None]).sum(axis=1) / n
    return float(np.mean(values - base))


def run_one(setting: MaFattahiSetting, depth: int, outlier_fraction: float, seed: int) -> dict:
    """One sub-gradient run; the result is a plain dict of Python numbers."""
    X, y, theta_star, outliers = make_instance(setting, seed, outlier_fraction)
    out = run_on_data(setting, X, y, theta_star, depth, seed)
    out.update(outlier_fraction=outlier_fraction, outliers=int(outliers.size))
    return {k: out[k] for k in ("depth", "outlier_fraction", "seed", "outliers", "final_error",
                                "min_error", "final_loss", "truth_loss", "iterations", "errors",
                                "balancedness", "flatness")}


def run_on_data(setting: MaFattahiSetting, X, y, theta_star, depth: int, seed: int = 0) -> dict:
    """The sub-gradient method of the setting on given data (``X``: n x d, ``y``: n, floats),
    measured against ``theta_star``; used by :func:`run_one` and by the registry's
    positive-result entry on a problem file's data."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    theta_star = np.asarray(theta_star, dtype=float)
    n, d = X.shape
    T = setting.iterations
    alpha = setting.init_scale ** (1.0 / depth)
    W = np.full((depth, d), alpha)
    if setting.imbalance:
        jitter = np.random.default_rng([seed, depth, 1]).uniform(-1, 1, size=W.shape)
        W *= 1 + setting.imbalance * jitter
    rho = setting.step_decay ** (1.0 / T)
    keep = set(np.unique(np.linspace(0, T, setting.curve_points).round().astype(int)).tolist())
    norm_star = float(np.linalg.norm(theta_star)) or 1.0   # absolute error when theta* = 0
    its, errors, balance = [], [], []
    eta = setting.step_size
    for t in range(T + 1):
        theta = W.prod(axis=0)
        if t in keep:
            its.append(t)
            errors.append(float(np.linalg.norm(theta - theta_star)) / norm_star)
            balance.append(_imbalance(W))
        if t == T:
            break
        g = X.T @ np.sign(X @ theta - y) / n
        W = W - eta * _others(W) * g
        eta *= rho
    theta = W.prod(axis=0)
    flat_rng = np.random.default_rng([seed, depth, 2])
    return {
        "depth": depth,
        "seed": seed,
        "final_error": errors[-1],
        "min_error": min(errors),
        "final_loss": float(np.abs(X @ theta - y).sum() / n),
        "truth_loss": float(np.abs(X @ theta_star - y).sum() / n),
        "iterations": its,
        "errors": errors,
        "balancedness": balance,
        "flatness": _flatness(W, X, y, setting.flatness_radius, setting.flatness_directions,
                              flat_rng),
        "theta": [float(v) for v in theta],
    }


def _task(args) -> dict:   # module level: picklable for process pools and Dask
    setting, depth, fraction, seed = args
    return run_one(setting, depth, fraction, seed)


# --- the whole experiment -------------------------------------------------------------------
def run_experiment(setting: MaFattahiSetting | None = None, *, out_dir=None,
                   executor: Executor | None = None, figures: bool = True) -> dict:
    """Every (seed, outlier fraction, depth) run, the summary, and files when ``out_dir``.

    ``executor``: any :class:`concurrent.futures.Executor` (results are collected in task
    order, so the output is the same with or without one).
    """
    setting = (setting or MaFattahiSetting()).validated()
    tasks = [(setting, depth, p, setting.seed + s)
             for s in range(setting.seeds)
             for p in setting.outlier_fractions
             for depth in setting.depths]
    runs = list(executor.map(_task, tasks)) if executor is not None else [_task(t) for t in tasks]
    result = {
        "experiment": "ma-fattahi",
        "source": SOURCE,
        "setting": setting.to_json(),
        "runs": runs,
        "summary": summarize(runs),
        "figures": [],
    }
    if out_dir is not None:
        result["figures"] = write_outputs(result, out_dir, figures=figures)
    return result


def summarize(runs: Sequence[dict]) -> list[dict]:
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["depth"], r["outlier_fraction"]), []).append(r)
    out = []
    for (depth, p), rs in sorted(groups.items()):
        final = [r["final_error"] for r in rs]
        out.append({
            "depth": depth,
            "outlier_fraction": p,
            "runs": len(rs),
            "median_final_error": median(final),
            "min_final_error": min(final),
            "max_final_error": max(final),
            "median_min_error": median(r["min_error"] for r in rs),
            "median_flatness": median(r["flatness"] for r in rs),
            "max_balancedness": max(max(r["balancedness"]) for r in rs),
            "below_truth_loss": sum(r["final_loss"] < r["truth_loss"] for r in rs),
        })
    return out


def summary_table(result: dict) -> str:
    head = ("depth", "outliers", "median err", "range err", "best on path", "flatness",
            "max imbalance", "loss<truth")
    rows = [head]
    for s in result["summary"]:
        rows.append((str(s["depth"]), f"{s['outlier_fraction']:.2f}",
                     f"{s['median_final_error']:.3g}",
                     f"{s['min_final_error']:.3g}..{s['max_final_error']:.3g}",
                     f"{s['median_min_error']:.3g}", f"{s['median_flatness']:.3g}",
                     f"{s['max_balancedness']:.2g}", f"{s['below_truth_loss']}/{s['runs']}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)


# --- files ------------------------------------------------------------------------------------
RUN_COLUMNS = ("depth", "outlier_fraction", "seed", "outliers", "final_error", "min_error",
               "final_loss", "truth_loss", "flatness")


def write_outputs(result: dict, out_dir, *, figures: bool = True) -> list[str]:
    """``experiment.json``, ``runs.csv``, ``summary.csv`` and the figures; the figure paths."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "runs.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(RUN_COLUMNS + ("max_balancedness",))
            for r in result["runs"]:
                w.writerow([r[c] for c in RUN_COLUMNS] + [max(r["balancedness"])])
        with open(out / "summary.csv", "w", newline="", encoding="utf-8") as fh:
            cols = list(result["summary"][0])
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(result["summary"])
        paths = write_figures(result, out) if figures else []
        result = dict(result, figures=paths)
        (out / "experiment.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the results ({exc.strerror})", field="out_dir",
                         got=str(out_dir)) from None
    return paths


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def figure_error_curves(result: dict):
    """One panel per outlier fraction: median relative error vs iteration, one line per depth
    (the band is the range over seeds).  ``None`` without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return None
    st = result["setting"]
    fracs, depths = st["outlier_fractions"], st["depths"]
    fig, axes = plt.subplots(1, len(fracs), figsize=(3.2 * len(fracs), 3.0), sharey=True,
                             squeeze=False)
    for ax, p in zip(axes[0], fracs):
        for depth in depths:
            rs = [r for r in result["runs"] if r["depth"] == depth and r["outlier_fraction"] == p]
            its = np.array(rs[0]["iterations"])
            E = np.array([r["errors"] for r in rs])
            line, = ax.plot(its, np.median(E, axis=0), label=f"N = {depth}")
            ax.fill_between(its, E.min(axis=0), E.max(axis=0), color=line.get_color(), alpha=0.15)
        ax.set_yscale("log")
        ax.set_title(f"outlier fraction p = {p:g}")
        ax.set_xlabel("iteration")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel(r"$\|\theta_t - \theta^*\| / \|\theta^*\|$")
    axes[0][-1].legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def figure_final_error(result: dict):
    """Median final relative error vs outlier fraction, one line per depth (bars: range)."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for depth in result["setting"]["depths"]:
        rows = [s for s in result["summary"] if s["depth"] == depth]
        p = [s["outlier_fraction"] for s in rows]
        med = np.array([s["median_final_error"] for s in rows])
        lo = med - np.array([s["min_final_error"] for s in rows])
        hi = np.array([s["max_final_error"] for s in rows]) - med
        ax.errorbar(p, med, yerr=[lo, hi], marker="o", capsize=3, label=f"N = {depth}")
    ax.set_yscale("log")
    ax.set_xlabel("outlier fraction p")
    ax.set_ylabel("final relative error")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig


def write_figures(result: dict, out_dir) -> list[str]:
    """PNG and SVG of both figures in ``out_dir``; ``[]`` without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return []
    out = Path(out_dir)
    paths = []
    for name, make in (("error_vs_iteration", figure_error_curves),
                       ("final_error_vs_outliers", figure_final_error)):
        fig = make(result)
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            fig.savefig(path, dpi=110, metadata={"Date": None} if ext == "svg" else None)
            paths.append(str(path))
        plt.close(fig)
    return paths
