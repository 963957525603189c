"""Gzip the dated exports of a generated landing folder in place, as a transfer would deliver them (`hoso sample
--gzip`), and rewrite its manifest to name the compressed files.

    compress_world(landing_dir) -> the manifest, rewritten
    GzipAsWritten(landing_dir)      -> generate_world's `day_written`: each day's portal files gzipped while the
                                       next day is generated, so a world larger than the free disk in plain text
                                       (the national world at scale 1: ~50 GB plain) is never all plain at once

Every file of the manifest whose export kind may arrive compressed (sources/registry.py `ExportKind.gzip`) and
whose name carries a date (portal batches and their history, provincial CSV exports, task snapshots) becomes
`<name>.gz` and the plain file is removed; reference files, the national snapshot `tasks/xep-hang-tinh.csv` (no
date in its name) and XLSX workbooks (already a zip) stay as they are. The manifest's `files` entries get the new
path and the sha256 of the compressed bytes (record counts unchanged), and every other manifest field that names a
compressed file (a defect's `file`, `final_record.file`, ...) names it with `.gz`.

The gzip header carries no file name and a zero time stamp: the same content gives the same bytes, so a
byte-identical copy of a batch (the duplicate-batch defect) stays byte-identical once compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from samples.generate import manifest_text
from sources import registry
from sources.discover import classify
from sources.files import GZIP_SUFFIX

COMPRESS_LEVEL = 6  # gzip's own default: what `gzip file` gives


def should_compress(relpath: str) -> bool:
    """A dated export whose kind may arrive gzip-compressed (not a reference file, not an XLSX workbook)."""
    kind_name, batch_seq, _at, _day = classify(relpath)
    kind = registry.KINDS.get(kind_name)
    return kind is not None and kind.gzip and batch_seq is not None and not relpath.lower().endswith(GZIP_SUFFIX)


def gzip_file(path: Path) -> Path:
    """Write `<path>.gz` (deterministic bytes), then remove `path`; returns the new path."""
    target = path.with_name(path.name + GZIP_SUFFIX)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(path, "rb") as src, open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=COMPRESS_LEVEL, mtime=0) as gz:
            shutil.copyfileobj(src, gz, 1 << 20)
    tmp.replace(target)
    path.unlink()
    return target


class GzipAsWritten:
    """Gzips the files it is handed (those should_compress admits) in one worker thread: zlib releases the GIL, so
    compression runs beside the generator on the second core. `wait()` before compress_world, which then only
    compresses what is still plain and rewrites the manifest."""

    def __init__(self, landing_dir: Path):
        self.landing = Path(landing_dir)
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future] = []

    def __call__(self, paths: list[Path]) -> None:
        for path in paths:
            if should_compress(path.relative_to(self.landing).as_posix()):
                self.pending.append(self.pool.submit(gzip_file, path))

    def wait(self) -> None:
        try:
            for done in self.pending:
                done.result()
        finally:
            self.pool.shutdown()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _renamed(value, renames: dict[str, str]):
    """`value` with every string equal to a renamed path replaced, at any depth."""
    if isinstance(value, str):
        return renames.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, renames) for k, v in value.items()}
    return value


def compress_world(landing_dir: Path) -> dict:
    """Gzip the dated exports listed in `landing_dir/manifest.json` in place (those not already compressed as they
    were written); rewrite and return the manifest."""
    landing = Path(landing_dir)
    manifest_path = landing / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    renames: dict[str, str] = {}
    for entry in manifest["files"]:
        if should_compress(entry["path"]):
            if (landing / entry["path"]).exists():
                gzip_file(landing / entry["path"])
            renames[entry["path"]] = entry["path"] + GZIP_SUFFIX
    files = []
    for entry in manifest["files"]:
        if entry["path"] in renames:
            path = renames[entry["path"]]
            entry = {**entry, "path": path, "sha256": _sha256(landing / path)}
        files.append(entry)
    rewritten = {key: _renamed(value, renames) for key, value in manifest.items() if key != "files"}
    rewritten["files"] = sorted(files, key=lambda f: f["path"])
    manifest = {key: rewritten[key] for key in manifest}  # the keys in their order
    manifest_path.write_text(manifest_text(manifest), encoding="utf-8")
    return manifest
