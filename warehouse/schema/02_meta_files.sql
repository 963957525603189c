-- meta.files: one row per file version seen by a load (sha256), and what became of it.
-- grain: (sha256, relpath): a file version is recorded once, by the load that first saw it.
-- outcome: loaded | rejected (whole file refused, reason given) | duplicate_file (same bytes already loaded).
-- Every record read is accounted for: records_read = records_loaded + records_quarantined (+ all records when rejected).
CREATE TABLE IF NOT EXISTS meta.files (
    sha256              VARCHAR NOT NULL,
    load_id             VARCHAR NOT NULL,
    relpath             VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,
    size_bytes          BIGINT,
    batch_seq           BIGINT,
    outcome             VARCHAR NOT NULL,
    reason              VARCHAR,
    records_read        BIGINT,
    records_loaded      BIGINT,
    records_quarantined BIGINT,
    records_warned      BIGINT,
    notes               VARCHAR,   -- what the parser noticed without refusing the file (ignored columns, ...)
    PRIMARY KEY (sha256, relpath)
);
