-- Child tables of portal observations (the nested lists of a dossier object), keyed by the parent observation
-- (source_sha256, source_row) and the position in the list; dossier_code repeated for joins.
-- grain: (source_sha256, source_row, position). file_name and document_name are keyed pseudonyms of the names as sent
-- (they name people); fee names and forms are kept with ID, phone and e-mail patterns scrubbed (sources/text.py).
-- File paths and result links are not kept, only whether there is one (has_file, has_file_link); the text of a
-- supplement request (NoiDungYeuCau) is not kept. Columns added after the first release are also in 90_migrations.sql.
CREATE TABLE IF NOT EXISTS core.dossier_documents (
    dossier_code VARCHAR, position INTEGER, file_id VARCHAR, file_name VARCHAR, is_deleted BOOLEAN,
    component_code VARCHAR, is_digitised BOOLEAN, is_reused BOOLEAN, from_national_store BOOLEAN,
    replaced_by_result_code VARCHAR, has_file BOOLEAN,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
CREATE TABLE IF NOT EXISTS core.dossier_fees (
    dossier_code VARCHAR, position INTEGER, fee_name VARCHAR, fee_code VARCHAR, collect_form VARCHAR,
    amount DECIMAL(18, 0), fee_type VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
CREATE TABLE IF NOT EXISTS core.dossier_results (
    dossier_code VARCHAR, position INTEGER, document_name VARCHAR, component_code VARCHAR, document_id VARCHAR,
    result_code VARCHAR, has_file_link BOOLEAN,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
CREATE TABLE IF NOT EXISTS core.dossier_identities (
    dossier_code VARCHAR, position INTEGER, id_type VARCHAR, id_hash VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
-- DanhSachHoSoBoSung: supplement requests (requested, resubmitted by the citizen; NULL when empty or unreadable).
CREATE TABLE IF NOT EXISTS core.dossier_supplements (
    dossier_code VARCHAR, position INTEGER, requested_at TIMESTAMPTZ, resubmitted_at TIMESTAMPTZ,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
-- DSKetNoiCSDL: the national databases the dossier is connected to (e.g. CSDLQGDC, the population database).
CREATE TABLE IF NOT EXISTS core.dossier_databases (
    dossier_code VARCHAR, position INTEGER, database_code VARCHAR, database_name VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
-- core.processing_steps: the processing history pushed beside each portal batch. grain: (source_sha256, source_row).
-- action is the keyed pseudonym of the step's note (NoiDungXuLy); handler_title, department, status are scrubbed.
CREATE TABLE IF NOT EXISTS core.processing_steps (
    dossier_code VARCHAR, handler_hash VARCHAR, handler_title VARCHAR, handled_at TIMESTAMPTZ, department VARCHAR,
    action VARCHAR, status VARCHAR, started_at TIMESTAMPTZ, deadline_at TIMESTAMPTZ,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
