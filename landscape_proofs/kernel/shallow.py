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

Like the deep checker it imports only the exact layer, the problem definitions and the
losses.
"""
from __future__ import annotations

from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq, to_fraction
from landscape_proofs.families.deep_linear import DeepLinearProblem, exact_matrix
from landscape_proofs.families.io import point_from_dict, point_to_dict, problem_from_dict, problem_to_dict
from landscape_proofs.families.shallow_rank import shallow_point_from_dict, shallow_problem_from_dict
from landscape_proofs.kernel.checker import CLAIMS, CheckResult, Rejected, check_certificate

EVIDENCE_TYPE = "factorization-transfer"

# what each lifted kind says about R on the set {rank <= p}
ON_THE_SET = {
    "not-critical": "R is not a local minimum on the set rank <= p (a curve R(t) = U(t) V(t) "
                    "in the set decreases f at first order)",
    "strict-saddle": "R is neither a local minimum nor a local maximum on the set rank <= p "
                     "(curves U(t) V(t) in the set descend and ascend)",
    "non-strict-saddle": "R is neither a local minimum nor a local maximum on the set rank <= p "
                         "(curves U(t) V(t) in the set descend and ascend)",
    "local-maximum": "R is a local maximum on the set rank <= p",
    "local-minimum": "R is a local minimum on the set rank <= p",
    "global-minimum": "R is a global minimum on the set rank <= p",
    "spurious-local-minimum": "R is a local minimum on the set rank <= p, and a point of the "
                              "set has a strictly lower value",
}


def is_shallow_certificate(data: object) -> bool:
    """True when the certificate's embedded problem is of the shallow-rank family."""
    return (isinstance(data, dict) and isinstance(data.get("problem"), dict)
            and data["problem"].get("family") == "shallow-rank")


def _q(x, name):
    return to_fmpq(parse_exact(x, name))


def check_shallow_certificate(data: dict) -> CheckResult:
    """Re-verify a shallow-rank certificate (see the module docstring).

    Raises :class:`InputError` when the embedded problem or point is unusable; returns
    ``CheckResult(valid=False, ...)`` when the certificate does not establish its claim.
    """
    try:
        problem = shallow_problem_from_dict(data["problem"])
    except InputError as exc:
        raise exc.within("problem") from None
    try:
        point = shallow_point_from_dict(data["point"], problem)
    except InputError as exc:
        raise exc.within("point") from None
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
        (dH, d0), p = problem.shape, problem.rank
        U = matrix(exact_matrix(ev.get("U"), "evidence.U", (dH, p)))
        V = matrix(exact_matrix(ev.get("V"), "evidence.V", (p, d0)))
        R = matrix(point.R)
        # 2. the factorization and the openness of the pair map there
        if U * V != R:
            raise Rejected("U V differs from R")
        rU, rV, rR = rank(U), rank(V), rank(R)
        if not rU == rV == rR:
            raise Rejected(f"the pair map (U, V) -> U V need not be open onto rank <= {p} at "
                           f"this factorization: rank(U) = {rU}, rank(V) = {rV}, rank(R) = {rR} "
                           "are not all equal")
        # 3. the lift of this problem and point
        deep = problem.deep_linear()
        lifted_point = [[list(row) for row in _rows(V)], [list(row) for row in _rows(U)]]
        inner = ev.get("deep_certificate")
        if not isinstance(inner, dict):
            raise Rejected("deep_certificate: expected the lifted point's certificate (an object)")
        if inner.get("claim") != claim:
            raise Rejected(f"deep_certificate claims {inner.get('claim')!r}, not {claim!r}")
        try:
            embedded = problem_from_dict(inner.get("problem"))
        except InputError as exc:
            raise Rejected(f"deep_certificate.problem is unusable: {exc}") from None
        if not isinstance(embedded, DeepLinearProblem) or embedded != deep:
            raise Rejected("deep_certificate.problem is not the lift of this problem (widths "
                           f"{list(deep.widths)}, the same X, Y and loss, no weight decay)")
        try:
            embedded_point = point_from_dict(inner.get("point"), deep)
        except InputError as exc:
            raise Rejected(f"deep_certificate.point is unusable: {exc}") from None
        rebuilt_point = point_from_dict({"weights": lifted_point}, deep)
        if embedded_point != rebuilt_point:
            raise Rejected("deep_certificate.point is not (W_1, W_2) = (V, U)")
        if "value" in data:
            recorded = _q(data["value"], "value")
            actual = to_fmpq(problem.value(point))
            if recorded != actual:
                raise Rejected(f"recorded value {recorded} differs from the recomputed {actual}")
        # 4. the deep certificate, on the rebuilt problem and point
        rebuilt = dict(inner)
        rebuilt["problem"] = problem_to_dict(deep)
        rebuilt["point"] = point_to_dict(rebuilt_point)
        rebuilt["claim"] = claim
        res = check_certificate(rebuilt)
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
    return [[to_fraction(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
