-- bao_cao.ty_le_theo_cap: Tỷ lệ nộp hồ sơ trực tuyến theo cấp | the headline: dossiers received, online, returned
-- and the online ratio of the home province, province-wide, at province-level agencies (sở, ngành) and at commune
-- level, under the configured definition (named in every row). Over marts.online_ratio_by_level.
-- grain: one row per level (3 rows).
-- column "Mã cấp": level_key | province_wide, province_agencies or commune
-- column "Cấp": level_label | level as a report would name it
-- column "Số hồ sơ tiếp nhận": received | dossiers received in the window (test dossiers excluded)
-- column "Số hồ sơ trực tuyến": online | of which submitted online (channel 2)
-- column "Tỷ lệ nộp trực tuyến (%)": online_ratio_pct | online ratio under the definition, percent, 2 decimals
-- column "Số hồ sơ đã trả": returned | dossiers with the result returned (status 10) at the as-of time
-- column "Định nghĩa tỷ lệ": ratio_definition | the definition used: A, B, C or D
-- column "Cách tính": definition_text | what the definition counts
-- column "Tử số": numerator | numerator under the definition
-- column "Mẫu số": denominator | denominator under the definition
-- column "Công thức": formula | the division that gives the ratio
-- column "Từ thời điểm": window_start | start of the reporting window, local time (Asia/Ho_Chi_Minh)
-- column "Đến trước thời điểm": window_end | end of the reporting window (exclusive), local time (Asia/Ho_Chi_Minh)
CREATE OR REPLACE VIEW bao_cao.ty_le_theo_cap AS
SELECT level_key          AS "Mã cấp",
       level_label        AS "Cấp",
       received           AS "Số hồ sơ tiếp nhận",
       online             AS "Số hồ sơ trực tuyến",
       online_ratio_pct   AS "Tỷ lệ nộp trực tuyến (%)",
       returned           AS "Số hồ sơ đã trả",
       ratio_definition   AS "Định nghĩa tỷ lệ",
       definition_text    AS "Cách tính",
       numerator          AS "Tử số",
       denominator        AS "Mẫu số",
       formula            AS "Công thức",
       timezone('Asia/Ho_Chi_Minh', window_start) AS "Từ thời điểm",
       timezone('Asia/Ho_Chi_Minh', window_end)   AS "Đến trước thời điểm"
FROM marts.online_ratio_by_level
ORDER BY CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END;
