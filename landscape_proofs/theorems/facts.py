"""Exact assumption checks shared by the theorem modules.

Every check returns an :class:`~landscape_proofs.theorems.base.AssumptionCheck` whose
``detail`` states the numbers it computed: ranks by exact elimination over Q
(:func:`landscape_proofs.kernel.linalg.rank`), widths, and for the eigenvalues of
``Sigma = Y X^T (X X^T)^{-1} X Y^T`` the discriminant of its characteristic polynomial
(an ``fmpq_poly``): the eigenvalues are pairwise distinct iff the discriminant is nonzero.

Loss facts distinguish *proven* (square, l1, power; for a polynomial custom loss what
:mod:`landscape_proofs.losses.convexity` decides exactly) from *declared* (a custom loss's
``convex``/``differentiable`` fields): a declaration is never a proof, so a check that would
rest on one is undecided (``holds`` None, "declared, not proven") and the theorem does not
apply.
"""
from __future__ import annotations

from landscape_proofs.core.rank_constrained import sigma_matrix  # noqa: F401 (re-exported)
from landscape_proofs.kernel.errors import UnsupportedError
from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.losses.convexity import decide_convexity
from landscape_proofs.losses.specs import CustomLoss, L1Loss, PowerLoss, SquareLoss
from landscape_proofs.produce.sos_convex import convexity_hints
from landscape_proofs.theorems.base import AssumptionCheck


def family_is(problem, family: str) -> AssumptionCheck:
    got = getattr(problem, "family", type(problem).__name__)
    return AssumptionCheck(f"family = {family}", got == family, f"the problem's family is {got}")


def square_loss(problem) -> AssumptionCheck:
    loss = getattr(problem, "loss", None)
    ok = isinstance(loss, SquareLoss)
    what = loss.describe() if loss is not None else "no loss"
    return AssumptionCheck("loss = square", ok, f"the loss is {what}")


def is_custom_polynomial(loss) -> bool:
    """A user's polynomial loss (its exact terms are available)."""
    return isinstance(loss, CustomLoss) and loss.polynomial


def no_weight_decay(problem) -> AssumptionCheck:
    wd = getattr(problem, "weight_decay", 0)
    shown = "a per-entry decay" if isinstance(wd, tuple) else wd
    return AssumptionCheck("weight_decay = 0", wd == 0, f"weight_decay = {shown}")


def depth_at_least(problem, h: int) -> AssumptionCheck:
    H = problem.depth
    return AssumptionCheck(f"H >= {h} weight matrices", H >= h, f"H = {H} weight matrices")


def depth_equals(problem, h: int) -> AssumptionCheck:
    H = problem.depth
    return AssumptionCheck(f"H = {h} weight matrices", H == h, f"H = {H} weight matrices")


def _data_matrices(problem):
    X = matrix(problem.X)
    Y = matrix(problem.Y) if problem.Y is not None else None
    return X, Y


def rank_X_full_row(problem) -> AssumptionCheck:
    """rank(X) = d_0, i.e. X X^T is invertible."""
    X, _ = _data_matrices(problem)
    d0 = problem.widths[0]
    r = rank(X)
    return AssumptionCheck("rank(X) = d_0", r == d0, f"rank(X) = {r}, need {d0}")


def rank_Y_full_row(problem) -> AssumptionCheck:
    _, Y = _data_matrices(problem)
    dH = problem.widths[-1]
    if Y is None:
        return AssumptionCheck("rank(Y) = d_H", False, "the problem has no targets Y "
                               "(a loss of the product)")
    r = rank(Y)
    return AssumptionCheck("rank(Y) = d_H", r == dH, f"rank(Y) = {r}, need {dH}")


def rank_YXt_full(problem) -> AssumptionCheck:
    """X Y^T has full rank min(d_0, d_H)."""
    X, Y = _data_matrices(problem)
    d0, dH = problem.widths[0], problem.widths[-1]
    need = min(d0, dH)
    if Y is None:
        return AssumptionCheck("rank(X Y^T) = min(d_0, d_H)", False, "the problem has no targets Y")
    r = rank(Y * X.transpose())
    return AssumptionCheck("rank(X Y^T) = min(d_0, d_H)", r == need, f"rank(X Y^T) = {r}, need {need}")


def width_at_most_samples(problem, layer: int) -> AssumptionCheck:
    """d_layer <= n, the number of samples (columns of X); layer 0 or H (= -1)."""
    w = problem.widths
    i = layer % len(w)
    label = "d_H" if i == len(w) - 1 else f"d_{i}"
    n = problem.n_samples
    return AssumptionCheck(f"{label} <= n", w[i] <= n, f"{label} = {w[i]}, n = {n} samples")


def output_at_most_input(problem) -> AssumptionCheck:
    d0, dH = problem.widths[0], problem.widths[-1]
    return AssumptionCheck("d_H <= d_0", dH <= d0, f"d_H = {dH}, d_0 = {d0}")


def distinct_eigenvalues(S, label: str = "Sigma") -> tuple[bool, str]:
    """(the eigenvalues of the square matrix S are pairwise distinct, the numbers behind it):
    decided by the discriminant of its characteristic polynomial (nonzero iff distinct)."""
    p = S.charpoly()
    if p.degree() <= 1:
        return True, f"{label} is {S.nrows()} x {S.ncols()}: one eigenvalue"
    disc = p.discriminant()
    detail = f"discriminant of the characteristic polynomial of {label} = {disc}"
    if disc == 0:
        g = p.gcd(p.derivative())
        detail += f" (repeated eigenvalue: root of {g})"
    return disc != 0, detail


def sigma_distinct_eigenvalues(problem) -> AssumptionCheck:
    """The eigenvalues of Sigma are pairwise distinct: disc(charpoly(Sigma)) != 0."""
    name = "Sigma = Y X^T (X X^T)^{-1} X Y^T has distinct eigenvalues"
    if problem.Y is None:
        return AssumptionCheck(name, False, "the problem has no targets Y")
    S = sigma_matrix(problem)
    if S is None:
        return AssumptionCheck(name, False, "Sigma is undefined: X X^T is singular")
    holds, detail = distinct_eigenvalues(S)
    return AssumptionCheck(name, holds, detail)


def hidden_widths(problem) -> tuple[int, ...]:
    return tuple(problem.widths[1:-1])


def no_bottleneck(problem) -> AssumptionCheck:
    """Every hidden width >= min(d_0, d_H) (the product can reach every matrix)."""
    w = problem.widths
    need = min(w[0], w[-1])
    hidden = hidden_widths(problem)
    if not hidden:
        return AssumptionCheck("min hidden width >= min(d_0, d_H)", True,
                               "a single layer has no hidden width")
    m = min(hidden)
    k = hidden.index(m) + 1
    if m >= need:
        return AssumptionCheck("min hidden width >= min(d_0, d_H)", True,
                               f"min hidden width = {m} >= min(d_0, d_H) = {need}")
    return AssumptionCheck("min hidden width >= min(d_0, d_H)", False,
                           f"bottleneck: d_{k} = {m} < min(d_0, d_H) = {need}")


def loss_convex(problem) -> AssumptionCheck:
    """The loss l is convex: proven for square, l1, power; decided exactly for a polynomial
    custom loss where :mod:`landscape_proofs.losses.convexity` can (degree <= 2, one entry, an
    exactly verified SOS-convexity certificate, or an exact witness point where the Hessian has a
    negative eigenvalue; docs/sos.md, "Convexity of polynomial losses").  A declaration alone
    is never a proof: the answer is then undecided ("declared, not proven")."""
    loss = problem.loss
    if isinstance(loss, (SquareLoss, L1Loss, PowerLoss)):
        return AssumptionCheck("l convex", True, f"{loss.describe()} is convex (proven)")
    if isinstance(loss, CustomLoss):
        why = "not a polynomial"
        if loss.polynomial:
            try:
                # SOS-convexity / negative-curvature hints (an SDP, a float search), checked
                # exactly by decide_convexity
                decision = decide_convexity(loss._polynomial_terms(), loss.prefix,
                                            hints=convexity_hints)
            except UnsupportedError as e:
                why = str(e)
            else:
                if decision.convex is True:
                    return AssumptionCheck("l convex", True, f"{decision.detail} (proven)")
                if decision.convex is False:
                    return AssumptionCheck("l convex", False, decision.detail)
                why = decision.detail
        if loss.declared_convex is not None:
            said = "convex" if loss.declared_convex else "not convex"
            return AssumptionCheck("l convex", None, f"declared {said} by the problem file "
                                   f"(declared, not proven; {why})", declared=True)
        return AssumptionCheck("l convex", None, f"the custom loss declares no convexity and none "
                               f"was proven ({why})")
    return AssumptionCheck("l convex", None, f"unknown loss {loss!r}")


def loss_differentiable(problem) -> AssumptionCheck:
    loss = problem.loss
    if isinstance(loss, (SquareLoss, PowerLoss)):
        return AssumptionCheck("l differentiable", True, f"{loss.describe()} is a polynomial (proven)")
    if isinstance(loss, L1Loss):
        return AssumptionCheck("l differentiable", False,
                               "the l1 loss has a kink wherever a residual entry is 0")
    if isinstance(loss, CustomLoss):
        if loss.polynomial:
            return AssumptionCheck("l differentiable", True, "the custom loss is a polynomial (proven)")
        if loss.declared_differentiable is not None:
            said = "differentiable" if loss.declared_differentiable else "not differentiable"
            return AssumptionCheck("l differentiable", None, f"declared {said} by the problem "
                                   "file (declared, not proven)", declared=True)
        return AssumptionCheck("l differentiable", None, "not a polynomial and not declared")
    return AssumptionCheck("l differentiable", None, f"unknown loss {loss!r}")


def loss_of_residual(problem) -> AssumptionCheck:
    over = "product" if problem.loss.over_product else "residual"
    return AssumptionCheck("l is a function of the residual R X - Y", over == "residual",
                           f"the loss is a function of the {over}")


def l1_loss(problem) -> AssumptionCheck:
    """'loss = l1' (a loss whose kinks are piecewise linear: the l1 loss)."""
    return AssumptionCheck("loss = l1", problem.loss.piecewise_linear_kinks,
                           f"the loss is {problem.loss.describe()}")


def absolute_loss() -> L1Loss:
    """The loss ``sum_i |r_i|`` of robust regression (Ma & Fattahi's l1 loss), as a plug-in
    object (the theorems' loss vocabulary lives here, see tests/test_plugins.py)."""
    return L1Loss()

