"""The data model of the theorem registry: theorems, assumption checks, conclusion results.

A :class:`Theorem` is frozen data: who proved what (id, title, citation, source), the
statement in our own words, whether our reading is *reconstructed* rather than quoted (with
a caveat saying where it may differ), and two functions:

* ``check_assumptions(problem) -> tuple[AssumptionCheck, ...]``: exact checks that report
  their numbers ("rank(X) = 1, need 2"); ``holds`` is ``True`` (proven), ``False`` (proven
  to fail) or ``None`` (undecided; always so when the answer would rest on a fact the
  problem file only *declares*);
* ``test_conclusion(problem, budget) -> ConclusionResult``: the conclusion tested on the
  instance, by finding critical points, classifying them exactly and collecting the
  certificates the checker accepted.

``holds-on-instance`` is *evidence on the points found*, not a proof that the conclusion
holds at every critical point, unless the evidence says the argument was exhaustive.
``fails-on-instance`` is only ever reported with a certificate that the trusted checker
accepted and that contradicts the conclusion.

>>> AssumptionCheck("rank(X) = d_0", False, "rank(X) = 1, need 2").failure_message()
'does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Callable

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import format_exact


class ConclusionStatus(str, Enum):
    """What testing a theorem's conclusion on one instance established."""

    HOLDS_ON_INSTANCE = "holds-on-instance"
    # a complete census (every real critical point, kernel-checked) backs the conclusion:
    # proved for this instance, not sampled (theorems/census_route.py)
    PROVED_ON_INSTANCE = "proved-on-instance"
    FAILS_ON_INSTANCE = "fails-on-instance"
    NOT_APPLICABLE = "not-applicable"
    INCONCLUSIVE = "inconclusive"
    # a float experiment's observation (Ma & Fattahi's positive result): never a proof, never
    # a counterexample; no certificate is attached
    EVIDENCE = "evidence"

    def __str__(self) -> str:
        return self.value


DECLARED = "declared, not proven"


@dataclass(frozen=True)
class AssumptionCheck:
    """One assumption of a theorem, checked exactly on an instance.

    Parameters
    ----------
    name : the assumption as a short formula, e.g. ``"rank(X) = d_0"``.
    holds : ``True`` (proven on the instance), ``False`` (proven to fail) or ``None``
        (undecided; the detail says why).
    detail : the numbers behind the answer, e.g. ``"rank(X) = 1, need 2"``.
    declared : the answer rests on a fact the user *declared* (a custom loss's
        ``convex``/``differentiable``), not on a proof.  A declaration is never a proof: such
        a check is always undecided (``holds`` is forced to None and the detail says
        "declared, not proven"), so a theorem never applies because of a declaration.

    >>> AssumptionCheck("l convex", True, "declared convex", declared=True).holds is None
    True
    """

    name: str
    holds: bool | None
    detail: str
    declared: bool = False

    def __post_init__(self):
        if self.holds not in (True, False, None):
            raise InputError("expected True, False or None", field="holds", got=self.holds)
        if self.declared:
            object.__setattr__(self, "holds", None)
            if DECLARED not in self.detail:
                object.__setattr__(self, "detail", f"{self.detail} ({DECLARED})")

    def failure_message(self) -> str:
        """The one-line explanation when this assumption fails (or is undecided)."""
        if self.holds is False:
            return f"does not apply: assumption {self.name} fails: {self.detail}"
        if self.holds is None:
            return f"not known to apply: assumption {self.name} is undecided: {self.detail}"
        return f"assumption {self.name} holds: {self.detail}"

    def to_json(self) -> dict:
        out = {"name": self.name, "holds": self.holds, "detail": self.detail}
        if self.declared:
            out["relies_on_declaration"] = True
        return out


class PointVerdict(str, Enum):
    """How one classified point bears on a conclusion."""

    CONSISTENT = "consistent"
    CONTRADICTS = "contradicts"
    IRRELEVANT = "irrelevant"          # e.g. a candidate that turned out not to be critical
    UNDECIDED = "undecided"            # classification inconclusive

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PointReport:
    """One point the conclusion test looked at, with its exact classification."""

    label: str
    kind: str
    value: Fraction | None
    verdict: PointVerdict
    note: str = ""
    product_rank: int | None = None

    def to_json(self) -> dict:
        value = None if self.value is None else format_exact(self.value)
        out = {"label": self.label, "kind": self.kind, "value": value,
               "verdict": self.verdict.value}
        if self.product_rank is not None:
            out["product_rank"] = self.product_rank
        if self.note:
            out["note"] = self.note
        return out


SCOPE_POINTS_FOUND = ("evidence on the critical points found and classified on this instance, "
                      "not a proof for every critical point")


@dataclass(frozen=True)
class ConclusionResult:
    """The conclusion of a theorem tested on one instance.

    ``certificates`` are certificate JSON objects, each accepted by the trusted checker
    when the result was built.  For ``fails-on-instance`` the first one contradicts the
    conclusion.
    """

    status: ConclusionStatus
    summary: str
    points: tuple[PointReport, ...] = ()
    certificates: tuple[dict, ...] = ()
    scope: str = SCOPE_POINTS_FOUND
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "status": self.status.value,
            "evidence": {
                "summary": self.summary,
                "scope": self.scope,
                "points": [p.to_json() for p in self.points],
                "notes": list(self.notes),
            },
            "certificates": list(self.certificates),
        }


@dataclass(frozen=True)
class PageProse:
    """Hand-written prose of a theorem's docs page (``docs/theorems/<id>.md``, generated by
    :mod:`landscape_proofs.theorems.pages`), Markdown, each placed after the named section.

    ``reading`` replaces the default "Reading:" line; ``short_citation`` is the index's
    "paper" column; ``headline_example`` the example headline of the assumptions section.
    """

    reading: str = ""
    short_citation: str = ""
    headline_example: str = ""
    after_assumptions: str = ""
    after_conclusion: str = ""
    after_caveats: str = ""
    after_catalog: str = ""
    after_try: str = ""


@dataclass(frozen=True)
class Theorem:
    """A theorem from the literature, as data plus its two instance-level checks.

    Parameters
    ----------
    id : short stable id, e.g. ``"kawaguchi2016"``.
    title, citation, source : the paper (source: arXiv id or URL).
    statement : the statement in our own words, in this project's conventions (H is the
        number of weight matrices).
    reconstructed : True when our reading is a reconstruction, not a quotation.
    caveat : where our reading may differ from the paper's wording.
    assumptions_doc : (name, how it is checked) for each assumption.
    conclusion_doc : what the conclusion test does.
    check_assumptions, test_conclusion : the checks (see module docstring).
    catalog : file names in ``counterexamples/`` that show an assumption is needed.
    page : extra prose for the generated docs page (:class:`PageProse`).
    landscape_statement : the conclusion as a statement about every critical point
        (``"local-minima-global"``, ``"saddles-or-global"``), so that ``check`` can prove it
        on a small instance by a census; None when the conclusion is of another kind.
    paper_reference : where the paper states it (theorem, lemma or equation number, or
        "the abstract" with "not checked" when no number could be verified), for the page.
    """

    id: str
    title: str
    citation: str
    source: str
    statement: str
    reconstructed: bool
    caveat: str
    assumptions_doc: tuple[tuple[str, str], ...]
    conclusion_doc: str
    check_assumptions: Callable = field(repr=False, compare=False, default=None)
    test_conclusion: Callable = field(repr=False, compare=False, default=None)
    catalog: tuple[str, ...] = ()
    page: PageProse = field(default=PageProse(), compare=False, repr=False)
    # the conclusion as a statement about every critical point, which a census can decide
    # (a key of theorems/census_route.STATEMENTS), or None
    landscape_statement: str | None = None
    # where the paper states it, by number (docs page section "Where the paper states it")
    paper_reference: str = ""

    def __post_init__(self):
        if not self.id or any(c.isspace() for c in self.id):
            raise InputError("expected a non-empty id without spaces", field="id", got=self.id)
        if not callable(self.check_assumptions) or not callable(self.test_conclusion):
            raise InputError("expected callables", field="check_assumptions/test_conclusion",
                             got=self.id)

    def to_json(self) -> dict:
        """The listing entry (``landscape theorems --json``)."""
        return {"id": self.id, "title": self.title, "source": self.source,
                "citation": self.citation, "reconstructed": self.reconstructed}


@dataclass(frozen=True)
class TheoremCheck:
    """The answer of ``landscape check``: assumptions with their numbers, and the conclusion."""

    theorem: str
    assumptions: tuple[AssumptionCheck, ...]
    conclusion: ConclusionResult
    search: dict | None = None      # how much the conclusion test's search ran (``--budget``)

    @property
    def applies(self) -> bool:
        """Every assumption proven to hold on the instance (a declared one never is)."""
        return all(a.holds is True for a in self.assumptions)

    @property
    def counterexample(self) -> bool:
        """Assumptions hold and the conclusion fails: a counterexample to the statement."""
        return self.applies and self.conclusion.status is ConclusionStatus.FAILS_ON_INSTANCE

    def first_failure(self) -> AssumptionCheck | None:
        """The first assumption that fails, else the first undecided one, else None."""
        for a in self.assumptions:
            if a.holds is False:
                return a
        for a in self.assumptions:
            if a.holds is None:
                return a
        return None

    def headline(self) -> str:
        """One line: does it apply (or the smallest failing part), and the conclusion status."""
        bad = self.first_failure()
        if bad is not None:
            return bad.failure_message()
        return f"applies: all {len(self.assumptions)} assumptions hold; conclusion {self.conclusion.status.value}"

    def to_json(self) -> dict:
        return {"theorem": self.theorem, "applies": self.applies,
                "assumptions": [a.to_json() for a in self.assumptions],
                "conclusion": self.conclusion.to_json(),
                "headline": self.headline(),
                **({"search": self.search} if self.search is not None else {})}
