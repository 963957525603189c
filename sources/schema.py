"""The canonical frames every parser returns (docs/data-contracts.md §3): names, columns, dtypes, in order.

`CANONICAL_SCHEMAS[name]` is the exact `pl.Schema` of frame `name`; every parser ends with `conform(df, name)`, so
downstream code may rely on it. Every frame ends with the lineage columns (`LINEAGE`); the load adds `load_id`.
"""

from __future__ import annotations

import polars as pl

TZ = "Asia/Ho_Chi_Minh"
TS = pl.Datetime("us", TZ)
STR = pl.String

LINEAGE = pl.Schema(
    {
        "source_format": STR,  # portal_json | provincial_csv | provincial_xlsx | tasks_csv | reference_csv
        "source_file": STR,  # path relative to the landing folder (posix)
        "source_sha256": STR,
        "source_row": pl.Int64,  # 0-based record position; provincial: data row index after the header
        "observed_at": TS,  # batch time (file-name date at 23:59:59 portal, 16:00 provincial/tasks); null if none
        "batch_seq": pl.Int64,  # YYYYMMDDNN (provincial and task files: NN = 00); null if the file has no date
    }
)

SOURCE_FORMATS = ("portal_json", "provincial_csv", "provincial_xlsx", "tasks_csv", "reference_csv")

TIMESTAMP_FIELDS = ("submitted_at", "received_at", "due_at", "processed_at", "returned_at", "refused_at")

_DOSSIERS = {
    "dossier_code": STR,
    "procedure_code": STR,
    "procedure_name": STR,
    "field_code": STR,
    "field_name": STR,
    "unit_name": STR,  # as read (trimmed); units are matched on labels.unit_name_key_expr
    "channel": pl.Int8,  # 1 in person, 2 online, 3 postal; empty -> 1; unknown -> null
    "channel_raw": STR,
    "status": pl.Int8,  # 1..10; unknown -> null
    "status_raw": STR,
    "applicant_type": pl.Int8,  # 1..4; null in provincial files and for unknown codes
    **{name: TS for name in TIMESTAMP_FIELDS},
    **{f"{name}_raw": STR for name in TIMESTAMP_FIELDS},
    "result_form": STR,
    "submit_place": STR,
    "has_digitised_component": pl.Boolean,
    "vneid_verified": pl.Boolean,
    "paid_online": pl.Boolean,
    "owner_id_hash": STR,
    "owner_id_length": pl.Int16,
    "owner_name_hash": STR,
    "phone_hash": STR,
    "email_hash": STR,
    "address_hash": STR,
    "is_test": pl.Boolean,
}

_CHILD_KEY = {"dossier_code": STR, "position": pl.Int32}  # + source_file, source_row from the lineage

CANONICAL_SCHEMAS: dict[str, pl.Schema] = {
    "dossiers": pl.Schema({**_DOSSIERS, **LINEAGE}),
    "documents": pl.Schema(
        {
            **_CHILD_KEY,
            "file_id": STR,
            "file_name": STR,
            "is_deleted": pl.Boolean,
            "component_code": STR,
            "is_digitised": pl.Boolean,
            "is_reused": pl.Boolean,
            "from_national_store": pl.Boolean,
            "replaced_by_result_code": STR,
            "has_file": pl.Boolean,  # DuongDanTaiTepTin not empty (the path itself is not kept)
            **LINEAGE,
        }
    ),
    "fees": pl.Schema(
        {
            **_CHILD_KEY,
            "fee_name": STR,
            "fee_code": STR,
            "collect_form": STR,
            "amount": pl.Decimal(18, 0),
            "fee_type": STR,
            **LINEAGE,
        }
    ),
    "results": pl.Schema(
        {
            **_CHILD_KEY,
            "document_name": STR,
            "component_code": STR,
            "document_id": STR,
            "result_code": STR,
            "has_file_link": pl.Boolean,  # DuongDanTepTinKetQua not empty (the link itself is not kept)
            **LINEAGE,
        }
    ),
    "identities": pl.Schema({**_CHILD_KEY, "id_type": STR, "id_hash": STR, **LINEAGE}),
    # DanhSachHoSoBoSung: when a supplement was requested and when the citizen resubmitted (NoiDungYeuCau not kept)
    "supplements": pl.Schema({**_CHILD_KEY, "requested_at": TS, "resubmitted_at": TS, **LINEAGE}),
    # DSKetNoiCSDL: the national databases the dossier was checked against (CSDLQGDC: population)
    "databases": pl.Schema({**_CHILD_KEY, "database_code": STR, "database_name": STR, **LINEAGE}),
    "processing_steps": pl.Schema(
        {
            "dossier_code": STR,
            "handler_hash": STR,
            "handler_title": STR,
            "handled_at": TS,
            "department": STR,
            "action": STR,
            "status": STR,  # TrangThai as sent (trimmed): history systems send codes or labels
            "started_at": TS,
            "deadline_at": TS,
            **LINEAGE,
        }
    ),
    "commune_tasks": pl.Schema(
        {
            "snapshot_date": pl.Date,
            "commune_code": STR,
            "commune_name": STR,
            "task_code": STR,
            "task_name": STR,
            "is_done": pl.Boolean,
            "updated_on": pl.Date,
            **LINEAGE,
        }
    ),
    "province_tasks": pl.Schema(
        {
            "task_code": STR,
            "task_name": STR,
            "lead_unit": STR,
            "deadline": pl.Date,
            "status_label": STR,
            "is_done": pl.Boolean,
            "done_on": pl.Date,
            "snapshot_date": pl.Date,
            **LINEAGE,
        }
    ),
    "province_snapshot": pl.Schema(
        {
            "snapshot_date": pl.Date,
            "province_code": STR,
            "province_name": STR,
            "online_ratio_pct": pl.Decimal(5, 2),
            "commune_task_pct": pl.Decimal(5, 2),
            **LINEAGE,
        }
    ),
    "units": pl.Schema(
        {
            "unit_code": STR,
            "unit_name": STR,
            "level": STR,
            "unit_kind": STR,
            "e_identifier": STR,
            "province_code": STR,
            "province_name": STR,
            **LINEAGE,
        }
    ),
    "procedures": pl.Schema(
        {
            "procedure_code": STR,
            "procedure_name": STR,
            "field_code": STR,
            "field_name": STR,
            "level": STR,
            "muc_do": pl.Int8,
            "boundary_free": pl.Boolean,
            "boundary_free_status": STR,
            "owner_unit_code": STR,
            **LINEAGE,
        }
    ),
    "published_figures": pl.Schema(
        {
            "figure_id": STR,
            "report_ref": STR,
            "label_vi": STR,
            "metric": STR,
            "value": pl.Float64,
            "unit": STR,
            "as_of": TS,
            **LINEAGE,
        }
    ),
}


def conform(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """`df` with exactly the columns of `CANONICAL_SCHEMAS[name]`, in order, cast to their dtypes.

    A column the frame lacks is a programming error (KeyError naming it), not a null column: parsers add the
    columns their format does not carry explicitly.
    """
    schema = CANONICAL_SCHEMAS[name]
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise KeyError(f"frame {name!r} lacks canonical columns {missing}")
    return df.select([pl.col(c).cast(dtype) for c, dtype in schema.items()])


def empty_frame(name: str) -> pl.DataFrame:
    """A zero-row frame with the canonical schema of `name`."""
    return pl.DataFrame(schema=CANONICAL_SCHEMAS[name])
