"""``landscape plot PROBLEM POINT --out FILE``: the loss along a certificate's evidence.

With ``--certificate CERT`` the figure follows that certificate (its problem and point must be
PROBLEM and POINT); without it the point is classified first.  The values drawn are float64
(an illustration); the claim in the title is the kernel-checked one.  See docs/plots.md.
"""
from __future__ import annotations

import argparse
import math

from landscape_proofs import api
from landscape_proofs.cli.arguments import seed
from landscape_proofs.cli.output import EXIT_OK, emit_json, examples, precheck_figure
from landscape_proofs.kernel.errors import InputError


def _span(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (math.isfinite(v) and 0 < v <= 1e6):
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1e6], got {text!r}")
    return v


def register(sub) -> None:
    c = sub.add_parser("plot", help="draw the loss along a certificate's evidence (png or svg)",
                       **examples("landscape plot problem.json point.json --out saddle.svg",
                                  "landscape plot problem.json point.json --certificate cert.json "
                                  "--out saddle.png",
                                  "landscape plot problem.json point.json --out f.svg --span 2"))
    c.add_argument("problem", metavar="PROBLEM")
    c.add_argument("point", metavar="POINT")
    c.add_argument("--certificate", metavar="CERT",
                   help="draw this certificate's evidence (default: classify the point first)")
    c.add_argument("--out", metavar="FILE", required=True, help="the figure: FILE.png or FILE.svg")
    c.add_argument("--span", type=_span, metavar="T",
                   help="draw t in [-T, T] along every direction (default: from the scales)")
    c.add_argument("--seed", type=seed, default=0,
                   help="seed of the random direction used when the evidence has fewer than two")
    c.add_argument("--json", action="store_true", help="machine-readable output: the kind, "
                   "the figure's path, the lines and the plane drawn")
    c.set_defaults(func=run)


def run(args) -> int:
    precheck_figure(args.out, "--out")
    problem = api.load_problem(args.problem)
    point = api.load_point(args.point, problem)
    if args.certificate:
        cert = api.read_certificate(args.certificate)
        _same(cert, problem, point, args.certificate)
        fig = api.plot(cert, path=args.out, span=args.span, seed=args.seed)
        claim, value = cert.get("claim"), cert.get("value")
    else:
        result = api.classify(problem, point, seed=args.seed)
        claim = result.kind.value
        value = result.to_json().get("value")
        fig = api.plot(result if result.certificate is not None else problem,
                       None if result.certificate is not None else point,
                       path=args.out, span=args.span, seed=args.seed)
    if args.json:
        emit_json({"kind": claim, "value": value, "figure": args.out, **_drawn(fig)})
    else:
        print(f"{claim}: figure written to {args.out}")
    return EXIT_OK


def _drawn(fig) -> dict:
    """What the figure shows: the legend of each line, the plane's axes (or null)."""
    lines = [ln.get_label() for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) > 1]
    plane = ([fig.axes[1].get_xlabel(), fig.axes[1].get_ylabel()] if len(fig.axes) > 1
             else None)
    return {"lines": lines, "plane": plane}


def _same(cert: dict, problem, point, source: str) -> None:
    """The certificate must be about PROBLEM at POINT (else the figure would mislead)."""
    from landscape_proofs.families.io import problem_from_dict

    if not isinstance(cert, dict) or "problem" not in cert:
        raise InputError("expected a certificate with an embedded problem", source=source,
                         field="problem")
    try:
        embedded = problem_from_dict(cert["problem"])
    except InputError as exc:
        raise InputError(exc.expected, field=f"problem.{exc.field}" if exc.field else "problem",
                         got=exc.got, source=source) from None
    if embedded.to_dict() != problem.to_dict():
        raise InputError("the certificate is about another problem than PROBLEM", source=source,
                         field="problem")
    weights = (cert.get("point") or {}) if isinstance(cert.get("point"), dict) else {}
    given = weights.get("weights", weights.get("center"))
    try:
        same = given is not None and problem.validate_point(given, "point") == point.weights
    except InputError:
        same = False
    if not same and "center" not in weights:
        raise InputError("the certificate is about another point than POINT", source=source,
                         field="point")
