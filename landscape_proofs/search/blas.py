"""Run batched small-matrix LAPACK calls on one BLAS thread.

The batched searches call ``numpy.linalg.eigh`` on thousands of small (tens of rows)
matrices.  A multithreaded OpenBLAS spends far more time waking threads than computing on
matrices that small: measured here, 1,000 symmetric 27 x 27 eigendecompositions take 0.12 s
on one thread and 1 to 5 s on two busy cores.  Parallelism across starts comes from
processes (see :mod:`.campaign`), so inside one search one BLAS thread is the right setting.

:func:`single_blas_thread` uses ``threadpoolctl`` when it is installed; otherwise it looks
for an OpenBLAS library already loaded in the process (the one NumPy's wheels ship) and
calls its ``set_num_threads`` through ``ctypes``.  When neither works it does nothing: the
results are the same, only slower.  Nothing here changes a number that is computed.
The setting is process-wide: searches run concurrently in threads of one process (e.g. a
Dask ``LocalCluster(processes=False)``) may restore it in another order, which again affects
speed only.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os

# (getter, setter) symbol names of the OpenBLAS builds NumPy and SciPy wheels ship.
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@functools.lru_cache(maxsize=1)
def _openblas_controls() -> tuple:
    """(get, set) ctypes functions of each OpenBLAS loaded in this process."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = sorted({line.split()[-1] for line in fh
                            if "openblas" in line.lower() and line.split()[-1].startswith("/")})
    except OSError:
        return ()
    out = []
    for path in paths:
        if not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                out.append((getattr(lib, get_name), getattr(lib, set_name)))
                break
    return tuple(out)


@contextlib.contextmanager
def single_blas_thread():
    """Context manager: BLAS/LAPACK on one thread inside, the previous setting restored after."""
    try:
        from threadpoolctl import threadpool_limits  # optional
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
        return
    import numpy  # noqa: F401  (make sure NumPy's BLAS is loaded before looking for it)

    controls = _openblas_controls()
    before = []
    for get, set_ in controls:
        try:
            before.append((set_, int(get())))
            set_(1)
        except Exception:  # pragma: no cover - a foreign build: leave it alone
            continue
    try:
        yield
    finally:
        for set_, n in before:
            set_(n)
