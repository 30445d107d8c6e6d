"""Regenerate the counterexample catalog: classify each instance, keep the certificate, record provenance.

Run from the repository root:  python counterexamples/regenerate.py [FILE ...]
(no argument: every entry; otherwise only the named files).
Every certificate is produced by :func:`landscape_proofs.produce.classify.classify` (or, where second
order is blind, from a hand-derived Gram identity by
:func:`landscape_proofs.produce.gram.certify_by_gram_identity`) and re-verified by the
trusted checker before it is written; the provenance block is never read by the checker.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.produce.gram import certify_by_gram_identity
from landscape_proofs.families.io import point_from_dict, problem_from_dict

HERE = Path(__file__).resolve().parent

ENTRIES = [
    {
        "file": "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json",
        "theorem": "laurent_vonbrecht2018",
        "dropped_assumption": "min hidden width >= min(d_0, d_H) (no bottleneck)",
        "instance": "widths 2-1-2, convex loss of the product (R11-1)^2 + 10 R12^2 + 10 R21^2 + "
                    "2 (R22-1)^2; point W_1 = [1 0], W_2 = [1; 0] (R = e1 e1^T)",
        "kind": "spurious-local-minimum",
        "shows": "with a bottleneck a convex differentiable loss can have a spurious local "
                 "minimum: R = e1 e1^T (value 2) is a local minimum (slice argument), "
                 "R = e2 e2^T has value 1 (docs/examples.md)",
        "problem": {"family": "deep-linear", "widths": [2, 1, 2],
                    "loss": {"name": "custom", "over": "product", "convex": True, "differentiable": True,
                             "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"}},
        "point": {"weights": [[[1, 0]], [[1], [0]]]},
        "better_point": {"weights": [[[0, 1]], [[0], [1]]]},
    },
    {
        "file": "laurent_vonbrecht2018-weight-decay-depth3-spurious-local-minimum.json",
        "theorem": "laurent_vonbrecht2018",
        "dropped_assumption": "weight_decay = 0 (the objective is l(W_H...W_1))",
        "instance": "depth 3 scalar chain 1/2 (abc - 1)^2 + 1/20 (a^2 + b^2 + c^2); point a = b = c = 0",
        "kind": "spurious-local-minimum",
        "shows": "weight decay makes the origin of a depth-3 network a strict local minimum "
                 "(Hessian (1/10) I) with value 1/2, while a = b = c = 1 has value 3/20",
        "problem": {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square",
                    "weight_decay": "1/10"},
        "point": {"weights": [[[0]], [[0]], [[0]]]},
        "better_point": {"weights": [[[1]], [[1]], [[1]]]},
    },
    {
        "file": "kawaguchi2016-iv-rank-condition-nonstrict-saddle.json",
        "theorem": "kawaguchi2016",
        "dropped_assumption": "(iv) rank(W_{H-1}...W_2) = p (smallest hidden width; Kawaguchi's W_H...W_2)",
        "instance": "depth 3, widths 2-2-2-2, X = I, Y = diag(27, 1); point W_1 = W_2 = W_3 = diag(3, 0) "
                    "(rank(W_2) = 1 < p = 2)",
        "kind": "non-strict-saddle",
        "shows": "without the rank condition a saddle of a depth >= 3 network can have a positive "
                 "semidefinite Hessian: the curve growing the three (2,2) entries together descends "
                 "at order t^3",
        "problem": {"family": "deep-linear", "widths": [2, 2, 2, 2], "Y": [[27, 0], [0, 1]], "loss": "square"},
        "point": {"weights": [[[3, 0], [0, 0]], [[3, 0], [0, 0]], [[3, 0], [0, 0]]]},
    },
    {
        "file": "ma_fattahi2022-l1-outlier-truth-not-local-minimum.json",
        "theorem": "ma_fattahi2022",
        "dropped_assumption": "(the negative result itself) no outliers: with a corrupted sample the "
                              "truth stops being a minimum",
        "instance": "l1 regression through a scalar two-layer chain, x = (1, 1, 3), y = (1, 1, 6): the "
                    "truth w1 w2 = 1 fits 2 of 3 samples; point w1 = w2 = 1",
        "kind": "not-critical",
        "shows": "the factorization of the true model is not a local minimum (not even Clarke "
                 "critical): a curve with a negative one-sided derivative leaves it (e.g. along "
                 "w2 = 1 + t the loss is 3 - t); the l1 minimizer is w1 w2 = 2",
        "problem": {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1, 1, 3]], "Y": [[1, 1, 6]],
                    "loss": "l1"},
        "point": {"weights": [[[1]], [[1]]]},
    },
    {
        "file": "kawaguchi2016-iv-scalar-depth3-nonstrict-saddle-at-origin.json",
        "theorem": "kawaguchi2016",
        "dropped_assumption": "(iv) rank(W_{H-1}...W_2) = p (smallest hidden width; Kawaguchi's W_H...W_2)",
        "instance": "depth 3 scalar chain 1/2 (abc - 1)^2; point a = b = c = 0 (rank(W_2) = 0 < p = 1)",
        "kind": "non-strict-saddle",
        "shows": "the origin of (abc - 1)^2 has zero gradient and zero Hessian yet the curve "
                 "t(1, 1, 1) descends as -t^3: a saddle without negative curvature",
        "problem": {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square"},
        "point": {"weights": [[[0]], [[0]], [[0]]]},
    },
    {
        "file": "burer_monteiro2005-rank-deficient-nonconvex-spurious-local-minimum.json",
        "theorem": "burer_monteiro2005-rank-deficient",
        "dropped_assumption": "l convex",
        "instance": "U 1 x 2 (n = 1, k = 2), non-convex polynomial loss l(z) = (z - 1)^2 ((z - 4)^2 - 1) "
                    "of z = U U^T (residual, Y = 0); point U = (1, 0), rank 1 < k = 2",
        "kind": "spurious-local-minimum",
        "shows": "a rank-deficient second-order critical point need not be global when l is not "
                 "convex: U = (1, 0) is a local minimum (Hessian diag(64, 0), kernel the O(2) orbit "
                 "tangent: slice argument) of value 0, while U = (2, 0) has value l(4) = -9",
        "problem": {"family": "symmetric-factorization", "shape": [1, 2], "Y": [[0]],
                    "loss": {"name": "custom", "over": "residual", "convex": False,
                             "expression": "(r_0_0 - 1)**2*((r_0_0 - 4)**2 - 1)"}},
        "point": {"U": [[1, 0]]},
        "better_point": {"U": [[2, 0]]},
    },
    {
        "file": "nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json",
        "theorem": "nouiehed_razaviyayn2018-burer-monteiro",
        "dropped_assumption": "k >= n (here k = 1 < n = 2)",
        "instance": "U 2 x 1, convex loss of the product (R11-1)^2 + 10 R12^2 + 10 R21^2 + "
                    "2 (R22-1)^2; point U = e1 (U U^T = e1 e1^T)",
        "kind": "spurious-local-minimum",
        "shows": "l is convex, so on the convex PSD cone every local minimum of l is global, yet "
                 "with k < n, f(a, b) = (a^2-1)^2 + 20 a^2 b^2 + 2 (b^2-1)^2 has a strict local "
                 "minimum at U = e1 (gradient 0, Hessian diag(8, 32), value 2) while U = e2 has "
                 "value 1",
        "problem": {"family": "symmetric-factorization", "shape": [2, 1],
                    "loss": {"name": "custom", "over": "product",
                             "expression": "(R_0_0 - 1)**2 + 10*R_0_1**2 + 10*R_1_0**2 + 2*(R_1_1 - 1)**2"}},
        "point": {"U": [[1], [0]]},
        "better_point": {"U": [[0], [1]]},
    },
    {
        "file": "nouiehed_razaviyayn2018-burer-monteiro-k2-n3-slice-spurious-local-minimum.json",
        "theorem": "nouiehed_razaviyayn2018-burer-monteiro",
        "dropped_assumption": "k >= n (here k = 2 < n = 3)",
        "instance": "U 3 x 2, convex loss of the product (R11-1)^2 + (R22-1)^2 + 2 (R33-1)^2 + "
                    "10 (sum of the squared off-diagonal entries); point U = [e1 e2] "
                    "(U U^T = diag(1, 1, 0))",
        "kind": "spurious-local-minimum",
        "shows": "the same failure with a continuous symmetry: at U = [e1 e2] (value 2) the "
                 "t^2 coefficient along U + tV is 4 V11^2 + 4 V22^2 + 20 (V12 + V21)^2 + "
                 "16 V31^2 + 16 V32^2, PSD with kernel the O(2) orbit tangent (slice argument, "
                 "group O), while U = [e1 e3] has value 1",
        "problem": {"family": "symmetric-factorization", "shape": [3, 2],
                    "loss": {"name": "custom", "over": "product",
                             "expression": "(R_0_0 - 1)**2 + (R_1_1 - 1)**2 + 2*(R_2_2 - 1)**2 + "
                                           "10*(R_0_1**2 + R_1_0**2 + R_0_2**2 + R_2_0**2 + "
                                           "R_1_2**2 + R_2_1**2)"}},
        "point": {"U": [[1, 0], [0, 1], [0, 0]]},
        "better_point": {"U": [[0, 0], [1, 0], [0, 1]]},
    },
    {
        "file": "nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json",
        "theorem": "nouiehed_razaviyayn2018-multilayer",
        "dropped_assumption": "mu locally open at the local minimum (equivalently here: l convex, "
                              "as Laurent & von Brecht assume)",
        "instance": "widths 2-2-2 (no bottleneck), non-convex loss of the product "
                    "P11^2 + P12^2 + P22^2 + (P21^2 - 1)^2 whose local minima (P21 = +-1, others 0) "
                    "are all global; point W_1 = e2 e2^T, W_2 = e1 e1^T (P = 0)",
        "kind": "spurious-local-minimum",
        "shows": "without openness of mu a loss whose local minima are all global can still give "
                 "l o mu a spurious local minimum: at the point (value 1) mu is not locally open "
                 "(rank(UV) + k - rank(V) = 1 < 2), second order is blind (Hessian inertia "
                 "(3, 0, 5), kernel 5 > orbit tangent 3), and the Gram identity "
                 "(a t)^2 (L - 1) = (a t)^2 |v|^2 + (P21^2 - 2) (g . v)^2 with v = (P11, P12, P22), "
                 "g = (c t, -c w, a w), W_1 = [[u, s], [w, t]], W_2 = [[a, b], [c, d]] proves a "
                 "local minimum; W_1 = e1 e1^T, W_2 = e2 e1^T (P = e2 e1^T) has value 0",
        "problem": {"family": "deep-linear", "widths": [2, 2, 2],
                    "loss": {"name": "custom", "over": "product",
                             "expression": "R_0_0**2 + R_0_1**2 + R_1_1**2 + (R_1_0**2 - 1)**2"}},
        "point": {"weights": [[[0, 0], [0, 1]], [[1, 0], [0, 0]]]},
        "gram_identity": "nonopen_2x2",
        "better_point": {"weights": [[[1, 0], [0, 0]], [[0, 0], [1, 0]]]},
    },
]


def nonopen_2x2(problem):
    """(m, v, G) for the widths 2-2-2 entry, derived by hand (counterexamples/README.md).

    With W_1 = [[u, s], [w, t]] and W_2 = [[a, b], [c, d]], P = W_2 W_1 satisfies
    (a t) P21 = c t P11 - c w P12 + a w P22; so for v = (P11, P12, P22), g = (c t, -c w, a w):
    (a t)^2 (L - 1) = (a t)^2 |v|^2 + (P21^2 - 2) (g . v)^2, and at the point a = t = 1,
    c = w = 0: m = 1 > 0, G = I.
    """
    from landscape_proofs.symbolic.derive import weight_symbols

    W1, W2 = weight_symbols(problem)
    (u, s), (w, t) = W1.tolist()
    (a, b), (c, d) = W2.tolist()
    P = W2 * W1
    m = (a * t) ** 2
    v = [P[0, 0], P[0, 1], P[1, 1]]
    g = [c * t, -c * w, a * w]
    G = [[m * int(i == j) + (P[1, 0] ** 2 - 2) * g[i] * g[j] for j in range(3)] for i in range(3)]
    return m, v, G


GRAM_IDENTITIES = {"nonopen_2x2": nonopen_2x2}

PROVENANCE_KEYS = ("theorem", "dropped_assumption", "instance", "kind", "shows")


def build(entry: dict) -> dict:
    problem = problem_from_dict(entry["problem"])
    point = point_from_dict(entry["point"], problem)
    if "gram_identity" in entry:  # second order is blind here: a hand-derived Gram identity
        m, v, G = GRAM_IDENTITIES[entry["gram_identity"]](problem)
        better = point_from_dict(entry["better_point"], problem)
        cert = certify_by_gram_identity(problem, point, m, v, G, better_point=better).to_json()
    else:
        res = classify(problem, point)
        if res.kind.value != entry["kind"] or res.certificate is None:
            raise SystemExit(f"{entry['file']}: expected {entry['kind']}, got {res.kind.value}: "
                             f"{res.reason}")
        cert = res.certificate.to_json()
        if "better_point" in entry:  # a hand-picked better point, re-checked below
            if "better_point" not in cert.get("evidence", {}):
                raise SystemExit(f"{entry['file']}: the certificate has no better point")
            better = point_from_dict(entry["better_point"], problem)
            cert["evidence"]["better_point"] = [[[format_exact(x) for x in row] for row in M]
                                                for M in better.weights]
    prov = {k: entry[k] for k in PROVENANCE_KEYS}
    cert["provenance"] = prov
    cert["notes"] = list(cert.get("notes", [])) + [f"{k}: {v}" for k, v in prov.items()]
    check = check_certificate(json.loads(json.dumps(cert)))
    if not check.valid:
        raise SystemExit(f"{entry['file']}: the checker rejected the certificate: {check.reason}")
    return cert


def main(argv: list[str] | None = None) -> int:
    """Rebuild every entry, or only the files named on the command line."""
    names = set(sys.argv[1:] if argv is None else argv)
    unknown = names - {e["file"] for e in ENTRIES}
    if unknown:
        raise SystemExit(f"unknown catalog file(s): {', '.join(sorted(unknown))}")
    for entry in ENTRIES:
        if names and entry["file"] not in names:
            continue
        cert = build(entry)
        (HERE / entry["file"]).write_text(json.dumps(cert, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {entry['file']}: {cert['claim']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
