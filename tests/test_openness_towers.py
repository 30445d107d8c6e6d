"""Local openness of the multi-tower map Phi(W) = sum_t W^(t)_{H_t} ... W^(t)_1: hand-derived
instances of every rule, the command line, and a property test that the exact decision and
the numeric probe never contradict each other (docs/openness.md, "The multi-tower map").

Every tower maps R^{d_0} -> R^{d_H}; the range is the d_H x d_0 matrices of rank
<= q = min(d_0, d_H, sum_t r_t), r_t the narrowest width of tower t.
"""
from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.openness.dispatch import decide_openness, point_factors
from landscape_proofs.openness.products import Openness, probe_openness
from landscape_proofs.openness.towers import decide_towers, one_chain, tower_range
from landscape_proofs.families.io import loads_exact


def ints(M):
    return [[int(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def M(rows):
    return matrix(rows)


def probe(towers, d, **kw):
    return probe_openness("towers", towers, d, **kw)


# --- two-layer towers: one pair map -------------------------------------------------------------
def test_two_rank_one_towers_are_the_pair_of_width_two_not_open():
    # u_1 v_1^T + u_2 v_2^T = [u_1 u_2][v_1^T; v_2^T] = U V, the parameters only rearranged.
    # u_1 = e1, v_1 = 0, u_2 = 0, v_2 = e2: U = diag(1, 0), V = diag(0, 1), UV = 0, the pair of
    # test_openness.py::test_square_pair_not_open_when_neither_factor_can_be_filled:
    # rank U = rank V = 1, c = 2 - 1 - 1 + 0 = 0, neither factor can be filled, e2 e1^T missed.
    towers = [[M([[0, 0]]), M([[1], [0]])], [M([[0, 1]]), M([[0], [0]])]]
    d = decide_towers(towers)
    assert d.verdict is Openness.NOT_OPEN and d.rule == "towers-concatenated-pair"
    assert d.range.is_everything and d.towers == ((2, 1, 2), (2, 1, 2))
    assert ints(d.unreachable) == [[0, 0], [1, 0]]
    assert probe(towers, d).direction_reached is False


def test_two_rank_one_towers_open_when_a_factor_fills():
    # u_1 = v_1 = e1, tower 2 zero: U = [e1 0], V = [e1^T; 0]: rho = 1, k = 2, rank V = 1,
    # rho + k - rank V = 2 >= m = 2: U' = I has U'V = UV; near it every target is reached.
    towers = [[M([[1, 0]]), M([[1], [0]])], [M([[0, 0]]), M([[0], [0]])]]
    d = decide_towers(towers)
    assert d.verdict is Openness.OPEN and d.rule == "towers-concatenated-pair"
    p = probe(towers, d)
    assert p.random_reached == p.random_tried


def test_a_one_layer_tower_is_a_free_summand():
    # Phi = W + (anything): T is reached by W + (T - Phi(W)).
    towers = [[M([[0, 0], [0, 0]])], [M([[0, 0]]), M([[1], [0]])]]
    d = decide_towers(towers)
    assert d.verdict is Openness.OPEN and d.rule == "towers-free-tower"


def test_one_tower_without_bottleneck_reaches_everything_alone():
    # Tower 1: three zero 2 x 2 layers (lanes [0,0]x2, [1,1]x2, [2,2]x2, [3,3]x2; c = 2 >= 2 at
    # both inner vertices: open onto all 2 x 2 matrices).  Tower 2 (width 1) is kept fixed.
    z = M([[0, 0], [0, 0]])
    towers = [[z, z, z], [M([[1, 1]]), M([[0], [1]])]]
    d = decide_towers(towers)
    assert d.verdict is Openness.OPEN and d.rule == "towers-one-tower"
    assert d.parts[0].rule == "deep-routing"


def test_deep_tower_rescued_by_a_rank_one_tower():
    # Tower 1 alone (widths [2, 3, 2, 2]) is not open: it misses e2 e1^T
    # (test_openness.py::test_deep_split_obstruction).  Add a zero tower u w v^T of width 1
    # (three layers).  By hand: tower 1 reaches every e1 x^T (move the first row of W_1:
    # W_3 W_2 = e1 e1^T), tower 2 every rank-one matrix (with moves of size |.|^(1/3)), and
    # T - e1 x^T has rank <= 1 for a small x ((a - x1) d - (b - x2) c = 0 with |x| <= |(a, b)|
    # when (c, d) != 0).  The rule (two deep towers: no single chain): cut tower 1 at vertex 2
    # (bottom (W_1, W_2): pair-fill; top W_3), tower 2 at 1 (top (w, u) at 0: fill columns);
    # the concatenated pair A = [diag(1,0) 0], B = [diag(0,1); 0] (inner width 3) fills its rows.
    W1, W2, W3 = M([[0, 0], [0, 1], [0, 0]]), M([[1, 0, 0], [0, 1, 0]]), M([[1, 0], [0, 0]])
    alone = decide_towers([[W1, W2, W3]])
    assert alone.verdict is Openness.NOT_OPEN and alone.rule == "towers-single"
    towers = [[W1, W2, W3], [M([[0, 0]]), M([[0]]), M([[0], [0]])]]
    d = decide_towers(towers, consistency_check=True)
    assert d.verdict is Openness.OPEN and d.rule == "towers-split-composition"
    assert d.parts[0].rule == "pair-fill-rows"
    p = probe(towers, d)
    assert p.random_reached == p.random_tried
    # with a two-layer rank-one tower instead, the sum is one chain, open by Theorem D
    d = decide_towers([[W1, W2, W3], [M([[0, 0]]), M([[0], [0]])]], consistency_check=True)
    assert d.verdict is Openness.OPEN and d.rule == "towers-one-chain"


def test_split_obstruction_across_towers():
    # Tower 1: widths [2, 1, 1, 2], W_1 = e2^T, W_2 = 0, W_3 = e1 (product 0); tower 2: widths
    # [2, 1, 1, 2] at (e1^T, 0, 0) (product 0).  Phi = w_1 u_1 v_1^T + w_2 u_2 v_2^T (w_t the
    # 1 x 1 middle layers).  By hand: for p orthogonal to u_1 (p ~ e2),
    # p^T Phi = w_2 (p.u_2) v_2^T, and p^T (eps e2 e2^T) = eps (p.e2) e2^T with p.e2 ~ 1:
    # v_2 ~ e1 is not parallel to e2, so eps e2 e2^T (rank 1 <= q = 2) is never reached.  The
    # rule (two deep towers): cut tower 1 at vertex 2 (A_1 = e1, B_1 = 0) and tower 2 at 1
    # (A_2 = 0, B_2 = e1^T): A = [e1 0], B = [0; e1^T], the pair of docs/openness.md's
    # counterexample: c = 0, D = e2 e2^T.
    towers = [[M([[0, 1]]), M([[0]]), M([[1], [0]])], [M([[1, 0]]), M([[0]]), M([[0], [0]])]]
    assert tower_range(towers).max_rank == 2
    d = decide_towers(towers, consistency_check=True)
    assert d.verdict is Openness.NOT_OPEN and d.rule == "towers-split-obstruction"
    assert ints(d.unreachable) == [[0, 0], [0, 1]]
    assert probe(towers, d).direction_reached is False
    # with a two-layer tower 2 = (e1^T, 0) the sum is the chain C = ([e2^T; e1^T], diag(0, 1),
    # [e1 0]): lanes [0,1] [0,2] [2,3] [3,3]; vertex 1: no source dead yet (X = 0), fine;
    # vertex 2: c = 0 < min(X = 1, Y = 1, 2): not open, the same D.
    towers = [[M([[0, 1]]), M([[0]]), M([[1], [0]])], [M([[1, 0]]), M([[0], [0]])]]
    d = decide_towers(towers, consistency_check=True)
    assert d.verdict is Openness.NOT_OPEN and d.rule == "towers-one-chain"
    assert d.parts[0].vertices == ((1, 0, 0, 2), (2, 0, 1, 1))
    assert ints(d.unreachable) == [[0, 0], [0, 1]]


def test_one_deep_tower_plus_two_layer_towers_is_one_chain():
    # Tower 1 (widths [2, 2, 2, 3]) alone is not open; tower 2 (widths [2, 1, 3]) is zero.
    # Padding tower 2 with an identity layer, Phi is the single chain
    # C = ([W_1; V], diag(W_2, 1), [W_3 U]) (docs/openness.md, rule towers-one-chain):
    # C_1 = [[-1, 0], [0, 0], [0, 0]], C_2 = diag(0, -1, 1), C_3 = [[-1, 0, 0], [0, 0, 0],
    # [-1, -1, 0]].  Its lanes: [0,0] [0,1] [1,2] [1,3] [2,3] [3,3]; vertex 1: c = 1 >=
    # min(X = 1, Y = 2, 2), vertex 2: c = 1 >= min(2, 1, 2): open (Theorem D).
    towers = [[M([[-1, 0], [0, 0]]), M([[0, 0], [0, -1]]), M([[-1, 0], [0, 0], [-1, -1]])],
              [M([[0, 0]]), M([[0], [0], [0]])]]
    assert decide_towers([towers[0]]).verdict is Openness.NOT_OPEN
    d = decide_towers(towers, consistency_check=True)
    assert d.verdict is Openness.OPEN and d.rule == "towers-one-chain"
    C = one_chain(towers, 0)
    assert [ints(W) for W in C] == [[[-1, 0], [0, 0], [0, 0]], [[0, 0, 0], [0, -1, 0], [0, 0, 1]],
                                    [[-1, 0, 0], [0, 0, 0], [-1, -1, 0]]]
    assert dict(d.parts[0].intervals) == {(0, 0): 1, (0, 1): 1, (1, 2): 1, (1, 3): 1, (2, 3): 1,
                                          (3, 3): 1}
    p = probe(towers, d)
    assert p.random_reached == p.random_tried


def test_an_undecided_instance_claims_nothing():
    # Two towers of depth 3 (widths [2, 1, 1, 2] and [2, 1, 2, 2]), neither open alone, Phi(W)
    # = [[0, 2], [0, 2]] of rank 1 < q = 2.  No rule applies (no tower alone, no cut composes
    # open pieces, no cut obstructs, more than one deep tower): undecided, with no direction.
    # The probe reaches random targets, but nothing here proves it (docs/openness.md, "what is
    # left undecided").
    towers = [[M([[0, 1]]), M([[0]]), M([[-1], [-1]])],
              [M([[0, 1]]), M([[-1], [-1]]), M([[-1, -1], [-1, -1]])]]
    d = decide_towers(towers)
    assert d.verdict is Openness.UNDECIDED and d.unreachable is None


def test_invertible_layers_are_absorbed():
    # A square invertible layer is merged into its neighbour (a local diffeomorphism of the
    # parameters): tower 1 = (e2^T, [[2]], e1) becomes (2 e2^T, e1), and the two-layer towers
    # are the pair of test_split_obstruction_across_towers with u_1 v_1^T = 2 e1 e2^T:
    # A = [e1 0], B = [2 e2^T; e1^T]; rank A = 1, rank B = 2: rho + k - rank A = 1 + 2 - 1 = 2
    # >= n = 2: V can be filled, open.
    towers = [[M([[0, 1]]), M([[2]]), M([[1], [0]])], [M([[1, 0]]), M([[0], [0]])]]
    d = decide_towers(towers)
    assert d.rule == "towers-absorb-invertible" and d.verdict is Openness.OPEN
    assert d.parts[0].rule == "towers-concatenated-pair"


# --- problems, points and the command line --------------------------------------------------------
PROBLEM = {"family": "multi-tower", "towers": [[2, 1, 1, 2], [2, 1, 2]],
           "Y": [[1, 0], [0, 1]], "loss": "square"}
POINT = {"weights": [[[0, 1]], [[0]], [[1], [0]], [[1, 0]], [[0], [0]]]}


def test_decide_openness_reads_a_multi_tower_problem():
    from landscape_proofs.families.io import point_from_dict, problem_from_dict

    problem = problem_from_dict(loads_exact(json.dumps(PROBLEM)))
    point = point_from_dict(loads_exact(json.dumps(POINT)), problem)
    d = decide_openness(problem, point)
    assert d.verdict is Openness.NOT_OPEN and ints(d.unreachable) == [[0, 0], [0, 1]]
    kind, factors = point_factors(problem, point)
    assert kind == "towers" and [len(t) for t in factors] == [3, 2]


def test_cli_openness_on_a_multi_tower_problem(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(PROBLEM))
    (tmp_path / "x.json").write_text(json.dumps(POINT))
    out = subprocess.run([sys.executable, "-m", "landscape_proofs", "openness", "p.json", "x.json",
                          "--json"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["map"] == "multi-tower" and data["towers"] == [[2, 1, 1, 2], [2, 1, 2]]
    assert data["verdict"] == "not-open" and data["rule"] == "towers-one-chain"
    assert data["unreachable_direction"] == [[0, 0], [0, 1]]
    assert data["probe"]["unreachable_direction_reached"] is False
    assert data["probe_agrees"] is True
    text = subprocess.run([sys.executable, "-m", "landscape_proofs", "openness", "p.json", "x.json",
                           "--no-probe"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert text.returncode == 0 and "sum of 2 towers" in text.stdout


# --- properties ---------------------------------------------------------------------------------
@st.composite
def low_rank(draw, m, n):
    """An integer m x n matrix of random rank, often 0 or 1 (degenerate points are the point)."""
    k = min(draw(st.sampled_from([0, 0, 1, 1, 2, 3])), m, n)
    A = draw(st.lists(st.lists(st.integers(-1, 1), min_size=k, max_size=k), min_size=m, max_size=m))
    B = draw(st.lists(st.lists(st.integers(-1, 1), min_size=n, max_size=n), min_size=k, max_size=k))
    return matrix([[sum(A[i][t] * B[t][j] for t in range(k)) for j in range(n)] for i in range(m)])


@st.composite
def tower_points(draw, max_width=3):
    d0, dH = draw(st.integers(2, max_width)), draw(st.integers(2, max_width))
    towers = []
    for _ in range(draw(st.integers(2, 3))):
        H = draw(st.integers(2, 3))          # one-layer towers: test_a_one_layer_tower_...
        # inner widths below the ends make towers that cannot reach everything alone
        w = [d0] + [draw(st.integers(1, max_width - 1)) for _ in range(H - 1)] + [dH]
        towers.append([draw(low_rank(w[i + 1], w[i])) for i in range(H)])
    return towers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tower_points())
def test_tower_rules_are_consistent(towers):
    """An open rule and the obstruction never both apply (decide_towers raises if they do); a
    missed direction lies in the range."""
    d = decide_towers(towers, consistency_check=True)
    if d.verdict is Openness.NOT_OPEN:
        R = None
        for t in towers:
            P = t[0]
            for W in t[1:]:
                P = W * P
            R = P if R is None else R + P
        assert rank(d.unreachable) >= 1
        assert rank(R + d.unreachable) <= d.range.max_rank


# As for chains (tests/test_openness.py): targets at distance 1e-9, moves of at most the
# default budget; deterministic so that CI is reproducible.
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(tower_points())
def test_exact_tower_decision_and_numeric_probe_agree(towers):
    d = decide_towers(towers)
    p = probe(towers, d, targets=5, seed=0)
    if d.verdict is Openness.OPEN:
        assert p.random_reached == p.random_tried, (d.rule, p)
    elif d.verdict is Openness.NOT_OPEN:
        assert p.direction_reached is False, (d.rule, p)
