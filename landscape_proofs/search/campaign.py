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
same as for an uninterrupted run (same tasks, same seeds, same results).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
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

    def to_json(self) -> dict:
        return {"path": self.path, "tasks": self.tasks, "skipped": self.skipped, "ran": self.ran,
                "failed": self.failed, "seconds": round(self.seconds, 3)}


def read_results(path: str | Path) -> list[dict]:
    """The complete JSON lines of a results file (a cut-off last line is ignored)."""
    p = Path(path)
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out.append(rec)
    return out


def _repair(path: Path) -> set[str]:
    """Drop unreadable lines (an interrupted write) and return the ids already done."""
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8")
    good = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            good.append(line)
    fixed = "".join(f"{line}\n" for line in good)
    if fixed != text:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(fixed, encoding="utf-8")
        os.replace(tmp, path)
    return {json.loads(line)["id"] for line in good if json.loads(line).get("status") == "ok"}


def run_campaign(tasks: Sequence, out_path: str | Path, executor: Executor | None = None,
                 max_workers: int | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> CampaignReport:
    """Run ``tasks`` (objects with ``id``, ``run()``, ``to_json()``) and append JSON lines.

    ``executor``: any ``concurrent.futures.Executor``; it is not shut down here.  Without
    one, a process pool of ``max_workers`` processes is created and shut down.
    """
    t0 = time.perf_counter()
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError("expected distinct task ids", field="tasks", got=dup)
    path = Path(out_path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        done = _repair(path)
    except OSError as exc:
        raise InputError(f"cannot use the results file ({exc.strerror})", source=str(path)) from None
    todo = [t for t in tasks if t.id not in done]
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(max_workers=max_workers or os.cpu_count() or 1,
                                       mp_context=multiprocessing.get_context("spawn"))
    ran = failed = 0
    try:
        futures = {executor.submit(run_task, t): t for t in todo}
        with path.open("a", encoding="utf-8") as fh:
            for fut in as_completed(futures):
                t = futures[fut]
                try:
                    rec = {"id": t.id, "status": "ok", "task": t.to_json(), "result": fut.result()}
                    ran += 1
                except Exception as exc:  # a task's failure is data, not a crash of the campaign
                    rec = {"id": t.id, "status": "error", "task": t.to_json(),
                           "error": f"{type(exc).__name__}: {exc}"}
                    failed += 1
                fh.write(json.dumps(rec) + "\n")
                fh.flush()
                if progress:
                    progress(ran + failed, len(todo), "tasks")
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return CampaignReport(str(path), len(tasks), len(tasks) - len(todo), ran, failed,
                          time.perf_counter() - t0)
