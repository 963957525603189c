-- The headline: received, online and the online ratio of the home province at each level, under the configured
-- definition; grain level_key. Documentation and tests: schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted AND province_code = {{ param('home_province') }}
),
plain AS (
    SELECT 'province_wide' AS level_key, count(*) AS received, count(*) FILTER (WHERE is_online) AS online,
           count(*) FILTER (WHERE is_returned) AS returned FROM f
    UNION ALL
    SELECT 'province_agencies', count(*), count(*) FILTER (WHERE is_online), count(*) FILTER (WHERE is_returned)
    FROM f WHERE level = 'province'
    UNION ALL
    SELECT 'commune', count(*), count(*) FILTER (WHERE is_online), count(*) FILTER (WHERE is_returned)
    FROM f WHERE level = 'commune'
)
SELECT d.level_key, d.level_label, p.received, p.online, p.returned,
       d.ratio_definition, d.definition_text, d.numerator, d.denominator, d.ratio_pct AS online_ratio_pct,
       {{ vn_int('d.numerator') }} || ' / ' || {{ vn_int('d.denominator') }}
           || CASE WHEN d.ratio_definition = 'D' THEN ' × ' || {{ vn_dec('d.sync_ratio', 4) }} ELSE '' END AS formula,
       {{ param('window_start_local') }} AS window_start, {{ param('window_end_local') }} AS window_end
FROM {{ ref('online_ratio_definitions') }} d
JOIN plain p USING (level_key)
WHERE d.ratio_definition = {{ param('ratio_definition') }}
ORDER BY {{ level_order('d.level_key') }}
