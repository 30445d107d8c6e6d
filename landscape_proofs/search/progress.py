"""Progress on stderr for long work (tqdm: rate and ETA), shown only on a terminal.

The library never prints: :func:`landscape_proofs.search.multistart.search` takes any
callable ``progress(done, total, stage)``; the command line passes :class:`TtyProgress`,
which draws one tqdm bar per stage and nothing at all when stderr is not a terminal (pipes,
files and CI logs stay clean).
"""
from __future__ import annotations

import sys


class TtyProgress:
    """``progress(done, total, stage)`` as tqdm bars (``stage: 40%|####  | 4/10 [00:01<00:02]``)."""

    def __init__(self, stream=None, width: int = 30, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interval = interval
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar = None
        self._stage = None

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        if not self.enabled:
            return
        if self._bar is None or stage != self._stage or total != self._bar.total:
            self.close()
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=stage or None, file=self.stream, leave=True,
                             ncols=80, mininterval=self.interval, dynamic_ncols=False)
            self._stage = stage
        self._bar.n = min(max(done, 0), total)
        self._bar.refresh() if done >= total else self._bar.update(0)

    def close(self) -> None:
        """Finish the current bar (its line stays, ended)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
