-- marts.published_reconciliation under Vietnamese column names (documentation and tests: schema.yml). The mart is named
-- without its database, so the view binds to the marts of the database that holds it (warehouse or snapshot).
SELECT figure_id            AS "Mã chỉ tiêu",
       report_ref           AS "Mục báo cáo",
       label_vi             AS "Nội dung như báo cáo",
       {{ unit_vi('unit') }} AS "Đơn vị",
       published_value      AS "Số liệu công bố",
       recomputed_value     AS "Số liệu tính lại",
       matches              AS "Khớp",
       claimed_metric       AS "Chỉ tiêu theo nhãn",
       claimed_formula      AS "Công thức theo nhãn",
       reproduced_by        AS "Chỉ tiêu tái lập được",
       reproducing_formula  AS "Công thức tái lập",
       finding              AS "Kết luận",
       finding_en           AS "Kết luận (tiếng Anh)"
FROM {{ ref('published_reconciliation').include(database=False) }}
ORDER BY report_ref, figure_id
