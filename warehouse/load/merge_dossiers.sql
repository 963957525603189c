-- Recompute the current state (core.dossiers) of every dossier code observed by the load getvariable('load_id').
-- The winner among a dossier's observations is the greatest (event_at, source_rank, batch_seq, source_file, load_id,
-- source_row): a later event beats an earlier one whatever order the files arrived in; for the same event the portal
-- feed beats a provincial export, then the later batch wins, then a corrected version of the same file (a later load).
-- Deterministic, so a replay gives the same state.
-- event_at is ordered on its plausible part only: a received, processed, returned or refused time after the
-- observation's batch time plus 3 days, or before 2000-01-01, is left out (validation quarantines such observations,
-- reason date_implausible; this also holds for observations loaded before that rule). So a typo such as year 2205
-- never wins, and a corrected re-export of the same file (a later load) repairs the record.
CREATE OR REPLACE TEMP TABLE touched AS
SELECT DISTINCT dossier_code FROM core.dossier_observations WHERE load_id = getvariable('load_id');

DELETE FROM core.dossiers WHERE dossier_code IN (SELECT dossier_code FROM touched);

INSERT INTO core.dossiers BY NAME
WITH obs AS (
    SELECT o.* FROM core.dossier_observations o SEMI JOIN touched t ON o.dossier_code = t.dossier_code
),
plausible AS (
    SELECT *, coalesce(
        greatest(
            CASE WHEN received_at BETWEEN TIMESTAMPTZ '2000-01-01 00:00:00+07'
                 AND coalesce(observed_at + INTERVAL 3 DAY, received_at) THEN received_at END,
            CASE WHEN processed_at BETWEEN TIMESTAMPTZ '2000-01-01 00:00:00+07'
                 AND coalesce(observed_at + INTERVAL 3 DAY, processed_at) THEN processed_at END,
            CASE WHEN returned_at BETWEEN TIMESTAMPTZ '2000-01-01 00:00:00+07'
                 AND coalesce(observed_at + INTERVAL 3 DAY, returned_at) THEN returned_at END,
            CASE WHEN refused_at BETWEEN TIMESTAMPTZ '2000-01-01 00:00:00+07'
                 AND coalesce(observed_at + INTERVAL 3 DAY, refused_at) THEN refused_at END),
        TIMESTAMPTZ '2000-01-01 00:00:00+07') AS plausible_event_at
    FROM obs
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY dossier_code
        ORDER BY plausible_event_at DESC, source_rank DESC, batch_seq DESC NULLS LAST, source_file DESC, load_id DESC,
                 source_row DESC
    ) AS rn
    FROM plausible
),
agg AS (
    SELECT dossier_code,
           min(load_id) AS first_load_id,
           string_agg(DISTINCT source_format, ',' ORDER BY source_format) AS sources,
           count(*) AS observations,
           bool_or(source_format = 'portal_json') AS synced_to_portal
    FROM obs GROUP BY dossier_code
)
SELECT r.* EXCLUDE (rn, plausible_event_at), a.first_load_id, a.sources, a.observations, a.synced_to_portal
FROM ranked r JOIN agg a ON r.dossier_code = a.dossier_code
WHERE r.rn = 1;

-- A quarantined record is resolved once an observation of the same dossier code has loaded after it.
UPDATE core.quarantine q SET resolved_by_load_id = getvariable('load_id')
WHERE q.resolved_by_load_id IS NULL
  AND q.dossier_code IN (SELECT dossier_code FROM touched);
