-- marts.ratio_by_agency under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       rank              AS "Xếp hạng",
       unit_code         AS "Mã đơn vị",
       unit_name         AS "Tên sở, ngành",
       received          AS "Số hồ sơ tiếp nhận",
       online            AS "Số hồ sơ trực tuyến",
       returned          AS "Số hồ sơ đã trả",
       online_ratio_pct  AS "Tỷ lệ nộp trực tuyến (%)",
       on_time_pct       AS "Tỷ lệ đúng hạn (%)"
FROM {{ ref('ratio_by_agency').include(database=False) }}
ORDER BY province_code, rank, unit_code
