"""The documentation site (mkdocs.yml, docs/hooks.py): the navigation and the pages agree, the
generated pages say what the program says, and, when MkDocs is installed, the strict build is
clean."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def load_hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def nav_paths(nav) -> list[str]:
    out = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            out += nav_paths(value)
        else:
            out.append(value)
    return out


def expanded_nav() -> list[str]:
    return nav_paths(hooks.on_config(config())["nav"])


def test_every_nav_entry_exists_or_is_generated():
    generated = set(hooks.generated_names())
    raw = nav_paths(config()["nav"])
    assert "gallery.md" in raw and "commands/index.md" in raw and "theorems/README.md" in raw
    for path in expanded_nav():
        assert path in generated or (DOCS / path).is_file(), path


def test_every_markdown_page_is_in_the_nav_once():
    nav = expanded_nav()
    assert len(nav) == len(set(nav)), "a page is listed twice"
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
             if p.relative_to(DOCS).parts[0] != "notebooks"}
    missing = sorted((pages | set(hooks.generated_names())) - set(nav))
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


def test_sections_are_expanded_from_the_program():
    from landscape_proofs.cli.main import build_parser
    from landscape_proofs.theorems.registry import THEOREMS

    nav = expanded_nav()
    commands = hooks._subcommands(build_parser())
    assert {"classify", "verify", "census", "check", "explain"} <= set(commands)
    assert [p for p in nav if p.startswith("commands/")] == \
        ["commands/index.md"] + [f"commands/{c}.md" for c in commands]
    assert {f"theorems/{t.id}.md" for t in THEOREMS} <= set(nav)
    notebooks = sorted((DOCS / "notebooks").glob("*.ipynb"))
    assert [p for p in nav if p.startswith("notebooks/")] == \
        [f"notebooks/{p.name}" for p in notebooks]


def test_command_pages_carry_each_commands_help():
    from landscape_proofs.cli.main import build_parser

    pages = hooks.command_pages()
    for name, (summary, parser) in hooks._subcommands(build_parser()).items():
        page = pages[f"commands/{name}.md"]
        assert page.startswith(f"# `landscape {name}`")
        assert f"usage: landscape {name}" in page and "examples:" in page
        for action in parser._actions:          # every option is documented on the page
            for flag in action.option_strings:
                assert flag in page, (name, flag)
        if any("--json" in a.option_strings for a in parser._actions):
            assert f'`landscape_proofs.schemas.load("{name}")`' in page, name
    assert "## `landscape experiment ma-fattahi`" in pages["commands/experiment.md"]
    assert "--outliers" in pages["commands/experiment.md"]


def test_theorem_pages_are_in_sync_with_the_registry():
    assert hooks.check_theorem_pages() == []


def test_gallery_lists_every_counterexample_with_the_kernels_verdict(tmp_path, monkeypatch):
    files = hooks.counterexample_files()
    assert len(files) >= 8
    page = hooks.gallery_page()
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert f"## {path.stem} {{#{path.stem}}}" in page
        assert f"![{path.stem}](figures/{path.stem}.png)" in page     # its figure is shown
        assert f"**Theorem:** `{data['provenance']['theorem']}`" in page
    assert page.count("the kernel's verdict: **holds**") == len(files)
    assert "REJECTED" not in page
    # the scalar chain 1/2 (abc - 1)^2 at the origin: value 1/2, zero Hessian, the curve t(1, 1, 1)
    entry = page.split("## kawaguchi2016-iv-scalar-depth3-nonstrict-saddle-at-origin")[1]
    entry = entry.split("\n## ")[0]
    assert "L(W) = 1/2 (recomputed)" in entry and "(0, 0, 3)" in entry and "-1 t^3" in entry

    monkeypatch.setattr(hooks, "FIGURES", tmp_path)
    (tmp_path / f"{files[0].stem}.png").write_bytes(b"\x89PNG")
    shown = hooks.gallery_page()
    assert f"![{files[0].stem}](figures/{files[0].stem}.png)" in shown
    assert f"`docs/figures/{files[0].stem}.svg`" not in shown


def test_a_tampered_counterexample_is_shown_as_rejected(tmp_path, monkeypatch):
    src = hooks.counterexample_files()[0]
    cert = json.loads(src.read_text(encoding="utf-8"))
    cert["value"] = "7/3"                          # the kernel recomputes the value
    (tmp_path / src.name).write_text(json.dumps(cert), encoding="utf-8")
    monkeypatch.setattr(hooks, "COUNTEREXAMPLES", tmp_path)
    page = hooks.gallery_page()
    assert "the kernel's verdict: **REJECTED**" in page and "| REJECTED |" in page


def test_links_out_of_docs_point_at_the_gallery():
    md = ("see [the catalog](../../counterexamples/README.md#a-section), "
          "[one](../../counterexamples/abc.json), [kept](../other.md), "
          "[near](../counterexamples/x.json)")
    out = hooks.rewrite_outside_links(md, "theorems/page.md")
    assert "[the catalog](../gallery.md)" in out
    assert "[one](../gallery.md#abc)" in out
    assert "[kept](../other.md)" in out
    assert "[near](../counterexamples/x.json)" in out   # stays inside docs/: not rewritten
    assert hooks.rewrite_outside_links("[a](../counterexamples/b.json)", "index.md") == \
        "[a](gallery.md#b)"


def _mkdocs_available() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("mkdocs", "material", "mkdocstrings", "mkdocs_jupyter"))


@pytest.mark.skipif(not _mkdocs_available(), reason='the docs extra is not installed '
                    '(pip install ".[docs]")')
def test_mkdocs_build_strict_is_clean(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr
    gallery = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    assert 'id="laurent_vonbrecht2018-bottleneck-spurious-local-minimum"' in gallery
    api = (site / "api" / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="landscape_proofs.api.classify"' in api
    assert (site / "commands" / "census" / "index.html").is_file()


def test_every_counterexample_has_its_gallery_figure():
    """A new catalog entry needs its figure: run ``python docs/gen_figures.py``."""
    missing = [p.stem for p in hooks.counterexample_files() if hooks.figure_for(p.stem) is None]
    assert not missing, f"no docs/figures/<name>.png for {missing} (python docs/gen_figures.py)"
