"""The counterexample catalog's recipes (counterexamples/regenerate.py) as a module, for the
tests that check the catalog is reproducible and that its hand-derived Gram identity holds."""
from __future__ import annotations

import importlib.util
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "counterexamples"


def regenerate_module():
    spec = importlib.util.spec_from_file_location("catalog_regenerate", CATALOG / "regenerate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
