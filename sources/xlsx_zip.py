"""Check an XLSX file's zip container before openpyxl opens it: refuse zip bombs and files that are not XLSX.

An XLSX file is a zip archive of XML parts. openpyxl (read-only mode) streams the worksheets but reads the other
parts whole (sharedStrings.xml, styles.xml, the workbook, the document properties), and zipfile inflates a member
up to its declared size and no further. So the declared sizes in the zip directory bound what can be inflated, and
`check_xlsx` refuses (sources/limits.py): more than MAX_XLSX_MEMBERS members; declared uncompressed sizes summing
above MAX_XLSX_UNCOMPRESSED_BYTES; a member of at least MAX_XLSX_RATIO_FLOOR_BYTES inflating more than
MAX_XLSX_RATIO times; a part that is read whole (any member that is not a worksheet named by the workbook's
relationships) above MAX_XLSX_PART_BYTES; compression methods other than stored/deflate; encrypted members. It also
says what the file is when it is not a zip at all (a PNG, an old .xls, an HTML page, a CSV).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from sources import limits
from sources.errors import SourceError
from sources.sniff import describe, read_head

NOT_XLSX = "not a readable XLSX workbook"
_SMALL_XML_BYTES = 1 * limits.MiB  # [Content_Types].xml and the relationship parts read here
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
_WORKSHEET_REL = "/worksheet"
_ALWAYS_WHOLE = {"docProps/core.xml", "docProps/custom.xml", "docProps/app.xml", "xl/theme/theme1.xml"}


def _member(name: str) -> str:
    """A member name for a message: quoted, printable, at most 80 characters (the name is the sender's)."""
    clean = "".join(c if c.isprintable() else "?" for c in name)
    return repr(clean[:80] + ("..." if len(clean) > 80 else ""))


def check_xlsx(path: Path, relpath: str) -> None:
    limits.check_file_size(path, relpath, limits.MAX_XLSX_BYTES, "MAX_XLSX_BYTES", "an XLSX export",
                           "an XLSX workbook")
    head = read_head(path)
    if not head.startswith(b"PK\x03\x04"):
        what = describe(head)
        if what is None:
            what = "text (a CSV saved with an .xlsx name?)" if _looks_like_text(head) else "not a zip archive"
        elif "HTML" in what:
            what += " (an 'Excel' export that is really HTML? open it in Excel and save as .xlsx)"
        elif ".xls" in what:
            what += " (save it as .xlsx, without a password)"
        raise SourceError(relpath, f"{NOT_XLSX}: the file is {what}")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, relpath)
    except SourceError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise SourceError(relpath, f"{NOT_XLSX}: a damaged zip archive ({type(error).__name__})") from None


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # only a character cut by the end of the sample
    return True


def _check_members(archive: zipfile.ZipFile, relpath: str) -> None:
    infos = archive.infolist()
    if len(infos) > limits.MAX_XLSX_MEMBERS:
        raise SourceError(
            relpath, f"{NOT_XLSX}: the zip holds {len(infos):,} members, more than {limits.MAX_XLSX_MEMBERS:,} (MAX_XLSX_MEMBERS)"
        )
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise SourceError(relpath, f"{NOT_XLSX}: a zip archive without [Content_Types].xml (not an Office file)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise SourceError(relpath, f"{NOT_XLSX}: member {_member(info.filename)} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SourceError(
                relpath,
                f"{NOT_XLSX}: member {_member(info.filename)} uses zip compression method {info.compress_type} "
                "(XLSX uses stored or deflate)",
            )
        total += info.file_size
        if info.file_size >= limits.MAX_XLSX_RATIO_FLOOR_BYTES and info.file_size > limits.MAX_XLSX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise SourceError(
                relpath,
                f"zip bomb refused: member {_member(info.filename)} inflates {ratio:,.0f} times "
                f"({limits.mib(info.compress_size)} to {limits.mib(info.file_size)}; limit MAX_XLSX_RATIO = "
                f"{limits.MAX_XLSX_RATIO})",
            )
    if total > limits.MAX_XLSX_UNCOMPRESSED_BYTES:
        raise SourceError(
            relpath,
            f"zip bomb refused: the members declare {limits.mib(total)} uncompressed, more than "
            f"{limits.mib(limits.MAX_XLSX_UNCOMPRESSED_BYTES)} (MAX_XLSX_UNCOMPRESSED_BYTES)",
        )
    streamed = _worksheet_parts(archive, names, relpath)
    for info in infos:
        if info.filename not in streamed and info.file_size > limits.MAX_XLSX_PART_BYTES:
            raise SourceError(
                relpath,
                f"zip bomb refused: part {_member(info.filename)} declares {limits.mib(info.file_size)}, more than "
                f"{limits.mib(limits.MAX_XLSX_PART_BYTES)} for a part that is read whole (MAX_XLSX_PART_BYTES)",
            )


def _small_xml(archive: zipfile.ZipFile, name: str, relpath: str) -> ElementTree.Element:
    info = archive.getinfo(name)
    if info.file_size > _SMALL_XML_BYTES:
        raise SourceError(relpath, f"{NOT_XLSX}: {_member(name)} declares {limits.mib(info.file_size)} (at most 1 MB)")
    try:
        return ElementTree.fromstring(archive.read(name))
    except ElementTree.ParseError:
        raise SourceError(relpath, f"{NOT_XLSX}: {_member(name)} is not well-formed XML") from None


def _worksheet_parts(archive: zipfile.ZipFile, names: set[str], relpath: str) -> set[str]:
    """The members openpyxl streams: the worksheets the workbook's relationships name, minus any member that is
    also named as something read whole. A member not recognised here is held to MAX_XLSX_PART_BYTES (the safe
    side: at worst a huge legitimate sheet is refused with a clear message)."""
    content_types = _small_xml(archive, "[Content_Types].xml", relpath)
    overrides = {
        (el.get("PartName") or "").lstrip("/"): el.get("ContentType") or ""
        for el in content_types
        if el.tag.endswith("Override")
    }
    workbook = next((part for part, kind in overrides.items() if kind in _WORKBOOK_TYPES), "xl/workbook.xml")
    rels_path = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    if rels_path not in names:
        return set()
    base = posixpath.dirname(workbook)
    sheets, others = set(), set()
    for rel in _small_xml(archive, rels_path, relpath):
        target = rel.get("Target") or ""
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        (sheets if (rel.get("Type") or "").endswith(_WORKSHEET_REL) else others).add(member)
    read_whole = {part for part, kind in overrides.items() if not kind.endswith(".worksheet+xml")}
    return sheets - others - read_whole - _ALWAYS_WHOLE - {workbook, rels_path, "[Content_Types].xml"}
