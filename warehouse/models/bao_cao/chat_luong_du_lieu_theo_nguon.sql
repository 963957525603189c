-- data_quality.format_summary under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT source_format       AS "Loại nguồn",
       files               AS "Số tệp",
       files_loaded        AS "Số tệp đã nạp",
       files_rejected      AS "Số tệp bị từ chối",
       files_duplicate     AS "Số tệp trùng lặp",
       records_read        AS "Số bản ghi đọc được",
       records_loaded      AS "Số bản ghi đã nạp",
       records_quarantined AS "Số bản ghi bị cách ly",
       records_warned      AS "Số bản ghi có cảnh báo",
       quarantined_pct     AS "Tỷ lệ cách ly (%)"
FROM {{ ref('format_summary').include(database=False) }}
ORDER BY source_format
