"""Local openness of product maps: known answers derived by hand, the numeric probe, and a
property test that the exact decision and the probe agree (docs/openness.md).

Notation: M(U, V) = U V with U m x k, V k x n; a = rank U, b = rank V, rho = rank UV,
c = k - a - b + rho.  Pair rule: for k >= min(m, n) open iff rho + k - b >= m or
rho + k - a >= n; for k < min(m, n) open (onto rank <= k) iff a = b = rho.  When not open,
D = P Q^T (c + 1 columns of P in the left kernel of U, of Q in the kernel of V) is missed.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flint

from landscape_proofs.kernel.linalg import identity, matrix, rank, zeros
from landscape_proofs.openness.intervals import (from_multiplicities, interval_multiplicities, lanes,
                                        normal_form, route)
from landscape_proofs.openness.products import (Openness, chain_intervals, decide_chain,
                                       decide_chain_by_rules, decide_pair, decide_symmetric,
                                       partial_ranks, probe_openness)

Q = flint.fmpq


def ints(M):
    return [[int(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def probe_pair(U, V, d, **kw):
    return probe_openness("chain", [V, U], d, **kw)


# --- the pair U V, by hand ------------------------------------------------------------------
def test_rank_one_pair_with_equal_ranks_is_open_in_its_range():
    # U = [[1], [0]], V = [[1, 0]]: k = 1 < min(2, 2); rank U = rank V = rank UV = 1.
    # Near UV = e1 e1^T every rank-1 T = [[1 + s, x], [y, z]] with z = xy/(1 + s) is
    # U' V' with U' = [[1 + s], [y]], V' = [[1, x/(1 + s)]]: open onto the rank <= 1 matrices.
    U, V = matrix([[1], [0]]), matrix([[1, 0]])
    d = decide_pair(U, V)
    assert d.verdict is Openness.OPEN and d.rule == "pair-equal-ranks"
    assert d.range.max_rank == 1 and not d.range.is_everything
    p = probe_pair(U, V, d)
    assert p.random_reached == p.random_tried == 8


def test_theorems_md_counterexample_equal_factor_ranks_are_not_enough():
    # m = n = 3, k = 2, U = [e1, 0], V = [0; e1^T]: rank U = rank V = 1 but UV = 0.
    # By hand: (U + A)(V + B) = p b1^T + a2 q^T with p = e1 + a1, q = e1 + b2 (columns a1, a2
    # of A; rows b1, b2 of B).  If this equals eps e2 e2^T, then for every x orthogonal to p:
    # x^T (...) = (x.a2) q^T = eps (x.e2) e2^T; q is not parallel to e2 (q_1 ~ 1), so
    # x.e2 = 0 for all x orthogonal to p, i.e. e2 is parallel to p ~ e1: impossible for small A.
    # So UV + eps e2 e2^T (rank 1 <= k, in the range) is never reached near (U, V).
    U, V = matrix([[1, 0], [0, 0], [0, 0]]), matrix([[0, 0, 0], [1, 0, 0]])
    assert rank(U) == rank(V) == 1 and rank(U * V) == 0
    d = decide_pair(U, V)
    assert d.verdict is Openness.NOT_OPEN and d.rule == "pair-unequal-ranks"
    assert ints(d.unreachable) == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]      # e2 e2^T
    p = probe_pair(U, V, d)
    assert p.direction_reached is False
    assert p.verdict is Openness.NOT_OPEN


def test_square_pair_not_open_when_neither_factor_can_be_filled():
    # m = k = n = 2, U = diag(1, 0), V = diag(0, 1): UV = 0, a = b = 1, rho = 0, c = 0;
    # rho + k - b = 1 < 2 and rho + k - a = 1 < 2.  By hand, with U' = [[1 + a11, a12],
    # [a21, a22]], V' = [[b11, b12], [b21, 1 + b22]] and target t e2 e1^T: entry (1,2) gives
    # b12 = -a12 (1 + b22)/(1 + a11), entry (2,2) then a22 = a21 a12/(1 + a11), entry (1,1)
    # b11 = -a12 b21/(1 + a11), and entry (2,1) = a21 b11 + a22 b21 = 0 != t.
    U, V = matrix([[1, 0], [0, 0]]), matrix([[0, 0], [0, 1]])
    d = decide_pair(U, V)
    assert d.verdict is Openness.NOT_OPEN and d.rule == "pair-no-fill"
    assert d.range.is_everything
    assert ints(d.unreachable) == [[0, 0], [1, 0]]                        # e2 e1^T
    p = probe_pair(U, V, d)
    assert p.direction_reached is False


def test_square_pair_open_by_filling_rows_with_a_witness():
    # U = V = diag(1, 0): rho = 1, rho + k - b = 1 + 2 - 1 = 2 >= m = 2.  U' = I has
    # U'V = V = UV and full row rank; near (I, V) every target T is I V' with V' = T.
    U = V = matrix([[1, 0], [0, 0]])
    d = decide_pair(U, V)
    assert d.verdict is Openness.OPEN and d.rule == "pair-fill-rows"
    name, W = d.witness
    assert name == "U" and W * V == U * V and rank(W) == 2
    assert probe_pair(U, V, d).verdict is Openness.OPEN


def test_scalar_product_at_the_origin_is_open():
    # ab at (0, 0): t = sqrt|t| * sign(t) sqrt|t|; the rule: rho + k - b = 0 + 1 - 0 >= 1.
    z = matrix([[0]])
    d = decide_pair(z, z)
    assert d.verdict is Openness.OPEN and d.witness[1] == matrix([[1]])
    assert probe_pair(z, z, d).verdict is Openness.OPEN


def test_pair_open_by_filling_columns():
    # U = [[1, 0]] (1 x 2), V = [[1, 0, 0], [0, 0, 0]]: m = 1, k = 2, n = 3, k >= min = 1.
    # rho = 1, a = 1, b = 1: rho + k - b = 2 >= m = 1 (rows can be filled); take a case
    # where only columns can: U = [[1, 0], [0, 0], [0, 0]], V = [[1], [0]]:
    # m = 3, k = 2, n = 1: rho + k - b = 1 + 2 - 1 = 2 < 3, rho + k - a = 2 >= n = 1.
    U, V = matrix([[1, 0], [0, 0], [0, 0]]), matrix([[1], [0]])
    d = decide_pair(U, V)
    assert d.verdict is Openness.OPEN and d.rule == "pair-fill-columns"
    name, W = d.witness
    assert name == "V" and U * W == U * V and rank(W) == 1
    assert probe_pair(U, V, d).verdict is Openness.OPEN


# --- U U^T ------------------------------------------------------------------------------------
def test_symmetric_map_is_open_in_its_range_everywhere():
    # U U^T at U = [e1, 0] (3 x 2): range = PSD 3 x 3 of rank <= 2.  Docs: Schur complement
    # of the target plus a square root of the (PSD, rank <= k - r) complement.
    U = matrix([[1, 0], [0, 0], [0, 0]])
    d = decide_symmetric(U)
    assert d.verdict is Openness.OPEN and d.range.psd and d.range.max_rank == 2
    p = probe_openness("symmetric", [U], d)
    assert p.random_reached == p.random_tried


# --- deep products ---------------------------------------------------------------------------
def test_abc_at_the_origin_is_open():
    # t = (t^(1/3))^3: every small t is reached with moves of size |t|^(1/3).
    z = matrix([[0]])
    d = decide_chain([z, z, z])
    assert d.verdict is Openness.OPEN
    assert probe_openness("chain", [z, z, z], d).verdict is Openness.OPEN


def test_deep_not_open_through_an_identity_layer():
    # W_3 W_2 W_1 = diag(1,0) I diag(0,1).  Lanes: e1 at vertex 0 dies at once ([0,0]),
    # e2 lives to vertex 2 ([0,2]), the image e1 of W_3 is born at 1 ([1,3]), e2 at vertex 3 is
    # born there ([3,3]).  Vertex 1: no internal lane (c = 0), X = 1 ([0,0]), Y = 1 ([3,3]):
    # obstructed, and the pair (W_3 W_2, W_1) = (diag(1,0), diag(0,1)) misses e2 e1^T.
    # The old rules see the same through the invertible W_2 (absorbed into W_3).
    W1, W2, W3 = matrix([[0, 0], [0, 1]]), matrix([[1, 0], [0, 1]]), matrix([[1, 0], [0, 0]])
    d = decide_chain([W1, W2, W3])
    assert d.verdict is Openness.NOT_OPEN and d.rule == "deep-split-obstruction"
    assert dict(d.intervals) == {(0, 0): 1, (0, 2): 1, (1, 3): 1, (3, 3): 1}
    assert d.vertices[0] == (1, 0, 1, 1)
    assert ints(d.unreachable) == [[0, 0], [1, 0]]
    old = decide_chain_by_rules([W1, W2, W3])
    assert old.rule == "deep-absorb-invertible" and old.parts[0].rule == "pair-no-fill"
    assert ints(old.unreachable) == [[0, 0], [1, 0]]
    p = probe_openness("chain", [W1, W2, W3], d)
    assert p.direction_reached is False


def test_deep_split_obstruction():
    # widths [2, 3, 2, 2]: W_1 = [e2; 0] stacked (3 x 2), W_2 = [I_2 0] (2 x 3), W_3 = diag(1, 0).
    # Split at vertex 2: A = W_3 = diag(1, 0), B = W_2 W_1 = diag(0, 1), the non-open pair of
    # test_square_pair_not_open_when_neither_factor_can_be_filled: c = 0, D = e2 e1^T, and
    # W_3 W_2 W_1 + delta D has rank 1 <= r = 2.  No layer is invertible.
    W1 = matrix([[0, 0], [0, 1], [0, 0]])
    W2 = matrix([[1, 0, 0], [0, 1, 0]])
    W3 = matrix([[1, 0], [0, 0]])
    d = decide_chain([W1, W2, W3])
    assert d.verdict is Openness.NOT_OPEN and d.rule == "deep-split-obstruction" and d.split == 2
    assert ints(d.unreachable) == [[0, 0], [1, 0]]
    assert probe_openness("chain", [W1, W2, W3], d).direction_reached is False


def test_deep_partial_perturbation_rule():
    # widths [4, 4, 3, 2]; W_3 = 0, W_2 W_1 = 0, rank W_2 = 2 = r.  Keeping W_2 and moving
    # W_1, W_3: E_3 W_2 E_1 = (E_3 P)(Q E_1) with W_2 = P Q, a pair at (0, 0) with inner
    # width 2 >= min(2, 4): open.  Neither the split composition nor the obstruction decide.
    Ws = [matrix([[1, -1, 1, 0], [0, -1, -1, 0], [1, -2, 0, 0], [-1, 1, -1, 0]]),
          matrix([[-1, 1, -1, -2], [0, -1, 1, 1], [0, -1, 1, 1]]),
          matrix([[0, 0, 0], [0, 0, 0]])]
    assert Ws[1] * Ws[0] == matrix([[0] * 4] * 3)
    old = decide_chain_by_rules(Ws)
    assert old.verdict is Openness.OPEN and old.rule == "deep-partial"
    d = decide_chain(Ws)
    assert d.verdict is Openness.OPEN and d.rule == "deep-routing"
    assert probe_openness("chain", Ws, d).verdict is Openness.OPEN


def test_formerly_undecided_deep_instance_is_open():
    # widths [5, 5, 3, 3], W_3 = 0, W_2 of rank 1, W_2 W_1 = 0, rank W_1 = 3: none of the old
    # rules applies (they answer undecided).  Lanes, by inclusion-exclusion of the ranks
    # r01 = 3, r12 = 1, r02 = r13 = r23 = r03 = 0: m[0,0] = 5 - 3 = 2, m[0,1] = 3,
    # m[1,1] = 5 - 3 - 1 = 1, m[1,2] = 1, m[2,2] = 3 - 1 = 2, m[3,3] = 3.  Vertex 1:
    # c = 2 ([1,1], [1,2]) >= min(X = 2, Y = 3, 3); vertex 2: c = 3 >= min(5, 3, 3): open.
    # By hand: W'_3 = E_3 = S M^+ with M = W_2 E_1 + E_2 W_1 + E_2 E_1 of full row rank, its
    # rows a basis of row(S) (one from row(W_1) through E_2, one through the [1,2] lane, one
    # through [1,1] -> [2,2] at order eps^2).
    Ws = [matrix([[0, 1, 0, -1, 1], [-2, 1, -1, 0, 1], [-1, 1, 0, -1, 2], [-2, 0, -1, 1, 0],
                  [-2, 2, -1, -1, 2]]),
          matrix([[0, 0, 0, 0, 0], [1, 1, 0, 0, -1], [1, 1, 0, 0, -1]]),
          matrix([[0, 0, 0], [0, 0, 0], [0, 0, 0]])]
    assert decide_chain_by_rules(Ws).verdict is Openness.UNDECIDED
    d = decide_chain(Ws)
    assert dict(d.intervals) == {(0, 0): 2, (0, 1): 3, (1, 1): 1, (1, 2): 1, (2, 2): 2, (3, 3): 3}
    assert d.vertices == ((1, 2, 2, 3), (2, 3, 5, 3))
    assert d.verdict is Openness.OPEN and d.rule == "deep-routing" and d.unreachable is None
    p = probe_openness("chain", Ws, d, targets=6)
    assert p.random_reached == p.random_tried


def test_nilpotent_chain_is_open_by_sharing_a_lane():
    # W_1 = W_2 = W_3 = N = [[0, 1], [0, 0]] (N^2 = 0, product 0).  Lanes: [0,0] (e1 at 0),
    # [0,1] (e2 at 0 -> e1 at 1), [1,2], [2,3], [3,3]; one internal lane, [1,2], at vertices
    # 1 and 2; X_1 = 1, Y_1 = 2, X_2 = 2, Y_2 = 1: c = 1 >= 1 at both: open.  No split has the
    # pair obstruction, no pair inside is open, and the old rules are undecided.
    # By hand: with t = s^2, E_1 = [[0, 0], [-t, -s/2]], E_2 = [[-s/2, 0], [-t, 0]],
    # M = (N + E_2)(N + E_1) = [[-t, -s/2], [s^2/4, t]] has det = -t^2 + s^3/8 ... exactly
    # s^3 M^(-1) = N - s I, so (N - s I)(N + E_2)(N + E_1) = s^3 I: the target s^3 I (the
    # [0,0] -> [2,3] and [0,1] -> [3,3] pairing, both through the one lane [1,2]) is reached
    # with moves O(s) = O(|target|^(1/3)).
    N = matrix([[0, 1], [0, 0]])
    d = decide_chain([N, N, N])
    assert dict(d.intervals) == {(0, 0): 1, (0, 1): 1, (1, 2): 1, (2, 3): 1, (3, 3): 1}
    assert d.vertices == ((1, 1, 1, 2), (2, 1, 2, 1))
    assert d.verdict is Openness.OPEN and d.rule == "deep-routing"
    assert decide_chain_by_rules([N, N, N]).verdict is Openness.UNDECIDED
    for s in (Q(1, 10), Q(1, 1000)):
        t = s * s
        E1, E2 = matrix([[0, 0], [-t, -s / 2]]), matrix([[-s / 2, 0], [-t, 0]])
        assert (N - s * identity(2)) * (N + E2) * (N + E1) == s ** 3 * identity(2)
    p = probe_openness("chain", [N, N, N], d, targets=6)
    assert p.random_reached == p.random_tried


def test_powers_of_a_nilpotent_jordan_block():
    # W_l = J (the d x d nilpotent Jordan block, J e_k = e_(k-1), J e_1 = 0) for l = 1..H.
    # Lanes: e_k at vertex 0 lives k - 1 steps ([0, k - 1], k = 1..d); at every later vertex i
    # only e_d is born, and lives d - 1 steps: [i, i + d - 1] (internal if it ends before H,
    # else the sink [i, H]); at vertex H every e_k is in a lane.  d = 3, H = 4: sources [0,0]
    # [0,1] [0,2], internal [1,3], sinks [2,4] [3,4] [4,4]; vertex 2: c = 1 < min(X = 2,
    # Y = 2, 3): not open.  d = 3, H = 5: internal [1,3], [2,4]; c = 1, 2, 2, 1 at vertices
    # 1..4 against min(X, Y, 3) = 1, 2, 2, 1: open.  d = 3, H = 3: no internal lane, vertex 1:
    # 0 < min(1, 2, 3): not open.  d = 2: open for H = 3 (test above) and H = 4.
    J3 = matrix([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    N = matrix([[0, 1], [0, 0]])
    d = decide_chain([J3] * 4)
    assert d.verdict is Openness.NOT_OPEN and d.split == 2
    assert dict(d.intervals) == {(0, 0): 1, (0, 1): 1, (0, 2): 1, (1, 3): 1, (2, 4): 1,
                                 (3, 4): 1, (4, 4): 1}
    d = decide_chain([J3] * 5)
    assert d.verdict is Openness.OPEN
    assert [(v[1], min(v[2], v[3], 3)) for v in d.vertices] == [(1, 1), (2, 2), (2, 2), (1, 1)]
    d = decide_chain([J3] * 3)
    assert d.verdict is Openness.NOT_OPEN and d.split == 1
    assert probe_openness("chain", [J3] * 3, d, targets=4).direction_reached is False
    assert decide_chain([N] * 4).verdict is Openness.OPEN


def test_interval_multiplicities_by_hand():
    # W_1 = [[1, 0], [0, 0]] (2 x 2), W_2 = [[0, 1]] (1 x 2): ranks r01 = 1, r12 = 1, r02 = 0.
    # m[0,2] = r02 = 0; m[0,1] = r01 - r02 = 1 (e1 reaches vertex 1 and dies); m[0,0] =
    # 2 - 1 = 1 (e2 dies at once); m[1,2] = r12 - r02 = 1 (e2 at vertex 1 is born there and
    # maps to vertex 2); m[1,1] = 2 - 1 - 1 + 0 = 0; m[2,2] = 1 - 1 = 0.
    W1, W2 = matrix([[1, 0], [0, 0]]), matrix([[0, 1]])
    m = interval_multiplicities((2, 2, 1), partial_ranks([W1, W2]))
    assert {k: v for k, v in m.items() if v} == {(0, 0): 1, (0, 1): 1, (1, 2): 1}
    data = chain_intervals([W1, W2])
    assert data.rho == 0 and data.q == 1
    # the normal form has the same lanes
    assert chain_intervals(normal_form(data)).mult == data.mult


def _isoclasses(H, max_lanes):
    """Every chain with H layers and at most max_lanes lanes (all widths >= 1), as lanes."""
    types = [(a, b) for a in range(H + 1) for b in range(a, H + 1)]
    for total in range(1, max_lanes + 1):
        for combo in itertools.combinations_with_replacement(types, total):
            mult = {}
            for iv in combo:
                mult[iv] = mult.get(iv, 0) + 1
            data = from_multiplicities(H, mult)
            if min(data.widths) >= 1:
                yield data


@pytest.mark.parametrize("H, max_lanes", [(2, 7), (3, 6), (4, 4)])
def test_old_rules_never_contradict_the_criterion_on_every_small_chain(H, max_lanes):
    """Exhaustive over isomorphism classes: the lane criterion agrees with the pair theorem
    (H = 2, where decide_chain is decide_pair), and the six old (sufficient) rules, where they
    decide, agree with it."""
    decided = undecided = 0
    for data in _isoclasses(H, max_lanes):
        Ws = normal_form(data)
        d = decide_chain(Ws)
        assert d.verdict is (Openness.OPEN if data.is_open() else Openness.NOT_OPEN)
        old = decide_chain_by_rules(Ws)
        if old.verdict is Openness.UNDECIDED:
            undecided += 1
            continue
        decided += 1
        assert old.verdict is d.verdict, (data.describe(), old.rule, d.rule)
    assert decided > 1000 and undecided < decided / 100


def _maximal_configurations(data):
    """Every maximal partial matching of source lanes to sink lanes (of size
    min(q, #sources, #sinks)), up to the order of lanes of the same kind, as lane pairs."""
    L = lanes(data)
    H = data.H
    src = sorted({iv for iv in L if iv[0] == 0 and iv[1] < H})
    snk = sorted({iv for iv in L if iv[1] == H and iv[0] > 0})
    cap = {iv: L.count(iv) for iv in src + snk}
    size = min(data.q, sum(cap[i] for i in src), sum(cap[i] for i in snk))
    cells = [(x, y) for x in src for y in snk]

    def rec(i, left, counts):
        if left == 0:
            yield dict(counts)
            return
        if i == len(cells):
            return
        x, y = cells[i]
        used_x = sum(v for (a, _), v in counts.items() if a == x)
        used_y = sum(v for (_, b), v in counts.items() if b == y)
        for v in range(min(left, cap[x] - used_x, cap[y] - used_y), -1, -1):
            counts[(x, y)] = v
            yield from rec(i + 1, left - v, counts)
        counts[(x, y)] = 0

    for counts in rec(0, size, {}):
        taken, pairs = set(), []
        for (x, y), v in counts.items():
            for _ in range(v):
                a = next(n for n, iv in enumerate(L) if iv == x and n not in taken)
                b = next(n for n, iv in enumerate(L) if iv == y and n not in taken)
                taken |= {a, b}
                pairs.append((a, b))
        yield pairs


@pytest.mark.parametrize("H, max_lanes", [(3, 6), (4, 5), (5, 4)])
def test_routing_sweep_realises_every_target_type(H, max_lanes):
    """The constructive half of the criterion (docs/openness.md, routing theorem), checked
    exactly: for every open small chain without full lanes and every maximal matching of
    sources to sinks, the sweep gives valid links, and with hops of size t, exits of size
    t^((H + 1) * exit layer) the product is supported on the matched pairs, its entry
    (y_j, x_k), j != k, vanishes unless demand j exits after demand k, and it is (I + A) D
    with D diagonal on the pairs and |A| < 1/10 at t = 2^-10 (A -> 0 as t -> 0)."""
    t = Q(1, 2 ** 10)
    checked = 0
    for data in _isoclasses(H, max_lanes):
        if data.rho or not data.is_open():
            continue
        L = lanes(data)
        base = normal_form(data)
        at = [[n for n, (a, b) in enumerate(L) if a <= i <= b] for i in range(H + 1)]
        for pairs in _maximal_configurations(data):
            paths = route(data, pairs)
            links = [lk for p in paths for lk in p]
            assert len(set(links)) == len(links)
            Ws = [M + zeros(M.nrows(), M.ncols()) for M in base]
            exit_layer = [p[-1][0] for p in paths]
            for k, p in enumerate(paths):
                for n, (l, fr, to) in enumerate(p):
                    assert L[fr][0] <= l - 1 <= L[fr][1] and L[to][0] <= l <= L[to][1]
                    value = t ** ((H + 1) * l) if n == len(p) - 1 else (1 if n == 0 else t)
                    Ws[l - 1][at[l].index(to), at[l - 1].index(fr)] += value
            P = Ws[0]
            for W in Ws[1:]:
                P = W * P
            row = {y: at[H].index(y) for _, y in pairs}
            col = {x: at[0].index(x) for x, _ in pairs}
            nonzero = {(i, j) for i in range(P.nrows()) for j in range(P.ncols()) if P[i, j]}
            assert nonzero <= {(row[y], col[x]) for x, _ in pairs for _, y in pairs}
            for k, (xk, yk) in enumerate(pairs):
                Dkk = P[row[yk], col[xk]]
                assert Dkk > 0
                for j, (xj, yj) in enumerate(pairs):
                    if j != k and P[row[yj], col[xk]]:
                        assert exit_layer[j] > exit_layer[k]
                        assert abs(P[row[yj], col[xk]] / Dkk) < Q(1, 10)
            checked += 1
    assert checked > 50


def test_single_layer_is_the_identity_map():
    d = decide_chain([matrix([[1, 2], [2, 4]])])
    assert d.verdict is Openness.OPEN and d.rule == "identity"


# --- properties -------------------------------------------------------------------------------
@st.composite
def low_rank(draw, m, n):
    """An integer m x n matrix of random rank (a product of two thin {-1, 0, 1} matrices)."""
    k = draw(st.integers(0, min(m, n)))
    A = draw(st.lists(st.lists(st.integers(-1, 1), min_size=k, max_size=k), min_size=m, max_size=m))
    B = draw(st.lists(st.lists(st.integers(-1, 1), min_size=n, max_size=n), min_size=k, max_size=k))
    return matrix([[sum(A[i][t] * B[t][j] for t in range(k)) for j in range(n)] for i in range(m)])


@st.composite
def chains(draw, depth, max_width):
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth + 1,
                           max_size=depth + 1))
    return [draw(low_rank(widths[i + 1], widths[i])) for i in range(depth)]


def _range_rank(Ws):
    return min([Ws[0].ncols()] + [W.nrows() for W in Ws])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5).flatmap(lambda H: chains(H, 4)))
def test_exact_rules_are_consistent(Ws):
    """Every answer carries what it claims: a direction in the range, a verified witness; the
    complete criterion never answers undecided and agrees with the old rules where they decide
    (the old rules raise if one of their open rules and the obstruction ever both fired)."""
    d = decide_chain(Ws)
    assert d.verdict is not Openness.UNDECIDED
    old = decide_chain_by_rules(Ws)
    assert old.verdict in (d.verdict, Openness.UNDECIDED), (ints_all(Ws), old.rule, d.rule)
    if d.verdict is Openness.NOT_OPEN and len(Ws) >= 3:
        j = d.split          # the pair at the split misses D with the unrestricted pair map
        A, B = Ws[j], Ws[0]
        for W in Ws[j + 1:]:
            A = W * A
        for W in Ws[1:j]:
            B = W * B
        assert decide_pair(A, B).verdict is Openness.NOT_OPEN
    if d.verdict is Openness.NOT_OPEN:
        R = Ws[0]
        for W in Ws[1:]:
            R = W * R
        D = d.unreachable
        assert D is not None and rank(D) >= 1
        assert rank(R + D) <= _range_rank(Ws)          # R + delta D lies in the range
    if d.witness is not None:
        name, W = d.witness
        U, V = Ws[1], Ws[0]
        if name == "U":
            assert W * V == U * V and rank(W) == U.nrows()
        else:
            assert U * W == U * V and rank(W) == V.ncols()


# The probe: random targets at distance 1e-9 and moves of at most 0.05 (default_budget for
# H <= 3).  At open points of these small instances the needed move is about
# (1e-9)^(1/H) times a modest constant; at non-open points the direction D is missed by
# every move smaller than a radius of the order of the smallest nonzero singular values
# (>= 0.3 for these {-1, 0, 1} products), so the budget separates the two.  Deterministic
# (derandomize) so that CI is reproducible.
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3).flatmap(lambda H: chains(H, 3)))
def test_exact_decision_and_numeric_probe_agree(Ws):
    d = decide_chain(Ws)
    p = probe_openness("chain", Ws, d, targets=6, seed=0)
    if d.verdict is Openness.OPEN:
        assert p.random_reached == p.random_tried, (ints_all(Ws), d.rule, p)
    elif d.verdict is Openness.NOT_OPEN:
        assert p.direction_reached is False, (ints_all(Ws), d.rule, p)


def ints_all(Ws):
    return [ints(W) for W in Ws]


# --- the command line ------------------------------------------------------------------------
def test_cli_openness_on_the_counterexample(tmp_path):
    prob = tmp_path / "p.json"
    prob.write_text(json.dumps({"family": "matrix-factorization", "shape": [3, 3], "rank": 2,
                                "Y": [[0, 0, 0]] * 3, "loss": "square"}))
    pt = tmp_path / "x.json"
    pt.write_text(json.dumps({"U": [[1, 0], [0, 0], [0, 0]], "V": [[0, 0, 0], [1, 0, 0]]}))
    out = subprocess.run([sys.executable, "-m", "landscape_proofs", "openness", str(prob), str(pt),
                          "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"] == "not-open" and data["rule"] == "pair-unequal-ranks"
    assert data["unreachable_direction"] == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert data["probe"]["unreachable_direction_reached"] is False
    assert data["probe_agrees"] is True


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(st.integers(1, 3), st.integers(1, 3)).flatmap(lambda s: low_rank(*s)))
def test_symmetric_map_probe_reaches_psd_targets(U):
    # Theorem C: open at every U; the probe reaches random PSD targets of rank <= min(k, m).
    d = decide_symmetric(U)
    assert d.verdict is Openness.OPEN
    p = probe_openness("symmetric", [U], d, targets=4)
    assert p.random_reached == p.random_tried, (ints(U), p)


def test_the_float_probe_is_skipped_above_its_size_limit(tmp_path, capsys):
    """[24, 24, 24] has 1,152 parameters, over PROBE_MAX_PARAMETERS: the exact decision is made
    (W_1 = W_2 = I: the product map is open there), the probe is skipped with the reason
    (it took minutes at 4,608 parameters), in the text and in the JSON."""
    from landscape_proofs import api
    from landscape_proofs.cli.main import main

    d = 24
    eye = [[int(i == j) for j in range(d)] for i in range(d)]
    prob, pt = tmp_path / "p.json", tmp_path / "x.json"
    prob.write_text(json.dumps({"family": "deep-linear", "widths": [d, d, d], "Y": eye,
                                "loss": "square"}))
    pt.write_text(json.dumps({"weights": [eye, eye]}))
    assert 2 * d * d > api.PROBE_MAX_PARAMETERS
    assert main(["openness", str(prob), str(pt), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "open" and out["probe"] is None
    assert "skipped: 1152 parameters" in out["probe_note"]
    assert main(["openness", str(prob), str(pt)]) == 0
    assert "probe:    skipped" in capsys.readouterr().out
