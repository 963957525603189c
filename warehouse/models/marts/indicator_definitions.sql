-- The 766 indicators the warehouse computes from records, one row per (indicator, definition): labels, provenance
-- and the rule, as docs/indicators.md states it. grain: (indicator, definition).
-- Provenance: P the national portal's monitoring rule, V a provincial vendor's reporting module, D the decision.
SELECT indicator, definition, label_vi, label_en, provenance, numerator_rule, denominator_rule,
       CAST(full_score_at_pct AS DECIMAL(5, 2)) AS full_score_at_pct
FROM (VALUES
    ('1.4', 'P', 'Tỷ lệ đồng bộ hồ sơ lên Cổng DVCQG', 'sync ratio', 'P',
     'hồ sơ đã có trên Cổng DVCQG (quan sát trong dữ liệu đồng bộ) | dossiers observed in the national-portal sync feed',
     'hồ sơ tiếp nhận, từ mọi nguồn (hệ thống của tỉnh và Cổng) | received, from every source (the province''s systems and the portal)', NULL),
    ('2.1', 'P', 'Tỷ lệ hồ sơ giải quyết đúng hạn', 'on time', 'P',
     'kết thúc (xử lý xong, trả, từ chối, yêu cầu bổ sung đầu tiên) không muộn hơn hạn trả, hoặc chưa kết thúc và chưa quá hạn, hoặc không có hạn trả | ended by the due date (first of processed, returned, refused, first supplement request), or open and not yet past due, or no due date',
     'hồ sơ tiếp nhận, trừ hồ sơ rút (7) | received, withdrawn (7) left out', NULL),
    ('2.1', 'V', 'Tỷ lệ hồ sơ giải quyết đúng hạn (cách tính của hệ thống tỉnh)', 'on time, vendor rule', 'V',
     'đã xử lý xong và ngày kết thúc xử lý không muộn hơn hạn trả, hoặc không có hạn trả | finished with processed time <= due time, or no due date',
     'hồ sơ tiếp nhận đã xử lý xong | received and finished (processed time set)', NULL),
    ('3.2', 'P', 'Tỷ lệ DVCTT có phát sinh hồ sơ trực tuyến', 'online services in use', 'P',
     'thủ tục mức độ 3, 4 có ít nhất một hồ sơ trực tuyến | procedures (MucDo 3, 4) with at least one online dossier',
     'thủ tục mức độ 3, 4 có ít nhất một hồ sơ tiếp nhận (đếm thủ tục, không đếm hồ sơ) | procedures (MucDo 3, 4) with at least one received dossier (counts procedures, not dossiers)', NULL),
    ('3.3', 'A', 'Tỷ lệ hồ sơ trực tuyến', 'online ratio', 'P',
     'kênh nộp trực tuyến (2) | channel 2 (online)', 'hồ sơ tiếp nhận | received', 50),
    ('3.3b', 'in_person', 'Tỷ lệ hồ sơ nộp trực tiếp', 'in-person share', 'P',
     'kênh nộp trực tiếp (1 hoặc để trống) | channel 1 or empty', 'hồ sơ tiếp nhận | received', NULL),
    ('3.3b', 'postal', 'Tỷ lệ hồ sơ nộp qua bưu chính công ích', 'postal share', 'P',
     'kênh bưu chính công ích (3) | channel 3 (public postal service)', 'hồ sơ tiếp nhận | received', NULL),
    ('3.6', 'P', 'Tỷ lệ hồ sơ thanh toán trực tuyến', 'dossiers paid online', 'P',
     'DuocThanhToanTrucTuyen là 1 hoặc 2 | paid online (DuocThanhToanTrucTuyen 1 or 2)',
     'hồ sơ tiếp nhận có ít nhất một khoản phí, lệ phí lớn hơn 0 | received with at least one fee above 0', NULL),
    ('4.1', 'P', 'Tỷ lệ hồ sơ có kết quả điện tử', 'electronic results', 'P',
     'có giấy tờ kết quả với mã và đường dẫn tệp | a result document with a code and a file link',
     'hồ sơ tiếp nhận đã trả kết quả (10) | received and returned (status 10)', NULL),
    ('4.2', 'P', 'Tỷ lệ số hóa hồ sơ', 'digitisation', 'P',
     'thành phần hồ sơ có tệp đính kèm và có kết quả điện tử | a component with a file and an electronic result',
     'hồ sơ tiếp nhận, trừ hồ sơ bị từ chối (3) | received, refused (3) left out', 80),
    ('4.3', 'P', 'Tỷ lệ tái sử dụng dữ liệu số hóa', 'reuse of digitised data', 'P',
     'HoSoCoThanhPhanSoHoa = 1 hoặc có thành phần được tái sử dụng | digitised component flag, or a reused component',
     'hồ sơ tiếp nhận | received', 80),
    ('4.4', 'P', 'Tỷ lệ kết nối kho dữ liệu DMQG', 'national document store', 'P',
     'có thành phần lấy từ kho DMQG hoặc có kết quả điện tử | a component from the national store, or an electronic result',
     'hồ sơ tiếp nhận | received', NULL),
    ('4.5', 'P', 'Tỷ lệ khai thác dữ liệu dân cư', 'population database', 'P',
     'tài khoản xác thực VNeID, thành phần từ kho DMQG hoặc kết nối CSDLQGDC | VNeID-verified account, a component from the national store, or a CSDLQGDC link',
     'hồ sơ tiếp nhận | received', NULL)
) AS t(indicator, definition, label_vi, label_en, provenance, numerator_rule, denominator_rule, full_score_at_pct)
ORDER BY indicator, definition
