"""The kernel's own reading of an embedded problem and point.

Independent of ``families/``: the kernel reads the problem format itself (docs/formats.md)
and reduces every family to one shape, a sum of *towers*:

    product(W) = sum over towers t of  F_{t,L} ... F_{t,1},

each factor ``F`` a parameter block or its transpose (deep-linear: one tower
``W_H ... W_1``; multi-tower: one tower per tower; ``U U^T``: one tower ``U (U^T)`` whose two
factors share block 0).  The loss takes ``E = product X - Y`` (residual) or ``product``.
This module is the kernel's one place that names families; ``kernel/losses.py`` the one
that names losses.
"""
from __future__ import annotations

from flint import fmpq, fmpq_mat

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.losses import Loss, read_loss
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

MAX_WIDTH = 64
MAX_DEPTH = 32
MAX_TOWERS = 32
COMMON = {"family", "loss", "Y", "weight_decay", "name", "description"}
KEYS = {"deep-linear": COMMON | {"widths", "X"}, "multi-tower": COMMON | {"towers", "X"},
        "matrix-factorization": COMMON | {"shape", "rank"},
        "symmetric-factorization": COMMON | {"shape"},
        "robust-regression": COMMON - {"Y"} | {"depth", "X", "y"}}


def read_matrix(rows, field: str, shape=(None, None)) -> fmpq_mat:
    """A non-empty list of equal rows of exact numbers, with an optional shape."""
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, (list, tuple)) for r in rows):
        raise InputError("expected a non-empty list of rows", field=field, got=rows)
    m, n = len(rows), len(rows[0])
    if n == 0 or any(len(r) != n for r in rows):
        raise InputError("expected non-empty rows of equal length", field=field, got=rows)
    if (shape[0] is not None and m != shape[0]) or (shape[1] is not None and n != shape[1]):
        raise InputError(f"expected a {shape[0]} x {shape[1]} matrix", field=field, got=f"{m} x {n}")
    return fmpq_mat(m, n, [to_fmpq(parse_exact(x, f"{field}[{i}][{j}]"))
                           for i, r in enumerate(rows) for j, x in enumerate(r)])


def _width(d, field):
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_WIDTH:
        raise InputError(f"expected an integer in [1, {MAX_WIDTH}]", field=field, got=d)
    return d


def _widths(w, field):
    if not isinstance(w, (list, tuple)) or not 2 <= len(w) <= MAX_DEPTH + 1:
        raise InputError(f"expected a list of 2 to {MAX_DEPTH + 1} widths", field=field, got=w)
    return tuple(_width(d, f"{field}[{i}]") for i, d in enumerate(w))


class Problem:
    """What the kernel needs of a problem: blocks, towers of factors, data, loss, decay."""

    def __init__(self, family: str, shapes, towers, X: fmpq_mat, Y, loss: Loss, decay: fmpq,
                 max_rank: int):
        self.family, self.shapes, self.towers = family, tuple(shapes), towers
        # weight_decay: the scalar lam, or None for a per-entry decay (decay_entries: one
        # lam >= 0 per parameter, flattened as the weights are; None for a scalar decay)
        self.X, self.Y, self.loss, self.weight_decay = X, Y, loss, decay
        self.decay_entries = None
        self.max_rank = max_rank
        self.n_params = sum(r * c for r, c in self.shapes)
        self.offsets = [sum(r * c for r, c in self.shapes[:k]) for k in range(len(self.shapes))]
        self.in_dim = X.nrows()
        top = towers[0][-1]
        self.out_dim = self.shapes[top[0]][1 if top[1] else 0]
        self.symmetric = family == "symmetric-factorization"
        self.sum_of_towers = family == "multi-tower"

    @property
    def decay_vector(self) -> list:
        """One decay lam_p >= 0 per parameter (the scalar repeated when uniform)."""
        return self.decay_entries or [self.weight_decay] * self.n_params

    def decay_block(self, b: int) -> list:
        """Block b's decays as rows (lists)."""
        r, c = self.shapes[b]
        v = self.decay_vector[self.offsets[b]:self.offsets[b] + r * c]
        return [v[i * c:(i + 1) * c] for i in range(r)]

    @property
    def depth(self) -> int:
        return len(self.shapes)

    def tower_decays(self):
        """``[(A's block, B's block)]`` per tower ``B A`` of two distinct blocks (``(C's block,
        None)`` for a tower of one block C) with a decay > 0 on every entry (nuclear-dual-bound
        reads it entry by entry); None otherwise."""
        blocks = [b for t in self.towers for b, _ in t]
        if (self.symmetric or any(len(t) > 2 for t in self.towers) or len(set(blocks)) != len(blocks)
                or not min(self.decay_vector, default=0) > 0):
            return None
        return [(t[0][0], t[1][0] if t[1:] else None) for t in self.towers]

    @property
    def widths(self) -> tuple:
        """[d_0, ..., d_H] of the first tower."""
        t = self.towers[0]
        return tuple([self.shapes[t[0][0]][1]] + [self.shapes[b][0] for b, _ in t])

    @property
    def tower_widths(self) -> list:
        return [tuple([self.shapes[t[0][0]][1]] + [self.shapes[b][0] for b, _ in t]) for t in self.towers]

    @property
    def has_bottleneck(self) -> bool:
        return self.max_rank < min(self.in_dim, self.out_dim)

    @property
    def loss_argument_shape(self) -> tuple[int, int]:
        return (self.out_dim, self.in_dim if self.loss.over_product else self.X.ncols())

    def validate_point(self, weights, field: str = "weights") -> list:
        if not isinstance(weights, (list, tuple)) or len(weights) != len(self.shapes):
            raise InputError(f"expected a list of {len(self.shapes)} weight matrices", field=field,
                             got=weights if not isinstance(weights, (list, tuple)) else f"{len(weights)} matrices")
        return [read_matrix(W, f"{field}[{k}]", s) for k, (W, s) in enumerate(zip(weights, self.shapes))]


def read_problem(data) -> Problem:
    """The embedded problem of a certificate (shallow-rank is read by ``kernel/shallow.py``)."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object describing a problem", got=type(data).__name__)
    family = data.get("family")
    if not isinstance(family, str) or family not in KEYS:
        raise InputError(f"expected one of {', '.join(sorted(KEYS))}", field="family", got=family)
    extra = sorted(set(data) - KEYS[family])
    if extra:
        raise InputError(f"unknown field for the {family} family", field=extra[0], got=extra[0])
    if family == "robust-regression":
        return _robust_regression(data)
    if "loss" not in data:
        raise InputError("missing: the loss", field="loss")
    decay = data.get("weight_decay", 0)
    if isinstance(decay, (list, tuple)):
        if family not in ("deep-linear", "matrix-factorization"):
            raise InputError("expected a number >= 0 (per-entry decay is for the deep-linear "
                             "family)", field="weight_decay", got="a list")
    else:
        decay = to_fmpq(parse_exact(decay, "weight_decay"))
        if decay < 0:
            raise InputError("expected a number >= 0", field="weight_decay", got=str(decay))
    if family == "multi-tower":
        tw = data.get("towers")
        if not isinstance(tw, (list, tuple)) or not 1 <= len(tw) <= MAX_TOWERS:
            raise InputError(f"expected a list of 1 to {MAX_TOWERS} towers", field="towers", got=tw)
        all_widths = [_widths(w, f"towers[{t}]") for t, w in enumerate(tw)]
        if len({(w[0], w[-1]) for w in all_widths}) != 1:
            raise InputError("expected towers with the same d_0 and d_H", field="towers", got=tw)
        d0, dH = all_widths[0][0], all_widths[0][-1]
        rank_bound = min(d0, dH, sum(min(w) for w in all_widths))
    elif family == "deep-linear":
        all_widths = [_widths(data.get("widths"), "widths")]
        rank_bound = min(all_widths[0])
    elif family == "matrix-factorization":
        s, k = data.get("shape"), data.get("rank")
        if not isinstance(s, (list, tuple)) or len(s) != 2:
            raise InputError("expected [m, n]", field="shape", got=s)
        m, n = _width(s[0], "shape[0]"), _width(s[1], "shape[1]")
        all_widths = [(n, _width(k, "rank"), m)]
        rank_bound = min(all_widths[0])
        family = "deep-linear"
    else:
        s = data.get("shape")
        if not isinstance(s, (list, tuple)) or len(s) != 2:
            raise InputError("expected [n, k]", field="shape", got=s)
        n, k = _width(s[0], "shape[0]"), _width(s[1], "shape[1]")
        return _finish(family, [(n, k)], [[(0, True), (0, False)]], None, data, decay, min(n, k), n)
    shapes, towers = [], []
    for w in all_widths:
        towers.append([(len(shapes) + i, False) for i in range(len(w) - 1)])
        shapes += [(w[i + 1], w[i]) for i in range(len(w) - 1)]
    return _finish(family, shapes, towers, data.get("X"), data, decay, rank_bound, all_widths[0][0])


def _robust_regression(data) -> dict:
    """robust-regression: the chain (d, 1, ..., 1) of ``depth`` layers fitting the row ``y``
    from the d x n data ``X`` (docs/families.md)."""
    depth, X, y = data.get("depth"), data.get("X"), data.get("y")
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"expected an integer in [1, {MAX_DEPTH}]", field="depth", got=depth)
    if not isinstance(X, (list, tuple)) or not X or not isinstance(X[0], (list, tuple)):
        raise InputError("expected d rows of n samples", field="X", got=X)
    if not isinstance(y, (list, tuple)) or len(y) != len(X[0]):
        raise InputError(f"expected a list of {len(X[0])} numbers", field="y", got=y)
    deep = {"family": "deep-linear", "widths": [len(X)] + [1] * depth, "X": X, "Y": [list(y)],
            "weight_decay": data.get("weight_decay", 0)}
    deep.update({"loss": data["loss"]} if "loss" in data else {})
    try:
        return read_problem(deep)
    except InputError as exc:
        field = (exc.field or "").replace("widths[0]", "X").replace("Y[0]", "y").replace("Y", "y")
        raise InputError(exc.expected, field=field or None, got=exc.got) from None


def read_decay(decay, shapes) -> tuple:
    """(scalar, per_parameter): a scalar decay lam is (lam, None); a per-entry decay, a list
    of one matrix of entries >= 0 per block (the block's shape), is (None, [lam_p]) with the
    parameters flattened as the weights are, or (lam, None) when all its entries equal lam."""
    if not isinstance(decay, (list, tuple)):
        return decay, None
    if len(decay) != len(shapes):
        raise InputError(f"expected a number or a list of {len(shapes)} matrices (one per "
                         "weight matrix)", field="weight_decay", got=f"{len(decay)} matrices")
    entries = []
    for k, (L, shape) in enumerate(zip(decay, shapes)):
        M = read_matrix(L, f"weight_decay[{k}]", shape)
        for i, x in enumerate(M.entries()):
            if x < 0:
                raise InputError("expected entries >= 0",
                                 field=f"weight_decay[{k}][{i // shape[1]}][{i % shape[1]}]", got=str(x))
        entries += M.entries()
    if len(set(entries)) == 1:
        return entries[0], None
    return None, entries


def _finish(family, shapes, towers, X_rows, data, decay, rank_bound, d0) -> Problem:
    decay, per_entry = read_decay(decay, shapes)
    loss = read_loss(data["loss"])
    if X_rows is None:
        X = fmpq_mat(d0, d0, [int(i == j) for i in range(d0) for j in range(d0)])
    else:
        X = read_matrix(X_rows, "X", (d0, None))
    problem = Problem(family, shapes, towers, X, None, loss, decay, rank_bound)
    problem.decay_entries = per_entry
    m, n = problem.loss_argument_shape
    Y = data.get("Y")
    if Y is None and not loss.over_product:
        raise InputError(f"missing: Y ({m} x {n}) is required for this loss", field="Y")
    problem.Y = None if Y is None else read_matrix(Y, "Y", (m, None if loss.over_product else n))
    if hasattr(loss, "check_shape"):
        loss.check_shape(m, n)
    return problem


def is_shallow(data) -> bool:
    """A certificate whose embedded problem is of the shallow-rank family (kernel/shallow.py)."""
    return (isinstance(data, dict) and isinstance(data.get("problem"), dict)
            and data["problem"].get("family") == "shallow-rank")


def read_shallow(data) -> tuple[dict, tuple[int, int], int]:
    """A shallow-rank problem's lift (the deep-linear problem [d_0, p, d_H], as a problem
    object the kernel reads), the shape (d_H, d_0) of R and the rank bound p."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object describing a problem", got=type(data).__name__)
    extra = sorted(set(data) - {"family", "shape", "rank", "X", "Y", "loss", "name", "description"})
    if extra:
        raise InputError("unknown field for the shallow-rank family", field=extra[0], got=extra[0])
    shape, p = data.get("shape"), data.get("rank")
    if not isinstance(shape, (list, tuple)) or len(shape) != 2:
        raise InputError("expected [d_H, d_0] (rows and columns of R)", field="shape", got=shape)
    if "loss" not in data:
        raise InputError("missing: the loss", field="loss")
    deep = {"family": "deep-linear", "widths": [shape[1], p, shape[0]], "loss": data["loss"]}
    deep.update({k: data[k] for k in ("X", "Y") if k in data})
    try:
        read_problem(deep)   # validates widths, data and loss exactly as for deep-linear
    except InputError as exc:
        field = (exc.field or "").replace("widths[1]", "rank").replace(
            "widths[0]", "shape[1]").replace("widths[2]", "shape[0]")
        raise InputError(exc.expected, field=field or None, got=exc.got) from None
    return deep, (shape[0], shape[1]), p


def read_point(data, problem: Problem) -> list:
    """The weights of a point: ``{"weights": [...]}`` (``{"U": U}`` for U U^T)."""
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"weights": [...]}', got=type(data).__name__)
    if problem.symmetric and "U" in data and "weights" not in data:
        return problem.validate_point([data["U"]], "U")
    if "weights" not in data and len(problem.towers[0]) == 2 and not problem.symmetric \
            and len(problem.towers) == 1 and ("U" in data or "V" in data):
        if sorted(data) != ["U", "V"]:
            raise InputError('expected a factorization point {"U": [[...]], "V": [[...]]}',
                             field="U", got=sorted(data))
        V, U = problem.shapes
        return [read_matrix(data["V"], "V", V), read_matrix(data["U"], "U", U)]
    if "weights" not in data:
        raise InputError("missing: the weight matrices", field="weights")
    return problem.validate_point(data["weights"])
