"""Ma & Fattahi 2022, the *positive* result, as an experiment on the instance (evidence only).

arXiv:2207.07612 / NeurIPS 2022, abstract: "for any N-layer model with N >= 2, a simple
sub-gradient method becomes oblivious to such 'problematic' solutions; instead, it converges
to a balanced solution that is not only close to the ground truth but also enjoys a flat local
landscape, thereby eschewing the need for 'early stopping'".  A statement about an algorithm's
trajectory on random instances cannot be certified on one instance by this tool; the entry
*runs* the sub-gradient method of :mod:`landscape_proofs.search.experiment` on the problem's
data (the N-layer diagonal parameterization of the NeurIPS version, N = the problem's number
of weight matrices, from a small balanced start) and at depth 1, and reports what it observed
with ``status: "evidence"``: float numbers, no certificate, never ``holds`` or ``fails``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from landscape_proofs.families.exact_view import exact_weights
from landscape_proofs.produce.candidates import CheckBudget, product
from landscape_proofs.search.experiment import MaFattahiSetting, run_on_data
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import (AssumptionCheck, ConclusionResult, ConclusionStatus,
                                            PageProse, Theorem)
from landscape_proofs.theorems.judging import not_applicable
from landscape_proofs.theorems.ma_fattahi2022 import majority_model, truth_check

ID = "ma_fattahi2022_positive"
SCOPE = ("float evidence: one seeded run of the sub-gradient method on this instance's data; "
         "not a proof, not a certificate, and not a test that could refute the theorem")
ITERATIONS_PER_STEP = 10     # the run has budget.descent_steps * 10 iterations (3000 by default)
MAX_ITERATIONS = 100_000     # size guard (check --budget grows descent_steps with the instance)


def check_assumptions(problem, point=None):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    loss = facts.l1_loss(problem)
    out += [loss, facts.depth_at_least(problem, 2), facts.no_weight_decay(problem),
            AssumptionCheck("d_H = 1 (regression: one output)", problem.widths[-1] == 1,
                            f"d_H = {problem.widths[-1]}")]
    if loss.holds:
        out.append(truth_check(problem, point))
    return out


def _truth(problem, point):
    if point is not None:
        return product(exact_weights(point))
    R, _, _ = majority_model(problem)
    return R


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear" or problem.Y is None \
            or problem.widths[-1] != 1:
        return not_applicable("needs a deep-linear regression problem (one output, targets Y)")
    R = _truth(problem, point)
    if R is None:
        return not_applicable("no true model: none given (--point) and no strict-majority exact fit")
    X = np.array([[float(v) for v in row] for row in problem.X]).T     # n x d
    y = np.array([float(v) for v in problem.Y[0]])
    theta_star = np.array([float(R[0, j]) for j in range(R.ncols())])
    H = len(problem.widths) - 1
    setting = replace(MaFattahiSetting(), iterations=min(MAX_ITERATIONS, budget.descent_steps * ITERATIONS_PER_STEP),
                      seed=budget.seed).validated()
    deep = run_on_data(setting, X, y, theta_star, H, budget.seed)
    flat = run_on_data(setting, X, y, theta_star, 1, budget.seed)
    nearer = deep["final_error"] < flat["final_error"]
    no_early_stop = deep["final_error"] <= 2 * deep["min_error"] + 1e-12
    summary = (f"observed (float evidence, not a proof): at depth N = {H} the sub-gradient method "
               f"ended at relative error {deep['final_error']:.3g} from the truth (best along the "
               f"path {deep['min_error']:.3g}; depth 1 ended at {flat['final_error']:.3g}); "
               f"depth {H} {'ended nearer the truth than' if nearer else 'did NOT end nearer the truth than'} "
               f"depth 1; {'no' if no_early_stop else 'an'} early stop would have helped by more "
               f"than a factor 2; flatness (mean loss increase at radius "
               f"{setting.flatness_radius}) {deep['flatness']:.3g} at depth {H} vs "
               f"{flat['flatness']:.3g} at depth 1; max imbalance along the run "
               f"{max(deep['balancedness']):.2g}")
    notes = (f"setting: {setting.iterations} iterations, step {setting.step_size} decaying "
             f"geometrically to {setting.step_size * setting.step_decay:.3g}, balanced start with "
             f"end-to-end model {setting.init_scale} * 1, diagonal parameterization theta = "
             f"w_1 * ... * w_N (the NeurIPS version's); the problem's chain is only used for its "
             f"data X, y and its depth",
             f"end point at depth {H}: theta = {[round(v, 6) for v in deep['theta']]}",
             f"truth: theta* = {[str(R[0, j]) for j in range(R.ncols())]}")
    evidence = ConclusionResult(ConclusionStatus.EVIDENCE, summary, (), (), SCOPE, notes)
    return evidence


PAGE = PageProse(
    reading="reconstructed from the abstract (the full text was not available); evidence only: "
            "the abstract's positive claim, run as an experiment on the instance",
    short_citation="Ma & Fattahi, NeurIPS 2022 (positive result; evidence, not proof)",
    after_conclusion="""\
**Status `evidence`.**  This entry never answers `holds-on-instance` or `fails-on-instance`:
a claim about where an algorithm goes on random instances is not decided by one float run.
The conclusion is `{"status": "evidence", "evidence": {"summary": ..., "notes": [...]}}` with
no certificate, and `landscape check` exits 0 whatever was observed.  The full experiment
(many seeds, outlier fractions and depths, figures) is `landscape experiment ma-fattahi`
([docs/experiments/ma-fattahi.md](../experiments/ma-fattahi.md)).
""",
    after_try="""\
## Two instances

*More samples than unknowns* (`n = 5 > d = 2`): samples `x_1 = (1, 0)`, `x_2 = (0, 1)`,
`x_3 = (1, 1)`, `x_4 = (2, 1)`, `x_5 = (1, 2)`, targets `y = (1, 0, 1, 2, 7)` (the truth
`theta* = (1, 0)` fits the first four; the fifth is corrupted by `+6`), widths `2-1-1`, the l1
loss.  The truth is recovered as the model fitting a strict majority.  Here plain l1
regression already recovers the truth (depth 1 ends at relative error 0.0002) and depth 2
ends at 0.011: the "blessing of depth" has nothing to repair on such an instance.

*Fewer samples than unknowns* (the over-parameterized regime of the experiment): a draw of
`families/robust_regression.py` with `d = 40`, `n = 30`, a 3-sparse truth and 3 outliers,
widths `40-1-1` with the truth given as the point: depth 1 ends at relative error 6.58 (it
fits the outliers), depth 2 at 0.0061 and depth 3 at 0.014 (seed 0;
tests/test_registry_fidelity.py runs seeds 0-2 and asserts depth 2 ends nearer).
""",
)

THEOREM = Theorem(
    paper_reference=(
        "The positive result as the abstracts of arXiv:2207.07612 and of the NeurIPS 2022 "
        "version announce it (depth flattens the landscape around the true solution; for "
        "N >= 2 a sub-gradient method from small balanced initialization converges to a "
        "balanced solution close to the truth, per our summary); the theorem number and its "
        "constants were not checked: this entry is evidence, never a proof"),
    id=ID,
    page=PAGE,
    title="Blessing of depth in linear regression (positive result: sub-gradient method from "
          "small balanced initialization), as evidence",
    citation="J. Ma and S. Fattahi. Blessing of depth in linear regression: deeper models have "
             "flatter landscape around the true solution. NeurIPS 2022 (arXiv:2207.07612), "
             "the positive result of the abstract.",
    source="arXiv:2207.07612",
    statement=(
        "For an N-layer (diagonal) linear model with N >= 2, the l1 loss and a fraction of "
        "grossly corrupted measurements, a sub-gradient method from a small balanced "
        "initialization converges to a balanced solution close to the true model, with a flat "
        "landscape around it, so that no early stopping is needed (abstract).  Run here as an "
        "experiment on the instance: evidence, never a proof."),
    reconstructed=True,
    caveat=(
        "Only the abstracts of the paper were available to us: the theorem's constants (the "
        "initialization scale, the step sizes, the sample size and outlier fraction it "
        "tolerates, the error bound) are not known here, so the run uses the experiment's "
        "defaults (docs/experiments/ma-fattahi.md) and a run that ends far from the truth does "
        "not contradict the theorem (its conditions may not hold).  The run uses the diagonal "
        "parameterization theta = w_1 * ... * w_N on the problem's data, not the problem's "
        "chain of matrices."),
    assumptions_doc=(("family = deep-linear", "the problem file's family (for its data X, Y)"),
                     ("loss = l1", "the loss specification"),
                     ("H >= 2 weight matrices", "the widths list: N = H >= 2"),
                     ("weight_decay = 0", "exact comparison with 0"),
                     ("d_H = 1", "one output: linear regression"),
                     ("a true model", "given with --point, or the model fitting a strict "
                      "majority of the samples exactly (as in ma_fattahi2022)")),
    conclusion_doc=(
        "The sub-gradient method of `landscape experiment ma-fattahi` (step 0.3 decaying "
        "geometrically by 10^-3 over the run, balanced start with end-to-end model 10^-3 * 1) "
        "is run on the instance's data at depth N = H and at depth 1, for `10 x` the check "
        "budget's descent steps (3000 iterations by default); the entry reports the final and "
        "best relative errors, the balancedness, the flatness at the end point, and whether "
        "depth N ended nearer the truth than depth 1."),
    check_assumptions=check_assumptions, test_conclusion=test_conclusion)
