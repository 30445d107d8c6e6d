"""The lessons in docs/notebooks run from top to bottom, and are stored without outputs.

Each notebook asserts its own mathematics (kinds, exact values, the kernel's verdicts), so a
change in the answers fails here.  They run in a fresh kernel (nbclient), in their folder.
"""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def test_there_are_at_least_seven_lessons():
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    # a lesson: a derivation in LaTeX, a figure, a certificate checked by the kernel
    text = "\n".join(c.source for c in nb.cells)
    assert "$" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "plot" in text and "lp.verify(" in text and "assert" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(FOLDER)}})
    client.execute()      # raises CellExecutionError (with the cell) if an assert fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "data" in o and "image/png" in o["data"]]
    assert images, "every lesson shows at least one figure"
