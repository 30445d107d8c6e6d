"""``landscape derive --latex --standalone``: a complete document that declares what it uses."""
from __future__ import annotations

import json
import re

from landscape_proofs.cli.main import main

PROBLEM = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[5, 0], [0, 2]], "loss": "square",
           "weight_decay": 1}


def _derive(tmp_path, capsys, *flags):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROBLEM))
    code = main(["derive", str(path), *flags])
    return code, capsys.readouterr()


def test_standalone_is_a_complete_document_with_every_package_it_needs(tmp_path, capsys):
    code, out = _derive(tmp_path, capsys, "--latex", "--standalone")
    assert code == 0
    doc = out.out
    assert doc.startswith("\\documentclass") and doc.rstrip().endswith("\\end{document}")
    assert doc.count("\\begin{document}") == 1
    for package in ("amsmath", "amssymb", "adjustbox", "geometry"):
        assert package in doc.split("\\begin{document}")[0]
    displays = [line for line in doc.splitlines() if line.startswith("\\[")]
    assert displays and all("\\adjustbox{max width=\\linewidth}" in d for d in displays)
    # \mathbb needs amssymb, \begin{matrix} amsmath: both are used here
    assert "\\mathbb" in doc and "\\begin{matrix}" in doc
    for line in displays:                       # braces balance on every formula line
        bare = re.sub(r"\\[{}]", "", line)
        assert bare.count("{") == bare.count("}"), line[:80]


def test_standalone_needs_latex(tmp_path, capsys):
    code, out = _derive(tmp_path, capsys, "--standalone")
    assert code == 2 and "needs --latex" in out.err
