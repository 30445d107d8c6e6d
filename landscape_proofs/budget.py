"""Time budgets (``--timeout``) and parent-death watchdogs, one mechanism for every command.

A :class:`Deadline` in a context variable (:func:`deadline`) is checked at loop points with
:func:`check_deadline` (campaigns, census), which raises :class:`DeadlineExceeded`.  A loop
point cannot
interrupt one long exact call (a characteristic polynomial of a large Hessian inside FLINT),
so :func:`run_bounded` adds a hard stop: the work runs in a forked child process under the
same deadline, the parent waits at most the budget, then kills the child (SIGKILL) and
reports that the work did not finish.  Forking costs a few milliseconds (measured in
docs/reliability.md); the child's result comes back pickled through a pipe.

:func:`start_parent_watchdog` makes a worker process exit when its parent is gone (a
SIGKILLed campaign leaves no orphans).
"""
from __future__ import annotations

import contextvars
import multiprocessing
import os
import pickle
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

from landscape_proofs.kernel.errors import InputError, LandscapeError

__all__ = ["Deadline", "DeadlineExceeded", "Outcome", "check_deadline", "current_deadline",
           "deadline", "run_bounded", "sigterm_interrupts", "start_parent_watchdog",
           "timeout_reason"]


class DeadlineExceeded(LandscapeError):
    """The time budget ran out (``--timeout``)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(timeout_reason(seconds))

    def __reduce__(self):
        return (DeadlineExceeded, (self.seconds,))


class Deadline:
    """A point in time ``seconds`` from now (monotonic clock)."""

    def __init__(self, seconds: float):
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                or not 0 < seconds < 1e9:
            raise InputError("expected a number of seconds > 0", field="timeout", got=seconds)
        self.seconds = float(seconds)
        self.end = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def check(self) -> None:
        if self.expired():
            raise DeadlineExceeded(self.seconds)


_DEADLINE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("landscape_deadline",
                                                                            default=None)


def current_deadline() -> Deadline | None:
    """The deadline in force, or ``None``."""
    return _DEADLINE.get()


@contextmanager
def deadline(seconds: float | None):
    """A deadline ``seconds`` from now for the ``with`` block (``None``: no new deadline; an
    enclosing earlier deadline stays in force)."""
    outer = _DEADLINE.get()
    if seconds is None:
        yield outer
        return
    d = Deadline(seconds)
    if outer is not None and outer.end < d.end:
        d = outer
    token = _DEADLINE.set(d)
    try:
        yield d
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise :class:`DeadlineExceeded` when the deadline in force has passed."""
    d = _DEADLINE.get()
    if d is not None:
        d.check()


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_bounded` got: ``done`` with ``value``, or not done with ``reason``."""

    done: bool
    value: Any = None
    reason: str = ""


def timeout_reason(seconds: float) -> str:
    """The words every command uses when the budget ran out (they contain "timeout")."""
    return f"timeout: not finished within the time budget of {seconds:g} s (--timeout)"


def _child(conn, fn, args, kwargs, seconds, limits, parent):
    from landscape_proofs.kernel.limits import using

    start_parent_watchdog(parent)
    try:        # the child says nothing: FLINT prints its allocation failures on stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    except OSError:
        pass
    try:
        with using(limits), deadline(seconds):
            msg = ("ok", fn(*args, **kwargs))
    except DeadlineExceeded:
        msg = ("timeout", None)
    except MemoryError:
        msg = ("memory", None)
    except InputError as exc:       # rebuilt field by field in the parent
        msg = ("input", (exc.expected, exc.field, exc.got if _picklable(exc.got) else None,
                         exc.source, exc.show_got))
    except BaseException as exc:    # noqa: BLE001 - handed to the parent, re-raised there
        msg = ("raise", exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}"))
    try:
        conn.send(msg)
    except Exception as exc:        # an unpicklable result: say so instead of hanging
        conn.send(("raise", RuntimeError(f"cannot return the result ({type(exc).__name__})")))
    finally:
        conn.close()
    os._exit(0)


def _picklable(x) -> bool:
    try:
        pickle.dumps(x)
        return True
    except Exception:
        return False


def run_bounded(fn: Callable, *args, seconds: float | None, **kwargs) -> Outcome:
    """``fn(*args, **kwargs)`` within ``seconds`` (``None``: no budget, run in-process).

    Returns ``Outcome(True, value)``, or ``Outcome(False, reason=...)`` when the budget ran
    out (the child is killed) or the child died (killed by the system, out of memory).  An
    exception of ``fn`` is re-raised here (an :class:`InputError` keeps its fields).
    Without ``fork`` (not on Linux or macOS) the deadline is only checked cooperatively.
    """
    if seconds is None:
        return Outcome(True, fn(*args, **kwargs))
    Deadline(seconds)                                   # validates seconds
    from landscape_proofs.kernel.limits import current

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:                                  # pragma: no cover - no fork
        try:
            with deadline(seconds):
                return Outcome(True, fn(*args, **kwargs))
        except DeadlineExceeded:
            return Outcome(False, reason=timeout_reason(seconds))
    end = time.monotonic() + seconds
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, daemon=True,
                       args=(send, fn, args, kwargs, seconds, current(), os.getpid()))
    proc.start()
    send.close()
    try:
        msg = None
        if recv.poll(max(0.0, end - time.monotonic())):
            try:
                msg = recv.recv()
            except EOFError:
                msg = None
        elif proc.is_alive():
            msg = ("timeout", None)
    finally:
        if proc.is_alive():
            _kill(proc)
        proc.join()
        recv.close()
    if msg is None:
        code = proc.exitcode
        why = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit status {code}")
        return Outcome(False, reason=f"the exact computation's process died ({why}); "
                       "it may have run out of memory")
    tag, value = msg
    if tag == "ok":
        return Outcome(True, value)
    if tag == "timeout":
        return Outcome(False, reason=timeout_reason(seconds))
    if tag == "memory":
        return Outcome(False, reason="the exact computation ran out of memory")
    if tag == "input":
        expected, field, got, source, show_got = value
        raise InputError(expected, field=field, got=got, source=source, show_got=show_got)
    raise value


def _kill(proc) -> None:
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start_parent_watchdog(parent: int | None = None, interval: float = 0.2) -> None:
    """In a child process: exit at once when the parent process ``parent`` (default: the
    current one) is gone (polls the parent id; a daemon thread, so it never keeps the child
    alive).  Pass the parent's pid from the parent: a child that starts after its parent
    died would otherwise watch its new parent (init)."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="landscape-parent-watchdog", daemon=True).start()


class sigterm_interrupts:
    """``with sigterm_interrupts():`` SIGTERM acts as Ctrl-C in the block (a campaign or a
    census stops cleanly, keeping what finished); the previous handler comes back after."""

    def __enter__(self):
        import signal
        import threading

        self.old = None
        if threading.current_thread() is threading.main_thread():
            def interrupt(signum, frame):
                raise KeyboardInterrupt
            self.old = signal.signal(signal.SIGTERM, interrupt)
        return self

    def __exit__(self, *exc):
        import signal

        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)
