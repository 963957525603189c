-- meta.validations: the validation history, one row per (load, file, suite, expectation).
-- grain: (load_id, source_file, suite, expectation_id).
CREATE TABLE IF NOT EXISTS meta.validations (
    load_id          VARCHAR NOT NULL,
    source_file      VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    expectation_id   VARCHAR,
    expectation_type VARCHAR NOT NULL,
    columns          VARCHAR,
    reason           VARCHAR,
    severity         VARCHAR,
    scope            VARCHAR,
    success          BOOLEAN,
    element_count    BIGINT,
    unexpected_count BIGINT,
    unexpected_percent DOUBLE,
    sample_values    VARCHAR,
    validated_at     TIMESTAMPTZ
);
