"""Daily partitions: a file belongs to the day its name carries (a portal batch, a provincial export, a task
snapshot), in Vietnam time. Re-running a partition is idempotent: files already recorded are skipped."""

from dagster import BackfillPolicy, DailyPartitionsDefinition

DAILY = DailyPartitionsDefinition(start_date="2020-01-01", timezone="Asia/Ho_Chi_Minh", end_offset=1)
# A backfill over a date range runs as one run, one transaction per load: cheaper than a run per day, same result.
SINGLE_RUN = BackfillPolicy.single_run()
