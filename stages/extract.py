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
from stages.split import split_frames
from stages.staging import (
    REFERENCE_PARTITION,
    StagedFile,
    content_key,
    duplicate_reason,
    file_folder,
    file_of,
    part_relpath,
    province_of,
)


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
    loaded: dict[str, str],
    progress: Callable[[str], None] | None = None,
    provinces: tuple[str, ...] = (),
    wanted: set[str] | None = None,
) -> list[StagedFile]:
    """Stage every file not yet seen. `seen` holds the (relpath, sha256) recorded in meta.files, `loaded` maps the
    content keys of the file versions loaded to their path (warehouse.load.seen_files). Files are parsed up to
    PARSE_AHEAD at a time and staged in order.

    Province mode (`provinces`, home first: stages/split.py): a parsed file is staged as one part per province, all
    of them at once (each province's later runs find theirs staged); the staged files returned are the parts of the
    `wanted` provinces (all when None) not recorded yet. A file refused or that does not parse is staged whole."""
    files = list(files)
    twins = same_batch_refusals(files, [file_of(p) for p in loaded.values()])
    wanted = set(provinces) if wanted is None else set(wanted)
    parted = {(file_of(r), s) for r, s in seen if province_of(r) is not None}

    def units(src: SourceFile) -> list[str]:
        """What this run stages of a file, not recorded yet: the file itself, or its parts of the wanted provinces."""
        if (src.relpath, src.sha256) in seen:  # recorded whole: loaded, a duplicate or rejected
            return []
        if not provinces:
            # A file whose parts were loaded by province mode is not read whole again (it would count twice).
            return [] if (src.relpath, src.sha256) in parted else [src.relpath]
        return [u for p in provinces if p in wanted
                for u in [part_relpath(src.relpath, p)] if (u, src.sha256) not in seen]

    def folder(src: SourceFile, unit: str) -> Path:
        return file_folder(staging_root, partition_of(src), src.sha256, unit)

    def is_staged(src: SourceFile, unit: str) -> bool:
        return (folder(src, unit) / "file.json").is_file()

    todo = [(src, us) for src in files if src.kind != "manifest" for us in [units(src)] if us]
    # The files sure to be parsed (not staged yet, not a duplicate, not unknown, the first of their bytes) are
    # parsed ahead; any other file is decided in order below, as before.
    firsts: set[str] = set()
    ahead: list[SourceFile] = []
    for src, us in todo:
        if (provinces and is_staged(src, src.relpath)) or _refusal(src) or src.relpath in twins \
                or src.sha256 in firsts:
            continue
        if any(not is_staged(src, u) and content_key(u, src.sha256) not in loaded for u in us):
            firsts.add(src.sha256)
            ahead.append(src)
    queue = iter(ahead)
    staged: list[StagedFile] = []
    this_run: dict[str, str] = {}  # content key -> relpath of what this run staged to load

    def keep(sf: StagedFile) -> None:
        staged.append(sf)
        if sf.outcome in ("extracted", "validated"):
            this_run.setdefault(content_key(sf.relpath, sf.sha256), sf.relpath)

    def new_staged(src: SourceFile, unit: str) -> StagedFile:
        return StagedFile(relpath=unit, kind=src.kind, sha256=src.sha256, size=src.size, batch_seq=src.batch_seq,
                          partition=partition_of(src), folder=str(folder(src, unit)))

    def save(sf: StagedFile) -> None:
        sf.save()
        crash_point("extract.saved")
        if progress:
            progress(f"extract {sf.relpath}: {sf.outcome} {sf.records_read} records")

    with ThreadPoolExecutor(PARSE_AHEAD, thread_name_prefix="parse") as pool:
        pending: dict[int, Future] = {}

        def top_up() -> None:
            while len(pending) < PARSE_AHEAD:
                nxt = next(queue, None)
                if nxt is None:
                    return
                pending[id(nxt)] = pool.submit(_parse, nxt, landing_dir, pii_key)

        for src, us in todo:
            top_up()
            if provinces and is_staged(src, src.relpath):
                keep(StagedFile.load(folder(src, src.relpath)))  # staged whole by an earlier run: rejected
                continue
            waiting = []
            for unit in us:
                if is_staged(src, unit):
                    # Staged by an earlier run that did not load it yet: the same bytes give the same frames.
                    keep(StagedFile.load(folder(src, unit)))
                else:
                    waiting.append(unit)
            if not waiting:
                continue
            refusal = _refusal(src) or twins.get(src.relpath)
            if refusal:
                sf = new_staged(src, src.relpath)
                sf.outcome, sf.reason = "rejected", refusal
                save(sf)
                keep(sf)
                continue
            to_parse = []
            for unit in waiting:
                original = loaded.get(content_key(unit, src.sha256)) or this_run.get(content_key(unit, src.sha256))
                if original:
                    sf = new_staged(src, unit)
                    sf.outcome, sf.reason = "duplicate_file", duplicate_reason(original)
                    save(sf)
                    keep(sf)
                else:
                    to_parse.append(unit)
            if not to_parse:
                continue
            future = pending.pop(id(src), None)
            parsed, seconds = future.result() if future else _parse(src, landing_dir, pii_key)
            if isinstance(parsed, SourceError):
                sf = new_staged(src, src.relpath)
                sf.outcome, sf.reason = "rejected", str(parsed)
                sf.seconds["extract"] = round(seconds, 4)
                save(sf)
                keep(sf)
                continue
            crash_point("extract.parsed")
            primary, notes = registry.KINDS[src.kind].primary, list(parsed.notes)
            records = parsed.frames[primary].height
            if provinces:
                # Every province's part, those of other runs too (unless recorded or staged already).
                parts = {part_relpath(src.relpath, p): frames
                         for p, frames in split_frames(parsed.frames, provinces).items()}
                parts = {u: f for u, f in parts.items()
                         if u in to_parse or ((u, src.sha256) not in seen and not is_staged(src, u))}
            else:
                parts = {src.relpath: parsed.frames}
            del parsed
            for unit, frames in parts.items():
                sf = new_staged(src, unit)
                for entity, frame in frames.items():
                    sf.write_frame("extracted", entity, frame)
                    crash_point("extract.frame")
                sf.notes = notes
                sf.records_read = frames[primary].height
                # The home part of an empty file is checked (empty_batch says so once); other empty parts are not.
                sf.nothing_to_check = bool(provinces) and sf.records_read == 0 and (
                    records > 0 or unit != part_relpath(src.relpath, provinces[0]))
                sf.seconds["extract"] = round(seconds, 4)
                save(sf)
                if unit in to_parse:
                    keep(sf)
                else:
                    this_run.setdefault(content_key(unit, src.sha256), unit)
    return staged
