"""The daily schedule: after the 16:00 report cut-off, load the day's exports (Vietnam time)."""

from dagster import RunRequest, ScheduleEvaluationContext, schedule


@schedule(
    job_name="daily_sync",
    cron_schedule="30 16 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    description="Every day at 16:30, after the 16:00 report cut-off: the day's partition.",
)
def daily_after_cutoff(context: ScheduleEvaluationContext):
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=day, partition_key=day, tags={"hoso/trigger": "daily_after_cutoff", "hoso/days": day})
