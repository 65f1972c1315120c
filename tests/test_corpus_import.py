"""`gallery-desktop import CORPUS`: every manifest row checked against the catalogue.

The corpus is imported once per session (see `corpus_import` in conftest) by the real CLI,
straight from the read-only corpus folder, and read back with `media --json`.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import text

from conftest import CorpusImport
from corpus import CORPUS, ManifestRow, load_manifest, rows, rows_in
from gallery_desktop.catalog.check import check_catalog
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ingest.exif import xmp_capture_time
from gallery_desktop.ingest.filetypes import RAW_EXTENSIONS, VIDEO_EXTENSIONS, classify_name
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.ingest.probe import probe_file
from gallery_desktop.media.thumbnails import ThumbnailCache, render

REQUIRED_FIELDS: Final[dict[str, type | tuple[type, ...]]] = {
    "id": int,
    "gallery": str,
    "path": str,
    "kind": str,
    "format": (str, type(None)),
    "state": str,
    "error": (str, type(None)),
    "width": (int, type(None)),
    "height": (int, type(None)),
    "orientation": (int, type(None)),
    "taken_at": (str, type(None)),
    "camera": (str, type(None)),
    "content_hash": (str, type(None)),
    "size_bytes": int,
    "rating": int,
    "pick": (str, type(None)),
    "label": (str, type(None)),
    "thumbnail": (str, type(None)),
}
ISO_TAKEN_AT: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})?$")
VIDEO_DURATION_TOLERANCE: Final = 0.05


def _id(row: ManifestRow) -> str:
    return row.path


def _record(corpus_import: CorpusImport, row: ManifestRow) -> dict[str, Any]:
    record = corpus_import.by_path.get(row.path)
    assert record is not None, f"no media row for {row.path!r}"
    return record


def _assert_readable_error(record: dict[str, Any]) -> None:
    error = record["error"]
    assert isinstance(error, str) and error.strip(), f"{record['path']}: error state, no reason"
    assert error == error.strip() and "\n" not in error, f"not one clean line: {error!r}"
    assert "Traceback" not in error and len(error) < 300, error


def _assert_capture_time(record: dict[str, Any], row: ManifestRow) -> None:
    taken_at = record["taken_at"]
    elsewhere = row.date_elsewhere
    if row.expected_taken_at is not None:
        assert taken_at is not None and taken_at.startswith(row.expected_taken_at), (
            f"{row.path}: taken_at {taken_at!r}, EXIF DateTimeOriginal {row.datetime_original!r}"
        )
    elif elsewhere is not None:
        assert taken_at is not None and taken_at.startswith(elsewhere.iso), (
            f"{row.path}: taken_at {taken_at!r}, manifest: {elsewhere.iso} in {elsewhere.where}"
        )
        if elsewhere.suffix == "Z":
            assert taken_at.endswith(("+00:00", "Z")), taken_at
    else:
        assert taken_at is None, (
            f"{row.path}: taken_at {taken_at!r} but the manifest knows no capture date "
            f"({row.description})"
        )
    if taken_at is not None:
        assert ISO_TAKEN_AT.match(taken_at), taken_at


def _assert_camera(record: dict[str, Any], row: ManifestRow) -> None:
    """The catalogue's camera is the manifest's make+model, or its model when that repeats
    the make ('NIKON CORPORATION' + 'NIKON D70' → 'NIKON D70')."""
    if row.camera is None:
        return
    camera = record["camera"]
    assert camera, f"{row.path}: no camera, manifest says {row.camera!r}"
    assert row.camera.casefold().endswith(camera.casefold()), (camera, row.camera)


# -- the import as a whole ---------------------------------------------------------------------


def test_import_exits_zero_and_summarises(corpus_import: CorpusImport) -> None:
    manifest = load_manifest()
    assert len(corpus_import.summaries) == 1
    s = corpus_import.summaries[0]
    assert s["collection"] == CORPUS.name
    assert s["files"] == len(manifest) == s["new"]
    assert s["cancelled"] is False
    in_error = [m for m in corpus_import.media if m["state"] == "error"]
    assert s["errors"] == len(in_error) == len(s["error_files"]) > 0
    assert {e["path"] for e in s["error_files"]} == {m["path"] for m in in_error}
    # Everything in the corpus that is not a manifest row (README, manifest, licences) is
    # counted as skipped, never catalogued.
    on_disk = sum(len(files) for _d, _s, files in os.walk(CORPUS))
    assert s["skipped"] == on_disk - len(manifest)


def test_one_collection_named_after_the_folder(corpus_import: CorpusImport) -> None:
    (col,) = corpus_import.collections
    assert col["name"] == CORPUS.name
    assert col["folder"] == os.path.realpath(CORPUS)  # symlinks resolved
    assert col["media"] == len(load_manifest())
    assert col["photos"] + col["videos"] == col["media"]
    assert col["errors"] == sum(m["state"] == "error" for m in corpus_import.media)
    assert col["missing"] == 0


def test_one_gallery_per_first_level_folder(corpus_import: CorpusImport) -> None:
    media = corpus_import.media
    assert {m["gallery"] for m in media} == {r.top_folder for r in load_manifest()}
    for m in media:
        assert m["gallery"] == m["path"].split("/", 1)[0], m["path"]
    # No media at the corpus root, so no default gallery; LICENSES holds no media, no gallery.
    assert corpus_import.collections[0]["galleries"] == len({r.top_folder for r in load_manifest()})


def test_exactly_one_media_row_per_manifest_file(corpus_import: CorpusImport) -> None:
    paths = [m["path"] for m in corpus_import.media]
    assert len(paths) == len(set(paths)), "duplicate media rows"
    assert set(paths) == {r.path for r in load_manifest()}


def test_media_json_has_every_promised_field(corpus_import: CorpusImport) -> None:
    for m in corpus_import.media:
        for name, typ in REQUIRED_FIELDS.items():
            assert name in m, f"{m['path']}: no {name!r}"
            assert isinstance(m[name], typ), f"{m['path']}: {name} = {m[name]!r}"
        assert m["kind"] in ("photo", "video")
        assert m["state"] in ("ok", "missing", "error")
        assert 0 <= m["rating"] <= 5
        assert (m["error"] is not None) == (m["state"] == "error"), m
        if m["thumbnail"] is not None:
            assert Path(m["thumbnail"]).is_file()
            assert Path(m["thumbnail"]).is_relative_to(corpus_import.home)
        if m["taken_at"] is not None:
            assert ISO_TAKEN_AT.match(m["taken_at"]), m["taken_at"]


def test_size_and_content_hash(corpus_import: CorpusImport) -> None:
    """size_bytes is the file size; equal content ⇔ equal content_hash."""
    by_sha: dict[str, set[str]] = defaultdict(set)
    for row in load_manifest():
        record = _record(corpus_import, row)
        assert record["size_bytes"] == row.size, row.path
        if row.size:
            assert record["content_hash"], f"{row.path}: no content hash"
            by_sha[row.sha256].add(record["content_hash"])
    hashes = [h for group in by_sha.values() for h in group]
    assert all(len(group) == 1 for group in by_sha.values()), "same bytes, different hashes"
    assert len(hashes) == len(set(hashes)), "different bytes, same hash"


def test_check_finds_the_catalogue_in_order(corpus_import: CorpusImport) -> None:
    cat = Catalog(corpus_import.paths.catalog_file)
    try:
        report = check_catalog(cat)
    finally:
        cat.close()
    assert report.catalogue_ok and report.in_step_with_disk, report
    assert report.media_checked == len(load_manifest())


def test_second_import_reads_nothing_again(
    corpus_import: CorpusImport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-running the import on the unchanged corpus probes no file and adds no row."""
    home = tmp_path / "home"
    shutil.copytree(corpus_import.home, home, ignore=shutil.ignore_patterns("logs"))

    def no_probe(*_args: object, **_kw: object) -> None:
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr("gallery_desktop.ingest.importer.probe_file", no_probe)
    monkeypatch.setattr("gallery_desktop.ingest.thumbnailer.thumbnail_one", no_probe)
    cat = Catalog(home / "catalog.sqlite")
    try:
        s = import_folder(cat, ThumbnailCache(home / "cache" / "thumbnails"), CORPUS, workers=2)
        with cat.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM media").scalar()
    finally:
        cat.close()
    assert (s.unchanged, s.new, s.changed, s.moved, s.missing) == (len(load_manifest()), 0, 0, 0, 0)
    assert n == len(load_manifest())


# -- row by row ---------------------------------------------------------------------------------


@pytest.mark.parametrize("row", rows("photos/"), ids=_id)
def test_photo_row(corpus_import: CorpusImport, row: ManifestRow) -> None:
    record = _record(corpus_import, row)
    assert record["state"] == "ok", record["error"]
    assert record["kind"] == "photo"
    assert record["format"]
    assert (record["width"], record["height"]) == (row.expected_width, row.expected_height)
    _assert_capture_time(record, row)
    _assert_camera(record, row)
    assert record["thumbnail"] is not None, f"{row.path}: no thumbnail"


@pytest.mark.parametrize("row", rows_in("photos/orientation"), ids=_id)
def test_orientation_is_recorded(corpus_import: CorpusImport, row: ManifestRow) -> None:
    """The EXIF value is kept (0 means 'as stored', i.e. 1); the size is the display size."""
    record = _record(corpus_import, row)
    assert row.exif_orientation is not None
    assert record["orientation"] == (row.exif_orientation or 1)


@pytest.mark.parametrize("row", rows("raw"), ids=_id)
def test_raw_row(corpus_import: CorpusImport, row: ManifestRow) -> None:
    record = _record(corpus_import, row)
    assert record["state"] == "ok", record["error"]
    assert record["kind"] == "photo"
    assert (record["width"], record["height"]) == (row.expected_width, row.expected_height)
    assert record["camera"], f"{row.path}: camera is empty"
    _assert_camera(record, row)
    _assert_capture_time(record, row)


@pytest.mark.parametrize("row", rows("video"), ids=_id)
def test_video_row(corpus_import: CorpusImport, row: ManifestRow) -> None:
    record = _record(corpus_import, row)
    assert record["kind"] == "video"
    assert record["state"] == "ok", record["error"]
    if row.expected_width is not None:
        assert (record["width"], record["height"]) == (row.expected_width, row.expected_height)
    assert row.duration is not None
    assert record["duration"] is not None
    assert abs(record["duration"] - row.duration) <= VIDEO_DURATION_TOLERANCE
    # The clips' only date is QuickTime's zero CreateDate (0000:00:00): not a capture time.
    assert record["taken_at"] is None


def _recovers_legitimately(row: ManifestRow) -> bool:
    """Where Pillow's verdict does not bind the importer.

    - raw extensions: the importer reads raw metadata with its own parser, not Pillow
      (raw/*.CR3 is an `open-error` for Pillow, yet a good file);
    - wrong extensions: the content is sniffed (magic bytes), so PNG-named-.jpg decodes.
    Video rows are not exempt: Pillow never reads video, but the bad clips are truly broken.
    """
    return row.extension in RAW_EXTENSIONS or row.path.startswith("bad/wrong_extension/")


@pytest.mark.parametrize("row", rows("bad"), ids=_id)
def test_bad_row(corpus_import: CorpusImport, row: ManifestRow) -> None:
    record = _record(corpus_import, row)
    assert record["state"] in ("ok", "error")
    if record["state"] == "error":
        _assert_readable_error(record)
        assert record["thumbnail"] is None
    if row.pillow_failed and not _recovers_legitimately(row):
        assert record["state"] == "error", f"{row.path}: Pillow says {row.pillow_result!r}"
    if record["state"] == "ok":
        assert record["error"] is None
        if row.expected_width is not None:
            assert (record["width"], record["height"]) == (
                row.expected_width,
                row.expected_height,
            )
        # Damaged but readable (or a recovered raw): what was read must be right.
        _assert_camera(record, row)
        if row.expected_taken_at is not None or row.date_elsewhere is not None:
            _assert_capture_time(record, row)
    if row.size == 0:
        assert record["state"] == "error" and "empty" in record["error"].lower()
        assert record["thumbnail"] is None


@pytest.mark.parametrize(
    "row", [r for r in load_manifest() if r.extension in VIDEO_EXTENSIONS], ids=_id
)
def test_video_files_are_videos_even_when_broken(
    corpus_import: CorpusImport, row: ManifestRow
) -> None:
    """A damaged or empty .mp4/.mov is still a video (kind video), listed with an error."""
    assert _record(corpus_import, row)["kind"] == "video"


@pytest.mark.parametrize("row", rows_in("bad/non_utf8_names"), ids=_id)
def test_non_utf8_file_names(corpus_import: CorpusImport, row: ManifestRow) -> None:
    """The JSON path is the backslashreplace form; the catalogue keeps the real bytes."""
    record = _record(corpus_import, row)  # keyed by the manifest's escaped path
    assert record["state"] == "ok", record["error"]
    assert (record["width"], record["height"]) == (row.expected_width, row.expected_height)
    _assert_capture_time(record, row)
    cat = Catalog(corpus_import.paths.catalog_file)
    try:
        with cat.engine.connect() as conn:
            rel_path = conn.execute(
                text("SELECT rel_path FROM media WHERE id = :id"), {"id": record["id"]}
            ).scalar_one()
    finally:
        cat.close()
    assert bytes(rel_path) == row.raw_path
    assert os.path.isfile(os.path.join(os.fsencode(CORPUS), bytes(rel_path)))


@pytest.mark.parametrize("row", rows_in("bad/bombs"), ids=_id)
def test_bombs_are_refused_quickly_and_with_little_memory(row: ManifestRow) -> None:
    """Huge declared sizes are refused from the header: bounded time and memory."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.monotonic()
    result = probe_file(row.fs_path, classify_name(os.path.basename(row.raw_path)), row.size, 0)
    if result.error is None and result.needs_render:
        with open(row.fs_path, "rb") as f:
            render(f.read(), 256)  # what the thumbnail step will do next
    elapsed = time.monotonic() - started
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert elapsed < 5, f"{row.path}: {elapsed:.1f} s"
    assert grown_mib < 256, f"{row.path}: peak memory grew by {grown_mib:.0f} MiB"
    if row.pillow_failed:
        assert result.error, f"{row.path}: accepted ({result.width}x{result.height})"


# -- capture time from XMP ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "xmp",
    [
        b'<rdf:Description exif:DateTimeOriginal="2019-05-05T12:00:00"'
        b' xmp:CreateDate="2020-01-01T10:00:00"/>',
        b'<rdf:Description xmp:CreateDate="2020-01-01T10:00:00"'
        b' exif:DateTimeOriginal="2019-05-05T12:00:00"/>',
        b"<rdf:Description><photoshop:DateCreated>2019-05-05</photoshop:DateCreated>"
        b"<exif:DateTimeOriginal>2019-05-05T12:00:00</exif:DateTimeOriginal></rdf:Description>",
    ],
    ids=["original-first", "createdate-first", "date-only-first"],
)
def test_xmp_date_time_original_wins_wherever_it_sits(xmp: bytes) -> None:
    """XMP exif:DateTimeOriginal is the capture time, whatever order the packet lists tags in."""
    assert xmp_capture_time(xmp) == "2019-05-05T12:00:00"


# -- originals are never modified (runs last: see conftest) ---------------------------------


def test_corpus_originals_unchanged(corpus_import: CorpusImport) -> None:
    """After the whole suite, every corpus file still has its manifest sha256 and nothing was
    added to the corpus folder."""
    changed = [r.path for r in load_manifest() if r.file_sha256() != r.sha256]
    assert not changed, f"corpus files modified: {changed}"
    listed = {os.fsencode(CORPUS / "MANIFEST.tsv"), os.fsencode(CORPUS / "README.md")}
    listed |= {r.fs_path for r in load_manifest()}
    for dirpath, _dirs, files in os.walk(os.fsencode(CORPUS)):
        for name in files:
            full = os.path.join(dirpath, name)
            if os.path.basename(dirpath) == b"LICENSES":
                continue
            assert full in listed, f"unexpected file in the corpus: {os.fsdecode(full)}"
