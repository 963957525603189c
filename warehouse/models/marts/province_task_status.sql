-- The province-level tasks per snapshot; grain snapshot_date. Documentation and tests: schema.yml.
SELECT snapshot_date,
       count(*) AS tasks_total,
       count(*) FILTER (WHERE is_done) AS tasks_done,
       count(*) FILTER (WHERE NOT is_done) AS tasks_in_progress,
       count(*) FILTER (WHERE NOT is_done AND deadline >= snapshot_date) AS in_progress_within_deadline,
       count(*) FILTER (WHERE NOT is_done AND deadline < snapshot_date) AS overdue,
       count(*) FILTER (WHERE NOT is_done AND deadline < snapshot_date) = 0 AS all_on_schedule
FROM {{ source('core', 'province_tasks') }}
GROUP BY snapshot_date
ORDER BY snapshot_date
