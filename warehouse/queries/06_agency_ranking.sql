-- Question: how do the province-level agencies (sở, ngành) rank on the online ratio, and how far is each from the
-- province-level average?
-- Source: the home province's rows (is_home) of marts.ratio_by_agency (definition A: online / received) and marts.online_ratio_by_level (the
-- province_agencies row, for the average of all agencies together).
-- How to read the result: one row per agency, rank 1 = highest online ratio (ties share a rank; an agency without
-- dossiers has no ratio and comes last). vs_province_level_pts = the agency's ratio - the ratio of all
-- province-level agencies together (positive: above the average). share_of_received_pct = the agency's share of the
-- dossiers received by all province-level agencies: a low ratio weighs more on the province when the share is large.
WITH level_avg AS (
    SELECT round(100.0 * online / nullif(received, 0), 2)::DECIMAL(6, 2) AS province_level_ratio_pct
    FROM marts.online_ratio_by_level
    WHERE is_home AND level_key = 'province_agencies'
)
SELECT a.rank,
       a.unit_code,
       a.unit_name,
       a.received,
       a.online,
       a.online_ratio_pct,
       l.province_level_ratio_pct,
       a.online_ratio_pct - l.province_level_ratio_pct AS vs_province_level_pts,
       round(100.0 * a.received / nullif(sum(a.received) OVER (), 0), 2)::DECIMAL(6, 2) AS share_of_received_pct,
       a.returned,
       a.on_time_pct
FROM marts.ratio_by_agency a
CROSS JOIN level_avg l
WHERE a.is_home
ORDER BY a.rank, a.unit_code;
