-- In every province, province-wide counts are the province-level agencies' plus the communes' (every dossier is at
-- one level), and each province has its three levels.
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'online_ratio_by_level'}}}) }}
WITH lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }}),
w AS (SELECT * FROM lv WHERE level_key = 'province_wide'),
parts AS (
    SELECT province_code, sum(received) AS received, sum(online) AS online, sum(returned) AS returned,
           count(*) AS levels
    FROM lv WHERE level_key IN ('province_agencies', 'commune') GROUP BY province_code
)
SELECT province_code, w.received, parts.received AS parts_received, w.online, parts.online AS parts_online,
       w.returned, parts.returned AS parts_returned, parts.levels
FROM w FULL JOIN parts USING (province_code)
WHERE w.received IS DISTINCT FROM parts.received OR w.online IS DISTINCT FROM parts.online
   OR w.returned IS DISTINCT FROM parts.returned OR parts.levels IS DISTINCT FROM 2
