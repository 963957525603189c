"""Format parsers: each landing file -> canonical Polars frames with lineage (docs/data-contracts.md §1-3).

    files = discover(landing_dir)                 # classified, hashed, in load order
    parsed = parse(files[i], landing_dir, pii_key)  # Parsed(frames={name: DataFrame}, notes=[...])

Every frame has exactly the schema `CANONICAL_SCHEMAS[name]`. A file refused whole raises `SourceError` (its
`.file` and one-line message name the file and what is wrong). Personal values leave a parser only as keyed
hashes (`sources.pii`); the key is the caller's (assets.settings.pii_key).

Hostile input: discovery never reads outside the landing folder nor blocks (links, FIFOs, odd names: kind
"refused", see sources/discover.py), and each parser checks its file against the limits of sources/limits.py
(size, JSON depth and record size, CSV line and field length, XLSX zip bombs) before the library that parses it
sees the bytes; a file that is not what its name says is refused saying what it is (sources/sniff.py).

Which frames each kind of file yields, and which parser reads it: sources/registry.py (the one registry of export
kinds).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from sources import registry
from sources.discover import KINDS, SourceFile, classify, discover, sha256_file
from sources.errors import SourceError
from sources.schema import CANONICAL_SCHEMAS, LINEAGE, conform

__all__ = [
    "CANONICAL_SCHEMAS",
    "KINDS",
    "LINEAGE",
    "Parsed",
    "SourceError",
    "SourceFile",
    "classify",
    "conform",
    "discover",
    "parse",
    "sha256_file",
]


@dataclass
class Parsed:
    frames: dict[str, pl.DataFrame]
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Rows of the file's first frame."""
        return next(iter(self.frames.values())).height if self.frames else 0


def parse(source: SourceFile, landing_dir: Path, pii_key: str) -> Parsed:
    """Parse one landing file into its canonical frames. Raises SourceError for a file refused whole."""
    if not pii_key:
        raise ValueError("pii_key must not be empty (assets.settings.pii_key gives it)")
    if source.problem:
        raise SourceError(source.relpath, source.problem)
    root = Path(landing_dir).resolve()
    if not source.path.is_absolute():
        source = replace(source, path=root / source.relpath)
    kind = registry.KINDS.get(source.kind)
    if kind is None:
        what = "ground truth of a generated world, not an export" if source.kind == "manifest" else (
            "matches no landing-folder pattern (docs/data-contracts.md §1)"
        )
        raise SourceError(source.relpath, f"not parsed: {what}")
    # Checked again now (the folder may have changed since discovery): only a regular file inside the landing
    # folder is read, never what a link swapped in since points to.
    try:
        real = source.path.resolve(strict=True)
        is_regular = stat.S_ISREG(real.stat().st_mode)
    except (OSError, RuntimeError):
        raise SourceError(source.relpath, "file not found (moved or deleted after discovery)") from None
    if not real.is_relative_to(root):
        raise SourceError(source.relpath, "resolves outside the landing folder (a symbolic link?): not read")
    if not is_regular:
        raise SourceError(source.relpath, "not a regular file: not read")
    source = replace(source, path=real)

    frames, notes = kind.parser(source, pii_key)
    return Parsed(frames={name: frames[name] for name in kind.frames}, notes=notes)
