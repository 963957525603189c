"""Map the header row of an export to canonical columns through an alias table; refuse a file that lacks one.

Matching is on the normalised header (labels.normalise). Unknown headers are ignored and reported in the notes; a
repeated canonical column keeps its first header; a missing required column raises SourceError naming the file,
the column as the contract writes it, and the known headers found (other cells only counted: without a
header row, the first record would be quoted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sources.errors import SourceError
from sources.labels import header_lookup, normalise


@dataclass
class HeaderMap:
    columns: dict[str, int] = field(default_factory=dict)  # canonical -> index of the header in the row
    notes: list[str] = field(default_factory=list)


def resolve_headers(
    headers: Sequence[str | None],
    aliases: dict[str, tuple[str, ...]],
    required: Sequence[str],
    relpath: str,
) -> HeaderMap:
    lookup = header_lookup(aliases)
    result = HeaderMap()
    for index, header in enumerate(headers):
        key = normalise(header)
        if not key:
            continue
        canonical = lookup.get(key)
        if canonical is None:
            result.notes.append(f"{relpath}: unknown column {header!r} ignored")
        elif canonical in result.columns:
            first = headers[result.columns[canonical]]
            result.notes.append(f"{relpath}: column {header!r} repeats {canonical} (taken from {first!r}); ignored")
        else:
            result.columns[canonical] = index
    missing = [name for name in required if name not in result.columns]
    if missing:
        # Only the cells that are known headers are quoted: a file without a header row has a record there, and a
        # record's values may be personal.
        known = [h for h in headers if normalise(h) in lookup]
        others = sum(1 for h in headers if normalise(h) and normalise(h) not in lookup)
        found = ", ".join(repr(h) for h in known) or "no known headers"
        if others:
            found += f" and {others} other cell{'s' if others > 1 else ''} (not shown)"
        described = "; ".join(_describe(name, aliases[name]) for name in missing)
        plural = "s" if len(missing) > 1 else ""
        raise SourceError(relpath, f"missing required column{plural} {described}; found: {found}")
    return result


def _describe(canonical: str, names: tuple[str, ...]) -> str:
    others = " or ".join(repr(n) for n in names[1:])
    return f"{names[0]!r} ({canonical}{', or ' + others if others else ''})"
