-- marts.online_ratio_definitions under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT province_code AS "Mã tỉnh",
       is_home AS "Tỉnh nhà",
       {{ level_key_vi('level_key') }} AS "Mã cấp",
       {{ level_label('level_key') }} AS "Cấp",
       ratio_definition  AS "Định nghĩa tỷ lệ",
       definition_text   AS "Cách tính",
       numerator         AS "Tử số",
       denominator       AS "Mẫu số",
       sync_ratio        AS "Tỷ lệ đồng bộ",
       ratio_pct         AS "Tỷ lệ (%)"
FROM {{ ref('online_ratio_definitions').include(database=False) }}
ORDER BY province_code, {{ level_order('level_key') }}, ratio_definition
