"""``landscape experiment ma-fattahi``: Ma & Fattahi's positive result as a seeded float
experiment (sub-gradient method on deep diagonal networks with gross outliers); a summary
table, or the full dict with ``--json``; CSV, JSON and figures with ``--out DIR``.

The values are taken as text and checked by :mod:`landscape_proofs.search.experiment`, so a
bad value is an ``InputError`` naming the option (exit 2, one line).
"""
from __future__ import annotations

import time

from landscape_proofs.cli.output import EXIT_OK, emit_json, examples, prepare_out_dir
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    demo = examples("landscape experiment ma-fattahi",
                    "landscape experiment ma-fattahi --depths 1,2 --outliers 0.1,0.3 --seeds 3 --json",
                    "landscape experiment ma-fattahi --out results/",
                    "landscape experiment ma-fattahi --negative --outliers 0.2,0.3 --seeds 20 --json")
    e = sub.add_parser("experiment", help="reproducible float experiments from the literature "
                       "(evidence, not certificates)", **demo)
    which = e.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    which.required = True
    m = which.add_parser("ma-fattahi", help="sub-gradient method on deep diagonal networks, l1 "
                         "loss, gross outliers (Ma & Fattahi, NeurIPS 2022)", **demo)
    m.add_argument("--depths", default="1,2,3,4", metavar="N,...",
                   help="network depths, integers >= 1 (default 1,2,3,4)")
    m.add_argument("--outliers", default="0,0.1,0.2,0.3,0.4", metavar="P,...",
                   help="fractions of corrupted measurements in [0, 1) (default 0,0.1,0.2,0.3,0.4)")
    m.add_argument("--seeds", default="5", metavar="K", help="instances per setting (default 5)")
    m.add_argument("--seed", default="0", metavar="S", help="first instance seed (default 0)")
    m.add_argument("--iterations", default="3000", metavar="T",
                   help="sub-gradient iterations (default 3000)")
    m.add_argument("--out", metavar="DIR",
                   help="write experiment.json, runs.csv, summary.csv and the figures to DIR")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m.add_argument("--negative", action="store_true",
                   help="instead: the negative result, certified exactly on drawn instances "
                   "(is a factorization of the truth neither a local nor a global minimum?), "
                   "and its frequency over the seeds, per depth and outlier fraction")
    m.set_defaults(func=run)


def setting_from_args(args):
    """The :class:`MaFattahiSetting` the options describe (``InputError`` on a bad value)."""
    from landscape_proofs.search.experiment import (MaFattahiSetting, parse_count, parse_depths,
                                                    parse_fractions, parse_seed)

    setting = MaFattahiSetting(depths=parse_depths(args.depths, "--depths"),
                               outlier_fractions=parse_fractions(args.outliers, "--outliers"),
                               seeds=parse_count(args.seeds, "--seeds"),
                               seed=parse_seed(args.seed, "--seed"),
                               iterations=parse_count(args.iterations, "--iterations"))
    try:
        return setting.validated()
    except InputError as exc:  # name the option, not the field of the setting
        option = {"depths": "--depths", "outlier_fractions": "--outliers"}
        head, _, rest = (exc.field or "").partition("[")
        raise InputError(exc.expected, field=option.get(head, head) + ("[" + rest if rest else ""),
                         got=exc.got, show_got=exc.show_got) from None


def run(args) -> int:
    if getattr(args, "negative", False):
        return run_negative(args)
    from landscape_proofs.search.experiment import run_experiment, summary_table

    setting = setting_from_args(args)
    start = time.perf_counter()
    try:
        prepare_out_dir(args.out)
        result = run_experiment(setting, out_dir=args.out)
    except InputError as exc:
        if exc.field != "out_dir":
            raise
        raise InputError(exc.expected, field="--out", got=exc.got) from None
    elapsed = time.perf_counter() - start
    if args.json:
        emit_json(result)
        return EXIT_OK
    print("landscape experiment ma-fattahi  (float evidence, not a certificate)")
    print(f"d = {setting.dimension}, n = {setting.measurements}, k = {setting.sparsity}, "
          f"T = {setting.iterations}, seeds {setting.seed}..{setting.seed + setting.seeds - 1}; "
          f"error = ||theta - theta*|| / ||theta*||")
    print(summary_table(result))
    print(f"{len(result['runs'])} runs in {elapsed:.1f} s")
    if args.out:
        figures = [str(f).split("/")[-1] for f in result["figures"]]
        print(f"experiment.json, runs.csv, summary.csv{''.join(', ' + f for f in figures)} "
              f"written to {args.out}")
        if not result["figures"]:
            print("note: no figures (matplotlib is not installed)")
    return EXIT_OK


def run_negative(args) -> int:
    """``--negative``: exact certificates on drawn instances (theorems.ma_fattahi2022_draws)."""
    import json
    import sys
    from fractions import Fraction
    from pathlib import Path

    from landscape_proofs.families.robust_regression import RobustRegressionSetting
    from landscape_proofs.search.experiment import parse_count, parse_depths, parse_fractions, parse_seed
    from landscape_proofs.theorems.ma_fattahi2022_draws import estimate_negative_probability

    depths = parse_depths(args.depths, "--depths")
    parse_fractions(args.outliers, "--outliers")   # validates; then read each exactly
    fractions = [Fraction(t.strip()) for t in str(args.outliers).split(",")]
    seeds, seed = parse_count(args.seeds, "--seeds"), parse_seed(args.seed, "--seed")
    keep = bool(args.out)
    if keep:
        prepare_out_dir(args.out)
    results = []
    for p in fractions:
        def tick(done, total, p=p):
            if not args.json:
                print(f"\r  p = {p}: {done}/{total} draws", end="", file=sys.stderr, flush=True)
        results.append(estimate_negative_probability(RobustRegressionSetting(outlier_fraction=p),
                                                     depths=depths, seeds=seeds, seed=seed,
                                                     keep_certificates=keep, progress=tick))
        if not args.json:
            print(file=sys.stderr)
    paths = []
    if keep:
        out = Path(args.out)
        try:
            for res in results:
                p = res["setting"]["outlier_fraction"].replace("/", "-")
                for r in res["runs"]:
                    cert = r.pop("certificate", None)
                    if cert is not None:
                        path = out / f"negative-p{p}-seed{r['seed']}-depth{r['depth']}.json"
                        path.write_text(json.dumps(cert, indent=1) + "\n", encoding="utf-8")
                        r["certificate_file"] = str(path)
                        paths.append(str(path))
            (out / "negative.json").write_text(json.dumps(results, indent=1) + "\n",
                                               encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the results ({exc.strerror})", field="--out",
                             got=str(args.out)) from None
    if args.json:
        emit_json({"experiment": "ma-fattahi-negative", "results": results,
                   "certificates": paths})
        return EXIT_OK
    print("landscape experiment ma-fattahi --negative  (exact; each certified outcome checked "
          "by the kernel)")
    print("depth  outliers  not-a-minimum  minimum  undecided  estimate  wilson95")
    for res in results:
        for s in res["summary"]:
            lo, hi = s["wilson95"]
            print(f"{s['depth']:>5}  {res['setting']['outlier_fraction']:>8}  "
                  f"{s['certified_not_minimum']:>13}  {s['certified_minimum']:>7}  "
                  f"{s['undecided']:>9}  {s['estimate']:>8.2f}  [{lo:.2f}, {hi:.2f}]")
    if paths:
        print(f"{len(paths)} certificates and negative.json written to {args.out}")
    return EXIT_OK
