-- One row per source format (meta.files.kind): files seen, loaded, rejected, duplicates, and their records.
SELECT kind                                               AS source_format,
       count(*)                                           AS files,
       count(*) FILTER (WHERE outcome = 'loaded')         AS files_loaded,
       count(*) FILTER (WHERE outcome = 'rejected')       AS files_rejected,
       count(*) FILTER (WHERE outcome = 'duplicate_file') AS files_duplicate,
       coalesce(sum(records_read), 0)::BIGINT             AS records_read,
       coalesce(sum(records_loaded), 0)::BIGINT           AS records_loaded,
       coalesce(sum(records_quarantined), 0)::BIGINT      AS records_quarantined,
       coalesce(sum(records_warned), 0)::BIGINT           AS records_warned,
       {{ pct('coalesce(sum(records_quarantined), 0)', 'coalesce(sum(records_read), 0)') }} AS quarantined_pct
FROM {{ source('meta', 'files') }}
GROUP BY kind
ORDER BY kind
