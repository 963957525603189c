"""Daily partitions: a file belongs to the day its name carries (a portal batch, a provincial export, a task
snapshot), in Vietnam time. Re-running a partition is idempotent: files already recorded are skipped."""

import warnings

from dagster import AssetExecutionContext, BackfillPolicy, BetaWarning, DailyPartitionsDefinition

from sources.discover import FIRST_DAY

# The daily assets use backfill_policy on purpose (a backfill range is one run); Dagster's "beta" notice about it
# would print six lines to stderr on every `hoso` command, burying its one-line errors.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)

# From FIRST_DAY: a file dated before it is rejected by extract with the reason (sources.discover.day_outside).
DAILY = DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone="Asia/Ho_Chi_Minh", end_offset=1)
# A backfill over a date range runs as one run, one transaction per load: cheaper than a run per day, same result.
SINGLE_RUN = BackfillPolicy.single_run()


def partition_keys(context: AssetExecutionContext) -> list[str]:
    """The partition keys of this run (a single key, or a backfill range run as one)."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return []
    return DAILY.get_partition_keys_in_range(context.partition_key_range)
