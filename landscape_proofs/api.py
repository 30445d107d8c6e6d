"""The public Python API of landscape-proofs: the functions the ``landscape`` command calls.

>>> from landscape_proofs.api import classify, load_problem, load_point, check_certificate

Reading problems and points, classifying a point (exactly, or after refinement), checking
certificates, the theorems, searches, derivations, local openness and the tour.  Errors in
what the caller handed in are :class:`InputError` (a ``ValueError``).

Every producer is imported inside the function that uses it, so ``import
landscape_proofs.api`` stays light (no NumPy, SymPy or mpmath).  The classes named in
``__all__`` are loaded on first access for the same reason.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from landscape_proofs.kernel.errors import InputError, LandscapeError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from pathlib import Path

    from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
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
    "problem_from_dict": "landscape_proofs.families.io",
}

__all__ = ["Budget", "Certificate", "CheckResult", "Classification", "DeepLinearProblem",
           "InputError", "Kind", "LandscapeError", "Point", "check", "check_certificate",
           "classify", "classify_refined", "classify_shallow", "derive", "explain",
           "load_point", "load_problem", "openness", "point_from_dict", "problem_from_dict",
           "read_certificate", "search", "theorem", "theorems", "tour", "verify",
           "write_certificate"]


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
def load_problem(path: str | Path):
    """Read a problem file (exact numbers); :class:`InputError` names the file and field."""
    from landscape_proofs.families.io import load_problem as _load_problem

    return _load_problem(path)


def load_point(path: str | Path, problem):
    """Read a point file for ``problem`` (exact numbers, shapes checked)."""
    from landscape_proofs.families.io import load_point as _load_point

    return _load_point(path, problem)


def _budget(budget: Budget | None, seed: int) -> Budget:
    from landscape_proofs.produce.classify import Budget

    return Budget(seed=seed) if budget is None else budget


# --- classification -------------------------------------------------------------------------
def classify(problem: DeepLinearProblem, point: Point, budget: Budget | None = None, *,
             seed: int = 0, refine: bool = False,
             digits: int | None = None) -> Classification | RefinedClassification:
    """Decide exactly what ``point`` is for ``problem``, with a certificate the kernel checked.

    ``budget`` (default ``Budget(seed=seed)``) bounds the producer's searches.  With
    ``refine=True`` the point's numbers are approximations: it is refined to a nearby critical
    point with ``digits`` digits (default 100), which is certified exactly if it is rational
    and by an interval enclosure otherwise (``produce.refined.classify_refined``).

    >>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]],
    ...                        "loss": "square"})
    >>> classify(p, point_from_dict({"weights": [[[0]], [[0]]]}, p)).kind.value
    'strict-saddle'
    """
    budget = _budget(budget, seed)
    if refine:
        from landscape_proofs.produce.refined import classify_refined as _classify_refined

        return _classify_refined(problem, point, digits=100 if digits is None else digits,
                                 budget=budget)
    if digits is not None:
        raise InputError("digits needs refine=True (exact classification has no precision)")
    from landscape_proofs.produce.classify import classify as _classify

    return _classify(problem, point, budget)


def classify_shallow(problem, point, budget: Budget | None = None, *,
                     seed: int = 0) -> ShallowClassification:
    """Classify R on the set rank <= p of a ``shallow-rank`` problem, through its lift."""
    from landscape_proofs.families.shallow_rank import ShallowRankProblem
    from landscape_proofs.produce.shallow import classify_shallow as _classify_shallow

    if not isinstance(problem, ShallowRankProblem):
        raise InputError('expected a problem of the family "shallow-rank"', field="family",
                         got=getattr(problem, "family", None))
    return _classify_shallow(problem, point, _budget(budget, seed))


# --- certificates ---------------------------------------------------------------------------
def read_certificate(path: str | Path) -> dict:
    """Read a certificate file (exact numbers)."""
    from landscape_proofs.produce.certificate import read_certificate as _read_certificate

    return _read_certificate(path)


def write_certificate(certificate, path: str | Path) -> None:
    """Write a certificate (a :class:`Certificate` or its dict) to ``path``."""
    from landscape_proofs.produce.certificate import write_certificate as _write_certificate

    _write_certificate(certificate, path)


def check_certificate(certificate: dict) -> CheckResult:
    """The trusted kernel's verdict on a certificate (a dict), recomputed from scratch."""
    from landscape_proofs.kernel.checker import check_certificate as _check_certificate

    return _check_certificate(certificate)


def verify(path: str | Path) -> CheckResult:
    """Read the certificate file at ``path`` and check it with the kernel."""
    return check_certificate(read_certificate(path))


# --- theorems -------------------------------------------------------------------------------
def theorems() -> tuple[Theorem, ...]:
    """The registered theorems, in the registry's order."""
    from landscape_proofs.theorems.registry import THEOREMS

    return THEOREMS


def theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; :class:`InputError` listing the known ids otherwise."""
    from landscape_proofs.theorems.registry import get_theorem

    return get_theorem(theorem_id)


def explain(which: str | Theorem, *, as_json: bool = False) -> str | dict:
    """A theorem's statement, source, checks and caveats (text, or a dict with ``as_json``)."""
    from landscape_proofs.theorems.report import explain_json, explain_text

    t = theorem(which) if isinstance(which, str) else which
    return explain_json(t) if as_json else explain_text(t)


def check(which: str | Theorem, problem, point=None, *, seed: int = 0) -> TheoremCheck:
    """Check a theorem's assumptions on ``problem`` and test its conclusion there (at
    ``point`` too, when given).  ``result.counterexample`` is set only when every assumption
    holds and the conclusion fails."""
    from landscape_proofs.produce.candidates import CheckBudget
    from landscape_proofs.theorems.runner import check_theorem

    t = theorem(which) if isinstance(which, str) else which
    return check_theorem(t, problem, CheckBudget(seed=seed), point)


# --- search, derivation, openness, tour ----------------------------------------------------
def search(problem, *, starts: int = 200, seed: int = 0, method: str = "hybrid",
           progress=None, out_dir: str | Path | None = None) -> SearchReport:
    """Multi-start descent on ``problem``; classify and certify every limit point reached.

    ``method``: ``"hybrid"`` (gradient steps, then saddle-free Newton), ``"newton"`` or
    ``"gradient"``.  ``progress(done, total, stage)`` is called as work completes; with
    ``out_dir`` the certificates and ``search.json`` are written there.
    """
    from landscape_proofs.search.local import DescentConfig
    from landscape_proofs.search.multistart import SearchConfig
    from landscape_proofs.search.multistart import search as _search

    cfg = SearchConfig(starts=starts, seed=seed, descent=DescentConfig(method=method))
    return _search(problem, cfg, progress=progress, out_dir=out_dir)


def derive(problem, *, latex: bool = False, as_json: bool = False) -> str | dict:
    """The objective, gradient and Hessian formulas of ``problem`` (SymPy): plain text, LaTeX
    with ``latex``, or ``{"plain": ..., "latex": ...}`` with ``as_json``.

    Handles deep-linear (and matrix-factorization), multi-tower and symmetric-factorization
    problems; :class:`InputError` for other families and for numbers too long to print.
    """
    from landscape_proofs.symbolic.derive import FAMILIES, derivation, render_derivation

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


def openness(problem, point, *, probe: bool = True, targets: int = 8,
             seed: int = 0) -> tuple[OpennessDecision, ProbeReport | None]:
    """The exact local-openness decision for the problem's product map at ``point``, and
    (unless ``probe=False``) a float64 probe that tries ``targets`` random nearby targets; the
    probe never changes the verdict."""
    from landscape_proofs.openness.dispatch import decide_openness, point_factors
    from landscape_proofs.openness.products import probe_openness

    decision = decide_openness(problem, point)
    report = None
    if probe:
        kind, factors = point_factors(problem, point)
        report = probe_openness(kind, factors, decision, targets=targets, seed=seed)
    return decision, report


def tour(out_dir: str | Path | None = None) -> TourReport:
    """Classify and verify the bundled examples (certificates written to ``out_dir``)."""
    from pathlib import Path

    from landscape_proofs.produce.tour import run_tour

    return run_tour(out_dir=None if out_dir is None else Path(out_dir))
