"""Runs of an irrational critical point certified in one box (a producer step for search).

A group certified by an enclosure (a ball around an irrational critical point, unique on a
slice) covers only its representative.  :func:`orbit_boxes` maps the other runs onto the
certificate's slice along their orbits (exactly by rational maps: :class:`.dedupe.SliceGauge`;
by orthogonal maps enclosed in balls: :mod:`.orthoslice`), and asks the kernel to accept one
wider box with the same claim holding them all (:func:`accept_box`); float groups whose runs
all land in it are merged.  docs/search.md, "Grouping by orbits".
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from landscape_proofs.search.dedupe import NotGaugeFixable, SliceGauge
from landscape_proofs.search.orthoslice import recertify_on_slice

MAX_BOX_RUNS = 10_000      # size guard: run endpoints gauge-fixed exactly for one box
BOX_INFLATION = 2          # H's radius: at least twice the farthest endpoint it must hold
BOX_REACH = 1e-2           # endpoints farther than this (times 1 + max |c|) are not tried


def _power_of_two_at_least(q):
    from fractions import Fraction as Q

    r = Q(1)
    while r < q:
        r *= 2
    while r / 2 >= q:
        r /= 2
    return r


def accept_box(certificate: dict, distances) -> tuple[dict | None, Fraction | None, str]:
    """``(H certificate, radius, kernel's reason)`` for the first box the kernel accepts with
    the certificate's claim, center and slice, holding every endpoint at ``distances`` (then
    the nearest 3/4, 1/2 of them) and the certificate's own box; ``(None, None, why)`` else."""
    import math

    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.kernel.numbers import parse_exact
    from landscape_proofs.produce.refined import widened_enclosure

    pt = certificate["point"]
    r0 = parse_exact(pt["radius"])
    scale = 1 + max(abs(parse_exact(v)) for W in pt["center"] for row in W for v in row)
    reach = Fraction(BOX_REACH) * scale
    near = sorted(Fraction(int(d.p), int(d.q)) for d in distances
                  if d is not None and Fraction(int(d.p), int(d.q)) <= reach)
    if not near:
        return None, None, "no run endpoint was gauge-fixed near the certified point"
    radii = []
    for share in (1, Fraction(3, 4), Fraction(1, 2)):
        need = near[max(0, math.ceil(share * len(near)) - 1)]
        radius = _power_of_two_at_least(max(r0, BOX_INFLATION * need))
        if radius not in radii:
            radii.append(radius)
    why = ""
    for radius in radii:
        try:
            cert = widened_enclosure(certificate, radius, note=(
                "the box of the search group's certificate, widened to hold the run endpoints "
                "gauge-fixed onto its slice"))
        except ArithmeticError as exc:
            why = str(exc)
            continue
        res = check_certificate(cert)
        if res.valid:
            return cert, radius, res.reason
        why = res.reason
    return None, None, why


def _is_enclosure_group(g) -> bool:
    c = g.certificate
    return bool(g.certified and g.point is None and isinstance(c, dict)
                and isinstance(c.get("point"), dict) and "center" in c["point"])


def _may_join(g, h, tol: float) -> bool:
    """Whether float group ``h`` is worth testing against ``g``'s box: no exact point, not
    certified with another kind, and a close float value."""
    if h.point is not None or (h.certified and (h.kind is not g.kind
                                                or not _is_enclosure_group(h))):
        return False
    return abs(h.value_approx - g.value_approx) <= tol * (1.0 + abs(g.value_approx))


def orbit_boxes(problem, groups, members_of, x: np.ndarray, tol: float = 1e-5):
    """Certify the runs of every group certified by an enclosure (an irrational critical point)
    in one box, and merge float groups whose runs all land in it.

    For each such group: its runs, and those of other float groups with a close value that
    have no exact point and no certificate of another kind, are gauge-fixed exactly onto the
    slice of the group's certificate (:class:`SliceGauge`); a box ``H`` holding them is
    accepted by the kernel with the group's claim (:func:`accept_box`).  Groups whose runs
    all lie in ``H`` are merged into the group (``subgroups``); ``runs_in_certified_box``
    counts its runs in ``H`` (0 when none could be certified, with ``box_reason``), and
    ``box_certificate`` is ``H``.  Groups with an exact point keep ``None`` (their runs are
    covered by snapping and exact orbit maps).  Returns the groups renumbered, and their
    members.  The runs handed in must be converged ones (search passes only those): the box
    is sized to hold them, so an endpoint far from any critical point would widen it (up to
    ``BOX_REACH``) and be counted without being a limit point."""
    from dataclasses import replace

    from landscape_proofs.kernel.numbers import parse_exact

    groups, members_of = list(groups), list(members_of)
    gone: set[int] = set()
    for a, g in enumerate(groups):
        if a in gone or not _is_enclosure_group(g):
            continue
        moved = ""
        try:
            gauge = SliceGauge(problem, g.certificate)
        except NotGaugeFixable as exc:
            # the certificate's slice is not linear to fix: certify the claim again on an
            # echelon or triangular slice, where runs can be mapped (the group's certificate
            # is then that one)
            ortho = problem.orthogonal_symmetry
            try:
                cert1, why1, gauge = recertify_on_slice(problem, g.certificate,
                                                        x[g.representative])
            except NotGaugeFixable as exc1:
                cert1, why1 = None, str(exc1)
            if cert1 is None:
                groups[a] = replace(g, runs_in_certified_box=0, box_reason=(
                    f"runs not gauge-fixed ({exc}; {why1}); grouped by float invariants only"))
                continue
            where = ("a triangular slice (the entries below the diagonal of one block per "
                     "orthogonal gauge frozen to 0)" if ortho else
                     "an echelon slice (identity blocks frozen)")
            moved = (f"the certificate's slice is not linear to fix ({exc}): the claim was "
                     f"certified again on {where}, and that certificate is the group's; ")
            v = cert1["value"]
            g = groups[a] = replace(g, certificate=cert1, value_enclosure=(
                parse_exact(v["lower"]), parse_exact(v["upper"])),
                route=g.route + ("; re-certified on a triangular slice" if ortho
                                 else "; re-certified on an echelon slice"))
        partners = [b for b, h in enumerate(groups)
                    if b != a and b not in gone and _may_join(g, h, tol)]
        pool = [int(i) for b in [a] + partners for i in members_of[b]]
        if len(pool) > MAX_BOX_RUNS:
            groups[a] = replace(g, runs_in_certified_box=0, box_reason=(
                f"more than {MAX_BOX_RUNS} runs to gauge-fix; grouped by float invariants only"))
            continue
        dist = {i: gauge.distance(x[i]) for i in pool}
        cert, radius, why = accept_box(g.certificate, list(dist.values()))
        if cert is None:
            groups[a] = replace(g, runs_in_certified_box=0, box_reason=(
                f"no box holding the gauge-fixed runs was accepted ({why}); grouped by float "
                "invariants only"))
            continue
        import flint

        rq = flint.fmpq(radius.numerator, radius.denominator)
        inside = {i for i in pool if dist[i] is not None and dist[i] <= rq}
        joined = [b for b in partners if all(int(i) in inside for i in members_of[b])]
        members = np.concatenate([members_of[a]] + [members_of[b] for b in joined])
        n_in = sum(int(i) in inside for i in members)
        far = max(dist[int(i)] for i in members if int(i) in inside)
        maps = getattr(gauge, "maps", None) or (
            "hidden-unit sign flips" if gauge.flips else "rational GL maps")
        how = "gauge-fixed exactly" if getattr(gauge, "exact", True) else "mapped"
        note = (f"{moved}{n_in} of {len(members)} runs {how} ({maps}) "
                f"into a box of radius {float(radius):.2g} on the slice"
                " of the certificate, accepted by the kernel with the same claim: "
                "the box holds one critical point of the slice, the certified one")
        if joined:
            note += f"; {len(joined)} other float group(s) merged, all their runs in the box"
        groups[a] = replace(g, starts=g.starts + sum(groups[b].starts for b in joined),
                            subgroups=g.subgroups + sum(groups[b].subgroups for b in joined),
                            runs_in_certified_box=n_in, box_certificate=cert, box_reason=note,
                            box_farthest=Fraction(int(far.p), int(far.q)))
        members_of[a] = members
        gone.update(joined)
    keep = [k for k in range(len(groups)) if k not in gone]
    return ([replace(groups[k], id=i) for i, k in enumerate(keep, start=1)],
            [members_of[k] for k in keep])
