-- bao_cao.cac_dinh_nghia_ty_le: Tỷ lệ nộp trực tuyến theo bốn cách tính | the online ratio of the home province per
-- level under each of the four definitions in use (A online / all received, the report's; B online-capable
-- procedures only; C postal left out; D A x sync ratio). Over marts.online_ratio_definitions.
-- grain: one row per (level, definition).
-- column "Mã cấp": level_key | province_wide, province_agencies or commune
-- column "Cấp": level_label | level as a report would name it
-- column "Định nghĩa tỷ lệ": ratio_definition | A, B, C or D
-- column "Cách tính": definition_text | what the definition counts
-- column "Tử số": numerator | dossiers counted online under the definition
-- column "Mẫu số": denominator | dossiers in the denominator under the definition
-- column "Tỷ lệ đồng bộ": sync_ratio | share of dossiers observed in the national-portal feed (used by D)
-- column "Tỷ lệ (%)": ratio_pct | numerator / denominator (x sync ratio for D), percent
CREATE OR REPLACE VIEW bao_cao.cac_dinh_nghia_ty_le AS
SELECT level_key         AS "Mã cấp",
       level_label       AS "Cấp",
       ratio_definition  AS "Định nghĩa tỷ lệ",
       definition_text   AS "Cách tính",
       numerator         AS "Tử số",
       denominator       AS "Mẫu số",
       sync_ratio        AS "Tỷ lệ đồng bộ",
       ratio_pct         AS "Tỷ lệ (%)"
FROM marts.online_ratio_definitions
ORDER BY CASE level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END, ratio_definition;
