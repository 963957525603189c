-- Dossiers and online ratio per province-level agency of the home province (definition A), ranked; grain
-- unit_code. Documentation and tests: schema.yml.
WITH a AS (
    SELECT u.unit_code, u.unit_name,
           count(f.dossier_code) AS received, count(f.dossier_code) FILTER (WHERE f.is_online) AS online,
           count(f.dossier_code) FILTER (WHERE f.is_returned) AS returned,
           {{ pct('count(f.dossier_code) FILTER (WHERE f.is_online)', 'count(f.dossier_code)') }} AS online_ratio_pct,
           {{ pct('count(f.dossier_code) FILTER (WHERE f.on_time)', 'count(f.on_time)') }} AS on_time_pct
    FROM {{ source('ref', 'units') }} u
    LEFT JOIN {{ ref('fct_case_files') }} f ON f.unit_code = u.unit_code AND f.counted
    WHERE u.level = 'province' AND u.province_code = {{ param('home_province') }}
    GROUP BY ALL
)
SELECT *, rank() OVER (ORDER BY online_ratio_pct DESC NULLS LAST) AS rank
FROM a ORDER BY rank, unit_code
