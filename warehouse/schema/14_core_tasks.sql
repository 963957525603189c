-- Task-monitoring tables. Each is replaced per snapshot by the newest file of that snapshot.
-- core.commune_tasks grain: (snapshot_date, commune_code, task_code).
CREATE TABLE IF NOT EXISTS core.commune_tasks (
    snapshot_date DATE, commune_code VARCHAR, commune_name VARCHAR, task_code VARCHAR, task_name VARCHAR,
    is_done BOOLEAN, updated_on DATE,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
-- core.province_tasks grain: (snapshot_date, task_code).
CREATE TABLE IF NOT EXISTS core.province_tasks (
    snapshot_date DATE, task_code VARCHAR, task_name VARCHAR, lead_unit VARCHAR, deadline DATE,
    status_label VARCHAR, is_done BOOLEAN, done_on DATE,
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
-- core.province_snapshot grain: (snapshot_date, province_code): the national 34-province snapshot.
CREATE TABLE IF NOT EXISTS core.province_snapshot (
    snapshot_date DATE, province_code VARCHAR, province_name VARCHAR, online_ratio_pct DECIMAL(5, 2),
    commune_task_pct DECIMAL(5, 2),
    source_file VARCHAR, source_sha256 VARCHAR, source_row BIGINT, load_id VARCHAR
);
