"""The reason names that expectations carry in `meta.reason`, and the order that picks a quarantined row's primary
reason.

The dossier reasons are those of docs/data-contracts.md §4, exactly. The others name checks of the other entities
(tasks, reference tables, children) and the plausibility warnings; they are ours, listed here so that a suite cannot
invent a name by a typo (the suite loader rejects a reason that is not listed). A reason is listed once, so it has one
severity.
"""

from __future__ import annotations

# Critical (the row is quarantined). A row failing several gets them all, ordered like this; the first is primary.
CRITICAL_REASONS: tuple[str, ...] = (
    # docs/data-contracts.md §4, in this priority order
    "missing_dossier_code",
    "received_at_invalid",
    "unknown_unit",
    "unknown_channel",
    "unknown_status",
    "unknown_procedure",
    "returned_before_received",
    "processed_before_received",
    # identifiers and dates (issue 15)
    "code_invisible_character",  # a dossier/procedure code still holds a whitespace, control or format character
    "date_unreadable",  # a filled-in date the parser could not read (two-digit year, other order); names the field
    "date_implausible",  # a date after the file's observation time + 3 days (due: + 366 days) or before 2000
    # other entities
    "missing_key",  # a key column is null (tasks, reference tables, children)
    "duplicate_key",  # the key occurs more than once in the batch
    "unknown_task_code",  # commune task code not NV01..NV16
    "unknown_task_status",  # task status label not recognised (is_done null)
)

# Warnings (the row loads; the warning is counted and kept on the row).
WARNING_REASONS: tuple[str, ...] = (
    # docs/data-contracts.md §4
    "dossier_code_format",
    "id_number_length",
    # plausibility and other entities
    "unknown_applicant_type",
    "received_at_implausible",
    "online_share_implausible",  # table scope
    "empty_batch",  # table scope
    "handled_at_invalid",
    "commune_code_format",
    "updated_after_snapshot",
    "incomplete_task_set",  # table scope: not 16 tasks per commune and snapshot
    "incomplete_snapshot",  # table scope: not 34 provinces per snapshot date
    "unit_code_format",
    "e_identifier_format",
    "value_out_of_range",
    "duplicate_e_identifier",  # two units share an e-identifier (their dossier codes cannot tell them apart)
    "requested_at_invalid",  # a supplement request without a readable request time (empty or not yyyyMMddHHmmss)
    "resubmitted_before_requested",  # a supplement resubmitted before it was requested
)

SEVERITIES = ("critical", "warning")

# Every reason has exactly one severity: the suite loader (expectations/suites.py) refuses an expectation whose
# severity is not its reason's.
SEVERITY: dict[str, str] = {
    **{reason: "critical" for reason in CRITICAL_REASONS},
    **{reason: "warning" for reason in WARNING_REASONS},
}
if len(SEVERITY) != len(CRITICAL_REASONS) + len(WARNING_REASONS):
    raise ValueError("a reason is listed twice in expectations/reasons.py: each reason has one severity")
SCOPES = ("row", "table")

CRITICAL_RANK: dict[str, int] = {reason: rank for rank, reason in enumerate(CRITICAL_REASONS)}
WARNING_RANK: dict[str, int] = {reason: rank for rank, reason in enumerate(WARNING_REASONS)}


def is_personal(column: str) -> bool:
    """Columns whose values never leave the validation layer unmasked: keyed hashes and anything about the owner."""
    return column.endswith("_hash") or column.startswith("owner_")


MASK = "***"
