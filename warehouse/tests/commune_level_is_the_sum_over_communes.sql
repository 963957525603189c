-- In every province, the commune level of the headline equals the sum over its communes of online_ratio_by_commune
-- (received, online, numerator and denominator under the configured definition); likewise the province-level
-- agencies and ratio_by_agency (received, online).
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'online_ratio_by_level'}}}) }}
WITH c AS (
    SELECT province_code, sum(received) AS received, sum(online) AS online, sum(numerator) AS numerator,
           sum(denominator) AS denominator
    FROM {{ ref('online_ratio_by_commune') }} GROUP BY province_code
),
a AS (
    SELECT province_code, sum(received) AS received, sum(online) AS online
    FROM {{ ref('ratio_by_agency') }} GROUP BY province_code
),
lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }})
SELECT lv.province_code, 'commune' AS level_key, lv.received, c.received AS summed_received, lv.online,
       c.online AS summed_online
FROM lv LEFT JOIN c USING (province_code)
WHERE lv.level_key = 'commune'
  AND (lv.received <> coalesce(c.received, 0) OR lv.online <> coalesce(c.online, 0)
       OR lv.numerator <> coalesce(c.numerator, 0) OR lv.denominator <> coalesce(c.denominator, 0))
UNION ALL
SELECT lv.province_code, 'province_agencies', lv.received, a.received, lv.online, a.online
FROM lv LEFT JOIN a USING (province_code)
WHERE lv.level_key = 'province_agencies'
  AND (lv.received <> coalesce(a.received, 0) OR lv.online <> coalesce(a.online, 0))
