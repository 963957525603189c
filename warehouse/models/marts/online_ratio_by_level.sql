-- The headline: received, online and the online ratio of each province at each level, under the configured
-- definition; grain (province_code, level_key); the home province's rows are the report's. Documentation and tests:
-- schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted
),
levels AS (
    SELECT province_code, 'province_wide' AS level_key, is_online, is_returned FROM f
    UNION ALL
    SELECT province_code, 'province_agencies', is_online, is_returned FROM f WHERE level = 'province'
    UNION ALL
    SELECT province_code, 'commune', is_online, is_returned FROM f WHERE level = 'commune'
),
plain AS (
    SELECT province_code, level_key, count(*) AS received, count(*) FILTER (WHERE is_online) AS online,
           count(*) FILTER (WHERE is_returned) AS returned
    FROM levels GROUP BY ALL
)
SELECT d.province_code, d.is_home, d.level_key, d.level_label, coalesce(p.received, 0) AS received,
       coalesce(p.online, 0) AS online, coalesce(p.returned, 0) AS returned,
       d.ratio_definition, d.definition_text, d.numerator, d.denominator, d.ratio_pct AS online_ratio_pct,
       {{ vn_int('d.numerator') }} || ' / ' || {{ vn_int('d.denominator') }}
           || CASE WHEN d.ratio_definition = 'D' THEN ' × ' || {{ vn_dec('d.sync_ratio', 4) }} ELSE '' END AS formula,
       {{ param('window_start_local') }} AS window_start, {{ param('window_end_local') }} AS window_end
FROM {{ ref('online_ratio_definitions') }} d
LEFT JOIN plain p USING (province_code, level_key)
WHERE d.ratio_definition = {{ param('ratio_definition') }}
ORDER BY d.province_code, {{ level_order('d.level_key') }}
