"""Run tags: which warehouse file a run writes (`hoso/writer`, on every job: the run queue's limit counts it), and
what a run covers, set at launch by the sensor and the `hoso` command line (the load's materialization metadata
lists what it actually loaded)."""

from pathlib import Path

from assets.partitions import PROVINCES

WRITER_TAG = "hoso/writer"
# By province and day, the queue limits runs per province (`dagster/partition/province`), not per warehouse file: the
# runs of different provinces share the file and take turns on its writer lock only where they write. Their jobs name
# the file under this tag, which no limit counts.
WAREHOUSE_TAG = "hoso/warehouse"


def writer_tag(warehouse_db: Path) -> str:
    """The `hoso/writer` value of the runs that write this warehouse file (in lake mode: this worker's session file).
    The queue lets one run per value be in progress: runs of one file one after the other (DuckDB admits one writing
    process per file), runs of other files — lake workers with their own feeds — at the same time."""
    return str(Path(warehouse_db).resolve())


def writer_tags(warehouse_db: Path) -> dict[str, str]:
    """The tag naming the warehouse a job's runs write: `hoso/writer` (the queue's limit: one run per file) by day,
    `hoso/warehouse` by province and day."""
    return {WAREHOUSE_TAG if PROVINCES else WRITER_TAG: writer_tag(warehouse_db)}


def files_tag(names: list[str], shown: int = 3, limit: int = 200) -> str:
    """A run tag naming a list of files: the count and the first few names, short enough for the runs table."""
    if not names:
        return "0"
    head = ", ".join(names[:shown])
    text = f"{len(names)}: {head}" + (f", +{len(names) - shown} more" if len(names) > shown else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
