"""Wall-clock time of the bundled ``landscape experiment ma-fattahi`` run (target: < 1 minute on
two cores), serially and through a two-process pool, and a check that both give the same result.

Run from the repository root::

    python benchmarks/bench_experiment.py            # the default setting (100 runs)
    python benchmarks/bench_experiment.py --quick    # 300 iterations (a smoke run)
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from landscape_proofs.search.experiment import MaFattahiSetting, run_experiment  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    setting = MaFattahiSetting(iterations=300) if args.quick else MaFattahiSetting()
    start = time.perf_counter()
    serial = run_experiment(setting)
    t_serial = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = run_experiment(setting, executor=pool)
    t_pool = time.perf_counter() - start
    runs = len(serial["runs"])
    print(f"ma-fattahi, {runs} runs of {setting.iterations} iterations")
    print(f"  serial              {t_serial:6.1f} s")
    print(f"  2-process pool      {t_pool:6.1f} s  (spawn start-up included)")
    print(f"  identical results   {serial == pooled}")
    return 0 if serial == pooled else 1


if __name__ == "__main__":
    sys.exit(main())
