"""Turning classified points into a conclusion status (shared by the theorem modules).

A *rule* maps one classified point to a :class:`~.base.PointVerdict` and a note.  The
status is then:

* ``fails-on-instance`` when some point *contradicts* the conclusion: its certificate was
  accepted by the checker (every certificate :func:`classify` returns has been), and it is
  listed first among the certificates;
* ``holds-on-instance`` when at least one critical point was classified and every
  classified point is consistent (points that could not be decided are listed and noted);
* ``inconclusive`` otherwise.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Callable, Sequence

from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.produce.certificate import kernel_verdict
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems.base import ConclusionResult, ConclusionStatus, PointReport, PointVerdict, SCOPE_POINTS_FOUND
from landscape_proofs.produce.candidates import ClassifiedPoint, EnclosedResult, _CertificateJSON

Rule = Callable[[ClassifiedPoint], tuple[PointVerdict, str]]

MAX_CERTIFICATES = 6
MAX_IRRELEVANT_LISTED = 2
MAX_UPGRADE_CHECKS = 24     # kernel checks spent deciding open local minima by other points
# evidence for global-minimum that depends on the point only through its value (and
# criticality): a lower bound of the loss, valid at every point with the same value
VALUE_ONLY_EVIDENCE = ("zero-lower-bound", "sos-lower-bound", "square-loss-optimum",
                       "psd-rank-optimum", "nuclear-norm-bound", "isolated-critical-value")


def rule_local_minima_global(cp: ClassifiedPoint) -> tuple[PointVerdict, str]:
    """'Every local minimum is global.'"""
    k = cp.kind
    if k is Kind.SPURIOUS_LOCAL_MINIMUM:
        return PointVerdict.CONTRADICTS, "a certified local minimum with a strictly better point"
    if k is Kind.LOCAL_MINIMUM:
        return PointVerdict.UNDECIDED, "a certified local minimum whose global status was not decided"
    if k is Kind.NOT_CRITICAL:
        why = " (a rounding of a numeric limit)" if cp.candidate.source == "descent" else ""
        return PointVerdict.IRRELEVANT, "not exactly critical" + why
    if k is Kind.INCONCLUSIVE:
        return PointVerdict.UNDECIDED, cp.result.reason
    return PointVerdict.CONSISTENT, ""


def rule_saddles_or_global(cp: ClassifiedPoint) -> tuple[PointVerdict, str]:
    """'Every critical point is a global minimum or a saddle.'"""
    if cp.kind is Kind.LOCAL_MAXIMUM:
        return PointVerdict.CONTRADICTS, "a certified local maximum is neither a minimum nor a saddle"
    return rule_local_minima_global(cp)


def _value_text(cp: ClassifiedPoint) -> str:
    enc = getattr(cp.result, "value_enclosure", None)
    if cp.result.value is None and enc is not None:
        return f"value in [{float(enc[0]):.6g}, {float(enc[1]):.6g}], an enclosure"
    return f"value {cp.result.value}"


def _value_range(cp: ClassifiedPoint):
    enc = getattr(cp.result, "value_enclosure", None)
    if enc is not None:
        return Fraction(enc[0]), Fraction(enc[1])
    v = cp.result.value
    return None if v is None else (Fraction(v), Fraction(v))


def _exact_weights_json(cp: ClassifiedPoint):
    return [[[format_exact(W[i, j]) for j in range(W.ncols())] for i in range(W.nrows())]
            for W in cp.candidate.weights]


def _upgraded(cp: ClassifiedPoint, data: dict, kind: Kind, why: str) -> ClassifiedPoint | None:
    """``cp`` with a new certificate, if the kernel accepts it."""
    check = kernel_verdict(data)
    if not check.valid:
        return None
    result = EnclosedResult(kind, f"{check.reason} ({why})", _CertificateJSON(data),
                            cp.result.value, getattr(cp.result, "value_enclosure", None),
                            tuple(cp.result.notes))
    return dataclasses.replace(cp, result=result)


def through_global_values(points: Sequence[ClassifiedPoint]) -> list[ClassifiedPoint]:
    """Decide the local minima whose global status is open by comparing values across points,
    for every loss: a certified global minimum's lower bound (evidence that depends on the
    point only through its value, e.g. a sum-of-squares bound of a polynomial loss or an
    isolated critical value) makes every critical point with the same value global; an exact
    point with a value below a local minimum's (exact or enclosed) value makes it spurious.
    Every upgrade is a new certificate the kernel re-checks; the rest stay as they were."""
    open_ = {id(cp) for cp in points if cp.kind is Kind.LOCAL_MINIMUM
             and cp.result.certificate is not None and _value_range(cp) is not None}
    if not open_:
        return list(points)
    bounds = [(Fraction(cp.result.value), cp.result.certificate.to_json()["evidence"])
              for cp in points if cp.kind is Kind.GLOBAL_MINIMUM and cp.result.value is not None
              and cp.result.certificate is not None
              and isinstance(cp.result.certificate.to_json().get("evidence"), dict)
              and cp.result.certificate.to_json()["evidence"].get("type") in VALUE_ONLY_EVIDENCE]
    # exact points with a known upper bound u on their value: L(B) = u (a classified exact
    # point: "<" needed) or L(B) < u (the better point of a spurious certificate: "<=" is enough)
    better = [(Fraction(cp.result.value), False, _exact_weights_json(cp), cp.candidate.label)
              for cp in points if cp.result.value is not None and cp.candidate.weights
              and cp.candidate.source != "enclosure"]
    for cp in points:
        ev = (cp.result.certificate.to_json().get("evidence") or {}
              if cp.kind is Kind.SPURIOUS_LOCAL_MINIMUM and cp.result.certificate is not None else {})
        B = ev.get("better_point") or (ev.get("spurious") or {}).get("point")
        if B is not None and _value_range(cp) is not None:
            better.append((_value_range(cp)[0], True, B, f"the better point of {cp.candidate.label}"))
    better.sort(key=lambda t: (t[0], not t[1]))
    budget, out = MAX_UPGRADE_CHECKS, []
    for cp in points:
        new = None
        if id(cp) in open_ and budget > 0:
            lo, hi = _value_range(cp)
            cert = cp.result.certificate.to_json()
            enclosed = isinstance(cert.get("point"), dict) and "center" in cert["point"]
            for value, ev in bounds:
                if budget > 0 and not enclosed and value == lo == hi:
                    budget -= 1
                    new = _upgraded(cp, dict(cert, claim="global-minimum", evidence=ev),
                                    Kind.GLOBAL_MINIMUM, "the lower bound certified at another "
                                    "point with the same value")
                    if new is not None:
                        break
            usable = [b for b in better if b[0] < lo or b[1] and b[0] <= lo]
            if new is None and usable and budget > 0:
                budget -= 1
                u, _, B, label = usable[0]
                if enclosed:
                    ev = dict(cert["evidence"], spurious={"type": "better-point", "point": B})
                else:
                    ev = {"local_minimum": cert["evidence"], "better_point": B}
                new = _upgraded(cp, dict(cert, claim="spurious-local-minimum", evidence=ev),
                                Kind.SPURIOUS_LOCAL_MINIMUM, f"{label} is an exact point below")
        out.append(new or cp)
    return out


def judge(points: Sequence[ClassifiedPoint], rule: Rule, *, what: str,
          scope: str = SCOPE_POINTS_FOUND, notes: Sequence[str] = ()) -> ConclusionResult:
    """Apply ``rule`` to every classified point and build the conclusion result (local minima
    whose global status is open are first compared with the other points' values:
    :func:`through_global_values`)."""
    points = through_global_values(points)
    reports, contra, consistent_certs = [], [], []
    conditional = 0
    undecided = 0
    relevant = 0
    irrelevant = 0
    for cp in points:
        verdict, note = rule(cp)
        if verdict is PointVerdict.IRRELEVANT:
            irrelevant += 1
            if irrelevant > MAX_IRRELEVANT_LISTED:
                continue
        relies = [n for n in cp.result.notes if n.startswith("relies on")]
        if relies:  # e.g. a global minimum certified from a *declared* convexity
            conditional += 1
            note = "; ".join(([note] if note else []) + relies + ["(conditional on the declaration)"])
        reports.append(PointReport(cp.candidate.label, cp.kind.value, cp.result.value, verdict,
                                   note, cp.product_rank))
        cert = cp.result.certificate.to_json() if cp.result.certificate is not None else None
        if verdict is PointVerdict.CONTRADICTS and cert is not None:
            contra.append((cp, cert))
        elif verdict is PointVerdict.CONSISTENT:
            relevant += 1
            if cert is not None:
                consistent_certs.append(cert)
        elif verdict is PointVerdict.UNDECIDED:
            undecided += 1
    notes = list(notes)
    if conditional:
        notes.append(f"{conditional} point(s) are certified only relative to a fact the problem "
                     "file declares (e.g. convexity of a custom loss); if the declaration is "
                     "false, so may be their kind")
    if irrelevant > MAX_IRRELEVANT_LISTED:
        notes.append(f"{irrelevant} candidate(s) were not exactly critical (mostly roundings of "
                     f"numeric limits); {MAX_IRRELEVANT_LISTED} are listed")
    if contra:
        cp, cert = contra[0]
        certs = [c for _, c in contra] + consistent_certs
        return ConclusionResult(
            ConclusionStatus.FAILS_ON_INSTANCE,
            f"{what} fails on this instance: {cp.candidate.label} is a certified {cp.kind.value} "
            f"({_value_text(cp)}); {cp.result.reason}",
            tuple(reports), tuple(certs[:MAX_CERTIFICATES]), scope, tuple(notes))
    # undecided points whose own kind is certified: classified, yet the rule cannot judge them
    open_kinds = sorted({r.kind for r in reports if r.verdict is PointVerdict.UNDECIDED
                         and r.kind != "inconclusive"})
    if undecided:
        notes.append(f"{undecided} point(s) could not be decided; they are listed with the reason")
    if relevant:
        kinds = sorted({r.kind for r in reports if r.verdict is PointVerdict.CONSISTENT})
        return ConclusionResult(
            ConclusionStatus.HOLDS_ON_INSTANCE,
            f"{what}: consistent with all {relevant} point(s) classified ({', '.join(kinds)})",
            tuple(reports), tuple(consistent_certs[:MAX_CERTIFICATES]), scope, tuple(notes))
    return ConclusionResult(
        ConclusionStatus.INCONCLUSIVE,
        f"{what}: " + (f"the points were classified ({', '.join(open_kinds)}), but that does not "
                       "decide the statement on this instance (each point's note says why)"
                       if open_kinds else "no critical point was classified decisively on this "
                       "instance"),
        tuple(reports), (), scope, tuple(notes))


def not_applicable(reason: str, tested: ConclusionResult | None = None) -> ConclusionResult:
    """The conclusion is not applicable; when it was tested anyway, say what was found."""
    if tested is None:
        return ConclusionResult(ConclusionStatus.NOT_APPLICABLE, reason)
    extra = {
        ConclusionStatus.FAILS_ON_INSTANCE: "tested anyway, the conclusion FAILS here (certificate "
                                            "attached): the failed assumption is needed on this instance",
        ConclusionStatus.HOLDS_ON_INSTANCE: "tested anyway, the conclusion is consistent with the "
                                            "points found",
        ConclusionStatus.INCONCLUSIVE: "tested anyway, nothing was decided",
        ConclusionStatus.PROVED_ON_INSTANCE: "tested anyway, the conclusion is true on this "
                                             "instance (a complete census, certificate attached)",
    }.get(tested.status, "")
    return ConclusionResult(ConclusionStatus.NOT_APPLICABLE, f"{reason}; {extra}: {tested.summary}",
                            tested.points, tested.certificates, tested.scope,
                            tested.notes + (f"status if it had applied: {tested.status.value}",))
