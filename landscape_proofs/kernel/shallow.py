"""Trusted: check a certificate about a point R of a shallow rank-constrained problem.

The claim is about R on the set {rank <= p} (docs/families.md).  The certificate carries a
factorization R = U V and a certificate for the lifted deep-linear point (W_1, W_2) = (V, U)
of the problem with widths [d_0, p, d_H].  This module checks, exactly:

1. the embedded shallow problem and R (shape; rank(R) <= p);
2. U V = R, and rank(U) = rank(V) = rank(R): the pair map (U, V) -> U V is then locally
   open onto the rank <= p matrices at (U, V) (docs/openness.md), which is what makes the
   lifted claim say the same thing about R on the set;
3. that the embedded deep certificate is about the lift of *this* problem and point: its
   problem is the deep-linear problem [d_0, p, d_H] with the same X, Y, loss and no weight
   decay, its point is (V, U), and its claim is the shallow claim (each is rebuilt here and
   compared, and the deep checker is run on the rebuilt problem and point, not on the
   embedded ones);
4. the deep certificate itself, with :func:`check_certificate`.

Like the deep checker it imports nothing outside the kernel; the deep check is passed in
(``check_deep``) so that the two modules do not import each other.
"""
from __future__ import annotations

from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.linalg import rank
from landscape_proofs.kernel.model import is_shallow, read_matrix, read_point, read_problem, read_shallow
from landscape_proofs.kernel.numbers import format_exact, parse_exact, to_fmpq
from landscape_proofs.kernel.objective import Objective
from landscape_proofs.kernel.verdict import CLAIMS, CheckResult, Rejected

EVIDENCE_TYPE = "factorization-transfer"

# what each lifted kind says about R on the set {rank <= p}
_SADDLE = ("R is neither a local minimum nor a local maximum on the set rank <= p (curves "
           "U(t) V(t) in the set descend and ascend)")
ON_THE_SET = {
    "not-critical": "R is not a local minimum on the set rank <= p (a curve R(t) = U(t) V(t) "
                    "in the set decreases f at first order)",
    "strict-saddle": _SADDLE, "non-strict-saddle": _SADDLE, "nonsmooth-saddle": _SADDLE,
    "local-maximum": "R is a local maximum on the set rank <= p",
    "local-minimum": "R is a local minimum on the set rank <= p",
    "global-minimum": "R is a global minimum on the set rank <= p",
    "spurious-local-minimum": "R is a local minimum on the set rank <= p, and a point of the "
                              "set has a strictly lower value",
}


def is_shallow_certificate(data: object) -> bool:
    """True when the certificate's embedded problem is of the shallow-rank family."""
    return is_shallow(data)


def _usable(read, data, what: str, *args):
    """``read(data, *args)``, an unusable ``data`` (InputError) rejecting the certificate."""
    try:
        return read(data, *args)
    except InputError as exc:
        raise Rejected(f"{what} is unusable: {exc}") from None


def _same(a, b) -> bool:
    """Two kernel problems that denote the same objective."""
    la, lb = a.loss, b.loss
    return (a.family == b.family and a.shapes == b.shapes and a.X == b.X and a.Y == b.Y
            and a.weight_decay == b.weight_decay and a.decay_entries == b.decay_entries
            and type(la) is type(lb) and la.p == lb.p
            and la.over_product == lb.over_product and getattr(la, "poly", None) == getattr(lb, "poly", None))


def check_shallow_certificate(data: dict, check_deep) -> CheckResult:
    """Re-verify a shallow-rank certificate (see the module docstring).

    ``check_deep`` checks the lifted deep-linear certificate (the kernel's entry point).
    Raises :class:`InputError` when the embedded problem or point is unusable; returns
    ``CheckResult(valid=False, ...)`` when the certificate does not establish its claim.
    """
    try:
        deep_data, (dH, d0), p = read_shallow(data["problem"])
    except InputError as exc:
        raise exc.within("problem") from None
    point = data["point"]
    try:
        if not isinstance(point, dict) or sorted(point) != ["R"]:
            raise InputError('expected a JSON object {"R": [[...], ...]}', got=point)
        R = read_matrix(point["R"], "R", (dH, d0))
        if rank(R) > p:
            raise InputError(f"expected a matrix of rank <= {p} (the problem's rank bound)",
                             field="R", got=f"rank {rank(R)}")
    except InputError as exc:
        raise exc.within("point") from None
    deep = read_problem(deep_data)
    claim = data.get("claim")
    try:
        if claim not in CLAIMS:
            raise Rejected(f"claim {claim!r} is not a kind that can be certified "
                           f"(expected one of {', '.join(CLAIMS)})")
        ev = data.get("evidence")
        if not isinstance(ev, dict):
            raise Rejected("evidence is missing or not an object")
        if ev.get("type") != EVIDENCE_TYPE:
            raise Rejected(f"unknown evidence type {ev.get('type')!r} (expected {EVIDENCE_TYPE})")
        U = read_matrix(ev.get("U"), "evidence.U", (dH, p))
        V = read_matrix(ev.get("V"), "evidence.V", (p, d0))
        # 2. the factorization and the openness of the pair map there
        if U * V != R:
            raise Rejected("U V differs from R")
        rU, rV, rR = rank(U), rank(V), rank(R)
        if not rU == rV == rR:
            raise Rejected(f"the pair map (U, V) -> U V need not be open onto rank <= {p} at "
                           f"this factorization: rank(U) = {rU}, rank(V) = {rV}, rank(R) = {rR} "
                           "are not all equal")
        # 3. the lift of this problem and point
        inner = ev.get("deep_certificate")
        if not isinstance(inner, dict):
            raise Rejected("deep_certificate: expected the lifted point's certificate (an object)")
        if inner.get("claim") != claim:
            raise Rejected(f"deep_certificate claims {inner.get('claim')!r}, not {claim!r}")
        embedded = _usable(read_problem, inner.get("problem"), "deep_certificate.problem")
        if not _same(embedded, deep):
            raise Rejected("deep_certificate.problem is not the lift of this problem (widths "
                           f"{[d0, p, dH]}, the same X, Y and loss, no weight decay)")
        if _usable(read_point, inner.get("point"), "deep_certificate.point", deep) != [V, U]:
            raise Rejected("deep_certificate.point is not (W_1, W_2) = (V, U)")
        if "value" in data:
            recorded = to_fmpq(parse_exact(data["value"], "value"))
            actual = Objective(deep).value([V, U])
            if recorded != actual:
                raise Rejected(f"recorded value {recorded} differs from the recomputed {actual}")
        # 4. the deep certificate, on the rebuilt problem and point
        rebuilt = {**inner, "problem": deep_data, "point": {"weights": [_rows(V), _rows(U)]},
                   "claim": claim}
        res = check_deep(rebuilt)
        if not res.valid:
            raise Rejected(f"the lifted point's certificate does not hold: {res.reason}")
    except Rejected as exc:
        return CheckResult(False, str(claim), str(exc))
    except InputError as exc:
        return CheckResult(False, str(claim), f"malformed evidence: {exc}")
    except (LandscapeError, ZeroDivisionError, ArithmeticError) as exc:
        return CheckResult(False, str(claim), f"cannot be checked: {exc}")
    return CheckResult(True, claim,
                       f"R = U V with rank(U) = rank(V) = rank(R) = {rR} (the pair map is open "
                       f"onto rank <= {p} there); lifted point (V, U): {res.reason}; so "
                       f"{ON_THE_SET[claim]}", res.relies_on)


def _rows(M):
    return [[format_exact(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
