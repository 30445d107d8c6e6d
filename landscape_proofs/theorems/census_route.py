"""Deciding a landscape statement on a whole instance with a census (``landscape census``).

A theorem whose conclusion is a statement about *every* critical point ("every local
minimum is global"; "every critical point is a global minimum or a saddle") declares it in
``Theorem.landscape_statement``.  When the instance is within the census's scope and small,
``check`` runs a census.  A complete census lists every real critical point with a kind
the kernel re-derives (``kernel/census.py``), so:

* a point that contradicts the statement (a spurious local minimum; a local maximum for
  "global or saddle") makes the conclusion ``fails-on-instance``, with the census certificate;
* no contradicting and no undecided point makes it ``proved-on-instance``: the statement is
  proved for this instance, not sampled, and the census certificate is the proof.

A census that does not finish (budget, timeout, out of scope) changes nothing: the sampled
answer stands.  The census certificate is checked by the kernel before it is used.
"""
from __future__ import annotations

from landscape_proofs.theorems.base import (ConclusionResult, ConclusionStatus, PointReport,
                                            PointVerdict)

#: the statements a census can decide: name -> (the statement, the kinds that contradict it)
STATEMENTS = {
    "local-minima-global": ("every local minimum is global", ("spurious-local-minimum",)),
    "saddles-or-global": ("every critical point is a global minimum or a saddle",
                          ("spurious-local-minimum", "local-maximum")),
}
#: a census is tried on instances with at most this many parameters (it grows fast)
MAX_PARAMETERS = 6
SCOPE_CENSUS = ("proof on this instance: a complete census (every real critical point, "
                "certified by the kernel) was checked against the statement")


def census_conclusion(statement: str, problem, timeout: float = 30.0,
                      source: str | None = None, notes: list | None = None) -> ConclusionResult | None:
    """The conclusion decided by a complete census, or None (out of scope or unfinished).

    ``source``: the checked theorem's source (``Theorem.source``); a product-space census that
    relies on a lemma from that same source, or on a lemma asserting the statement itself,
    is not used (:func:`circular`); why is appended to ``notes`` when given."""
    if statement not in STATEMENTS:
        raise ValueError(f"unknown landscape statement {statement!r}")
    from landscape_proofs.families.registry import problem_to_dict
    from landscape_proofs.kernel import check_certificate
    from landscape_proofs.kernel.errors import InputError
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.search.census import census, scope_reason

    try:
        data = problem_to_dict(problem)
        kp = read_problem(data)
    except (InputError, AttributeError, TypeError):
        return None
    if kp.weight_decay == 0 and kp.decay_entries is None:     # no decay: the product space
        return product_conclusion(statement, data, source, notes)
    if kp.n_params > MAX_PARAMETERS or scope_reason(kp) is not None:
        return None
    rep = census(data, timeout=timeout, algebra_timeout=0)
    if not rep.complete or rep.certificate is None:
        return None
    verdict = check_certificate(rep.certificate)
    if not verdict.holds:         # never use an unchecked census (a producer bug)
        return None
    what, bad = STATEMENTS[statement]
    reports = []
    for i, p in enumerate(rep.points):
        v = p["value"]
        shown = v if isinstance(v, str) else f"in [{float(_q(v['lo'])):.6g}, {float(_q(v['hi'])):.6g}]"
        verdict_i = PointVerdict.CONTRADICTS if p["kind"] in bad else (
            PointVerdict.UNDECIDED if p["kind"] == "local-minimum" else PointVerdict.CONSISTENT)
        reports.append(PointReport(f"census point {i + 1}", p["kind"], None, verdict_i,
                                   f"Hessian index {p['index']}, value {shown}"))
    contra = [r for r in reports if r.verdict is PointVerdict.CONTRADICTS]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(rep.kinds.items()))
    if contra:
        return ConclusionResult(
            ConclusionStatus.FAILS_ON_INSTANCE,
            f"{what} fails on this instance: a complete census of its {rep.real_count} real "
            f"critical points ({kinds}) has a certified {contra[0].kind}",
            tuple(reports), (rep.certificate,), SCOPE_CENSUS)
    if any(r.verdict is PointVerdict.UNDECIDED for r in reports):
        return None               # tied values: the census could not separate them
    return ConclusionResult(
        ConclusionStatus.PROVED_ON_INSTANCE,
        f"{what}: proved on this instance by a complete census of its {rep.real_count} real "
        f"critical points ({kinds})",
        tuple(reports), (rep.certificate,), SCOPE_CENSUS)


#: the lemmas a product census may cite (kernel/product.py's ``relies_on``): where each comes
#: from, and which landscape statements it asserts on its own.  A lemma not listed here is
#: never accepted as a support of ``proved-on-instance``.
LEMMAS = {
    # with "every local minimum of the rank-constrained problem is global" (X of full row rank)
    # the theorem gives "every local minimum is global" on every instance in its scope: citing
    # it for that statement would prove nothing the citation does not already say
    "Lu & Kawaguchi 2017 (arXiv:1702.08580), Theorem 2.2": ("arXiv:1702.08580",
                                                            ("local-minima-global",)),
}
#: the product census is cheap (subsets of at most 8 eigen-directions); the same guard as
#: the kernel's parameter limit keeps exact work bounded
MAX_PRODUCT_PARAMETERS = 1024
SCOPE_PRODUCT = ("proof on this instance: a complete product-space census (every critical "
                 "product W_H...W_1, each fibre of critical points classified, certified by the "
                 "kernel) was checked against the statement")


#: what each landscape statement implies: citing a lemma that asserts an implied statement is
#: circular too ("every critical point is a global minimum or a saddle" contains "every local
#: minimum is global")
IMPLIES = {"saddles-or-global": ("local-minima-global",)}


def circular(relies_on, statement: str, source: str | None) -> str | None:
    """Why using these lemmas to prove ``statement`` for the theorem from ``source`` would be
    circular (or unsupported), or None.  The rule (docs/census.md): a cited lemma must come
    from another source than the theorem checked, must not itself assert the statement, and
    must be one this module knows."""
    for lemma in relies_on:
        key = next((k for k in LEMMAS if lemma.startswith(k)), None)
        if key is None:
            return f"the census relies on a lemma this route does not know: {lemma}"
        lemma_source, asserts = LEMMAS[key]
        if source is not None and lemma_source == source:
            return f"the census relies on {key}, a result of the theorem's own source"
        if statement in asserts:
            return f"the census relies on {key}, which asserts the statement itself"
        implied = next((s for s in IMPLIES.get(statement, ()) if s in asserts), None)
        if implied is not None:
            return f"the census relies on {key}, which asserts {implied}, part of the statement"
    return None


def product_conclusion(statement: str, data: dict, source: str | None = None,
                       notes: list | None = None):
    """The statement decided on an unregularized instance by a complete product-space census
    (search/product_census.py), or None.  Fibre kinds: ``global-minimum``, ``strict-saddle``
    and ``saddle`` (every critical point of the fibre is a saddle); none contradicts either
    statement, and the square loss with X X^T invertible has no local maximum at all
    (docs/census.md), so a complete, kernel-checked, non-circular census proves both."""
    from landscape_proofs.kernel import check_certificate
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.kernel.product import scope
    from landscape_proofs.search.product_census import product_census

    kp = read_problem(data)
    if kp.n_params > MAX_PRODUCT_PARAMETERS or scope(kp) is not None:
        return None
    rep = product_census(data)
    if not rep.complete or rep.certificate is None:
        return None
    verdict = check_certificate(rep.certificate)
    why = circular(verdict.relies_on, statement, source) if verdict.holds else None
    if why and notes is not None:
        notes.append(f"a complete product-space census exists but is not used as a proof: {why}")
    if not verdict.holds or why:
        return None
    what, bad = STATEMENTS[statement]
    if any(p["kind"] in bad for p in rep.points):      # cannot happen (no such fibre kind)
        return None
    reports = tuple(PointReport(
        f"critical product {p['subset']}", p["kind"], None, PointVerdict.CONSISTENT,
        f"rank {p['rank']}; every critical point with this product is "
        f"{'a global minimum' if p['kind'] == 'global-minimum' else 'a strict saddle' if p['kind'] == 'strict-saddle' else 'a saddle'}")
        for p in rep.points)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(rep.kinds.items()))
    relies = f"; relies on {'; '.join(verdict.relies_on)}" if verdict.relies_on else ""
    return ConclusionResult(
        ConclusionStatus.PROVED_ON_INSTANCE,
        f"{what}: proved on this instance by a complete product-space census of its "
        f"{rep.real_count} critical products ({kinds}){relies}",
        reports, (rep.certificate,), SCOPE_PRODUCT + relies)


def _q(text):
    from fractions import Fraction
    return Fraction(text)
