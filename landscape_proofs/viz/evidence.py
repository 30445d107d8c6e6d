"""The lines and planes a figure is drawn along, read from a certificate's evidence.

A certificate's evidence names directions and curves in weight space (docs/certificates.md):
the negative-curvature direction ``V`` and the ascent direction ``U`` of a strict saddle, the
descent curve ``C_1, C_2, ...`` of a non-strict saddle or of a non-critical point, the better
point ``W'`` of a spurious minimum, the gradient entry of a non-critical point.  Each becomes a
:class:`Line`: the curve ``t -> W + t C_1 + t^2 C_2 + ...`` through the point.

Values along lines and over planes are computed in float64 by the producers' own objective
(``numeric.views.float64_objective``): figures are illustrations, never proofs.  The exact
numbers of the certificate are read exactly (and shape-checked by the family) and rounded once.

No matplotlib here (see :mod:`landscape_proofs.viz.figures`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from landscape_proofs.kernel.errors import InputError

# A figure evaluates the objective at most this many times (grid and lines together).
MAX_EVALUATIONS = 20_000
# ... and refuses problems with more parameters than this (the batch holds every point).
MAX_PARAMS = 5_000


@dataclass(frozen=True)
class Line:
    """The curve ``t -> W + t C_1 + t^2 C_2 + ...`` (``coefficients`` flattened, float64)."""

    label: str                      # e.g. "negative-curvature direction V"
    symbol: str                     # e.g. "V" (the y label reads L(W + tV))
    coefficients: tuple[np.ndarray, ...]
    mark: float | None = None       # a t worth marking (the better point: t = 1)

    @property
    def direction(self) -> np.ndarray:
        return self.coefficients[0]


@dataclass(frozen=True)
class Picture:
    """What a certificate figure shows: the problem, the point, the claim, the lines."""

    problem: object                 # a loaded problem (families)
    point: np.ndarray               # flattened float64 weights
    claim: str
    value: str | None               # the exact value as written, if known
    lines: tuple[Line, ...]
    objective: object               # numeric.views.float64_objective(problem)

    @property
    def n_params(self) -> int:
        return int(self.point.shape[0])

    def values_along(self, line: Line, ts: np.ndarray) -> np.ndarray:
        """``L(W + t C_1 + t^2 C_2 + ...)`` at each ``t`` (float64)."""
        ts = np.asarray(ts, dtype=np.float64)
        pts = np.repeat(self.point[None, :], ts.shape[0], axis=0)
        for k, c in enumerate(line.coefficients, start=1):
            pts = pts + np.outer(ts ** k, c)
        return self._values(pts)

    def values_on_plane(self, d1: np.ndarray, d2: np.ndarray, s: np.ndarray,
                        t: np.ndarray) -> np.ndarray:
        """``L(W + s d1 + t d2)`` on the grid ``s x t`` (shape ``(len(t), len(s))``)."""
        S, T = np.meshgrid(np.asarray(s, float), np.asarray(t, float))
        pts = self.point[None, :] + np.outer(S.ravel(), d1) + np.outer(T.ravel(), d2)
        return self._values(pts).reshape(S.shape)

    def _values(self, pts: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.objective.value(self.objective.unflatten(pts)),
                              dtype=np.float64)


# --- reading ---------------------------------------------------------------------------------
def _to_float(x: Fraction, field: str) -> float:
    try:
        v = float(x)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v):
        raise InputError("expected numbers small enough to plot (beyond float64's range)",
                         field=field)
    return v


def _flat(problem, weights, field: str) -> np.ndarray:
    """Weight-shaped exact matrices -> a flat float64 vector (W_1 first, row-major)."""
    rows = problem.validate_point(weights, field)
    return np.array([_to_float(x, field) for W in rows for row in W for x in row],
                    dtype=np.float64)


def _layered(problem) -> None:
    if not getattr(problem, "layered", True):
        raise InputError("plots handle problems whose points are lists of layers (not "
                         "shallow-rank: plot its lift's certificate instead)", field="family",
                         got=getattr(problem, "family", None))


def picture_of_certificate(certificate: dict) -> Picture:
    """The picture of a point certificate (a dict as ``landscape verify`` reads it)."""
    from landscape_proofs.families.io import problem_from_dict

    if not isinstance(certificate, dict):
        raise InputError("expected a certificate (a JSON object)", got=type(certificate).__name__)
    claim = certificate.get("claim")
    if claim == "census" or not isinstance(claim, str):
        raise InputError("expected a certificate about one point (claim: a kind such as "
                         "strict-saddle)", field="claim", got=claim)
    if "problem" not in certificate or "point" not in certificate:
        raise InputError("expected the embedded problem and point", field="problem/point")
    problem = problem_from_dict(certificate["problem"])
    _layered(problem)
    point = certificate["point"]
    if not isinstance(point, dict):
        raise InputError("expected an object with weights (or an enclosure's center)",
                         field="point", got=type(point).__name__)
    if "center" in point:                         # an enclosure: draw around its center
        weights, where = point["center"], "point.center"
    elif "weights" in point:
        weights, where = point["weights"], "point.weights"
    else:
        raise InputError("expected weights (or an enclosure's center)", field="point")
    _guard(problem)
    flat = _flat(problem, weights, where)
    evidence = certificate.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise InputError("expected an object", field="evidence", got=type(evidence).__name__)
    lines = tuple(_readable(ln) for ln in _evidence_lines(problem, weights, flat, evidence,
                                                          "evidence"))
    value = certificate.get("value")
    if isinstance(value, dict):                   # an enclosure of the value
        lo, hi = value.get("lower"), value.get("upper")
        value = _enclosed(lo, hi) if lo is not None and hi is not None else None
    elif value is not None:
        value = _short(value)
    return _picture(problem, flat, claim, value, lines)


def picture_of_point(problem, point, claim: str, value=None) -> Picture:
    """A picture without evidence (no certificate, e.g. ``inconclusive``): deterministic
    directions only (see :func:`default_directions`)."""
    _layered(problem)
    _guard(problem)
    flat = _flat(problem, point.weights, "weights")
    return _picture(problem, flat, claim, None if value is None else _short(value), ())


def _picture(problem, flat, claim, value, lines) -> Picture:
    from landscape_proofs.numeric.views import float64_objective

    return Picture(problem=problem, point=flat, claim=claim, value=value, lines=lines,
                   objective=float64_objective(problem))


def _guard(problem) -> None:
    n = int(problem.n_params) if hasattr(problem, "n_params") else None
    if n is not None and n > MAX_PARAMS:
        raise InputError(f"plots handle at most {MAX_PARAMS} parameters", field="widths",
                         got=n)


def _short(x) -> str:
    from landscape_proofs.kernel.numbers import parse_exact
    from landscape_proofs.produce.display import number_text

    try:
        return number_text(parse_exact(x, "value"))
    except InputError:
        return str(x)[:40]


def _enclosed(lo, hi) -> str:
    """An enclosure of the value for people: its midpoint and width (floats)."""
    from landscape_proofs.kernel.numbers import parse_exact

    try:
        a, b = parse_exact(lo, "value.lower"), parse_exact(hi, "value.upper")
        return f"~{float((a + b) / 2):.10g} (enclosed, width {float(b - a):.1e})"
    except (InputError, OverflowError):
        return "enclosed"


def _evidence_lines(problem, weights, flat, ev: dict, where: str):
    """Every direction or curve the evidence names (nested evidence included)."""
    if "direction" in ev:
        yield Line("negative-curvature direction V", "V",
                   (_flat(problem, ev["direction"], f"{where}.direction"),))
    if "curve" in ev:
        yield Line("descent curve C", "C", _curve(problem, ev["curve"], f"{where}.curve"))
    if "ascent_direction" in ev:
        yield Line("ascent direction U", "U",
                   (_flat(problem, ev["ascent_direction"], f"{where}.ascent_direction"),))
    if "ascent_curve" in ev:
        yield Line("ascent curve A", "A", _curve(problem, ev["ascent_curve"],
                                                 f"{where}.ascent_curve"))
    if ev.get("type") == "gradient-entry":
        p = ev.get("index")
        if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p < flat.shape[0]:
            raise InputError(f"expected a parameter index in [0, {flat.shape[0]})",
                             field=f"{where}.index", got=p)
        e = np.zeros_like(flat)
        e[p] = 1.0
        yield Line(f"parameter {p} (nonzero gradient entry)", "e", (e,))
    better = ev.get("better_point")
    if better is None and isinstance(ev.get("spurious"), dict):
        better = ev["spurious"].get("point")
        where_b = f"{where}.spurious.point"
    else:
        where_b = f"{where}.better_point"
    if better is not None:
        yield Line("towards the better point W'", "(W'-W)",
                   (_flat(problem, better, where_b) - flat,), mark=1.0)
    for key in ("local_minimum", "global"):
        if isinstance(ev.get(key), dict):
            yield from _evidence_lines(problem, weights, flat, ev[key], f"{where}.{key}")


def _readable(line: Line) -> Line:
    """The same curve with ``t`` rescaled when the first coefficient's largest entry is far
    from 1 (enclosure certificates carry directions such as 1e7 V): ``C_k -> C_k / s^k`` with
    ``s`` that entry, so ``t`` is in the units of the weights.  Better points keep ``t = 1``."""
    big = float(np.max(np.abs(line.direction))) if line.direction.size else 0.0
    if line.mark is not None or big == 0 or 1e-3 <= big <= 1e3:
        return line
    coefficients = tuple(c / big ** k for k, c in enumerate(line.coefficients, start=1))
    return Line(f"{line.label} (rescaled)", line.symbol, coefficients)


def _curve(problem, coefficients, field: str) -> tuple[np.ndarray, ...]:
    if not isinstance(coefficients, (list, tuple)) or not coefficients:
        raise InputError("expected a non-empty list of weight-shaped coefficients", field=field)
    if len(coefficients) > 16:
        raise InputError("expected at most 16 curve coefficients", field=field,
                         got=len(coefficients))
    return tuple(_flat(problem, c, f"{field}[{k}]") for k, c in enumerate(coefficients))


# --- directions ------------------------------------------------------------------------------
def random_direction(n: int, seed: int, against: list[np.ndarray] = (),
                     norm: float = 1.0) -> np.ndarray | None:
    """A unit Gaussian direction (``numpy.random.default_rng(seed)``) made orthogonal to
    ``against``, scaled to ``norm``; ``None`` when ``against`` already spans everything."""
    rng = np.random.default_rng(seed)
    for _ in range(8):
        v = rng.standard_normal(n)
        for a in against:
            na = float(a @ a)
            if na > 0:
                v = v - (v @ a) / na * a
        nv = float(np.linalg.norm(v))
        if nv > 1e-9:
            return v / nv * norm
    return None


def plane(picture: Picture, seed: int = 0) -> tuple[tuple[np.ndarray, str], ...]:
    """Up to two directions for the 2-D panel with their axis labels: the first two evidence
    directions that are not parallel; otherwise the evidence direction and a random direction
    orthogonal to it (seed ``seed``); without evidence two such random directions.  One
    direction only when the problem has one parameter."""
    chosen: list[tuple[np.ndarray, str]] = []
    for line in picture.lines:
        d = line.direction
        if not np.any(d):
            continue
        if chosen and _parallel(chosen[0][0], d):
            continue
        chosen.append((d, f"{line.symbol}"))
        if len(chosen) == 2:
            return tuple(chosen)
    n = picture.n_params
    norm = float(np.linalg.norm(chosen[0][0])) if chosen else 1.0
    k = 0
    while len(chosen) < 2:
        r = random_direction(n, seed + k, [c[0] for c in chosen], norm)
        if r is None:
            break
        chosen.append((r, f"R{k + 1} (random, seed {seed + k})"))
        k += 1
    return tuple(chosen)


def _parallel(a: np.ndarray, b: np.ndarray) -> bool:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return abs(abs(float(a @ b)) - na * nb) <= 1e-12 * na * nb


def default_span(picture: Picture, direction: np.ndarray) -> float:
    """How far along ``direction`` a figure goes: until the direction's largest entry is 3/4
    of the point's largest entry (at least 3/4)."""
    big = float(np.max(np.abs(direction))) if direction.size else 0.0
    if big == 0:
        return 1.0
    scale = max(1.0, float(np.max(np.abs(picture.point))) if picture.point.size else 1.0)
    return 0.75 * scale / big
