-- bao_cao.ty_le_theo_xa: Tỷ lệ nộp hồ sơ trực tuyến của từng xã, phường so với chỉ tiêu | every commune and ward of the
-- home province (a commune without dossiers still shows, with an empty ratio), its dossiers, online ratio, rank and
-- whether it meets the commune target. Over marts.online_ratio_by_commune.
-- grain: one row per commune (mã xã), best ratio first.
-- column "Xếp hạng": rank | rank among the communes, highest ratio first (ties share a rank)
-- column "Mã xã": unit_code | commune code (letter 1027/CTK-CSCL)
-- column "Tên xã, phường": unit_name | commune or ward name
-- column "Loại": unit_kind | xã or phường
-- column "Số hồ sơ tiếp nhận": received | dossiers received in the window (test dossiers excluded)
-- column "Số hồ sơ trực tuyến": online | of which submitted online
-- column "Tỷ lệ nộp trực tuyến (%)": online_ratio_pct | online ratio under the definition, percent (empty: no dossier)
-- column "Chỉ tiêu (%)": target_pct | the commune target, percent
-- column "Đạt chỉ tiêu": meets_target | the ratio is at or above the target
-- column "Định nghĩa tỷ lệ": ratio_definition | the definition used: A, B, C or D
-- column "Tử số": numerator | numerator under the definition
-- column "Mẫu số": denominator | denominator under the definition
CREATE OR REPLACE VIEW bao_cao.ty_le_theo_xa AS
SELECT rank               AS "Xếp hạng",
       unit_code          AS "Mã xã",
       unit_name          AS "Tên xã, phường",
       unit_kind          AS "Loại",
       received           AS "Số hồ sơ tiếp nhận",
       online             AS "Số hồ sơ trực tuyến",
       online_ratio_pct   AS "Tỷ lệ nộp trực tuyến (%)",
       target_pct         AS "Chỉ tiêu (%)",
       meets_target       AS "Đạt chỉ tiêu",
       ratio_definition   AS "Định nghĩa tỷ lệ",
       numerator          AS "Tử số",
       denominator        AS "Mẫu số"
FROM marts.online_ratio_by_commune
ORDER BY rank, unit_code;
