-- marts.online_ratio_by_commune: every commune of the home province (from the reference list, so a commune with no
-- dossier still shows), its dossiers, online ratio under the configured definition, and rank.
-- grain: unit_code (130 rows for Nghệ An).
-- column unit_code: Mã xã | commune code (letter 1027/CTK-CSCL)
-- column unit_name: Tên xã, phường | commune or ward name
-- column unit_kind: Loại | xã or phường
-- column received: Số hồ sơ tiếp nhận | dossiers received in the window (not test)
-- column online: Số hồ sơ trực tuyến | of which online
-- column ratio_definition: Định nghĩa tỷ lệ | the definition used (A-D)
-- column numerator: Tử số | numerator under the definition
-- column denominator: Mẫu số | denominator under the definition
-- column online_ratio_pct: Tỷ lệ nộp trực tuyến (%) | online ratio, percent
-- column rank: Xếp hạng | rank among the province's communes, highest ratio first (ties share a rank)
-- column target_pct: Chỉ tiêu (%) | the commune target
-- column meets_target: Đạt chỉ tiêu | online ratio at or above the target
CREATE OR REPLACE TABLE marts.online_ratio_by_commune AS
WITH f AS (
    SELECT * FROM marts.fct_case_files WHERE counted AND province_code = getvariable('home_province')
),
c AS (
    SELECT u.unit_code, u.unit_name, u.unit_kind,
           count(f.dossier_code) AS received,
           count(f.dossier_code) FILTER (WHERE f.is_online) AS online,
           count(f.dossier_code) FILTER (WHERE in_numerator(getvariable('ratio_definition'), f.is_online, f.muc_do)) AS numerator,
           count(f.dossier_code) FILTER (WHERE in_denominator(getvariable('ratio_definition'), f.channel, f.muc_do)) AS denominator,
           avg(CASE WHEN f.synced_to_portal THEN 1.0 WHEN f.dossier_code IS NOT NULL THEN 0.0 END) AS sync_ratio
    FROM ref.units u
    LEFT JOIN f ON f.unit_code = u.unit_code
    WHERE u.level = 'commune' AND u.province_code = getvariable('home_province')
    GROUP BY ALL
),
r AS (
    SELECT *, CASE WHEN getvariable('ratio_definition') = 'D'
                   THEN round(100.0 * numerator / nullif(denominator, 0) * sync_ratio, 2)::DECIMAL(12, 2)
                   ELSE pct(numerator, denominator) END AS online_ratio_pct
    FROM c
)
SELECT unit_code, unit_name, unit_kind, received, online, getvariable('ratio_definition') AS ratio_definition,
       numerator, denominator, online_ratio_pct,
       rank() OVER (ORDER BY online_ratio_pct DESC NULLS LAST) AS rank,
       getvariable('commune_target_pct')::DECIMAL(12, 2) AS target_pct,
       coalesce(online_ratio_pct >= getvariable('commune_target_pct'), false) AS meets_target
FROM r
ORDER BY rank, unit_code;
