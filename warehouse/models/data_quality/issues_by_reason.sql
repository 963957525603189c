-- What the validation found, per suite (entity) and reason, with the reason's severity: critical (the record is
-- quarantined) or warning (the record loads, the warning is kept). From the validation history (meta.validations,
-- each file's latest validation per expectation: a file validated again by a later load is counted once) and the
-- quarantine (core.quarantine: records whose primary reason it is). Counts only.
WITH latest AS (
    SELECT *
    FROM {{ source('meta', 'validations') }}
    QUALIFY row_number() OVER (PARTITION BY source_file, suite, expectation_id ORDER BY load_id DESC) = 1
), found AS (
    SELECT suite AS entity, reason, any_value(severity) AS severity,
           count(*) FILTER (WHERE NOT success)                                  AS failed_checks,
           coalesce(sum(unexpected_count) FILTER (WHERE NOT success AND scope = 'row'), 0)::BIGINT AS records_flagged,
           count(DISTINCT source_file) FILTER (WHERE NOT success)               AS files_affected
    FROM latest
    WHERE reason IS NOT NULL
    GROUP BY ALL
), quarantined AS (
    SELECT entity, reason, count(*) AS records_quarantined,
           count(*) FILTER (WHERE resolved_by_load_id IS NOT NULL) AS records_resolved
    FROM {{ source('core', 'quarantine') }}
    GROUP BY ALL
)
SELECT coalesce(f.entity, q.entity)                       AS entity,
       coalesce(f.reason, q.reason)                       AS reason,
       coalesce(f.severity, 'critical')                   AS severity,
       coalesce(f.failed_checks, 0)                       AS failed_checks,
       coalesce(f.records_flagged, 0)                     AS records_flagged,
       coalesce(q.records_quarantined, 0)                 AS records_quarantined,
       coalesce(q.records_resolved, 0)                    AS records_resolved,
       coalesce(f.files_affected, 0)                      AS files_affected
FROM found f
FULL JOIN quarantined q ON q.entity = f.entity AND q.reason = f.reason
WHERE coalesce(f.failed_checks, 0) > 0 OR q.records_quarantined > 0
ORDER BY severity, records_quarantined DESC, records_flagged DESC, entity, reason
