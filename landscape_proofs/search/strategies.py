"""Hypothesis strategies for deep linear problems, points and directions (public API).

Three strategies, in the spirit of ``hypothesis.strategies``: :func:`problems`,
:func:`points` and :func:`directions`.  Every number they produce is an exact rational
(``fractions.Fraction``), so a generated instance can be classified and certified exactly.
They are written to *shrink well*: depth is drawn first, then the outer widths, then the
hidden widths, then the loss and the data, and every integer shrinks towards its smallest
allowed value, so a failing example shrinks to few parameters and small integers.

>>> from hypothesis import given, settings
>>> from landscape_proofs.search.strategies import problems, points
>>> @settings(max_examples=5, database=None)
... @given(problems(max_depth=2, max_width=2))
... def test_widths_are_small(problem):
...     assert max(problem.widths) <= 2 and problem.depth <= 2
>>> test_widths_are_small()

Constraints (all keyword-only):

* ``min_depth``, ``max_depth``: number of weight matrices H.
* ``max_width``: every d_i.
* ``losses``: names among :data:`LOSSES`: ``"square"``, ``"power4"`` (``1/4 sum r^4``),
  ``"l1"``, ``"weighted"`` (the convex custom loss of the product
  ``sum_ij c_ij (R_ij - T_ij)^2`` with integer weights ``c_ij >= 1`` and target ``T``,
  declared convex: it is a positive definite quadratic; about half of the entries of ``T``
  are 0, so that rational critical points occur).  The first name is where shrinking goes.
* ``bottleneck``: ``True`` (some hidden width below ``min(d_0, d_H)``), ``False`` (none),
  ``None`` (either).
* ``weight_decay``: ``False`` (0), ``True`` (``1/q`` with ``q`` in 2..``max_decay_q``:
  positive, shrinking towards 1/2), ``None`` (either).
* ``data``: ``"identity"`` (X = I, the loss is a function of the product), ``"full-row-rank"``
  (X of rank d_0, possibly I), ``"any"``.
* ``max_entry``, ``max_denominator``: the entries of X, Y, T (and of points) are rationals
  ``p/q`` with ``|p/q| <= max_entry`` and ``q <= max_denominator``.

Errors in the arguments raise :class:`~landscape_proofs.kernel.errors.InputError` naming the
argument, the value and what is accepted.

Two more families (docs/families.md), with the same losses, numbers and weight decay:
:func:`multi_tower_problems` (``min_towers``..``max_towers`` towers, each of depth
``min_depth``..``max_depth``; the number of towers is drawn first, then ``d_0``, ``d_H``, then
each tower's depth and hidden widths) and :func:`symmetric_factorization_problems`
(``U`` of shape ``n x k``, ``n, k <= max_width``; ``bottleneck`` means ``k < n``; the target
``Y`` is symmetric).
"""
from __future__ import annotations

from fractions import Fraction

import flint
from hypothesis import strategies as st

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.registry import DEFAULT_LOSS_NAME, SEARCH_LOSS_NAMES, loss_from_name, weighted_loss
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.multi_tower import MultiTowerProblem
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem

LOSSES = SEARCH_LOSS_NAMES + ("weighted",)
DATA = ("identity", "full-row-rank", "any")

__all__ = ["LOSSES", "DATA", "problems", "multi_tower_problems",
           "symmetric_factorization_problems", "points", "directions", "exact_numbers",
           "weighted_loss"]


def _int_arg(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        want = f"an integer >= {lo}" + (f" and <= {hi}" if hi is not None else "")
        raise InputError(f"expected {want}", field=name, got=value)
    return value


def _tri(name, value):
    if value not in (True, False, None):
        raise InputError("expected True, False or None (either)", field=name, got=value)
    return value


def exact_numbers(max_entry: int = 3, max_denominator: int = 1) -> st.SearchStrategy[Fraction]:
    """Rationals ``p/q`` with ``|p/q| <= max_entry`` and ``q <= max_denominator``; integers
    first, shrinking towards 0.

    >>> from hypothesis import find
    >>> find(exact_numbers(3, 4), lambda q: q.denominator > 1 and q > 1)
    Fraction(3, 2)
    """
    _int_arg("max_entry", max_entry, 0)
    _int_arg("max_denominator", max_denominator, 1)
    ints = st.integers(-max_entry, max_entry).map(Fraction)
    if max_denominator == 1:
        return ints
    return ints | st.fractions(min_value=-max_entry, max_value=max_entry,
                               max_denominator=max_denominator)


def _matrix(rows: int, cols: int, entries) -> st.SearchStrategy:
    return st.lists(st.lists(entries, min_size=cols, max_size=cols).map(tuple),
                    min_size=rows, max_size=rows).map(tuple)



def _draw_data(draw, data: str, d0: int, dH: int, max_samples: int, nums):
    """(X, Y) for the ``data`` option: X = None (identity, n = d_0), a full-row-rank X (or
    None), or any X of 1..max_samples columns; Y of shape d_H x n."""
    X, n = None, d0
    if data != "identity":
        n_lo = d0 if data == "full-row-rank" else 1
        n = draw(st.integers(n_lo, max(n_lo, max_samples)))
        Xs = _matrix(d0, n, nums)
        if data == "full-row-rank":
            Xs = st.just(None) | Xs.filter(_full_row_rank)
        X = draw(Xs)
        if X is None:
            n = d0
    return X, draw(_matrix(dH, n, nums))

def _full_row_rank(rows) -> bool:
    M = flint.fmpq_mat(len(rows), len(rows[0]),
                       [flint.fmpq(x.numerator, x.denominator) for r in rows for x in r])
    return M.rank() == len(rows)


@st.composite
def _problems(draw, min_depth, max_depth, max_width, losses, bottleneck, weight_decay, data,
              max_entry, max_denominator, max_samples, max_weight, max_decay_q):
    if bottleneck is True:
        depth = draw(st.integers(max(min_depth, 2), max_depth))
        d0 = draw(st.integers(2, max_width))
        dH = draw(st.integers(2, max_width))
        hidden = [draw(st.integers(1, max_width)) for _ in range(depth - 1)]
        j = draw(st.integers(0, depth - 2))
        hidden[j] = min(hidden[j], min(d0, dH) - 1)
    else:
        # bottleneck False: hidden widths >= min(d_0, d_H); None: any widths at all (no
        # extra choice, so that shrinking reaches all-ones widths whatever it started from)
        depth = draw(st.integers(min_depth, max_depth))
        d0 = draw(st.integers(1, max_width))
        dH = draw(st.integers(1, max_width))
        floor = min(d0, dH) if bottleneck is False else 1
        hidden = [draw(st.integers(floor, max_width)) for _ in range(depth - 1)]
    widths = (d0, *hidden, dH)
    loss_name = draw(st.sampled_from(losses))
    nums = exact_numbers(max_entry, max_denominator)
    use_decay = draw(st.booleans()) if weight_decay is None else weight_decay
    lam = Fraction(1, draw(st.integers(2, max_decay_q))) if use_decay else Fraction(0)
    if loss_name == "weighted":
        c = draw(_matrix(dH, d0, st.integers(1, max_weight)))
        # half of the target entries are 0: a sparse target has rational critical points
        # (e.g. coordinate-aligned ones) that exact classification can certify
        T = draw(_matrix(dH, d0, st.just(Fraction(0)) | nums))
        return DeepLinearProblem(widths=widths, loss=weighted_loss(c, T), weight_decay=lam)
    X, Y = _draw_data(draw, data, d0, dH, max_samples, nums)
    loss = loss_from_name(loss_name)
    return DeepLinearProblem(widths=widths, X=X, Y=Y, loss=loss, weight_decay=lam)


def problems(*, min_depth: int = 1, max_depth: int = 3, max_width: int = 3,
             losses=(DEFAULT_LOSS_NAME,), bottleneck: bool | None = None,
             weight_decay: bool | None = False, data: str = "identity", max_entry: int = 3,
             max_denominator: int = 1, max_samples: int = 4, max_weight: int = 12,
             max_decay_q: int = 10) -> st.SearchStrategy[DeepLinearProblem]:
    """Deep linear problems with exact data under the given constraints (see the module
    docstring for each argument).

    >>> from hypothesis import find
    >>> p = find(problems(bottleneck=True), lambda p: True)
    >>> p.widths, p.has_bottleneck
    ((2, 1, 2), True)
    """
    _int_arg("min_depth", min_depth, 1)
    _int_arg("max_depth", max_depth, min_depth)
    losses = _check_common(losses, weight_decay, max_width, max_samples, max_weight, max_decay_q,
                           max_entry, max_denominator)
    _tri("bottleneck", bottleneck)
    if data not in DATA:
        raise InputError(f"expected one of {', '.join(DATA)}", field="data", got=data)
    if bottleneck is True:
        if max_depth < 2:
            raise InputError("a bottleneck needs a hidden layer: expected max_depth >= 2",
                             field="max_depth", got=max_depth)
        if max_width < 2:
            raise InputError("a bottleneck needs d_0, d_H >= 2: expected max_width >= 2",
                             field="max_width", got=max_width)
    return _problems(min_depth, max_depth, max_width, losses, bottleneck, weight_decay, data,
                     max_entry, max_denominator, max_samples, max_weight, max_decay_q)


def _check_common(losses, weight_decay, max_width, max_samples, max_weight, max_decay_q,
                  max_entry, max_denominator):
    _int_arg("max_width", max_width, 1, 64)
    _int_arg("max_samples", max_samples, 1)
    _int_arg("max_weight", max_weight, 1)
    _int_arg("max_decay_q", max_decay_q, 2)
    _tri("weight_decay", weight_decay)
    if isinstance(losses, str):
        losses = (losses,)
    losses = tuple(losses)
    if not losses or any(name not in LOSSES for name in losses):
        raise InputError(f"expected a non-empty list of names among {', '.join(LOSSES)}",
                         field="losses", got=list(losses))
    exact_numbers(max_entry, max_denominator)  # validates both
    return losses


def _loss_and_decay(draw, losses, weight_decay, max_decay_q):
    loss_name = draw(st.sampled_from(losses))
    use_decay = draw(st.booleans()) if weight_decay is None else weight_decay
    lam = Fraction(1, draw(st.integers(2, max_decay_q))) if use_decay else Fraction(0)
    return loss_name, lam


@st.composite
def _multi_tower_problems(draw, min_towers, max_towers, min_depth, max_depth, max_width, losses,
                          weight_decay, data, max_entry, max_denominator, max_samples,
                          max_weight, max_decay_q):
    T = draw(st.integers(min_towers, max_towers))
    d0 = draw(st.integers(1, max_width))
    dH = draw(st.integers(1, max_width))
    towers = []
    for _ in range(T):
        depth = draw(st.integers(min_depth, max_depth))
        towers.append((d0, *[draw(st.integers(1, max_width)) for _ in range(depth - 1)], dH))
    loss_name, lam = _loss_and_decay(draw, losses, weight_decay, max_decay_q)
    nums = exact_numbers(max_entry, max_denominator)
    if loss_name == "weighted":
        c = draw(_matrix(dH, d0, st.integers(1, max_weight)))
        T_ = draw(_matrix(dH, d0, st.just(Fraction(0)) | nums))
        return MultiTowerProblem(towers=tuple(towers), loss=weighted_loss(c, T_), weight_decay=lam)
    X, Y = _draw_data(draw, data, d0, dH, max_samples, nums)
    return MultiTowerProblem(towers=tuple(towers), X=X, Y=Y, loss=loss_from_name(loss_name),
                             weight_decay=lam)


def multi_tower_problems(*, min_towers: int = 2, max_towers: int = 2, min_depth: int = 1,
                         max_depth: int = 3, max_width: int = 3, losses=(DEFAULT_LOSS_NAME,),
                         weight_decay: bool | None = False, data: str = "identity",
                         max_entry: int = 3, max_denominator: int = 1, max_samples: int = 4,
                         max_weight: int = 12,
                         max_decay_q: int = 10) -> st.SearchStrategy[MultiTowerProblem]:
    """Multi-tower problems (sums of deep linear towers) with exact data.

    >>> from hypothesis import find
    >>> find(multi_tower_problems(), lambda p: True).towers
    ((1, 1), (1, 1))
    """
    _int_arg("min_towers", min_towers, 1, 32)
    _int_arg("max_towers", max_towers, min_towers, 32)
    _int_arg("min_depth", min_depth, 1)
    _int_arg("max_depth", max_depth, min_depth)
    losses = _check_common(losses, weight_decay, max_width, max_samples, max_weight,
                           max_decay_q, max_entry, max_denominator)
    if data not in DATA:
        raise InputError(f"expected one of {', '.join(DATA)}", field="data", got=data)
    return _multi_tower_problems(min_towers, max_towers, min_depth, max_depth, max_width, losses,
                                 weight_decay, data, max_entry, max_denominator, max_samples,
                                 max_weight, max_decay_q)


@st.composite
def _symmetric_problems(draw, max_width, losses, bottleneck, weight_decay, max_entry,
                        max_denominator, max_weight, max_decay_q):
    if bottleneck is True:
        n = draw(st.integers(2, max_width))
        k = draw(st.integers(1, n - 1))
    else:
        n = draw(st.integers(1, max_width))
        k = draw(st.integers(n if bottleneck is False else 1, max(n, max_width)))
    loss_name, lam = _loss_and_decay(draw, losses, weight_decay, max_decay_q)
    nums = exact_numbers(max_entry, max_denominator)
    if loss_name == "weighted":
        c = draw(_matrix(n, n, st.integers(1, max_weight)))
        T = draw(_matrix(n, n, st.just(Fraction(0)) | nums))
        return SymmetricFactorizationProblem(n=n, k=k, loss=weighted_loss(c, T), weight_decay=lam)
    upper = [[draw(nums) for _ in range(n - i)] for i in range(n)]  # Y symmetric
    Y = tuple(tuple(upper[min(i, j)][abs(j - i)] for j in range(n)) for i in range(n))
    return SymmetricFactorizationProblem(n=n, k=k, Y=Y, loss=loss_from_name(loss_name),
                                         weight_decay=lam)


def symmetric_factorization_problems(*, max_width: int = 3, losses=(DEFAULT_LOSS_NAME,),
                                     bottleneck: bool | None = None,
                                     weight_decay: bool | None = False, max_entry: int = 3,
                                     max_denominator: int = 1, max_weight: int = 12,
                                     max_decay_q: int = 10
                                     ) -> st.SearchStrategy[SymmetricFactorizationProblem]:
    """Symmetric factorization problems ``l(U U^T)`` with exact data (``Y`` symmetric).

    >>> from hypothesis import find
    >>> p = find(symmetric_factorization_problems(bottleneck=True), lambda p: True)
    >>> (p.n, p.k), p.Y
    ((2, 1), ((Fraction(0, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(0, 1))))
    """
    losses = _check_common(losses, weight_decay, max_width, 1, max_weight, max_decay_q,
                           max_entry, max_denominator)
    _tri("bottleneck", bottleneck)
    if bottleneck is True and max_width < 2:
        raise InputError("a bottleneck k < n needs n >= 2: expected max_width >= 2",
                         field="max_width", got=max_width)
    return _symmetric_problems(max_width, losses, bottleneck, weight_decay, max_entry,
                               max_denominator, max_weight, max_decay_q)


def _weights(problem: DeepLinearProblem, nums) -> st.SearchStrategy:
    return st.tuples(*[_matrix(r, c, nums) for r, c in problem.shapes])


def points(problem: DeepLinearProblem, *, max_entry: int = 3,
           max_denominator: int = 4) -> st.SearchStrategy[Point]:
    """Exact points of ``problem`` (``weights[0]`` is W_1), shrinking towards the origin.

    >>> from hypothesis import find
    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]],
    ...                        "loss": "square"})
    >>> find(points(p), lambda pt: pt.weights[0][0][0] > 0).weights
    (((Fraction(1, 1),),), ((Fraction(0, 1),),))
    """
    if not isinstance(problem, DeepLinearProblem):
        raise InputError("expected a DeepLinearProblem", field="problem", got=type(problem).__name__)
    return _weights(problem, exact_numbers(max_entry, max_denominator)).map(Point)


def directions(problem: DeepLinearProblem, *, max_entry: int = 3,
               max_denominator: int = 1) -> st.SearchStrategy[tuple]:
    """Nonzero exact directions shaped like the weights: a tuple of H matrices (rows of
    Fractions), the layout of a point's ``weights`` and of certificate evidence."""
    if not isinstance(problem, DeepLinearProblem):
        raise InputError("expected a DeepLinearProblem", field="problem", got=type(problem).__name__)
    nonzero = lambda V: any(x != 0 for M in V for row in M for x in row)  # noqa: E731
    return _weights(problem, exact_numbers(max_entry, max_denominator)).filter(nonzero)


def problems_for(c) -> st.SearchStrategy:
    """The strategy of the hunt constraints ``c`` (``hunt.HuntConstraints``): one generator per
    searchable family, the constraints checked against what that family can vary."""
    if c.family not in FAMILY_STRATEGIES:
        raise InputError(f"expected one of {', '.join(FAMILY_STRATEGIES)}", field="family",
                         got=c.family)
    return FAMILY_STRATEGIES[c.family](c)


def _deep_linear_for(c):
    return problems(min_depth=c.min_depth, max_depth=c.max_depth, max_width=c.max_width,
                    losses=c.losses, bottleneck=c.bottleneck, weight_decay=c.weight_decay,
                    data=c.data, max_entry=c.max_entry)


def _multi_tower_for(c):
    if c.bottleneck is not None:
        raise InputError("the bottleneck constraint applies to deep-linear and "
                         "symmetric-factorization hunts; expected None (either) for "
                         "multi-tower", field="bottleneck", got=c.bottleneck)
    return multi_tower_problems(min_towers=c.min_towers, max_towers=c.max_towers,
                                min_depth=c.min_depth, max_depth=c.max_depth,
                                max_width=c.max_width, losses=c.losses,
                                weight_decay=c.weight_decay, data=c.data, max_entry=c.max_entry)


def _symmetric_for(c):
    if c.data != "identity":
        raise InputError("a symmetric factorization l(U U^T) has no data matrix X; "
                         "expected identity", field="data", got=c.data)
    return symmetric_factorization_problems(max_width=c.max_width, losses=c.losses,
                                            bottleneck=c.bottleneck,
                                            weight_decay=c.weight_decay, max_entry=c.max_entry)


#: family name -> strategy of hunt constraints (the families ``landscape hunt`` handles)
FAMILY_STRATEGIES = {DeepLinearProblem.family: _deep_linear_for,
                     MultiTowerProblem.family: _multi_tower_for,
                     SymmetricFactorizationProblem.family: _symmetric_for}
