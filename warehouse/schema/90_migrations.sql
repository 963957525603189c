-- Columns added after the first release, for warehouses created before them (every statement is idempotent).
ALTER TABLE meta.files ADD COLUMN IF NOT EXISTS notes VARCHAR;
