-- Dossiers and online ratio per province-level agency of each province (definition A), ranked in its province;
-- grain unit_code (an agency belongs to one province). Documentation and tests: schema.yml.
WITH a AS (
    SELECT u.province_code, u.province_code = {{ param('home_province') }} AS is_home, u.unit_code, u.unit_name,
           count(f.dossier_code) AS received, count(f.dossier_code) FILTER (WHERE f.is_online) AS online,
           count(f.dossier_code) FILTER (WHERE f.is_returned) AS returned,
           {{ pct('count(f.dossier_code) FILTER (WHERE f.is_online)', 'count(f.dossier_code)') }} AS online_ratio_pct,
           {{ pct('count(f.dossier_code) FILTER (WHERE f.on_time)', 'count(f.on_time)') }} AS on_time_pct
    FROM {{ source('ref', 'units') }} u
    LEFT JOIN {{ ref('fct_case_files') }} f ON f.unit_code = u.unit_code AND f.counted
    WHERE u.level = 'province' AND u.province_code IN {{ mart_provinces() }}
    GROUP BY ALL
)
SELECT *, rank() OVER (PARTITION BY province_code ORDER BY online_ratio_pct DESC NULLS LAST) AS rank
FROM a ORDER BY province_code, rank, unit_code
