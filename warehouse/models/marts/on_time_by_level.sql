-- Dossiers processed on time or late, and dossiers still open past their promised date at the end of the reporting
-- window, province-wide, at province-level agencies and at commune level (the dossiers counted in the window), per
-- province; grain (province_code, level_key). The rules (also in schema.yml):
--   not assessed  no promised date (due_at), or refused (status 3), withdrawn (7) or stopped (8)
--   processed     processed_at set: on time when processed_at <= due_at, late otherwise
--   open          not processed: overdue when due_at is before the window end, within due otherwise
-- Times are Vietnam wall-clock time (fct_case_files), compared with the window end in the same time.
WITH f AS (
    SELECT province_code, level, due_at, processed_at, status
    FROM {{ ref('fct_case_files') }}
    WHERE counted
),
levels AS (
    SELECT 'province_wide' AS level_key, 1 AS ord, * FROM f
    UNION ALL
    SELECT 'province_agencies', 2, * FROM f WHERE level = 'province'
    UNION ALL
    SELECT 'commune', 3, * FROM f WHERE level = 'commune'
),
classified AS (
    SELECT province_code, level_key, ord,
           due_at IS NULL OR status IN (3, 7, 8) AS not_assessed,
           processed_at IS NOT NULL AS is_processed,
           processed_at <= due_at AS processed_by_due,
           due_at < {{ param('window_end_local') }} AS past_due
    FROM levels
),
counts AS (
    SELECT province_code, level_key, ord,
           CAST(count(*) AS BIGINT) AS received,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND is_processed) AS BIGINT) AS processed,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND is_processed AND processed_by_due) AS BIGINT)
               AS processed_on_time,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND is_processed AND NOT processed_by_due) AS BIGINT)
               AS processed_late,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND NOT is_processed) AS BIGINT) AS open,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND NOT is_processed AND past_due) AS BIGINT) AS open_overdue,
           CAST(count(*) FILTER (WHERE NOT not_assessed AND NOT is_processed AND NOT past_due) AS BIGINT)
               AS open_within_due,
           CAST(count(*) FILTER (WHERE not_assessed) AS BIGINT) AS not_assessed
    FROM classified
    GROUP BY ALL
)
SELECT province_code, province_code = {{ param('home_province') }} AS is_home,
       level_key, {{ level_label('level_key') }} AS level_label, received, processed, processed_on_time, processed_late,
       {{ pct('processed_on_time', 'processed') }} AS on_time_pct,
       open, open_overdue, open_within_due,
       {{ pct('open_overdue', 'open') }} AS overdue_pct,
       not_assessed,
       {{ param('window_end_local') }} AS as_of
FROM counts
ORDER BY province_code, ord
