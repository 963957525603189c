-- core.dossiers: the current state, one row per dossier code across all sources.
-- grain: dossier_code. The winning observation is the one with the greatest
-- (event_at, source_rank, batch_seq, source_file, load_id, source_row); first_load_id / last_load_id say when the dossier
-- was first seen and when its state last changed; observations counts the observations behind it; merged_load_id is
-- the load that last recomputed the row (it observed the dossier, whether or not its observation won): the marts
-- rebuild the dossiers of the loads they have not seen yet (models/marts/fct_case_files.sql).
CREATE TABLE IF NOT EXISTS core.dossiers AS
SELECT *,
       NULL::VARCHAR  AS first_load_id,
       NULL::VARCHAR  AS sources,
       NULL::BIGINT   AS observations,
       NULL::BOOLEAN  AS synced_to_portal,
       NULL::VARCHAR  AS merged_load_id
FROM core.dossier_observations WITH NO DATA;
