-- bao_cao.doi_chieu_bao_cao: Đối chiếu số liệu báo cáo với số liệu tính lại | every figure of the published report
-- beside the value recomputed from the records, whether they match and, where they do not, which computation
-- reproduces the published number (the finding). Over marts.published_reconciliation.
-- grain: one row per published figure (mã chỉ tiêu).
-- column "Mã chỉ tiêu": figure_id | figure id (P1_ratio, P4_ratio, ...)
-- column "Mục báo cáo": report_ref | item of the report (P1..P9)
-- column "Nội dung như báo cáo": label_vi | the figure's label as published
-- column "Đơn vị": unit | percent, count or rank
-- column "Số liệu công bố": published_value | value as published
-- column "Số liệu tính lại": recomputed_value | what the label claims, recomputed from the records
-- column "Khớp": matches | published = recomputed (percent: within 0.005); empty when not recomputable
-- column "Chỉ tiêu theo nhãn": claimed_metric | what the label claims to measure
-- column "Công thức theo nhãn": claimed_formula | the computation of the claimed metric, with its numbers
-- column "Chỉ tiêu tái lập được": reproduced_by | the recomputed metric(s) that give the published value
-- column "Công thức tái lập": reproducing_formula | the computation that gives the published value
-- column "Kết luận": finding | what the comparison shows
CREATE OR REPLACE VIEW bao_cao.doi_chieu_bao_cao AS
SELECT figure_id            AS "Mã chỉ tiêu",
       report_ref           AS "Mục báo cáo",
       label_vi             AS "Nội dung như báo cáo",
       unit                 AS "Đơn vị",
       published_value      AS "Số liệu công bố",
       recomputed_value     AS "Số liệu tính lại",
       matches              AS "Khớp",
       claimed_metric       AS "Chỉ tiêu theo nhãn",
       claimed_formula      AS "Công thức theo nhãn",
       reproduced_by        AS "Chỉ tiêu tái lập được",
       reproducing_formula  AS "Công thức tái lập",
       finding              AS "Kết luận"
FROM marts.published_reconciliation
ORDER BY report_ref, figure_id;
