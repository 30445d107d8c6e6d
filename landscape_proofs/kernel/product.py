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
  rank-<=r curve ``gamma(t) = (P_{S-i} + v v^T / |u_i|^2) Y X^+``, ``v = u_i + t u_j``, the loss
  has t-coefficient 0 and t^2-coefficient ``|u_j|^2 (lambda_i - lambda_j) / (2 |u_i|^2) < 0``
  (recomputed exactly when the eigenvalues involved are rational): every critical point of
  the fibre is a strict saddle;
* ``|S| < r``, not the top: along the rank-<=r line ``R_S + s u_j u_j^T Y X^+ / |u_j|^2`` the
  loss has first-order coefficient ``-lambda_j < 0``: R_S is not a local minimum of the loss on
  rank <= r, so (cited lemma, ``LEMMA``) no point of the fibre is a local minimum: saddles.
"""
from __future__ import annotations

from itertools import combinations

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat

from landscape_proofs.kernel.algebraic import real_roots
from landscape_proofs.kernel.enclosure import lower_q, upper_q
from landscape_proofs.kernel.linalg import identity, inner, nullspace, zeros
from landscape_proofs.kernel.losses import Square
from landscape_proofs.kernel.model import read_matrix, read_problem
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.optimum import compare_with_square_optimum, square_loss_split
from landscape_proofs.kernel.verdict import CheckResult, Rejected

BITS = 160          # every irrational eigenvalue is isolated to width < 2^-BITS
MAX_OUT = 10        # d_y <= 10: at most 2^10 subsets
LEMMA = ("Lu & Kawaguchi 2017 (arXiv:1702.08580), Theorem 2.1: a local minimum W of "
         "1/2 ||W_H...W_1 X - Y||^2 maps to a local minimum W_H...W_1 of the loss on rank <= r")


def scope(kp) -> str | None:
    """Why the product census does not apply to the kernel's problem ``kp``, or None."""
    if kp.symmetric or kp.sum_of_towers or len(kp.towers) != 1 or len(kp.shapes) < 2:
        return "needs a deep-linear problem with at least one hidden layer"
    if not isinstance(kp.loss, Square) or kp.loss.over_product:
        return f"needs the square loss, not {kp.loss.name}"
    if kp.weight_decay != 0 or kp.decay_entries is not None:
        return "needs no weight decay"
    if kp.Y.nrows() > MAX_OUT:
        return f"d_y = {kp.Y.nrows()} > {MAX_OUT} outputs"
    if (kp.X * kp.X.transpose()).det() == 0:
        return "X X^T is singular"
    p = _sigma(kp).charpoly()
    if p.gcd(p.derivative()).degree() > 0:
        return "Sigma = Y X^+ X Y^T has a repeated eigenvalue"
    return None


def _sigma(kp):
    return square_loss_split(kp.X, kp.Y)[1]


def eigen(kp):
    """Sigma's eigenvalues, descending: ``(exact fmpq or None, lo, hi)``, width < 2^-BITS."""
    out = []
    for root in reversed(real_roots(_sigma(kp).charpoly())[0]):
        if root.seq[0].degree() == 1:
            c = root.seq[0].coeffs()
            x = -c[0] / c[1]
            out.append((x, x, x))
            continue
        while root.hi - root.lo >= fmpq(1, 2 ** BITS):
            root.bisect()
        out.append((None, root.lo, root.hi))
    return out


def kind_of(S, m, r) -> str:
    return ("global-minimum" if S == tuple(range(min(r, m))) else
            "strict-saddle" if len(S) == r else "saddle")


def _projector(kp, lams, S):
    """P_S exactly (every eigenvalue in S, or every one outside, rational), else in arb."""
    d = kp.Y.nrows()
    Sig = _sigma(kp)
    for side, sign in ((S, 1), ([k for k in range(d) if k not in S], -1)):
        if all(lams[k][0] is not None for k in side):
            P = zeros(d, d) if sign > 0 else identity(d)
            for k in side:
                P += sign * _unit_projector(Sig, lams[k][0])
            return P
    balls = [arb(lo).union(arb(hi)) for _, lo, hi in lams]
    P, I = arb_mat(d, d), arb_mat(identity(d))   # (under workprec(BITS + 64): the caller)
    for i in S:                          # Frobenius covariants prod_k (Sigma - l_k) / (l_i - l_k)
        term = I
        for k in range(d):
            if k != i:
                term = term * (arb_mat(Sig) - balls[k] * I) * (1 / (balls[i] - balls[k]))
        P += term
    return P


def _unit_projector(Sig, lam):
    u = fmpq_mat(Sig.nrows(), 1, nullspace(Sig - lam * identity(Sig.nrows()))[0])
    return u * u.transpose() / (u.transpose() * u)[0, 0]


def _value(kp, lams, S, c0, tr):
    """(lo, hi) of the fibre's value; lo == hi when it is rational by the rule above."""
    rest = [k for k in range(len(lams)) if k not in S]
    if all(lams[k][0] is not None for k in rest):
        v = c0 + sum((lams[k][0] for k in rest), fmpq(0)) / 2
        return v, v
    if all(lams[k][0] is not None for k in S):
        v = c0 + (tr - sum((lams[k][0] for k in S), fmpq(0))) / 2
        return v, v
    return (c0 + (tr - sum((lams[k][2] for k in S), fmpq(0))) / 2,
            c0 + (tr - sum((lams[k][1] for k in S), fmpq(0))) / 2)


def _exact_or_range(x, name):
    if isinstance(x, dict):
        return to_fmpq(parse_exact(x.get("lo"), f"{name}.lo")), to_fmpq(parse_exact(x.get("hi"), f"{name}.hi"))
    q = to_fmpq(parse_exact(x, name))
    return q, q


def _contains(outer, lo, hi, name):
    if not (outer[0] <= lo and hi <= outer[1]) or (outer[0] == outer[1]) != (lo == hi):
        raise Rejected(f"{name}: recorded {outer} does not match the recomputed [{lo}, {hi}]")


def _curve_check(kp, lams, S, i, j, Xp):
    """The t (or s) coefficients of the loss along the strict-saddle curve (|S| = r) or the
    saddle line (|S| < r), exactly; None when an eigenvalue involved is irrational."""
    Sig, X, Y = _sigma(kp), kp.X, kp.Y
    if any(lams[k][0] is None for k in list(S) + [j]):
        return None
    A = _projector(kp, lams, S) * Y * Xp * X - Y
    Pj, YXp = _unit_projector(Sig, lams[j][0]), Y * Xp
    if i is None:                        # line R_S + s P_j Y X^+ (rank <= |S| + 1)
        return inner(A, Pj * YXp * X), None
    ui = fmpq_mat(Sig.nrows(), 1, nullspace(Sig - lams[i][0] * identity(Sig.nrows()))[0])
    uj = fmpq_mat(Sig.nrows(), 1, nullspace(Sig - lams[j][0] * identity(Sig.nrows()))[0])
    ni = (ui.transpose() * ui)[0, 0]
    C1 = (ui * uj.transpose() + uj * ui.transpose()) * YXp * X / ni
    C2 = uj * uj.transpose() * YXp * X / ni
    return inner(A, C1), inner(C1, C1) / 2 + inner(A, C2)


def check_product_census(data: dict) -> CheckResult:
    kp = read_problem(data.get("problem"))
    pc = data.get("product_census")
    relies: list[str] = []
    try:
        why = scope(kp) if isinstance(pc, dict) else "missing the product_census object"
        if why:
            raise Rejected(why)
        lams, r, d = eigen(kp), kp.max_rank, kp.Y.nrows()
        got = pc.get("eigenvalues")
        if not isinstance(got, list) or len(got) != d:
            raise Rejected(f"eigenvalues: expected Sigma's {d} eigenvalues, largest first")
        for k, (x, lo, hi) in enumerate(lams):
            _contains(_exact_or_range(got[k], f"eigenvalues[{k}]"), lo, hi, f"eigenvalues[{k}]")
        m = sum(1 for x, _, _ in lams if x is None or x > 0)   # Sigma is PSD: irrational => > 0
        want = [S for s in range(min(r, m) + 1) for S in combinations(range(m), s)]
        fibres = pc.get("fibres")
        if not isinstance(fibres, list) or len(fibres) != len(want):
            raise Rejected(f"fibres: expected {len(want)} critical products (subsets of the {m} "
                           f"positive eigenvalues of size <= {r})")
        seen = set()
        c0, Sig = square_loss_split(kp.X, kp.Y)
        tr = sum((Sig[k, k] for k in range(d)), fmpq(0))
        Xp = kp.X.transpose() * (kp.X * kp.X.transpose()).inv()
        for n, f in enumerate(fibres):
            sub = f.get("subset") if isinstance(f, dict) else None
            if not isinstance(sub, list) or not all(isinstance(i, int) and 1 <= i <= m for i in sub):
                raise Rejected(f"fibres[{n}].subset: expected indices in 1..{m}")
            S = tuple(sorted(i - 1 for i in sub))
            if S in seen or len(set(S)) != len(S) or len(S) > r:
                raise Rejected(f"fibres[{n}].subset {sub}: repeated or larger than r = {r}")
            seen.add(S)
            kind = kind_of(S, m, r)
            if f.get("kind") != kind or f.get("rank") != len(S):
                raise Rejected(f"fibres[{n}]: the fibre of {sub} is {kind} with rank {len(S)}")
            lo, hi = _value(kp, lams, S, c0, tr)
            _contains(_exact_or_range(f.get("value"), f"fibres[{n}].value"), lo, hi,
                      f"fibres[{n}].value")
            with flint.ctx.workprec(BITS + 64):
                P = _projector(kp, lams, S)
                _check_product(f.get("product"), P * (kp.Y * Xp) if isinstance(P, fmpq_mat)
                               else P * arb_mat(kp.Y * Xp), n)
            if kind == "global-minimum":
                s = (compare_with_square_optimum(kp.X, kp.Y, r, lo), compare_with_square_optimum(kp.X, kp.Y, r, hi))
                if None in s or s[0] > 0 or s[1] < 0:
                    raise Rejected(f"fibres[{n}]: value not the closed-form optimum ({s})")
                continue
            j = min(k for k in range(m) if k not in S)       # the largest eigenvalue left out
            co = _curve_check(kp, lams, S, max(S) if kind == "strict-saddle" else None, j, Xp)
            bad = co is not None and (co[0] >= 0 if kind == "saddle" else co[0] != 0 or co[1] >= 0)
            if bad:
                raise Rejected(f"fibres[{n}]: the curve's coefficients {co} give no descent")
            if kind == "saddle" and LEMMA not in relies:
                relies.append(LEMMA)
    except Rejected as exc:
        return CheckResult(False, "product-census", str(exc), tuple(relies))
    return CheckResult(True, "product-census",
                       f"{len(want)} critical products (every subset of the {m} positive "
                       f"eigenvalues of Sigma of size <= {r}), each fibre classified", tuple(relies))


def _check_product(rec, R, n):
    """The recorded product: exact rows equal to R, or {"lo": rows, "hi": rows} around it."""
    name = f"fibres[{n}].product"
    shape = (R.nrows(), R.ncols())
    if isinstance(R, fmpq_mat):
        if not isinstance(rec, list) or read_matrix(rec, name, shape) != R:
            raise Rejected(f"{name}: not the exact product P_S Y X^+")
        return
    if not isinstance(rec, dict):
        raise Rejected(f"{name}: expected {{lo, hi}} bounds of an irrational product")
    lo, hi = (read_matrix(rec.get(k), f"{name}.{k}", shape) for k in ("lo", "hi"))
    for a in range(shape[0]):
        for b in range(shape[1]):
            if not (lo[a, b] <= lower_q(R[a, b]) and upper_q(R[a, b]) <= hi[a, b]):
                raise Rejected(f"{name}[{a}][{b}]: the recomputed ball is not inside the bounds")
