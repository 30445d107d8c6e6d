"""Make the gallery's figures: one PNG per certified counterexample, the loss along the
certificate's evidence (``landscape plot``'s figure), in ``docs/figures/<name>.png``.

Run from the repository root after the catalog changes (needs the ``plot`` extra)::

    python docs/gen_figures.py

Deterministic (fixed seed, no date in the files); small (72 dpi).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    from landscape_proofs import api

    out = ROOT / "docs" / "figures"
    out.mkdir(exist_ok=True)
    for path in sorted((ROOT / "counterexamples").glob("*.json")):
        fig = api.plot(api.read_certificate(path), seed=0)
        target = out / f"{path.stem}.png"
        fig.savefig(target, dpi=72, metadata={"Software": None})
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
