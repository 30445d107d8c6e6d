"""Ma & Fattahi 2022: arXiv:2207.07612 ("Blessing of nonconvexity in deep linear models: depth
flattens the optimization landscape around the true solution"); NeurIPS 2022 version "Blessing
of depth in linear regression: deeper models have flatter landscape around the true solution".

Only the *negative* result is tested, at any depth H >= 1 (the arXiv abstract: "given any
N >= 1"): for robust regression with the l1 loss and a fraction of grossly corrupted
measurements, a factorization of the true model need not be a local minimum.  The truth is either given (``--point``) or recovered exactly from the data: the
model that fits a strict majority of the samples exactly (every candidate interpolates
d_0 samples; ties or no majority: no truth).
"""
from __future__ import annotations

import itertools

import flint

from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_weights
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import AssumptionCheck, PageProse, PointVerdict, Theorem
from landscape_proofs.produce.candidates import (Candidate, CheckBudget, ClassifiedPoint, classify_candidates, dedupe,
                       product, standard_factorization)
from landscape_proofs.theorems.judging import judge, not_applicable

ID = "ma_fattahi2022"
MAX_SUBSETS = 400


def majority_model(problem):
    """(R*, fitted, n): the model fitting a strict majority of samples exactly, or (None, best, n)."""
    X, Y = matrix(problem.X), matrix(problem.Y)
    d0, n = X.nrows(), X.ncols()
    best, best_count, tie = None, 0, False
    seen = set()
    for cols in itertools.islice(itertools.combinations(range(n), d0), MAX_SUBSETS):
        Xs = flint.fmpq_mat(d0, d0, [X[i, j] for i in range(d0) for j in cols])
        if rank(Xs) < d0:
            continue
        Ys = flint.fmpq_mat(Y.nrows(), d0, [Y[i, j] for i in range(Y.nrows()) for j in cols])
        R = Ys * Xs.inv()
        key = tuple(R.entries())
        if key in seen:
            continue
        seen.add(key)
        E = R * X - Y
        count = sum(1 for j in range(n) if all(E[i, j] == 0 for i in range(E.nrows())))
        if count > best_count:
            best, best_count, tie = R, count, False
        elif count == best_count:
            tie = True
    if best is not None and 2 * best_count > n and not tie:
        return best, best_count, n
    return None, best_count, n


def _binomial(n: int, k: int) -> int:
    import math

    return math.comb(n, k)


def truth_check(problem, point=None) -> AssumptionCheck:
    name = "a true model fits a strict majority of the samples exactly (the rest are outliers)"
    if point is not None:
        return AssumptionCheck(name, True, "the truth is the given point (--point)")
    if problem.Y is None:
        return AssumptionCheck(name, False, "the problem has no targets Y")
    X = matrix(problem.X)
    d0, n = X.nrows(), X.ncols()
    rX = rank(X)
    if rX < d0:
        return AssumptionCheck(name, None, f"rank(X) = {rX} < d_0 = {d0}: no model is determined by "
                               "the samples (R and R + M fit the same samples whenever M X = 0), so the truth is "
                               "not recovered from the data; give it with --point")
    R, k, n = majority_model(problem)
    if R is None:
        total = _binomial(n, d0)
        scope = ("" if total <= MAX_SUBSETS else
                 f" among the models through the first {MAX_SUBSETS} of {total} sets of {d0} samples")
        return AssumptionCheck(name, None if total > MAX_SUBSETS else False,
                               f"no model fits more than half of the {n} samples exactly{scope} "
                               f"(best: {k}); give the truth with --point")
    vals = [[str(R[i, j]) for j in range(R.ncols())] for i in range(R.nrows())]
    return AssumptionCheck(name, True, f"R* = {vals} fits {k} of {n} samples exactly; "
                           f"{n - k} corrupted (fraction {n - k}/{n})")


def check_assumptions(problem, point=None):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    loss = facts.l1_loss(problem)
    out += [loss, facts.depth_at_least(problem, 1), facts.no_weight_decay(problem)]
    if loss.holds:
        out.append(truth_check(problem, point))
    return out


def _rational_root(q: flint.fmpq, H: int):
    """The rational H-th root of q when it exists (sign allowed for odd H)."""
    if q == 0:
        return flint.fmpq(0)
    sign = -1 if q < 0 else 1
    if sign < 0 and H % 2 == 0:
        return None
    a, b = abs(int(q.p)), int(q.q)
    ra, rb = round(a ** (1.0 / H)), round(b ** (1.0 / H))
    for x in (ra - 1, ra, ra + 1):
        for y in (rb - 1, rb, rb + 1):
            if x >= 0 and y > 0 and x ** H == a and y ** H == b:
                return flint.fmpq(sign * x, y)
    return None


def truth_candidates(problem, point=None) -> list[Candidate]:
    out = []
    if point is not None:
        Ws = tuple(exact_weights(point))
        out.append(Candidate("the given truth", Ws, "given"))
        R = product(Ws)
    else:
        R, _, _ = majority_model(problem)
        if R is None:
            return []
    std = standard_factorization(problem.widths, R)
    if std is not None:
        out.append(Candidate("truth, standard factorization", std, "closed-form"))
    if all(w == 1 for w in problem.widths):
        root = _rational_root(R[0, 0], problem.depth)
        if root is not None:
            out.append(Candidate(f"truth, balanced factorization (each weight {root})",
                                 tuple(flint.fmpq_mat(1, 1, [root]) for _ in range(problem.depth)),
                                 "closed-form"))
    return dedupe(out)


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear" or problem.Y is None:
        return not_applicable("needs a deep-linear problem with targets Y")
    cands = truth_candidates(problem, point)
    if not cands:
        return not_applicable("no true model: none given and no strict-majority exact fit")
    pts = classify_candidates(problem, cands, budget, limit=len(cands))

    def rule(cp: ClassifiedPoint):
        k = cp.kind
        if k in (Kind.NOT_CRITICAL, Kind.STRICT_SADDLE, Kind.NON_STRICT_SADDLE,
                 Kind.NONSMOOTH_SADDLE, Kind.LOCAL_MAXIMUM):
            return PointVerdict.CONSISTENT, "the truth is certified not to be a local minimum here"
        if k in (Kind.GLOBAL_MINIMUM, Kind.LOCAL_MINIMUM, Kind.SPURIOUS_LOCAL_MINIMUM):
            return (PointVerdict.UNDECIDED, "the truth is a minimum on this instance; the paper's "
                    "negative result holds with constant probability, not on every instance")
        return PointVerdict.UNDECIDED, cp.result.reason

    return judge(pts, rule, what="a solution representing the true model is not a local minimum",
                 scope="the factorizations of the truth listed; the positive result is not tested",
                 notes=("with the l1 loss, 'not-critical' is certified by a descent curve with a "
                        "negative one-sided derivative: 0 is not in the Clarke subdifferential",))


PAGE = PageProse(
    reading="reconstructed (see Caveats); the negative result's 'given any N >= 1' is quoted from the arXiv abstract",
    short_citation='Ma & Fattahi, arXiv:2207.07612 / NeurIPS 2022 (negative result; reconstructed)',
    after_try="""\
## The outlier instance by hand

`x = (1, 1, 3)`, `y = (1, 1, 6)`, a scalar two-layer chain `w2 w1` with the l1 loss.  The truth
`w1 w2 = 1` fits the first two samples exactly (the tool recovers it: the only model fitting
a strict majority).  Along `w2 = 1 + t`, `L = 2t + |3 - 3t| = 3 - t` for small `t > 0`: a
negative one-sided derivative, so the truth is not a local minimum (0 is not in the Clarke
subdifferential).  The l1 minimizer is `w1 w2 = 2` (value 2).  With only the two samples
`x = (1, 3)`, `y = (1, 6)` no model fits a strict majority, and the check asks for the truth
with `--point`.

## On drawn instances, with its probability

`landscape experiment ma-fattahi --negative` draws exact instances
(`families/robust_regression.py`: Gaussian design quantized to multiples of 1/4, a 2-sparse
truth of ones, a random subset of `round(p n)` samples corrupted by quantized
`N(0, (10 ||theta*||)^2)` noise; `d = 4`, `n = 12`) and classifies the truth's factorization
on the chain `(d, 1, ..., 1)` at every depth asked for, each outcome checked by the kernel.
Seeds 0-19 (`--outliers 0,0.2,0.3,0.4 --depths 1,2,3`): the truth is certified neither a
local nor a global minimum on 0, 0, 8 and 14 of the 20 draws (a certified global minimum
on all the others, none undecided), the same count at every depth and on every seed the
same outcome at every depth, as the function-space argument in
`theorems/ma_fattahi2022_draws.py` says it must be.  So "with constant probability" is seen:
0.40 (Wilson 95% interval 0.22-0.61) at `p = 0.3` and 0.70 (0.48-0.85) at `p = 0.4` on these
sizes.  With fewer samples than unknowns (`n < d`) a single outlier already makes it certain
(some model interpolates every sample).

## Depth 1 (`H = 1`)

The abstract's "given any N >= 1" includes plain l1 regression.  `x = (1, 1, 3)`,
`y = (1, 1, 6)`, one weight `w`: `L(w) = 2 |w - 1| + |6 - 3w|`.  The truth `w = 1` (fits 2 of 3
samples) has `L(1 + t) = 2t + 3 - 3t = 3 - t` for small `t > 0`: a descent direction, so `w = 1`
is not a local minimum.  The minimizer is the weighted median, `w = 2` (slopes `-1` left of 2
and `+5` right of it), value 2: the truth is neither a local nor a global minimum.
""",
)

THEOREM = Theorem(
    paper_reference=(
        "The negative result as the abstract of arXiv:2207.07612 states it: \"given any N >= 1, "
        "with constant probability, there exists a solution corresponding to the ground truth "
        "that is neither local nor global minimum\"; only the abstracts were available, so the "
        "theorem number and the measurement model of the text were not checked"),
    id=ID,
    page=PAGE,
    title="Blessing of nonconvexity in deep linear models: depth flattens the optimization landscape around the true solution",
    citation="J. Ma and S. Fattahi. Blessing of nonconvexity in deep linear models: depth flattens "
             "the optimization landscape around the true solution. arXiv:2207.07612, 2022.  "
             "Published version: Blessing of depth in linear regression: deeper models have "
             "flatter landscape around the true solution. NeurIPS 2022.",
    source="arXiv:2207.07612",
    statement=(
        "Robust over-parameterized regression with the l1 loss, a fraction of the measurements "
        "grossly corrupted and the model represented by a depth-N linear network (an N-layer "
        "diagonal network in the NeurIPS version): given any N >= 1, with constant "
        "probability, a solution corresponding to the true model is neither a local nor a "
        "global minimum (negative result, tested here at any depth H >= 1).  Positive result, "
        "not tested by this entry (the entry ma_fattahi2022_positive runs it as evidence): depth flattens the landscape around the true solution (both "
        "titles); our summary of the paper adds that for N >= 2 sub-gradient descent from a small balanced "
        "initialization converges to a balanced solution close to the truth."),
    reconstructed=True,
    caveat=(
        "The negative result follows the arXiv abstract: 'given any N >= 1, with constant "
        "probability, there exists a solution corresponding to the ground truth that is "
        "neither local nor global minimum'; so no depth beyond H >= 1 is required (a depth-1 "
        "l1 regression with an outlier already has a truth that is not a local minimum).  The "
        "measurement model, the corruption model, the step sizes and the error bound were "
        "not taken from the paper; the NeurIPS version (different title) uses diagonal "
        "networks.  The positive result's 'small balanced initialization' is from our "
        "summary of the paper (arXiv:2207.07612; the section was not checked) and appears in "
        "neither abstract; it is run as float evidence by the entry ma_fattahi2022_positive.  The instance test "
        "only asks whether the factorizations of the truth built here are local minima; a "
        "probabilistic statement cannot fail on one instance, so a truth that is a minimum "
        "gives 'inconclusive', never 'fails'."),
    assumptions_doc=(("family = deep-linear", "the problem file's family"),
                     ("loss = l1", "the loss specification"),
                     ("H >= 1 weight matrices", "the widths list (any depth: 'given any N >= 1')"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("a true model fits a strict majority of samples",
                      "every subset of d_0 samples with invertible X block is interpolated "
                      "exactly; the model fitting the most samples exactly, if a strict majority "
                      "and unique, is the truth (or the truth is given with --point); undecided "
                      "when rank(X) < d_0 (no model is determined) or when more than 400 subsets "
                      "would be needed")),
    conclusion_doc=("The truth is factored (standard factorization; balanced when every width is 1 "
                    "and the H-th root is rational) and classified exactly: a descent curve with a "
                    "negative one-sided derivative certifies it is not a local minimum."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion,
    catalog=("ma_fattahi2022-l1-outlier-truth-not-local-minimum.json",))
