"""Robust regression instances with exact data, drawn as in Ma & Fattahi's setting.

J. Ma and S. Fattahi, NeurIPS 2022 / arXiv:2207.07612: linear measurements ``y_i = <x_i, theta*>``
of a true model, a subset of which is *grossly corrupted* (``y_i = <x_i, theta*> + s_i``), fitted
through an N-layer linear network with a loss on the residuals (the l1 loss in the paper).  The
full text of the paper was not available to us (docs/experiments/ma-fattahi.md says what was
read); the distribution below is our reading of "Gaussian design, sparse truth, a fraction of
gross outliers", the same one the float experiment (:mod:`landscape_proofs.search.experiment`)
uses, made exact:

* ``X`` is ``d x n`` (the problem format's orientation: one column per sample) with entries
  ``round(q g) / q`` for ``g ~ N(0, 1)`` (``q`` = ``denominator``; the rounding is the explicit
  quantization of a float draw into a rational, nothing else is rounded);
* the truth ``theta*`` has ``sparsity`` entries equal to 1 on a random support, the rest 0;
* a random subset of ``round(p n)`` samples (nested in ``p`` for a fixed seed) gets
  ``s_i = round(q c g_i) / q`` with ``c`` = ``outlier_scale * ||theta*||``, redrawn while 0
  (an outlier is never exact);
* the problem is a ``deep-linear`` chain of widths ``(d, 1, ..., 1)`` (``depth`` weight
  matrices; ``W_1`` is the row ``theta^T``, the later ones scalars): the end-to-end map is the
  linear model.  The loss is supplied by the caller (this module states no loss facts).

Every number is a :class:`fractions.Fraction`; the draw depends on the seed only
(``numpy.random.default_rng(seed)``), so the same seed gives the same exact instance.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from landscape_proofs.families.base import MAX_DEPTH, MAX_WIDTH, Point
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.kernel.errors import InputError

__all__ = ["RobustRegressionSetting", "RobustRegressionDraw", "draw_instance", "MAX_SAMPLES"]

MAX_SAMPLES = 400          # size guard: exact work grows with n * d


def _int(value, field, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        bound = f" and <= {high}" if high is not None else ""
        raise InputError(f"expected an integer >= {low}{bound}", field=field, got=value)
    return int(value)


@dataclass(frozen=True)
class RobustRegressionSetting:
    """The distribution of one draw (sizes, outlier fraction and scale, quantization)."""

    dimension: int = 4           # d
    measurements: int = 12       # n
    sparsity: int = 2            # k entries of theta* equal to 1
    outlier_fraction: Fraction = Fraction(1, 5)
    outlier_scale: int = 10      # outliers ~ N(0, (outlier_scale * ||theta*||)^2), quantized
    denominator: int = 4         # entries are multiples of 1/denominator

    def __post_init__(self):
        d = _int(self.dimension, "dimension", 1, MAX_WIDTH)
        n = _int(self.measurements, "measurements", 1, MAX_SAMPLES)
        _int(self.sparsity, "sparsity", 1, d)
        _int(self.outlier_scale, "outlier_scale", 1)
        _int(self.denominator, "denominator", 1, 10 ** 6)
        p = self.outlier_fraction
        if isinstance(p, bool) or not isinstance(p, (int, Fraction)) or not 0 <= p < 1:
            raise InputError("expected an exact fraction in [0, 1) (int or Fraction)",
                             field="outlier_fraction", got=p)
        object.__setattr__(self, "outlier_fraction", Fraction(p))
        object.__setattr__(self, "measurements", n)

    @property
    def outliers(self) -> int:
        """``round(p n)`` corrupted samples (half up, exactly)."""
        return int(self.outlier_fraction * self.measurements + Fraction(1, 2))


@dataclass(frozen=True)
class RobustRegressionDraw:
    """One exact instance: ``X`` (d x n rows), ``y`` (n), ``theta*`` (d), the corrupted indices."""

    setting: RobustRegressionSetting
    seed: int
    X: tuple            # d rows of n Fractions
    y: tuple            # n Fractions
    theta_star: tuple   # d Fractions
    outliers: tuple     # sorted sample indices with s_i != 0

    def problem(self, depth: int, loss) -> DeepLinearProblem:
        """The deep-linear chain ``(d, 1, ..., 1)`` with ``depth`` weight matrices and ``loss``."""
        depth = _int(depth, "depth", 1, MAX_DEPTH)
        return DeepLinearProblem(widths=(len(self.X),) + (1,) * depth, X=self.X, Y=(self.y,),
                                 loss=loss)

    def problem_file(self, depth: int, loss) -> dict:
        """The instance as a ``robust-regression`` problem file (docs/families.md), exact."""
        from landscape_proofs.families.robust_regression_format import robust_regression_to_dict
        return robust_regression_to_dict(self.X, self.y, _int(depth, "depth", 1, MAX_DEPTH), loss)

    def truth_point(self, problem: DeepLinearProblem) -> Point:
        """The standard factorization of the truth: ``W_1 = theta*^T``, every later layer 1."""
        depth = len(problem.widths) - 1
        weights = [[list(self.theta_star)]] + [[[Fraction(1)]] for _ in range(depth - 1)]
        return Point.of(problem, weights)

    def residuals_at_truth(self) -> tuple:
        """``<x_i, theta*> - y_i`` (``-s_i``): nonzero exactly at the outliers."""
        d, n = len(self.X), len(self.y)
        return tuple(sum(self.X[r][i] * self.theta_star[r] for r in range(d)) - self.y[i]
                     for i in range(n))

    def to_json(self) -> dict:
        s = self.setting
        return {"seed": self.seed, "dimension": s.dimension, "measurements": s.measurements,
                "sparsity": s.sparsity, "outlier_fraction": str(s.outlier_fraction),
                "outlier_scale": s.outlier_scale, "denominator": s.denominator,
                "outliers": list(self.outliers),
                "theta_star": [str(v) for v in self.theta_star]}


def _quantize(values, q: int) -> list[Fraction]:
    # the one explicit float -> rational step: round(q g) / q
    return [Fraction(int(np.rint(v * q)), q) for v in np.asarray(values, dtype=float).ravel()]


def draw_instance(setting: RobustRegressionSetting, seed: int) -> RobustRegressionDraw:
    """The exact instance of ``seed`` (an integer >= 0).

    >>> d = draw_instance(RobustRegressionSetting(dimension=3, measurements=5, sparsity=1,
    ...                   outlier_fraction=Fraction(2, 5)), seed=0)
    >>> len(d.outliers), sum(r != 0 for r in d.residuals_at_truth())
    (2, 2)
    """
    seed = _int(seed, "seed", 0)
    n, d, k, q = setting.measurements, setting.dimension, setting.sparsity, setting.denominator
    rng = np.random.default_rng(seed)
    flat = _quantize(rng.standard_normal(d * n), q)
    X = tuple(tuple(flat[r * n:(r + 1) * n]) for r in range(d))
    theta = [Fraction(0)] * d
    for j in rng.choice(d, size=k, replace=False):
        theta[int(j)] = Fraction(1)
    order = rng.permutation(n)
    m = setting.outliers
    corrupted = sorted(int(i) for i in order[:m])
    scale = setting.outlier_scale * float(np.sqrt(k))     # ||theta*|| = sqrt(k)
    y = [sum(X[r][i] * theta[r] for r in range(d)) for i in range(n)]
    for i in corrupted:
        s = Fraction(0)
        while s == 0:
            s = _quantize([rng.standard_normal() * scale], q)[0]
        y[i] += s
    return RobustRegressionDraw(setting, seed, X, tuple(y), tuple(theta), tuple(corrupted))
