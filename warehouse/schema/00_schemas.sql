-- Schemas of the pipeline's own warehouse (HOSO_WAREHOUSE_DB).
--   ref:    reference tables (units, procedures, published figures), replaced per version of their file
--   core:   dossier observations (append-only), current state, child tables, tasks, quarantine
--   meta:   loads, files, validation history
--   marts:  the analysts' tables, rebuilt by the marts asset and copied to the analytics snapshot
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS marts;
