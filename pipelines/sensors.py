"""The landing-folder sensor: requests a `daily_sync` run for each day that received new or changed files (by province
and day: one per province of each such day, since a file may hold any province's records).

Its cursor keeps each file's (modification time, size). A file modified within the last SETTLE_SECONDS may still be
being written: it is left for a later tick, so a half-written export is never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from assets.partitions import DAILY, PROVINCES, partition_key
from assets.resources import PathsResource
from pipelines.tags import files_tag
from sources.discover import classify, day_outside

SETTLE_SECONDS = 10.0


def landing_state(landing: Path) -> dict[str, list[int]]:
    """{relpath: [mtime_ns, size]} of every regular file under the landing folder."""
    state = {}
    if not landing.is_dir():
        return state
    for root, _dirs, files in os.walk(landing):
        for name in files:
            path = Path(root, name)
            try:
                st = os.lstat(path)  # a dangling or looping link must not kill the tick; discover refuses it
            except OSError:
                continue
            state[path.relative_to(landing).as_posix()] = [st.st_mtime_ns, st.st_size]
    return state


def changed_partitions(previous: dict, current: dict, now_ns: int, latest_key: str) -> tuple[set[str], dict]:
    """The partitions with new or changed settled files, and the cursor to keep (unsettled files stay as before)."""
    keys, cursor = set(), dict(previous)
    for relpath, (mtime_ns, size) in current.items():
        if previous.get(relpath) == [mtime_ns, size]:
            continue
        if now_ns - mtime_ns < SETTLE_SECONDS * 1e9:
            continue
        kind, batch_seq, _observed, day = classify(relpath)
        if kind == "manifest":
            cursor[relpath] = [mtime_ns, size]
            continue
        if day and day_outside(day) is None and day.isoformat() > latest_key:
            continue  # dated a day or two ahead: requested once its day's partition exists
        # Reference files, names without a date and names dated outside the partitions ride with the latest day
        # (the unpartitioned reference step loads the first two and rejects the last with the reason).
        keys.add(day.isoformat() if day and day_outside(day) is None else latest_key)
        cursor[relpath] = [mtime_ns, size]
    for gone in set(previous) - set(current):
        cursor.pop(gone)
    return keys, cursor


def files_by_partition(previous: dict, cursor: dict, latest_key: str) -> dict[str, list[str]]:
    """{partition: [relpath, ...]} of the files this tick takes in (new or changed since the previous cursor)."""
    out: dict[str, list[str]] = {}
    for relpath in sorted(cursor):
        if previous.get(relpath) == cursor[relpath]:
            continue
        kind, _seq, _observed, day = classify(relpath)
        if kind != "manifest":
            out.setdefault(day.isoformat() if day and day_outside(day) is None else latest_key, []).append(relpath)
    return out


def run_tags(key: str, files: list[str]) -> dict[str, str]:
    """The run tags of a sensor run: which files made it (count and the first names) and its day."""
    return {"hoso/trigger": "landing_sensor", "hoso/days": key, "hoso/files": files_tag(files)}


@sensor(job_name="daily_sync", minimum_interval_seconds=30, description="New or changed files in the landing folder")
def landing_sensor(context: SensorEvaluationContext, paths: PathsResource):
    landing = paths.landing
    previous = json.loads(context.cursor) if context.cursor else {}
    latest = DAILY.get_last_partition_key()
    keys, cursor = changed_partitions(previous, landing_state(landing), time.time_ns(), latest)
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not keys:
        yield SkipReason(f"no new settled file in {landing}")
        return
    files = files_by_partition(previous, cursor, latest)
    for key in sorted(keys):
        if key not in DAILY.get_partition_keys():
            context.log.warning(f"files dated {key} fall outside the partitions; not requested")
            continue
        state = hashlib.sha256(json.dumps(cursor, sort_keys=True).encode()).hexdigest()[:12]
        for province in PROVINCES or [None]:
            pkey = partition_key(key, province)
            yield RunRequest(run_key=f"{pkey}:{state}", partition_key=pkey, tags=run_tags(key, files.get(key, [])))
