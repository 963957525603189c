"""The validation layer (expectations/): suites load and round-trip through Great Expectations, a handcrafted
canonical dossiers frame gets exactly the contract's quarantine reasons and warnings, personal values are masked,
table-level checks, reference sets passed at run time, data docs written.

One GX context per process (expectations.gx_context caches it); the frames are validated once per module.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest

from expectations import build_data_docs, split, suite_names, validate
from expectations.reasons import CRITICAL_REASONS, MASK, SEVERITY, WARNING_REASONS
from expectations.runner import (
    RESULTS_SCHEMA,
    ROW_FAILURES_SCHEMA,
    ValidationError,
    resolve_parameters,
    results_by,
)
from expectations.suites import SuiteError, dumps, load_suite, parse_suite, suite_path

TZ = "Asia/Ho_Chi_Minh"
ENTITIES = [
    "dossiers",
    "processing_steps",
    "fees",
    "documents",
    "supplements",
    "commune_tasks",
    "province_tasks",
    "province_snapshot",
    "units",
    "procedures",
]
PROCEDURES = ["1.001234", "1.005678", "2.000111"]
AS_OF = datetime(2025, 8, 6, 16)
CONTEXT = {"procedure_codes": PROCEDURES, "as_of": AS_OF}


# ---- suites ----------------------------------------------------------------------------------------------------


def test_one_suite_per_entity():
    assert suite_names() == sorted(ENTITIES)


@pytest.mark.parametrize("entity", ENTITIES)
def test_suite_file_is_canonical_and_round_trips_through_gx(entity):
    import great_expectations as gx

    text = suite_path(entity).read_text(encoding="utf-8")
    document = json.loads(text)
    assert text == dumps(document)  # indent 2, sorted keys: `python -m expectations.suites --write` fixes it
    suite = gx.ExpectationSuite(**document)
    assert suite.to_json_dict() == document
    spec = load_suite(entity)
    assert spec.name == entity and spec.checks
    for check in spec.checks:
        assert check.id.startswith(f"{entity}.")
        assert check.reason in (CRITICAL_REASONS if check.severity == "critical" else WARNING_REASONS)


def test_dossiers_suite_covers_every_contract_reason():
    reasons = {(c.reason, c.severity) for c in load_suite("dossiers").checks}
    contract_critical = {
        "missing_dossier_code",
        "received_at_invalid",
        "returned_before_received",
        "processed_before_received",
        "unknown_unit",
        "unknown_channel",
        "unknown_status",
        "unknown_procedure",
    }
    assert {(r, "critical") for r in contract_critical} <= reasons
    assert {("dossier_code_format", "warning"), ("id_number_length", "warning")} <= reasons
    assert CRITICAL_REASONS[:8] == (
        "missing_dossier_code",
        "received_at_invalid",
        "unknown_unit",
        "unknown_channel",
        "unknown_status",
        "unknown_procedure",
        "returned_before_received",
        "processed_before_received",
    )


def test_each_reason_has_one_severity():
    assert not set(CRITICAL_REASONS) & set(WARNING_REASONS)
    assert len(set(CRITICAL_REASONS)) == len(CRITICAL_REASONS) and len(set(WARNING_REASONS)) == len(WARNING_REASONS)
    for name in suite_names():
        for check in load_suite(name).checks:
            assert SEVERITY[check.reason] == check.severity, check.id


def test_suite_rules_are_enforced():
    base = {
        "name": "x",
        "expectations": [
            {
                "id": "x.a_present",
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a"},
                "meta": {"severity": "critical", "reason": "missing_key", "scope": "row"},
                "severity": "critical",
            }
        ],
    }
    parse_suite(base)

    def broken(**meta):
        doc = json.loads(json.dumps(base))
        doc["expectations"][0]["meta"].update(meta)
        return doc

    with pytest.raises(SuiteError, match="not in expectations/reasons.py"):
        parse_suite(broken(reason="typo_reason"))
    with pytest.raises(SuiteError, match="differs"):
        parse_suite(broken(severity="warning", reason="value_out_of_range"))
    # a reason has one severity: a critical reason cannot be a warning, nor a warning reason critical
    demoted = broken(severity="warning")
    demoted["expectations"][0]["severity"] = "warning"
    with pytest.raises(SuiteError, match="'missing_key' is critical"):
        parse_suite(demoted)
    with pytest.raises(SuiteError, match="'value_out_of_range' is warning"):
        parse_suite(broken(reason="value_out_of_range"))
    table = json.loads(json.dumps(base))
    table["expectations"][0].update(type="expect_table_row_count_to_be_between", kwargs={"min_value": 1})
    with pytest.raises(SuiteError, match="scope must be 'table'"):
        parse_suite(table)


@pytest.mark.parametrize("entity", ENTITIES)
def test_suite_runs_on_the_canonical_schema(entity):
    """Every column a suite reads exists in the parsers' canonical frame (sources/schema.py)."""
    schema = pytest.importorskip("sources.schema")
    frame = schema.empty_frame(entity)
    if entity == "dossiers":
        frame = frame.with_columns(pl.lit(None, pl.String).alias("unit_code"))  # added by the caller
    outcome = validate(entity, frame, CONTEXT)
    assert outcome.success and outcome.row_failures.height == 0
    clean, quarantined = split(frame, outcome)
    assert clean.height == quarantined.height == 0


# ---- a handcrafted canonical dossiers frame --------------------------------------------------------------------


def ts(*parts):
    return datetime(*parts)


# (dossier_code, unit_code, procedure_code, channel, status, applicant_type, received, processed, returned,
#  owner_id_length) -> expected (critical reasons in priority order, warnings)
GOOD = "000.00.01.H40-250701-"
CASES = [
    ((GOOD + "0001", "17329", "1.001234", 2, 4, 1, ts(2025, 7, 1, 8), None, None, 12), ([], [])),
    ((GOOD + "0002", "17329", "1.005678", 1, 10, None, ts(2025, 7, 1, 9), ts(2025, 7, 2), ts(2025, 7, 3), None), ([], [])),
    ((None, "17329", "1.001234", 2, 4, 1, ts(2025, 7, 1, 8), None, None, 12), (["missing_dossier_code"], [])),
    ((GOOD + "0003", "17329", "1.001234", 2, 4, 1, None, None, None, 12), (["received_at_invalid"], [])),
    ((GOOD + "0004", "17329", "1.001234", 2, 10, 1, ts(2025, 7, 5), ts(2025, 7, 6), ts(2025, 7, 4), 12), (["returned_before_received"], [])),
    ((GOOD + "0005", "17329", "1.001234", 2, 9, 1, ts(2025, 7, 5), ts(2025, 7, 4), None, 12), (["processed_before_received"], [])),
    ((GOOD + "0006", None, "1.001234", 2, 4, 1, ts(2025, 7, 5), None, None, 12), (["unknown_unit"], [])),
    ((GOOD + "0007", "17329", "1.001234", None, 4, 1, ts(2025, 7, 5), None, None, 12), (["unknown_channel"], [])),
    ((GOOD + "0008", "17329", "1.001234", 2, None, 1, ts(2025, 7, 5), None, None, 12), (["unknown_status"], [])),
    ((GOOD + "0009", "17329", "9.999999", 2, 4, 1, ts(2025, 7, 5), None, None, 12), (["unknown_procedure"], [])),
    ((GOOD + "0010", "17329", None, 2, 4, 1, ts(2025, 7, 5), None, None, 12), (["unknown_procedure"], [])),
    (("HS-2025-0011", "17329", "1.001234", 2, 4, 1, ts(2025, 7, 5), None, None, 12), ([], ["dossier_code_format"])),
    ((GOOD + "0012", "17329", "1.001234", 2, 4, 1, ts(2025, 7, 5), None, None, 9), ([], ["id_number_length"])),
    (  # several critical reasons and a warning on one row
        (GOOD + "0013", None, "1.001234", None, 10, 1, ts(2025, 7, 5), ts(2025, 7, 5), ts(2025, 7, 1), 13),
        (["unknown_unit", "unknown_channel", "returned_before_received"], ["id_number_length"]),
    ),
    ((GOOD + "0014", "17329", "1.001234", 2, 4, 1, ts(2019, 12, 31), None, None, 12), ([], ["received_at_implausible"])),
    ((GOOD + "0015", "17329", "1.001234", 1, 4, 7, ts(2025, 7, 5), None, None, 12), ([], ["unknown_applicant_type"])),
    ((GOOD + "0016", "17329", "2.000111", 3, 10, 2, ts(2025, 7, 5, 10), ts(2025, 7, 5, 10), ts(2025, 7, 5, 10), 12), ([], [])),
    ((GOOD + "12345", "40S01", "1.001234", 2, 10, 1, ts(2025, 8, 7, 15), None, None, 12), ([], [])),  # 5-digit counter, as-of + 1 day
]


def dossiers_frame(rows) -> pl.DataFrame:
    """The contract §3.1 columns the suite reads, with their types, plus a few (unit_code is added by the caller)."""
    cols = [
        "dossier_code", "unit_code", "procedure_code", "channel", "status", "applicant_type",
        "received_at", "processed_at", "returned_at", "owner_id_length",
    ]  # fmt: skip
    n = len(rows)
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("channel", "status", "applicant_type").cast(pl.Int8),
        pl.col("owner_id_length").cast(pl.Int16),
        pl.col("received_at", "processed_at", "returned_at").cast(pl.Datetime("us")).dt.replace_time_zone(TZ),
        pl.lit("Xã Anh Sơn").alias("unit_name"),
        pl.col("channel").cast(pl.String).fill_null("9").alias("channel_raw"),  # the parser nulls unknown codes
        pl.lit("4f2a" * 16).alias("owner_id_hash"),
        pl.lit("portal/hoso-20250705-01.json").alias("source_file"),
        pl.int_range(n, dtype=pl.Int64).alias("source_row"),
        # read by the date checks (date_unreadable, date_implausible): no other date, no raw text, no batch time
        *[pl.lit(None, pl.Datetime("us", TZ)).alias(c) for c in ("submitted_at", "due_at", "refused_at", "observed_at")],
        *[pl.lit(None, pl.String).alias(f"{c}_at_raw") for c in ("submitted", "due", "processed", "returned", "refused")],
    )


@pytest.fixture(scope="module")
def dossiers():
    frame = dossiers_frame([row for row, _ in CASES])
    outcome = validate("dossiers", frame, CONTEXT)
    clean, quarantined = split(frame, outcome)
    return frame, outcome, clean, quarantined


def test_outcome_shapes(dossiers):
    frame, outcome, _, _ = dossiers
    assert outcome.row_failures.schema == ROW_FAILURES_SCHEMA
    assert outcome.results.schema == RESULTS_SCHEMA
    assert outcome.results.get_column("expectation_id").to_list() == [c.id for c in load_suite("dossiers").checks]
    assert outcome.n_rows == frame.height
    assert set(outcome.timings) == {"prepare", "gx", "collect", "total"}
    assert not outcome.success  # critical failures


def test_each_row_gets_exactly_its_reasons(dossiers):
    _, outcome, clean, quarantined = dossiers
    got_critical = {
        r: q for r, q in zip(quarantined.get_column("source_row").to_list(), quarantined.get_column("reasons").to_list())
    }
    warnings = dict(
        zip(
            pl.concat([clean, quarantined], how="diagonal").get_column("source_row").to_list(),
            pl.concat([clean, quarantined], how="diagonal").get_column("warnings").to_list(),
        )
    )
    for i, (_, (critical, warned)) in enumerate(CASES):
        assert got_critical.get(i) == ("; ".join(critical) or None), f"row {i}"
        assert warnings[i] == ("; ".join(warned) or None), f"row {i}"
    assert outcome.critical_rows.to_list() == sorted(got_critical)
    assert clean.height + quarantined.height == len(CASES)


def test_clean_rows_pass_untouched(dossiers):
    frame, _, clean, _ = dossiers
    clean_rows = [i for i, (_, (critical, _)) in enumerate(CASES) if not critical]
    assert clean.get_column("source_row").to_list() == clean_rows
    assert clean.drop("warnings").equals(frame.filter(pl.col("source_row").is_in(clean_rows)))
    assert "reason" not in clean.columns


def test_multi_reason_row(dossiers):
    _, outcome, _, quarantined = dossiers
    row = quarantined.filter(pl.col("source_row") == 13).row(0, named=True)
    assert row["reason"] == "unknown_unit"  # first in the fixed priority order
    assert row["reasons"] == "unknown_unit; unknown_channel; returned_before_received"
    assert row["failed_values"] == (  # checked columns, then the evidence columns of the check
        "unit_code=null, unit_name=Xã Anh Sơn; channel=null, channel_raw=9; "
        "returned_at=2025-07-01T00:00:00+07:00, received_at=2025-07-05T00:00:00+07:00"
    )
    assert row["warnings"] == "id_number_length"
    per_row = outcome.row_failures.filter(pl.col("row_index") == 13)
    assert sorted(per_row.get_column("expectation_id").to_list()) == [
        "dossiers.channel_present",
        "dossiers.id_number_length",
        "dossiers.returned_not_before_received",
        "dossiers.unit_known",
    ]


def test_personal_values_are_masked(dossiers):
    _, outcome, _, _ = dossiers
    length = outcome.row_failures.filter(pl.col("expectation_id") == "dossiers.id_number_length")
    assert length.get_column("row_index").to_list() == [12, 13]
    assert length.get_column("value").to_list() == [MASK, MASK]
    result = outcome.results.filter(pl.col("expectation_id") == "dossiers.id_number_length").row(0, named=True)
    assert result["sample_values"] == MASK
    assert (result["unexpected_count"], result["success"], result["severity"]) == (2, False, "warning")
    gx_result = next(r for r in outcome.gx_result.results if r.expectation_config.kwargs.get("column") == "owner_id_length")
    assert gx_result.result["partial_unexpected_list"] == [MASK, MASK]
    assert gx_result.result["partial_unexpected_counts"] == [{"value": MASK, "count": 2}]
    assert "unexpected_list" not in gx_result.result and "unexpected_index_list" not in gx_result.result


def test_gx_does_not_fingerprint_the_frames_it_validates(dossiers):
    """expectations/gx_context.py turns off the hash of every batch's values (batch markers nothing reads)."""
    outcome = dossiers[1]
    assert "ge_load_time" in outcome.gx_result.meta["batch_markers"]  # the markers are there, without the hash
    assert "pandas_data_fingerprint" not in outcome.gx_result.meta["batch_markers"]


def test_results_carry_counts_and_samples(dossiers):
    _, outcome, _, _ = dossiers
    res = {r["expectation_id"]: r for r in outcome.results.iter_rows(named=True)}
    known = res["dossiers.procedure_known"]
    assert (known["success"], known["unexpected_count"], known["sample_values"]) == (False, 1, "9.999999")
    assert (known["reason"], known["severity"], known["scope"], known["columns"]) == (
        "unknown_procedure", "critical", "row", "procedure_code",
    )  # fmt: skip
    assert res["dossiers.received_at_plausible"]["sample_values"] == "2019-12-31T00:00:00+07:00"
    assert res["dossiers.channel_known"]["success"]  # nulls are the not-null check's business
    online = res["dossiers.online_share_plausible"]
    assert (online["scope"], online["success"], online["unexpected_count"]) == ("table", True, 0)
    assert res["dossiers.not_empty"]["success"] and res["dossiers.not_empty"]["sample_values"] == f"observed={len(CASES)}"


# ---- table-level expectations ----------------------------------------------------------------------------------


def test_table_level_warning_fails_without_quarantining_rows():
    rows = [row for row, (critical, warned) in CASES if not critical and not warned]
    all_online = dossiers_frame([(r[0], r[1], r[2], 2, *r[4:]) for r in rows])
    outcome = validate("dossiers", all_online, CONTEXT)
    failed = outcome.failed
    assert failed.get_column("expectation_id").to_list() == ["dossiers.online_share_plausible"]
    assert failed.get_column("sample_values").to_list() == ["1.0"]  # the file's share, on each of its rows
    assert failed.get_column("unexpected_count").to_list() == [all_online.height]
    assert outcome.success  # a warning
    assert outcome.row_failures.height == 0
    clean, quarantined = split(all_online, outcome)
    assert clean.height == all_online.height and quarantined.height == 0
    assert clean.get_column("warnings").null_count() == clean.height


def test_one_batch_of_two_files_gives_each_file_its_own_results(dossiers):
    """Files validated together in one GX run: the per-file aggregates (online share) and the counts stay per file."""
    frame, _, _, _ = dossiers
    rows = [row for row, (critical, warned) in CASES if not critical and not warned]
    all_online = dossiers_frame([(r[0], r[1], r[2], 2, *r[4:]) for r in rows]).with_columns(
        pl.lit("portal/hoso-20250706-01.json").alias("source_file"))
    batch = pl.concat([frame, all_online.select(frame.columns)])
    outcome = validate("dossiers", batch, CONTEXT)
    per_file = results_by(outcome, batch.get_column("source_file"))
    assert per_file.columns == ["group", *RESULTS_SCHEMA.names()]
    got = {(r["group"], r["expectation_id"]): r for r in per_file.iter_rows(named=True)}
    first, second = "portal/hoso-20250705-01.json", "portal/hoso-20250706-01.json"
    assert got[(first, "dossiers.online_share_plausible")]["success"]
    online = got[(second, "dossiers.online_share_plausible")]
    assert (online["success"], online["unexpected_count"], online["element_count"], online["sample_values"]) == (
        False, all_online.height, all_online.height, "1.0")  # fmt: skip
    known = got[(first, "dossiers.procedure_known")]
    assert (known["success"], known["unexpected_count"], known["element_count"]) == (False, 1, frame.height)
    assert known["unexpected_percent"] == pytest.approx(100.0 / frame.height)
    assert got[(second, "dossiers.procedure_known")]["unexpected_count"] == 0
    not_empty = got[(second, "dossiers.not_empty")]  # an aggregate: the batch's success, nothing batch-dependent
    assert (not_empty["success"], not_empty["element_count"], not_empty["sample_values"]) == (
        True, all_online.height, None)  # fmt: skip
    with pytest.raises(ValueError, match="group labels"):
        results_by(outcome, batch.get_column("source_file").head(3))


def commune_tasks_frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["snapshot_date", "commune_code", "task_code", "is_done", "updated_on"], orient="row"
    ).with_columns(
        pl.col("snapshot_date", "updated_on").cast(pl.Date),
        pl.col("is_done").cast(pl.Boolean),
        pl.lit("Xã Anh Sơn").alias("commune_name"),
        pl.lit("tasks/nhiemvu-xa-20250806.csv").alias("source_file"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"),
    )


def test_commune_tasks_suite():
    snap = date(2025, 8, 6)
    rows = [(snap, "17329", f"NV{i:02d}", i % 2 == 0, date(2025, 8, 1)) for i in range(1, 17)]  # complete commune
    rows += [(snap, "17330", f"NV{i:02d}", True, date(2025, 8, 1)) for i in range(1, 16)]  # 15 tasks
    rows += [
        (snap, "17330", "NV15", True, date(2025, 8, 1)),  # duplicate key (both rows quarantined)
        (snap, "17331", "NV17", True, date(2025, 8, 1)),  # unknown task code
        (snap, "17331", "NV01", None, date(2025, 8, 7)),  # unknown status label; updated after the snapshot
    ]
    frame = commune_tasks_frame(rows)
    outcome = validate("commune_tasks", frame, {})
    clean, quarantined = split(frame, outcome)
    got = dict(zip(quarantined.get_column("source_row").to_list(), quarantined.get_column("reasons").to_list()))
    assert got == {30: "duplicate_key", 31: "duplicate_key", 32: "unknown_task_code", 33: "unknown_task_status"}
    assert clean.filter(pl.col("warnings").is_not_null()).height == 0
    assert quarantined.filter(pl.col("source_row") == 33).get_column("warnings").to_list() == ["updated_after_snapshot"]
    res = {r["expectation_id"]: r for r in outcome.results.iter_rows(named=True)}
    sixteen = res["commune_tasks.sixteen_tasks_per_commune"]
    assert (sixteen["scope"], sixteen["success"]) == ("table", False)
    # the rows of the incomplete communes: 17330 (15 distinct tasks, 16 rows) and 17331 (2 rows)
    assert sixteen["unexpected_count"] == 18
    assert not outcome.row_failures.filter(pl.col("reason") == "incomplete_task_set").height  # table scope


# ---- run-time reference sets -----------------------------------------------------------------------------------


def test_reference_sets_come_from_the_context():
    spec = load_suite("dossiers")
    assert spec.parameters == ("procedure_codes", "received_at_max")
    params = resolve_parameters(spec, {"procedure_codes": {"b", "a"}, "as_of": datetime(2025, 8, 6, 16)})
    assert params["procedure_codes"] == ["a", "b"]
    assert str(params["received_at_max"]) == "2025-08-07 16:00:00+07:00"
    with pytest.raises(ValueError, match="procedure_codes"):
        resolve_parameters(spec, {})
    frame = dossiers_frame([CASES[0][0]])
    outcome = validate("dossiers", frame, {"procedure_codes": ["other"], "as_of": AS_OF})
    assert outcome.critical_rows.to_list() == [0]
    assert outcome.row_failures.get_column("reason").to_list() == ["unknown_procedure"]
    early = validate("dossiers", frame, {"procedure_codes": PROCEDURES, "as_of": datetime(2025, 6, 1)})
    assert early.row_failures.get_column("reason").to_list() == ["received_at_implausible"]


def test_missing_column_is_an_error_not_a_failure():
    frame = dossiers_frame([CASES[0][0]]).drop("unit_code")
    with pytest.raises(KeyError, match="unit_code"):
        validate("dossiers", frame, CONTEXT)


def test_wrong_type_is_an_error_not_a_failure():
    frame = dossiers_frame([CASES[1][0]]).with_columns(pl.col("received_at").dt.strftime("%d/%m/%Y"))
    with pytest.raises(ValidationError, match="raised inside Great Expectations"):
        validate("dossiers", frame, CONTEXT)


def test_split_refuses_another_frame(dossiers):
    frame, outcome, _, _ = dossiers
    with pytest.raises(ValueError, match="rows"):
        split(frame.head(3), outcome)


# ---- data docs -------------------------------------------------------------------------------------------------


def test_data_docs(dossiers, tmp_path):
    _, outcome, _, _ = dossiers
    tasks = commune_tasks_frame([(date(2025, 8, 6), "17329", "NV01", True, date(2025, 8, 1))])
    index = build_data_docs([outcome, validate("commune_tasks", tasks, {})], tmp_path / "docs")
    assert index == tmp_path / "docs" / "index.html" and index.is_file()
    pages = sorted(p.relative_to(tmp_path / "docs").parts[:2] for p in (tmp_path / "docs").rglob("*.html"))
    assert ("expectations", "dossiers.html") in pages and ("validations", "dossiers") in pages
    assert ("validations", "commune_tasks") in pages
    html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "docs" / "validations").rglob("*.html"))
    assert "9.999999" in html  # the sample of an unknown procedure code
    assert "The procedure code is in the reference catalogue" in html  # expectation descriptions are rendered
    build_data_docs([validate("commune_tasks", tasks, {})], tmp_path / "docs")  # the latest validations only
    assert not list((tmp_path / "docs" / "validations" / "dossiers").rglob("*.html"))
    assert (tmp_path / "docs" / "expectations" / "dossiers.html").is_file()


def test_a_file_without_rows_keeps_its_own_results_in_the_validation_history(tmp_path):
    """A file whose frame is empty is validated alone; its results (the empty_batch warning) are written for it."""
    from sources.schema import empty_frame
    from stages.staging import StagedFile
    from stages.validate import empty_reference, validate_files

    sf = StagedFile(relpath="portal/xuly-20250701-01.json", kind="portal_history", sha256="0" * 64, size=2,
                    batch_seq=2025070101, partition="2025-07-01", folder=str(tmp_path / "f"))
    sf.write_frame("extracted", "processing_steps", empty_frame("processing_steps"))
    sf.save()
    [done] = validate_files([sf], empty_reference())
    assert (done.outcome, done.records_loaded, done.records_quarantined) == ("validated", 0, 0)
    history = pl.read_parquet(done.validations_path)
    assert history.get_column("expectation_id").to_list() == [c.id for c in load_suite("processing_steps").checks]
    empty = history.filter(pl.col("expectation_id") == "processing_steps.not_empty").row(0, named=True)
    assert (empty["success"], empty["reason"], empty["sample_values"]) == (False, "empty_batch", "observed=0")
