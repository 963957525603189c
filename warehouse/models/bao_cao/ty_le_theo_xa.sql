-- marts.online_ratio_by_commune under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       rank               AS "Xếp hạng",
       unit_code          AS "Mã xã",
       unit_name          AS "Tên xã, phường",
       unit_kind          AS "Loại",
       received           AS "Số hồ sơ tiếp nhận",
       online             AS "Số hồ sơ trực tuyến",
       online_ratio_pct   AS "Tỷ lệ nộp trực tuyến (%)",
       target_pct         AS "Chỉ tiêu (%)",
       meets_target       AS "Đạt chỉ tiêu",
       ratio_definition   AS "Định nghĩa tỷ lệ",
       numerator          AS "Tử số",
       denominator        AS "Mẫu số"
FROM {{ ref('online_ratio_by_commune').include(database=False) }}
ORDER BY province_code, rank, unit_code
