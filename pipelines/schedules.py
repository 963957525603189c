"""The schedules (Vietnam time): after the 16:00 report cut-off, load the day's exports; in lake mode, the weekly
upkeep of the lake."""

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from assets.partitions import PROVINCES, partition_key


@schedule(
    job_name="daily_sync",
    cron_schedule="30 16 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    description="Every day at 16:30, after the 16:00 report cut-off: the day's partition (by province and day: the "
    "day's partition of each province).",
)
def daily_after_cutoff(context: ScheduleEvaluationContext):
    day = context.scheduled_execution_time.date().isoformat()
    return [RunRequest(run_key=partition_key(day, p), partition_key=partition_key(day, p),
                       tags={"hoso/trigger": "daily_after_cutoff", "hoso/days": day})
            for p in PROVINCES or [None]]


@schedule(
    job_name="lake_upkeep",
    cron_schedule="0 2 * * 0",
    execution_timezone="Asia/Ho_Chi_Minh",
    description="Lake mode: every Sunday at 02:00, the lake's upkeep (merge small files, expire old snapshots, delete "
    "files nothing needs any more).",
)
def lake_upkeep_weekly(context: ScheduleEvaluationContext):
    return RunRequest(run_key=context.scheduled_execution_time.date().isoformat(),
                      tags={"hoso/trigger": "lake_upkeep_weekly"})
