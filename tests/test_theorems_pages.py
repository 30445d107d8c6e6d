"""The registry is discovered, its docs pages are generated from it and cannot drift, and
nothing a user sees names files outside the project."""
import json
import pkgutil
from pathlib import Path

import pytest

import landscape_proofs.theorems as package
from landscape_proofs.cli.main import main
from landscape_proofs.theorems import registry
from landscape_proofs.theorems.pages import all_pages, theorem_page
from landscape_proofs.theorems.registry import THEOREMS, declared_theorems, known_ids

DOCS = Path(__file__).resolve().parents[1] / "docs" / "theorems"
OUTSIDE = ("THEOREMS.md", "FORMATS.md", "STYLE.md")
IDS = [t.id for t in THEOREMS]


def test_registration_is_automatic_and_keeps_the_order():
    assert known_ids() == (
        "kawaguchi2016", "lu_kawaguchi2017", "laurent_vonbrecht2018", "zhang2019",
        "nouiehed_razaviyayn2018-two-layer", "nouiehed_razaviyayn2018-multilayer",
        "nouiehed_razaviyayn2018-burer-monteiro", "ma_fattahi2022", "baldi_hornik1989",
        "yun_sra_jadbabaie2018", "achour2021", "burer_monteiro2005-rank-deficient",
        "ma_fattahi2022_positive")
    assert registry.discover() == THEOREMS  # deterministic
    support = {"base", "common", "facts", "judging", "report", "runner", "separable", "direct",
               "symmetric_points", "multi_tower_points", "ma_fattahi2022_draws"}
    import importlib
    for m in pkgutil.iter_modules(package.__path__):
        mod = importlib.import_module(f"landscape_proofs.theorems.{m.name}")
        if m.name in support:
            assert declared_theorems(mod) == [], m.name
    # every registered theorem comes from a module of the package
    assert len(set(IDS)) == len(IDS)


def test_every_page_is_generated_from_the_registry():
    pages = all_pages()
    assert set(pages) == {f"{i}.md" for i in IDS} | {"README.md"}
    on_disk = {p.name for p in DOCS.glob("*.md")}
    assert on_disk == set(pages), "docs/theorems holds a page the registry does not generate"
    stale = [name for name, text in pages.items() if (DOCS / name).read_text(encoding="utf-8") != text]
    assert not stale, (f"docs/theorems pages differ from the registry: {stale}; regenerate with "
                       "python -m landscape_proofs.theorems.pages")


def test_pages_carry_the_hand_written_prose():
    by_id = {t.id: t for t in THEOREMS}
    bm = theorem_page(by_id["nouiehed_razaviyayn2018-burer-monteiro"])
    assert "### Hand-solved instances where the theorem applies (`k >= n`)" in bm
    assert "**`k = 1 < n = 2`.**" in bm
    lvb = theorem_page(by_id["laurent_vonbrecht2018"])
    assert "## The bottleneck counterexample by hand" in lvb
    assert "## The direct test" in theorem_page(by_id["achour2021"])


def test_pages_main_writes_every_page(tmp_path, capsys):
    from landscape_proofs.theorems.pages import main as pages_main
    assert pages_main([str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("*.md")} == {f"{i}.md" for i in IDS} | {"README.md"}


@pytest.mark.parametrize("tid", IDS)
def test_explain_names_no_file_outside_the_project(tid, capsys):
    assert main(["explain", tid]) == 0
    text = capsys.readouterr()
    assert main(["explain", tid, "--json"]) == 0
    js = capsys.readouterr()
    for out in (text.out, js.out, text.err, js.err):
        for name in OUTSIDE:
            assert name not in out, f"landscape explain {tid} names {name}"
    json.loads(js.out)


def test_registry_texts_and_pages_name_no_file_outside_the_project():
    for t in THEOREMS:
        blob = json.dumps([t.statement, t.caveat, t.conclusion_doc, t.assumptions_doc,
                           t.citation, vars(t.page)])
        for name in OUTSIDE:
            assert name not in blob, (t.id, name)
    root = Path(package.__file__).parent
    for path in list(root.glob("*.py")) + list(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for name in OUTSIDE:
            assert name not in text, (path.name, name)


def test_every_page_quotes_the_paper_by_reference_and_says_how_it_is_checked():
    """Each entry names where its paper states it: a numbered statement (Theorem 2.3, Lemma 7,
    ...), or the abstract with an explicit "not checked" when no number could be verified."""
    import re

    from landscape_proofs.theorems.pages import WHERE_HEADING, where_stated
    numbered = re.compile(r"\b(Theorems?|Lemmas?|Proposition|Corollary|Observation)\s+\d")
    for t in THEOREMS:
        ref = t.paper_reference
        assert ref, f"{t.id}: no paper_reference"
        assert numbered.search(ref) or "not checked" in ref, (t.id, ref)
        page = (DOCS / f"{t.id}.md").read_text(encoding="utf-8")
        assert WHERE_HEADING in page and ref in page, t.id
        assert "## Conclusion test" in page and "## Assumptions and how each is checked" in page
    # an entry without a reference gets no such section (the check above would fail on it)
    import dataclasses
    assert where_stated(dataclasses.replace(THEOREMS[0], paper_reference="")) == ""
