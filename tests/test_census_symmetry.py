"""The sign-symmetry fundamental domain, per-parameter bounds, contraction and unit-balance
leaves of a census (docs/census.md, "Speed").

**Widths [1, 1, 1], X = Y = 1, per-entry decays l1 = 1/5 (on a), l2 = 1/3 (on b).**
``L = 1/2 (ab - 1)^2 + (l1 a^2 + l2 b^2)/2``, ``grad L = ((ab - 1) b + l1 a, (ab - 1) a + l2 b)``.
``a g_1 - b g_2 = l1 a^2 - l2 b^2 = 0``, so ``b = t a`` with ``t^2 = l1/l2`` (or a = b = 0: the
origin).  Then ``g_1 = 0`` reads ``t (t a^2 - 1) = -l1``, so ``a^2 = (t - l1)/t^2``:

* ``t = s = +sqrt(l1/l2) = sqrt(3/5)``: ``a^2 = (s - l1)/s^2 > 0`` iff ``l1 l2 < 1``: two real
  points ``+-(a, s a)``;
* ``t = -s``: ``a^2 = -(s + l1)/s^2 < 0``: two complex points.

So 5 complex and 3 real critical points.  At ``t = s``: ``ab - 1 = -l1/s = -sqrt(l1 l2)`` and
``L = l1 l2/2 + l1 a^2 = l1 l2/2 + l2 (s - l1) = sqrt(l1 l2) - l1 l2/2 = sqrt(1/15) - 1/30
~ 0.2249``, below the origin's 1/2; the origin's Hessian ``[[l1, -1], [-1, l2]]`` has
determinant ``l1 l2 - 1 < 0``: a saddle of index 1.  Two global minima (tied by the flip
``(a, b) -> (-a, -b)``) and one saddle.

**Widths [1, 2, 1], Y = 2, decays 1/2 on unit 1 and 1 on unit 2** (tests/test_per_entry_decay.py):
5 real points: the origin, ``a_2 = b_2 = +-1`` (unit 1 zero: its flip *fixes* these points,
whose pivot ``a_1`` is exactly 0) and ``a_1 = b_1 = +-sqrt(3/2)``.
"""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.census import check_census
from landscape_proofs.search.census import census

AB = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
      "weight_decay": [[["1/5"]], [["1/3"]]]}
WIDE = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[2]], "loss": "square",
        "weight_decay": [[["1/2"], [1]], [["1/2", 1]]]}


@pytest.fixture(scope="module")
def ab():
    return census(AB), census(AB, symmetry=False)


@pytest.fixture(scope="module")
def wide():
    return census(WIDE, timeout=60), census(WIDE, symmetry=False, timeout=60)


def _points(rep):
    return sorted((p["kind"], p["index"], tuple(Fraction(c) for c in p["enclosure"]["center"]))
                  for p in rep.points)


def test_half_and_full_cover_agree_with_the_hand_count_on_ab(ab):
    half, full = ab
    assert half.complete and full.complete, (half.reason, full.reason)
    assert half.certificate["census"]["symmetry"]["nonnegative"] == [0]
    assert "symmetry" not in full.certificate["census"]
    for rep in ab:
        assert rep.real_count == 3
        assert rep.kinds == {"global-minimum": 2, "strict-saddle": 1}
    # the half cover finds 2 roots (origin, the minimum with a > 0); the kernel adds the flip
    assert len(half.certificate["census"]["roots"]) == 2
    assert len(full.certificate["census"]["roots"]) == 3
    for p in half.points:
        r = Fraction(p["enclosure"]["radius"])
        a, b = (Fraction(c) for c in p["enclosure"]["center"])
        if p["kind"] == "strict-saddle":
            assert p["index"] == 1 and abs(a) <= r and abs(b) <= r
            continue
        # a^2 s^2 = s - l1 with s^2 = 3/5: s = 3/5 a^2 + 1/5, so (3/5 a^2 + 1/5)^2 = 3/5
        assert (a > 0) == (b > 0) and abs(a) > r
        lo_a, hi_a = abs(a) - r, abs(a) + r
        assert (Fraction(3, 5) * lo_a ** 2 + Fraction(1, 5)) ** 2 <= Fraction(3, 5)
        assert (Fraction(3, 5) * hi_a ** 2 + Fraction(1, 5)) ** 2 >= Fraction(3, 5)
        lo, hi = Fraction(p["value"]["lo"]), Fraction(p["value"]["hi"])
        assert lo + Fraction(1, 30) > 0
        assert (lo + Fraction(1, 30)) ** 2 <= Fraction(1, 15) <= (hi + Fraction(1, 30)) ** 2
        # b^2 = (l1/l2) a^2 = 3/5 a^2 within the cube
        assert (abs(b) - r) ** 2 <= Fraction(3, 5) * (abs(a) + r) ** 2
        assert Fraction(3, 5) * (abs(a) - r) ** 2 <= (abs(b) + r) ** 2
    signs = sorted(Fraction(p["enclosure"]["center"][0]) > 0 for p in half.points
                   if p["kind"] == "global-minimum")
    assert signs == [False, True]                       # the orbit was expanded by the kernel


def test_half_and_full_cover_agree_on_a_wide_layer_with_fixed_points(wide):
    half, full = wide
    assert half.complete and full.complete, (half.reason, full.reason)
    assert half.certificate["census"]["symmetry"]["nonnegative"] == [0, 1]
    for rep in wide:
        assert rep.real_count == 5
        assert rep.kinds == {"global-minimum": 2, "strict-saddle": 3}
        assert sorted(p["index"] for p in rep.points) == [0, 0, 1, 1, 2]
    # same points (the centers agree to the cubes' radius)
    for (k1, i1, c1), (k2, i2, c2) in zip(_points(half), _points(full)):
        assert (k1, i1) == (k2, i2)
        assert all(abs(x - y) < Fraction(1, 2 ** 40) for x, y in zip(c1, c2))
    # fewer boxes: a quarter of the space, plus the margins
    assert len(half.certificate["census"]["tree"]) < len(full.certificate["census"]["tree"])


def _tampered(rep, edit):
    cert = copy.deepcopy(rep.certificate)
    edit(cert)
    cert["census"].pop("result", None)
    res = check_certificate(cert)
    assert not res.holds
    return res.reason


def test_the_untampered_symmetric_certificates_hold(ab, wide):
    for rep in (ab[0], wide[0]):
        res = check_certificate(copy.deepcopy(rep.certificate))
        assert res.holds, res.reason


def test_a_domain_that_is_not_fundamental_is_rejected(ab, wide):
    # [1, 1, 1] has one flip (a, b) -> (-a, -b): a >= 0 and b >= 0 together miss (+, -)
    def both(c):
        c["census"]["symmetry"]["nonnegative"] = [0, 1]
    assert "fundamental domain" in _tampered(ab[0], both)

    # [1, 2, 1]: b_1 (index 2) is negated by the same flip as a_1: (a_1, b_1) >= 0 is not one
    def same_unit(c):
        c["census"]["symmetry"]["nonnegative"] = [0, 2]
    assert "fundamental domain" in _tampered(wide[0], same_unit)

    def repeated(c):
        c["census"]["symmetry"]["nonnegative"] = [0, 0]
    assert "pivots" in _tampered(wide[0], repeated)

    def too_wide(c):
        c["census"]["symmetry"]["margin"] = "100"
    assert "margin" in _tampered(ab[0], too_wide)


def test_a_dropped_orbit_member_or_changed_margin_is_rejected(ab):
    half = ab[0]

    def margin(c):          # a >= 0: the origin now sits on the domain's face
        c["census"]["symmetry"]["margin"] = "0"
    _tampered(half, margin)

    # a narrower margin is still a fundamental domain: the same cover stays valid (sound)
    cert = copy.deepcopy(half.certificate)
    cert["census"]["symmetry"]["margin"] = "1/1000"
    assert check_census(cert).valid

    def drop(c):            # the symmetry claim removed: the half cover misses a < -margin
        del c["census"]["symmetry"]
    _tampered(half, drop)

    def count(c):
        c["census"]["result"] = {"real_count": 2, "kinds": {"global-minimum": 1,
                                                            "strict-saddle": 1}}
    cert = copy.deepcopy(half.certificate)
    count(cert)
    assert "claims" in check_census(cert).reason


def test_a_changed_decay_entry_is_rejected(ab, wide):
    # sign flips stay symmetries under any per-entry decay (lam w^2 = lam (-w)^2); what a
    # changed entry breaks is the cover and the bounds, which the kernel recomputes
    def entry(c):
        c["problem"]["weight_decay"][1][0][0] = "1/4"
    _tampered(ab[0], entry)

    def wide_entry(c):
        c["problem"]["weight_decay"][0][1][0] = "1/2"     # units now rotate into each other
    _tampered(wide[0], wide_entry)


def test_per_parameter_bounds_are_checked(ab):
    def low(c):             # b_0^2 must be >= ||Y||^2 / (4 l1) = 5/4
        c["census"]["bound"][0] = "11/10"
    assert "bound 0" in _tampered(ab[0], low)


def test_contract_and_unit_balance_nodes_are_rechecked(wide):
    half = wide[0]
    tree = half.certificate["census"]["tree"]
    assert any(n == ["contract"] for n in tree)

    def contract_as_empty(c):   # the last contraction before a root, made a leaf "no zero"
        t = c["census"]["tree"]
        t[next(k for k, n in enumerate(t) if n == ["contract"] and t[k + 1][0] == "root")] \
            = ["krawczyk-empty"]
    _tampered(half, contract_as_empty)

    def root_as_unit(c):    # unit identity of hidden unit 1 (leaf index H - 1 + 1 = 2)
        t = c["census"]["tree"]
        t[next(k for k, n in enumerate(t) if n[0] == "root")] = ["balance", 2]
    assert "does not exclude 0" in _tampered(half, root_as_unit)

    def root_as_contract(c):
        t = c["census"]["tree"]
        t[next(k for k, n in enumerate(t) if n[0] == "root")] = ["contract"]
    _tampered(half, root_as_contract)


# ---- "unit-off" nodes (kernel.census.unit_off_box) ----------------------------------------
#
# One data point x, hidden unit u of layer k: a = row u of W_k, b = column u of W_{k+1}.
# R x = W_H..W_{k+2} (b a^T s + rest) with s = W_{k-1}..W_1 x, so with v = W_{k+2}^T..W_H^T
# (R x - y): dL/da = (v.b) s + lam_a o a and dL/db = v (a.s) + lam_b o b, i.e. the gradient in
# (a, b) is M (a; b) with M = [[diag lam_a, s v^T], [v s^T, diag lam_b]], and by the Schur
# complement det M = prod lam (1 - (sum s^2/lam_a)(sum v^2/lam_b)).  Both are checked exactly
# below at random rational points; the kernel's node relies on them.

DEEP = {"family": "deep-linear", "widths": [2, 2, 2, 1], "X": [[1], [-2]], "Y": [[3]],
        "loss": "square",
        "weight_decay": [[["1/3", "2/7"], ["1/5", "3/11"]], [["1/2", "2/3"], ["1/7", "5/13"]],
                         [["3/5", "1/11"]]]}


def test_unit_gradient_is_the_2x2_block_times_the_unit_weights():
    import random

    from flint import fmpq, fmpq_mat

    from landscape_proofs.kernel.census import _flips
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.kernel.objective import Objective
    kp = read_problem(DEEP)
    obj, rng = Objective(kp), random.Random(5)
    units = [(k, u) for k in range(len(kp.shapes) - 1) for u in range(kp.shapes[k][0])]
    for _ in range(3):
        theta = [fmpq(rng.randint(-9, 9), rng.randint(1, 6)) for _ in range(kp.n_params)]
        g, W = obj.gradient_vector(obj.unflatten(theta)), obj.unflatten(theta)
        for j, ((k, u), (rows, cols)) in enumerate(zip(units, _flips(kp, split=True))):
            s, v = kp.X, obj.product(W) * kp.X - kp.Y
            for Wk in W[:k]:
                s = Wk * s
            for Wk in reversed(W[k + 2:]):
                v = Wk.transpose() * v
            la, lb = kp.decay_block(k)[u], [r[u] for r in kp.decay_block(k + 1)]
            n, m = len(rows), len(cols)
            M = fmpq_mat(n + m, n + m)
            for i in range(n):
                M[i, i] = la[i]
                for c in range(m):
                    M[i, n + c] = M[n + c, i] = s[i, 0] * v[c, 0]
            for c in range(m):
                M[n + c, n + c] = lb[c]
            ab = fmpq_mat(n + m, 1, [theta[p] for p in rows + cols])
            assert [ (M * ab)[i, 0] for i in range(n + m)] == [g[p] for p in rows + cols]
            q = (sum((s[i, 0] ** 2 / la[i] for i in range(n)), fmpq(0))
                 * sum((v[c, 0] ** 2 / lb[c] for c in range(m)), fmpq(0)))
            prod = fmpq(1)
            for x in list(la) + lb:
                prod *= x
            assert M.det() == prod * (1 - q)


def test_unit_off_cuts_only_where_the_unit_is_off():
    """[1, 2, 1] of WIDE: (a_1, a_2, b_1, b_2) = (0, 1, 0, 1) is critical with unit 0 off, and
    (sqrt(3/2), 0, sqrt(3/2), 0) with unit 0 on, where M must be singular (M (a; b) = 0)."""
    import flint
    from flint import fmpq

    from landscape_proofs.kernel.census import CensusRejected, unit_off_box
    from landscape_proofs.kernel.enclosure import ArbDeepLinear
    from landscape_proofs.kernel.model import read_problem
    kp, e, t = read_problem(WIDE), fmpq(1, 1000), fmpq(1, 2 ** 20)
    with flint.ctx.workprec(128):
        obj = ArbDeepLinear(kp)
        c = [fmpq(0), fmpq(1), fmpq(0), fmpq(1)]
        lo, hi = unit_off_box(obj, kp, [x - e for x in c], [x + e for x in c], 0, t)
        assert (lo[0], hi[0], lo[2], hi[2]) == (-t, t, -t, t) and (lo[1], hi[3]) == (1 - e, 1 + e)
        off = [fmpq(1, 100), fmpq(1), fmpq(1, 100), fmpq(1)]   # 0 outside: no critical point
        assert unit_off_box(obj, kp, [x - e for x in off], [x + e for x in off], 0, t) is None
        r = fmpq(12247, 10000)                                  # ~ sqrt(3/2)
        on = [r, fmpq(0), r, fmpq(0)]
        with pytest.raises(CensusRejected, match="not proven nonsingular"):
            unit_off_box(obj, kp, [x - e for x in on], [x + e for x in on], 0, t)
        lo, hi = unit_off_box(obj, kp, [x - e for x in on], [x + e for x in on], 1, t)
        assert (lo[0], lo[1], hi[3]) == (r - e, -t, t)          # there unit 1 is the off one


def test_unit_off_nodes_are_used_and_rechecked(wide):
    half = wide[0]
    tree = half.certificate["census"]["tree"]
    offs = [k for k, n in enumerate(tree) if n[0] == "unit-off"]
    assert offs and half.real_count == 5

    def on_the_whole_box(c):     # the unit is on at some critical points of [-b, b]^N
        c["census"]["tree"].insert(0, ["unit-off", 0, "1/1024"])
    assert "not proven nonsingular" in _tampered(half, on_the_whole_box)

    def zero_width(c):
        c["census"]["tree"][offs[0]][2] = "0"
    assert "t > 0" in _tampered(half, zero_width)

    def no_unit(c):
        c["census"]["tree"][offs[0]][1] = 7
    assert "hidden unit" in _tampered(half, no_unit)

    reasons = []                 # the other unit named: it is on at some of those points
    for k in offs:
        cert = copy.deepcopy(half.certificate)
        cert["census"]["tree"][k][1] = 1 - cert["census"]["tree"][k][1]
        cert["census"].pop("result")
        reasons.append(check_census(cert).reason)
    assert any("not proven nonsingular" in r for r in reasons)

    def root_as_off(c):
        t = c["census"]["tree"]
        t[next(k for k, n in enumerate(t) if n[0] == "root")] = ["unit-off", 0, "1/1024"]
    _tampered(half, root_as_off)


def test_unit_off_needs_one_data_point():
    from landscape_proofs.kernel.census import CensusRejected, unit_off_box
    from landscape_proofs.kernel.enclosure import ArbDeepLinear
    from landscape_proofs.kernel.model import read_problem
    kp = read_problem(dict(WIDE, X=[[1, 2]], Y=[[2, 1]]))
    with pytest.raises(CensusRejected, match="one data point"):
        unit_off_box(ArbDeepLinear(kp), kp, [-1] * 4, [1] * 4, 0, 1)


# ---- "unit-balance" nodes (kernel.census.unit_balance_box) --------------------------------
# At a critical point, scaling hidden unit j's in-weights by 1 + t and out-weights by
# 1/(1 + t) keeps R, so sum_in lam w^2 = sum_out lam w^2.  On WIDE (x = 1, y = 2) unit 1 has
# a_2 (decay 1) in and b_2 (decay 1) out: |b_2| = |a_2|.

def test_unit_balance_cuts_to_the_square_roots():
    from flint import fmpq

    from landscape_proofs.kernel.census import unit_balance_box
    from landscape_proofs.kernel.model import read_problem
    kp = read_problem(WIDE)
    lo, hi = [fmpq(-1), fmpq(1, 2), fmpq(-1), fmpq(-3)], [fmpq(1), fmpq(3, 4), fmpq(1), fmpq(3)]
    nlo, nhi = unit_balance_box(kp, lo, hi, 1)     # |b_2| in [1/2, 3/4]: b_2 in [-3/4, 3/4]
    assert nlo[:3] == lo[:3] and nhi[:3] == hi[:3]
    assert -fmpq(3, 4) - fmpq(1, 10 ** 5) < nlo[3] <= -fmpq(3, 4) <= fmpq(3, 4) <= nhi[3] \
        < fmpq(3, 4) + fmpq(1, 10 ** 5)
    lo[3] = fmpq(0)      # b_2 >= 0 only: [1/2, 3/4] (a ball square of [1/2, 3/4] has lower
    nlo, nhi = unit_balance_box(kp, lo, hi, 1)   # end 7/32 < 1/4: the cut is sound, a bit loose)
    assert fmpq(45, 100) < nlo[3] <= fmpq(1, 2) and fmpq(3, 4) <= nhi[3] < fmpq(4, 5)
    lo[3] = fmpq(1)                                 # |b_2| >= 1 > 3/4: no critical point
    assert unit_balance_box(kp, lo, hi, 1) is None
    # unit 0: a_1^2 / 2 = b_1^2 / 2 (both decays 1/2); a_1 in [-1/2, 1/2]: |b_1| <= 1/2
    lo[0], hi[0] = -fmpq(1, 2), fmpq(1, 2)
    nlo, nhi = unit_balance_box(kp, lo, hi, 0)
    assert fmpq(1, 2) <= nhi[2] < fmpq(1, 2) + fmpq(1, 10 ** 5) and nlo[2] == -nhi[2]
    assert (nlo[0], nhi[0], nlo[1], nhi[1]) == (lo[0], hi[0], lo[1], hi[1])


def test_unit_balance_nodes_are_used_and_rechecked(wide):
    half = wide[0]
    tree = half.certificate["census"]["tree"]
    cuts = [k for k, n in enumerate(tree) if n[0] == "unit-balance"]
    assert cuts

    def wrong_unit(c):
        c["census"]["tree"][cuts[0]][1] = 5
    assert "no hidden unit" in _tampered(half, wrong_unit)

    def extra_argument(c):
        c["census"]["tree"][cuts[0]].append(1)
    _tampered(half, extra_argument)

    # a one-child node dropped: the kernel re-derives every box without it, so the tree is
    # rejected, or (the cut was redundant: the last node now cuts every weight) it still
    # gives the same five points
    cert = copy.deepcopy(half.certificate)
    del cert["census"]["tree"][cuts[0]]
    res = check_certificate(cert)
    assert not res.holds or res.reason.startswith("exactly 5 real critical points")

    def root_as_cut(c):
        t = c["census"]["tree"]
        t[next(k for k, n in enumerate(t) if n[0] == "root")] = ["unit-balance", 0]
    _tampered(half, root_as_cut)


def test_a_row_with_off_units_finishes_within_a_small_budget():
    """[1, 3, 2] (benchmark draw 1): the first round ran out of 400,000 boxes near critical
    points with one unit off; with unit-off nodes and thin widths ignored it needs < 20,000.
    Properties that could fail: the origin is one of the points, and every other point has a
    flip moving it (a unit on), so flip orbits pair them up and the count is odd; it is at most
    the 73 complex critical points; the kernel re-checks the certificate."""
    prob = {"family": "deep-linear", "widths": [1, 3, 2], "X": [[-2]], "Y": [[2], [-3]],
            "loss": "square", "weight_decay": [[["3/3"], ["4/19"], ["4/31"]],
                                               [["4/7", "1/19", "1/17"], ["4/29", "1/37", "4/11"]]]}
    rep = census(prob, max_boxes=20000, timeout=120, algebra_timeout=0)
    assert rep.complete, rep.reason
    tree = rep.certificate["census"]["tree"]
    assert any(n[0] == "unit-off" for n in tree) and any(n[0] == "unit-balance" for n in tree)
    assert rep.real_count % 2 == 1 and rep.real_count <= 73
    assert any(all(abs(Fraction(c)) <= Fraction(p["enclosure"]["radius"])
                   for c in p["enclosure"]["center"]) for p in rep.points)
    assert check_census(copy.deepcopy(rep.certificate)).valid


# --- third round: tight squares and products, the critical residual, every weight cut ---

def test_squares_and_products_of_balls_are_tight_and_contain_the_values():
    """arb's ``abs`` of a ball containing 0 is that ball again (``|0 +- r| = 0 +- r``), so
    ``|x| |x|`` dipped below 0, and the midpoint-radius product of two wide balls can cross 0
    where the true range does not; ``_square`` and ``_imul`` take exact endpoints instead."""
    import flint

    from landscape_proofs.kernel.census import _imul, _square
    from landscape_proofs.kernel.enclosure import _hull, lower_q, upper_q
    from flint import fmpq

    with flint.ctx.workprec(128):
        x = _hull(fmpq(-1), fmpq(3))
        assert lower_q(abs(x) * abs(x)) < 0                    # the old square: loose
        sq = _square(x)
        eps = fmpq(1, 2 ** 20)        # arb stores a radius with a 30-bit mantissa, rounded up
        assert -eps < lower_q(sq) <= 0 and 9 <= upper_q(sq) < 9 + eps     # [0, 9]
        sq = _square(_hull(fmpq(-3), fmpq(-2)))
        assert lower_q(sq) <= 4 and upper_q(sq) >= 9 and lower_q(sq) > fmpq(39, 10)
        r, j = _hull(fmpq(-2), fmpq(-1, 20)), _hull(fmpq(15), fmpq(17))
        assert upper_q(r * j) > 0                              # crosses 0: no sign
        p = _imul(r, j)                                        # [-34, -3/4]
        assert lower_q(p) <= -34 and upper_q(p) >= fmpq(-3, 4) and upper_q(p) < 0


def _last_box(prob, lo, hi):
    import flint

    from landscape_proofs.kernel.census import last_layer_box
    from landscape_proofs.kernel.enclosure import ArbDeepLinear
    from landscape_proofs.kernel.model import read_problem
    from flint import fmpq

    kp = read_problem(prob)
    with flint.ctx.workprec(128):
        return last_layer_box(ArbDeepLinear(kp), kp, [fmpq(*Fraction(v).as_integer_ratio())
                                                      for v in lo],
                              [fmpq(*Fraction(v).as_integer_ratio()) for v in hi])


def test_the_last_node_cuts_the_first_weight_too_by_hand():
    """Widths [1, 1, 1], x = y = 1, decay 1/2 on a and b: ``grad L = ((ab - 1) b + a/2, (ab - 1) a
    + b/2)``.  The last layer gives ``b = 2a / (1 + 2a^2)``, so ``ab - 1 = -1/(1 + 2a^2)``, and
    the first weight's own component gives ``a = 2b / (1 + 2a^2)``.  On the box ``a in [1/5,
    3/10]``, ``b in [7/20, 3/5]`` the first formula alone allows ``b`` in ``[0.339, 0.556]`` (no
    exclusion), while the second needs ``a >= 0.7/1.18 > 3/10``: no critical point, and the node
    ends the branch.  Around the minimum ``a = b = sqrt(1/2)`` the cut keeps it."""
    from flint import fmpq

    prob = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
            "weight_decay": "1/2"}
    assert _last_box(prob, ["1/5", "7/20"], ["3/10", "3/5"]) is None
    lo, hi = _last_box(prob, ["7/10", "7/10"], ["71/100", "71/100"])
    assert all(a > 0 and a * a <= fmpq(1, 2) <= h * h for a, h in zip(lo, hi))
    # a sign contradiction: a and b of opposite signs (a = 2b/(1 + 2a^2) keeps the sign of b)
    assert _last_box(prob, ["1/2", "-7/10"], ["7/10", "-1/2"]) is None


def test_a_root_replaced_by_a_last_cut_is_rejected(ab):
    """The kernel recomputes the last node's box: on a root's leaf it is not empty (it holds
    the critical point), so it cannot stand in for the root as a leaf."""
    import flint

    from landscape_proofs.kernel.census import _walk, last_layer_box, _symmetry
    from landscape_proofs.kernel.enclosure import ArbDeepLinear
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

    rep = ab[0]
    cert = copy.deepcopy(rep.certificate)
    ev, kp = cert["census"], read_problem(cert["problem"])
    with flint.ctx.workprec(ev["precision_bits"]):
        obj = ArbDeepLinear(kp)
        b = [to_fmpq(parse_exact(x)) for x in ev["bound"]]
        _, _, low = _symmetry(kp, ev.get("symmetry"), b)
        leaves = _walk(ev["tree"], low, b, kp.n_params, obj, kp)
        for label, k, lo, hi in leaves:
            if label == "root":
                c = [to_fmpq(parse_exact(x)) for x in ev["roots"][k]["center"]]
                cut = last_layer_box(obj, kp, lo, hi)
                assert cut is not None and all(a <= x <= h for a, x, h in zip(cut[0], c, cut[1]))
    pos = next(i for i, n in enumerate(ev["tree"]) if n[0] == "root")
    k = ev["tree"][pos][1]
    ev["tree"][pos] = ["last"]
    del ev["roots"][k]
    for n in ev["tree"]:
        if n[0] == "root" and n[1] > k:
            n[1] -= 1
    ev.pop("result", None)
    assert not check_certificate(cert).holds


def test_the_row_that_ran_out_of_boxes_now_finishes():
    """[1, 2, 2, 1], benchmark draw 1 (x = -2, y = 2, decays between 1/37 and 4/7): two rounds
    ran out of 400,000 boxes in a region with no critical point, where the product fits y
    almost exactly; the residual at a critical point is ``-y/(1 + S)``, which excludes it.  An
    independent float solve (eigenvectors of the multiplication matrices of the Groebner
    basis, Newton-polished) finds 33 real points among the 129 complex ones: the origin and,
    for each of the 4 paths through one unit per hidden layer, 2 points times 4 sign
    patterns.  Properties that could fail: the count, the origin (Hessian diag(decays), value
    y^2/2 = 2) a spurious local minimum, an odd count (flip orbits pair the other points)."""
    prob = {"family": "deep-linear", "widths": [1, 2, 2, 1], "X": [[-2]], "Y": [[2]],
            "loss": "square", "weight_decay": [[["1/11"], ["1/19"]],
                                               [["4/19", "4/7"], ["1/19", "1/17"]],
                                               [["4/29", "1/37"]]]}
    rep = census(prob, max_boxes=40000, timeout=300, algebra_timeout=0)
    assert rep.complete, rep.reason
    assert rep.real_count == 33
    origin = [p for p in rep.points if all(Fraction(c) == 0 for c in p["enclosure"]["center"])]
    assert len(origin) == 1 and origin[0]["kind"] == "spurious-local-minimum"
    assert Fraction(origin[0]["value"]["lo"]) <= 2 <= Fraction(origin[0]["value"]["hi"])
    assert rep.kinds["global-minimum"] == 4


def test_the_critical_residual_holds_its_values_when_the_squares_are_huge():
    """``R x - y = -y / (1 + S)`` at a critical point, ``S`` a sum of squares.  Its ball's lower
    end can dip below 0 (arb keeps a radius to 30 bits: ``[0, 2^40]`` reaches about ``-2^10``),
    past the pole of ``-y / (1 + S)`` at ``S = -1``, so ``_residual`` clamps it at 0.  Widths
    [1, 1, 1], x = 1, y = 2, decay 1/2: ``z = a``, ``S = 2 a^2``; over ``a in [-2^20, 2^20]``
    the residual takes every value in ``[-2, -2/(1 + 2^41)]``: -2 at ``a = 0`` (the ball's upper
    end may pass 0 by arb's radius rounding)."""
    import flint
    from flint import fmpq

    from landscape_proofs.kernel.census import _balls, _residual
    from landscape_proofs.kernel.enclosure import ArbDeepLinear, lower_q, upper_q
    from landscape_proofs.kernel.model import read_problem

    kp = read_problem({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[2]],
                       "loss": "square", "weight_decay": "1/2"})
    with flint.ctx.workprec(128):
        W = ArbDeepLinear(kp).unflatten(_balls([fmpq(-2 ** 20), fmpq(-1)],
                                               [fmpq(2 ** 20), fmpq(1)]))
        (res,) = _residual(kp, W)
        assert lower_q(res) <= -2 and -fmpq(2, 1 + 2 ** 41) <= upper_q(res) < fmpq(1, 2 ** 20)


def test_an_oversized_bound_gives_the_same_hand_count(monkeypatch):
    """Any ``b`` with ``b^2 >= ||Y||^2 / (4 lam)`` is a valid bound, so a certificate may use a
    huge one.  Widths [1, 1, 1], x = y = 1, decay 1/2 has 3 real critical points (the origin and
    ``a = b = +-sqrt(1/2)``, ``test_census.py``); with ``b = 2^30`` the squares reach ``2^60``
    and their balls' lower ends dip far below -1, so without the clamp of ``S`` at 0 the
    residual's "ends" straddled the pole and the kernel accepted 1 point.  Here it must be 3."""
    import landscape_proofs.search.census as producer
    from flint import fmpq

    monkeypatch.setattr(producer, "a_priori_bound", lambda kp: [fmpq(2 ** 30)] * kp.n_params)
    rep = census({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
                  "weight_decay": "1/2"}, algebra_timeout=0, timeout=60)
    assert rep.complete, rep.reason
    assert Fraction(rep.certificate["census"]["bound"][0]) == 2 ** 30
    assert rep.real_count == 3 and check_census(copy.deepcopy(rep.certificate)).valid
