"""The bundled tour: classify the example points, re-verify every certificate.

Each example in ``data/examples/`` holds a problem, named points and the kind derived by
hand for each (docs/examples.md).  The tour classifies every point,
writes its certificate to JSON text, reads it back with exact numbers and has the checker
re-verify it from scratch.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import write_certificate
from landscape_proofs.produce import sos
from landscape_proofs.produce.classify import classify
from landscape_proofs.families.io import loads_exact, point_from_dict, problem_from_dict


@dataclass(frozen=True)
class TourRow:
    example: str
    point: str
    expected: str
    kind: str
    value: str | None        # None: no exact value (a loss that is not a polynomial)
    verified: bool | None   # None: no certificate (inconclusive)
    seconds: float
    reason: str

    @property
    def ok(self) -> bool:
        return self.kind == self.expected and (self.verified is True or
                                               (self.kind == "inconclusive" and self.verified is None))


@dataclass(frozen=True)
class TourReport:
    rows: tuple[TourRow, ...]

    @property
    def all_ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def table(self) -> str:
        head = ("example", "point", "kind", "value", "certificate", "ok")
        body = [(r.example, r.point, r.kind, "-" if r.value is None else r.value,
                 {True: "verified", False: "REJECTED", None: "-"}[r.verified],
                 "yes" if r.ok else f"NO (expected {r.expected})") for r in self.rows]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
        line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
        out = [line(head), line(["-" * w for w in widths])] + [line(b) for b in body]
        n_ok = sum(r.ok for r in self.rows)
        total = sum(r.seconds for r in self.rows)
        out.append("")
        out.append(f"{n_ok}/{len(self.rows)} points classified as derived by hand; "
                   f"{sum(r.verified is True for r in self.rows)} certificates re-verified "
                   f"from scratch ({total:.2f} s)")
        return "\n".join(out)

    def to_json(self) -> dict:
        return {"all_ok": self.all_ok,
                "rows": [{"example": r.example, "point": r.point, "expected": r.expected,
                          "kind": r.kind, "value": r.value, "certificate_verified": r.verified,
                          "ok": r.ok, "seconds": round(r.seconds, 4), "reason": r.reason}
                         for r in self.rows]}


def example_files() -> list:
    folder = Path(__file__).resolve().parent.parent / "data" / "examples"
    return sorted((p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)


def load_example(path) -> dict:
    return loads_exact(path.read_text(encoding="utf-8"), str(path.name))


def run_tour(out_dir: Path | None = None) -> TourReport:
    rows = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    for path in example_files():
        ex = load_example(path)
        problem = problem_from_dict(ex["problem"])
        for i, pt in enumerate(ex["points"]):
            point = point_from_dict(pt, problem)
            t0 = time.perf_counter()
            res = classify(problem, point)
            verified = None
            if res.certificate is not None:
                text = json.dumps(res.certificate.to_json())
                verified = check_certificate(loads_exact(text)).valid
                if out_dir is not None:
                    write_certificate(res.certificate, out_dir / f"{ex['name']}-{i}.json")
            expected = pt["expected"]
            if "expected_without_sos" in pt and not sos.available():
                # the stronger answer needs the SDP solver of the `sos` extra
                expected = pt["expected_without_sos"]
            rows.append(TourRow(ex["name"], pt["name"], expected, res.kind.value,
                                None if res.value is None else str(res.value), verified,
                                time.perf_counter() - t0, res.reason))
    return TourReport(tuple(rows))
