-- core.quarantine: observations that failed a critical expectation, kept with their reasons so an engineer can see
-- and replay them. No personal value is stored (only keyed hashes, as in the observations).
-- grain: (source_sha256, source_row, entity). resolved_by_load_id is set by the load that finds an observation of
-- the same dossier code made at the record's time or later (the record arrived corrected; whatever the load order:
-- warehouse/load/merge_dossiers.sql).
CREATE TABLE IF NOT EXISTS core.quarantine (
    entity              VARCHAR NOT NULL,      -- dossiers, processing_steps, commune_tasks, ...
    dossier_code        VARCHAR,
    reason              VARCHAR NOT NULL,      -- the primary reason (fixed priority order)
    reasons             VARCHAR NOT NULL,      -- all critical reasons, '; '-joined
    failed_values       VARCHAR,               -- column=value pairs of the failing columns, personal values masked
    record              JSON,                  -- the canonical record (hashes only), for replay
    source_file         VARCHAR NOT NULL,
    source_sha256       VARCHAR NOT NULL,
    source_row          BIGINT NOT NULL,
    load_id             VARCHAR NOT NULL,
    resolved_by_load_id VARCHAR
);
