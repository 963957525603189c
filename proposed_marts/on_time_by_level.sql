-- marts.on_time_by_level: dossiers processed on time or late, and dossiers still open past their promised date,
-- province-wide, at province-level agencies and at commune level (the dossiers counted in the reporting window).
-- grain: level_key.
-- Proposed for the dbt project (warehouse/models/marts/); the report (reports/html.py) shows it when the snapshot
-- has marts.on_time_by_level. Vars: window_end (the as-of time), home_province, as the other marts.
-- column level_key: Cấp (mã) | province_wide, province_agencies or commune
-- column level_label: Cấp | level as a report would name it
-- column received: Số hồ sơ tiếp nhận | dossiers received in the window (not test)
-- column processed: Số hồ sơ đã xử lý | processing finished (processed_at set) with a promised date
-- column processed_on_time: Đúng hạn | processed no later than the promised date (due_at)
-- column processed_late: Trễ hạn | processed after the promised date
-- column on_time_pct: Tỷ lệ đúng hạn (%) | on time / processed
-- column open: Đang giải quyết | not processed, not rejected or withdrawn (status 1, 2, 4, 5, 6)
-- column open_overdue: Quá hạn | open and past the promised date at the as-of time
-- column open_within_due: Trong hạn | open and not yet past the promised date
-- column overdue_pct: Tỷ lệ quá hạn (%) | overdue / open
-- column not_assessed: Không xét | rejected (3) or withdrawn (7) without processing, or no promised date
-- column as_of: Tính đến | the as-of time of the overdue count (end of the reporting window)
{{ config(materialized='table') }}
WITH f AS (
    SELECT level, on_time, due_at, processed_at, status
    FROM {{ ref('fct_case_files') }}
    WHERE counted AND province_code = '{{ var("home_province") }}'
),
levels AS (
    SELECT 'province_wide' AS level_key, 'Toàn tỉnh (sở, ngành và cấp xã)' AS level_label, 1 AS ord, * FROM f
    UNION ALL
    SELECT 'province_agencies', 'Cấp tỉnh (sở, ngành)', 2, * FROM f WHERE level = 'province'
    UNION ALL
    SELECT 'commune', 'Cấp xã', 3, * FROM f WHERE level = 'commune'
),
classified AS (
    SELECT level_key, level_label, ord, on_time,
           processed_at IS NULL AND due_at IS NOT NULL AND status NOT IN (3, 7) AS is_open,
           due_at < CAST('{{ var("window_end") }}' AS TIMESTAMPTZ) AS past_due
    FROM levels
),
counts AS (
    SELECT level_key, level_label, ord,
           count(*)::BIGINT AS received,
           count(on_time)::BIGINT AS processed,
           count(*) FILTER (WHERE on_time)::BIGINT AS processed_on_time,
           count(*) FILTER (WHERE NOT on_time)::BIGINT AS processed_late,
           count(*) FILTER (WHERE is_open)::BIGINT AS open,
           count(*) FILTER (WHERE is_open AND past_due)::BIGINT AS open_overdue,
           count(*) FILTER (WHERE is_open AND NOT past_due)::BIGINT AS open_within_due,
           count(*) FILTER (WHERE on_time IS NULL AND NOT is_open)::BIGINT AS not_assessed
    FROM classified
    GROUP BY ALL
)
SELECT level_key, level_label, received, processed, processed_on_time, processed_late,
       CASE WHEN processed > 0 THEN round(100.0 * processed_on_time / processed, 2)::DECIMAL(12, 2) END AS on_time_pct,
       open, open_overdue, open_within_due,
       CASE WHEN open > 0 THEN round(100.0 * open_overdue / open, 2)::DECIMAL(12, 2) END AS overdue_pct,
       not_assessed,
       CAST('{{ var("window_end") }}' AS TIMESTAMPTZ) AS as_of
FROM counts
ORDER BY ord
