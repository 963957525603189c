-- Question: what share of the dossiers that carry a fee was paid online, month by month and over the window,
-- province-wide, at province-level agencies and at commune level?
-- Source: marts.indicators (indicator 3.6, definition P: DuocThanhToanTrucTuyen 1 or 2 over the received dossiers
-- with at least one fee above 0), the home province from marts.indicator_ranking (is_home).
-- How to read the result: one row per level and period (months first, then the window). not_from_portal counts the
-- fee-bearing dossiers known only from a provincial export: they carry no payment field, so they count as not paid
-- online; a large number there means the ratio understates the level.
WITH home AS (SELECT DISTINCT province_code AS home_province FROM marts.indicator_ranking WHERE is_home)
SELECT i.grain AS level,
       i.grain_label AS level_label,
       i.period_type,
       i.period_key,
       i.numerator AS paid_online,
       i.denominator AS with_fee,
       i.value_pct AS paid_online_pct,
       i.not_from_portal
FROM marts.indicators i, home
WHERE i.province_code = home.home_province AND i.indicator = '3.6'
  AND i.grain IN ('province', 'province_agencies', 'communes') AND i.period_type IN ('month', 'window')
ORDER BY CASE i.grain WHEN 'province' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END,
         i.period_type = 'window', i.period_key;
