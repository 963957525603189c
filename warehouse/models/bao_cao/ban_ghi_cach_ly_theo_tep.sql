-- data_quality.quarantine_by_file under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT file_path           AS "Tệp",
       source_format       AS "Loại nguồn",
       entity              AS "Đối tượng",
       reason              AS "Lý do",
       severity            AS "Mức độ",
       records_quarantined AS "Số bản ghi bị cách ly",
       records_resolved    AS "Số bản ghi đã được sửa",
       records_open        AS "Số bản ghi chưa được sửa",
       file_sha256         AS "Mã băm tệp"
FROM {{ ref('quarantine_by_file').include(database=False) }}
ORDER BY file_path, file_sha256, entity, reason
