"""Figures (matplotlib, imported inside the functions: ``pip install "landscape-proofs[plot]"``).

* :func:`certificate_figure`: the loss along each line of a certificate's evidence (left) and
  over the plane of two directions (right), the point marked, the claim in the title;
* :func:`summary_figure`: the critical values a search or a census found, by kind.

Figures are built as ``matplotlib.figure.Figure`` objects (no pyplot, no global state) and
saved deterministically (:func:`save_figure`).  Their numbers are float64 illustrations.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.viz.evidence import Picture, default_span, plane

FORMATS = (".png", ".svg")
LINE_POINTS = 201
GRID = 41

# one colour per kind (colour-blind-safe palette), the same in every figure
KIND_COLORS = {
    "global-minimum": "#009E73", "local-minimum": "#56B4E9",
    "spurious-local-minimum": "#D55E00", "strict-saddle": "#E69F00",
    "non-strict-saddle": "#CC79A7", "nonsmooth-saddle": "#CC79A7", "local-maximum": "#0072B2",
    "not-critical": "#999999", "inconclusive": "#000000", "not certified": "#BBBBBB",
}


def require_matplotlib():
    """The matplotlib module, or an :class:`InputError` telling how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise InputError('plots need matplotlib: pip install "landscape-proofs[plot]"') from None
    return matplotlib


def check_output_path(path, option: str = "--out") -> Path:
    """``path`` as a Path ending in .png or .svg (else an InputError naming ``option``)."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise InputError(f"{option}: expected a file name ending in .png or .svg",
                         got=str(path))
    return p


def _new_figure(width: float, height: float):
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save_figure(fig, path) -> Path:
    """Write ``fig`` to ``path`` (.png or .svg), byte for byte the same on every run."""
    p = check_output_path(path)
    import matplotlib

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig.canvas is None or not hasattr(fig.canvas, "print_figure"):
        FigureCanvasAgg(fig)
    svg = p.suffix.lower() == ".svg"
    metadata = {"Date": None} if svg else {"Software": None}
    try:
        with matplotlib.rc_context({"svg.hashsalt": "landscape-proofs", "svg.fonttype": "none"}):
            fig.savefig(p, format=p.suffix[1:].lower(), metadata=metadata)
    except OSError as exc:
        raise InputError(f"cannot write the figure ({exc.strerror})", source=str(p)) from None
    return p


# --- a certificate -------------------------------------------------------------------------
def title_of(picture: Picture) -> str:
    value = "" if picture.value is None else f", value {picture.value}"
    family = getattr(picture.problem, "family", "")
    return f"{picture.claim}{value} ({family}, {picture.n_params} parameters)"


def certificate_figure(picture: Picture, *, ax=None, span: float | None = None,
                       seed: int = 0):
    """The figure of ``picture`` (see the module docstring); returns the Figure.

    With ``ax`` only the 1-D panel is drawn, into ``ax``.  ``span``: how far along each
    line (default :func:`~landscape_proofs.viz.evidence.default_span`); ``seed``: the
    random direction used when the evidence has fewer than two."""
    require_matplotlib()
    directions = plane(picture, seed)
    lines = list(picture.lines)
    if not lines:                 # no evidence: the deterministic directions, as lines
        from landscape_proofs.viz.evidence import Line

        lines = [Line(f"direction {label}", label.split(" ")[0], (d,))
                 for d, label in directions]
    if ax is None:
        two = len(directions) == 2
        fig = _new_figure(11.0 if two else 6.0, 4.6)
        axes = fig.subplots(1, 2) if two else [fig.subplots(1, 1)]
        fig.suptitle(title_of(picture))
    else:
        fig, axes = ax.figure, [ax]
    _draw_lines(axes[0], picture, lines, span)
    if ax is not None:
        axes[0].set_title(title_of(picture), fontsize="medium")
    if len(axes) == 2:
        _draw_plane(axes[1], picture, directions, span)
    return fig


def _draw_lines(ax, picture: Picture, lines, span) -> None:
    for line in lines:
        T = span if span is not None else default_span(picture, line.direction)
        lo = -T if line.mark is None else -0.25 * max(line.mark, T / 4)
        hi = T if line.mark is None else max(1.25 * line.mark, T)
        ts = np.linspace(lo, hi, LINE_POINTS)
        ts[np.argmin(np.abs(ts))] = 0.0     # t = 0 exactly on the grid: the point itself
        ys = picture.values_along(line, ts)
        art, = ax.plot(ts, ys, label=f"L(W + t{line.symbol}{'+...' if len(line.coefficients) > 1 else ''})"
                       f": {line.label}")
        if line.mark is not None:
            ax.plot([line.mark], picture.values_along(line, np.array([line.mark])), "s",
                    color=art.get_color(), label="the better point W'")
    base = picture.values_along(lines[0], np.array([0.0]))
    ax.plot([0.0], base, "o", color="black", label="the point W (t = 0)", zorder=5)
    ax.set_xlabel("t")
    ax.set_ylabel("loss L along the line")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)


def _draw_plane(ax, picture: Picture, directions, span) -> None:
    (d1, l1), (d2, l2) = directions
    T1 = span if span is not None else default_span(picture, d1)
    marks = [ln.mark for ln in picture.lines if ln.mark is not None and ln.direction is d1]
    if marks and span is None:
        T1 = max(T1, 1.25 * max(marks))
    T2 = span if span is not None else default_span(picture, d2)
    s = np.linspace(-T1, T1, GRID)
    t = np.linspace(-T2, T2, GRID)
    Z = picture.values_on_plane(d1, d2, s, t)
    finite = Z[np.isfinite(Z)]
    if finite.size and finite.max() > finite.min():
        # levels at quantiles of the values: the structure near the point stays visible
        levels = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 21)))
        if levels.size >= 2:
            cs = ax.contourf(s, t, Z, levels=levels, cmap="viridis")
            ax.contour(s, t, Z, levels=levels[::2], colors="white", linewidths=0.3)
            ax.figure.colorbar(cs, ax=ax, label="loss (levels at quantiles)")
    ax.plot([0.0], [0.0], "o", color="red", label="the point W")
    for line in picture.lines:
        if line.mark is not None and line.direction is d1:
            ax.plot([line.mark], [0.0], "s", color="white", markeredgecolor="black",
                    label="the better point W'")
    ax.set_xlabel(f"s along {l1}")
    ax.set_ylabel(f"t along {l2}")
    ax.set_title(f"L(W + s {l1.split(' ')[0]} + t {l2.split(' ')[0]})", fontsize="medium")
    ax.legend(fontsize="small", loc="upper right")


# --- a search or a census --------------------------------------------------------------------
def summary_points(summary: dict) -> tuple[str, list[tuple[float, float, str]]]:
    """``(x label, [(x, value, kind), ...])`` from the JSON of ``landscape search`` (x: the
    group id; value: the exact value, the midpoint of its enclosure, or the float hint) or of
    ``landscape census`` (x: the Hessian index, the number of negative eigenvalues)."""
    from landscape_proofs.kernel.numbers import parse_exact

    def number(v):
        if isinstance(v, dict):
            lo, hi = (parse_exact(v[k]) for k in (("lo", "hi") if "lo" in v else
                                                   ("lower", "upper")))
            return float((lo + hi) / 2)
        if isinstance(v, (list, tuple)):
            return float((parse_exact(v[0]) + parse_exact(v[1])) / 2)
        return float(parse_exact(v))

    out = []
    if "groups" in summary:
        for g in summary["groups"]:
            if g.get("value") is not None:
                v = number(g["value"])
            elif g.get("value_enclosure") is not None:
                v = number(g["value_enclosure"])
            elif g.get("value_approx") is not None:
                v = float(g["value_approx"])
            else:
                continue
            out.append((float(g["id"]), v, g.get("kind") or "not certified"))
        return "limit-point group", out
    if summary.get("space") == "product":   # a product census: x is the rank of R_S
        return "rank of the critical product", [(float(p["rank"]), number(p["value"]), p["kind"])
                                                for p in summary["points"]]
    if "points" in summary:
        for p in summary["points"]:
            out.append((float(p["index"]), number(p["value"]), p["kind"]))
        return "Hessian index (negative eigenvalues)", out
    raise InputError("expected a search or census summary (groups or points)")


def summary_figure(summary: dict, title: str | None = None):
    """Critical values found by a search or a census, one colour per kind, counts in the
    legend; returns the Figure."""
    xlabel, pts = summary_points(summary)
    fig = _new_figure(7.0, 4.6)
    ax = fig.subplots(1, 1)
    kinds = sorted({k for _, _, k in pts}, key=lambda k: list(KIND_COLORS).index(k)
                   if k in KIND_COLORS else len(KIND_COLORS))
    for kind in kinds:
        xs = [x for x, _, k in pts if k == kind]
        ys = [v for _, v, k in pts if k == kind]
        ax.scatter(xs, ys, color=KIND_COLORS.get(kind, "#444444"), label=f"{kind} ({len(xs)})",
                   s=36, zorder=3)
    seen: dict[tuple[float, float, str], int] = {}
    for key in pts:
        seen[key] = seen.get(key, 0) + 1
    for (x, v, _), n in seen.items():          # points drawn on top of each other
        if n > 1:
            ax.annotate(f"x{n}", (x, v), textcoords="offset points", xytext=(6, 4),
                        fontsize="small")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.2, y=0.12)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("critical value L(W)")
    complete = summary.get("complete")
    ax.set_title(title or f"{len(pts)} critical point(s) by kind"
                 + ("" if complete is None else f" (complete: {str(bool(complete)).lower()})"))
    if pts:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return fig
