-- The national ranking of the provinces on each indicator, per period, from records; grain (period_type,
-- period_key, indicator, definition, province_code). Provinces are ranked on value_pct (highest first; equal values
-- share a rank); a province whose denominator is 0 has no value and no rank. For the online ratio (3.3 A) of the
-- window, a province of the national snapshot file whose records are not in the warehouse is ranked on its published
-- value of the latest snapshot (from_records false), so the ranking covers every province the file names.
-- rank_change: the rank in the previous period of the same type minus this one (positive = climbed), only when both
-- periods rank as many provinces (a month where one province alone had dossiers says nothing about a change).
WITH from_records AS (
    SELECT period_type, period_key, indicator, definition, province_code, numerator, denominator, value_pct,
           true AS from_records
    FROM {{ ref('indicators') }}
    WHERE grain = 'province'
),
latest_snapshot AS (
    SELECT * FROM {{ source('core', 'province_snapshot') }}
    WHERE snapshot_date = (SELECT max(snapshot_date) FROM {{ source('core', 'province_snapshot') }})
),
published AS (
    SELECT 'window' AS period_type, 'window' AS period_key, '3.3' AS indicator, 'A' AS definition, s.province_code,
           CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator,
           CAST(s.online_ratio_pct AS DECIMAL(12, 2)) AS value_pct, false AS from_records
    FROM latest_snapshot s
    WHERE s.province_code NOT IN (SELECT province_code FROM from_records)
      AND (SELECT count(*) FROM from_records WHERE period_type = 'window') > 0
),
ranked AS (
    SELECT *,
           CASE WHEN value_pct IS NOT NULL THEN rank() OVER (
               PARTITION BY period_type, period_key, indicator, definition
               ORDER BY value_pct DESC NULLS LAST) END AS rank,
           count(value_pct) OVER (PARTITION BY period_type, period_key, indicator, definition) AS provinces_ranked
    FROM (SELECT * FROM from_records UNION ALL SELECT * FROM published)
)
SELECT r.period_type, r.period_key, r.indicator, r.definition, r.province_code,
       coalesce(u.province_name, s.province_name) AS province_name,
       r.province_code = {{ param('home_province') }} AS is_home,
       r.numerator, r.denominator, r.value_pct, r.from_records, r.rank, r.provinces_ranked,
       CASE WHEN lag(r.provinces_ranked) OVER w = r.provinces_ranked THEN lag(r.rank) OVER w - r.rank END AS rank_change
FROM ranked r
LEFT JOIN (SELECT province_code, min(province_name) AS province_name FROM {{ source('ref', 'units') }} GROUP BY ALL) u
       ON u.province_code = r.province_code
LEFT JOIN latest_snapshot s ON s.province_code = r.province_code
WINDOW w AS (PARTITION BY r.period_type, r.indicator, r.definition, r.province_code ORDER BY r.period_key)
ORDER BY r.period_type, r.period_key, r.indicator, r.definition, r.rank NULLS LAST, r.province_code
