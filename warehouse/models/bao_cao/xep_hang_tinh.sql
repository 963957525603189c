-- marts.province_ranking under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT snapshot_date              AS "Ngày số liệu",
       online_rank                AS "Hạng trực tuyến",
       province_code              AS "Mã tỉnh",
       province_name              AS "Tên tỉnh",
       is_home                    AS "Tỉnh báo cáo",
       online_ratio_pct           AS "Tỷ lệ nộp trực tuyến (%)",
       online_rank_change         AS "Thay đổi hạng trực tuyến",
       commune_task_pct           AS "Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)",
       task_rank                  AS "Hạng nhiệm vụ cấp xã",
       task_rank_change           AS "Thay đổi hạng nhiệm vụ",
       reported_online_ratio_pct  AS "Tỷ lệ trực tuyến theo bảng quốc gia (%)",
       reported_commune_task_pct  AS "Tỷ lệ nhiệm vụ theo bảng quốc gia (%)",
       provinces                  AS "Số tỉnh"
FROM {{ ref('province_ranking').include(database=False) }}
ORDER BY snapshot_date, online_rank, province_code
