"""Finding exact critical points of an instance, and classifying them (a producer).

Two sources of candidate points, both rational:

* **Closed form (square loss, X of full row rank).**  Every critical product is
  ``R = P Y X^T (X X^T)^{-1}`` with ``P`` the orthogonal projector onto an invariant subspace
  of ``Sigma = Y X^T (X X^T)^{-1} X Y^T`` (Baldi & Hornik 1989; Kawaguchi 2016, Lemma 4.1
  in their notation).  The invariant subspaces ``ker f(Sigma)`` of the irreducible factors
  ``f`` of the characteristic polynomial over Q are *rational*, so every union of them gives
  an exact rational critical product even when the eigenvalues themselves are irrational.
  Each product of rank ``s <= min width`` is factored through the layers in the *standard*
  way (``W_1 = [F; 0]``, middle layers ``[I_s 0; 0 0]``, ``W_H = [C 0]`` with ``R = C F``),
  which is critical: every ``A_k = W_H ... W_{k+1}`` has its columns in ``range(P)``, so
  ``A_k^T (R X - Y) X^T = -A_k^T (I - P) Y X^T = 0``.
* **Descent.**  Multi-start float descent (:mod:`landscape_proofs.numeric.descent`); each
  limit's *product* is rationalised with small denominators and factored in the standard
  way (the descent's own weights drift along the symmetry orbit and rarely round to a
  critical point), and the raw weights are rationalised as well.

Every candidate is then classified exactly by :func:`landscape_proofs.produce.classify.classify`;
a candidate that is not exactly critical is reported as such and carries no weight.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from types import SimpleNamespace

import flint

from landscape_proofs.produce.classify import Budget, Classification, classify
from landscape_proofs.kernel.linalg import identity, matrix, nullspace, rank, zeros
from landscape_proofs.kernel.numbers import to_fraction
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.numeric.rationalize import rational_from_float
from landscape_proofs.families.base import Point
from landscape_proofs.core.rank_constrained import sigma_matrix

Q = flint.fmpq


@dataclass(frozen=True)
class CheckBudget:
    """How hard a conclusion test tries (defaults meet the 30 s benchmark of issue 4).

    Parameters
    ----------
    starts : float descent starts per scale (two scales are used).
    descent_steps : steps per descent run.
    max_points : at most this many candidates are classified exactly.
    max_subsets : at most this many closed-form invariant subspaces are enumerated.
    seed : seed of every random choice.
    classify_budget : the budget handed to :func:`classify`.
    max_enclosures : at most this many descent limits that are not exactly critical are
        refined and certified by interval enclosures (:func:`enclose_descent_limits`; only the
        conclusion tests that use it).
    enclosure_digits : the refinement's accuracy for those.
    """

    starts: int = 6
    descent_steps: int = 300
    max_points: int = 10
    max_subsets: int = 64
    seed: int = 0
    max_enclosures: int = 3
    enclosure_digits: int = 60
    classify_budget: Budget = field(default_factory=lambda: Budget(curve_candidates=160,
                                                                    better_point_starts=6,
                                                                    descent_steps=200))


@dataclass(frozen=True)
class Candidate:
    label: str
    weights: tuple          # tuple of fmpq_mat, W_1 first
    source: str             # "closed-form", "descent", "origin", "given"


@dataclass(frozen=True)
class ClassifiedPoint:
    candidate: Candidate
    result: Classification          # or an EnclosedResult (source "enclosure")
    product_rank: int | None        # None for an enclosed (irrational) point: not certified

    @property
    def kind(self) -> Kind:
        return self.result.kind


# --- exact helpers ---------------------------------------------------------------------------
def product(weights) -> flint.fmpq_mat:
    R = weights[0]
    for W in weights[1:]:
        R = W * R
    return R


def rank_factorization(R: flint.fmpq_mat):
    """(C, F) with R = C F, C of full column rank s and F of full row rank s (exact)."""
    m, n = R.nrows(), R.ncols()
    E, s = R.rref()
    pivots = []
    for i in range(s):
        for j in range(n):
            if E[i, j] != 0:
                pivots.append(j)
                break
    F = flint.fmpq_mat(s, n, [E[i, j] for i in range(s) for j in range(n)])
    C = flint.fmpq_mat(m, s, [R[i, p] for i in range(m) for p in pivots])
    return C, F


def standard_factorization(widths, R: flint.fmpq_mat):
    """Weights W_1..W_H with W_H ... W_1 = R and minimal partial ranks; None if rank(R) > min width."""
    H = len(widths) - 1
    if H == 1:
        return (R,)
    C, F = rank_factorization(R)
    s = F.nrows()
    if s > min(widths[1:-1]):
        return None
    Ws = []
    for k in range(H):
        rows, cols = widths[k + 1], widths[k]
        W = zeros(rows, cols)
        for i in range(s):
            for j in range(cols):
                if k == 0:
                    W[i, j] = F[i, j]
        for i in range(rows):
            for j in range(s):
                if k == H - 1:
                    W[i, j] = C[i, j]
                elif k > 0 and i == j:
                    W[i, j] = 1
        Ws.append(W)
    return tuple(Ws)


def _poly_at_matrix(f: flint.fmpq_poly, M: flint.fmpq_mat) -> flint.fmpq_mat:
    """f(M) by Horner's rule, exactly."""
    n = M.nrows()
    out = zeros(n, n)
    for c in reversed(f.coeffs()):
        out = out * M + identity(n) * c
    return out


def _projector_onto(columns: list[list]) -> flint.fmpq_mat:
    n = len(columns[0])
    B = flint.fmpq_mat(n, len(columns), [columns[j][i] for i in range(n) for j in range(len(columns))])
    return B * (B.transpose() * B).inv() * B.transpose()


@dataclass(frozen=True)
class InvariantPiece:
    """ker f(Sigma) for one irreducible factor f of Sigma's characteristic polynomial."""

    factor: flint.fmpq_poly
    basis: tuple


def sigma_pieces(problem) -> list[InvariantPiece] | None:
    """The rational invariant subspaces of Sigma, one per nonzero irreducible factor."""
    S = sigma_matrix(problem)
    if S is None:
        return None
    return invariant_pieces(S)


def invariant_pieces(S: flint.fmpq_mat) -> list[InvariantPiece]:
    """ker f(S) for each irreducible factor f != x of the characteristic polynomial of S (exact)."""
    _, factors = S.charpoly().factor()
    pieces = []
    for f, _m in factors:
        if f.degree() == 1 and f.coeffs()[0] == 0:
            continue  # eigenvalue 0: its eigenvectors add nothing to the product
        basis = nullspace(_poly_at_matrix(f, S))
        if basis:
            pieces.append(InvariantPiece(f, tuple(tuple(v) for v in basis)))
    return pieces


def _describe_factor(f: flint.fmpq_poly) -> str:
    co = f.coeffs()
    if f.degree() == 1:
        return str(-co[0] / co[1])
    return f"roots of {f}"


def exact_fit_candidates(problem) -> list[Candidate]:
    """The zero-residual point, for the square, power and l1 losses (each vanishes exactly at
    residual 0) without weight decay: ``R = Y X^T (X X^T)^{-1}`` when ``R X = Y`` exactly and
    ``rank R`` fits through the widths, factored in the standard way.  Descent approaches such
    a point only slowly for the power loss (its Hessian vanishes at residual 0), so its
    rounded limits are rarely exact; this candidate is exact, and classify certifies it as a
    global minimum of value 0 (zero lower bound)."""
    if not problem.loss.zero_only_at_zero or problem.loss.over_product or problem.weight_decay != 0:
        return []
    X, Y = matrix(problem.X), matrix(problem.Y)
    if rank(X) < X.nrows():
        return []
    R = Y * X.transpose() * (X * X.transpose()).inv()
    if R * X != Y:
        return []
    Ws = standard_factorization(problem.widths, R)
    return [] if Ws is None else [Candidate("exact fit: R X = Y", Ws, "closed-form")]


def closed_form_candidates(problem, budget: CheckBudget) -> list[Candidate]:
    """Standard factorizations of the Baldi-Hornik critical products (square loss), or the
    zero-residual point (:func:`exact_fit_candidates`, power and l1 losses)."""
    if not problem.loss.square_like or problem.weight_decay != 0:
        return exact_fit_candidates(problem)
    X, Y = matrix(problem.X), matrix(problem.Y)
    if rank(X) < X.nrows():
        return []
    pieces = sigma_pieces(problem)
    if pieces is None:
        return []
    XXt_inv = (X * X.transpose()).inv()
    YXt = Y * X.transpose()
    r_max = problem.max_rank
    out = []
    subsets = []
    for size in range(len(pieces) + 1):
        for combo in itertools.combinations(range(len(pieces)), size):
            dim = sum(len(pieces[i].basis) for i in combo)
            if dim <= r_max:
                subsets.append(combo)
    for combo in subsets[: budget.max_subsets]:
        if combo:
            cols = [list(v) for i in combo for v in pieces[i].basis]
            P = _projector_onto(cols)
            R = P * YXt * XXt_inv
        else:
            R = zeros(Y.nrows(), X.nrows())
        Ws = standard_factorization(problem.widths, R)
        if Ws is None:
            continue
        kept = ", ".join(_describe_factor(pieces[i].factor) for i in combo) or "none"
        out.append(Candidate(f"closed form: keep eigenvalues of Sigma {{{kept}}}", Ws, "closed-form"))
    return out


def origin_candidate(problem) -> Candidate:
    return Candidate("origin", tuple(zeros(r, c) for r, c in problem.shapes), "origin")


def _rationalize_matrix(A, den: int) -> flint.fmpq_mat:
    rows, cols = A.shape
    vals = []
    for i in range(rows):
        for j in range(cols):
            q = rational_from_float(float(A[i, j]), den)
            vals.append(Q(q.numerator, q.denominator))
    return flint.fmpq_mat(rows, cols, vals)


def descent_limits(problem, budget: CheckBudget):
    """``(n, float weights)`` for the first ``2 * budget.starts + 1`` limits of multi-start float
    descent (:mod:`landscape_proofs.numeric.descent`), skipping non-finite ones."""
    import numpy as np

    from landscape_proofs.numeric.descent import candidate_points

    hint = SimpleNamespace(seed=budget.seed, better_point_starts=budget.starts,
                           descent_steps=budget.descent_steps)
    for n, Ws in enumerate(candidate_points(problem, hint)):
        if n >= 2 * budget.starts + 1:
            break
        if all(np.all(np.isfinite(W)) for W in Ws):
            yield n, Ws


def descent_candidates(problem, budget: CheckBudget) -> list[Candidate]:
    """Rationalised limits of multi-start float descent (producer hints)."""
    import numpy as np

    out = []
    for n, Ws in descent_limits(problem, budget):
        Rf = Ws[0]
        for W in Ws[1:]:
            Rf = W @ Rf
        scale = max(1.0, float(np.max(np.abs(Rf))))
        for den in (1, 2, 3, 4, 6, 12, 60):
            R = _rationalize_matrix(Rf, den)
            close = max(abs(float(R[i, j]) - Rf[i, j]) for i in range(R.nrows())
                        for j in range(R.ncols())) <= 1e-6 * scale
            std = standard_factorization(problem.widths, R) if close else None
            if std is not None:
                out.append(Candidate(f"descent #{n}: product rounded (denominators <= {den})",
                                     std, "descent"))
                break
        out.append(Candidate(f"descent #{n}: weights rounded (denominators <= 1000)",
                             tuple(_rationalize_matrix(W, 1000) for W in Ws), "descent"))
    return out


def _key(weights) -> tuple:
    return tuple(x for W in weights for x in W.entries())


def dedupe(cands: list[Candidate]) -> list[Candidate]:
    seen, out = set(), []
    for c in cands:
        k = _key(c.weights)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


def to_point(problem, weights) -> Point:
    return Point.of(problem, [[[to_fraction(W[i, j]) for j in range(W.ncols())]
                               for i in range(W.nrows())] for W in weights])


def gather_candidates(problem, budget: CheckBudget, *, descent: bool = True,
                      extra: list[Candidate] = ()) -> list[Candidate]:
    """Closed-form points first, then the origin, then descent limits; deduplicated."""
    cands = list(extra) + closed_form_candidates(problem, budget) + [origin_candidate(problem)]
    if descent:
        cands += descent_candidates(problem, budget)
    return dedupe(cands)


def classify_candidates(problem, cands: list[Candidate], budget: CheckBudget,
                        limit: int | None = None, rank_of=None) -> list[ClassifiedPoint]:
    """Classify candidates exactly, stopping after ``limit`` (default ``budget.max_points``)
    critical ones; not-critical ones are kept (the caller ignores them).  ``rank_of(weights)``
    gives ``product_rank`` (default: the rank of ``W_H ... W_1``)."""
    out = []
    critical_seen = 0
    limit = budget.max_points if limit is None else limit
    rank_of = rank_of or (lambda weights: rank(product(weights)))
    cbudget = dataclasses.replace(budget.classify_budget, seed=budget.seed)
    for c in cands:
        if critical_seen >= limit:
            break
        res = classify(problem, to_point(problem, c.weights), cbudget)
        out.append(ClassifiedPoint(c, res, rank_of(c.weights)))
        if res.kind is not Kind.NOT_CRITICAL:
            critical_seen += 1
    return out


def value_fraction(x) -> Fraction:
    return to_fraction(x)


# --- irrational critical points: refinement and interval enclosures ---------------------------
@dataclass(frozen=True)
class _CertificateJSON:
    data: dict

    def to_json(self) -> dict:
        return self.data


@dataclass(frozen=True)
class EnclosedResult:
    """The classification of a critical point known only by a certified enclosure (or snapped
    exactly) after refinement: the interface :func:`~.judging.judge` reads from a
    :class:`~landscape_proofs.produce.classify.Classification`.  ``value`` is exact when the point was
    snapped, else None (``value_enclosure`` bounds it)."""

    kind: Kind
    reason: str
    certificate: _CertificateJSON
    value: Fraction | None = None
    value_enclosure: tuple[Fraction, Fraction] | None = None
    notes: tuple[str, ...] = ()


def _same_point_report(a_kind, a_lo, a_hi, cp: ClassifiedPoint) -> bool:
    """Display de-duplication only: the same kind and overlapping values."""
    if cp.kind is not a_kind:
        return False
    r = cp.result
    if getattr(r, "value_enclosure", None) is not None:
        lo, hi = r.value_enclosure
    elif r.value is not None:
        lo = hi = to_fraction(r.value)
    else:
        return False
    return not (a_hi < lo or hi < a_lo)


def enclose_descent_limits(problem, points: list[ClassifiedPoint],
                           budget: CheckBudget) -> list[ClassifiedPoint]:
    """``points`` plus, for up to ``budget.max_enclosures`` descent limits that were *not*
    exactly critical (typically: the critical point there is irrational), the point refined
    by Newton's method and certified by :func:`~landscape_proofs.produce.refined.classify_refined`
    (snapped to an exact critical point, or enclosed in a box the checker verifies in ball
    arithmetic).  Only certified kinds are added, each certificate re-checked here; a point
    with the same kind and an overlapping value as one already listed is not repeated.
    Refinement needs a polynomial loss; for other losses ``points`` is returned unchanged.
    """
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.produce.refined import classify_refined
    from landscape_proofs.kernel.errors import LandscapeError

    if budget.max_enclosures <= 0 or not problem.loss.polynomial:
        return list(points)
    out = list(points)
    cbudget = dataclasses.replace(budget.classify_budget, seed=budget.seed)
    tried = 0
    for n, cp in enumerate(points):
        if tried >= budget.max_enclosures:
            break
        if cp.kind is not Kind.NOT_CRITICAL or cp.candidate.source != "descent":
            continue
        tried += 1
        try:
            res = classify_refined(problem, to_point(problem, cp.candidate.weights),
                                   digits=budget.enclosure_digits, budget=cbudget)
        except (LandscapeError, ArithmeticError, ValueError):
            continue
        if res.kind in (Kind.NOT_CRITICAL, Kind.INCONCLUSIVE) or res.certificate is None:
            continue
        if not check_certificate(res.certificate).valid:  # pragma: no cover - a producer bug
            continue
        if res.value is not None:
            lo = hi = to_fraction(res.value)
        elif res.value_enclosure is not None:
            lo, hi = res.value_enclosure
        else:  # pragma: no cover - every enclosure certificate records its value
            continue
        if any(_same_point_report(res.kind, lo, hi, other) for other in out):
            continue
        how = ("snapped to an exact critical point" if res.snapped else
               "enclosed (value in [" + f"{float(lo):.6g}, {float(hi):.6g}])")
        label = f"{cp.candidate.label}, refined and {how}"
        enclosed = EnclosedResult(res.kind, res.reason, _CertificateJSON(res.certificate),
                                  value=res.value, value_enclosure=res.value_enclosure,
                                  notes=tuple(res.notes))
        out.append(ClassifiedPoint(Candidate(label, cp.candidate.weights, "enclosure"),
                                   enclosed, None))
    return out
