-- Question: which figures of the published report do the records confirm, which not, and what explains the others?
-- Source: marts.published_reconciliation (the report's figures are an input: ref published_figures).
-- How to read the result: one row per published figure, the ones that need attention first:
-- status 'mismatch' (the records give another value for what the label claims), then 'not recomputable' (the
-- warehouse holds no records for it), then 'match'. difference = published - recomputed. For a mismatch,
-- reproduced_by names the recomputed metric that does give the published number (e.g. a commune ratio that is in
-- fact commune online / province-level online) and finding says it in one sentence; reproduced_by empty means no
-- computation from the records gives that number. finding is in Vietnamese (numbers as 224.930; 72,35%), finding_en
-- the same in English.
SELECT CASE WHEN matches THEN 'match' WHEN matches IS NULL THEN 'not recomputable' ELSE 'mismatch' END AS status,
       report_ref,
       figure_id,
       label_vi,
       unit,
       published_value,
       recomputed_value,
       round(published_value - recomputed_value, 2) AS difference,
       claimed_metric,
       reproduced_by,
       reproducing_formula,
       finding,
       finding_en
FROM marts.published_reconciliation
ORDER BY CASE WHEN matches THEN 3 WHEN matches IS NULL THEN 2 ELSE 1 END, report_ref, figure_id;
