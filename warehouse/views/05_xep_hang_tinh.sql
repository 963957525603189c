-- bao_cao.xep_hang_tinh: Xếp hạng các tỉnh, thành phố | the national snapshot of the 34 provinces at each date,
-- ranked on the online ratio and on commune-task completion, with the places gained since the previous snapshot;
-- the home province's values are recomputed from the records (the national table's own values are kept beside
-- them). Over marts.province_ranking.
-- grain: one row per (snapshot date, province).
-- column "Ngày số liệu": snapshot_date | date of the national snapshot
-- column "Hạng trực tuyến": online_rank | rank on the online ratio (1 = highest)
-- column "Mã tỉnh": province_code | province code
-- column "Tên tỉnh": province_name | province name
-- column "Tỉnh báo cáo": is_home | the province of this warehouse
-- column "Tỷ lệ nộp trực tuyến (%)": online_ratio_pct | online ratio used for the rank (home: recomputed)
-- column "Thay đổi hạng trực tuyến": online_rank_change | places gained since the previous snapshot (positive = up)
-- column "Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)": commune_task_pct | share of commune tasks done (home: recomputed)
-- column "Hạng nhiệm vụ cấp xã": task_rank | rank on commune-task completion (1 = highest)
-- column "Thay đổi hạng nhiệm vụ": task_rank_change | places gained since the previous snapshot (positive = up)
-- column "Tỷ lệ trực tuyến theo bảng quốc gia (%)": reported_online_ratio_pct | as the national table shows it
-- column "Tỷ lệ nhiệm vụ theo bảng quốc gia (%)": reported_commune_task_pct | as the national table shows it
-- column "Số tỉnh": provinces | provinces ranked in the snapshot
CREATE OR REPLACE VIEW bao_cao.xep_hang_tinh AS
SELECT snapshot_date              AS "Ngày số liệu",
       online_rank                AS "Hạng trực tuyến",
       province_code              AS "Mã tỉnh",
       province_name              AS "Tên tỉnh",
       is_home                    AS "Tỉnh báo cáo",
       online_ratio_pct           AS "Tỷ lệ nộp trực tuyến (%)",
       online_rank_change         AS "Thay đổi hạng trực tuyến",
       commune_task_pct           AS "Tỷ lệ hoàn thành nhiệm vụ cấp xã (%)",
       task_rank                  AS "Hạng nhiệm vụ cấp xã",
       task_rank_change           AS "Thay đổi hạng nhiệm vụ",
       reported_online_ratio_pct  AS "Tỷ lệ trực tuyến theo bảng quốc gia (%)",
       reported_commune_task_pct  AS "Tỷ lệ nhiệm vụ theo bảng quốc gia (%)",
       provinces                  AS "Số tỉnh"
FROM marts.province_ranking
ORDER BY snapshot_date, online_rank, province_code;
