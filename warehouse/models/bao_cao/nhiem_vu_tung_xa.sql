-- marts.commune_task_status under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT snapshot_date   AS "Ngày số liệu",
       commune_code    AS "Mã xã",
       commune_name    AS "Tên xã, phường",
       task_code       AS "Mã nhiệm vụ",
       task_name       AS "Tên nhiệm vụ",
       is_done         AS "Đã hoàn thành",
       updated_on      AS "Ngày cập nhật",
       tasks_done      AS "Số nhiệm vụ hoàn thành",
       tasks_total     AS "Tổng số nhiệm vụ",
       completion_pct  AS "Tỷ lệ hoàn thành (%)",
       below_70pct     AS "Dưới 70%",
       is_latest       AS "Kỳ mới nhất"
FROM {{ ref('commune_task_status').include(database=False) }}
ORDER BY snapshot_date, tasks_done, commune_code, task_code
