-- One row per dossier (current state across all sources), without personal data; grain dossier_code.
-- Times are Vietnam wall-clock time (TIMESTAMP, no zone): a plain filter means the same in any session time zone.
-- The indicator flags (docs/indicators.md) come from the lists of the winning observation (its source_sha256 and
-- source_row); a provincial export carries no such list, so there they are NULL (unknown), not false.
-- Documentation and tests: schema.yml.
-- The lists of every observation in one aggregate, joined once: five aggregates joined one by one built a hash
-- table keyed on (sha256, row) per list, spilled under the memory limit and took more than twice as long (3.2M
-- dossiers in 34 provinces: bench/results/2026-12-04-marts-ab-52e9a77.md).
-- UNION ALL BY NAME fills a list's missing columns with NULL: a flag is NULL where its list has no row, and
-- bool_or and min skip the other lists' NULLs.
-- Incremental (macros/incremental.sql): a build rewrites the dossiers merged by loads it has not seen, by
-- dossier_code; a new window, new reference tables or a new version of this SQL rebuild every dossier.
{{ config(materialized='incremental', unique_key='dossier_code', incremental_strategy='delete+insert',
          on_schema_change='sync_all_columns', pre_hook="{{ case_files_delete_stale() }}",
          post_hook="{{ case_files_delete_orphans() }}") }}
{%- set build_key = case_files_build_key() %}
{%- set only_unseen_loads = case_files_up_to_date(build_key) %}
WITH changed AS {{ 'MATERIALIZED' if only_unseen_loads }} (  -- read twice when incremental
    SELECT * FROM {{ source('core', 'dossiers') }} d
    {%- if only_unseen_loads %}
    ANTI JOIN (SELECT DISTINCT merged_load_id FROM {{ this }}) seen
           ON seen.merged_load_id = coalesce(d.merged_load_id, '')
    {%- endif %}
),
lists AS (
    SELECT source_sha256, source_row,
           bool_or(has_document_file) AS has_document_file,
           bool_or(has_reused_document) AS has_reused_document,
           bool_or(has_national_store_document) AS has_national_store_document,
           bool_or(has_electronic_result) AS has_electronic_result,
           bool_or(has_fee) AS has_fee,
           min(first_supplement_requested_at) AS first_supplement_requested_at,
           bool_or(population_db_linked) AS population_db_linked
    FROM (
        SELECT source_sha256, source_row,
               coalesce(has_file, false) AS has_document_file,
               coalesce(is_reused, false) AS has_reused_document,
               coalesce(from_national_store, false) AS has_national_store_document
        FROM {{ source('core', 'dossier_documents') }}
        WHERE NOT coalesce(is_deleted, false)
        UNION ALL BY NAME
        SELECT source_sha256, source_row, true AS has_electronic_result
        FROM {{ source('core', 'dossier_results') }}
        WHERE result_code IS NOT NULL AND result_code <> '' AND has_file_link
        UNION ALL BY NAME
        SELECT source_sha256, source_row, true AS has_fee
        FROM {{ source('core', 'dossier_fees') }}
        WHERE amount > 0
        UNION ALL BY NAME
        SELECT source_sha256, source_row, requested_at AS first_supplement_requested_at
        FROM {{ source('core', 'dossier_supplements') }}
        UNION ALL BY NAME
        SELECT source_sha256, source_row, true AS population_db_linked
        FROM {{ source('core', 'dossier_databases') }}
        WHERE database_code = 'CSDLQGDC'
    ) x
    {%- if only_unseen_loads %}
    SEMI JOIN changed c ON c.source_sha256 = x.source_sha256 AND c.source_row = x.source_row
    {%- endif %}
    GROUP BY ALL
)
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
    timezone('Asia/Ho_Chi_Minh', d.submitted_at) AS submitted_at,
    timezone('Asia/Ho_Chi_Minh', d.refused_at) AS refused_at,
    timezone('Asia/Ho_Chi_Minh', l.first_supplement_requested_at) AS first_supplement_requested_at,
    d.source_format, d.vneid_verified,
    {%- for flag in ['has_document_file', 'has_reused_document', 'has_national_store_document',
                     'has_electronic_result', 'has_fee', 'population_db_linked'] %}
    CASE WHEN d.source_format = 'portal_json' THEN coalesce(l.{{ flag }}, false) END AS {{ flag }},
    {%- endfor %}
    d.first_load_id, d.load_id AS last_load_id, d.source_file,
    coalesce(d.merged_load_id, '') AS merged_load_id, {{ sql_string(build_key) }} AS build_key
FROM changed d
LEFT JOIN {{ source('ref', 'units') }} u ON u.unit_code = d.unit_code
LEFT JOIN lists l ON l.source_sha256 = d.source_sha256 AND l.source_row = d.source_row
LEFT JOIN {{ source('ref', 'procedures') }} p ON p.procedure_code = d.procedure_code
LEFT JOIN {{ source('ref', 'code_labels') }} channel_label
       ON channel_label.domain = 'channel' AND channel_label.code = d.channel
LEFT JOIN {{ source('ref', 'code_labels') }} status_label
       ON status_label.domain = 'status' AND status_label.code = d.status
-- Not sorted, unlike the small marts: one row per dossier, and sorting them is a cost of its own under the memory
-- limit (1M dossiers: 3.0 s with the sort, 1.8 s without).
