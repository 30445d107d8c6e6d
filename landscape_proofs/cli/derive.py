"""``landscape derive PROBLEM``: the objective, gradient and Hessian formulas (SymPy)."""
from __future__ import annotations

from landscape_proofs import api
from landscape_proofs.cli.output import EXIT_OK, emit_json, examples
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    d = sub.add_parser("derive", help="objective, gradient and Hessian formulas",
                       **examples("landscape derive problem.json",
                                  "landscape derive problem.json --latex",
                                  "landscape derive problem.json --latex --standalone > d.tex",
                                  "landscape derive problem.json --json"))
    d.add_argument("problem")
    d.add_argument("--latex", action="store_true", help="LaTeX instead of plain text")
    d.add_argument("--standalone", action="store_true",
                   help="with --latex: a complete LaTeX document (amsmath, amssymb, geometry, "
                   "adjustbox; wide formulas are scaled to the page width)")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run)


def run(args) -> int:
    problem = api.load_problem(args.problem)
    try:
        text = api.derive(problem, latex=args.latex, as_json=args.json)
    except InputError as exc:  # the family, or numbers too long to print: the problem file's
        raise (exc if exc.source else exc.with_source(args.problem)) from None
    if args.standalone and not args.latex:
        raise InputError("--standalone needs --latex", field="--standalone")
    if args.json:
        emit_json(text)
    else:
        print(standalone_document(text) if args.standalone else text)
    return EXIT_OK


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[landscape,margin=1.5cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{adjustbox}
\allowdisplaybreaks
\begin{document}
"""


def standalone_document(body: str) -> str:
    """The derivation as a complete document: every display formula is scaled down to the
    line width when it is wider (adjustbox), comment lines stay comments."""
    lines = []
    for line in body.splitlines():
        if line.startswith(r"\[") and line.endswith(r"\]"):
            inner = line[2:-2].strip()
            line = (r"\[ \adjustbox{max width=\linewidth}{$\displaystyle " + inner + r"$} \]")
        lines.append(line)
    return PREAMBLE + "\n".join(lines) + "\n\\end{document}\n"
