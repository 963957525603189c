-- marts.commune_task_progress under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT snapshot_date   AS "Ngày số liệu",
       tasks_done      AS "Số nhiệm vụ hoàn thành",
       tasks_total     AS "Tổng số nhiệm vụ",
       communes        AS "Số xã",
       share_pct       AS "Tỷ lệ số xã (%)",
       completion_pct  AS "Tỷ lệ hoàn thành (%)",
       below_70pct     AS "Dưới 70%"
FROM {{ ref('commune_task_progress').include(database=False) }}
ORDER BY snapshot_date, tasks_done DESC
