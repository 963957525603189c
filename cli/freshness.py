"""Is there anything for `hoso run` to do? Decided before Dagster starts: a re-run on a landing folder whose files
are all recorded costs a `stat` per file (hashes from the discover cache) and two read-only queries, not a Dagster
run of six steps (~25 s). Anything unsure (no warehouse yet, a writer holding it, a load left running, a snapshot
older than the last load or built with another ratio definition, no report) means: run.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from assets.settings import Settings
from sources.discover import discover
from stages.staging import hash_cache_path
from warehouse.db import writer_lock


def nothing_new(settings: Settings, ratio_definition: str = "A") -> str | None:
    """A one-line account of why a run would change nothing, or None when the pipeline must run."""
    wh, snapshot, report = settings.warehouse_db, settings.analytics_db, settings.docs_dir / "report.html"
    if not (wh.is_file() and snapshot.is_file() and report.is_file()) or Path(str(wh) + ".wal").exists():
        return None
    files = [f for f in discover(settings.landing_dir, hash_cache=hash_cache_path(settings.staging_dir))
             if f.kind != "manifest"]
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
            recorded = set(con.execute("SELECT relpath, sha256 FROM meta.files").fetchall())
            running, last = con.execute(
                "SELECT count(*) FILTER (status = 'running'), "
                "epoch(max(finished_at) FILTER (status = 'succeeded')) FROM meta.loads").fetchone()
        except duckdb.Error:
            return None
        finally:
            con.close()
    if running or any((f.relpath, f.sha256) not in recorded for f in files):
        return None
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
