-- marts.daily_trend under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT received_date         AS "Ngày tiếp nhận",
       level_key             AS "Mã cấp",
       CASE level_key WHEN 'province_wide' THEN 'Toàn tỉnh' WHEN 'province_agencies' THEN 'Cấp tỉnh (sở, ngành)'
                      WHEN 'commune' THEN 'Cấp xã' END AS "Cấp",
       received              AS "Số hồ sơ tiếp nhận",
       online                AS "Số hồ sơ trực tuyến",
       online_ratio_pct      AS "Tỷ lệ trong ngày (%)",
       cumulative_received   AS "Lũy kế tiếp nhận",
       cumulative_online     AS "Lũy kế trực tuyến",
       cumulative_ratio_pct  AS "Tỷ lệ lũy kế (%)"
FROM {{ ref('daily_trend').include(database=False) }}
ORDER BY CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END, received_date
