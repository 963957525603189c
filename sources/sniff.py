"""What a file really is, from its first bytes: for refusing a file that is not what its name says (a PNG named
.xlsx, an HTML error page saved as .json, an old .xls renamed .xlsx, a UTF-16 CSV) with a message that says what
it is instead of a parser's cryptic error.
"""

from __future__ import annotations

from pathlib import Path

HEAD_BYTES = 4096

_BOM_UTF8 = b"\xef\xbb\xbf"

# (signature at offset 0, description)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel 97-2003 .xls workbook or an encrypted (password-protected) file"),
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def describe(head: bytes) -> str | None:
    """What the bytes are when they are a known binary or non-UTF-8 format, or markup; None for other text."""
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return what
    text = head.removeprefix(_BOM_UTF8).lstrip(b" \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return "an HTML or XML page"
    if len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00" and head[0:1] != b"\x00":
        return "UTF-16 text (without a byte-order mark)"
    if len(head) >= 4 and head[0:1] == b"\x00" and head[2:3] == b"\x00" and head[1:2] != b"\x00":
        return "UTF-16 text (without a byte-order mark)"
    return None
