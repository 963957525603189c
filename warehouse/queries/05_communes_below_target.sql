-- Question: which communes are below the online-ratio target, and how many dossiers short are they?
-- Source: marts.online_ratio_by_commune, the home province's rows (is_home; the configured definition, A by default, and the configured target,
-- 70% by default: both named in the result).
-- How to read the result: one row per commune that does not meet the target (meets_target false, including communes
-- that received no dossier at all), the largest shortfall first. gap_pts = target - ratio in percentage points.
-- Two ways to count the shortfall in dossiers:
--   online_to_convert        of the dossiers already received, how many more would have had to come online
--                            (denominator unchanged): the smallest x with (online + x) / received >= target;
--   additional_online_needed how many new online dossiers, on top of what was received, would lift the ratio to the
--                            target: the smallest x with (online + x) / (received + x) >= target (1 for a commune
--                            without dossiers; empty for a 100% target, which new dossiers alone cannot reach
--                            unless there is no in-person dossier).
-- Counts are computed exactly in integers (no rounding of the ratio). Under definition B or C "online" and
-- "received" are that definition's numerator and denominator; under D the sync multiplier is left out.
WITH c AS (
    SELECT *, CAST(round(target_pct * 100) AS BIGINT) AS target_bp  -- target in hundredths of a percent
    FROM marts.online_ratio_by_commune
    WHERE is_home AND NOT meets_target
)
SELECT unit_code,
       unit_name,
       unit_kind,
       received,
       online,
       online_ratio_pct,
       target_pct,
       target_pct - online_ratio_pct AS gap_pts,
       greatest(0, (target_bp * denominator - 10000 * numerator + 9999) // 10000) AS online_to_convert,
       CASE WHEN denominator = 0 THEN 1
            WHEN target_bp >= 10000 THEN NULL
            ELSE greatest(0, (target_bp * denominator - 10000 * numerator + (10000 - target_bp) - 1)
                             // (10000 - target_bp))
       END AS additional_online_needed,
       CASE WHEN received = 0 THEN 'no dossier received' END AS note,
       ratio_definition
FROM c
ORDER BY online_to_convert DESC, online_ratio_pct ASC NULLS FIRST, unit_code;
