"""Gzip-compressed landing files (`<name>.gz`, sources/files.py): read exactly as their uncompressed versions, damaged
ones refused in one line, one batch read from one file only, and `hoso sample --gzip` (samples/compress.py).
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
import zlib
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from sources import SourceError, discover, parse
from sources import limits
from sources.discover import classify, unknown_reason
from sources.registry import KINDS
from stages.extract import extract_files, same_batch_refusals

from tests.test_sources import KEY, LANDING, source_for, write_xlsx

PLAIN_EXPORTS = sorted(
    s.relpath for s in discover(LANDING) if s.kind in KINDS
)  # every CSV and JSON kind of the fixture folder: reference, portal, history, provincial CSV, tasks


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def put(root: Path, relpath: str, content: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# ---- the same frames --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("relpath", PLAIN_EXPORTS)
def test_a_gzipped_export_parses_to_exactly_the_frames_of_the_plain_file(tmp_path: Path, relpath: str) -> None:
    plain_root, gz_root = tmp_path / "plain", tmp_path / "gz"
    plain = put(plain_root, relpath, (LANDING / relpath).read_bytes())
    packed = put(gz_root, relpath + ".gz", gz(plain.read_bytes()))
    a = parse(source_for(plain, plain_root), plain_root, KEY)
    src = source_for(packed, gz_root)
    assert (src.kind, src.batch_seq, src.observed_at, src.snapshot_date) == classify(relpath)  # same kind, day, batch
    b = parse(src, gz_root, KEY)
    assert list(a.frames) == list(b.frames)
    for name in a.frames:
        # lineage: the path as it is on disk (with .gz) and the sha256 of the bytes on disk; everything else equal
        assert b.frames[name]["source_file"].unique().to_list() in ([], [relpath + ".gz"])
        assert b.frames[name]["source_sha256"].unique().to_list() in ([], [src.sha256])
        assert_frame_equal(a.frames[name].drop("source_file", "source_sha256"),
                           b.frames[name].drop("source_file", "source_sha256"))
    assert b.notes == [n.replace(relpath, relpath + ".gz") for n in a.notes]


def test_every_compressible_kind_is_covered_and_xlsx_is_not_compressible() -> None:
    covered = {classify(r)[0] for r in PLAIN_EXPORTS}
    assert covered == {k for k, kind in KINDS.items() if kind.gzip}
    assert [k for k, kind in KINDS.items() if not kind.gzip] == ["provincial_xlsx"]


def test_an_xlsx_gz_is_unknown_with_a_reason(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "provincial" / "17329-hoso-20250805.xlsx")
    put(tmp_path, "provincial/17329-hoso-20250805.xlsx.gz", gz(xlsx.read_bytes()))
    kinds = {s.relpath: s.kind for s in discover(tmp_path)}
    assert kinds["provincial/17329-hoso-20250805.xlsx.gz"] == "unknown"
    assert unknown_reason("provincial/17329-hoso-20250805.xlsx.gz") == (
        "provincial/17329-hoso-20250805.xlsx.gz: an XLSX workbook is not read gzip-compressed (it is a zip already): "
        "not loaded; deliver it as exported, without .gz")
    assert "compressed twice" in unknown_reason("portal/hoso-20250701-01.json.gz.gz")


def test_glob_characters_in_the_folder_of_a_gzipped_batch(tmp_path: Path) -> None:
    root = tmp_path / "land[1]*?"
    rel = "portal/hoso-20250701-01.json"
    packed = put(root, rel + ".gz", gz((LANDING / rel).read_bytes()))
    put(tmp_path / "land1", rel + ".gz", gz(b"[]"))  # what '[1]' would match as a pattern
    assert parse(source_for(packed, root), root, KEY).records == parse(
        source_for(LANDING / rel, LANDING), LANDING, KEY).records


# ---- damaged files ----------------------------------------------------------------------------------------------

JSON_REL = "portal/hoso-20250701-01.json"
CSV_REL = "provincial/17329-hoso-20250806.csv"
GOOD_JSON = (LANDING / JSON_REL).read_bytes()
GOOD_CSV = (LANDING / CSV_REL).read_bytes()


def refusal(root: Path, relpath: str, content: bytes) -> str:
    path = put(root, relpath, content)
    with pytest.raises(SourceError) as caught:
        parse(source_for(path, root), root, KEY)
    message = str(caught.value)
    assert message.startswith(f"{relpath}: ") and "\n" not in message and str(root) not in message
    return message


def _flip_crc(data: bytes) -> bytes:
    return data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:]


def _corrupt_body(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0x5A for b in data[middle:middle + 16]) + data[middle + 16:]


TRUNCATED = "damaged gzip file: the compressed data ends before the end of the gzip stream (a truncated file?)"
NOT_GZIP_TEXT = ("not a gzip file despite its .gz name: the file does not start with the gzip signature (1f 8b): "
                 "plain text? (rename it without .gz if it is not compressed)")


@pytest.mark.parametrize("relpath, good", [(JSON_REL, GOOD_JSON), (CSV_REL, GOOD_CSV)], ids=["json", "csv"])
@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda g: g[: len(g) // 2], TRUNCATED),
        (lambda g: g[:-4], TRUNCATED),  # cut inside the trailer
        (lambda g: gzip.decompress(g), NOT_GZIP_TEXT),  # plain text named .gz
        (lambda g: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a gzip file despite its .gz name: the file is a PNG image"),
        (_flip_crc, "damaged gzip file: the CRC check failed (the content is corrupt)"),
        (lambda g: g + b"garbage after the stream", "damaged gzip file: not a valid gzip stream after the first "
                                                      "member (trailing bytes that are not gzip)"),
        (lambda g: g[:2] + b"\x09" + g[3:], "damaged gzip file: an unknown compression method (gzip files use "
                                             "deflate), at or after byte 0 of the content: not read"),
        (lambda g: b"", "empty file (0 bytes), expected"),
        (lambda g: gz(b""), "empty file (0 bytes once decompressed), expected"),
    ],
    ids=["truncated", "truncated-trailer", "plain-named-gz", "png-named-gz", "crc", "trailing-garbage",
         "unknown-method", "empty-file", "empty-content"],
)
def test_a_damaged_gzip_is_refused_with_its_reason(tmp_path: Path, relpath: str, good: bytes, damage,
                                                   expected: str) -> None:
    message = refusal(tmp_path, relpath + ".gz", damage(gz(good)))
    assert message.startswith(f"{relpath}.gz: {expected}"), message


def test_the_end_of_a_gzipped_batch_is_found_past_blocks_of_whitespace(tmp_path: Path) -> None:
    """The one decompression that measures a `.gz` batch also finds its last byte that is not whitespace, here more
    than one 1 MB block of content before the end: a closed array is read, one cut after a record is refused."""
    trailing = b" \r\n\t" * (limits.MiB // 2)  # 2 MB
    closed = put(tmp_path, JSON_REL + ".gz", gz(GOOD_JSON + trailing))
    assert parse(source_for(closed, tmp_path), tmp_path, KEY).records == parse(
        source_for(LANDING / JSON_REL, LANDING), LANDING, KEY).records
    cut = GOOD_JSON[: GOOD_JSON.index(b"},", len(GOOD_JSON) // 2) + 2]
    message = refusal(tmp_path / "cut", JSON_REL + ".gz", gz(cut + trailing))
    assert message == (f"{JSON_REL}.gz: not valid JSON (truncated or corrupt): the array is not closed, the file ends "
                       "with ',' instead of ']'")


@pytest.mark.parametrize("relpath, good", [(JSON_REL, GOOD_JSON), (CSV_REL, GOOD_CSV)], ids=["json", "csv"])
def test_a_corrupt_deflate_stream_is_refused(tmp_path: Path, relpath: str, good: bytes) -> None:
    data = gz(good * 50)
    message = refusal(tmp_path, relpath + ".gz", _corrupt_body(data))
    assert message.startswith(f"{relpath}.gz: damaged gzip file: "), message
    assert " of the content: not read" in message
    with pytest.raises((zlib.error, gzip.BadGzipFile, EOFError)):
        gzip.decompress(_corrupt_body(data))  # the damage is real


@pytest.mark.parametrize(
    "relpath, limit, name, export",
    [(JSON_REL, limits.MAX_JSON_BYTES, "MAX_JSON_BYTES", "a JSON batch"),
     (CSV_REL, limits.MAX_CSV_BYTES, "MAX_CSV_BYTES", "a CSV export")],
    ids=["json", "csv"],
)
def test_a_gzip_bomb_is_refused_against_the_limit_of_the_plain_file(tmp_path: Path, relpath: str, limit: int,
                                                                   name: str, export: str) -> None:
    """Members of 16 MB of spaces, concatenated until the content passes the limit: about 1 MB on disk for 1 GB."""
    member = gz(b" " * (16 * limits.MiB))
    bomb = member * (limit // (16 * limits.MiB) + 1)
    assert len(bomb) < 2 * limits.MiB  # about 1,000 times smaller than its content
    t0 = time.perf_counter()
    message = refusal(tmp_path, relpath + ".gz", bomb)
    assert message == (f"{relpath}.gz: file too large once decompressed: more than {limits.mib(limit)} of content "
                       f"from {limits.mib(len(bomb))} of gzip (a gzip bomb?), the limit for {export} is "
                       f"{limits.mib(limit)} ({name}): not read")
    assert time.perf_counter() - t0 < 60


def test_content_problems_give_the_reasons_of_the_plain_file(tmp_path: Path) -> None:
    """What is wrong inside the content is said as for the uncompressed file."""
    for relpath, content in [(JSON_REL, GOOD_JSON[: len(GOOD_JSON) // 2]), (JSON_REL, b"<html>502</html>"),
                             (JSON_REL, b'{"MaHoSo": "x"}'), (CSV_REL, GOOD_CSV.decode("utf-8").encode("utf-16")),
                             (CSV_REL, GOOD_CSV.replace(b"M\xc3\xa3 h\xe1\xbb\x93 s\xc6\xa1", b"X")),
                             (JSON_REL, '[{"MaHoSo": "x"}]'.encode("utf-16"))]:
        plain = refusal(tmp_path / "plain", relpath, content)
        packed = refusal(tmp_path / "gz", relpath + ".gz", gz(content))
        assert packed == plain.replace(f"{relpath}: ", f"{relpath}.gz: ", 1)


# ---- one batch, one file ----------------------------------------------------------------------------------------


def _stage(landing: Path, tmp: Path, loaded: dict[str, str] | None = None, seen=frozenset()) -> dict:
    files = discover(landing)
    staged = extract_files(files, landing, tmp / "staging", KEY, set(seen), dict(loaded or {}))
    return {s.relpath: s for s in staged}


def test_a_batch_present_plain_and_gzipped_is_read_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    put(landing, JSON_REL, GOOD_JSON)
    put(landing, JSON_REL + ".gz", gz(GOOD_JSON))
    put(landing, CSV_REL + ".gz", gz(GOOD_CSV))
    put(landing, CSV_REL, GOOD_CSV.replace(b"\r\n", b"\n"))  # another version of the same batch: still one batch
    staged = _stage(landing, tmp_path)
    assert staged[JSON_REL].outcome == "extracted" and staged[JSON_REL].records_read == 4
    assert (staged[JSON_REL + ".gz"].outcome, staged[JSON_REL + ".gz"].reason) == (
        "rejected", f"{JSON_REL}.gz: the same batch as {JSON_REL} (the same name without .gz), read instead: not "
                    "read; keep one of the two files in the landing folder")
    assert staged[CSV_REL].outcome == "extracted"
    assert staged[CSV_REL + ".gz"].outcome == "rejected"
    assert f"the same batch as {CSV_REL} (the same name without .gz)" in staged[CSV_REL + ".gz"].reason


def test_a_gzipped_copy_of_a_batch_already_loaded_is_refused(tmp_path: Path) -> None:
    """The plain file was loaded by an earlier run and has since been compressed in place (or a transfer brings the
    .gz too): the .gz is refused naming it, never loaded a second time. And the other way round."""
    landing = tmp_path / "landing"
    put(landing, JSON_REL + ".gz", gz(GOOD_JSON))
    staged = _stage(landing, tmp_path, loaded={"0" * 64: JSON_REL}, seen={(JSON_REL, "0" * 64)})
    assert staged[JSON_REL + ".gz"].outcome == "rejected"
    assert staged[JSON_REL + ".gz"].reason == (
        f"{JSON_REL}.gz: the same batch as {JSON_REL} (the same name without .gz), already loaded: not read; keep "
        "one of the two files in the landing folder")
    (landing / (JSON_REL + ".gz")).unlink()
    put(landing, JSON_REL, GOOD_JSON)
    staged = _stage(landing, tmp_path / "2", loaded={"1" * 64: JSON_REL + ".gz"}, seen={(JSON_REL + ".gz", "1" * 64)})
    assert staged[JSON_REL].outcome == "rejected"
    assert f"the same batch as {JSON_REL}.gz (the same name without .gz), already loaded" in staged[JSON_REL].reason


def test_same_batch_rule_leaves_other_files_alone() -> None:
    files = discover(LANDING)
    assert same_batch_refusals(files, [s.relpath for s in files]) == {}


# ---- hoso sample --gzip -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gz_world(small_world_dir: Path, tmp_path_factory) -> Path:
    from samples.compress import compress_world

    out = tmp_path_factory.mktemp("gz_world") / "landing"
    shutil.copytree(small_world_dir, out)
    compress_world(out)
    return out


def test_compress_world_gzips_the_dated_exports_and_rewrites_the_manifest(small_world_dir: Path,
                                                                          gz_world: Path) -> None:
    import hashlib

    plain = json.loads((small_world_dir / "manifest.json").read_text(encoding="utf-8"))
    packed = json.loads((gz_world / "manifest.json").read_text(encoding="utf-8"))
    by_path = {f["path"]: f for f in plain["files"]}
    compressed = 0
    for entry in packed["files"]:
        path = gz_world / entry["path"]
        assert path.is_file()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        if entry["path"].endswith(".gz"):
            compressed += 1
            original = by_path[entry["path"][:-3]]
            assert gzip.decompress(path.read_bytes()) == (small_world_dir / original["path"]).read_bytes()
            assert not (gz_world / original["path"]).exists()
            assert {**entry, "path": original["path"], "sha256": original["sha256"]} == original
            assert classify(entry["path"])[1] is not None  # dated
        else:
            assert entry == by_path[entry["path"]]
            assert entry["path"].startswith("reference/") or entry["path"].endswith((".xlsx", "xep-hang-tinh.csv"))
    assert compressed == len(packed["files"]) - sum(
        1 for f in plain["files"] if f["path"].startswith("reference/") or f["path"].endswith((".xlsx", "xep-hang-tinh.csv")))
    assert {k: v for k, v in packed.items() if k not in ("files", "defects")} == {
        k: v for k, v in plain.items() if k not in ("files", "defects")}
    assert json.dumps(packed["defects"]).replace(".gz\"", "\"") == json.dumps(plain["defects"])
    kinds = {s.relpath: s.kind for s in discover(gz_world)}
    assert "unknown" not in kinds.values()


def test_hoso_sample_gzip_compresses_as_it_writes_the_same_bytes(gz_world: Path, tmp_path: Path) -> None:
    """`hoso sample --gzip` gzips each day's portal files while it generates the next (samples/compress.py
    GzipAsWritten): the world it leaves is byte for byte the one compressed after the fact, manifest included."""
    from cli.main import main

    out = tmp_path / "landing"
    assert main(["sample", "--scale", "0.01", "--gzip", "--quiet", "--out", str(out)]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(gz_world).as_posix() for p in gz_world.rglob("*") if p.is_file())
    for rel in written:
        assert (out / rel).read_bytes() == (gz_world / rel).read_bytes(), rel


@pytest.mark.slow
def test_a_gzipped_world_loads_exactly_like_the_plain_one(small_world_dir: Path, gz_world: Path,
                                                         tmp_path: Path) -> None:
    from tests.test_pipeline import analytics, make_settings, run, warehouse

    results = {}
    for name, landing in (("plain", small_world_dir), ("gz", gz_world)):
        settings = make_settings(tmp_path / name, landing)
        run(settings)
        results[name] = settings
    cu = json.loads((gz_world / "manifest.json").read_text(encoding="utf-8"))["clean_universe"]["40"]
    figures = {}
    for name, settings in results.items():
        rows = {r[0]: r[1:] for r in analytics(settings).execute(
            "SELECT level_key, received, online, returned FROM marts.online_ratio_by_level").fetchall()}
        assert rows["province_wide"] == (cu["all"]["received"], cu["all"]["online"], cu["all"]["returned"])
        assert rows["province_agencies"][:2] == (cu["province_level"]["received"], cu["province_level"]["online"])
        assert rows["commune"][:2] == (cu["commune_level"]["received"], cu["commune_level"]["online"])
        con = warehouse(settings)
        figures[name] = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("core.dossiers", "core.dossier_observations", "core.dossier_documents",
                          "core.processing_steps", "core.commune_tasks", "core.province_tasks",
                          "core.province_snapshot", "core.quarantine", "ref.units")
        }
        figures[name]["quarantine"] = con.execute(
            "SELECT reason, count(*) FROM core.quarantine GROUP BY ALL ORDER BY ALL").fetchall()
        figures[name]["files"] = con.execute(
            "SELECT outcome, count(*), sum(records_read), sum(records_loaded), sum(records_quarantined) "
            "FROM meta.files GROUP BY ALL ORDER BY ALL").fetchall()
        figures[name]["dossier_states"] = con.execute(
            "SELECT sum(hash(dossier_code, status, received_at, channel)) FROM core.dossiers").fetchone()[0]
        figures[name]["sources"] = con.execute(
            "SELECT count(*) FILTER (WHERE source_file LIKE '%.gz'), count(*) FILTER (WHERE source_file LIKE '%.xlsx') "
            "FROM core.dossier_observations").fetchone()
    plain_gz, plain_xlsx = figures["plain"].pop("sources")
    gz_gz, gz_xlsx = figures["gz"].pop("sources")
    assert plain_gz == 0 and gz_xlsx == plain_xlsx  # XLSX workbooks are not compressed
    assert gz_gz + gz_xlsx == figures["gz"]["core.dossier_observations"]  # every other observation from a .gz
    assert figures["gz"] == figures["plain"]
    # lineage: the path on disk and the sha256 of the compressed bytes, as the manifest lists them
    manifest = {f["path"]: f["sha256"] for f in json.loads((gz_world / "manifest.json").read_text())["files"]}
    for path, sha in warehouse(results["gz"]).execute(
            "SELECT DISTINCT source_file, source_sha256 FROM core.dossier_observations").fetchall():
        assert path.endswith((".gz", ".xlsx"))
        assert manifest[path] == sha
