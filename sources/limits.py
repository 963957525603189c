"""The limits that keep a hostile or broken landing file from exhausting memory, time or the folder's boundary.

Every limit is checked before (or while) the bytes are handed to the library that parses them, and a file over a
limit is refused whole with a one-line `SourceError` that names the limit. They are far above what a real export
carries (a provincial export is a few MB, a portal batch tens of MB) and are the only place these numbers live;
tests/test_hostile_input.py measures the peak memory of parsing hostile files under them.

What each one guards:

- Files: a landing file larger than MAX_JSON_BYTES, MAX_CSV_BYTES or MAX_XLSX_BYTES (by its format) is not read.
  A gzip-compressed CSV or JSON file (`<name>.gz`) is held to the same limit by its decompressed size, counted by
  decompressing it once in constant memory and stopping past the limit (sources/files.py `content_size`).
- JSON (DuckDB `read_json`): `maximum_object_size` is set to MAX_JSON_OBJECT_BYTES, the smallest value DuckDB
  honours (measured with duckdb 2.0.1: a lower setting still reads records up to 32 MB). DuckDB then refuses an array
  element (a dossier, a processing step) above twice that, 32 MB, and never buffers more for one record whatever the
  file holds (a single line of several hundred MB is refused after reading 32 MB). Under that, a text value longer
  than MAX_FIELD_CHARS stops the read at that record (DuckDB error() inside the reading query, so a file of many
  30 MB values is refused at the first one, not after loading them all). The first JSON_DEPTH_SCAN_BYTES of a file
  are scanned for bracket depth and a depth above MAX_JSON_DEPTH is refused (the feed has 4 levels: array >
  dossier > list > element); deeper nesting further in the file is still bounded by the record size (DuckDB's
  parser is not recursive; measured) and is either ignored (an unknown key) or kept as inert JSON text.
- CSV (Polars): a physical line may not exceed MAX_CSV_RECORD_BYTES, a field (which may span lines when quoted)
  MAX_FIELD_CHARS, a header MAX_COLUMNS cells; checked by a streaming pre-scan (Python's csv module over
  length-checked lines) that also checks UTF-8, NUL bytes, quotes and the number of cells per row.
- XLSX (openpyxl over zipfile): before openpyxl opens the file, its zip directory is read: at most
  MAX_XLSX_MEMBERS members, declared uncompressed sizes summing to at most MAX_XLSX_UNCOMPRESSED_BYTES, no member
  other than a worksheet (the streamed parts) above MAX_XLSX_PART_BYTES (sharedStrings.xml and styles.xml are read
  whole into memory), no member of MAX_XLSX_RATIO_FLOOR_BYTES or more with a compression ratio above
  MAX_XLSX_RATIO, only the stored/deflate methods XLSX uses, no encryption. zipfile never inflates a member past its
  declared size, so checking the declared sizes bounds what is inflated. Rows are read at most MAX_COLUMNS wide and
  at most MAX_XLSX_ROWS deep (a sparse sheet cannot expand into billions of empty cells).
"""

from __future__ import annotations

from pathlib import Path

from sources.errors import SourceError

MiB = 1024 * 1024

# ---- files ------------------------------------------------------------------------------------------------------
MAX_JSON_BYTES = 1024 * MiB  # a JSON landing file (a portal batch; the generator writes 20,000 records, ~40 MB)
MAX_CSV_BYTES = 256 * MiB  # any CSV landing file (provincial export, task export, reference table)
MAX_XLSX_BYTES = 64 * MiB  # an XLSX file on disk (compressed)

# ---- JSON -------------------------------------------------------------------------------------------------------
MAX_JSON_OBJECT_BYTES = 16 * MiB  # DuckDB read_json maximum_object_size: records above 2x (32 MB) are refused
MAX_JSON_DEPTH = 32  # nesting depth of brackets; the feed uses 4
JSON_DEPTH_SCAN_BYTES = 1 * MiB  # how much of a JSON file the depth pre-check reads (about 15 ms)

# ---- CSV --------------------------------------------------------------------------------------------------------
MAX_CSV_RECORD_BYTES = 4 * MiB  # one physical line

# ---- all text formats ---------------------------------------------------------------------------------------------
MAX_FIELD_CHARS = 131_072  # one text value of a CSV or JSON file (Python csv's own default; a 100 KB name is fine)
MAX_COLUMNS = 256  # header cells of a CSV or XLSX export (variant A has 15)

# ---- XLSX -------------------------------------------------------------------------------------------------------
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * MiB  # sum of the members' declared uncompressed sizes
MAX_XLSX_PART_BYTES = 32 * MiB  # a member other than a worksheet (read whole: sharedStrings.xml, styles.xml, ...)
MAX_XLSX_RATIO = 100  # uncompressed / compressed size of one member ...
MAX_XLSX_RATIO_FLOOR_BYTES = 1 * MiB  # ... checked for members declaring at least this much
MAX_XLSX_MEMBERS = 10_000  # entries of the zip directory
MAX_XLSX_ROWS = 1_048_576  # Excel's own row limit; rows past it are not read


def mib(n: int) -> str:
    """A byte count as the messages say it: '8 MB' (MiB, rounded)."""
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n:,} bytes"


def check_file_size(path: Path, relpath: str, limit: int, limit_name: str, export: str, expected: str) -> int:
    """The file's size; refuses an empty file ("expected <expected>") or one above `limit` ("the limit for <export>
    is ...")."""
    size = path.stat().st_size
    if size == 0:
        raise SourceError(relpath, f"empty file (0 bytes), expected {expected}")
    if size > limit:
        raise SourceError(relpath, f"file too large: {mib(size)}, the limit for {export} is {mib(limit)} ({limit_name})")
    return size
