-- data_quality.load_summary under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT load_seq                       AS "Lần nạp thứ",
       load_id                        AS "Mã lần nạp",
       started_at                     AS "Bắt đầu",
       finished_at                    AS "Kết thúc",
       status                         AS "Trạng thái",
       partition_range                AS "Khoảng ngày",
       files                          AS "Số tệp",
       files_loaded                   AS "Số tệp đã nạp",
       files_rejected                 AS "Số tệp bị từ chối",
       files_duplicate                AS "Số tệp trùng lặp",
       records_read                   AS "Số bản ghi đọc được",
       records_loaded                 AS "Số bản ghi đã nạp",
       records_quarantined            AS "Số bản ghi bị cách ly",
       records_warned                 AS "Số bản ghi có cảnh báo",
       quarantined_pct                AS "Tỷ lệ cách ly (%)",
       cumulative_records_read        AS "Lũy kế bản ghi đọc được",
       cumulative_records_loaded      AS "Lũy kế bản ghi đã nạp",
       cumulative_records_quarantined AS "Lũy kế bản ghi bị cách ly",
       cumulative_quarantined_pct     AS "Tỷ lệ cách ly lũy kế (%)",
       seconds                        AS "Thời gian nạp (giây)"
FROM {{ ref('load_summary').include(database=False) }}
ORDER BY load_seq
