-- marts.online_ratio_by_level: the headline: received, online and the online ratio of the home province,
-- province-wide, at province-level agencies and at commune level, under the configured definition.
-- grain: level_key.
-- column level_key: Cấp (mã) | province_wide, province_agencies or commune
-- column level_label: Cấp | level as a report would name it
-- column received: Số hồ sơ tiếp nhận | dossiers received in the window (not test)
-- column online: Số hồ sơ trực tuyến | of which online (channel 2)
-- column returned: Số hồ sơ đã trả | of which with status 10 (result returned) at the as-of time
-- column ratio_definition: Định nghĩa tỷ lệ | the definition used (A-D)
-- column definition_text: Cách tính | what the definition counts
-- column numerator: Tử số | numerator under the definition
-- column denominator: Mẫu số | denominator under the definition
-- column online_ratio_pct: Tỷ lệ nộp trực tuyến (%) | the online ratio under the definition, percent
-- column formula: Công thức | the division that gives the ratio
-- column window_start: Từ | start of the reporting window
-- column window_end: Đến | end of the reporting window (exclusive)
CREATE OR REPLACE TABLE marts.online_ratio_by_level AS
WITH f AS (
    SELECT * FROM marts.fct_case_files WHERE counted AND province_code = getvariable('home_province')
),
plain AS (
    SELECT 'province_wide' AS level_key, count(*) AS received, count(*) FILTER (WHERE is_online) AS online,
           count(*) FILTER (WHERE is_returned) AS returned FROM f
    UNION ALL
    SELECT 'province_agencies', count(*), count(*) FILTER (WHERE is_online), count(*) FILTER (WHERE is_returned)
    FROM f WHERE level = 'province'
    UNION ALL
    SELECT 'commune', count(*), count(*) FILTER (WHERE is_online), count(*) FILTER (WHERE is_returned)
    FROM f WHERE level = 'commune'
)
SELECT d.level_key, d.level_label, p.received, p.online, p.returned,
       d.ratio_definition, d.definition_text, d.numerator, d.denominator, d.ratio_pct AS online_ratio_pct,
       format('{:d} / {:d}', d.numerator, d.denominator)
           || CASE WHEN d.ratio_definition = 'D' THEN format(' x {:.4f}', d.sync_ratio) ELSE '' END AS formula,
       getvariable('window_start') AS window_start, getvariable('window_end') AS window_end
FROM marts.online_ratio_definitions d
JOIN plain p USING (level_key)
WHERE d.ratio_definition = getvariable('ratio_definition')
ORDER BY CASE d.level_key WHEN 'province_wide' THEN 1 WHEN 'province_agencies' THEN 2 ELSE 3 END;
