r"""Find and classify the files of the landing folder by path pattern (docs/data-contracts.md §1).

`discover(landing_dir)` returns one `SourceFile` per file, in load order: reference files first (units, procedures,
published figures), then files with a batch by `(batch_seq, relpath)`, then files without one, then
`manifest.json` (kind "manifest": ground truth, not an export), then files that match no pattern (kind "unknown":
the caller reports them; nothing is dropped silently) and entries that are not read at all (kind "refused").

Discovery never reads outside the landing folder and never blocks:

- Folders are walked without following symbolic links. A symbolic link is read only when it resolves to a regular
  file inside the landing folder (it is then read from its resolved path; the target is also discovered under its
  own name, so the second of the two becomes `duplicate_file` or is refused by its own name). A link that points
  outside the folder, to a folder, to nothing, or into a loop is kind "refused": its target is not opened, not
  hashed, not named in the message.
- A FIFO, socket or device is "refused" (opening a FIFO would block the run).
- A file name is stored as text only (nothing here or downstream passes it to a shell). A name that is not valid
  UTF-8, or holds control or invisible formatting characters (a line break, a right-to-left override), is
  "refused"; its `relpath` shows such characters escaped (`\n`, `\x85`, `\u202e`; a backslash as `\\`) so the
  stored text is one printable line. Other odd names (spaces, `;`, `$`, quotes, a leading `..`) are ordinary
  characters: they match no pattern, so the file is "unknown".
- A "refused" entry carries `problem` (one line, why it was not read); `sources.parse` raises SourceError with it.
  Its `sha256` is not a content hash (nothing was read) but the hash of its relpath, problem and link text, so
  the same entry is recorded once and a changed link is seen as new; its `size` is 0.

Hashing every file on every run costs ~1 s per GB (the sample world 1.6 GB, 10M dossiers ~50 GB), twice per run
(reference and extract assets). `discover(landing, hash_cache=path)` keeps the hashes in a JSON file keyed by what
`stat` says of each file (device, inode, size, mtime_ns, ctime_ns), like git's index: a file whose stat is unchanged
is not read again. Any write, truncation, `touch`, rename over it or copy onto it changes ctime (which no user call can
set back), so a changed file is always hashed again. A file changed in the last RACY_SECONDS is not cached (its
timestamps could still be equal after one more write in the same clock tick).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import time_ns
from zoneinfo import ZoneInfo

from sources import registry
from sources.files import SourceFile, is_gzip_name, uncompressed_name

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Export kinds come from the registry (sources/registry.py); discovery adds the manifest (ground truth of a generated
# world, not an export), files that match no pattern and entries it does not read.
KINDS = (*registry.KINDS, "manifest", "unknown", "refused")

# kind, pattern on the posix path relative to the landing folder, time of day of the observation
_PATTERNS: tuple[tuple[str, re.Pattern[str], time | None], ...] = (
    *((kind.name, re.compile(kind.file_pattern, re.IGNORECASE), kind.observed_at) for kind in registry.KINDS.values()),
    ("manifest", re.compile(r"manifest\.json", re.IGNORECASE), None),
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


RACY_SECONDS = 2.0


class HashCache:
    """sha256 of the files hashed by an earlier discover, keyed by their stat (module docstring). Entries of files
    not seen in the last discover are dropped when it saves."""

    def __init__(self, path: Path | None):
        self.path = path
        self.old: dict[str, list] = {}
        self.new: dict[str, list] = {}
        if path is not None:
            try:
                self.old = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.old = {}  # missing or torn: hash everything again
        self.now_ns = time_ns()

    @staticmethod
    def _key(st) -> str:
        return f"{st.st_dev}:{st.st_ino}"

    def sha256(self, path: Path, st) -> str:
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        key = self._key(st)
        hit = self.old.get(key)
        if hit is not None and hit[:3] == stamp:
            sha = hit[3]
        else:
            sha = sha256_file(path)
        if self.now_ns - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_SECONDS * 1e9:
            self.new[key] = [*stamp, sha]
        return sha

    def save(self) -> None:
        if self.path is None or self.new == self.old:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.new), encoding="utf-8")
        tmp.replace(self.path)


# The dates a dated export may carry in its name: from the first daily partition (assets/partitions.py starts there)
# to today (Vietnam time) + FUTURE_DAYS. A file dated a day or two ahead (an exporter's clock, a batch numbered for
# the next day) waits for its day's partition; one dated before FIRST_DAY or further ahead (2019, 2099: a typo) is
# rejected with the reason, never planned: it would make a run cover years of partitions.
FIRST_DAY = date(2020, 1, 1)
FUTURE_DAYS = 2


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


def day_outside(day: date, today: date | None = None) -> str | None:
    """Why a file dated `day` (in its name) cannot be placed in a daily partition, or None when it can (now, or
    within FUTURE_DAYS when its day comes)."""
    today = today or today_local()
    if FIRST_DAY <= day <= today + timedelta(days=FUTURE_DAYS):
        return None
    return (f"the date {day.isoformat()} in the file name is outside the daily partitions (from "
            f"{FIRST_DAY.isoformat()} to today + {FUTURE_DAYS} days): not loaded; rename the file with the "
            "export's real date")


def unknown_reason(relpath: str) -> str:
    """Why a file is of kind "unknown": an impossible date in a name that is otherwise an export's, or no pattern."""
    for _kind, pattern, _at in _PATTERNS:
        m = pattern.fullmatch(relpath)
        if m and "date" in m.groupdict():
            return (f"{relpath}: the date {m['date']} in the file name is not a calendar date (YYYYMMDD): not "
                    "loaded; rename the file with the export's real date")
    inner = registry.KINDS.get(classify(uncompressed_name(relpath))[0]) if is_gzip_name(relpath) else None
    if inner is not None and not inner.gzip:
        return (f"{relpath}: an XLSX workbook is not read gzip-compressed (it is a zip already): not loaded; "
                "deliver it as exported, without .gz")
    if inner is not None:
        return f"{relpath}: compressed twice (.gz.gz): not loaded; deliver it gzip-compressed once"
    return f"{relpath}: file name matches no known export (see docs/data-contracts.md §1)"


def classify(relpath: str) -> tuple[str, int | None, datetime | None, date | None]:
    """(kind, batch_seq, observed_at, snapshot_date) of a landing-relative posix path.

    A path that matches a pattern but carries an impossible date (e.g. 20251399) is "unknown".
    """
    for kind, pattern, at in _PATTERNS:
        m = pattern.fullmatch(relpath)
        if not m:
            continue
        groups = m.groupdict()
        if "date" not in groups:
            return kind, None, None, None
        try:
            day = datetime.strptime(groups["date"], "%Y%m%d").date()
        except ValueError:
            return "unknown", None, None, None
        nn = int(groups.get("nn") or 0)
        observed = datetime.combine(day, at, tzinfo=LOCAL_TZ) if at is not None else None
        return kind, int(groups["date"]) * 100 + nn, observed, day
    return "unknown", None, None, None


def _order(source: SourceFile) -> tuple:
    if source.kind in registry.REFERENCE_KINDS:
        return (0, registry.REFERENCE_KINDS.index(source.kind), source.relpath)
    if source.batch_seq is not None:
        return (1, source.batch_seq, source.relpath)
    group = {"manifest": 3, "unknown": 4, "refused": 4}.get(source.kind, 2)
    return (group, 0, source.relpath)


def display_name(raw: str) -> tuple[str, str | None]:
    """(the name as one printable line of text, the problem with it or None).

    `raw` is a name as the OS gives it (undecodable bytes as surrogate escapes). Backslashes are doubled, bytes
    that are not UTF-8 become `\\xNN`, control and invisible formatting characters `\\n`, `\\xNN`, `\\uNNNN`, so
    different names stay different."""
    out, undecodable, control = [], False, False
    for ch in raw:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (os.fsdecode's surrogate escape)
            out.append(f"\\x{code - 0xDC00:02x}")
            undecodable = True
        elif ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
            control = True
        else:
            out.append(ch)
    problem = None
    if undecodable:
        problem = "file name is not valid UTF-8 text: not read (rename the file)"
    elif control:
        problem = "file name holds control or invisible characters (a line break?): not read (rename the file)"
    return "".join(out), problem


def _refused(path: Path, relpath: str, problem: str, link: str = "") -> SourceFile:
    marker = f"not read\0{relpath}\0{problem}\0{link}".encode("utf-8", "surrogateescape")
    return SourceFile(
        kind="refused", path=path, relpath=relpath, sha256=hashlib.sha256(marker).hexdigest(), size=0,
        batch_seq=None, observed_at=None, snapshot_date=None, problem=problem,
    )


_SPECIAL = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
            stat.S_IFBLK: "a block device"}


def _walk(root: Path):
    """(path, lstat result or the OSError) of every entry that is not a folder, without following links, in name
    order; a folder that cannot be listed is yielded with its error."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            yield folder, error
            continue
        subfolders = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as error:
                yield Path(entry.path), error
                continue
            if stat.S_ISDIR(st.st_mode):
                subfolders.append(Path(entry.path))
            else:
                yield Path(entry.path), st
        stack.extend(reversed(subfolders))


def _inspect(root: Path, path: Path, st, hashes: HashCache) -> SourceFile:
    relpath, name_problem = display_name(path.relative_to(root).as_posix())
    if isinstance(st, OSError):
        what = "folder" if path.is_dir() else "file"
        return _refused(path, relpath + ("/" if what == "folder" else ""),
                        f"{what} cannot be read ({type(st).__name__}: {st.strerror or st}): not read")
    if name_problem:
        return _refused(path, relpath, name_problem)
    read_from = path
    if stat.S_ISLNK(st.st_mode):
        try:
            link = os.readlink(path)
        except OSError:
            link = ""
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return _refused(path, relpath, "symbolic link to a missing target or into a loop: not followed",
                            link)
        if not target.is_relative_to(root):
            return _refused(path, relpath, "symbolic link pointing outside the landing folder: not followed",
                            link)
        try:
            st = target.stat()
        except OSError:
            return _refused(path, relpath, "symbolic link to a target that cannot be read: not followed", link)
        if stat.S_ISDIR(st.st_mode):
            return _refused(path, relpath, "symbolic link to a folder: not followed (the landing folder is "
                            "walked without following links)", link)
        read_from = target
    if not stat.S_ISREG(st.st_mode):
        what = _SPECIAL.get(stat.S_IFMT(st.st_mode), "a special file")
        return _refused(path, relpath, f"not a regular file but {what}: not read")
    kind, batch_seq, observed_at, snapshot_date = classify(relpath)
    try:
        sha256 = hashes.sha256(read_from, st)
    except OSError as error:
        return _refused(path, relpath, f"file cannot be read ({type(error).__name__}): not read")
    return SourceFile(
        kind=kind,
        path=read_from,
        relpath=relpath,
        sha256=sha256,
        size=st.st_size,
        batch_seq=batch_seq,
        observed_at=observed_at,
        snapshot_date=snapshot_date,
    )


def discover(landing_dir: Path, hash_cache: Path | None = None) -> list[SourceFile]:
    """Every entry under `landing_dir` that is not a folder, classified, hashed and in load order. With
    `hash_cache` (a JSON file), files whose stat is unchanged since they were hashed are not read again."""
    root = Path(landing_dir).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"landing folder {root} does not exist or is not a folder")
    hashes = HashCache(hash_cache)
    found = [_inspect(root, path, st, hashes) for path, st in _walk(root)]
    hashes.save()
    return sorted(found, key=_order)
