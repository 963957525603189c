-- Question: for each indicator with a full-score value, which communes of the home province are furthest from it?
-- Source: marts.indicators (the reporting window, grain unit) and its full_score_at_pct (3.3 online 50%,
-- 4.2 digitisation 80%, 4.3 reuse 80%), the home province from marts.indicator_ranking (is_home).
-- How to read the result: for each indicator, the five communes with the largest gap_pts = full score value - the
-- commune's value, in percentage points (ties: the larger denominator first, then the code). Only communes below
-- the value appear; a commune without a value (denominator 0) is not listed.
WITH home AS (SELECT DISTINCT province_code AS home_province FROM marts.indicator_ranking WHERE is_home),
gaps AS (
    SELECT i.indicator, i.definition, i.label_vi, i.grain_key AS unit_code, i.grain_label AS commune_name,
           i.numerator, i.denominator, i.value_pct, i.full_score_at_pct,
           i.full_score_at_pct - i.value_pct AS gap_pts
    FROM marts.indicators i
    JOIN home ON i.province_code = home.home_province
    JOIN marts.online_ratio_by_commune c ON c.unit_code = i.grain_key AND c.is_home  -- the home province's communes
    WHERE true AND i.grain = 'unit' AND i.period_type = 'window'
      AND i.full_score_at_pct IS NOT NULL AND i.value_pct < i.full_score_at_pct
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY indicator, definition
                                 ORDER BY gap_pts DESC, denominator DESC, unit_code) AS position
    FROM gaps
)
SELECT indicator, definition, label_vi, position, unit_code, commune_name, numerator, denominator, value_pct,
       full_score_at_pct, gap_pts
FROM ranked
WHERE position <= 5
ORDER BY indicator, definition, position;
