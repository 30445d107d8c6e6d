"""The ``search``, ``hunt`` and ``campaign`` subcommands of ``landscape`` (command-line code).

Registered by :func:`add_parsers` from ``cli.build_parser``; errors in user input are
:class:`InputError` (exit 2, one line on stderr), raised by the parser or by the library.
Exit status: ``search`` 0; ``hunt`` 0 when nothing was found, 1 when a counterexample to
the property was found and certified (as ``landscape check`` does for theorems);
``campaign`` 0 when every task succeeded, 1 when some task failed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from landscape_proofs.kernel.errors import InputError

EXIT_OK, EXIT_FAIL = 0, 1


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {v}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {v}")
    return v


def _emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


def _progress(enabled: bool):
    from landscape_proofs.search.progress import TtyProgress

    bar = TtyProgress()
    if not enabled:
        bar.enabled = False
    return bar


# --- search ---------------------------------------------------------------------------------
def cmd_search(args) -> int:
    from landscape_proofs.families.io import load_problem
    from landscape_proofs.search.local import DescentConfig
    from landscape_proofs.search.multistart import SearchConfig, search

    problem = load_problem(args.problem)
    cfg = SearchConfig(starts=args.starts, seed=args.seed,
                       descent=DescentConfig(method=args.method))
    bar = _progress(not args.no_progress)
    try:
        report = search(problem, cfg, progress=bar, out_dir=args.out)
    finally:
        bar.close()
    if args.json:
        _emit(report.to_json(include_starts=args.runs))
    else:
        print(f"landscape search {args.problem}")
        print(report.table())
        if args.out:
            print(f"certificates and search.json written to {args.out}")
    return EXIT_OK


# --- hunt -----------------------------------------------------------------------------------
def cmd_hunt(args) -> int:
    from landscape_proofs.produce.certificate import write_certificate
    from landscape_proofs.search.hunt import HuntConfig, HuntConstraints, hunt

    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise InputError('landscape hunt needs Hypothesis: pip install "landscape-proofs[hunt]"') from None

    cons = HuntConstraints(losses=tuple(args.loss or ["square"]), bottleneck=args.bottleneck,
                           weight_decay=args.weight_decay, min_depth=args.min_depth,
                           max_depth=args.max_depth, max_width=args.max_width, data=args.data,
                           max_entry=args.max_entry, family=args.family,
                           min_towers=args.min_towers, max_towers=args.max_towers)
    cons.strategy()  # validates the constraints (InputError) before any work
    cfg = HuntConfig(constraints=cons, max_examples=args.max_examples, starts=args.starts,
                     seed=args.seed, shrink=not args.no_shrink)
    bar = _progress(not args.no_progress)
    try:
        report = hunt(cfg, progress=bar)
    finally:
        bar.close()
    written = None
    if report.found and args.out:
        out = Path(args.out)
        target = out / "spurious-local-minimum.json" if out.is_dir() or args.out.endswith("/") else out
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_certificate(report.certificate, target)
        except OSError as exc:
            raise InputError(f"cannot write the certificate ({exc.strerror})", source=args.out) from None
        written = str(target)
    if args.json:
        data = report.to_json()
        data["certificate_file"] = written
        _emit(data)
    else:
        print(report.text())
        if written:
            print(f"certificate written to {written} (check it with `landscape verify {written}`)")
    return EXIT_FAIL if report.found else EXIT_OK


# --- campaign -------------------------------------------------------------------------------
def cmd_campaign(args) -> int:
    from landscape_proofs.families.io import load_problem, problem_to_dict
    from landscape_proofs.search.campaign import run_campaign, search_tasks

    problems = {}
    for path in args.problems:
        name = Path(path).stem
        if name in problems:
            raise InputError("expected problem files with distinct names (task ids use them)",
                             source=path)
        problems[name] = problem_to_dict(load_problem(path))
    tasks = search_tasks(problems, range(args.seeds), starts=args.starts, method=args.method)
    executor = client = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise InputError('--scheduler needs Dask distributed: pip install "landscape-proofs[cluster]"',
                             field="--scheduler", got=args.scheduler) from None
        try:
            client = Client(args.scheduler, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the scheduler ({type(exc).__name__})",
                             field="--scheduler", got=args.scheduler) from None
        executor = client.get_executor()
    bar = _progress(not args.no_progress)
    try:
        report = run_campaign(tasks, args.out, executor=executor, max_workers=args.workers,
                              progress=bar)
    finally:
        bar.close()
        if client is not None:
            client.close()
    if args.json:
        _emit(report.to_json())
    else:
        print(f"{report.tasks} tasks: {report.skipped} already done, {report.ran} ran, "
              f"{report.failed} failed ({report.seconds:.1f} s); results in {report.path}")
    return EXIT_FAIL if report.failed else EXIT_OK


def add_parsers(sub) -> None:
    """Register ``search``, ``hunt`` and ``campaign`` on the ``landscape`` subparsers."""
    s = sub.add_parser("search", help="multi-start descent; classify and certify every limit point")
    s.add_argument("problem", metavar="PROBLEM")
    s.add_argument("--starts", type=_count, default=200, help="number of starts (default 200)")
    s.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    s.add_argument("--out", metavar="DIR", help="write the certificates and search.json to DIR")
    s.add_argument("--method", choices=("hybrid", "newton", "gradient"), default="hybrid",
                   help="local method (default hybrid: gradient steps, then saddle-free Newton)")
    s.add_argument("--runs", action="store_true", help="with --json: include every run")
    s.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_search)

    h = sub.add_parser("hunt", help="search over instances for a spurious local minimum "
                       "(exit 1 when one is found and certified)")
    h.add_argument("--property", choices=("no-spurious-minimum",), default="no-spurious-minimum",
                   help="the property to refute: every local minimum reached is global")
    h.add_argument("--family", choices=("deep-linear", "multi-tower", "symmetric-factorization"),
                   default="deep-linear", help="the problem family to hunt over (default "
                   "deep-linear; multi-tower: sums of towers, --max-depth per tower; "
                   "symmetric-factorization: l(U U^T), U n x k with n, k <= --max-width)")
    h.add_argument("--min-towers", type=_count, default=2, help="multi-tower: fewest towers "
                   "(default 2)")
    h.add_argument("--max-towers", type=_count, default=2, help="multi-tower: most towers "
                   "(default 2)")
    h.add_argument("--loss", action="append", choices=("square", "power4", "l1", "weighted"),
                   help="loss family (repeatable; default square; weighted = "
                        "sum_ij c_ij (R_ij - T_ij)^2 of the product)")
    g = h.add_mutually_exclusive_group()
    g.add_argument("--bottleneck", dest="bottleneck", action="store_true", default=None,
                   help="only instances with a bottleneck")
    g.add_argument("--no-bottleneck", dest="bottleneck", action="store_false",
                   help="only instances without a bottleneck")
    w = h.add_mutually_exclusive_group()
    w.add_argument("--weight-decay", dest="weight_decay", action="store_true", default=False,
                   help="only instances with weight decay > 0")
    w.add_argument("--any-weight-decay", dest="weight_decay", action="store_const", const=None,
                   help="instances with or without weight decay")
    h.add_argument("--min-depth", type=_count, default=1)
    h.add_argument("--max-depth", type=_count, default=3)
    h.add_argument("--max-width", type=_count, default=3)
    h.add_argument("--max-entry", type=_count, default=3, help="largest |entry| of the data")
    h.add_argument("--data", choices=("identity", "full-row-rank", "any"), default="identity",
                   help="the data matrix X (default identity)")
    h.add_argument("--max-examples", type=_count, default=40, help="instances to try (default 40)")
    h.add_argument("--starts", type=_count, default=12, help="search starts per instance")
    h.add_argument("--seed", type=_seed, default=0)
    h.add_argument("--no-shrink", action="store_true", help="keep the first counterexample")
    h.add_argument("--out", metavar="FILE", help="write the certificate to FILE (or DIR/)")
    h.add_argument("--no-progress", action="store_true")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_hunt)

    c = sub.add_parser("campaign", help="searches over many problems and seeds through a process "
                       "pool or a Dask cluster; JSON lines, resumable")
    c.add_argument("problems", nargs="+", metavar="PROBLEM")
    c.add_argument("--out", metavar="FILE", required=True, help="results, one JSON line per task")
    c.add_argument("--seeds", type=_count, default=1, help="seeds 0..K-1 per problem (default 1)")
    c.add_argument("--starts", type=_count, default=200)
    c.add_argument("--method", choices=("hybrid", "newton", "gradient"), default="hybrid")
    c.add_argument("--workers", type=_count, default=None, help="processes (default: cores)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster (e.g. tcp://host:8786)")
    c.add_argument("--no-progress", action="store_true")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_campaign)
