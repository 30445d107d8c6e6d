"""The public Python API of landscape-proofs: the functions the ``landscape`` command calls.

>>> import landscape_proofs as lp
>>> r = lp.classify({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]],
...                  "loss": "square"}, [[[0]], [[0]]])
>>> r.kind.value, r.value, lp.verify(r).holds
('strict-saddle', Fraction(1, 2), True)

A problem may be given as a path, a dict (a parsed problem file) or a loaded problem; a point
as a path, a dict (a parsed point file), a list of weight matrices (nested lists of ints,
``Fraction``s or decimal strings; for a shallow-rank problem the matrix R) or a loaded point.
``classify`` returns a :class:`Result`: ``.kind``, ``.value``, ``.certificate``, ``.explain()``,
``.to_json()``, and an HTML view in Jupyter.

Reading problems and points, classifying a point (exactly, or after refinement), checking
certificates, the theorems, searches, derivations, local openness and the tour.  Errors in
what the caller handed in are :class:`InputError` (a ``ValueError``).

Every producer is imported inside the function that uses it, so ``import
landscape_proofs.api`` stays light (no NumPy, SymPy or mpmath).  The classes named in
``__all__`` are loaded on first access for the same reason.
"""
from __future__ import annotations

import functools
import importlib
import json
import types
from typing import TYPE_CHECKING

from landscape_proofs.kernel.errors import InputError, LandscapeError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from pathlib import Path

    from landscape_proofs.families.base import Point, Problem
    from landscape_proofs.kernel.checker import CheckResult
    from landscape_proofs.openness.common import OpennessDecision
    from landscape_proofs.openness.products import ProbeReport
    from landscape_proofs.produce.classify import Budget, Classification
    from landscape_proofs.produce.refined import RefinedClassification
    from landscape_proofs.produce.shallow import ShallowClassification
    from landscape_proofs.produce.tour import TourReport
    from landscape_proofs.search.multistart import SearchReport
    from landscape_proofs.theorems.base import Theorem, TheoremCheck

# Classes and helpers re-exported on first access (name -> module).
_LAZY = {
    "Budget": "landscape_proofs.produce.classify",
    "Classification": "landscape_proofs.produce.classify",
    "Certificate": "landscape_proofs.produce.certificate",
    "CheckResult": "landscape_proofs.kernel.checker",
    "DeepLinearProblem": "landscape_proofs.families.deep_linear",
    "Kind": "landscape_proofs.produce.kinds",
    "Point": "landscape_proofs.families.deep_linear",
    "classify_refined": "landscape_proofs.produce.refined",
    "point_from_dict": "landscape_proofs.families.io",
    "point_from_torch": "landscape_proofs.families.arrays",
    "problem_from_dict": "landscape_proofs.families.io",
}

__all__ = ["Budget", "Certificate", "CheckResult", "Classification", "DeepLinearProblem",
           "InputError", "Kind", "LandscapeError", "Package", "Point", "Result", "as_point", "as_problem",
           "check", "check_certificate", "classify", "classify_refined", "classify_shallow",
           "derive", "explain", "explain_certificate", "export_torch", "load_point", "load_problem", "openness",
           "point_from_dict", "point_from_torch", "problem_from_dict", "read_certificate", "search", "theorem",
           "theorems", "tour", "verify", "write_certificate"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# --- inputs ---------------------------------------------------------------------------------
def _is_path(x) -> bool:
    import os

    return isinstance(x, (str, os.PathLike))


def load_problem(path: str | Path):
    """Read a problem file (exact numbers); :class:`InputError` names the file and field."""
    from landscape_proofs.families.io import load_problem as _load_problem

    return _load_problem(path)


def load_point(path: str | Path, problem):
    """Read a point file for ``problem`` (a path, a dict or a loaded problem)."""
    from landscape_proofs.families.io import load_point as _load_point

    return _load_point(path, as_problem(problem))


def export_torch(model, path: str | Path) -> dict:
    """Write the weights of a PyTorch ``nn.Sequential`` of bias-free ``nn.Linear`` layers as
    a point file (``{"weights": [W1, ..., WH]}``, each weight its exact binary value) and
    return the point.  ``lp.classify(problem, model)`` takes the model directly too."""
    from landscape_proofs.families.arrays import point_from_torch
    from landscape_proofs.families.io import write_json_atomic
    from landscape_proofs.kernel.numbers import format_exact

    point = point_from_torch(model)
    write_json_atomic(path, {"weights": [[[format_exact(x) for x in row] for row in W]
                                         for W in point["weights"]]})
    return point


def as_problem(problem):
    """A loaded problem from a path, a dict (a parsed problem file) or a loaded problem."""
    if _is_path(problem):
        return load_problem(problem)
    if isinstance(problem, dict):
        from landscape_proofs.families.arrays import exact_values
        from landscape_proofs.families.io import problem_from_dict as _from_dict

        return _from_dict({k: exact_values(v, k) if k in ("X", "Y", "weight_decay") else v
                           for k, v in problem.items()})
    if problem is None or isinstance(problem, (list, tuple, int, float)):
        raise InputError("expected a problem: a path, a dict or a loaded problem",
                         got=type(problem).__name__)
    return problem


def as_point(point, problem):
    """A loaded point of ``problem`` from a path, a dict, a list of weight matrices (nested
    lists of ints, ``Fraction``s or decimal strings; the matrix R for a shallow-rank problem)
    or a loaded point.  Numbers are read exactly; Python floats are refused, NumPy arrays are
    read as exact numbers (a float64 as its exact binary value)."""
    problem = as_problem(problem)
    if _is_path(point):
        return load_point(point, problem)
    from landscape_proofs.families.arrays import is_array, point_from_torch

    if type(point).__module__.startswith("torch."):
        point = point_from_torch(point)
    if is_array(point):
        point = list(point)
    if isinstance(point, (list, tuple)):
        key = "weights" if getattr(problem, "layered", True) else "R"
        point = {key: _rows(point, key)}
    if isinstance(point, dict):
        from landscape_proofs.families.io import point_from_dict as _from_dict

        return _from_dict({k: _rows(v, k) for k, v in point.items()}, problem)
    if point is None or isinstance(point, (int, float, str)):
        raise InputError("expected a point: a path, a dict, a list of matrices or a loaded "
                         "point", got=type(point).__name__)
    return point


def _rows(x, field="weights"):
    """Nested tuples as lists (the readers expect JSON-like lists); NumPy arrays as exact
    numbers (float64 values read as their exact binary value); errors name the position."""
    from landscape_proofs.families.arrays import exact_values

    if isinstance(x, (list, tuple)):
        return [_rows(v, f"{field}[{i}]") for i, v in enumerate(x)]
    return exact_values(x, field)


def _budget(budget: Budget | None, seed: int) -> Budget:
    from landscape_proofs.produce.classify import Budget

    return Budget(seed=seed) if budget is None else budget


# --- classification -------------------------------------------------------------------------
def classify(problem, point, budget: Budget | None = None, *, seed: int = 0,
             refine: bool = False, digits: int | None = None,
             timeout: float | None = None) -> Result:
    """Decide exactly what ``point`` is for ``problem``, with a certificate the kernel checked.

    ``problem``: a path, a dict or a loaded problem; ``point``: a path, a dict, a list of
    weight matrices or a loaded point (see :func:`as_point`).  Returns a :class:`Result`
    wrapping the producer's answer (``.raw``): a ``Classification``, a
    ``RefinedClassification`` (``refine=True``) or a ``ShallowClassification`` (a shallow-rank
    problem: R on the set rank <= p).

    ``budget`` (default ``Budget(seed=seed)``) bounds the producer's searches.  With
    ``refine=True`` the point's numbers are approximations: it is refined to a nearby critical
    point with ``digits`` digits (default 100), which is certified exactly if it is rational
    and by an interval enclosure otherwise (``produce.refined.classify_refined``).

    >>> classify({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"},
    ...          [[[0]], [[0]]]).kind.value
    'strict-saddle'

    With ``timeout`` (seconds) the work runs in a child process that is killed when the
    budget runs out; the answer is then ``inconclusive`` with a reason containing "timeout".
    """
    problem = as_problem(problem)
    point = as_point(point, problem)
    budget = _budget(budget, seed)
    if timeout is not None:
        return _bounded(classify, problem, point, budget, seed=seed, refine=refine,
                        digits=digits, seconds=timeout)
    if not getattr(problem, "layered", True):       # shallow-rank: R on the set rank <= p
        if refine or digits is not None:
            raise InputError("refine applies to deep-linear, multi-tower and "
                             "symmetric-factorization problems")
        return classify_shallow(problem, point, budget)
    if refine:
        from landscape_proofs.produce.classify import Classification, size_refusal
        from landscape_proofs.produce.refined import classify_refined as _classify_refined

        if size_refusal(problem) is not None:      # before the numeric refinement too
            from landscape_proofs.produce.kinds import Kind

            return Result(Classification(Kind.INCONCLUSIVE, None, size_refusal(problem), None,
                                         "none"))

        refined = _classify_refined(problem, point, budget=budget,
                                    digits=100 if digits is None else digits)
        return Result(_global_by_census(problem, None, refined) or
                      _refined_by_snapping(problem, point, refined, budget) or refined)
    if digits is not None:
        raise InputError("digits needs refine=True (exact classification has no precision)")
    from landscape_proofs.produce.classify import classify as _classify

    raw = _classify(problem, point, budget)
    return Result(_global_by_census(problem, point, raw) or raw)


def _global_by_census(problem, point, raw):
    """A local minimum no lower bound decided, of a small instance in the census's scope:
    ``global-minimum`` with the evidence ``census`` when a complete census shows that only
    global roots share its value (:func:`.search.census.global_by_census`; the kernel re-checks
    the census).  ``point`` is the exact point, or None for a ``refine=True`` answer, whose
    certificate (an enclosure of an irrational minimum, or a snapped exact point) then takes
    the census as its global evidence.  None otherwise."""
    from dataclasses import replace

    from landscape_proofs.produce.kinds import Kind
    from landscape_proofs.search.census import global_by_census

    if raw.kind is not Kind.LOCAL_MINIMUM or point is None and not isinstance(raw.certificate, dict):
        return None
    (up,) = global_by_census(problem, [raw.certificate if point is None else (point, raw.value)])
    if up is None:
        return None
    how = "census (every real critical point, certified)"
    return replace(raw, kind=Kind.GLOBAL_MINIMUM, certificate=up[0], reason=up[1],
                   method=how if point is not None else f"{raw.method}; {how}",
                   notes=raw.notes + ("a complete census upgraded the local-minimum answer",))


def _refined_by_snapping(problem, point, raw, budget):
    """An inconclusive ``refine=True`` answer (a critical set larger than the symmetry orbit:
    no enclosure) gets the search's structured rational candidates near the given point
    (:func:`.search.snap.certify_limit_point`, no enclosure): e.g. the circle of minima of
    ``Y = I`` with a bottleneck, whose rational points a projection or a rational point of a
    sphere reaches.  The exact classification made there is the answer; None when that
    certifies nothing."""
    import numpy as np

    from landscape_proofs.kernel.errors import LandscapeError
    from landscape_proofs.produce.kinds import Kind
    from landscape_proofs.produce import refined
    from landscape_proofs.search.dedupe import problem_invariants
    from landscape_proofs.search.snap import _layers, certify_limit_point

    if raw.kind is not Kind.INCONCLUSIVE or not problem.loss.polynomial:
        return None
    try:
        x = np.array([float(q) for W in point.weights for row in W for q in row])
        Ws = [W[None] for W in _layers(problem, x)]
        profile = problem_invariants(problem, Ws, np.zeros(1)).rank_profile(0)
        cert = certify_limit_point(problem, x, profile, budget=budget, use_enclosures=False)
    except (LandscapeError, ArithmeticError, ValueError, np.linalg.LinAlgError):
        return None
    if not cert.certified or cert.point is None or cert.kind is Kind.INCONCLUSIVE:
        return None
    return refined.RefinedClassification(
        kind=cert.kind, reason=cert.reason, method=f"exact classification ({cert.route})",
        certificate=cert.certificate, value=cert.value, snapped=True,
        refinement=raw.refinement, n_params=problem.n_params, notes=raw.notes + (
            f"the enclosure route could not decide ({raw.reason}); an exact critical point "
            f"near the given one ({cert.route}) was classified instead",))


def _bounded(fn, problem, *args, seconds: float, **kwargs) -> Result:
    """``fn`` within ``seconds`` (landscape_proofs.budget); an inconclusive answer if not."""
    from landscape_proofs.budget import run_bounded
    from landscape_proofs.produce.classify import Classification
    from landscape_proofs.produce.kinds import Kind

    out = run_bounded(fn, problem, *args, seconds=seconds, **kwargs)
    if out.done:
        return out.value
    n = sum(r * c for r, c in getattr(problem, "shapes", ()))
    value = run_bounded(_exact_value, problem, args[0], seconds=1.0) if args else None
    return Result(Classification(Kind.INCONCLUSIVE, value.value if value and value.done else None,
                                 out.reason, None, "none", n_params=n))


def _exact_value(problem, point):
    """The point's exact value (None where it is not computable exactly), for a timed-out
    answer: evaluating the objective is cheap next to classifying."""
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.kernel.numbers import to_fraction

    try:
        return to_fraction(exact_objective(problem).value(exact_weights(point)))
    except Exception:   # noqa: BLE001 - a non-polynomial loss, a shallow problem: no value
        return None


def classify_shallow(problem, point, budget: Budget | None = None, *,
                     seed: int = 0) -> Result:
    """Classify R on the set rank <= p of a ``shallow-rank`` problem, through its lift
    (a :class:`Result` wrapping a ``ShallowClassification``)."""
    from landscape_proofs.produce.shallow import classify_shallow as _classify_shallow

    problem = as_problem(problem)
    if getattr(problem, "layered", True):               # only R, not layers: shallow-rank
        raise InputError('expected a problem of the family "shallow-rank"', field="family",
                         got=getattr(problem, "family", None))
    point = as_point(point, problem)
    return Result(_classify_shallow(problem, point, _budget(budget, seed)))


# --- results --------------------------------------------------------------------------------
class Result:
    """A classification, as the API returns it: the producer's answer (``.raw``) plus
    ``.explain()``, ``.certificate_json`` and an HTML view for Jupyter.

    Every attribute of the answer is available directly: ``.kind`` (a :class:`Kind`, equal to
    its string such as ``"strict-saddle"``), ``.value`` (exact, or ``None``), ``.reason``,
    ``.certificate`` (``None`` when inconclusive), ``.inertia``, ``.notes``, ``.to_json()``.
    """

    __slots__ = ("raw",)

    def __init__(self, raw):
        object.__setattr__(self, "raw", raw)

    def __getattr__(self, name):
        if name == "raw":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.raw, name)

    def __setattr__(self, name, value):
        raise AttributeError("a Result is read-only")

    def __getstate__(self):
        return self.raw

    def __setstate__(self, raw):
        object.__setattr__(self, "raw", raw)

    def __eq__(self, other):
        return isinstance(other, Result) and self.raw == other.raw

    def __hash__(self):
        return hash(self.raw)

    @property
    def certificate_json(self) -> dict | None:
        """The certificate as a dict (what ``landscape verify`` reads), or ``None``."""
        return _certificate_dict(self.raw.certificate)

    def to_json(self) -> dict:
        """The same JSON as ``landscape classify --json``."""
        return self.raw.to_json()

    def explain(self) -> str:
        """The certificate in plain language (what is claimed, why, how the kernel checked
        it); for an inconclusive answer, its reason."""
        cert = self.certificate_json
        if cert is None:
            return f"No certificate ({self.raw.kind.value}): {self.raw.reason}"
        return explain_certificate(cert)

    def plot(self, path: str | Path | None = None, ax=None, *, span: float | None = None,
             seed: int = 0):
        """The certificate's evidence as a figure (see :func:`plot`); saved to ``path`` (.png
        or .svg) when given.  Returns the matplotlib Figure."""
        return plot(self, path=path, ax=ax, span=span, seed=seed)

    def __repr__(self) -> str:
        from landscape_proofs.produce.display import number_text

        value = getattr(self.raw, "value", None)
        shown = "None" if value is None else number_text(value)
        return (f"<Result {self.raw.kind.value}, value {shown}, "
                f"{'certified' if self.raw.certificate is not None else 'no certificate'}>")

    def _repr_latex_(self) -> str:
        """The kind and the exact value (or the enclosure of the value) as LaTeX, for
        notebooks exported to LaTeX/PDF (Jupyter shows the HTML view first)."""
        value = getattr(self.raw, "value", None)
        enclosure = getattr(self.raw, "value_enclosure", None)
        if value is not None:
            shown = f"L = {_latex_number(value)}"
        elif enclosure is not None:
            shown = rf"L \in \left[{_latex_number(enclosure[0])}, {_latex_number(enclosure[1])}\right]"
        else:
            shown = r"L \text{ not computed exactly}"
        cert = (r"\text{certified}" if self.raw.certificate is not None
                else r"\text{no certificate}")
        return rf"$\text{{{self.raw.kind.value}}}:\ {shown}\ ({cert})$"

    def _repr_html_(self) -> str:
        import html

        from landscape_proofs.produce.display import abbreviate, number_text

        value = getattr(self.raw, "value", None)
        enclosure = getattr(self.raw, "value_enclosure", None)
        if value is not None:
            shown = number_text(value)
        elif enclosure is not None:   # a refined point: the value of the enclosed point
            shown = f"in [{number_text(enclosure[0])}, {number_text(enclosure[1])}]"
        else:
            shown = "not computable exactly"
        rows = [("kind", self.raw.kind.value),
                ("value", shown),
                ("reason", abbreviate(self.raw.reason)),
                ("certificate", "checked by the kernel" if self.raw.certificate is not None
                 else "none")]
        inertia = getattr(self.raw, "inertia", None)
        if inertia is not None:
            rows.insert(2, ("Hessian inertia (+, -, 0)", str(tuple(inertia))))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                       for k, v in rows)
        out = f"<table>{body}</table>"
        if self.raw.certificate is not None:
            out += (f"<details><summary>why (explain)</summary><pre>"
                    f"{html.escape(abbreviate(self.explain()))}</pre></details>")
        return out


def _latex_number(q) -> str:
    """An exact rational in LaTeX (``\frac{p}{q}``); beyond about 60 digits, its value to 12
    significant digits with ``\approx`` (human output abbreviates; the JSON stays exact)."""
    from fractions import Fraction

    q = Fraction(q)
    if len(str(q)) > 60:
        return rf"\approx {float(q):.12g}"
    if q.denominator == 1:
        return str(q.numerator)
    sign = "-" if q < 0 else ""
    return rf"{sign}\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _certificate_dict(cert) -> dict | None:
    if cert is None or isinstance(cert, dict):
        return cert
    return cert.to_json()


# --- certificates ---------------------------------------------------------------------------
def read_certificate(path: str | Path) -> dict:
    """Read a certificate file (exact numbers; strict JSON, see families/io.py)."""
    from landscape_proofs.families.io import read_json

    return read_json(path)


def write_certificate(certificate, path: str | Path) -> None:
    """Write a certificate (a :class:`Certificate` or its dict) to ``path``."""
    from landscape_proofs.produce.certificate import write_certificate as _write_certificate

    _write_certificate(certificate, path)


def check_certificate(certificate: dict) -> CheckResult:
    """The trusted kernel's verdict on a certificate (a dict), recomputed from scratch."""
    from landscape_proofs.kernel.checker import check_certificate as _check_certificate

    return _check_certificate(certificate)


def _as_certificate(certificate) -> dict:
    """A certificate dict from a dict, a path, a :class:`Certificate` or a result with one."""
    if _is_path(certificate):
        return read_certificate(certificate)
    if isinstance(certificate, dict):
        return certificate
    if hasattr(certificate, "to_json") and hasattr(certificate, "evidence"):  # a Certificate
        return certificate.to_json()
    if hasattr(certificate, "certificate"):                                 # a result
        cert = _certificate_dict(certificate.certificate)
        if cert is None:
            kind = getattr(getattr(certificate, "kind", None), "value", "inconclusive")
            raise InputError(f"this result has no certificate ({kind})")
        return cert
    raise InputError("expected a certificate: a dict, a path, or a result with a certificate",
                     got=type(certificate).__name__)


def verify(certificate, *, timeout: float | None = None) -> CheckResult:
    """The kernel's verdict (``.holds``, ``.reason``) on a certificate: a dict, the path of a
    certificate file, a :class:`Certificate`, or a result that has a certificate.

    A search summary (``search.json``, written by ``landscape search --out DIR``) is accepted
    too: every group it reports as certified is re-checked through its certificate file
    (relative to the summary's folder when the recorded path is gone), and the group's kind
    must be the certificate's claim.  So is a campaign's results file (``*.jsonl``, written by
    ``landscape campaign --out``): every certified group of every finished task is re-checked
    through the certificate its line carries.

    With ``timeout`` (seconds) the kernel runs in a child process that is killed when the
    budget runs out; the verdict is then "not established" with a reason containing "timeout".
    """
    from pathlib import Path

    if _is_path(certificate) and str(certificate).endswith(".jsonl"):   # campaign results
        fn, args, claim = _verify_campaign_results, (certificate,), "campaign-results"
    else:
        data = _as_certificate(certificate)
        if isinstance(data, dict) and "format" not in data and isinstance(data.get("groups"), list):
            folder = Path(certificate).parent if _is_path(certificate) else None
            fn, args, claim = _verify_search_summary, (data, folder), "search-summary"
        elif isinstance(data, dict) and "format" not in data and "experiment" in data:
            fn, args, claim = _verify_experiment, (certificate,), "experiment"
        else:
            fn, args = check_certificate, (data,)
            claim = data.get("claim") if isinstance(data, dict) else None
            claim = claim if isinstance(claim, str) else "certificate"
    if timeout is None:
        return fn(*args)
    from landscape_proofs.budget import run_bounded
    from landscape_proofs.kernel.verdict import CheckResult as _Verdict

    out = run_bounded(fn, *args, seconds=timeout)
    if out.done:
        return out.value
    return _Verdict(False, claim, f"not established: {out.reason}")


def _verify_experiment(source) -> CheckResult:
    """An experiment's JSON (``landscape experiment --out``) records float measurements, not
    certified claims: what can be re-checked is that its summary is the summary of its runs
    (recomputed here)."""
    import json
    import math

    from landscape_proofs.kernel.verdict import CheckResult as _Verdict
    from landscape_proofs.search.experiment import summarize

    if _is_path(source):
        try:
            with open(source, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the experiment ({type(exc).__name__})",
                             source=str(source)) from None
    else:
        data = source
    try:
        again = summarize(data["runs"])
    except (KeyError, TypeError, ValueError) as exc:
        return _Verdict(False, "experiment", f"its runs cannot be summarised ({exc!r})")

    def same(a, b):
        if isinstance(a, float) or isinstance(b, float):
            return isinstance(a, (int, float)) and isinstance(b, (int, float)) and (
                math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) or a != a and b != b)
        return a == b
    recorded = data.get("summary")
    if not isinstance(recorded, list) or len(recorded) != len(again) or any(
            set(r) != set(s) or not all(same(r[k], s[k]) for k in r)
            for r, s in zip(recorded, again)):
        return _Verdict(False, "experiment", "its summary is not the summary of its runs")
    return _Verdict(True, "experiment", f"measurements, not a certified claim: the summary of "
                    f"{len(data['runs'])} runs was recomputed and agrees")


def _verify_search_summary(data: dict, folder) -> CheckResult:
    """``folder``: the summary file's directory, where search wrote its certificates; each
    referenced file is read there by its name (never from the recorded path, which is
    relative to wherever search ran: a copied and edited folder must not be checked against
    the original's files).  None (a summary given as a dict): the recorded paths."""
    from pathlib import Path

    from landscape_proofs.kernel.verdict import CheckResult as _Verdict

    def where(name: str) -> Path:
        return Path(name) if folder is None else Path(folder) / Path(name).name

    checked, problems = 0, []
    for g in data["groups"]:
        if not isinstance(g, dict) or not g.get("certified"):
            continue                       # reported, not claimed: nothing to re-check
        inline = data.get("certificates")
        name = g.get("certificate_file")
        if isinstance(inline, dict) and str(g.get("id")) in inline:   # a campaign result line
            cert = inline[str(g.get("id"))]
        elif not isinstance(name, str):
            problems.append(f"group {g.get('id')}: certified, but no certificate file")
            continue
        else:
            try:
                cert = read_certificate(where(name))
            except InputError as exc:
                problems.append(f"group {g.get('id')}: {exc}")
                continue
        verdict = check_certificate(cert)
        checked += 1
        if verdict.valid:
            verdict = _summary_numbers(data, g, cert) or verdict
        if not verdict.valid:
            problems.append(f"group {g.get('id')}: {verdict.reason}")
        elif cert.get("claim") != g.get("kind"):
            problems.append(f"group {g.get('id')}: reported {g.get('kind')!r}, but its "
                            f"certificate claims {cert.get('claim')!r}")
        box = g.get("box_certificate_file")   # the box holding the group's runs (docs/search.md)
        if isinstance(box, str):
            try:
                hcert = read_certificate(where(box))
                verdict = check_certificate(hcert)
                if verdict.valid:
                    verdict = _box_holds(cert, hcert, g.get("box_farthest")) or verdict
            except InputError as exc:
                verdict = _Verdict(False, "box", str(exc))
            checked += 1
            if not verdict.valid or verdict.claim != g.get("kind"):
                problems.append(f"group {g.get('id')}: its box certificate does not hold as "
                                f"{g.get('kind')!r} ({verdict.reason})")
    problems += _summary_totals(data)
    if problems:
        return _Verdict(False, "search-summary", "; ".join(problems))
    return _Verdict(True, "search-summary", f"every certified group holds ({checked} "
                    "certificates re-checked by the kernel)")


def _same_json(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _summary_numbers(data: dict, g: dict, cert: dict):
    """None when a certified group says what its (re-checked) certificate proves: the same
    problem and point, its exact value or an enclosure holding the certificate's; else a
    failed verdict.  A summary's numbers are claims too (a tampered value must not pass)."""
    from landscape_proofs.kernel.numbers import parse_exact
    from landscape_proofs.kernel.verdict import CheckResult as _Verdict

    def bad(why):
        return _Verdict(False, "search-summary", why)

    try:
        if not _same_json(data.get("problem"), cert.get("problem")):
            return bad("the summary's problem is not its certificate's")
        if g.get("point") is not None and not _same_json(g["point"], cert.get("point")):
            return bad("its point is not its certificate's point")
        recorded = cert.get("value")
        if g.get("value") is not None:
            if isinstance(recorded, dict) or recorded is None or \
                    parse_exact(g["value"], "value") != parse_exact(recorded, "value"):
                return bad(f"value {g['value']} is not its certificate's value {recorded}")
        enc = g.get("value_enclosure")
        if enc is not None:
            if not isinstance(recorded, dict):
                return bad("a value enclosure, but its certificate records no enclosure")
            if not (parse_exact(enc.get("lo"), "lo") <= parse_exact(recorded.get("lower"), "lower")
                    and parse_exact(recorded.get("upper"), "upper")
                    <= parse_exact(enc.get("hi"), "hi")):
                return bad("its value enclosure does not hold its certificate's enclosure")
        if g.get("value") is None and enc is None:
            return bad("certified, but neither a value nor a value enclosure")
    except (InputError, AttributeError, TypeError) as exc:
        return bad(f"its numbers cannot be read ({exc})")
    return None


def _summary_totals(data: dict) -> list[str]:
    """The summary's global value and undecided count, re-derived: an exact global value must
    be the value of a certified global-minimum group or the problem's closed form (recomputed
    here exactly); the undecided runs are those of the groups not certified."""
    from landscape_proofs.kernel.numbers import parse_exact

    problems = []
    groups = [g for g in data["groups"] if isinstance(g, dict)]
    try:
        undecided = sum(int(g.get("starts", 0)) for g in groups if not g.get("certified"))
        for g in groups:                  # a box holds at most the group's runs
            n_box, n = g.get("runs_in_certified_box"), int(g.get("starts", 0))
            if n_box is not None and not 0 <= int(n_box) <= n:
                problems.append(f"group {g.get('id')}: {n_box} runs in its box, of {n}")
        if "starts_run" in data:          # every run is in a group, stopped short or diverged
            parts = (sum(int(g.get("starts", 0)) for g in groups)
                     + int(data.get("stopped_short", 0)) + int(data.get("diverged", 0)))
            if parts != int(data["starts_run"]):
                problems.append(f"{data['starts_run']} starts run, but the groups, the stopped "
                                f"and the diverged runs add up to {parts}")
        if "undecided" in data and int(data["undecided"]) != undecided:
            problems.append(f"undecided: {data['undecided']} reported, {undecided} runs are in "
                            "groups not certified")
        gv = data.get("global_value")
        claimed = gv.get("value") if isinstance(gv, dict) else None
        if claimed is not None:
            claimed = parse_exact(claimed, "global_value.value")
            reached = [parse_exact(g["value"], "value") for g in groups
                       if g.get("certified") and g.get("kind") == "global-minimum"
                       and g.get("value") is not None]
            if claimed not in reached and claimed != _closed_form_value(data.get("problem")):
                problems.append(f"global value {gv['value']}: neither the value of a certified "
                                "global minimum reported nor the problem's exact closed form")
    except (InputError, AttributeError, TypeError, ValueError) as exc:
        problems.append(f"the summary's totals cannot be read ({exc})")
    return problems


def _closed_form_value(problem_dict):
    """The exact closed-form global value the search reports, recomputed (None if none)."""
    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.search.multistart import global_value

    try:
        return global_value(problem_from_dict(problem_dict)).value
    except (InputError, LandscapeError):
        return None


def _box_holds(cert: dict, box: dict, farthest):
    """None when the box certificate ``box`` has the problem, slice (free coordinates, center)
    and claim of the group's certificate ``cert``, a radius at least its radius (so it holds
    its box) and at least ``farthest`` (the runs counted in it); else a failed verdict."""
    from landscape_proofs.kernel.numbers import parse_exact
    from landscape_proofs.kernel.verdict import CheckResult as _Verdict

    p, q = cert.get("point") or {}, box.get("point") or {}
    need = [p.get("radius", 0)] + ([] if farthest is None else [farthest])
    if cert.get("problem") != box.get("problem") or cert.get("claim") != box.get("claim") or \
            p.get("free") != q.get("free") or p.get("center") != q.get("center"):
        return _Verdict(False, "box", "not the problem, claim, center and slice of the group's "
                                      "certificate")
    if any(parse_exact(q.get("radius"), "box radius") < parse_exact(r, "radius") for r in need):
        return _Verdict(False, "box", f"its radius {q.get('radius')} is below the group "
                                      f"certificate's radius or the farthest run ({farthest})")
    return None


def _verify_campaign_results(path) -> CheckResult:
    """A campaign's results file (one JSON line per task, ``landscape campaign --out``): every
    certified group of every finished task is re-checked through the certificate its line
    carries, and must claim the group's kind.  Lines of tasks that failed claim nothing."""
    from landscape_proofs.families.io import loads_exact
    from landscape_proofs.kernel.verdict import CheckResult as _Verdict

    try:
        with open(path, encoding="utf-8") as fh:
            lines = [line for line in fh if line.strip()]
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the results file ({type(exc).__name__})",
                         source=str(path)) from None
    checked, failed, problems = 0, 0, []
    for i, line in enumerate(lines, start=1):
        row = loads_exact(line, f"{path}, line {i}")
        if not isinstance(row, dict) or row.get("status") not in ("ok", "error"):
            raise InputError("expected a campaign result line (status ok or error)",
                             source=f"{path}, line {i}")
        if row["status"] == "error":
            failed += 1
            continue
        result = row.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("groups"), list):
            raise InputError("expected a search result with groups", source=f"{path}, line {i}")
        verdict = _verify_search_summary(result, None)
        checked += sum(1 for g in result["groups"] if isinstance(g, dict) and g.get("certified"))
        if not verdict.valid:
            problems.append(f"{row.get('id', f'line {i}')}: {verdict.reason}")
    if problems:
        return _Verdict(False, "campaign-results", "; ".join(problems))
    tail = f"; {failed} failed task(s) claim nothing" if failed else ""
    return _Verdict(True, "campaign-results", f"every certified group of {len(lines) - failed} "
                    f"task(s) holds ({checked} certificates re-checked by the kernel){tail}")


def explain_certificate(certificate, *, as_json: bool = False) -> str | dict:
    """A certificate (as :func:`verify` takes it) in plain language: what it claims, why that
    follows (numbers recomputed by the kernel's own objects) and the kernel's verdict; with
    ``as_json`` the dict ``{"claim", "holds", "summary", "argument", "checked"}``."""
    from landscape_proofs.produce.explain import certificate_explanation, render_explanation

    data = certificate_explanation(_as_certificate(certificate))
    return data if as_json else render_explanation(data)


# --- theorems -------------------------------------------------------------------------------
def theorems() -> tuple[Theorem, ...]:
    """The registered theorems, in the registry's order."""
    from landscape_proofs.theorems.registry import THEOREMS

    return THEOREMS


def theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; :class:`InputError` listing the known ids otherwise."""
    from landscape_proofs.theorems.registry import get_theorem

    return get_theorem(theorem_id)


def explain(which, *, as_json: bool = False) -> str | dict:
    """Plain language about a theorem or a certificate (text, or a dict with ``as_json``).

    ``which``: a theorem id or :class:`Theorem` (its statement, source, checks and caveats),
    or a certificate: a dict, a path ending in ``.json`` or naming an existing file, a
    :class:`Certificate`, or a result with a certificate (see :func:`explain_certificate`).
    """
    import os

    if (isinstance(which, str) and _names_a_file(which)) or isinstance(which, (dict, os.PathLike)) \
            or hasattr(which, "certificate") or hasattr(which, "evidence"):
        return explain_certificate(which, as_json=as_json)
    from landscape_proofs.theorems.report import explain_json, explain_text

    t = theorem(which) if isinstance(which, str) else which
    return explain_json(t) if as_json else explain_text(t)


def _names_a_file(text: str) -> bool:
    import os

    return text.lower().endswith(".json") or os.path.isfile(text)


def check(which: str | Theorem, problem, point=None, *, seed: int = 0,
          budget: int | None = None, timeout: float | None = None) -> TheoremCheck:
    """Check a theorem's assumptions on ``problem`` and test its conclusion there (at
    ``point`` too, when given).  ``result.counterexample`` is set only when every assumption
    holds and the conclusion fails.  ``budget``: scale the internal descent search with the
    instance (``theorems.runner.scaled_budget``); ``result.search`` says how much ran.  With
    ``timeout`` (seconds) the check runs in a child process killed when the budget runs out;
    the conclusion is then ``inconclusive`` with a reason containing "timeout" and the
    assumptions are reported as not checked."""
    from landscape_proofs.theorems.runner import check_with_budget

    t = theorem(which) if isinstance(which, str) else which
    problem = as_problem(problem)
    point = None if point is None else as_point(point, problem)
    if timeout is None:
        return check_with_budget(t, problem, point, budget=budget, seed=seed)
    from landscape_proofs.budget import run_bounded
    from landscape_proofs.theorems.base import (AssumptionCheck, ConclusionResult,
                                                ConclusionStatus, TheoremCheck)

    out = run_bounded(check_with_budget, t, problem, point, budget=budget, seed=seed,
                      seconds=timeout)
    if out.done:
        return out.value
    return TheoremCheck(t.id, (AssumptionCheck("checked within the time budget", None,
                                               out.reason),),
                        ConclusionResult(ConclusionStatus.INCONCLUSIVE, out.reason))


# --- search, derivation, openness, tour ----------------------------------------------------
def search(problem, *, starts: int = 200, seed: int = 0, method: str = "hybrid",
           progress=None, out_dir: str | Path | None = None,
           timeout: float | None = None) -> SearchReport:
    """Multi-start descent on ``problem``; classify and certify every limit point reached.

    ``method``: ``"hybrid"`` (gradient steps, then saddle-free Newton), ``"newton"`` or
    ``"gradient"``.  ``progress(done, total, stage)`` is called as work completes; with
    ``out_dir`` the certificates and ``search.json`` are written there.  With ``timeout``
    (seconds), or on Ctrl-C while certifying, the groups not yet classified stay so and the
    report says ``complete: false``; everything finished is kept (and written).
    """
    from landscape_proofs.search.local import DescentConfig
    from landscape_proofs.search.multistart import SearchConfig
    from landscape_proofs.search.multistart import search as _search

    cfg = SearchConfig(starts=starts, seed=seed, descent=DescentConfig(method=method),
                       timeout=timeout)
    return _search(as_problem(problem), cfg, progress=progress, out_dir=out_dir)


def census(problem, *, timeout: float = 60.0, max_boxes: int = 200000,
           algebra_timeout: float = 10.0):
    """Every real critical point of a small weight-decayed instance, each certified, with a
    completeness certificate the kernel re-checks (docs/census.md).  Returns a
    ``CensusReport``: ``.complete``, ``.reason``, ``.real_count``, ``.complex_count`` (by a
    Groebner basis within ``algebra_timeout`` seconds), ``.kinds``, ``.points``,
    ``.certificate`` (``lp.verify(report.certificate)``), ``.to_json()``."""
    from landscape_proofs.search.census import census as _census

    return _census(as_problem(problem), timeout=timeout, max_boxes=max_boxes,
                   algebra_timeout=algebra_timeout)


class _SearchEntry:
    """``landscape_proofs.search``: the function :func:`search` that also gives access to the
    subpackage of the same name (``landscape_proofs.search.multistart`` ...), which the package
    attribute would otherwise be rebound to."""

    def __init__(self):
        functools.update_wrapper(self, search)

    def __call__(self, *args, **kwargs):
        return search(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        package = importlib.import_module("landscape_proofs.search")
        try:
            return getattr(package, name)
        except AttributeError:
            return importlib.import_module(f"landscape_proofs.search.{name}")

    def __repr__(self) -> str:
        return "<function landscape_proofs.search (also the subpackage landscape_proofs.search)>"


search_entry = _SearchEntry()


class Package(types.ModuleType):
    """The module type of ``landscape_proofs`` itself: when the subpackage
    ``landscape_proofs.search`` is imported, the import system sets the package attribute
    ``search`` to it; this keeps :data:`search_entry` (the function, which forwards attribute
    access to the subpackage) instead.  Everything else is a plain module."""

    def __setattr__(self, name, value):
        if name == "search" and isinstance(value, types.ModuleType) \
                and value.__name__ == "landscape_proofs.search":
            return
        super().__setattr__(name, value)


def derive(problem, *, latex: bool = False, as_json: bool = False) -> str | dict:
    """The objective, gradient and Hessian formulas of ``problem`` (SymPy): plain text, LaTeX
    with ``latex``, or ``{"plain": ..., "latex": ...}`` with ``as_json``.

    Handles deep-linear (and matrix-factorization), multi-tower and symmetric-factorization
    problems; :class:`InputError` for other families and for numbers too long to print.
    """
    from landscape_proofs.symbolic.derive import FAMILIES, derivation, render_derivation

    problem = as_problem(problem)
    if getattr(problem, "family", None) not in FAMILIES:  # e.g. shallow-rank (issue 4)
        raise InputError("landscape derive handles deep-linear problems (and matrix-factorization, "
                         "which loads as one), multi-tower and symmetric-factorization",
                         field="family", got=getattr(problem, "family", None))
    try:
        d = derivation(problem)
        if as_json:
            return {"plain": render_derivation(d, latex=False),
                    "latex": render_derivation(d, latex=True)}
        return render_derivation(d, latex=latex)
    except ValueError as exc:
        # SymPy prints integers with str(), which Python refuses past 4300 digits.
        if "integer string conversion" not in str(exc):
            raise
        raise InputError("expected numbers short enough to print as formulas (at most 4300 "
                         "digits; classify and verify have no such limit)") from None


#: the float probe's Gauss-Newton steps solve dense least-squares problems with the product's
#: Jacobian (d_H d_0 x N); above this many parameters it is skipped (minutes at 4,608)
PROBE_MAX_PARAMETERS = 1000


def probe_refusal(problem) -> str | None:
    """Why ``openness`` skips its float probe on ``problem``, or None when it runs it."""
    n = as_problem(problem).n_params
    if n > PROBE_MAX_PARAMETERS:
        return (f"skipped: {n} parameters > {PROBE_MAX_PARAMETERS} (its dense least-squares "
                "steps would take minutes; the exact decision above does not depend on it)")
    return None


def openness(problem, point, *, probe: bool = True, targets: int = 8,
             seed: int = 0) -> tuple[OpennessDecision, ProbeReport | None]:
    """The exact local-openness decision for the problem's product map at ``point``, and
    (unless ``probe=False``, or above :data:`PROBE_MAX_PARAMETERS` parameters) a float64 probe
    that tries ``targets`` random nearby targets; the probe never changes the verdict."""
    from landscape_proofs.openness.dispatch import decide_openness, point_factors
    from landscape_proofs.openness.products import probe_openness

    problem = as_problem(problem)
    point = as_point(point, problem)
    decision = decide_openness(problem, point)
    report = None
    if probe and probe_refusal(problem) is None:
        kind, factors = point_factors(problem, point)
        report = probe_openness(kind, factors, decision, targets=targets, seed=seed)
    return decision, report


def tour(out_dir: str | Path | None = None) -> TourReport:
    """Classify and verify the bundled examples (certificates written to ``out_dir``)."""
    from pathlib import Path

    from landscape_proofs.produce.tour import run_tour

    return run_tour(out_dir=None if out_dir is None else Path(out_dir))


# --- figures --------------------------------------------------------------------------------
def plot(what, point=None, *, path: str | Path | None = None, ax=None,
         span: float | None = None, seed: int = 0):
    """A matplotlib Figure (saved to ``path``, .png or .svg, when given; float64 values: an
    illustration, not a proof).  Needs the ``plot`` extra.

    ``what``: a result or certificate (a :class:`Result`, a certificate dict or path, a
    :class:`Certificate`): the loss along the evidence's directions and curves and over the
    plane of two of them; a problem together with ``point``: classified first (without a
    certificate, e.g. ``inconclusive``, along deterministic random directions of seed
    ``seed``); a search or census report (or its JSON): the critical values found, by kind.
    With ``ax`` a certificate's 1-D panel is drawn into that axes.  ``span``: how far along
    each direction.
    """
    from landscape_proofs import viz

    viz.require_matplotlib()
    if path is not None:
        viz.check_output_path(path, "path")
    if point is not None:
        problem = as_problem(what)
        loaded = as_point(point, problem)
        what = classify(problem, loaded, seed=seed)
        if what.certificate is None:
            picture = viz.picture_of_point(problem, loaded, what.kind.value,
                                           getattr(what, "value", None))
            return _save(viz.certificate_figure(picture, ax=ax, span=span, seed=seed), path)
    summary = what.to_json() if hasattr(what, "to_json") and hasattr(what, "table") else what
    if isinstance(summary, dict) and ("groups" in summary or "points" in summary) \
            and "claim" not in summary:
        return _save(viz.summary_figure(summary), path)
    picture = viz.picture_of_certificate(_as_certificate(what))
    return _save(viz.certificate_figure(picture, ax=ax, span=span, seed=seed), path)


def _save(fig, path):
    if path is not None:
        from landscape_proofs.viz import save_figure

        save_figure(fig, path)
    return fig


def example(name: str) -> dict:
    """A bundled example (``landscape tour``; docs/examples.md) by name: ``{"name",
    "description", "problem": a loaded problem, "points": {point name: a loaded point}}``."""
    from landscape_proofs.produce.tour import example_files, load_example

    names = {p.name[:-len(".json")]: p for p in example_files()}
    if name not in names:
        raise InputError(f"expected one of {', '.join(sorted(names))}", field="example",
                         got=name)
    ex = load_example(names[name])
    problem = as_problem(ex["problem"])
    return {"name": ex["name"], "description": ex.get("description", ""), "problem": problem,
            "points": {pt["name"]: as_point({"weights": pt["weights"]}, problem)
                       for pt in ex["points"]}}


__all__ += ["census", "example", "plot"]
