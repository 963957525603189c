-- Question: how much does the choice of definition change the online ratio, at each level?
-- Source: marts.online_ratio_definitions, the home province's rows (is_home). The four definitions in use: A online / all received (the report's);
-- B online / received for online-capable procedures (MucDo 3, 4); C online / (online + in person), postal left out;
-- D = A x the sync ratio (share of the dossiers that reached the national portal).
-- How to read the result: one row per level (province-wide, province-level agencies, communes), the four ratios side
-- by side in percent, then the denominators behind them (received = A's and D's, online_capable_received = B's,
-- online_or_in_person = C's), the numerator online (A, C, D) and online_capable_online (B), the sync ratio, and
-- spread_pts = highest - lowest of the four: how many percentage points the definition alone moves the figure.
SELECT level_key,
       level_label,
       max(ratio_pct) FILTER (WHERE ratio_definition = 'A') AS ratio_a_pct,
       max(ratio_pct) FILTER (WHERE ratio_definition = 'B') AS ratio_b_pct,
       max(ratio_pct) FILTER (WHERE ratio_definition = 'C') AS ratio_c_pct,
       max(ratio_pct) FILTER (WHERE ratio_definition = 'D') AS ratio_d_pct,
       max(numerator) FILTER (WHERE ratio_definition = 'A') AS online,
       max(denominator) FILTER (WHERE ratio_definition = 'A') AS received,
       max(numerator) FILTER (WHERE ratio_definition = 'B') AS online_capable_online,
       max(denominator) FILTER (WHERE ratio_definition = 'B') AS online_capable_received,
       max(denominator) FILTER (WHERE ratio_definition = 'C') AS online_or_in_person,
       max(sync_ratio) AS sync_ratio,
       max(ratio_pct) - min(ratio_pct) AS spread_pts
FROM marts.online_ratio_definitions
WHERE is_home
GROUP BY level_key, level_label
ORDER BY CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END;
