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

-- The winner is chosen on narrow rows (its ordering columns and the observation's key), and only the winners' whole
-- rows are read afterwards: ordering the whole rows (~50 columns) of every observation of every touched dossier made
-- a full reload of 10 million records spill more than the disk held.
CREATE OR REPLACE TEMP TABLE winners AS
WITH obs AS (
    SELECT dossier_code, load_id, source_file, source_row, source_rank, batch_seq, source_format, coalesce(
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
    FROM core.dossier_observations o SEMI JOIN touched t ON o.dossier_code = t.dossier_code
),
ranked AS (
    SELECT dossier_code, load_id, source_file, source_row, row_number() OVER (
        PARTITION BY dossier_code
        ORDER BY plausible_event_at DESC, source_rank DESC, batch_seq DESC NULLS LAST, source_file DESC, load_id DESC,
                 source_row DESC
    ) AS rn
    FROM obs
),
agg AS (
    SELECT dossier_code,
           min(load_id) AS first_load_id,
           string_agg(DISTINCT source_format, ',' ORDER BY source_format) AS sources,
           count(*) AS observations,
           bool_or(source_format = 'portal_json') AS synced_to_portal
    FROM obs GROUP BY dossier_code
)
SELECT r.dossier_code, r.load_id, r.source_file, r.source_row, a.first_load_id, a.sources, a.observations,
       a.synced_to_portal
FROM ranked r JOIN agg a ON r.dossier_code = a.dossier_code
WHERE r.rn = 1;

INSERT INTO core.dossiers BY NAME
SELECT o.*, w.first_load_id, w.sources, w.observations, w.synced_to_portal, getvariable('load_id') AS merged_load_id
FROM core.dossier_observations o
JOIN winners w ON o.dossier_code = w.dossier_code AND o.load_id = w.load_id AND o.source_file = w.source_file
               AND o.source_row = w.source_row;

-- A quarantined record is resolved once the warehouse holds an observation of its dossier made at the same time as
-- the record or later (observation time, not load order): it arrived corrected, in a corrected version of its file
-- or in a later batch. An observation from before it does not resolve it: the update it carried was never received
-- correctly. Checked for the records this load quarantined and for those of the dossiers it observed, so the outcome
-- is the same whatever order the files are loaded in (one run or several, one lake writer or four).
UPDATE core.quarantine q SET resolved_by_load_id = getvariable('load_id')
WHERE q.resolved_by_load_id IS NULL
  AND (q.load_id = getvariable('load_id') OR q.dossier_code IN (SELECT dossier_code FROM touched))
  AND EXISTS (
      SELECT 1 FROM core.dossier_observations o
      WHERE o.dossier_code = q.dossier_code
        AND (TRY_CAST(q.record ->> 'observed_at' AS TIMESTAMPTZ) IS NULL
             OR o.observed_at >= TRY_CAST(q.record ->> 'observed_at' AS TIMESTAMPTZ)));
