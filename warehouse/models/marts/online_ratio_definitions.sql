-- The online ratio of the home province under each of the four definitions, per level;
-- grain (level_key, ratio_definition). Documentation and tests: schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted AND province_code = {{ param('home_province') }}
),
levels AS (
    SELECT 'province_wide' AS level_key, {{ level_label("'province_wide'") }} AS level_label, 1 AS ord, * FROM f
    UNION ALL
    SELECT 'province_agencies', {{ level_label("'province_agencies'") }}, 2, * FROM f WHERE level = 'province'
    UNION ALL
    SELECT 'commune', {{ level_label("'commune'") }}, 3, * FROM f WHERE level = 'commune'
),
defs(ratio_definition) AS (VALUES ('A'), ('B'), ('C'), ('D')),
counted AS (
    SELECT l.level_key, l.level_label, l.ord, d.ratio_definition,
           count(*) FILTER (WHERE {{ in_numerator('d.ratio_definition', 'l.is_online', 'l.muc_do') }}) AS numerator,
           count(*) FILTER (WHERE {{ in_denominator('d.ratio_definition', 'l.channel', 'l.muc_do') }}) AS denominator,
           avg(CASE WHEN l.synced_to_portal THEN 1.0 ELSE 0.0 END) AS sync_ratio
    FROM levels l CROSS JOIN defs d
    GROUP BY ALL
)
SELECT level_key, level_label, ratio_definition, {{ definition_text('ratio_definition') }} AS definition_text,
       numerator, denominator, round(sync_ratio, 6) AS sync_ratio,
       CASE WHEN ratio_definition = 'D'
            THEN round(100.0 * numerator / nullif(denominator, 0) * sync_ratio, 2)::DECIMAL(12, 2)
            ELSE {{ pct('numerator', 'denominator') }} END AS ratio_pct
FROM counted
ORDER BY ord, ratio_definition
