-- In every province, the headline under the configured definition is the same row of online_ratio_definitions, and
-- the daily trend adds up to it: its last cumulative counts per level are the headline's received and online.
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'online_ratio_by_level'}}}) }}
WITH lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }}),
d AS (SELECT * FROM {{ ref('online_ratio_definitions') }}),
t AS (
    SELECT province_code, level_key, sum(received) AS received, sum(online) AS online,
           max(cumulative_received) AS cumulative_received, max(cumulative_online) AS cumulative_online
    FROM {{ ref('daily_trend') }} GROUP BY province_code, level_key
)
SELECT lv.province_code, lv.level_key, 'definitions' AS compared_with
FROM lv LEFT JOIN d
    ON d.province_code = lv.province_code AND d.level_key = lv.level_key AND d.ratio_definition = lv.ratio_definition
WHERE d.level_key IS NULL OR lv.numerator <> d.numerator OR lv.denominator <> d.denominator
   OR lv.online_ratio_pct IS DISTINCT FROM d.ratio_pct
UNION ALL
SELECT lv.province_code, lv.level_key, 'daily_trend'
FROM lv LEFT JOIN t USING (province_code, level_key)
WHERE lv.received > 0 AND (t.level_key IS NULL OR t.received <> lv.received OR t.online <> lv.online
                           OR t.cumulative_received <> lv.received OR t.cumulative_online <> lv.online)
