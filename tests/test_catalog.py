"""CI re-verifies the counterexample catalog: every file in counterexamples/ passes
`landscape verify`, and each entry records its provenance (theorem id, dropped assumption,
instance, kind), both in the certificate and in counterexamples/README.md."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from landscape_proofs.certificates.checker import check_certificate
from landscape_proofs.certificates.model import read_certificate
from landscape_proofs.theorems.registry import THEOREMS, known_ids

CATALOG = Path(__file__).resolve().parent.parent / "counterexamples"
FILES = sorted(CATALOG.glob("*.json"))
PROVENANCE = ("theorem", "dropped_assumption", "instance", "kind", "shows")


def test_catalog_is_not_empty():
    assert len(FILES) >= 5


def test_landscape_verify_accepts_every_file():
    out = subprocess.run([sys.executable, "-m", "landscape_proofs", "verify", "--json",
                          *map(str, FILES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["all_valid"] is True
    assert {Path(r["file"]).name for r in report["results"]} == {f.name for f in FILES}
    assert all(r["valid"] for r in report["results"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entry_provenance(path):
    data = read_certificate(path)
    prov = data.get("provenance")
    assert isinstance(prov, dict), "missing provenance block"
    for key in PROVENANCE:
        assert isinstance(prov.get(key), str) and prov[key].strip(), key
    assert prov["theorem"] in known_ids()
    assert prov["kind"] == data["claim"]
    assert path.name.startswith(prov["theorem"] + "-")
    notes = data.get("notes", [])
    assert any(n.startswith("theorem: ") for n in notes)
    assert any(n.startswith("dropped_assumption: ") for n in notes)
    assert check_certificate(data).valid  # in-process too, with the exact reader


def test_readme_table_lists_every_entry_with_its_theorem():
    text = (CATALOG / "README.md").read_text(encoding="utf-8")
    for path in FILES:
        row = next((line for line in text.splitlines() if f"`{path.name}`" in line), None)
        assert row is not None, f"{path.name} missing from counterexamples/README.md"
        prov = read_certificate(path)["provenance"]
        assert f"`{prov['theorem']}`" in row and prov["kind"] in row


def test_registry_catalog_entries_exist():
    for t in THEOREMS:
        for name in t.catalog:
            assert (CATALOG / name).is_file(), (t.id, name)
