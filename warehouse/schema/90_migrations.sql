-- Columns added after the first release, for warehouses created before them (every statement is idempotent).
ALTER TABLE meta.files ADD COLUMN IF NOT EXISTS notes VARCHAR;
-- Whether a submitted document has a file and a result an electronic file link (the paths are not kept); the new
-- child tables core.dossier_supplements and core.dossier_databases are created by 12_core_children.sql (IF NOT EXISTS).
-- Rows loaded before have NULL there: their files were loaded without these fields being read.
ALTER TABLE core.dossier_documents ADD COLUMN IF NOT EXISTS has_file BOOLEAN;
ALTER TABLE core.dossier_results ADD COLUMN IF NOT EXISTS has_file_link BOOLEAN;
-- The load that last recomputed a dossier's current state (the marts' incremental build reads it); NULL on rows merged
-- before it existed, which fct_case_files treats as one load it has seen once built.
ALTER TABLE core.dossiers ADD COLUMN IF NOT EXISTS merged_load_id VARCHAR;
