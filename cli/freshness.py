"""Is there anything for `hoso run` to do? Decided before Dagster starts: a re-run on a landing folder whose files
are all recorded costs a `stat` per file (hashes from the discover cache) and two read-only queries, not a Dagster
run of six steps (~25 s). Anything unsure (no warehouse yet, a writer holding it, a load left running, a snapshot
older than the last load or built with another ratio definition, no report) means: run.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from assets.settings import Settings, provinces
from sources.discover import discover
from stages.staging import hash_cache_path, whole_files
from warehouse.db import writer_lock


def recorded_files(wh: Path) -> tuple[set[tuple[str, str]], float | None] | None:
    """(relpath, sha256) of every file version the warehouse records (loaded, refused or duplicate: extract skips
    them; by province and day, as parts of every province), and when the last load succeeded (epoch seconds); None
    when that cannot be known now (no warehouse, a writer holding it, a load left running by a crash, an unreadable
    file)."""
    if not wh.is_file() or Path(str(wh) + ".wal").exists():
        return None
    with contextlib.ExitStack() as held:
        try:  # held while the file is open read-only, so that no run starts writing meanwhile
            held.enter_context(writer_lock(wh, timeout_s=0))
        except TimeoutError:
            return None  # a run is writing: take the normal path, which queues
        try:
            con = duckdb.connect(str(wh), read_only=True)
        except duckdb.Error:
            return None
        try:
            running, last = con.execute(
                "SELECT count(*) FILTER (status = 'running'), "
                "epoch(max(finished_at) FILTER (status = 'succeeded')) FROM meta.loads").fetchone()
            if running:
                return None
            # By province and day a file is recorded once the parts of every province are.
            return whole_files(set(con.execute("SELECT relpath, sha256 FROM meta.files").fetchall()),
                               provinces()), last
        except duckdb.Error:
            return None
        finally:
            con.close()


def landing_files(settings: Settings) -> dict[str, str]:
    """{relpath: sha256} of the landing folder's exports (hashes from the discover cache: a `stat` per known file)."""
    cache = hash_cache_path(settings.staging_dir)
    return {f.relpath: f.sha256 for f in discover(settings.landing_dir, hash_cache=cache) if f.kind != "manifest"}


def days_with_new_files(settings: Settings, days: dict[str, list[str]]) -> dict[str, list[str]]:
    """The days of `days` ({day: [relpath, ...]}) holding a file version the warehouse does not record: the only
    partitions a run has work in, since extract skips recorded files. All of them when the record cannot be read."""
    record = recorded_files(settings.warehouse_db)
    if record is None:
        return days
    recorded, sha = record[0], landing_files(settings)
    return {d: rels for d, rels in days.items() if any((r, sha.get(r)) not in recorded for r in rels)}


def nothing_new(settings: Settings, ratio_definition: str = "A") -> str | None:
    """A one-line account of why a run would change nothing, or None when the pipeline must run."""
    snapshot, report = settings.analytics_db, settings.docs_dir / "report.html"
    if not (snapshot.is_file() and report.is_file()):
        return None
    record = recorded_files(settings.warehouse_db)
    files = landing_files(settings)
    if record is None or any(f not in record[0] for f in files.items()):
        return None
    last = record[1]
    if last is not None and snapshot.stat().st_mtime < last:
        return None  # loaded, but the marts were not published (a blocking check, a crash)
    try:
        with duckdb.connect(str(snapshot), read_only=True) as snap:
            definitions = [r[0] for r in snap.execute(
                "SELECT DISTINCT ratio_definition FROM marts.online_ratio_by_level").fetchall()]
    except duckdb.Error:
        return None
    if definitions != [ratio_definition]:
        return None
    return (f"nothing new: the {len(files)} files of {settings.landing_dir} are all recorded in the warehouse and "
            f"the analytics snapshot is up to date (definition {ratio_definition}); `hoso run --force` runs anyway")
