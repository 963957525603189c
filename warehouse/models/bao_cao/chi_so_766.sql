-- marts.indicators under Vietnamese column names (documentation and tests: schema.yml). The mart is named without
-- its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code      AS "Mã tỉnh",
       grain              AS "Cấp tổng hợp",
       grain_key          AS "Mã đơn vị",
       grain_label        AS "Tên",
       period_type        AS "Loại kỳ",
       period_key         AS "Kỳ",
       indicator          AS "Mã chỉ số",
       definition         AS "Cách tính",
       label_vi           AS "Tên chỉ số",
       provenance         AS "Nguồn cách tính",
       numerator          AS "Tử số",
       denominator        AS "Mẫu số",
       value_pct          AS "Giá trị (%)",
       full_score_at_pct  AS "Đạt điểm tối đa khi (%)",
       not_from_portal    AS "Hồ sơ không từ Cổng",
       as_of              AS "Tính đến thời điểm"
FROM {{ ref('indicators').include(database=False) }}
ORDER BY province_code, grain, grain_key, period_type, period_key, indicator, definition
