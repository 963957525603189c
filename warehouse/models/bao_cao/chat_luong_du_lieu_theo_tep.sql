-- data_quality.file_outcomes under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT file_path           AS "Tệp",
       source_format       AS "Loại nguồn",
       outcome             AS "Kết quả",
       reason              AS "Lý do",
       records_read        AS "Số bản ghi đọc được",
       records_loaded      AS "Số bản ghi đã nạp",
       records_quarantined AS "Số bản ghi bị cách ly",
       records_warned      AS "Số bản ghi có cảnh báo",
       quarantined_pct     AS "Tỷ lệ cách ly (%)",
       size_bytes          AS "Kích thước (byte)",
       load_id             AS "Mã lần nạp",
       load_started_at     AS "Thời điểm nạp",
       file_sha256         AS "Mã băm tệp"
FROM {{ ref('file_outcomes').include(database=False) }}
ORDER BY file_path, file_sha256
