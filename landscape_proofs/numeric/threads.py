"""One BLAS thread around the producers' dense float work (``eigh``, refinement).

The machine a certificate is produced on is often shared (several processes on a few cores);
a multithreaded OpenBLAS then spends more time waking and waiting for threads than computing
(docs/inertia.md: ``eigh`` 4 to 20 times slower under contention).  Parallelism comes from
processes (``landscape campaign``), so inside one producer one BLAS thread is the right
setting.  ``threadpoolctl`` (a dependency) does the work; without it this does nothing.
Nothing here changes a computed number's meaning: the floats are hints, checked exactly.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def one_blas_thread():
    """Context manager: BLAS/LAPACK limited to one thread inside, restored after."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def in_one_blas_thread(fn):
    """Decorator: ``fn`` runs inside :func:`one_blas_thread`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper
