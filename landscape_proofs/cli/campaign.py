"""``landscape campaign PROBLEM...``: searches over many problems and seeds through a process
pool or a Dask cluster; JSON lines, resumable.  Exit status 0 when every task succeeded, 1
when some task failed."""
from __future__ import annotations

from pathlib import Path

from landscape_proofs import api
from landscape_proofs.cli.arguments import count
from landscape_proofs.cli.output import EXIT_FAIL, EXIT_OK, emit_json, examples, progress
from landscape_proofs.kernel.errors import InputError


def register(sub) -> None:
    c = sub.add_parser("campaign", help="searches over many problems and seeds through a process "
                       "pool or a Dask cluster; JSON lines, resumable",
                       **examples("landscape campaign a.json b.json --out results.jsonl --seeds 4",
                                  "landscape campaign *.json --out results.jsonl --workers 2",
                                  "landscape campaign a.json --out results.jsonl "
                                  "--scheduler tcp://host:8786"))
    c.add_argument("problems", nargs="+", metavar="PROBLEM")
    c.add_argument("--out", metavar="FILE", required=True, help="results, one JSON line per task")
    c.add_argument("--seeds", type=count, default=1, help="seeds 0..K-1 per problem (default 1)")
    c.add_argument("--starts", type=count, default=200)
    c.add_argument("--method", choices=("hybrid", "newton", "gradient"), default="hybrid")
    c.add_argument("--workers", type=count, default=None, help="processes (default: cores)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster (e.g. tcp://host:8786)")
    c.add_argument("--no-progress", action="store_true")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=run)


def run(args) -> int:
    from landscape_proofs.families.io import problem_to_dict
    from landscape_proofs.search.campaign import run_campaign, search_tasks

    problems = {}
    for path in args.problems:
        name = Path(path).stem
        if name in problems:
            raise InputError("expected problem files with distinct names (task ids use them)",
                             source=path)
        problems[name] = problem_to_dict(api.load_problem(path))
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
    bar = progress(not args.no_progress)
    try:
        report = run_campaign(tasks, args.out, executor=executor, max_workers=args.workers,
                              progress=bar)
    finally:
        bar.close()
        if client is not None:
            client.close()
    if args.json:
        emit_json(report.to_json())
    else:
        print(f"{report.tasks} tasks: {report.skipped} already done, {report.ran} ran, "
              f"{report.failed} failed ({report.seconds:.1f} s); results in {report.path}")
    return EXIT_FAIL if report.failed else EXIT_OK
