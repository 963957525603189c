"""Find and classify the files of the landing folder by path pattern (docs/data-contracts.md §1).

`discover(landing_dir)` returns one `SourceFile` per file, in load order: reference files first (units, procedures,
published figures), then files with a batch by `(batch_seq, relpath)`, then files without one, then
`manifest.json` (kind "manifest": ground truth, not an export), then files that match no pattern (kind "unknown":
the caller reports them; nothing is dropped silently).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

REFERENCE_KINDS = ("units", "procedures", "published_figures")
KINDS = (
    *REFERENCE_KINDS,
    "portal_dossiers",
    "portal_history",
    "provincial_csv",
    "provincial_xlsx",
    "commune_tasks",
    "province_tasks",
    "province_snapshot",
    "manifest",
    "unknown",
)

# kind, pattern on the posix path relative to the landing folder, time of day of the observation
_D = r"(?P<date>\d{8})"
_PATTERNS: tuple[tuple[str, re.Pattern[str], time | None], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE), at)
    for kind, pattern, at in (
        ("units", r"reference/units\.csv", None),
        ("procedures", r"reference/procedures\.csv", None),
        ("published_figures", r"reference/published_figures\.csv", None),
        ("portal_dossiers", rf"portal/hoso-{_D}-(?P<nn>\d{{2}})\.json", time(23, 59, 59)),
        ("portal_history", rf"portal/xuly-{_D}-(?P<nn>\d{{2}})\.json", time(23, 59, 59)),
        ("provincial_csv", rf"provincial/(?P<unit>[^/]+)-hoso-{_D}\.csv", time(16, 0)),
        ("provincial_xlsx", rf"provincial/(?P<unit>[^/~][^/]*)-hoso-{_D}\.xlsx", time(16, 0)),
        ("commune_tasks", rf"tasks/nq57-xa-{_D}\.csv", time(16, 0)),
        ("province_tasks", rf"tasks/nhiem-vu-tinh-{_D}\.csv", time(16, 0)),
        ("province_snapshot", r"tasks/xep-hang-tinh\.csv", None),
        ("manifest", r"manifest\.json", None),
    )
)


@dataclass(frozen=True)
class SourceFile:
    kind: str  # one of KINDS
    path: Path  # absolute
    relpath: str  # posix, relative to the landing folder
    sha256: str
    size: int
    batch_seq: int | None  # YYYYMMDDNN; provincial and task files NN = 00; None without a date in the name
    observed_at: datetime | None  # tz-aware Asia/Ho_Chi_Minh
    snapshot_date: date | None  # the date in the file name


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def classify(relpath: str) -> tuple[str, int | None, datetime | None, date | None]:
    """(kind, batch_seq, observed_at, snapshot_date) of a landing-relative posix path.

    A path that matches a pattern but carries an impossible date (e.g. 20251399) is "unknown".
    """
    for kind, pattern, at in _PATTERNS:
        m = pattern.fullmatch(relpath)
        if not m:
            continue
        groups = m.groupdict()
        if "date" not in groups:
            return kind, None, None, None
        try:
            day = datetime.strptime(groups["date"], "%Y%m%d").date()
        except ValueError:
            return "unknown", None, None, None
        nn = int(groups.get("nn") or 0)
        observed = datetime.combine(day, at, tzinfo=LOCAL_TZ) if at is not None else None
        return kind, int(groups["date"]) * 100 + nn, observed, day
    return "unknown", None, None, None


def _order(source: SourceFile) -> tuple:
    if source.kind in REFERENCE_KINDS:
        return (0, REFERENCE_KINDS.index(source.kind), source.relpath)
    if source.batch_seq is not None:
        return (1, source.batch_seq, source.relpath)
    group = {"manifest": 3, "unknown": 4}.get(source.kind, 2)
    return (group, 0, source.relpath)


def discover(landing_dir: Path) -> list[SourceFile]:
    """Every regular file under `landing_dir`, classified, hashed and in load order."""
    root = Path(landing_dir).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"landing folder {root} does not exist or is not a folder")
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        relpath = path.relative_to(root).as_posix()
        kind, batch_seq, observed_at, snapshot_date = classify(relpath)
        found.append(
            SourceFile(
                kind=kind,
                path=path,
                relpath=relpath,
                sha256=sha256_file(path),
                size=path.stat().st_size,
                batch_seq=batch_seq,
                observed_at=observed_at,
                snapshot_date=snapshot_date,
            )
        )
    return sorted(found, key=_order)
