"""MkDocs hooks for the documentation site (``mkdocs.yml``: ``hooks: [docs/hooks.py]``).

Pages that must never drift from the code are generated at build time, not stored:

- ``commands/<name>.md``: one page per ``landscape`` command, its ``--help`` text taken from
  the real argparse parser (``landscape_proofs.cli.main.build_parser``), and
  ``commands/index.md``, the list of commands with their one-line help;
- ``gallery.md``: every certificate of ``counterexamples/*.json`` with its provenance and the
  plain-language explanation of ``landscape explain`` (``produce.explain``), which re-runs the
  trusted kernel on the file while the site is built;
- the theorem pages under ``docs/theorems/`` are files (written by
  ``python -m landscape_proofs.theorems.pages``; ``tests/test_theorems_pages.py`` fails when they
  differ from the registry); :func:`check_theorem_pages` makes the build fail too.

The ``Commands`` and ``Notebooks`` sections of the navigation are filled in here, so a new
command or notebook appears without editing ``mkdocs.yml``.  Links from the docs to files
outside ``docs/`` (``../../counterexamples/X.json``) are pointed at the gallery's entry.

Functions without an ``on_`` prefix need no MkDocs (``tests/test_docs_site.py`` uses them).
"""
from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
COUNTEREXAMPLES = ROOT / "counterexamples"
FIGURES = DOCS / "figures"
NOTEBOOKS = DOCS / "notebooks"

# The figures the gallery shows when they exist: ``docs/figures/<counterexample stem>.<ext>``
# (written by the plotting work, `landscape plot PROBLEM POINT --certificate CERT --out ...`).
# Until a file exists the gallery says which file it is waiting for; nothing is drawn here.
FIGURE_EXTENSIONS = (".svg", ".png")

HELP_WIDTH = 100  # the --help text is rendered at this terminal width, the same on every machine


# --- the command reference --------------------------------------------------------------------
def _subcommands(parser) -> dict:
    """{name: (one-line help, subparser)} of an argparse parser, in registration order."""
    import argparse

    for action in parser._actions:  # argparse keeps no public handle on its subparsers
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (helps.get(name, ""), p) for name, p in action.choices.items()}
    return {}


def _help_text(parser) -> str:
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"COLUMNS": str(HELP_WIDTH)}):
        return parser.format_help().rstrip() + "\n"


def command_pages() -> dict[str, str]:
    """{``commands/<name>.md``: Markdown} for every ``landscape`` command, and the index."""
    from landscape_proofs.cli.main import build_parser

    from landscape_proofs.schemas import names

    schema_names = set(names())
    parser = build_parser()
    commands = _subcommands(parser)
    pages = {}
    rows = []
    for name, (summary, sub) in commands.items():
        text = [f"# `landscape {name}`\n", f"{summary[:1].upper() + summary[1:]}.\n" if summary else "",
                "Generated from the command's own parser when the site is built "
                "(`landscape " + name + " --help` prints the same).\n",
                "```text\n" + _help_text(sub) + "```\n"]
        for inner, (inner_summary, inner_parser) in _subcommands(sub).items():
            text.append(f"## `landscape {name} {inner}`\n")
            if inner_summary:
                text.append(f"{inner_summary[:1].upper() + inner_summary[1:]}.\n")
            text.append("```text\n" + _help_text(inner_parser) + "```\n")
        contract = "Exit status and file formats: [the command-line contract](../formats.md)."
        if name in schema_names:
            contract += (f" The JSON output is described by the schema `{name}` "
                         f"(`landscape_proofs.schemas.load(\"{name}\")`, [JSON Schemas](../schemas.md)).")
        text.append(contract + "\n")
        pages[f"commands/{name}.md"] = "\n".join(t for t in text if t)
        rows.append(f"| [`{name}`]({name}.md) | {summary.replace('|', '&#124;')} |")
    pages["commands/index.md"] = (
        "# Commands\n\n"
        "Every command of `landscape`, with its `--help` (generated from the parser when the "
        "site is built, so these pages cannot drift from the program).\n\n"
        "```text\n" + _help_text(parser) + "```\n\n"
        "| command | what it does |\n| --- | --- |\n" + "\n".join(rows) + "\n")
    return pages


# --- the gallery of counterexamples -----------------------------------------------------------
def counterexample_files() -> list[Path]:
    return sorted(COUNTEREXAMPLES.glob("*.json"))


def figure_for(stem: str) -> Path | None:
    """The figure ``docs/figures/<stem>.svg|.png`` of a counterexample, if one was made."""
    for ext in FIGURE_EXTENSIONS:
        path = FIGURES / f"{stem}{ext}"
        if path.is_file():
            return path
    return None


GALLERY_INTRO = """\
# Gallery of counterexamples

Each entry is a certificate file from `counterexamples/`: an instance on which one assumption
of a registered theorem fails and the theorem's conclusion fails too.  The text under each
entry is what `landscape explain FILE` prints: the trusted kernel re-checked every file while
this page was built, and every number stated as a fact was recomputed from the embedded problem
and point.  The catalog's own page (provenance, how the files were made, hand proofs) is
`counterexamples/README.md` in the repository.

```
landscape verify counterexamples/*.json
landscape explain counterexamples/FILE.json
```
"""


def gallery_page() -> str:
    from landscape_proofs.produce.explain import certificate_explanation

    parts = [GALLERY_INTRO, "| entry | theorem | claim | verdict |\n| --- | --- | --- | --- |"]
    sections = []
    for path in counterexample_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        prov = data.get("provenance") or {}
        ex = certificate_explanation(data)
        verdict = "holds" if ex["holds"] else "REJECTED"
        parts.append(f"| [{path.stem}](#{path.stem}) | `{prov.get('theorem', '')}` | "
                     f"`{data.get('claim')}` | {verdict} |")
        lines = [f'## {path.stem} {{#{path.stem}}}\n',
                 f"**Claim:** `{data.get('claim')}`; the kernel's verdict: **{verdict}**.\n"]
        for key, label in (("theorem", "Theorem"), ("dropped_assumption", "Dropped assumption"),
                           ("instance", "Instance"), ("shows", "What it shows")):
            if prov.get(key):
                value = f"`{prov[key]}`" if key == "theorem" else prov[key]
                lines.append(f"**{label}:** {value}\n")
        lines.append(f"{ex['summary']}\n")
        lines.append("\n".join(f"- {sentence}" for sentence in ex["argument"]) + "\n")
        lines.append(f"**How the kernel checked it:** {ex['checked']}\n")
        figure = figure_for(path.stem)
        if figure is not None:
            lines.append(f"![{path.stem}](figures/{figure.name})\n")
        else:
            lines.append(f"*Figure: not made yet (`docs/figures/{path.stem}.svg` or `.png`).*\n")
        lines.append(f"```\nlandscape explain counterexamples/{path.name}\n```\n")
        sections.append("\n".join(lines))
    return "\n".join(parts) + "\n\n" + "\n".join(sections)


def expected_figures() -> list[str]:
    """The figure files the gallery waits for, one per counterexample (for the plotting work)."""
    return [f"docs/figures/{p.stem}.svg" for p in counterexample_files()]


# --- everything generated ---------------------------------------------------------------------
def generated_pages() -> dict[str, str]:
    """{path under docs/: Markdown} of every page this hook adds to the site."""
    pages = command_pages()
    pages["gallery.md"] = gallery_page()
    return pages


def generated_names() -> list[str]:
    """The paths :func:`generated_pages` produces, without generating the gallery."""
    return sorted(list(command_pages()) + ["gallery.md"])


def theorem_nav() -> list[str]:
    """The registry's index page, then one page per theorem (the files written from it)."""
    pages = sorted(p.name for p in (DOCS / "theorems").glob("*.md") if p.name != "README.md")
    return ["theorems/README.md"] + [f"theorems/{name}" for name in pages]


def notebook_nav() -> list[str]:
    return [f"notebooks/{p.name}" for p in sorted(NOTEBOOKS.glob("*.ipynb"))]


def check_theorem_pages() -> list[str]:
    """The files of ``docs/theorems/`` that differ from the registry (empty when in sync)."""
    from landscape_proofs.theorems.pages import all_pages

    return sorted(name for name, text in all_pages().items()
                  if not (DOCS / "theorems" / name).is_file()
                  or (DOCS / "theorems" / name).read_text(encoding="utf-8") != text)


_OUTSIDE_LINK = re.compile(r"\]\(((?:\.\./)+)counterexamples/([^)#\s]*)(#[^)\s]*)?\)")


def rewrite_outside_links(markdown: str, src_uri: str) -> str:
    """``](../../counterexamples/X.json)`` -> ``](<rel>/gallery.md#X)`` (README -> the gallery).

    Only links that leave ``docs/`` and land in ``counterexamples/`` are changed."""
    page_dir = posixpath.dirname(src_uri)

    def repl(m):
        ups, target = m.group(1), m.group(2)
        if posixpath.normpath(posixpath.join("docs", page_dir, ups)) != ".":
            return m.group(0)  # does not reach the repository root: not ours to change
        gallery = posixpath.relpath("gallery.md", page_dir or ".")
        stem = target[:-5] if target.endswith(".json") else ""
        return f"]({gallery}#{stem})" if stem else f"]({gallery})"

    return _OUTSIDE_LINK.sub(repl, markdown)


# --- MkDocs events ----------------------------------------------------------------------------
def on_config(config, **kwargs):
    """Fill in the ``Commands`` and ``Notebooks`` sections (dropped when there is no notebook)."""
    nav = config.get("nav") or []
    expanded = []
    for entry in nav:
        title = next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else None
        if title == "Commands":
            names = [n for n in command_pages() if n != "commands/index.md"]
            expanded.append({"Commands": ["commands/index.md"] + names})
        elif title == "Theorems":
            expanded.append({"Theorems": theorem_nav()})
        elif title == "Notebooks":
            if notebook_nav():
                expanded.append({"Notebooks": notebook_nav()})
        else:
            expanded.append(entry)
    config["nav"] = expanded
    return config


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    stale = check_theorem_pages()
    if stale:
        raise SystemExit("docs/theorems/ differs from the registry in " + ", ".join(stale)
                         + "; run `python -m landscape_proofs.theorems.pages`")
    for path, text in generated_pages().items():
        if files.get_file_from_path(path) is not None:
            files.remove(files.get_file_from_path(path))
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown, page, **kwargs):
    return rewrite_outside_links(markdown, page.file.src_uri)
