-- Province-wide counts are the province-level agencies' plus the communes' (every dossier is at one level).
-- In Dagster this is a check of the model named here (it also reads fct_case_files):
{{ config(meta={'dagster': {'ref': {'name': 'online_ratio_by_level'}}}) }}
WITH lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }}),
w AS (SELECT * FROM lv WHERE level_key = 'province_wide'),
parts AS (
    SELECT sum(received) AS received, sum(online) AS online, sum(returned) AS returned, count(*) AS levels
    FROM lv WHERE level_key IN ('province_agencies', 'commune')
)
SELECT w.received, parts.received AS parts_received, w.online, parts.online AS parts_online,
       w.returned, parts.returned AS parts_returned, parts.levels
FROM w, parts
WHERE w.received <> parts.received OR w.online <> parts.online OR w.returned <> parts.returned
   OR parts.levels <> 2
UNION ALL
-- one province-wide row whenever the table has rows (it has none when the home province has no counted dossier)
SELECT NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM w
HAVING count(*) <> 1 AND (SELECT count(*) FROM lv) > 0
