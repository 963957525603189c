-- One row per file version a load saw (meta.files): its outcome (loaded, rejected, duplicate_file), the reason of a
-- refusal (it names the file, a position and a field, never a value: README, Guarantees) and its record counts.
SELECT f.relpath                                          AS file_path,
       f.kind                                             AS source_format,
       f.sha256                                           AS file_sha256,
       f.load_id,
       timezone('Asia/Ho_Chi_Minh', l.started_at)         AS load_started_at,
       f.outcome,
       f.reason,
       f.size_bytes,
       coalesce(f.records_read, 0)::BIGINT                AS records_read,
       coalesce(f.records_loaded, 0)::BIGINT              AS records_loaded,
       coalesce(f.records_quarantined, 0)::BIGINT         AS records_quarantined,
       coalesce(f.records_warned, 0)::BIGINT              AS records_warned,
       {{ pct('coalesce(f.records_quarantined, 0)', 'coalesce(f.records_read, 0)') }} AS quarantined_pct
FROM {{ source('meta', 'files') }} f
LEFT JOIN {{ source('meta', 'loads') }} l USING (load_id)
ORDER BY f.relpath, f.sha256
