-- marts.province_task_status: the province-level tasks per snapshot: done, in progress, and whether the open ones
-- are still within their deadline at the snapshot date.
-- grain: snapshot_date.
-- column snapshot_date: Ngày số liệu | date of the province-task export
-- column tasks_total: Tổng số nhiệm vụ | province-level tasks
-- column tasks_done: Đã hoàn thành | tasks done
-- column tasks_in_progress: Đang thực hiện | tasks not yet done
-- column in_progress_within_deadline: Đang thực hiện trong hạn | open tasks whose deadline is not past
-- column overdue: Quá hạn | open tasks past their deadline
-- column all_on_schedule: Đúng tiến độ | no task overdue
CREATE OR REPLACE TABLE marts.province_task_status AS
SELECT snapshot_date,
       count(*) AS tasks_total,
       count(*) FILTER (WHERE is_done) AS tasks_done,
       count(*) FILTER (WHERE NOT is_done) AS tasks_in_progress,
       count(*) FILTER (WHERE NOT is_done AND deadline >= snapshot_date) AS in_progress_within_deadline,
       count(*) FILTER (WHERE NOT is_done AND deadline < snapshot_date) AS overdue,
       count(*) FILTER (WHERE NOT is_done AND deadline < snapshot_date) = 0 AS all_on_schedule
FROM core.province_tasks
GROUP BY snapshot_date
ORDER BY snapshot_date;
