-- marts.commune_task_status: every task of every commune of the home province at each snapshot of the
-- task-monitoring export, done or not, with the commune's progress: which tasks a lagging commune has not done.
-- grain: (snapshot_date, commune_code, task_code).
-- Proposed for the dbt project (warehouse/models/marts/); the report (reports/html.py) lists the tasks not done per
-- commune when the snapshot has marts.commune_task_status. Source core.commune_tasks (no personal data).
-- column snapshot_date: Ngày số liệu | date of the task-monitoring snapshot
-- column commune_code: Mã xã | commune code (ma_xa)
-- column commune_name: Tên xã, phường | commune name
-- column task_code: Mã nhiệm vụ | task code (NV01..NV16)
-- column task_name: Tên nhiệm vụ | task name
-- column is_done: Đã hoàn thành | the task is done at the snapshot
-- column updated_on: Ngày cập nhật | when the commune last updated the task
-- column tasks_done: Số nhiệm vụ hoàn thành | tasks the commune has done at the snapshot
-- column tasks_total: Tổng số nhiệm vụ | tasks assigned to the commune
-- column completion_pct: Tỷ lệ hoàn thành (%) | tasks_done / tasks_total, percent
-- column below_70pct: Dưới 70% | completion below 70%
-- column is_latest: Kỳ mới nhất | the snapshot is the latest one
{{ config(materialized='table') }}
WITH t AS (
    SELECT t.snapshot_date, t.commune_code, coalesce(u.unit_name, t.commune_name) AS commune_name,
           t.task_code, t.task_name, t.is_done, t.updated_on
    FROM {{ source('core', 'commune_tasks') }} t
    JOIN {{ source('ref', 'units') }} u
      ON u.unit_code = t.commune_code AND u.province_code = '{{ var("home_province") }}'
),
per_commune AS (
    SELECT snapshot_date, commune_code, count(*)::BIGINT AS tasks_total,
           count(*) FILTER (WHERE is_done)::BIGINT AS tasks_done
    FROM t GROUP BY ALL
)
SELECT t.snapshot_date, t.commune_code, t.commune_name, t.task_code, t.task_name, coalesce(t.is_done, false) AS is_done,
       t.updated_on, p.tasks_done, p.tasks_total,
       CASE WHEN p.tasks_total > 0 THEN round(100.0 * p.tasks_done / p.tasks_total, 2)::DECIMAL(12, 2) END
           AS completion_pct,
       p.tasks_done < 0.7 * p.tasks_total AS below_70pct,
       t.snapshot_date = max(t.snapshot_date) OVER () AS is_latest
FROM t
JOIN per_commune p USING (snapshot_date, commune_code)
ORDER BY t.snapshot_date, p.tasks_done, t.commune_code, t.task_code
