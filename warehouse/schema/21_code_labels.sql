-- TEMPORARY (until ref.code_labels is written from sources/labels.py): the labels of the status and channel codes,
-- the values fct_case_files had in CASE expressions. grain: (domain, code). Delete this file then.
CREATE TABLE IF NOT EXISTS ref.code_labels (domain VARCHAR, code INTEGER, label_vi VARCHAR);
INSERT INTO ref.code_labels
SELECT * FROM (VALUES
    ('status', 1, 'Mới đăng ký'), ('status', 2, 'Đã tiếp nhận'), ('status', 3, 'Từ chối'), ('status', 4, 'Đang xử lý'),
    ('status', 5, 'Yêu cầu bổ sung'), ('status', 6, 'Chờ thực hiện nghĩa vụ tài chính'),
    ('status', 7, 'Công dân rút hồ sơ'), ('status', 8, 'Dừng xử lý'), ('status', 9, 'Đã xử lý xong'),
    ('status', 10, 'Đã trả kết quả'),
    ('channel', 1, 'Trực tiếp'), ('channel', 2, 'Trực tuyến'), ('channel', 3, 'Bưu chính công ích')
) v(domain, code, label_vi)
WHERE NOT EXISTS (SELECT 1 FROM ref.code_labels c WHERE c.domain = v.domain AND c.code = v.code);
