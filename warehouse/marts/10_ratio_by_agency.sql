-- marts.ratio_by_agency: dossiers and online ratio per province-level agency (sở, ngành) of the home province,
-- definition A, ranked. grain: unit_code.
-- column unit_code: Mã đơn vị | agency code
-- column unit_name: Tên sở, ngành | agency name
-- column received: Số hồ sơ tiếp nhận | dossiers received in the window
-- column online: Số hồ sơ trực tuyến | of which online
-- column returned: Số hồ sơ đã trả | of which returned
-- column online_ratio_pct: Tỷ lệ nộp trực tuyến (%) | online / received
-- column on_time_pct: Tỷ lệ đúng hạn (%) | processed on time / processed
-- column rank: Xếp hạng | rank among the agencies, highest ratio first
CREATE OR REPLACE TABLE marts.ratio_by_agency AS
WITH a AS (
    SELECT u.unit_code, u.unit_name,
           count(f.dossier_code) AS received, count(f.dossier_code) FILTER (WHERE f.is_online) AS online,
           count(f.dossier_code) FILTER (WHERE f.is_returned) AS returned,
           pct(count(f.dossier_code) FILTER (WHERE f.is_online), count(f.dossier_code)) AS online_ratio_pct,
           pct(count(f.dossier_code) FILTER (WHERE f.on_time), count(f.on_time)) AS on_time_pct
    FROM ref.units u
    LEFT JOIN marts.fct_case_files f ON f.unit_code = u.unit_code AND f.counted
    WHERE u.level = 'province' AND u.province_code = getvariable('home_province')
    GROUP BY ALL
)
SELECT *, rank() OVER (ORDER BY online_ratio_pct DESC NULLS LAST) AS rank
FROM a ORDER BY rank, unit_code;
