-- One row per dossier (current state across all sources), without personal data; grain dossier_code.
-- Times are Vietnam wall-clock time (TIMESTAMP, no zone): a plain filter means the same in any session time zone.
-- Documentation and tests: schema.yml.
SELECT
    d.dossier_code, d.province_code, d.unit_code, u.unit_name, d.level,
    d.procedure_code, coalesce(p.procedure_name, d.procedure_name) AS procedure_name,
    coalesce(p.field_name, d.field_name) AS field_name, p.muc_do, p.boundary_free,
    d.channel, channel_label.label_vi AS channel_label,
    d.status, status_label.label_vi AS status_label,
    d.applicant_type,
    timezone('Asia/Ho_Chi_Minh', d.received_at) AS received_at,
    CAST(timezone('Asia/Ho_Chi_Minh', d.received_at) AS DATE) AS received_date,
    timezone('Asia/Ho_Chi_Minh', d.due_at) AS due_at,
    timezone('Asia/Ho_Chi_Minh', d.processed_at) AS processed_at,
    timezone('Asia/Ho_Chi_Minh', d.returned_at) AS returned_at,
    (d.received_at >= {{ param('window_start') }} AND d.received_at < {{ param('window_end') }}) AS in_window,
    coalesce(d.is_test, false) AS is_test,
    (d.received_at >= {{ param('window_start') }} AND d.received_at < {{ param('window_end') }}
        AND NOT coalesce(d.is_test, false)) AS counted,
    d.channel = 2 AS is_online,
    d.status = 10 AS is_returned,
    CASE WHEN d.processed_at IS NOT NULL AND d.due_at IS NOT NULL THEN d.processed_at <= d.due_at END AS on_time,
    d.has_digitised_component, d.paid_online, d.synced_to_portal, d.sources, d.observations, d.warnings,
    d.first_load_id, d.load_id AS last_load_id, d.source_file
FROM {{ source('core', 'dossiers') }} d
LEFT JOIN {{ source('ref', 'units') }} u ON u.unit_code = d.unit_code
LEFT JOIN {{ source('ref', 'procedures') }} p ON p.procedure_code = d.procedure_code
LEFT JOIN {{ source('ref', 'code_labels') }} channel_label
       ON channel_label.domain = 'channel' AND channel_label.code = d.channel
LEFT JOIN {{ source('ref', 'code_labels') }} status_label
       ON status_label.domain = 'status' AND status_label.code = d.status
ORDER BY d.dossier_code
