-- Question: what is the on-time rate of each commune of the home province, under the national portal's rule and the
-- provincial vendor's?
-- Source: marts.indicators (indicator 2.1, the reporting window, grain unit), the home province from
-- marts.indicator_ranking (is_home). Rules (docs/indicators.md): P counts a dossier on time when it ended (processed,
-- returned, refused or a first supplement request) by its due date, is still open and not yet past due at the window
-- end, or has no due date, over the received dossiers except withdrawn ones; V counts finished dossiers processed by
-- their due date (or without one) over the finished dossiers.
-- How to read the result: one row per commune with dossiers, the lowest P rate first; add
-- WHERE commune_name = '...' for one commune. A commune whose every dossier is open has no V rate.
WITH home AS (SELECT DISTINCT province_code AS home_province FROM marts.indicator_ranking WHERE is_home),
ot AS (
    SELECT i.grain_key, i.grain_label, i.definition, i.numerator, i.denominator, i.value_pct
    FROM marts.indicators i, home
    WHERE i.province_code = home.home_province AND i.grain = 'unit' AND i.period_type = 'window'
      AND i.indicator = '2.1'
)
SELECT p.grain_key AS unit_code,
       p.grain_label AS commune_name,
       p.numerator AS on_time_p,
       p.denominator AS assessed_p,
       p.value_pct AS on_time_pct_p,
       v.numerator AS on_time_v,
       v.denominator AS finished_v,
       v.value_pct AS on_time_pct_v
FROM ot p
JOIN ot v ON v.grain_key = p.grain_key AND v.definition = 'V'
JOIN marts.online_ratio_by_commune c ON c.unit_code = p.grain_key AND c.is_home  -- the home province's communes
WHERE p.definition = 'P'
ORDER BY on_time_pct_p ASC NULLS FIRST, unit_code;
