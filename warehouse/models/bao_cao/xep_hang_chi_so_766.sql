-- marts.indicator_ranking under Vietnamese column names (documentation and tests: schema.yml).
SELECT period_type       AS "Loại kỳ",
       period_key        AS "Kỳ",
       indicator         AS "Mã chỉ số",
       definition        AS "Cách tính",
       rank              AS "Thứ hạng",
       province_code     AS "Mã tỉnh",
       province_name     AS "Tên tỉnh",
       is_home           AS "Tỉnh báo cáo",
       value_pct         AS "Giá trị (%)",
       numerator         AS "Tử số",
       denominator       AS "Mẫu số",
       from_records      AS "Tính từ hồ sơ",
       rank_change       AS "Thay đổi thứ hạng",
       provinces_ranked  AS "Số tỉnh được xếp hạng"
FROM {{ ref('indicator_ranking').include(database=False) }}
ORDER BY period_type, period_key, indicator, definition, rank NULLS LAST, province_code
