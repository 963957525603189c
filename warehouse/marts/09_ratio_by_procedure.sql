-- marts.ratio_by_procedure: dossiers and online ratio per procedure of the home province (definition A).
-- grain: procedure_code.
-- column procedure_code: Mã TTHC | procedure code
-- column procedure_name: Tên TTHC | procedure name
-- column field_name: Lĩnh vực | field
-- column level: Cấp thực hiện | level of the units that received the dossiers
-- column muc_do: Mức độ DVC | service level 2, 3 or 4
-- column boundary_free: Không phụ thuộc địa giới | filed regardless of administrative boundary
-- column received: Số hồ sơ tiếp nhận | dossiers received in the window
-- column online: Số hồ sơ trực tuyến | of which online
-- column online_ratio_pct: Tỷ lệ nộp trực tuyến (%) | online / received
-- column on_time_pct: Tỷ lệ đúng hạn (%) | processed on time / processed
CREATE OR REPLACE TABLE marts.ratio_by_procedure AS
SELECT procedure_code, any_value(procedure_name) AS procedure_name, any_value(field_name) AS field_name,
       string_agg(DISTINCT level, ',' ORDER BY level) AS level, any_value(muc_do) AS muc_do,
       any_value(boundary_free) AS boundary_free,
       count(*) AS received, count(*) FILTER (WHERE is_online) AS online,
       pct(count(*) FILTER (WHERE is_online), count(*)) AS online_ratio_pct,
       pct(count(*) FILTER (WHERE on_time), count(on_time)) AS on_time_pct
FROM marts.fct_case_files
WHERE counted AND province_code = getvariable('home_province')
GROUP BY procedure_code
ORDER BY received DESC, procedure_code;
