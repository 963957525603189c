"""Fault injection for the crash-safety tests (tests/test_crash_safety.py).

HOSO_CRASH_AT=<point>[:<n>] makes the process SIGKILL itself the n-th time (default 1st) it reaches
crash_point(<point>). Unset, it costs one dict lookup. It sits at the bottom of the pipeline's layers so that the
stages and the warehouse both import it downwards.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "HOSO_CRASH_AT"
_crash_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here, at once and without clean-up (no finally, no ROLLBACK, no flush), when HOSO_CRASH_AT names this
    point: what a power cut, an OOM kill or `kill -9` does to the pipeline."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _crash_hits[name] = _crash_hits.get(name, 0) + 1
    if _crash_hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
