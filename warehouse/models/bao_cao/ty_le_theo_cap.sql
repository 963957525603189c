-- marts.online_ratio_by_level under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       {{ level_key_vi('level_key') }} AS "Mã cấp",
       {{ level_label('level_key') }} AS "Cấp",
       received           AS "Số hồ sơ tiếp nhận",
       online             AS "Số hồ sơ trực tuyến",
       online_ratio_pct   AS "Tỷ lệ nộp trực tuyến (%)",
       returned           AS "Số hồ sơ đã trả",
       ratio_definition   AS "Định nghĩa tỷ lệ",
       definition_text    AS "Cách tính",
       numerator          AS "Tử số",
       denominator        AS "Mẫu số",
       formula            AS "Công thức",
       window_start       AS "Từ thời điểm",
       window_end         AS "Đến trước thời điểm"
FROM {{ ref('online_ratio_by_level').include(database=False) }}
ORDER BY province_code, {{ level_order('level_key') }}
