-- data_quality.issues_by_reason under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT entity              AS "Đối tượng",
       reason              AS "Lý do",
       severity            AS "Mức độ",
       records_quarantined AS "Số bản ghi bị cách ly",
       records_resolved    AS "Số bản ghi đã được sửa",
       records_flagged     AS "Số bản ghi vi phạm",
       failed_checks       AS "Số lần kiểm tra không đạt",
       files_affected      AS "Số tệp bị ảnh hưởng"
FROM {{ ref('issues_by_reason').include(database=False) }}
ORDER BY severity, records_quarantined DESC, records_flagged DESC, entity, reason
