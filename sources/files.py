"""A file of the landing folder as discovery describes it (the input of every parser), and how its content is read
whatever its compression (below: the one place that knows about gzip)."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Callable

from sources.errors import SourceError
from sources.limits import check_file_size, mib
from sources.sniff import describe, read_head


@dataclass(frozen=True)
class SourceFile:
    kind: str  # an export kind of sources/registry.py, or "manifest", "unknown", "refused" (sources.discover.KINDS)
    path: Path  # absolute
    relpath: str  # posix, relative to the landing folder
    sha256: str
    size: int
    batch_seq: int | None  # YYYYMMDDNN; provincial and task files NN = 00; None without a date in the name
    observed_at: datetime | None  # tz-aware Asia/Ho_Chi_Minh
    snapshot_date: date | None  # the date in the file name
    problem: str | None = None  # kind "refused": why the entry is not read (one line)


# ---- compression: the one place that knows a landing file may be gzip-compressed ---------------------------------
#
# A CSV or JSON export may arrive gzip-compressed as `<name>.gz` (`portal/hoso-20250701-01.json.gz`): it is the same
# kind, day and batch as `<name>` (sources/registry.py accepts the suffix) and is read as its uncompressed content,
# by the same parser, with the same limits (sources/limits.py) applied to the decompressed size. Compression is
# decided by the name (a `.gz` suffix) and checked against the bytes: a `.gz` file must start with the gzip
# signature. A plain name is read as plain bytes (a gzip file named `.json` is refused saying it is a gzip archive).
# Lineage stays the file's as it is on disk: `source_file` with `.gz`, `source_sha256` of the compressed bytes.
# XLSX is a zip container already and is never read compressed.

GZIP_SUFFIX = ".gz"
GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20


def is_gzip_name(relpath: str | Path) -> bool:
    """Whether the name says gzip (a `.gz` suffix, any case)."""
    return str(relpath).lower().endswith(GZIP_SUFFIX)


def uncompressed_name(relpath: str) -> str:
    """The name without its `.gz` suffix: the batch a compressed file carries (`x.json.gz` -> `x.json`)."""
    return relpath[: -len(GZIP_SUFFIX)] if is_gzip_name(relpath) else relpath


def duckdb_compression(relpath: str) -> str:
    """The `compression` argument of DuckDB's read_json for this landing file."""
    return "gzip" if is_gzip_name(relpath) else "uncompressed"  # DuckDB 1.5 (the lake environment's) has no 'none'


def _gzip_error(relpath: str, error: BaseException, at: int) -> SourceError:
    """A damaged gzip stream, in one line naming the position: the content is decompressed in blocks of up to 1 MB,
    and the damage lies in the block that starts at byte `at` of the content or later (a CRC or length failure is
    found at the end of a member)."""
    if isinstance(error, EOFError):
        what = "the compressed data ends before the end of the gzip stream (a truncated file?)"
    elif isinstance(error, zlib.error):
        what = "the compressed data is corrupt"
    elif "crc" in str(error).lower():
        what = "the CRC check failed (the content is corrupt)"
    elif "length" in str(error).lower():
        what = "the length check failed (the content is corrupt)"
    elif "compression method" in str(error).lower():
        what = "an unknown compression method (gzip files use deflate)"
    elif "not a gzipped file" in str(error).lower():
        what = "not a valid gzip stream after the first member (trailing bytes that are not gzip)"
    else:
        what = "not a valid gzip stream"
    return SourceError(relpath, f"damaged gzip file: {what}, at or after byte {at:,} of the content: not read")


class _Content(io.RawIOBase):
    """The decompressed bytes of a gzip landing file as a read-only binary stream; a damaged stream raises
    SourceError (never EOFError, zlib.error or BadGzipFile), and reading past `limit` bytes of content raises the
    limit's SourceError."""

    def __init__(self, path: Path, relpath: str, limit: int | None, too_large: Callable[[int], SourceError]):
        self._gz = gzip.open(path, "rb")
        self._relpath = relpath
        self._limit = limit
        self._too_large = too_large
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self._gz.readinto(buffer)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise _gzip_error(self._relpath, error, self.position) from None
        self.position += n
        if self._limit is not None and self.position > self._limit:
            raise self._too_large(self.position)
        return n

    def close(self) -> None:
        self._gz.close()
        super().close()


def _check_gzip_signature(path: Path, relpath: str) -> None:
    head = read_head(path)
    if not head.startswith(GZIP_MAGIC):
        what = describe(head)
        said = f"the file is {what}" if what else "the file does not start with the gzip signature (1f 8b): plain text?"
        raise SourceError(relpath, f"not a gzip file despite its .gz name: {said} (rename it without .gz if it is not "
                                   "compressed)")


def _too_large(relpath: str, disk: int, limit: int, limit_name: str, export: str) -> Callable[[int], SourceError]:
    def error(read: int) -> SourceError:
        return SourceError(relpath, f"file too large once decompressed: more than {mib(limit)} of content from "
                                    f"{mib(disk)} of gzip (a gzip bomb?), the limit for {export} is {mib(limit)} "
                                    f"({limit_name}): not read")
    return error


def open_content(path: Path, relpath: str) -> BinaryIO:
    """The content of a landing file as a binary stream: the file itself, or its decompressed bytes for a `.gz`
    name (after content_size has checked it against its limit)."""
    if not is_gzip_name(relpath):
        return open(path, "rb")
    _check_gzip_signature(path, relpath)
    return io.BufferedReader(_Content(path, relpath, None, lambda n: SourceError(relpath, "")), _BLOCK)


def content_head(path: Path, relpath: str, n: int) -> bytes:
    """The first `n` bytes of the content (fewer when it is shorter)."""
    with open_content(path, relpath) as f:
        out = b""
        while len(out) < n:
            block = f.read(n - len(out))
            if not block:
                break
            out += block
        return out


def content_size(path: Path, relpath: str, limit: int, limit_name: str, export: str, expected: str) -> int:
    """The size of the content: the file's size, or for a `.gz` name its decompressed size, found by decompressing
    it once in constant memory (a damaged stream is refused; decompression stops past `limit`). Refuses an empty
    content ("expected <expected>") or one above `limit` ("the limit for <export> is ..."), like
    limits.check_file_size for a plain file."""
    return content_extent(path, relpath, limit, limit_name, export, expected, b"")[0]


def content_extent(path: Path, relpath: str, limit: int, limit_name: str, export: str, expected: str,
                   skip: bytes) -> tuple[int, bytes]:
    """content_size, and the last byte of the content that is not in `skip` (b"" if none). For a `.gz` name both
    come from the one decompression (the content is not decompressed a second time to find its end); a plain file
    is read backwards from its end in 64 KB blocks."""
    if not is_gzip_name(relpath):
        size = check_file_size(path, relpath, limit, limit_name, export, expected)
        return size, _last_byte_of_plain_file(path, size, skip)
    disk = path.stat().st_size
    if disk == 0:
        raise SourceError(relpath, f"empty file (0 bytes), expected {expected}")
    _check_gzip_signature(path, relpath)
    stream = _Content(path, relpath, limit, _too_large(relpath, disk, limit, limit_name, export))
    buffer = bytearray(_BLOCK)
    last = b""
    try:
        while n := stream.readinto(buffer):
            kept = buffer[:n].rstrip(skip) if skip else buffer[n - 1 : n]
            if kept:
                last = bytes(kept[-1:])
    finally:
        stream.close()
    if stream.position == 0:
        raise SourceError(relpath, f"empty file (0 bytes once decompressed), expected {expected}")
    return stream.position, last


def _last_byte_of_plain_file(path: Path, size: int, skip: bytes) -> bytes:
    with open(path, "rb") as f:
        end = size
        while end > 0:
            start = max(0, end - (1 << 16))
            f.seek(start)
            block = f.read(end - start).rstrip(skip)
            if block:
                return block[-1:]
            end = start
    return b""


def read_content(path: Path, relpath: str, size: int) -> Path | bytes:
    """What a reader that takes a path or bytes (Polars) is given: the path of a plain file; the decompressed bytes
    of a `.gz` file, at most `size` bytes (the size content_size found: a file that grew since is refused). Holding
    them costs up to twice `size` for a moment (the buffer, then the bytes object Polars takes)."""
    if not is_gzip_name(relpath):
        return path
    stream = _Content(path, relpath, size, lambda n: SourceError(
        relpath, "the file changed while it was read (more content than measured): not read"))
    out = bytearray(size)
    view = memoryview(out)
    filled = 0
    try:
        while filled < size and (n := stream.readinto(view[filled:filled + _BLOCK])):
            filled += n
        if filled == size:
            stream.readinto(bytearray(1))  # raises when there is more content than measured
    finally:
        view.release()
        stream.close()
    if filled != size:
        raise SourceError(relpath, "the file changed while it was read (less content than measured): not read")
    return bytes(out)
