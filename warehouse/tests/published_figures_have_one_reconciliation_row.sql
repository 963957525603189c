-- Every figure of the published report has exactly one row in the reconciliation, and the reconciliation has no
-- row for a figure the report does not have. Rows returned = failures.
-- In Dagster this is a check of the model named here:
{{ config(meta={'dagster': {'ref': {'name': 'published_reconciliation'}}}) }}
WITH n AS (
    SELECT p.figure_id, count(r.figure_id) AS rows_in_reconciliation
    FROM {{ source('ref', 'published_figures') }} p
    LEFT JOIN {{ ref('published_reconciliation') }} r USING (figure_id)
    GROUP BY p.figure_id
)
SELECT figure_id, rows_in_reconciliation FROM n WHERE rows_in_reconciliation <> 1
UNION ALL
SELECT r.figure_id, NULL FROM {{ ref('published_reconciliation') }} r
WHERE r.figure_id NOT IN (SELECT figure_id FROM {{ source('ref', 'published_figures') }})
