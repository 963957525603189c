-- meta.loads: one row per load (a run of the load stage that had files to load).
-- grain: load_id. status: running -> succeeded | failed (a crashed run is marked failed by the next one).
CREATE TABLE IF NOT EXISTS meta.loads (
    load_id          VARCHAR PRIMARY KEY,   -- yyyyMMddTHHmmss-<8 hex>, sortable
    run_id           VARCHAR,               -- the Dagster run that did it, when there was one
    partition_range  VARCHAR,               -- first..last partition key, when partitioned
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    status           VARCHAR NOT NULL,
    files            INTEGER,
    rows_read        BIGINT,
    rows_loaded      BIGINT,
    rows_quarantined BIGINT,
    rows_warned      BIGINT,
    seconds          DOUBLE,
    error            VARCHAR
);
