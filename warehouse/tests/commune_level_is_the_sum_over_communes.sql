-- The commune level of the headline equals the sum over the communes of online_ratio_by_commune (received,
-- online, numerator and denominator under the configured definition); likewise the province-level agencies and
-- ratio_by_agency (received, online).
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'online_ratio_by_level'}}}) }}
WITH c AS (
    SELECT sum(received) AS received, sum(online) AS online, sum(numerator) AS numerator,
           sum(denominator) AS denominator
    FROM {{ ref('online_ratio_by_commune') }}
),
a AS (SELECT sum(received) AS received, sum(online) AS online FROM {{ ref('ratio_by_agency') }}),
lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }})
SELECT 'commune' AS level_key, lv.received, c.received AS summed_received, lv.online, c.online AS summed_online
FROM lv, c
WHERE lv.level_key = 'commune'
  AND (lv.received <> c.received OR lv.online <> c.online
       OR lv.numerator <> c.numerator OR lv.denominator <> c.denominator)
UNION ALL
SELECT 'province_agencies', lv.received, a.received, lv.online, a.online
FROM lv, a
WHERE lv.level_key = 'province_agencies' AND (lv.received <> a.received OR lv.online <> a.online)
