-- The reconciliation recomputes the published figures from the headline mart: a figure that claims the
-- province-wide, province-agency or commune count (received, online) shows exactly the count of
-- online_ratio_by_level, and its match flag says whether the published value equals it.
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'published_reconciliation'}}}) }}
WITH lv AS (SELECT * FROM {{ ref('online_ratio_by_level') }} WHERE is_home),
expected(claimed_metric, value) AS (
    SELECT 'received.' || level_key, received FROM lv
    UNION ALL SELECT 'online.' || level_key, online FROM lv
)
SELECT r.figure_id, r.claimed_metric, r.recomputed_value, e.value AS headline_value, r.matches
FROM {{ ref('published_reconciliation') }} r
JOIN expected e USING (claimed_metric)
WHERE r.recomputed_value IS DISTINCT FROM e.value
   OR r.matches IS DISTINCT FROM (r.published_value = e.value)
