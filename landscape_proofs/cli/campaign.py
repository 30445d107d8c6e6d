"""``landscape campaign PROBLEM...``: searches over many problems and seeds through a process
pool or a Dask cluster; JSON lines, resumable.  Exit status 0 when every task succeeded (or
the campaign stopped early, ``complete: false``, without a failed task), 1 when some task
failed, 2 for unusable input (a results file another campaign holds, a scheduler that cannot
be reached or has no workers)."""
from __future__ import annotations

from pathlib import Path

from landscape_proofs import api
from landscape_proofs.budget import sigterm_interrupts
from landscape_proofs.cli.arguments import count, seconds
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
    c.add_argument("--timeout", type=seconds, metavar="SECONDS", help="stop after SECONDS: "
                   "finished tasks are kept, the report says complete: false (Ctrl-C and "
                   "SIGTERM do the same); also the wait for a --scheduler and its workers")
    c.add_argument("--no-progress", action="store_true")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=run)


def task_names(paths) -> list:
    """A name per problem file for the task ids: its stem (``a.json`` -> ``a``), or, where two
    files share a stem (one folder per case, ``c01/problem.json``, ``c02/problem.json``), its
    path without the suffix (``c01/problem``)."""
    stems = [Path(p).stem for p in paths]
    return [Path(p).with_suffix("").as_posix() if stems.count(s) > 1 else s
            for p, s in zip(paths, stems)]


def run(args) -> int:
    from landscape_proofs.families.io import problem_to_dict
    from landscape_proofs.search.campaign import run_campaign, search_tasks

    problems = {}
    for path, name in zip(args.problems, task_names(args.problems)):
        if name in problems:
            raise InputError("expected each problem file once (the same file is given twice)",
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
        client = _connect(Client, args.scheduler, args.timeout or 10.0)
        executor = client.get_executor()
    bar = progress(not args.no_progress)
    try:
        with sigterm_interrupts():
            report = run_campaign(tasks, args.out, executor=executor, max_workers=args.workers,
                                  progress=bar, timeout=args.timeout)
    finally:
        bar.close()
        if client is not None:
            client.close()
    if args.json:
        emit_json(report.to_json())
    else:
        print(f"{report.tasks} tasks: {report.skipped} already done, {report.ran} ran, "
              f"{report.failed} failed ({report.seconds:.1f} s); results in {report.path}")
        if report.retried:
            print(f"{report.retried} task runs repeated after a worker died")
        if report.stopped:
            print(f"INCOMPLETE ({report.stopped}): the tasks not run yet run when the same "
                  "command is given again")
    return EXIT_FAIL if report.failed else EXIT_OK


def _connect(Client, address: str, wait: float):
    """A Dask client with at least one worker within ``wait`` seconds, else one line (exit 2)."""
    try:
        client = Client(address, timeout=wait)
    except Exception as exc:    # bad address, refused, timed out: all the user's to fix
        raise InputError(f"cannot reach the scheduler ({type(exc).__name__})",
                         field="--scheduler", got=address) from None
    try:
        client.wait_for_workers(1, timeout=wait)
    except Exception:
        client.close()
        raise InputError(f"the cluster has no workers (none joined within {wait:g} s)",
                         field="--scheduler", got=address) from None
    return client
