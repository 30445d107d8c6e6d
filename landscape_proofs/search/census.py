"""Producer: every real critical point of a small weight-decayed deep linear network.

Branch and bound in arb over the a-priori box ``[-b, b]^N`` (docs/census.md): a box whose
interval gradient has a component excluding 0 is dropped; a box on which the interval
Hessian is nonsingular gets a Newton run from its midpoint, and if that converges inside it,
a tiny cube around the limit with a Krawczyk proof and a congruence ``V`` (rounded
eigenvectors) for its index; otherwise the box is split along its widest coordinate.  The
subdivision tree, the cubes and the ``V``'s form the certificate; only the kernel's verdict
(``kernel.census.check_census``) makes the answer, and the reported points are the kernel's.

Scope of this version: square or power loss, a weight decay > 0 on every entry, no continuous
symmetry (scalar decay: every hidden width 1).  The ``last`` and ``unit-off`` cuts solve the
square loss's last layer in closed form and are used for it only.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np
from flint import arb, arb_mat, fmpq, fmpq_mat

from landscape_proofs.kernel.census import (MAX_PARAMS, CensusRejected, _flips, _square,
                                            check_census,
                                            last_layer_box,
                                            krawczyk_box, krawczyk_cube,
                                            layer_identity_excludes,
                                            negative_count,
                                            required_bound_squared, unit_balance_box,
                                            unit_off_box)
from landscape_proofs.kernel.enclosure import (ArbDeepLinear, _approximate_inverse, _contraction,
                                               _hull, lower_q, upper_q)
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.losses import Power, Square
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.objective import Objective
from landscape_proofs.kernel.numbers import format_exact, parse_exact

FORMAT = "landscape-certificate/1"
SPLIT = fmpq(15, 26)   # never exactly 0 from [-b, b] (no factor 13 in a denominator): the
                       # origin, always critical, never sits on a split plane


@dataclass
class CensusReport:
    complete: bool
    reason: str
    real_count: int | None = None
    kinds: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    certificate: dict | None = None
    seconds: float = 0.0
    boxes: int = 0
    complex_count: int | None = None
    complex_note: str = "not computed"

    def to_json(self, certificate_ref=None) -> dict:
        return {"complete": self.complete, "reason": self.reason,
                "real_count": self.real_count, "complex_count": self.complex_count,
                "complex_count_note": self.complex_note,
                "kinds": dict(self.kinds), "points": self.points,
                "certificate": certificate_ref if certificate_ref is not None else self.certificate,
                "boxes": self.boxes, "seconds": round(self.seconds, 3)}

    def table(self) -> str:
        lines = [f"complete: {'yes' if self.complete else 'no'} ({self.reason})"]
        if self.complete:
            lines.append(f"real critical points: {self.real_count}")
            if self.complex_count is not None:
                lines.append(f"complex critical points: {self.complex_count} (Groebner basis "
                             "over Q, every one simple; not re-checked by the kernel)")
            counts = {}
            for p in self.points:
                counts[(p["kind"], p["index"])] = counts.get((p["kind"], p["index"]), 0) + 1
            lines.append(f"  {'kind':<24} {'index':>5} {'count':>5}")
            for (kind, index), n in sorted(counts.items(), key=lambda t: (t[0][1], t[0][0])):
                lines.append(f"  {kind:<24} {index:>5} {n:>5}")
            lows = [p for p in self.points if p["kind"] == "global-minimum"]
            if lows:
                lo, hi = (parse_exact(lows[0]["value"][k]) for k in ("lo", "hi"))
                lines.append(f"global minimum value ~{float(lo):.12g} (enclosure width "
                             f"{float(hi - lo):.1e}; exact bounds with --json)")
        lines.append(f"{self.boxes} boxes visited, {self.seconds:.2f} s")
        return "\n".join(lines)


def scope_reason(kp) -> str | None:
    """Why this version cannot take the census of ``kp`` (the kernel's Problem), or None."""
    if kp.symmetric or kp.sum_of_towers or len(kp.towers) != 1:
        return f"only deep-linear problems are supported in this version, not {kp.family}"
    if not isinstance(kp.loss, (Square, Power)):
        return f"only the square and power losses are supported in this version, not {kp.loss.name}"
    if kp.weight_decay == 0:
        return ("no weight decay: critical sets are positive-dimensional (rescaling between "
                "layers), so they cannot be counted")
    if not min(kp.decay_vector) > 0:
        return ("a weight decay entry is 0: that weight has no a-priori bound, and the critical "
                "set need not be finite")
    if kp.decay_entries is None:
        wide = [d for d in kp.widths[1:-1] if d != 1]
        if wide:
            return (f"hidden width {wide[0]}: with a scalar decay the orthogonal symmetry makes "
                    "the critical set infinite (a per-entry decay that no rotation of two hidden units keeps "
                    "breaks that symmetry, though units of equal cost can still form continua)")
    else:
        obj = Objective(kp)
        for i in range(len(kp.shapes) - 1):
            keeps = obj.rotation_keeps_decay(i, i + 1)
            d = kp.shapes[i][0]
            pairs = [(a, b) for a in range(d) for b in range(a + 1, d) if keeps(a, b)]
            if pairs:
                a, b = pairs[0]
                return (f"hidden units {a} and {b} of layer {i + 1} have equal decays, so rotating "
                        "them is a symmetry: nonzero critical points of those units come in circles, which a census cannot count")
    if kp.n_params > MAX_PARAMS:
        return f"{kp.n_params} parameters: this version is limited to {MAX_PARAMS}"
    return None


def a_priori_bound(kp) -> list:
    """Dyadic b_p with b_p^2 >= the kernel's required bound (``||Y||_F^2 / (4 lam_p)`` for the
    square loss), one per parameter (docs/census.md)."""
    out = []
    for s in required_bound_squared(kp):
        k = 20                                   # b = (isqrt(floor(s 4^k)) + 1) / 2^k
        b = fmpq(math.isqrt(int(s.p) * 4 ** k // int(s.q)) + 1, 2 ** k)
        assert b * b >= s
        out.append(b)
    return out


def pivots(kp) -> list:
    """One flat parameter index per hidden unit: the first entry of its row in the layer
    below.  Unit (k, u)'s pivot is negated by its own flip and otherwise only by flips of
    layer k - 1: the pivot sign map is triangular, so the flips reach every sign pattern and
    ``w_p >= 0`` on every pivot is a fundamental domain (the kernel checks this)."""
    return [kp.offsets[k] + u * kp.shapes[k][1]
            for k in range(len(kp.shapes) - 1) for u in range(kp.shapes[k][0])]


def _balls(lo, hi):
    return [arb(a).union(arb(c)) for a, c in zip(lo, hi)]


def _truncate(q: fmpq, grid: int) -> fmpq:
    """q rounded toward 0 to a multiple of 1/grid (so ~0 becomes exactly 0)."""
    n, d = int(q.p) * grid, int(q.q)
    return fmpq(n // d if n >= 0 else -(-n // d), grid)


def _exact_center(exact_obj, center, bits):
    """The simplest rationals near ``center`` when the gradient vanishes there exactly (the
    root itself: the kernel then takes its value exactly and can decide ties of critical
    values, docs/census.md), else None."""
    from landscape_proofs.search.snap import simplest_rational

    eps = Fraction(1, 2 ** (bits // 2 + 4))        # well inside the smallest cube
    snapped = [simplest_rational(Fraction(int(c.p), int(c.q)) - eps,
                                 Fraction(int(c.p), int(c.q)) + eps) for c in center]
    exact = [fmpq(q.numerator, q.denominator) for q in snapped]
    if any(q.denominator > 2 ** 20 for q in snapped) or any(
            g != 0 for g in exact_obj.gradient_vector(exact_obj.unflatten(exact))):
        return None
    return exact


def _try_root(obj, lo, hi, N, bits, exact_obj=None):
    """A certified cube (center, radius, V) for the one critical point of this box (whose
    ball Hessian the caller proved nonsingular), or None."""
    x = [arb((a + c) / 2) for a, c in zip(lo, hi)]
    tol = arb(2) ** (-(bits - 24))
    for _ in range(80):
        W = obj.unflatten(x)
        g = arb_mat(N, 1, obj.gradient_vector(W))
        H = obj.hessian(W).mid()
        try:
            d = H.solve(g.mid())
        except ZeroDivisionError:
            return None
        x = [(xi - d[i, 0]).mid() for i, xi in enumerate(x)]
        if any(not (a <= upper_q(xi) <= c) for xi, a, c in zip(x, lo, hi)):
            return None
        if all(abs(d[i, 0]) < tol for i in range(N)):
            break
    else:
        return None
    center = [_truncate(upper_q(xi), 2 ** (bits - 8)) for xi in x]   # finer than the accuracy
    center = (exact_obj is not None and _exact_center(exact_obj, center, bits)) or center
    r = fmpq(1, 2 ** (bits // 2))         # or smaller, to fit a thin box (adaptive radius)
    while r > fmpq(1, 2 ** (bits - 35)) and any(8 * r > h - a for a, h in zip(lo, hi)):
        r /= 2
    if not all(a < c - r and c + r < h for c, a, h in zip(center, lo, hi)):
        return None
    try:
        krawczyk_cube(obj, center, r, N)
        Hc = obj.hessian(obj.unflatten(center))
        Hf = np.array([[float(Hc[i, j].mid()) for j in range(N)] for i in range(N)])
        _, vecs = np.linalg.eigh((Hf + Hf.T) / 2)
        scale = 2 ** 24
        V = fmpq_mat(N, N, [fmpq(int(round(vecs[i, j] * scale)), scale)
                            for i in range(N) for j in range(N)])
        if V.det() == 0:
            return None
        Wc = obj.unflatten(_balls([c - r for c in center], [c + r for c in center]))
        Va = arb_mat(V)
        negative_count(Va.transpose() * obj.hessian(Wc) * Va)
    except CensusRejected:
        return None
    return center, r, V


def census(problem, *, timeout: float = 60.0, max_boxes: int = 200000,
           bits: int = 128, algebra_timeout: float = 10.0, symmetry: bool = True) -> CensusReport:
    """The census of ``problem`` (a families problem or its JSON dict); see the module doc.

    ``algebra_timeout``: seconds (within ``timeout``) for the number of complex critical
    points by a Groebner basis (``census_algebra.py``); 0 skips it."""
    t0 = time.monotonic()
    data = _as_dict(problem)
    from landscape_proofs.search.product_census import applies, product_census
    if applies(data):              # no weight decay: the product space (search/product_census.py)
        return product_census(data)
    count, note = None, "not computed"
    try:
        kp = read_problem(data)
    except InputError:
        kp = None
    if kp is not None and scope_reason(kp) is None:     # finite: count the complex points first
        from landscape_proofs.search.census_algebra import complex_count

        count, note = complex_count(data, kp.n_params, min(algebra_timeout, timeout))
    report = _census(data, timeout - (time.monotonic() - t0), max_boxes, bits, time.monotonic(),
                     symmetry)
    if report.reason.startswith("timeout after"):
        report.reason = f"timeout after {timeout:g} s"
    if count is not None and report.real_count is not None and report.real_count > count:
        count, note = None, (f"inconsistent: {report.real_count} certified real points but "
                             f"{count} complex ones (please report this)")
    report.complex_count, report.complex_note = count, note
    report.seconds = time.monotonic() - t0
    return report


CENSUS_PARAMS = 6          # a census backs single answers only for this many parameters
CENSUS_SECONDS = 5.0       # ... and within this time


def narrowed(problem: dict) -> dict | None:
    """The problem (a chain given by its widths) with every hidden width cut to ``r`` = the least width, when
    that changes it and the decay is scalar and > 0 (else None).  Its infimum is the original's:
    the least decay of a product ``R`` is ``(H lam/2) sum_j sigma_j(R)^(2/H)``, reached with
    hidden widths ``>= rank R``, and ``rank R <= r`` (kernel evidence ``narrow-census``)."""
    w, lam = problem.get("widths"), problem.get("weight_decay", 0)
    if not isinstance(w, list) or isinstance(lam, list):     # a chain given by its widths
        return None
    try:
        if not Fraction(parse_exact(lam)) > 0:
            return None
    except (InputError, TypeError):
        return None
    cut = [w[0]] + [min(d, min(w)) for d in w[1:-1]] + [w[-1]]
    return None if cut == w else dict(problem, widths=cut)


def census_evidence(problem) -> dict | None:
    """The ``global`` evidence a complete census gives every critical point of ``problem``
    whose value only global roots share: ``{"type": "census", "census": ...}``, or
    ``"narrow-census"`` for a chain with a scalar decay and a hidden width above its least
    width (censused narrowed, :func:`narrowed`; the kernel re-derives the narrowing).  None
    when the (narrowed) instance has more than ``CENSUS_PARAMS`` parameters, is outside the
    census's scope, or the census (one run, at most ``CENSUS_SECONDS``) is not complete."""
    from landscape_proofs.kernel.errors import LandscapeError
    from landscape_proofs.kernel.model import read_problem

    narrow = narrowed(_as_dict(problem))
    target = narrow if narrow is not None else _as_dict(problem)
    try:
        kp = read_problem(target)
        if kp.n_params > CENSUS_PARAMS or scope_reason(kp) is not None:
            return None
        report = census(target, timeout=CENSUS_SECONDS, algebra_timeout=0.0)
    except (LandscapeError, ArithmeticError, ValueError, ZeroDivisionError, MemoryError):
        return None                 # an optional upgrade: a census that fails changes nothing
    if not report.complete or not isinstance(report.certificate, dict):
        return None
    return {"type": "narrow-census" if narrow is not None else "census",
            "census": report.certificate["census"]}


def global_by_census(problem, items) -> list:
    """``global-minimum`` for critical points that are local minima no lower bound decided,
    where a complete census (:func:`census_evidence`) shows that only global roots have their
    value and the kernel accepts it: per item, ``(certificate, reason)`` or None.  An item is
    an exact ``(point, value)`` (a :class:`Certificate` back) or the JSON of a local-minimum
    certificate (JSON back; for an enclosure the census is its ``global`` evidence: an
    irrational minimum, whose value enclosure must meet only global census values)."""
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.produce.certificate import Certificate

    out = [None] * len(items)
    ev = census_evidence(problem) if items else None
    if ev is None:
        return out
    for k, item in enumerate(items):
        if isinstance(item, dict):
            enclosure = item["evidence"].get("type") == "enclosure"
            cert = dict(item, claim="global-minimum",
                        evidence={**item["evidence"], "global": ev} if enclosure else ev,
                        method=f"{item.get('method')}; {ev['type']}" if enclosure else ev["type"])
            verdict = check_certificate(cert)
        else:
            point, value = item
            cert = Certificate(claim="global-minimum", problem=problem, point=point, value=value,
                               evidence=ev, method=ev["type"])
            verdict = check_certificate(cert.to_json())
        if verdict.valid:
            out[k] = (cert, verdict.reason)
    return out


def _as_dict(problem) -> dict:
    if isinstance(problem, dict):
        return problem
    from landscape_proofs.families.io import problem_to_dict
    return problem_to_dict(problem)


def _box(obj, kp, lo, hi, layer_tests, N):
    """The kernel's leaf tests on one box, computing the ball Hessian once: (a leaf node, or
    None; the Hessian; whether it is proven nonsingular).  Same arithmetic as the kernel's
    ``layer_identity_excludes``, ``excluded_component``, ``krawczyk_empty``, ``nonsingular_on``."""
    for lab, i in layer_tests:
        if layer_identity_excludes(obj, kp, lo, hi, lab, i):
            return [lab, i], None, False, None
    B = obj.unflatten(_balls(lo, hi))
    g = obj.gradient_vector(B)
    for k in range(N):
        if lower_q(g[k]) > 0 or upper_q(g[k]) < 0:
            return ["excluded", k], None, False, None
    c = [(a + h) / 2 for a, h in zip(lo, hi)]
    H, gc = obj.hessian(B), obj.gradient_vector(obj.unflatten(c))
    Z = [_hull(a - m, h - m) for a, h, m in zip(lo, hi, c)]
    for k in range(N):
        m = gc[k] + sum((H[k, j] * Z[j] for j in range(N)), arb(0))
        if lower_q(m) > 0 or upper_q(m) < 0:
            return ["excluded", k], H, False, None
    try:
        box = krawczyk_box(obj, lo, hi, H)
    except CensusRejected:
        return None, H, False, None
    if box is None:
        return ["krawczyk-empty"], H, False, None
    return (None, H, _contraction(_approximate_inverse(H), H)[1] < 1,
            box if _useful(lo, hi, box, 0.8) else None)


THIN = 2.0 ** -30      # widths below this count as done (e.g. an off unit's weights)
FLOOR = 2.0 ** -90     # no cut below this width: a root cube (radius >= 2^-93) must fit


def _useful(lo, hi, box, ratio) -> bool:
    """A contraction worth a node: some width that is not yet THIN below ``ratio`` of the old,
    none cut below FLOOR (a root cube must still fit)."""
    shrink = [float((h - a) / (y - x)) for a, h, x, y in zip(*box, lo, hi) if float(y - x) > THIN]
    return min(shrink, default=1) < ratio and all(
        float(h - a) > FLOOR for a, h, x, y in zip(*box, lo, hi) if h - a < y - x)


def _split(lo, hi, H, N, free=None):
    """(coordinate, point): the coordinate of largest width times its largest Hessian column
    entry (its influence on the gradient over the box), cut at 15/26 of its width (never at 0
    from a symmetric start; nudged if it would be 0)."""
    weight = [1.0 if free is None or i in free else 1e-3 for i in range(N)]  # others rarely
    if H is None:
        k = max(range(N), key=lambda i: float(hi[i] - lo[i]) * weight[i])
    else:
        infl = [max(float(abs(H[j, i]).upper()) for j in range(N)) for i in range(N)]
        k = max(range(N), key=lambda i: float(hi[i] - lo[i]) * infl[i] * weight[i])
    w = hi[k] - lo[k]
    m = 2 ** (24 + max(0, int(w.q).bit_length() - int(w.p).bit_length()))
    n = int(((lo[k] + w * SPLIT) * 13 * m).floor())
    n += n % 13 == 0                  # a short rational with 13 in its denominator: never a
    at = fmpq(n, 13 * m)              # root coordinate such as 0 or 1 in the examples
    return k, at


BAL = 0.9                 # a unit-balance cut must shrink some width below BAL of the old
OFF = fmpq(1, 2 ** 40)   # half-width kept around an "off" hidden unit (root cubes are 2^-64)


def _unit_off(obj, kp, lo, hi, flips):
    """A ``["unit-off", j, OFF]`` node and its box (or None) for the first hidden unit j
    not yet cut whose 2x2-block test passes on the box (kernel ``unit_off_box``), or None."""
    for j, idx in enumerate(flips):
        if all(-OFF <= lo[p] and hi[p] <= OFF for p in idx):
            continue
        try:
            box = unit_off_box(obj, kp, lo, hi, j, OFF)
        except CensusRejected:
            continue
        return ["unit-off", j, format_exact(to_fraction_q(OFF))], box
    return None


def _sign_gap(kp, lo, hi, units):
    """A weight p whose range contains 0 while its unit's balance keeps ``|w_p|`` away from 0
    (``unit_balance_box`` would cut it to the hull of two intervals, one of each sign): the
    producer splits it at 0, so that each side is cut to one sign.  None if there is none."""
    flat, dv = _balls(lo, hi), kp.decay_vector
    for rows, cols in units:
        e = {p: arb(dv[p]) * _square(flat[p]) for p in rows + cols}
        for p in rows + cols:
            if lo[p] < 0 < hi[p]:
                same = rows if p in rows else cols
                w2 = sum((e[q] for q in rows + cols if q not in same), arb(0)) - sum(
                    (e[q] for q in same if q != p), arb(0))
                if lower_q(w2) > 0:
                    return p
    return None


def _census(problem, timeout, max_boxes, bits, t0, symmetry=True, contract=True,
            units_test=True, last_test=True, off_test=True) -> CensusReport:
    problem = _as_dict(problem)
    try:
        kp = read_problem(problem)
    except InputError as exc:
        return CensusReport(False, f"the kernel cannot read this problem: {exc}")
    why = scope_reason(kp)
    if why:
        return CensusReport(False, why, seconds=time.monotonic() - t0)
    N = kp.n_params
    b = a_priori_bound(kp)
    piv = pivots(kp) if symmetry else []
    margin = min((b[p] for p in piv), default=fmpq(0)) * fmpq(3, 32)
    low = [-margin if p in piv else -x for p, x in enumerate(b)]
    tree, roots, boxes = [], [], 0
    with flint.ctx.workprec(bits):
        obj = ArbDeepLinear(kp)
        exact_obj = Objective(kp)       # exact centers where the root is rational
        H = len(kp.shapes)
        # per-unit balances (leaf index H - 1 + j for hidden unit j), where a layer has >= 2
        # units (with one unit it is the layer balance)
        starts = [sum(r for r, _ in kp.shapes[:k]) for k in range(H)]
        units = [H - 1 + starts[k] + u for k in range(H - 1) for u in range(kp.shapes[k][0])
                 if units_test and kp.shapes[k][0] > 1]
        square = isinstance(kp.loss, Square)   # the closed forms of last and unit-off
        last = last_test and square and kp.X.ncols() == 1
        # the last layer, and the first when x has >= 2 entries, follow from the others
        first = kp.offsets[1] if last and kp.X.nrows() > 1 and len(kp.shapes) > 1 else 0
        free = (range(first if first < kp.offsets[-1] else 0, kp.offsets[-1]) if last else None)
        flips = ([sorted(r + c) for r, c in _flips(kp, split=True)]
                 if off_test and square and kp.X.ncols() == 1 else [])
        units_split = _flips(kp, split=True) if flips else []
        layer_tests = ([("euler", i) for i in range(H)] + [("balance", i) for i in range(H - 1)]
                       + [("balance", i) for i in units])
        stack = [(low, list(b))]
        while stack:
            boxes += 1
            if boxes > max_boxes:
                return CensusReport(False, f"budget: more than {max_boxes} boxes",
                                    seconds=time.monotonic() - t0, boxes=boxes - 1)
            if time.monotonic() - t0 > timeout:
                return CensusReport(False, f"timeout after {timeout:g} s",
                                    seconds=time.monotonic() - t0, boxes=boxes - 1)
            lo, hi = stack.pop()
            if last:                  # the last layer is a function of the others: cut it
                try:
                    box = last_layer_box(obj, kp, lo, hi)
                except (CensusRejected, ZeroDivisionError):
                    box = lo, hi
                if box is None or _useful(lo, hi, box, 0.9):
                    tree.append(["last"])
                    stack.extend([box] if box else [])
                    continue
            cut = next(((j, bx) for j in range(len(flips)) if (bx := unit_balance_box(
                kp, lo, hi, j)) is None or _useful(lo, hi, bx, BAL)), None) if flips else None
            if cut is not None:       # a unit's balance pins the size of one of its weights
                tree.append(["unit-balance", cut[0]])
                stack.extend([cut[1]] if cut[1] else [])
                continue
            off = _unit_off(obj, kp, lo, hi, flips) if flips else None
            if off is not None:
                tree.append(off[0])
                stack.extend([off[1]] if off[1] else [])
                continue
            node, Hb, regular, box = _box(obj, kp, lo, hi, layer_tests, N)
            if node is not None:
                tree.append(node)
                continue
            root = _try_root(obj, lo, hi, N, bits, exact_obj) if regular else None
            if root is not None:
                tree.append(["root", len(roots)])
                roots.append(root)
                continue
            if box is not None and contract:
                tree.append(["contract"])
                stack.append(box)
                continue
            gap = _sign_gap(kp, lo, hi, units_split) if units_split else None
            k, at = (gap, fmpq(0)) if gap is not None else _split(lo, hi, Hb, N, free)
            tree.append(["split", k, format_exact(to_fraction_q(at))])
            stack.append((lo[:k] + [at] + lo[k + 1:], hi))
            stack.append((lo, hi[:k] + [at] + hi[k + 1:]))
    # one radius for every cube (the least): the kernel looks for each root's flipped cube in
    # the partner's leaf, which may be thin enough that only the partner's small cube fits
    rmin = min((r for _, r, _ in roots), default=None)
    roots = [(center, rmin, V) for center, _, V in roots]
    fmt = lambda q: format_exact(to_fraction_q(q))    # noqa: E731
    ev = {"bound": [fmt(x) for x in b], "precision_bits": bits, "tree": tree,
          "roots": [{"center": [fmt(c) for c in center], "radius": fmt(r),
                     "congruence": [[fmt(V[i, j]) for j in range(N)] for i in range(N)]}
                    for center, r, V in roots]}
    if piv:
        ev["symmetry"] = {"nonnegative": piv, "margin": fmt(margin)}
    cert = {"format": FORMAT, "claim": "census", "problem": problem, "census": ev,
            "producer": {"name": "landscape census", "method": "arb branch and bound"}}
    verdict = check_census(cert)
    if not verdict.valid:
        return CensusReport(False, f"the kernel rejected the certificate: {verdict.reason}",
                            certificate=cert, seconds=time.monotonic() - t0, boxes=boxes)
    cert["census"]["result"] = {"real_count": len(verdict.points), "kinds": dict(verdict.kinds)}
    points = [{"kind": p["kind"], "index": p["index"],
               "value": {"lo": _s(p["lo"]), "hi": _s(p["hi"])},
               "enclosure": {"center": [_s(c) for c in p["center"]], "radius": _s(p["radius"])}}
              for p in sorted(verdict.points, key=lambda p: (p["lo"], p["index"]))]
    return CensusReport(True, verdict.reason, len(points), dict(verdict.kinds), points, cert,
                        time.monotonic() - t0, boxes)


def to_fraction_q(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _s(q: fmpq) -> str:
    return str(format_exact(to_fraction_q(q)))


__all__ = ["CensusReport", "a_priori_bound", "census", "census_evidence", "global_by_census", "scope_reason"]
