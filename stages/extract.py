"""Extract: parse the landing folder's new files into canonical frames in the staging area.

A file version (relpath, sha256) already recorded by a load is skipped: re-running changes nothing. A new file whose
bytes were already loaded under another name is staged as `duplicate_file`; a file its parser refuses is staged as
`rejected` with the parser's one-line reason; the run goes on with the other files.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

import sources
from sources import registry
from sources.discover import SourceFile, day_outside, unknown_reason
from sources.errors import SourceError
from sources.files import uncompressed_name
from stages.faults import crash_point
from stages.staging import REFERENCE_PARTITION, StagedFile, duplicate_reason, file_folder


def partition_of(src: SourceFile) -> str:
    """The daily partition a file belongs to: the date its name carries (registry partition rule "file_date"); every
    other file (reference files, files without a date, unknown and refused entries, and files dated outside the
    partitions, which are rejected there: sources.discover.day_outside) belongs to the reference one."""
    kind = registry.KINDS.get(src.kind)
    if kind is not None and kind.partition == "file_date" and src.snapshot_date is not None \
            and day_outside(src.snapshot_date) is None:
        return src.snapshot_date.isoformat()
    return REFERENCE_PARTITION


def _refusal(src: SourceFile) -> str | None:
    """Why a file is rejected without being parsed: no known export, or dated outside the partitions."""
    if src.kind == "unknown":
        return unknown_reason(src.relpath)
    kind = registry.KINDS.get(src.kind)
    if kind is not None and kind.partition == "file_date" and src.snapshot_date is not None:
        outside = day_outside(src.snapshot_date)
        if outside:
            return f"{src.relpath}: {outside}"
    return None


def same_batch_refusals(files: Iterable[SourceFile], loaded_paths: Iterable[str]) -> dict[str, str]:
    """relpath -> why it is rejected, for each file that carries the same batch as another one: the same name but
    for a `.gz` suffix (`portal/hoso-20250701-01.json` and `portal/hoso-20250701-01.json.gz`, sources/files.py).
    One batch is read from one file only: the one already loaded if there is one, else the uncompressed one (else
    the first by name); each other is rejected naming it, whether or not the bytes are the same (loading both
    would count every record of the batch twice)."""
    groups: dict[str, set[str]] = {}
    loaded = set(loaded_paths)
    for src in files:
        if src.kind in registry.KINDS and not src.problem:
            groups.setdefault(uncompressed_name(src.relpath), set()).add(src.relpath)
    for path in loaded:
        if uncompressed_name(path) in groups:
            groups[uncompressed_name(path)].add(path)
    refusals: dict[str, str] = {}
    for name, paths in groups.items():
        if len(paths) < 2:
            continue
        keeper = min(paths, key=lambda p: (p not in loaded, p != name, p))
        said = "already loaded" if keeper in loaded else "read instead"
        for path in paths - {keeper} - loaded:
            refusals[path] = (f"{path}: the same batch as {keeper} (the same name without .gz), {said}: not read; "
                              "keep one of the two files in the landing folder")
    return refusals


# Files parsed at once. DuckDB and Polars release the GIL, but each file also has single-threaded stretches (JSON
# scanning, Python between queries). Sample world on 2 cores: 30.5 s one at a time, 23.0 s with 2, 18.0 s with 3,
# 18.3 s with 4 (peak RSS 490 MB with 3). The frames of at most PARSE_AHEAD files are held in memory.
PARSE_AHEAD = 3


def _parse(src: SourceFile, landing_dir: Path, pii_key: str) -> tuple[object, float]:
    """(Parsed or the SourceError, seconds): run in a worker thread."""
    t0 = time.perf_counter()
    try:
        result: object = sources.parse(src, landing_dir, pii_key)
    except SourceError as exc:
        result = exc
    return result, time.perf_counter() - t0


def extract_files(
    files: Iterable[SourceFile],
    landing_dir: Path,
    staging_root: Path,
    pii_key: str,
    seen: set[tuple[str, str]],
    loaded_shas: dict[str, str],
    progress: Callable[[str], None] | None = None,
) -> list[StagedFile]:
    """Stage every file not yet seen. `seen` holds the (relpath, sha256) recorded in meta.files, `loaded_shas` maps
    the sha256 of the file versions loaded to their path. Files are parsed up to PARSE_AHEAD at a time and staged in
    order."""
    files = list(files)
    twins = same_batch_refusals(files, loaded_shas.values())
    todo = [src for src in files if src.kind != "manifest" and (src.relpath, src.sha256) not in seen]
    folders = {id(src): file_folder(staging_root, partition_of(src), src.sha256, src.relpath) for src in todo}
    # The files sure to be parsed (not staged yet, not a duplicate, not unknown, the first of their bytes) are
    # parsed ahead; any other file is decided in order below, as before.
    firsts: set[str] = set()
    ahead: list[SourceFile] = []
    for src in todo:
        if (folders[id(src)] / "file.json").is_file() or src.sha256 in loaded_shas or _refusal(src) \
                or src.relpath in twins or src.sha256 in firsts:
            continue
        firsts.add(src.sha256)
        ahead.append(src)
    queue = iter(ahead)
    staged: list[StagedFile] = []
    shas_this_run: dict[str, str] = {}
    with ThreadPoolExecutor(PARSE_AHEAD, thread_name_prefix="parse") as pool:
        pending: dict[int, Future] = {}

        def top_up() -> None:
            while len(pending) < PARSE_AHEAD:
                nxt = next(queue, None)
                if nxt is None:
                    return
                pending[id(nxt)] = pool.submit(_parse, nxt, landing_dir, pii_key)

        for src in todo:
            top_up()
            part = partition_of(src)
            folder = folders[id(src)]
            if (folder / "file.json").is_file():
                # Staged by an earlier run that did not load it yet: the same bytes give the same frames.
                sf = StagedFile.load(folder)
                staged.append(sf)
                if sf.outcome in ("extracted", "validated"):
                    shas_this_run.setdefault(src.sha256, src.relpath)
                continue
            sf = StagedFile(
                relpath=src.relpath, kind=src.kind, sha256=src.sha256, size=src.size, batch_seq=src.batch_seq,
                partition=part, folder=str(folder),
            )
            original = loaded_shas.get(src.sha256) or shas_this_run.get(src.sha256)
            if original:
                sf.outcome, sf.reason = "duplicate_file", duplicate_reason(original)
            elif _refusal(src):
                sf.outcome, sf.reason = "rejected", _refusal(src)
            elif src.relpath in twins:
                sf.outcome, sf.reason = "rejected", twins[src.relpath]
            else:
                future = pending.pop(id(src), None)
                parsed, seconds = future.result() if future else _parse(src, landing_dir, pii_key)
                if isinstance(parsed, SourceError):
                    sf.outcome, sf.reason = "rejected", str(parsed)
                else:
                    crash_point("extract.parsed")
                    for entity, frame in parsed.frames.items():
                        sf.write_frame("extracted", entity, frame)
                        crash_point("extract.frame")
                    sf.notes = list(parsed.notes)
                    sf.records_read = parsed.frames[registry.KINDS[src.kind].primary].height
                    shas_this_run.setdefault(src.sha256, src.relpath)
                    del parsed
                sf.seconds["extract"] = round(seconds, 4)
            sf.save()
            crash_point("extract.saved")
            staged.append(sf)
            if progress:
                progress(f"extract {src.relpath}: {sf.outcome} {sf.records_read} records")
    return staged
