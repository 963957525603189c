-- data_quality.snapshot_info under Vietnamese column names (docs, tests: chat_luong_du_lieu.yml). The table
-- is named without its database, so the view binds to the tables of the database that holds it (warehouse or
-- snapshot).
SELECT built_at              AS "Thời điểm tạo số liệu",
       window_start          AS "Từ thời điểm",
       window_end            AS "Đến trước thời điểm",
       ratio_definition      AS "Định nghĩa tỷ lệ",
       definition_text       AS "Cách tính",
       home_province         AS "Mã tỉnh",
       home_province_name    AS "Tên tỉnh",
       commune_target_pct    AS "Chỉ tiêu cấp xã (%)",
       code_version          AS "Phiên bản mã nguồn",
       loads_succeeded       AS "Số lần nạp thành công",
       last_load_id          AS "Lần nạp cuối",
       last_load_finished_at AS "Kết thúc lần nạp cuối"
FROM {{ ref('snapshot_info').include(database=False) }}
