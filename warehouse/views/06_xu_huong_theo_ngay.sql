-- bao_cao.xu_huong_theo_ngay: Diễn biến tỷ lệ nộp trực tuyến theo ngày | dossiers received per local day of the
-- window, the day's online share and the running (cumulative) ratio since the window start, per level.
-- Over marts.daily_trend.
-- grain: one row per (level, day).
-- column "Ngày tiếp nhận": received_date | local date (Asia/Ho_Chi_Minh)
-- column "Mã cấp": level_key | province_wide, province_agencies or commune
-- column "Cấp": level_key | level as a report would name it (Toàn tỉnh, Cấp tỉnh (sở, ngành), Cấp xã)
-- column "Số hồ sơ tiếp nhận": received | dossiers received that day (test dossiers excluded)
-- column "Số hồ sơ trực tuyến": online | of which online
-- column "Tỷ lệ trong ngày (%)": online_ratio_pct | online / received that day, percent
-- column "Lũy kế tiếp nhận": cumulative_received | received since the window start
-- column "Lũy kế trực tuyến": cumulative_online | online since the window start
-- column "Tỷ lệ lũy kế (%)": cumulative_ratio_pct | running online ratio since the window start, percent
CREATE OR REPLACE VIEW bao_cao.xu_huong_theo_ngay AS
SELECT received_date         AS "Ngày tiếp nhận",
       level_key             AS "Mã cấp",
       CASE level_key WHEN 'province_wide' THEN 'Toàn tỉnh' WHEN 'province_agencies' THEN 'Cấp tỉnh (sở, ngành)'
                      WHEN 'commune' THEN 'Cấp xã' END AS "Cấp",
       received              AS "Số hồ sơ tiếp nhận",
       online                AS "Số hồ sơ trực tuyến",
       online_ratio_pct      AS "Tỷ lệ trong ngày (%)",
       cumulative_received   AS "Lũy kế tiếp nhận",
       cumulative_online     AS "Lũy kế trực tuyến",
       cumulative_ratio_pct  AS "Tỷ lệ lũy kế (%)"
FROM marts.daily_trend
ORDER BY CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END, received_date;
