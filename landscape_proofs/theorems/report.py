"""Text and JSON views of the registry for the command line (no printing here)."""
from __future__ import annotations

import textwrap

from landscape_proofs.theorems.base import Theorem, TheoremCheck


def listing_json(theorems) -> list[dict]:
    return [t.to_json() for t in theorems]


def listing_text(theorems) -> str:
    width = max(len(t.id) for t in theorems)
    lines = []
    for t in theorems:
        mark = " [reconstructed]" if t.reconstructed else ""
        lines.append(f"{t.id:<{width}}  {t.title} ({t.source}){mark}")
    return "\n".join(lines)


def explain_json(t: Theorem) -> dict:
    return {"id": t.id, "title": t.title, "citation": t.citation, "source": t.source,
            "statement": t.statement, "reconstructed": t.reconstructed, "caveat": t.caveat,
            "assumptions": [{"name": n, "how_checked": h} for n, h in t.assumptions_doc],
            "conclusion_test": t.conclusion_doc, "catalog": list(t.catalog)}


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent)


def explain_text(t: Theorem) -> str:
    kind = " (reconstructed reading)" if t.reconstructed else ""
    out = [f"{t.id}: {t.title}", f"source: {t.source}", _wrap(f"cite: {t.citation}", ""), "",
           f"statement{kind}:", _wrap(t.statement), "",
           "assumptions (each checked exactly on the instance):"]
    for name, how in t.assumptions_doc:
        out.append(f"  - {name}")
        out.append(_wrap(how, "      "))
    out += ["", "conclusion test:", _wrap(t.conclusion_doc), "", "caveats:", _wrap(t.caveat)]
    if t.catalog:
        out += ["", "catalogued counterexamples (counterexamples/):"]
        out += [f"  - {c}" for c in t.catalog]
    return "\n".join(out)


def check_text(res: TheoremCheck) -> str:
    c = res.conclusion
    lines = [f"theorem:    {res.theorem}", f"applies:    {'yes' if res.applies else 'no'}",
             f"            {res.headline()}", "assumptions:"]
    for a in res.assumptions:
        tag = {True: "holds    ", False: "FAILS    ", None: "undecided"}[a.holds]
        decl = " [rests on a declaration]" if a.declared and "declared" not in a.detail else ""
        lines.append(f"  {tag} {a.name}: {a.detail}{decl}")
    lines += [f"conclusion: {c.status.value}", _wrap(c.summary, "  ")]
    lines.append(_wrap(f"scope: {c.scope}", "  "))
    for p in c.points:
        note = f" -- {p.note}" if p.note else ""
        value = "" if p.value is None else f", value {p.value}"   # enclosed: in the label
        lines.append(f"    [{p.verdict.value}] {p.label}: {p.kind}{value}{note}")
    for n in c.notes:
        lines.append(_wrap(f"note: {n}", "  "))
    if c.certificates:
        lines.append(f"  {len(c.certificates)} certificate(s) attached (--json shows them; "
                     "each was accepted by the checker)")
    return "\n".join(lines)
