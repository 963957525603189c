-- Every commune of every province with counted dossiers and of the home province (from the reference list, so a
-- commune with no dossier still shows), its dossiers, online ratio under the configured definition, and rank in its
-- province; grain unit_code (a commune belongs to one province). Documentation and tests: schema.yml.
WITH f AS (
    SELECT * FROM {{ ref('fct_case_files') }} WHERE counted
),
c AS (
    SELECT u.province_code, u.unit_code, u.unit_name, u.unit_kind,
           count(f.dossier_code) AS received,
           count(f.dossier_code) FILTER (WHERE f.is_online) AS online,
           count(f.dossier_code) FILTER (WHERE {{ in_numerator(param('ratio_definition'), 'f.is_online', 'f.muc_do') }}) AS numerator,
           count(f.dossier_code) FILTER (WHERE {{ in_denominator(param('ratio_definition'), 'f.channel', 'f.muc_do') }}) AS denominator,
           avg(CASE WHEN f.synced_to_portal THEN 1.0 WHEN f.dossier_code IS NOT NULL THEN 0.0 END) AS sync_ratio
    FROM {{ source('ref', 'units') }} u
    LEFT JOIN f ON f.unit_code = u.unit_code
    WHERE u.level = 'commune' AND u.province_code IN {{ mart_provinces() }}
    GROUP BY ALL
),
r AS (
    SELECT *, CASE WHEN {{ param('ratio_definition') }} = 'D'
                   THEN round(100.0 * numerator / nullif(denominator, 0) * sync_ratio, 2)::DECIMAL(12, 2)
                   ELSE {{ pct('numerator', 'denominator') }} END AS online_ratio_pct
    FROM c
)
SELECT province_code, province_code = {{ param('home_province') }} AS is_home,
       unit_code, unit_name, unit_kind, received, online, {{ param('ratio_definition') }} AS ratio_definition,
       numerator, denominator, online_ratio_pct,
       rank() OVER (PARTITION BY province_code ORDER BY online_ratio_pct DESC NULLS LAST) AS rank,
       {{ param('commune_target_pct') }}::DECIMAL(12, 2) AS target_pct,
       coalesce(online_ratio_pct >= {{ param('commune_target_pct') }}, false) AS meets_target
FROM r
ORDER BY province_code, rank, unit_code
