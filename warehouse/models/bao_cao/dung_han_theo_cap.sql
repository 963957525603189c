-- marts.on_time_by_level under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       {{ level_key_vi('level_key') }} AS "Mã cấp",
       {{ level_label('level_key') }} AS "Cấp",
       received           AS "Số hồ sơ tiếp nhận",
       processed          AS "Số hồ sơ đã xử lý",
       processed_on_time  AS "Đúng hạn",
       processed_late     AS "Trễ hạn",
       on_time_pct        AS "Tỷ lệ đúng hạn (%)",
       open               AS "Đang giải quyết",
       open_overdue       AS "Quá hạn",
       open_within_due    AS "Trong hạn",
       overdue_pct        AS "Tỷ lệ quá hạn (%)",
       not_assessed       AS "Không xét",
       as_of              AS "Tính đến thời điểm"
FROM {{ ref('on_time_by_level').include(database=False) }}
ORDER BY province_code, {{ level_order('level_key') }}
