-- marts.fct_case_files: one row per dossier (current state across all sources), without personal data.
-- grain: dossier_code. counted = received inside the reporting window and not a test dossier (the window metrics).
-- column dossier_code: Mã hồ sơ | dossier code, one dossier across all sources
-- column province_code: Mã tỉnh | province code
-- column unit_code: Mã đơn vị | receiving unit (commune ma_xa or province-level agency code)
-- column unit_name: Tên đơn vị | receiving unit name
-- column level: Cấp | province (sở, ngành) or commune
-- column procedure_code: Mã TTHC | procedure code
-- column procedure_name: Tên TTHC | procedure name
-- column field_name: Lĩnh vực | field of the procedure
-- column muc_do: Mức độ DVC | service level: 2 information only, 3 partly online, 4 fully online
-- column boundary_free: Không phụ thuộc địa giới | procedure filed regardless of administrative boundary
-- column channel: Kênh nộp | 1 in person, 2 online, 3 public postal service
-- column channel_label: Kênh nộp (nhãn) | channel label
-- column status: Trạng thái | status code 1..10 at the last observation
-- column status_label: Trạng thái (nhãn) | status label
-- column applicant_type: Loại đối tượng | 1 citizen, 2 enterprise, 3 state agency, 4 other (null in provincial exports)
-- column received_at: Ngày tiếp nhận | receipt time (Asia/Ho_Chi_Minh)
-- column received_date: Ngày tiếp nhận (ngày) | local receipt date
-- column due_at: Ngày hẹn trả | promised return time
-- column processed_at: Ngày kết thúc xử lý | processing finished
-- column returned_at: Ngày trả kết quả | result returned
-- column in_window: Trong kỳ báo cáo | received inside the reporting window
-- column is_test: Hồ sơ thử nghiệm | test dossier (excluded from metrics)
-- column counted: Được tính | counted in the window metrics (in window, not test)
-- column is_online: Nộp trực tuyến | channel = 2
-- column is_returned: Đã trả kết quả | status = 10
-- column on_time: Đúng hạn | processed no later than due (null while not processed)
-- column has_digitised_component: Có thành phần số hóa | the dossier has digitised components
-- column paid_online: Thanh toán trực tuyến | fees paid online
-- column synced_to_portal: Đồng bộ Cổng DVCQG | observed in the national-portal sync feed
-- column sources: Nguồn | source formats that observed the dossier
-- column observations: Số lần quan sát | observations behind the current state
-- column warnings: Cảnh báo | data-quality warnings carried by the current observation
-- column first_load_id: Lần nạp đầu | load that first saw the dossier
-- column last_load_id: Lần nạp cuối | load of the winning observation
-- column source_file: Tệp nguồn | file of the winning observation
CREATE OR REPLACE TABLE marts.fct_case_files AS
SELECT
    d.dossier_code, d.province_code, d.unit_code, u.unit_name, d.level,
    d.procedure_code, coalesce(p.procedure_name, d.procedure_name) AS procedure_name,
    coalesce(p.field_name, d.field_name) AS field_name, p.muc_do, p.boundary_free,
    d.channel,
    CASE d.channel WHEN 1 THEN 'Trực tiếp' WHEN 2 THEN 'Trực tuyến' WHEN 3 THEN 'Bưu chính công ích' END AS channel_label,
    d.status,
    CASE d.status
        WHEN 1 THEN 'Mới đăng ký' WHEN 2 THEN 'Đã tiếp nhận' WHEN 3 THEN 'Từ chối' WHEN 4 THEN 'Đang xử lý'
        WHEN 5 THEN 'Yêu cầu bổ sung' WHEN 6 THEN 'Chờ thực hiện nghĩa vụ tài chính' WHEN 7 THEN 'Công dân rút hồ sơ'
        WHEN 8 THEN 'Dừng xử lý' WHEN 9 THEN 'Đã xử lý xong' WHEN 10 THEN 'Đã trả kết quả'
    END AS status_label,
    d.applicant_type,
    d.received_at, CAST(d.received_at AS DATE) AS received_date, d.due_at, d.processed_at, d.returned_at,
    (d.received_at >= getvariable('window_start') AND d.received_at < getvariable('window_end')) AS in_window,
    coalesce(d.is_test, false) AS is_test,
    (d.received_at >= getvariable('window_start') AND d.received_at < getvariable('window_end')
        AND NOT coalesce(d.is_test, false)) AS counted,
    d.channel = 2 AS is_online,
    d.status = 10 AS is_returned,
    CASE WHEN d.processed_at IS NOT NULL AND d.due_at IS NOT NULL THEN d.processed_at <= d.due_at END AS on_time,
    d.has_digitised_component, d.paid_online, d.synced_to_portal, d.sources, d.observations, d.warnings,
    d.first_load_id, d.load_id AS last_load_id, d.source_file
FROM core.dossiers d
LEFT JOIN ref.units u ON u.unit_code = d.unit_code
LEFT JOIN ref.procedures p ON p.procedure_code = d.procedure_code
ORDER BY d.dossier_code;
