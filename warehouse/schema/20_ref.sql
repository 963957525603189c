-- Reference tables, replaced whole by the newest version of their file.
-- ref.units grain: unit_code. ref.procedures grain: procedure_code. ref.published_figures grain: figure_id.
CREATE TABLE IF NOT EXISTS ref.units (
    unit_code VARCHAR PRIMARY KEY, unit_name VARCHAR, level VARCHAR, unit_kind VARCHAR, e_identifier VARCHAR,
    province_code VARCHAR, province_name VARCHAR, unit_name_key VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, load_id VARCHAR
);
CREATE TABLE IF NOT EXISTS ref.procedures (
    procedure_code VARCHAR PRIMARY KEY, procedure_name VARCHAR, field_code VARCHAR, field_name VARCHAR,
    level VARCHAR, muc_do TINYINT, boundary_free BOOLEAN, boundary_free_status VARCHAR, owner_unit_code VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, load_id VARCHAR
);
CREATE TABLE IF NOT EXISTS ref.published_figures (
    figure_id VARCHAR PRIMARY KEY, report_ref VARCHAR, label_vi VARCHAR, metric VARCHAR, value DOUBLE,
    unit VARCHAR, as_of VARCHAR,
    source_file VARCHAR, source_sha256 VARCHAR, load_id VARCHAR
);
