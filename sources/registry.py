r"""The one registry of export kinds: everything the pipeline knows about a kind of landing file, in one entry.

    KINDS["portal_dossiers"]   the ExportKind: file-name pattern, time of day of the observation, partition rule,
                               parser, canonical frames, primary frame
    FRAMES["dossiers"]         the FrameSpec of a canonical frame: its expectation suite, its target table and how a
                               new file replaces older rows there, the frame whose quarantine it follows

Who reads it: discovery (sources/discover.py: patterns, observation time, reference files first), parsing
(sources.parse: the parser and the frames it returns), extract (stages/extract.py: partition, primary frame),
validate (stages/validate.py: suite per frame, children that follow their parent into quarantine) and load
(warehouse/load.py: target table, replace rule).

Adding an export kind (docs/data-contracts.md §7): one `ExportKind` below, its parser (a function
`(SourceFile, pii_key) -> (frames, notes)` in a module of sources/), and for a new frame its canonical schema
(sources/schema.py), its `FrameSpec` here, its suite (expectations/suites/<frame>.json) and the DDL of its table
(warehouse/schema/).

This module names suites and tables as text: it imports nothing above sources (tests/test_layers.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import partial
from typing import Callable, Literal

import polars as pl

from sources import portal_json, provincial, reference, tasks
from sources.files import GZIP_SUFFIX, SourceFile
from sources.schema import CANONICAL_SCHEMAS

# (frames by name, notes): what every parser returns; the frames have exactly CANONICAL_SCHEMAS[name].
Parser = Callable[[SourceFile, str], tuple[dict[str, pl.DataFrame], list[str]]]

# How the kind's files are partitioned:
#   "file_date"  the daily partition of the date in the file name (staging/<yyyy-mm-dd>/, daily assets);
#   "reference"  a reference file: discovered first, staged and loaded by the unpartitioned reference step, validated
#                without a reference of its own;
#   "none"       no date in the name: staged and loaded by the unpartitioned reference step, after the reference files.
Partition = Literal["file_date", "reference", "none"]

# How a file's rows replace older rows of the target table:
#   "append"         appended (history: every observation is kept);
#   "snapshot_date"  the rows of the snapshot dates the file holds are replaced;
#   "table"          the whole table is replaced by the newest file.
Replace = Literal["append", "snapshot_date", "table"]


@dataclass(frozen=True)
class FrameSpec:
    name: str
    table: str  # target table of the load
    replace: Replace
    suite: str | None  # expectations/suites/<suite>.json; None: loaded as parsed (no expectations)
    parent: str | None = None  # a child frame: the rows of a quarantined parent row go with it (same source_row)


@dataclass(frozen=True)
class ExportKind:
    name: str
    pattern: str  # regex on the posix path relative to the landing folder; groups: date (YYYYMMDD), nn, unit
    observed_at: time | None  # time of day of the observation, with the date of the name (None: no date)
    partition: Partition
    parser: Parser
    frames: tuple[str, ...]  # the canonical frames it yields, in this order
    primary: str  # the frame whose rows are the file's records (the others are parts of them)
    gzip: bool = True  # the file may arrive gzip-compressed as `<name>.gz` (sources/files.py); not XLSX (a zip)

    @property
    def reference(self) -> bool:
        return self.partition == "reference"

    @property
    def file_pattern(self) -> str:
        """The pattern discovery matches: `pattern`, with an optional `.gz` suffix when the kind may be compressed
        (the same kind, day and batch as the uncompressed name)."""
        return f"(?:{self.pattern})(?:{re.escape(GZIP_SUFFIX)})?" if self.gzip else self.pattern


_D = r"(?P<date>\d{8})"
_UNIT = r"[0-9A-Za-z][0-9A-Za-z._-]*"  # a unit code (17329, 40S01): no spaces, quotes, shell characters, "~$" lock files
_PORTAL_AT = time(23, 59, 59)  # portal batches: the end of the batch day
_CUTOFF = time(16, 0)  # provincial and task exports: the report cut-off of the file's day

_FRAMES: tuple[FrameSpec, ...] = (
    FrameSpec("dossiers", "core.dossier_observations", "append", suite="dossiers"),
    FrameSpec("documents", "core.dossier_documents", "append", suite="documents", parent="dossiers"),
    FrameSpec("fees", "core.dossier_fees", "append", suite="fees", parent="dossiers"),
    FrameSpec("results", "core.dossier_results", "append", suite=None, parent="dossiers"),
    FrameSpec("identities", "core.dossier_identities", "append", suite=None, parent="dossiers"),
    FrameSpec("supplements", "core.dossier_supplements", "append", suite="supplements", parent="dossiers"),
    FrameSpec("databases", "core.dossier_databases", "append", suite=None, parent="dossiers"),
    FrameSpec("processing_steps", "core.processing_steps", "append", suite="processing_steps"),
    FrameSpec("commune_tasks", "core.commune_tasks", "snapshot_date", suite="commune_tasks"),
    FrameSpec("province_tasks", "core.province_tasks", "snapshot_date", suite="province_tasks"),
    FrameSpec("province_snapshot", "core.province_snapshot", "snapshot_date", suite="province_snapshot"),
    FrameSpec("units", "ref.units", "table", suite="units"),
    FrameSpec("procedures", "ref.procedures", "table", suite="procedures"),
    FrameSpec("published_figures", "ref.published_figures", "table", suite=None),
)

# In discovery order: the reference kinds first, in the order they load.
_KINDS: tuple[ExportKind, ...] = (
    ExportKind("units", r"reference/units\.csv", None, "reference",
               partial(reference.parse_reference, name="units"), ("units",), "units"),
    ExportKind("procedures", r"reference/procedures\.csv", None, "reference",
               partial(reference.parse_reference, name="procedures"), ("procedures",), "procedures"),
    ExportKind("published_figures", r"reference/published_figures\.csv", None, "reference",
               partial(reference.parse_reference, name="published_figures"), ("published_figures",),
               "published_figures"),
    ExportKind("portal_dossiers", rf"portal/hoso-{_D}-(?P<nn>\d{{2}})\.json", _PORTAL_AT, "file_date",
               portal_json.parse_dossiers, portal_json.DOSSIER_FRAMES, "dossiers"),
    ExportKind("portal_history", rf"portal/xuly-{_D}-(?P<nn>\d{{2}})\.json", _PORTAL_AT, "file_date",
               portal_json.parse_history, ("processing_steps",), "processing_steps"),
    ExportKind("provincial_csv", rf"provincial/(?P<unit>{_UNIT})-hoso-{_D}\.csv", _CUTOFF, "file_date",
               provincial.parse_csv, ("dossiers",), "dossiers"),
    ExportKind("provincial_xlsx", rf"provincial/(?P<unit>{_UNIT})-hoso-{_D}\.xlsx", _CUTOFF, "file_date",
               provincial.parse_xlsx, ("dossiers",), "dossiers", gzip=False),
    ExportKind("commune_tasks", rf"tasks/nq57-xa-{_D}\.csv", _CUTOFF, "file_date",
               tasks.parse_commune_tasks, ("commune_tasks",), "commune_tasks"),
    ExportKind("province_tasks", rf"tasks/nhiem-vu-tinh-{_D}\.csv", _CUTOFF, "file_date",
               tasks.parse_province_tasks, ("province_tasks",), "province_tasks"),
    ExportKind("province_snapshot", r"tasks/xep-hang-tinh\.csv", None, "none",
               tasks.parse_province_snapshot, ("province_snapshot",), "province_snapshot"),
)

FRAMES: dict[str, FrameSpec] = {spec.name: spec for spec in _FRAMES}
KINDS: dict[str, ExportKind] = {kind.name: kind for kind in _KINDS}
REFERENCE_KINDS: tuple[str, ...] = tuple(kind.name for kind in _KINDS if kind.reference)
CHILD_FRAMES: tuple[str, ...] = tuple(spec.name for spec in _FRAMES if spec.parent)


def check_registry() -> None:
    """The entries agree with each other (run on import: a wrong entry fails at once, naming itself)."""
    for kind in _KINDS:
        unknown = [f for f in kind.frames if f not in FRAMES]
        if unknown:
            raise ValueError(f"export kind {kind.name}: frames {unknown} have no FrameSpec in sources/registry.py")
        if kind.primary not in kind.frames:
            raise ValueError(f"export kind {kind.name}: primary frame {kind.primary!r} is not one of its frames")
        dated = "(?P<date>" in kind.pattern
        if dated != (kind.partition == "file_date") or dated != (kind.observed_at is not None):
            raise ValueError(f"export kind {kind.name}: a date in the pattern goes with partition 'file_date' and an "
                             "observation time, and only then")
    for spec in _FRAMES:
        if spec.name not in CANONICAL_SCHEMAS:
            raise ValueError(f"frame {spec.name}: no canonical schema in sources/schema.py")
        if spec.parent is not None and spec.parent not in FRAMES:
            raise ValueError(f"frame {spec.name}: parent {spec.parent!r} is not a frame")


check_registry()
