"""Campaigns: many searches (or hunts over given instances) through any ``Executor``.

A campaign is a list of *tasks* with stable ids.  :func:`run_campaign` submits the tasks
through the standard :class:`concurrent.futures.Executor` interface and appends one JSON
line per finished task to the output file, in completion order::

    {"id": "...", "status": "ok", "task": {...}, "result": {...}}
    {"id": "...", "status": "error", "task": {...}, "error": "ValueError: ..."}

By default the executor is a :class:`~concurrent.futures.ProcessPoolExecutor` (``spawn``
start method, one process per core).  Any other ``Executor`` can be passed in unchanged;
for a cluster, Dask distributed's ``Client(address).get_executor()`` (see docs/search.md).
Tasks and results are plain JSON data (problems travel in the problem file format), so
they pickle and cross machines without shared files; certificates travel inside the
results.

**Resumable.**  Before submitting, the output file is read: tasks whose id already has an
``"ok"`` line are skipped; a last line cut off by an interruption is dropped (the file is
rewritten without it), and tasks that ended in ``"error"`` are run again.  So running the
same campaign again after a crash finishes it, and the final set of ``"ok"`` lines is the
same as for an uninterrupted run (same tasks, same seeds, same results).  The ``"error"``
lines of tasks that are run again are dropped then, so no stale error line stays.

**Fault tolerant** (docs/reliability.md).  Each line is appended with one ``write`` call, so
a kill never leaves half a line.  An exclusive lock (``fcntl.flock`` on ``FILE.lock``) keeps
a second campaign off the same results file.  Pool workers watch their parent and exit when
it is gone (no orphans after a SIGKILL).  When a worker dies, the pool is rebuilt and the
tasks it took down are run again: once more on a fresh pool, then each alone on a pool of
its own; a task whose worker dies three times is recorded as an error and the rest
continue.  A ``timeout`` or an interruption (Ctrl-C, SIGTERM in the command) stops the
campaign, keeps every finished line and reports ``complete: false``.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from landscape_proofs.kernel.errors import InputError


@dataclass(frozen=True)
class SearchTask:
    """Run ``landscape search`` on one problem with one seed."""

    id: str
    problem: dict                  # the problem in the file format (exact numbers as text)
    starts: int = 200
    seed: int = 0
    method: str = "hybrid"
    kind = "search"

    def to_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "problem": self.problem,
                "starts": self.starts, "seed": self.seed, "method": self.method}

    def run(self) -> dict:
        from landscape_proofs.families.io import problem_from_dict
        from landscape_proofs.search.local import DescentConfig
        from landscape_proofs.search.multistart import SearchConfig, search

        problem = problem_from_dict(self.problem)
        cfg = SearchConfig(starts=self.starts, seed=self.seed,
                           descent=DescentConfig(method=self.method))
        report = search(problem, cfg)
        out = report.to_json(include_starts=False)
        out["certificates"] = {str(g.id): g.certificate
                               for g in report.groups if g.certificate is not None}
        # timings would make a resumed campaign differ from an uninterrupted one
        out.pop("seconds", None)
        out.pop("descent_seconds", None)
        return out


@dataclass(frozen=True)
class RefuteTask:
    """Look for a certified spurious local minimum on one given instance (a hunt step)."""

    id: str
    problem: dict
    starts: int = 12
    seed: int = 0
    kind = "refute"

    def to_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "problem": self.problem,
                "starts": self.starts, "seed": self.seed}

    def run(self) -> dict:
        from landscape_proofs.families.io import problem_from_dict
        from landscape_proofs.search.hunt import refute_no_spurious_minimum

        v = refute_no_spurious_minimum(problem_from_dict(self.problem), self.starts, self.seed)
        return {"refuted": v.refuted, "how": v.how, "starts": v.starts,
                "certified_points": v.certified_points,
                "uncertified_points": v.uncertified_points,
                "certificate": v.certificate}


def run_task(task) -> dict:
    """Run one task (a top-level function, so that process pools and clusters can pickle it)."""
    return task.run()


def search_tasks(problems: dict, seeds: Iterable[int], starts: int = 200,
                 method: str = "hybrid") -> list[SearchTask]:
    """One :class:`SearchTask` per (problem, seed); ids ``"<name>/seed-<s>"``.

    ``problems`` maps a name to a problem (a ``DeepLinearProblem`` or its file-format dict).
    """
    from landscape_proofs.families.io import problem_to_dict

    out = []
    for name, p in problems.items():
        data = p if isinstance(p, dict) else problem_to_dict(p)
        data = json.loads(json.dumps(data))     # plain JSON (pickles anywhere)
        for s in seeds:
            out.append(SearchTask(id=f"{name}/seed-{s}", problem=data, starts=starts, seed=int(s),
                                  method=method))
    return out


@dataclass(frozen=True)
class CampaignReport:
    """Counts of a campaign run (the results themselves are in the JSON-lines file)."""

    path: str
    tasks: int
    skipped: int          # already done before this run
    ran: int
    failed: int
    seconds: float
    retried: int = 0      # task runs repeated because their worker died
    stopped: str | None = None   # "timeout" or "interrupted": some tasks were not run

    @property
    def complete(self) -> bool:
        return self.stopped is None

    def to_json(self) -> dict:
        return {"path": self.path, "tasks": self.tasks, "skipped": self.skipped, "ran": self.ran,
                "failed": self.failed, "retried": self.retried, "complete": self.complete,
                "stopped": self.stopped, "seconds": round(self.seconds, 3)}


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("expected a results file of UTF-8 JSON lines", source=str(path)) from None


def read_results(path: str | Path) -> list[dict]:
    """The complete JSON lines of a results file (a cut-off last line is ignored)."""
    p = Path(path)
    if not p.exists():
        return []
    out = []
    for line in _lines(p):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out.append(rec)
    return out


def _repair(path: Path) -> set[str]:
    """Keep one ``"ok"`` line per task and drop everything else (a line cut off by an
    interruption, the error lines of tasks about to run again); the ids already done."""
    if not path.exists():
        return set()
    text = "\n".join(_lines(path))
    good, done = [], set()
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec.get("status") == "ok" \
                and rec["id"] not in done:
            done.add(rec["id"])
            good.append(line)
    fixed = "".join(f"{line}\n" for line in good)
    if fixed != path.read_text(encoding="utf-8"):
        from landscape_proofs.families.io import write_text_atomic

        write_text_atomic(path, fixed)
    return done


class _Lock:
    """An exclusive, non-blocking ``flock`` on ``FILE.lock`` for the campaign's duration."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:                 # pragma: no cover - not POSIX: no lock
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError("another campaign is writing this results file (it holds "
                             f"{self.path.name}); wait for it or use another --out",
                             source=str(self.path)[: -len(".lock")]) from None
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)               # closing releases the lock
            self.fd = None


def _append(fd: int, rec: dict, path: Path) -> None:
    """One JSON line, in one ``write`` call (a kill leaves the whole line or none)."""
    data = (json.dumps(rec) + "\n").encode("utf-8")
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError as exc:
        raise InputError(f"cannot write the results file ({exc.strerror})",
                         source=str(path)) from None


def _pool(workers: int) -> ProcessPoolExecutor:
    from landscape_proofs.budget import start_parent_watchdog

    return ProcessPoolExecutor(max_workers=workers, initializer=start_parent_watchdog,
                               initargs=(os.getpid(),),
                               mp_context=multiprocessing.get_context("spawn"))


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down now: pending tasks cancelled, running workers killed."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except (OSError, AttributeError):
            pass
    for p in procs:
        try:
            p.join(5)
        except (OSError, AssertionError):
            pass


def run_campaign(tasks: Sequence, out_path: str | Path, executor: Executor | None = None,
                 max_workers: int | None = None,
                 progress: Callable[[int, int, str], None] | None = None,
                 timeout: float | None = None, retries: int = 2) -> CampaignReport:
    """Run ``tasks`` (objects with ``id``, ``run()``, ``to_json()``) and append JSON lines.

    ``executor``: any ``concurrent.futures.Executor``; it is not shut down here.  Without
    one, a process pool of ``max_workers`` processes is created (and rebuilt when a worker
    dies; at most ``retries`` repeated runs per task).  ``timeout`` (seconds) or Ctrl-C:
    stop, keep what finished, ``stopped`` says why (``complete`` is false).
    """
    from landscape_proofs.budget import Deadline

    t0 = time.perf_counter()
    limit = None if timeout is None else Deadline(timeout)
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError("expected distinct task ids", field="tasks", got=dup)
    path = Path(out_path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        lock = _Lock(path).__enter__()
    except OSError as exc:
        raise InputError(f"cannot use the results file ({exc.strerror})", source=str(path)) from None
    try:
        try:
            done = _repair(path)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot use the results file ({exc.strerror})",
                             source=str(path)) from None
        try:
            todo = [t for t in tasks if t.id not in done]
            counts = _run(todo, fd, path, executor, max_workers, progress, limit, retries)
        finally:
            os.close(fd)
    finally:
        lock.__exit__()
    ran, failed, retried, stopped = counts
    return CampaignReport(str(path), len(tasks), len(tasks) - len(todo), ran, failed,
                          time.perf_counter() - t0, retried, stopped)


def _run(todo, fd, path, executor, max_workers, progress, limit, retries):
    own = executor is None
    workers = max_workers or os.cpu_count() or 1
    ran = failed = retried = 0
    stopped = None
    attempts = {t.id: 0 for t in todo}
    queue = list(todo)
    alone = False                     # after repeated deaths: one task per fresh pool

    def record(t, rec, ok):
        nonlocal ran, failed
        _append(fd, rec, path)
        if ok:
            ran += 1
        else:
            failed += 1
        if progress:
            progress(ran + failed, len(todo), "tasks")

    while queue and stopped is None:
        batches = [[t] for t in queue] if alone else [queue]
        died = []
        for batch in batches:
            pool = executor if not own else _pool(1 if alone else min(workers, len(batch)))
            futures = {}
            try:
                for t in batch:
                    attempts[t.id] += 1
                    futures[pool.submit(run_task, t)] = t
                remaining = None if limit is None else limit.remaining()
                for fut in as_completed(futures, timeout=remaining):
                    t = futures[fut]
                    try:
                        rec = {"id": t.id, "status": "ok", "task": t.to_json(),
                               "result": fut.result()}
                        ok = True
                    except BrokenProcessPool as exc:
                        if own:             # rebuilt below, the task runs again
                            died.append(t)
                            continue
                        rec = {"id": t.id, "status": "error", "task": t.to_json(),
                               "error": f"{type(exc).__name__}: {exc}"}
                        ok = False
                    except Exception as exc:  # a task's failure is data, not a crash
                        rec = {"id": t.id, "status": "error", "task": t.to_json(),
                               "error": f"{type(exc).__name__}: {exc}"}
                        ok = False
                    record(t, rec, ok)
            except FutureTimeout:
                stopped = "timeout"
            except KeyboardInterrupt:
                stopped = "interrupted"
            finally:
                if own:
                    if stopped or died:
                        _stop_pool(pool)
                    else:
                        pool.shutdown(wait=True)
                elif stopped:
                    for f in futures:
                        f.cancel()
            if stopped:
                break
        queue = []
        for t in died:
            if attempts[t.id] > retries:
                record(t, {"id": t.id, "status": "error", "task": t.to_json(),
                           "error": f"WorkerDied: the worker process died {attempts[t.id]} "
                                    "times running this task"}, False)
            else:
                retried += 1
                queue.append(t)
        alone = alone or (bool(queue) and min(attempts[t.id] for t in queue) >= 2)
    return ran, failed, retried, stopped
