"""A file of the landing folder as discovery describes it (the input of every parser)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    kind: str  # an export kind of sources/registry.py, or "manifest", "unknown", "refused" (sources.discover.KINDS)
    path: Path  # absolute
    relpath: str  # posix, relative to the landing folder
    sha256: str
    size: int
    batch_seq: int | None  # YYYYMMDDNN; provincial and task files NN = 00; None without a date in the name
    observed_at: datetime | None  # tz-aware Asia/Ho_Chi_Minh
    snapshot_date: date | None  # the date in the file name
    problem: str | None = None  # kind "refused": why the entry is not read (one line)
