-- marts.daily_trend under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       received_date         AS "Ngày tiếp nhận",
       {{ level_key_vi('level_key') }} AS "Mã cấp",
       {{ level_label('level_key') }} AS "Cấp",
       received              AS "Số hồ sơ tiếp nhận",
       online                AS "Số hồ sơ trực tuyến",
       online_ratio_pct      AS "Tỷ lệ trong ngày (%)",
       cumulative_received   AS "Lũy kế tiếp nhận",
       cumulative_online     AS "Lũy kế trực tuyến",
       cumulative_ratio_pct  AS "Tỷ lệ lũy kế (%)"
FROM {{ ref('daily_trend').include(database=False) }}
ORDER BY province_code, {{ level_order('level_key') }}, received_date
