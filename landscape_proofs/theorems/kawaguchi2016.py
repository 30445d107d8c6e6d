"""Kawaguchi 2016, "Deep learning without poor local minima" (NeurIPS 2016), Theorem 2.3.

Kawaguchi counts hidden layers (H hidden layers = H + 1 weight matrices); this project
counts weight matrices, so his "H >= 2 hidden layers" is our H >= 3 and p, "the smallest
width of a hidden layer", is ``min(d_1, ..., d_{H-1})``.  His output layer is W_{H+1}, so the
rank condition of (iv), "rank(W_H ... W_2) = p" in his indices, is rank(W_{H-1} ... W_2) = p
here: the layers strictly between the first and the last (the identity when H = 2, so (iv)
says every saddle of a two-layer network is strict).  An earlier version of this entry used
rank(W_H ... W_2) in *our* indices, which includes the output layer and made (iv) apply to
fewer saddles than the paper's statement covers.
"""
from __future__ import annotations

from landscape_proofs.produce.kinds import Kind
from landscape_proofs.theorems import facts
from landscape_proofs.theorems.base import PageProse, PointVerdict, Theorem
from landscape_proofs.theorems.common import classified_points, rank_middle
from landscape_proofs.produce.candidates import CheckBudget, ClassifiedPoint
from landscape_proofs.theorems.judging import judge, rule_saddles_or_global

ID = "kawaguchi2016"


def check_assumptions(problem):
    out = [facts.family_is(problem, "deep-linear")]
    if out[0].holds is not True:
        return out
    return out + [
        facts.square_loss(problem),
        facts.no_weight_decay(problem),
        facts.depth_at_least(problem, 2),
        facts.rank_X_full_row(problem),
        facts.rank_YXt_full(problem),
        facts.output_at_most_input(problem),
        facts.sigma_distinct_eigenvalues(problem),
    ]


def _smallest_hidden(problem) -> int | None:
    hidden = facts.hidden_widths(problem)
    return min(hidden) if hidden else None


def test_conclusion(problem, budget: CheckBudget = CheckBudget(), point=None):
    if getattr(problem, "family", None) != "deep-linear":
        from landscape_proofs.theorems.judging import not_applicable
        return not_applicable("needs a deep-linear problem")
    pts = classified_points(problem, budget, point, padded=True)
    p = _smallest_hidden(problem)

    def rule(cp: ClassifiedPoint):
        verdict, note = rule_saddles_or_global(cp)
        if verdict is not PointVerdict.CONSISTENT or p is None:
            return verdict, note
        if cp.kind in (Kind.STRICT_SADDLE, Kind.NON_STRICT_SADDLE):
            rk = rank_middle(cp)
            if rk == p and cp.kind is Kind.NON_STRICT_SADDLE:
                return (PointVerdict.CONTRADICTS,
                        f"(iv): rank(W_{{H-1}}...W_2) = {rk} = p yet the Hessian has no negative eigenvalue")
            if rk == p:
                return PointVerdict.CONSISTENT, f"(iv): rank(W_{{H-1}}...W_2) = {rk} = p and the saddle is strict"
            return PointVerdict.CONSISTENT, (f"(iv) does not speak about it: rank(W_{{H-1}}...W_2) = {rk} "
                                             f"< p = {p}")
        return verdict, note

    notes = []
    strict = next((cp for cp in pts if cp.kind is Kind.STRICT_SADDLE), None)
    if strict is not None:
        notes.append(f"(i) non-convex and non-concave: certified by the strict-saddle certificate of "
                     f"{strict.candidate.label} (a direction of negative and one of positive curvature)")
    else:
        notes.append("(i) was not certified on the points found (no strict saddle among them)")
    nonstrict = [cp for cp in pts if cp.kind is Kind.NON_STRICT_SADDLE]
    if nonstrict:
        notes.append(f"{len(nonstrict)} non-strict saddle(s) found: each has rank(W_{{H-1}}...W_2) < p, "
                     "the situation (iv) leaves open")
    return judge(pts, rule, what="(ii) every local minimum is global, (iii) every other critical "
                 "point is a saddle, (iv) strict when rank(W_{H-1}...W_2) = p", notes=notes)


PAGE = PageProse(
    short_citation='Kawaguchi, NeurIPS 2016',
    after_try="""\
## Worked instance (tests/test_theorems.py)

`X = I_2`, `Y = diag(2, 1)`, widths `[2, 2, 2]`: `Sigma = diag(4, 1)`, discriminant of
`(x - 4)(x - 1)` is 9, so every assumption holds.  The four critical products keep `{}`, `{4}`,
`{1}`, `{4, 1}` (values 5/2, 1/2, 2, 0); the first three are strict saddles of a two-layer
network, the last the global minimum: `holds-on-instance`, and (i) is certified by the strict
saddle at the origin (Hessian with eigenvalues of both signs).  With widths `[2, 1, 2]` and
`X = [[1, 2, 0], [2, 4, 0]]` the check answers
`does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2`.

(iv) needs its rank condition: at depth 3 (`Y = diag(27, 1)`, `W_i = diag(3, 0)`,
`rank(W_2) = 1 < p = 2`) the saddle has a positive semidefinite Hessian; the catalog
certifies it, and the scalar chain `(abc - 1)^2` at the origin (zero Hessian, descent `-t^3`).

## The index of (iv)

Theorem 2.3 (iv) of the paper reads "if rank(W_H ... W_2) = p, the Hessian at any saddle point
has at least one (strictly) negative eigenvalue", in a notation where the network is
`W_{H+1} W_H ... W_1` (H hidden layers).  In this project's notation (H weight matrices) that
is `rank(W_{H-1} ... W_2) = p`, the product of the hidden-to-hidden layers.  On the same
instance, the factorization of `diag(27, 0)` with full-rank middle layers has `rank(W_2) = 2 = p`
but `rank(W_3 W_2) = 1`: (iv) covers it (and it is a strict saddle, as (iv) says), while the
earlier reading `rank(W_3 W_2) = p` of this entry left it out.  For two layers the product is
empty (the identity, rank `d_1 = p`): every saddle is strict, Kawaguchi's shallow case.  The
abstract says so in words: "there is no bad saddle point for the shallow networks (with three
layers)" (three layers of units = two weight matrices here).  The earlier index could not say
it: at the origin of a two-layer network `rank(W_2) = 0 < p`, so (iv) was reported as silent
there, though the paper covers that saddle (tests/test_registry_fidelity.py checks that the
entry now applies (iv) to it, and that it is strict).
""",
)

THEOREM = Theorem(
    paper_reference=(
        "Theorem 2.3 of the NeurIPS 2016 paper, statements (i)-(iv), for the square loss of a "
        "deep linear network under: X X^T and X Y^T of full rank, d_H <= d_0, and Sigma = Y X^T "
        "(X X^T)^{-1} X Y^T with distinct eigenvalues.  Nouiehed & Razaviyayn's ICLR 2018 "
        "submission (section 5) quotes the same theorem with the same assumptions."),
    landscape_statement="saddles-or-global",
    id=ID,
    page=PAGE,
    title="Deep learning without poor local minima",
    citation="K. Kawaguchi. Deep learning without poor local minima. NeurIPS 2016, Theorem 2.3.",
    source="arXiv:1605.07110",
    statement=(
        "For the square loss 1/2 ||W_H...W_1 X - Y||^2 with X X^T and X Y^T of full rank, "
        "d_H <= d_0 and Sigma = Y X^T (X X^T)^{-1} X Y^T with distinct eigenvalues, for any depth "
        "and widths: (i) the loss is non-convex and non-concave; (ii) every local minimum is "
        "global; (iii) every critical point that is not a global minimum is a saddle point; "
        "(iv) if rank(W_{H-1}...W_2) = p (the smallest hidden width), the Hessian at a saddle "
        "point has a negative eigenvalue, while for depth >= 3 there are saddles whose "
        "Hessian has none."),
    reconstructed=False,
    caveat=(
        "Kawaguchi counts hidden layers (H hidden layers = H + 1 matrices); here H counts "
        "weight matrices, so his (iv) condition rank(W_H...W_2) = p reads rank(W_{H-1}...W_2) "
        "= p here (the layers strictly between the first and the last; the identity for a "
        "two-layer network).  The paper states the theorem with the 1/2 factor and data "
        "conventions transposed relative to ours; rank conditions are unaffected.  (i) needs "
        "at least one hidden layer (H >= 2 here): a single layer is convex least squares."),
    assumptions_doc=(
        ("family = deep-linear", "the problem file's family"),
        ("loss = square", "the loss specification"),
        ("weight_decay = 0", "exact comparison with 0"),
        ("H >= 2 weight matrices", "the widths list"),
        ("rank(X) = d_0", "exact rank over Q (fraction-free elimination, FLINT)"),
        ("rank(X Y^T) = min(d_0, d_H)", "exact rank over Q"),
        ("d_H <= d_0", "the widths"),
        ("Sigma has distinct eigenvalues",
         "Sigma = Y X^T (X X^T)^{-1} X Y^T computed over Q; the discriminant of its characteristic "
         "polynomial (fmpq_poly) is nonzero"),
    ),
    conclusion_doc=(
        "Critical points are proposed in closed form (every union of the rational invariant "
        "subspaces of Sigma gives a critical product; each is factored through the layers twice: "
        "with minimal middle ranks and with full-rank middle layers), plus the origin and rounded "
        "limits of float descent.  Each is classified exactly.  A certified spurious local minimum "
        "contradicts (ii), a certified local maximum (iii), a certified non-strict saddle with "
        "rank(W_{H-1}...W_2) = p contradicts (iv); a strict-saddle certificate certifies (i)."),
    check_assumptions=check_assumptions,
    test_conclusion=test_conclusion,
    catalog=("kawaguchi2016-iv-rank-condition-nonstrict-saddle.json",
             "kawaguchi2016-iv-scalar-depth3-nonstrict-saddle-at-origin.json"),
)
