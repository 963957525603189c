-- marts.indicators holds together: a numerator never exceeds its denominator; a province's figures are its agencies'
-- plus its communes', and the sum over its units (dossier counts; 3.2 counts procedures).
{{ config(meta={'dagster': {'ref': {'name': 'indicators'}}}) }}
WITH i AS (SELECT * FROM {{ ref('indicators') }}),
over AS (
    SELECT 'numerator above denominator' AS problem, province_code, grain, grain_key, period_type, period_key,
           indicator, definition
    FROM i WHERE numerator > denominator OR not_from_portal > denominator
),
parts AS (
    SELECT province_code, period_type, period_key, indicator, definition, grain = 'unit' AS by_unit,
           sum(numerator) AS numerator, sum(denominator) AS denominator
    FROM i WHERE grain IN ('province_agencies', 'communes', 'unit')
      AND indicator <> '3.2'  -- counts procedures: one procedure can be in use at several units
    GROUP BY ALL
),
unequal_parts AS (
    SELECT CASE WHEN p.by_unit THEN 'units do not add up' ELSE 'levels do not add up' END,
           w.province_code, 'province', w.grain_key, w.period_type, w.period_key, w.indicator, w.definition
    FROM i w JOIN parts p USING (province_code, period_type, period_key, indicator, definition)
    WHERE w.grain = 'province' AND (w.numerator <> p.numerator OR w.denominator <> p.denominator)
)
SELECT * FROM over UNION ALL SELECT * FROM unequal_parts
