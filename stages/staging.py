"""The staging area between stages: one folder per file version, holding its frames as Parquet and a record of
what happened to it (file.json). Extract writes it, validate adds the clean and quarantined frames, load reads it.

Layout: <staging>/<partition>/<sha256[:16]>-<file name>/{file.json, extracted/<entity>.parquet,
clean/<entity>.parquet, quarantine/<entity>.parquet, validations.parquet}. The folder is named by content, so two
runs staging the same file write the same bytes (each write is atomic); the load re-checks under the writer lock
what was already recorded, and a folder is pruned once its file is recorded in meta.files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from stages.faults import crash_point

REFERENCE_PARTITION = "reference"
# A file's part (province mode, stages/split.py) is staged and recorded in meta.files under the file's path with this
# mark and the province: `portal/hoso-20250701-01.json#province=40`. No export kind's name can hold a `#`.
PART_MARK = "#province="


def part_relpath(relpath: str, province: str) -> str:
    return f"{relpath}{PART_MARK}{province}"


def province_of(relpath: str) -> str | None:
    """The province of a part's relpath; None for a whole file."""
    _file, mark, province = relpath.rpartition(PART_MARK)
    return province if mark else None


def file_of(relpath: str) -> str:
    """The landing file a part (or a whole file) was read from."""
    file, mark, _province = relpath.rpartition(PART_MARK)
    return file if mark else relpath


def whole_files(recorded: set[tuple[str, str]], provinces: tuple[str, ...]) -> set[tuple[str, str]]:
    """(relpath, sha256) of the file versions recorded whole, or as the parts of every one of `provinces`."""
    whole = {(r, s) for r, s in recorded if province_of(r) is None}
    parts: dict[tuple[str, str], set[str]] = {}
    for r, s in recorded:
        if province_of(r) is not None:
            parts.setdefault((file_of(r), s), set()).add(province_of(r))
    return whole | {f for f, have in parts.items() if have >= set(provinces)}


def content_key(relpath: str, sha256: str) -> str:
    """What `duplicate_file` compares: the bytes (sha256) of a whole file; the bytes and the province of a part (the
    same part of the same bytes under another name is a duplicate, another province's part of them is not)."""
    province = province_of(relpath)
    return sha256 if province is None else f"{sha256}{PART_MARK}{province}"


def hash_cache_path(staging_root: Path) -> Path:
    """The landing files' sha256 by stat (sources.discover.HashCache), kept beside the staged files."""
    return Path(staging_root) / "sha256-cache.json"


@dataclass
class StagedFile:
    relpath: str
    kind: str
    sha256: str
    size: int
    batch_seq: int | None
    partition: str
    folder: str
    # extracted | validated | blocked (validated, held back by the quarantined_share check) | rejected | duplicate_file
    outcome: str = "extracted"
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    records_read: int = 0
    records_loaded: int = 0
    records_quarantined: int = 0
    records_warned: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    # What the validation depended on (stages.validate.validation_key: the reference tables and the suites): a
    # validation made under another key is out of date and is made again.
    validated_with: str | None = None
    # A part without records of a file that has some (province mode, stages/split.py): the suites' batch-level checks
    # (an empty batch, the online share of a batch) speak of the parts with records, not of this one.
    nothing_to_check: bool = False

    @property
    def province(self) -> str | None:
        """The province of a part (province mode); None for a whole file."""
        return province_of(self.relpath)

    @property
    def path(self) -> Path:
        return Path(self.folder)

    def frame_path(self, stage: str, entity: str) -> Path:
        return self.path / stage / f"{entity}.parquet"

    def entities(self, stage: str) -> list[str]:
        folder = self.path / stage
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []

    @property
    def validations_path(self) -> Path:
        return self.path / "validations.parquet"

    def write_frame(self, stage: str, entity: str, frame: pl.DataFrame) -> None:
        self._write(self.frame_path(stage, entity), frame)

    def write_validations(self, frame: pl.DataFrame) -> None:
        self._write(self.validations_path, frame)

    def _write(self, target: Path, frame: pl.DataFrame) -> None:
        # Written under a temporary name and renamed: two runs staging the same file never see a torn Parquet file
        # (a run reading a file the other rewrites in place panicked in Polars' reader).
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        frame.write_parquet(tmp, compression="zstd", compression_level=1, statistics=False)
        tmp.replace(target)

    def unvalidate(self) -> None:
        """Back to `extracted`: the validation's frames and results removed (they are made again)."""
        for stage in ("clean", "quarantine"):
            shutil.rmtree(self.path / stage, ignore_errors=True)
        self.validations_path.unlink(missing_ok=True)
        self.outcome, self.reason, self.validated_with = "extracted", None, None
        self.records_loaded = self.records_quarantined = self.records_warned = 0

    def read_frame(self, stage: str, entity: str) -> pl.DataFrame:
        return pl.read_parquet(self.frame_path(stage, entity), glob=False)  # a path, never a pattern

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".file.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.path / "file.json")

    @classmethod
    def load(cls, folder: Path) -> "StagedFile":
        return cls(**json.loads((folder / "file.json").read_text(encoding="utf-8")))


def duplicate_reason(original: str) -> str:
    """Why a file is staged or recorded as `duplicate_file`: its bytes were loaded under the name `original`."""
    return f"the same bytes as {original} (same sha256), already loaded"


def file_folder(staging_root: Path, partition: str, sha256: str, relpath: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(relpath).name)[:80]
    return staging_root / partition / f"{sha256[:16]}-{safe}"


def prune(staging_root: Path, recorded: set[tuple[str, str]]) -> int:
    """Remove the staged folders of file versions already recorded in meta.files; returns how many."""
    removed = 0
    for f in staging_root.glob("*/*/file.json"):
        try:
            sf = StagedFile.load(f.parent)
        except (OSError, ValueError):
            continue
        if (sf.relpath, sf.sha256) in recorded:
            shutil.rmtree(f.parent, ignore_errors=True)
            removed += 1
            crash_point("staging.prune")
    return removed


def dated_partitions(staging_root: Path) -> list[str]:
    """The day partitions that have staged files (the reference files are loaded by the reference stage itself)."""
    if not Path(staging_root).is_dir():
        return []
    return sorted(p.name for p in Path(staging_root).iterdir() if p.is_dir() and p.name != REFERENCE_PARTITION)


def staged_files(staging_root: Path, partitions: list[str], provinces: set[str] | None = None) -> list[StagedFile]:
    """The staged files of these partitions, in load order (partition, then batch, then path). With `provinces`
    (province mode) only the parts of those provinces, and the files recorded whole (rejected ones)."""
    found = [
        sf
        for p in partitions
        for f in sorted((staging_root / p).glob("*/"))
        if (f / "file.json").is_file()
        for sf in [StagedFile.load(f)]
        if provinces is None or sf.province is None or sf.province in provinces
    ]
    return sorted(found, key=lambda s: (s.partition, s.batch_seq or 0, s.relpath))
