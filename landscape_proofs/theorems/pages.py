"""The documentation pages ``docs/theorems/<id>.md`` and ``docs/theorems/README.md``, generated
from the registry (nothing else is the source: ``tests/test_theorems_pages.py`` regenerates
every page and fails when a file differs).

    python -m landscape_proofs.theorems.pages [DIR]      # default: docs/theorems

Hand-written prose lives in the registry entries themselves (:class:`~.base.PageProse`:
extra sections after the assumptions, the conclusion test, the caveats, the catalog and at
the end) and, for the index, in :data:`INDEX_INTRO` / :data:`INDEX_BODY` below.
"""
from __future__ import annotations

import sys
from pathlib import Path

from landscape_proofs.theorems.base import Theorem

DEFAULT_HEADLINE = "does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2"

SCOPE_SENTENCE = ("`holds-on-instance` is evidence on the critical points found and classified, "
                  "not a proof for every critical point (unless the scope line says the "
                  "enumeration was exhaustive); `proved-on-instance` means a complete census "
                  "(every real critical point, kernel-checked) backs the conclusion; "
                  "`fails-on-instance` always comes with a certificate the checker accepted.")


def _block(text: str) -> str:
    """Extra prose: verbatim, followed by one blank line (nothing when empty)."""
    return text.strip("\n") + "\n\n" if text.strip() else ""


def reading(t: Theorem) -> str:
    if t.page.reading:
        return t.page.reading
    return "reconstructed (see Caveats)" if t.reconstructed else "quoted in substance; conventions translated"


WHERE_HEADING = "## Where the paper states it, and how the check implements it"


def where_stated(t: Theorem) -> str:
    """The paper's statement by reference (theorem/equation number) and how it is checked."""
    if not t.paper_reference:
        return ""
    ref = t.paper_reference if t.paper_reference.endswith(".") else t.paper_reference + "."
    return (f"{WHERE_HEADING}\n\n{ref}\n\n"
            "The check implements it in two parts: every hypothesis is one exact assumption "
            "check in the table below (its numbers are reported), and the conclusion is "
            "tested on the instance as the section \"Conclusion test\" says, with "
            "certificates the trusted checker re-verifies.\n\n")


def theorem_page(t: Theorem) -> str:
    """The Markdown page of one registered theorem."""
    p = t.page
    rows = "\n".join(f"| `{name}` | {how} |" for name, how in t.assumptions_doc)
    if t.catalog:
        catalog = "\n".join(f"- [`{c}`](../../counterexamples/{c})" for c in t.catalog)
    else:
        catalog = "None for this entry (see [the catalog](../../counterexamples/README.md))."
    headline = p.headline_example or DEFAULT_HEADLINE
    return (
        f"# `{t.id}`: {t.title}\n\n"
        f"**Source:** {t.citation} ({t.source})\n\n"
        f"**Reading:** {reading(t)}\n\n"
        f"## Statement (our words)\n\n{t.statement}\n\n"
        f"{where_stated(t)}"
        "## Assumptions and how each is checked\n\n"
        "| assumption | how it is checked on the instance |\n| --- | --- |\n"
        f"{rows}\n\n"
        "Each check reports its numbers; the first failing one is the headline, e.g. "
        f"`{headline}`.  A fact a custom loss only *declares* (convex, differentiable) is never "
        "taken as proven: the assumption is undecided (`holds: null`, \"declared, not proven\") "
        "and the theorem does not apply.\n\n"
        f"{_block(p.after_assumptions)}"
        f"## Conclusion test\n\n{t.conclusion_doc}\n\n{SCOPE_SENTENCE}\n\n"
        f"{_block(p.after_conclusion)}"
        f"## Caveats\n\n{t.caveat}\n\n"
        f"{_block(p.after_caveats)}"
        f"## Catalogued counterexamples\n\n{catalog}\n\n"
        f"{_block(p.after_catalog)}"
        "## Try it\n\n```\n"
        f"landscape explain {t.id}\n"
        f"landscape check {t.id} PROBLEM.json [--point POINT.json] [--json]\n"
        "```\n"
        + (p.after_try.strip("\n") + "\n" if p.after_try.strip() else ""))


INDEX_INTRO = """\
# The theorem registry

`landscape_proofs/theorems/` holds one module per source paper; the registry
(`theorems/registry.py`) discovers them.  Each registered theorem is frozen data
(`theorems/base.py`): id, title, citation, source, the statement in our words, whether our
reading is **reconstructed** (and a caveat saying where it may differ from the paper), the
assumptions with how each is checked, and two functions: exact assumption checks that report
their numbers, and a conclusion test on the instance.  These pages are generated from the
registry (`python -m landscape_proofs.theorems.pages`); edit the registry entries, not the pages.

```
landscape theorems [--json]                               # id, title, source
landscape explain ID [--json]                             # statement, source, checks, caveats
landscape check ID PROBLEM [--point POINT] [--json]       # assumptions + conclusion on an instance
```
"""


INDEX_BODY = """\
## What `landscape check` answers

JSON of `landscape check ... --json` (certificates: docs/certificates.md):
`{"theorem", "applies", "assumptions": [{"name", "holds", "detail"}],
"conclusion": {"status", "evidence", "certificates"}}` plus a one-line `"headline"`.

- **Assumptions.**  `holds` is `true`, `false` or `null` (undecided).  Ranks are exact over Q,
  distinct eigenvalues of `Sigma = Y X^T (X X^T)^{-1} X Y^T` are decided by the discriminant of
  its characteristic polynomial, loss facts separate *proven* from *declared*: a custom
  loss's declared `convex` or `differentiable` is never a proof, so an assumption that would
  rest on it is `null` with "declared, not proven" in its detail (and
  `"relies_on_declaration": true`), while what the tool decides itself wins over the
  declaration (a polynomial custom loss is proven convex or not where
  `landscape_proofs/losses/convexity.py` decides it, e.g. "proven not convex: the Hessian at
  r_0_0 = 5 has a negative eigenvalue").  `applies` is true only when every assumption is
  proven to hold.  The headline names the smallest failing part with its numbers:
  `does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2`.
- **Conclusion.**  `holds-on-instance`: every critical point found and classified is
  consistent with the conclusion -- evidence on those points, *not a proof for every critical
  point*, unless `evidence.scope` says the enumeration was exhaustive (Baldi-Hornik with a
  rational spectrum, over critical products).  `proved-on-instance`: the conclusion is a
  statement about every critical point, and a complete census (`landscape census`, every real
  critical point certified by the kernel; small instances with weight decay) was checked
  against it; the census certificate is attached.  A census that finds a contradicting point
  gives `fails-on-instance` with the census certificate.  `fails-on-instance`: a certificate the trusted
  checker accepted contradicts the conclusion (listed first).  `not-applicable`: an
  assumption fails or is not proven (undecided, e.g. only declared); the conclusion is still
  tested and `evidence.summary` says what was found ("tested anyway, the conclusion FAILS here" means the failed assumption is needed on this
  instance).  `inconclusive`: nothing was decided.  `evidence`: a float experiment's
  observation (`ma_fattahi2022_positive`), never a proof nor a counterexample, no certificate.
- **Search.**  `"search"` says how much the conclusion test's float descent was allowed and
  used: `{"budget", "parameters", "descent_starts_per_scale", "descent_scales",
  "descent_runs_at_most", "descent_steps_per_run", "candidates_classified_at_most",
  "points_reported"}`.  Without `--budget` the historical 6 starts per scale (300 steps) run
  whatever the instance; `--budget N` gives N starts per scale for every 10 parameters (at
  most 5,000), `300 + 10 P` steps per run for P parameters, and `max(10, N)` candidates
  classified exactly (`theorems/runner.py`, `scaled_budget`).
- **Exit status.**  1 only when every assumption holds and the conclusion fails (a
  counterexample to the theorem as stated); 2 for unusable input, including an unknown id
  (one line listing the known ids); 0 otherwise.

## How critical points are found (`produce/candidates.py`, `theorems/common.py`)

1. **Closed form** (square loss, `X` of full row rank): the critical products are
   `P Y X^T (X X^T)^{-1}`, `P` the projector onto an invariant subspace of `Sigma`.  The kernels
   `ker f(Sigma)` of the irreducible factors `f` of its characteristic polynomial over Q are
   rational, so every union of them gives an *exact* critical product even with irrational
   eigenvalues.  Each product is factored through the layers with minimal middle ranks, and
   (for depth >= 3) with full-rank middle layers, which gives both non-strict and strict saddles.
   For the power and l1 losses (no weight decay): the **exact fit** `R = Y X^T (X X^T)^{-1}` when
   `R X = Y` exactly and `rank R` fits through the widths (value 0, a global minimum that
   descent approaches only slowly for the power loss).
2. **The origin** (critical for every depth >= 2).
3. **Float descent** (`numeric/descent.py`): limits are rounded -- their products with small
   denominators (then factored exactly), and their raw weights.  A rounded point that is not
   exactly critical is reported as such and carries no weight.
4. `--point`: a point of interest (for Ma & Fattahi, the ground truth).
5. **Enclosures of irrational critical points** (`enclose_descent_limits`; in the conclusion
   tests of Laurent & von Brecht, Zhang, Nouiehed & Razaviyayn two-layer and Burer-Monteiro): up to
   `CheckBudget.max_enclosures` (3) descent limits that were not exactly critical are refined by
   Newton's method to 60 digits and certified by `classify_refined` (docs/enclosures.md): snapped
   to an exact critical point, or enclosed in a box that the checker verifies in ball
   arithmetic.  Such a point is listed as `..., refined and enclosed (value in [lo, hi])`, with
   no exact value and no product rank (the theorems whose rules need the exact point or its
   rank -- Lu & Kawaguchi, Kawaguchi, Yun-Sra-Jadbabaie, Achour -- do not use this step; Zhang
   leaves an enclosed spurious minimum undecided, its rank not being certified).  Examples:
   Burer-Monteiro with `Y = diag(3, -1)`, `k = 2`: the global minima `U U^T = diag(3, 0)` are all
   irrational (3 is not a sum of two rational squares); the enclosure certifies one
   (`psd-cone-optimality`).  Zhang on towers `ab + cd` with the power loss `p = 4`, `x = (1, 2)`,
   `y = (1, 3)`: the minimum `ab + cd = (1 + 3 s) / (1 + 2 s)`, `s = 2^(1/3)`, is enclosed and
   certified (`convex-stationary` from a full-rank product Jacobian).

Every candidate is classified by `classify.classify` (or `classify_refined` in step 5); only
certificates the checker accepted are attached.

## The direct test of square-loss critical points

`theorems/direct.py`, `decide_square_critical_point(problem, point)`: global minimum / strict
saddle / non-strict saddle from ranks of partial products and the data, without search, with a
checker-verified certificate for global minima and strict saddles.  Derivation, what is proven
and what is reconstructed: [achour2021.md](achour2021.md).  Cross-checked against exact Hessian
inertia and `classify` in `tests/test_direct.py`.

## Counterexample catalog

[`counterexamples/`](../../counterexamples/README.md): one verified certificate per necessity
claim, with provenance; `tests/test_catalog.py` re-verifies every file with `landscape verify`.
The entry for a non-convex loss without bottleneck (a spurious minimum where `mu` is not open,
second order blind) is certified by a hand-derived Gram identity (docs/certificates.md).

## Speed

`benchmarks/bench_check.py`: `landscape check lu_kawaguchi2017` on widths `[3, 3, 3, 3]` with
`n = 5` samples, the whole command in a fresh process, default budget (`CheckBudget()`: 6
descent starts per scale, 300 steps, at most 10 critical points classified).  Target: under 30 s.

| instance | seconds |
| --- | --- |
| random integer data (seeds 0, 2, 4; irreducible cubic: 2 critical products) | 0.67, 0.63, 0.63 |
| `X = [I_3 0]`, `Y = [diag(y) Z]` (seeds 1, 3, 5; rational spectrum: 8 products, padded too) | 0.67, 0.66, 0.70 |

Measured on the development machine (2 cores, Python 3.11.7, python-flint 0.9.0): worst
0.70 s (an earlier run: 0.90 s; a re-run of seeds 0-3 after the openness, enclosure and search
work for the other families: 1.07, 0.68, 0.63, 0.61 s, the first with cold file caches), well over
an order of magnitude under the target; most of it is interpreter start-up and imports.
"""


def index_page(theorems) -> str:
    rows = "\n".join(f"| `{t.id}` | {t.page.short_citation or t.source} | [{t.id}.md]({t.id}.md) |"
                     for t in theorems)
    return (INDEX_INTRO + "\n| id | paper | page |\n| --- | --- | --- |\n" + rows + "\n\n"
            + INDEX_BODY)


def all_pages(theorems=None) -> dict[str, str]:
    """{file name: text} for every page of the registry (and the index README.md)."""
    if theorems is None:
        from landscape_proofs.theorems.registry import THEOREMS as theorems
    out = {f"{t.id}.md": theorem_page(t) for t in theorems}
    out["README.md"] = index_page(theorems)
    return out


def write_pages(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_pages().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    directory = Path(argv[0]) if argv else Path("docs/theorems")
    for path in write_pages(directory):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
