-- bao_cao.xep_hang_so_nganh: Xếp hạng các sở, ngành theo tỷ lệ nộp trực tuyến | every province-level agency of the
-- home province, its dossiers, online ratio (definition A), on-time ratio and rank. Over marts.ratio_by_agency.
-- grain: one row per agency (mã đơn vị), best ratio first.
-- column "Xếp hạng": rank | rank among the agencies, highest online ratio first
-- column "Mã đơn vị": unit_code | agency code
-- column "Tên sở, ngành": unit_name | agency name
-- column "Số hồ sơ tiếp nhận": received | dossiers received in the window (test dossiers excluded)
-- column "Số hồ sơ trực tuyến": online | of which online
-- column "Số hồ sơ đã trả": returned | of which with the result returned
-- column "Tỷ lệ nộp trực tuyến (%)": online_ratio_pct | online / received, percent
-- column "Tỷ lệ đúng hạn (%)": on_time_pct | processed on time / processed, percent
CREATE OR REPLACE VIEW bao_cao.xep_hang_so_nganh AS
SELECT rank              AS "Xếp hạng",
       unit_code         AS "Mã đơn vị",
       unit_name         AS "Tên sở, ngành",
       received          AS "Số hồ sơ tiếp nhận",
       online            AS "Số hồ sơ trực tuyến",
       returned          AS "Số hồ sơ đã trả",
       online_ratio_pct  AS "Tỷ lệ nộp trực tuyến (%)",
       on_time_pct       AS "Tỷ lệ đúng hạn (%)"
FROM marts.ratio_by_agency
ORDER BY rank, unit_code;
