"""Per-file progress lines of a step, logged in batches: every Dagster log call is one event in the run's storage
(~10 ms each on SQLite, the one-machine default), and a step calls back once per file — tens of lines for a day,
thousands for a full national load. The lines are kept in order and logged together, at most one log call every
`every` seconds while the step runs, and the rest when it ends."""

from __future__ import annotations

import time
from typing import Callable


class BatchedLog:
    def __init__(self, log: Callable[[str], None], every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log, self._every, self._clock = log, every, clock
        self._lines: list[str] = []
        self._since = clock()

    def __call__(self, line: str) -> None:
        self._lines.append(line)
        if self._clock() - self._since >= self._every:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._log("\n".join(self._lines))
            self._lines = []
        self._since = self._clock()

    def __enter__(self) -> "BatchedLog":
        return self

    def __exit__(self, *exc) -> None:
        self.flush()  # a failing step's last lines too: they say how far it got
