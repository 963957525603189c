-- Labels of the status and channel codes, one row per (domain, code): the canonical Vietnamese label.
-- Written from sources/labels.py (CODES) by warehouse.db.apply_schema, so every warehouse has it; marts join it
-- instead of repeating the labels. domain: 'status' | 'channel'.
CREATE TABLE IF NOT EXISTS ref.code_labels (
    domain VARCHAR NOT NULL, code INTEGER NOT NULL, label_vi VARCHAR NOT NULL,
    PRIMARY KEY (domain, code)
);
