"""The product-space census of an unregularized deep linear network (``"claim": "product-census"``).

Setting: ``L(W) = 1/2 ||W_H ... W_1 X - Y||^2``, H >= 2, no weight decay, ``X X^T`` invertible,
``Sigma = Y X^+ X Y^T`` (``X^+ = X^T (X X^T)^{-1}``) with distinct eigenvalues
``lambda_1 > lambda_2 > ...``, ``m`` of them positive, ``r`` the smallest width.  The critical
products are exactly ``R_S = P_S Y X^+`` for the subsets ``S`` of ``{1..m}`` with ``|S| <= r``
(``P_S`` the projector onto the eigenvectors in S), of value ``c0 + 1/2 (tr Sigma - sum_S
lambda_i)``.  The argument, and which step is a cited lemma, is in docs/census.md ("Without
weight decay: the product space"); this module re-derives from the problem alone: the three
conditions, the eigenvalues (exact when rational, else isolated by Sturm sequences), the list of
subsets, each fibre's kind, each value and each product, and the computation behind each kind:

* the top set: its value equals the closed-form optimum (``optimum.py``): global minimum;
* ``|S| = r``, not the top: ``i`` in S, ``j`` not in S with ``lambda_j > lambda_i``; along the
  rank-<=r curve ``gamma(t) = (P_{S-i} + v v^T) Y X^+``, ``v = u_i + t k u_j`` (unit u's), the
  loss has t^2-coefficient ``k^2 (lambda_i - lambda_j) / 2``, certified ``< 0`` in arb
  (:func:`_curve`): every critical point of the fibre is a strict saddle (the lift argument);
* ``|S| < r``, not the top: along the rank-<=r line ``R_S + s P_j Y X^+`` the loss has
  first-order coefficient ``-lambda_j``, certified ``< 0`` in arb: R_S is not a local minimum of
  the loss on rank <= r, so (cited lemma, ``LEMMA``) no point of the fibre is a local minimum;
  with two layers the same certificate of ``G = (R X - Y) X^T != 0`` makes every point of the
  fibre a strict saddle without the lemma (:func:`kind_of`).
"""
from __future__ import annotations

from itertools import combinations

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat

from landscape_proofs.kernel.algebraic import real_roots
from landscape_proofs.kernel.enclosure import lower_q, upper_q
from landscape_proofs.kernel.linalg import identity, nullspace, rank, zeros
from landscape_proofs.kernel.losses import Square
from landscape_proofs.kernel.model import read_matrix, read_problem
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.optimum import compare_with_square_optimum, square_loss_split
from landscape_proofs.kernel.verdict import CheckResult, Rejected

BITS = 160          # every irrational eigenvalue is isolated to width < 2^-BITS
MAX_OUT = 8         # d_y <= 8: at most 2^8 subsets (certificates under the 8 MiB limit)
LEMMA = ("Lu & Kawaguchi 2017 (arXiv:1702.08580), Theorem 2.2 (X and Y of full row rank): a "
         "local minimum W of 1/2 ||W_H...W_1 X - Y||^2 maps to a local minimum W_H...W_1 of the "
         "loss on rank <= r")


def scope(kp) -> str | None:
    """Why the product census does not apply to the kernel's problem ``kp``, or None (the
    cheap conditions first; Sigma's characteristic polynomial last)."""
    for bad, why in (
            (lambda: kp.symmetric or kp.sum_of_towers or len(kp.towers) != 1 or len(kp.shapes) < 2,
             "needs a deep-linear problem with at least one hidden layer"),
            (lambda: not isinstance(kp.loss, Square) or kp.loss.over_product, "needs the square loss"),
            (lambda: kp.weight_decay != 0 or kp.decay_entries is not None, "needs no weight decay"),
            (lambda: kp.Y.nrows() > MAX_OUT, f"more than {MAX_OUT} outputs"),
            (lambda: kp.X.nrows() > kp.X.ncols() or (kp.X * kp.X.transpose()).det() == 0,
             "X X^T is singular"),
            (lambda: rank(kp.Y) < kp.Y.nrows(),
             "Y does not have full row rank (a hypothesis of the cited lemma)"),
            (lambda: (lambda p: p.gcd(p.derivative()).degree() > 0)(_sigma(kp).charpoly()),
             "Sigma = Y X^+ X Y^T has a repeated eigenvalue")):
        if bad():
            return why
    return None


def _sigma(kp):
    return square_loss_split(kp.X, kp.Y)[1]


def eigen(kp):
    """Sigma's eigenvalues, descending: ``(exact fmpq or None, lo, hi)``, width < 2^-BITS."""
    out = []
    for root in reversed(real_roots(_sigma(kp).charpoly())[0]):
        c = root.seq[0].coeffs()
        while len(c) > 2 and root.hi - root.lo >= fmpq(1, 2 ** BITS):
            root.bisect()
        out.append((-c[0] / c[1],) * 3 if len(c) == 2 else (None, root.lo, root.hi))
    return out


def kind_of(S, m, r, layers: int) -> str:
    """Two layers: a rank-deficient fibre is strict too (docs/census.md: a kernel vector z of
    W_1^T or W_2 gives the line (W_1 + t z v^T, W_2 + t s a z^T), whose t^2-coefficient
    s |z|^2 a^T G v + ... is < 0 for a suitable s once G = (R X - Y) X^T != 0)."""
    return ("global-minimum" if S == tuple(range(min(r, m))) else
            "strict-saddle" if len(S) == r or layers == 2 else "saddle")


def _vec(Sig, lam):
    """The eigenvector of Sigma for the rational eigenvalue lam (a column), and |u|^2."""
    u = fmpq_mat(Sig.nrows(), 1, nullspace(Sig - lam * identity(Sig.nrows()))[0])
    return u, (u.transpose() * u)[0, 0]


def _projector(kp, lams, S):
    """P_S exactly (every eigenvalue in S, or every one outside, rational), else in arb."""
    d, Sig = kp.Y.nrows(), _sigma(kp)
    for side, P, sign in ((S, zeros(d, d), 1), ([k for k in range(d) if k not in S], identity(d), -1)):
        if all(lams[k][0] is not None for k in side):
            for u, n in (_vec(Sig, lams[k][0]) for k in side):
                P += sign * u * u.transpose() / n
            return P
    balls = [arb(lo).union(arb(hi)) for _, lo, hi in lams]
    P, I = arb_mat(d, d), arb_mat(identity(d))   # (under workprec(BITS + 64): the caller)
    for i in S:                          # Frobenius covariants prod_k (Sigma - l_k) / (l_i - l_k)
        term = I
        for k in (k for k in range(d) if k != i):
            term = term * (arb_mat(Sig) - balls[k] * I) * (1 / (balls[i] - balls[k]))
        P += term
    return P


def _value(lams, S, c0, tr):
    """(lo, hi) of the fibre's value; lo == hi when it is rational by the rule above."""
    rest = [k for k in range(len(lams)) if k not in S]
    for side, base, sign in ((rest, c0, 1), (S, c0 + tr / 2, -1)):
        if all(lams[k][0] is not None for k in side):
            v = base + sign * sum((lams[k][0] for k in side), fmpq(0)) / 2
            return v, v
    return tuple(c0 + (tr - sum((lams[k][e] for k in S), fmpq(0))) / 2 for e in (2, 1))


def _matches(rec, lo, hi, name):
    """``rec`` ("p/q", or {"lo", "hi"} around an irrational [lo, hi])."""
    if isinstance(rec, dict) != (lo != hi):
        raise Rejected(f"{name}: recomputed {'an irrational' if lo != hi else 'the rational'} number, recorded {rec}")
    a, b = (to_fmpq(parse_exact(rec.get(k), f"{name}.{k}")) for k in ("lo", "hi")) if lo != hi \
        else (to_fmpq(parse_exact(rec, name)),) * 2
    if not (a <= lo and hi <= b):
        raise Rejected(f"{name}: recorded {rec} does not contain the recomputed [{lo}, {hi}]")


def _curve(kp, lams, S, i, j, Xp):
    """The sign-bearing coefficient, in arb (a ball; rigorous also for irrational eigenvalues):
    the saddle line's (|S| < r, ``i`` None) ``<A, P_j B>`` along ``R_S + s P_j Y X^+`` (rank
    <= |S| + 1), ``= -lambda_j``; or the strict-saddle curve's (|S| = r) t^2-coefficient
    ``|C1|^2 / 2 + <A, C2>`` along ``(P_S + t C + t^2 k^2 P_j) Y X^+``, ``C = P_i E_ab P_j +
    P_j E_ba P_i`` (= ``k (u_i u_j^T + u_j u_i^T)``, ``k = u_i[a] u_j[b] != 0``, unit u's: the
    docs' curve with v = u_i + t k u_j), ``= k^2 (lambda_i - lambda_j) / 2``.  Here
    ``B = Y X^+ X``, ``A = P_S B - Y``, ``C1 = C B``, ``C2 = P_j E_ba P_i E_ab P_j B``."""
    ball = lambda T: T if isinstance(T, arb_mat) else arb_mat(T)          # noqa: E731
    B, d = arb_mat(kp.Y * Xp * kp.X), kp.Y.nrows()
    A, Pj = ball(_projector(kp, lams, S)) * B - arb_mat(kp.Y), ball(_projector(kp, lams, (j,)))
    dot = lambda U, V: sum((U[x, y] * V[x, y] for x in range(U.nrows()) for y in range(U.ncols())), arb(0))  # noqa: E731
    if i is None:
        return dot(A, Pj * B)
    Pi = ball(_projector(kp, lams, (i,)))
    a, b = (max(range(d), key=lambda x: abs(P[x, x].mid())) for P in (Pi, Pj))   # u[a] != 0
    Eab = arb_mat([[int((x, y) == (a, b)) for y in range(d)] for x in range(d)])
    C1 = (Pi * Eab * Pj + Pj * Eab.transpose() * Pi) * B
    return dot(C1, C1) / 2 + dot(A, Pj * Eab.transpose() * Pi * Eab * Pj * B)


def check_product_census(data: dict) -> CheckResult:
    kp = read_problem(data.get("problem"))
    pc, relies = data.get("product_census"), []
    try:
        why = scope(kp) if isinstance(pc, dict) else "missing the product_census object"
        if why:
            raise Rejected(why)
        lams, r, d = eigen(kp), kp.max_rank, kp.Y.nrows()
        got = pc.get("eigenvalues")
        if not isinstance(got, list) or len(got) != d:
            raise Rejected(f"eigenvalues: expected Sigma's {d} eigenvalues, largest first")
        for k, (_, lo, hi) in enumerate(lams):
            _matches(got[k], lo, hi, f"eigenvalues[{k}]")
        m = sum(1 for x, _, _ in lams if x is None or x > 0)   # Sigma is PSD: irrational => > 0
        want = {S for s in range(min(r, m) + 1) for S in combinations(range(m), s)}
        fibres = pc.get("fibres")
        subsets = [tuple(sorted(i - 1 for i in f["subset"])) if isinstance(f, dict) and
                   isinstance(f.get("subset"), list) and all(type(i) is int for i in f["subset"])
                   else None for f in (fibres if isinstance(fibres, list) else [])]
        if len(subsets) != len(want) or set(subsets) != want:
            raise Rejected(f"fibres: expected each of the {len(want)} subsets of size <= {r} once")
        c0, Sig = square_loss_split(kp.X, kp.Y)
        Xp = kp.X.transpose() * (kp.X * kp.X.transpose()).inv()
        for n, (f, S) in enumerate(zip(fibres, subsets)):
            kind = kind_of(S, m, r, len(kp.shapes))
            if f.get("kind") != kind or f.get("rank") != len(S):
                raise Rejected(f"fibres[{n}]: the fibre of {f['subset']} is {kind}, rank {len(S)}")
            lo, hi = _value(lams, S, c0, sum((Sig[k, k] for k in range(d)), fmpq(0)))
            _matches(f.get("value"), lo, hi, f"fibres[{n}].value")
            with flint.ctx.workprec(BITS + 64):
                P = _projector(kp, lams, S)
                _check_product(f.get("product"), P * (kp.Y * Xp) if isinstance(P, fmpq_mat)
                               else P * arb_mat(kp.Y * Xp), n)
            if kind == "global-minimum":
                s = [compare_with_square_optimum(kp.X, kp.Y, r, v) for v in (lo, hi)]
                if None in s or s[0] > 0 or s[1] < 0:
                    raise Rejected(f"fibres[{n}]: value not the closed-form optimum ({s})")
                continue
            j = min(k for k in range(m) if k not in S)       # the largest eigenvalue left out
            with flint.ctx.workprec(BITS + 64):
                co = _curve(kp, lams, S, max(S) if len(S) == r else None, j, Xp)   # < 0: G != 0
            if not co < 0:
                raise Rejected(f"fibres[{n}]: the curve's coefficient {co} is not certified < 0")
            if kind == "saddle" and LEMMA not in relies:
                relies.append(LEMMA)
    except Rejected as exc:
        return CheckResult(False, "product-census", str(exc), tuple(relies))
    return CheckResult(True, "product-census", f"{len(want)} critical products (every subset of the {m} "
                       f"positive eigenvalues of Sigma of size <= {r}), each fibre classified", tuple(relies))


def _check_product(rec, R, n):
    """The recorded product: exact rows equal to R, or {"lo": rows, "hi": rows} around it."""
    name, shape = f"fibres[{n}].product", (R.nrows(), R.ncols())
    exact = isinstance(R, fmpq_mat)
    if not isinstance(rec, list if exact else dict):
        raise Rejected(f"{name}: expected {'exact rows' if exact else '{lo, hi} bounds'}")
    lo, hi = (read_matrix(rec, name, shape),) * 2 if exact else \
        (read_matrix(rec.get(k), f"{name}.{k}", shape) for k in ("lo", "hi"))
    for a, b in ((a, b) for a in range(shape[0]) for b in range(shape[1])):
        x = R[a, b]
        if not (lo[a, b] <= (x if exact else lower_q(x)) and (x if exact else upper_q(x)) <= hi[a, b]):
            raise Rejected(f"{name}[{a}][{b}]: not the recomputed product P_S Y X^+")
