"""A plain progress bar on stderr, shown only when stderr is a terminal.

The library never prints: :func:`landscape_proofs.search.multistart.search` takes any
callable ``progress(done, total, stage)``; the command line passes :class:`TtyProgress`.
"""
from __future__ import annotations

import sys
import time


class TtyProgress:
    """``progress(done, total, stage)`` drawing ``stage [#####.....] done/total`` in place.

    Draws nothing unless the stream is a TTY (so pipes, files and CI logs stay clean), and
    at most every ``interval`` seconds except for the last update.
    """

    def __init__(self, stream=None, width: int = 30, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interval = interval
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        frac = 0.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
        fill = int(round(frac * self.width))
        bar = "#" * fill + "." * (self.width - fill)
        self.stream.write(f"\r{stage:<12} [{bar}] {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line the bar was drawn on (if any)."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
