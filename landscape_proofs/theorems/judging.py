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

from typing import Callable, Sequence

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems.base import ConclusionResult, ConclusionStatus, PointReport, PointVerdict, SCOPE_POINTS_FOUND
from landscape_proofs.produce.candidates import ClassifiedPoint

Rule = Callable[[ClassifiedPoint], tuple[PointVerdict, str]]

MAX_CERTIFICATES = 6
MAX_IRRELEVANT_LISTED = 2


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


def judge(points: Sequence[ClassifiedPoint], rule: Rule, *, what: str,
          scope: str = SCOPE_POINTS_FOUND, notes: Sequence[str] = ()) -> ConclusionResult:
    """Apply ``rule`` to every classified point and build the conclusion result."""
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
    if undecided:
        notes.append(f"{undecided} point(s) could not be decided; they are listed with the reason")
    if relevant:
        kinds = sorted({r.kind for r in reports if r.verdict is PointVerdict.CONSISTENT})
        return ConclusionResult(
            ConclusionStatus.HOLDS_ON_INSTANCE,
            f"{what}: consistent with all {relevant} critical point(s) classified "
            f"({', '.join(kinds)})",
            tuple(reports), tuple(consistent_certs[:MAX_CERTIFICATES]), scope, tuple(notes))
    return ConclusionResult(
        ConclusionStatus.INCONCLUSIVE,
        f"{what}: no critical point was classified decisively on this instance",
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
