-- The quarantined records (core.quarantine) counted per file, entity and primary reason. Counts only: the failing
-- values, the records and the dossier codes of core.quarantine stay in the warehouse.
SELECT q.source_file                                      AS file_path,
       f.kind                                             AS source_format,
       q.source_sha256                                    AS file_sha256,
       q.entity,
       q.reason,
       'critical'                                         AS severity,
       count(*)                                           AS records_quarantined,
       count(*) FILTER (WHERE q.resolved_by_load_id IS NOT NULL) AS records_resolved,
       count(*) FILTER (WHERE q.resolved_by_load_id IS NULL)     AS records_open
FROM {{ source('core', 'quarantine') }} q
LEFT JOIN {{ source('meta', 'files') }} f ON f.sha256 = q.source_sha256 AND f.relpath = q.source_file
GROUP BY ALL
ORDER BY file_path, file_sha256, entity, reason
