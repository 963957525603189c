"""Partitions: by day, the default (a file belongs to the day its name carries: a portal batch, a provincial export,
a task snapshot, in Vietnam time); with HOSO_PROVINCES, by day and province: a run takes a province's part of each
file of its days (stages/split.py), and the run queue lets one run per province be in progress, many provinces at
once. Re-running a partition is idempotent: files (and parts) already recorded are skipped."""

import warnings

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    BetaWarning,
    DailyPartitionsDefinition,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from assets.settings import provinces
from sources.discover import FIRST_DAY

# The daily assets use backfill_policy on purpose (a backfill range is one run); Dagster's "beta" notice about it
# would print six lines to stderr on every `hoso` command, burying its one-line errors.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)

# From FIRST_DAY: a file dated before it is rejected by extract with the reason (sources.discover.day_outside).
DAILY = DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone="Asia/Ho_Chi_Minh", end_offset=1)
DAY, PROVINCE = "day", "province"
PROVINCES = provinces()  # () by day only
PARTITIONS = MultiPartitionsDefinition({DAY: DAILY, PROVINCE: StaticPartitionsDefinition(list(PROVINCES))}) \
    if PROVINCES else DAILY
# By day, a backfill over a date range runs as one run, one transaction per load: cheaper than a run per day, same
# result. By province and day, none: a backfill then runs a run per partition tagged with its key and dimensions
# (with a backfill policy, even multi_run(1), each run is tagged as a range, which the queue's per-province limit does
# not see).
BACKFILL = None if PROVINCES else BackfillPolicy.single_run()


def partition_key(day: str, province: str | None = None) -> str:
    """The partition key of a day (and province, in province mode)."""
    return f"{day}|{province}" if PROVINCES else day  # Dagster's multi-partition key: dimensions by name, `|`


def run_partitions(context: AssetExecutionContext) -> tuple[list[str], set[str] | None]:
    """(days, provinces) of this run: a single key or a range run as one; provinces is None by day only."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return [], (set() if PROVINCES else None)
    keys = PARTITIONS.get_partition_keys_in_range(context.partition_key_range)
    if not PROVINCES:
        return keys, None
    days = sorted({k.keys_by_dimension[DAY] for k in keys})
    return days, {k.keys_by_dimension[PROVINCE] for k in keys}
