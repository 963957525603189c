-- data_quality.rejections_by_reason under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT outcome        AS "Kết quả",
       source_format  AS "Loại nguồn",
       reason_pattern AS "Lý do",
       files          AS "Số tệp",
       example_file   AS "Tệp ví dụ"
FROM {{ ref('rejections_by_reason').include(database=False) }}
ORDER BY outcome, files DESC, source_format, reason_pattern
