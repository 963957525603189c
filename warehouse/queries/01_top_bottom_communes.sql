-- Question: which 10 communes of the home province have the highest online ratio, and which 10 the lowest?
-- Source: marts.online_ratio_by_commune, the home province's rows (is_home; the configured definition, A by default: online / all received; the
-- definition is named in ratio_definition).
-- How to read the result: one row per commune and list. list = 'top' (position 1 = best ratio) comes first, then
-- list = 'bottom' (position 1 = worst ratio). rank is the commune's rank among all communes of the province (ties
-- share a rank); meets_target says whether it reaches target_pct. Equal ratios are ordered by more dossiers first.
-- Communes that received no dossier have no ratio and are in neither list (05_communes_below_target.sql shows them).
-- When fewer than 20 communes have a ratio, the two lists overlap.
WITH rated AS (
    SELECT * FROM marts.online_ratio_by_commune WHERE is_home AND online_ratio_pct IS NOT NULL
),
lists AS (
    SELECT 'top' AS list,
           row_number() OVER (ORDER BY online_ratio_pct DESC, received DESC, unit_code) AS position, *
    FROM rated
    UNION ALL
    SELECT 'bottom' AS list,
           row_number() OVER (ORDER BY online_ratio_pct ASC, received DESC, unit_code) AS position, *
    FROM rated
)
SELECT list, position, rank, unit_code, unit_name, unit_kind, received, online, online_ratio_pct, target_pct,
       meets_target, ratio_definition
FROM lists
WHERE position <= 10
ORDER BY list = 'bottom', position;
