"""Import again = re-scan: unchanged, changed, deleted, moved, returning files; cancelling."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Final

import pytest

from conftest import (
    SHOOT_GALLERIES,
    SHOOT_MEDIA,
    SHOOT_OTHER,
    copy_from_corpus,
    make_shoot,
    set_culling,
)
from corpus import CORPUS
from gallery_desktop.catalog.check import check_catalog
from gallery_desktop.catalog.collections import list_galleries
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, list_media
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import (
    ImportProgress,
    ImportSummary,
    import_folder,
    rescan_collection,
)
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.thumbnails import ThumbnailCache

WORKERS: Final = 2


def _scan(catalog: Catalog, cache: ThumbnailCache, folder: Path) -> ImportSummary:
    return import_folder(catalog, cache, folder, workers=WORKERS)


def _media(catalog: Catalog, cache: ThumbnailCache, cid: int) -> dict[str, MediaRecord]:
    records = list_media(catalog, cid, cache)
    by_path = {r.path: r for r in records}
    assert len(by_path) == len(records), "duplicate paths"
    return by_path


def _touch_later(path: Path, seconds: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def _db_rows(catalog: Catalog) -> list[tuple[object, ...]]:
    with catalog.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT id, collection_id, gallery_id, rel_path, path, kind, state, "
                "content_hash, size_bytes, mtime_ns, thumb_state FROM media ORDER BY id"
            ).fetchall()
        ]


# -- the first import ----------------------------------------------------------------------------


def test_first_import_builds_collection_galleries_and_media(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    assert s.collection == "Wedding"
    assert (s.files, s.new, s.errors) == (len(SHOOT_MEDIA), len(SHOOT_MEDIA), 0)
    assert s.skipped == len([p for p in SHOOT_OTHER if not p.startswith(".thumbnails/")])
    media = _media(catalog, cache, s.collection_id)
    assert set(media) == set(SHOOT_MEDIA)
    for path, gallery in SHOOT_GALLERIES.items():
        assert media[path].gallery == gallery, path
        assert media[path].state == "ok"
        assert media[path].thumbnail is not None
    assert media["Party/clip.mp4"].kind == "video"
    # Highlights (the root's default gallery) comes first, then the folders by name.
    galleries = [g.name for g in list_galleries(catalog, s.collection_id)]
    assert galleries == ["Highlights", "Ceremony", "Party"]


def test_same_folder_spelled_differently_is_one_collection(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    first = _scan(catalog, cache, shoot)
    again = import_folder(catalog, cache, str(shoot) + "/", workers=WORKERS)
    dotted = import_folder(
        catalog, cache, shoot / ".." / shoot.name / "Party" / "..", workers=WORKERS
    )
    assert first.collection_id == again.collection_id == dotted.collection_id
    assert again.new == dotted.new == 0
    assert len(_db_rows(catalog)) == len(SHOOT_MEDIA)


# -- unchanged and changed files ---------------------------------------------------------------


def test_unchanged_files_are_not_read_again(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scan(catalog, cache, shoot)
    before = _db_rows(catalog)

    def fail(*_args: object, **_kw: object) -> None:
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr("gallery_desktop.ingest.importer.probe_file", fail)
    monkeypatch.setattr("gallery_desktop.ingest.thumbnailer.thumbnail_one", fail)
    s = _scan(catalog, cache, shoot)
    assert (s.unchanged, s.new, s.changed, s.moved, s.missing) == (len(SHOOT_MEDIA), 0, 0, 0, 0)
    assert _db_rows(catalog) == before


def test_changed_file_is_probed_again_and_keeps_its_culling(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    old = _media(catalog, cache, s.collection_id)["Ceremony/a.jpg"]
    set_culling(catalog, old.id, rating=5, pick="picked", label="green")
    # New content (another photo) under the same name.
    copy_from_corpus("photos/exif/exiv2-bug1114.jpg", shoot / "Ceremony" / "a.jpg")
    _touch_later(shoot / "Ceremony" / "a.jpg")
    s2 = _scan(catalog, cache, shoot)
    assert (s2.changed, s2.new, s2.unchanged) == (1, 0, len(SHOOT_MEDIA) - 1)
    new = _media(catalog, cache, s.collection_id)["Ceremony/a.jpg"]
    assert new.id == old.id
    assert (new.width, new.height) == (520, 344)
    assert new.taken_at is not None and new.taken_at.startswith("2012-12-30T17:24:44")
    assert new.content_hash != old.content_hash
    assert new.thumbnail is not None and new.thumbnail != old.thumbnail
    assert (new.rating, new.pick, new.label) == (5, "picked", "green")


def test_touched_file_with_same_size_is_probed_again(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    _touch_later(shoot / "Party" / "c.jpg")
    s2 = _scan(catalog, cache, shoot)
    assert (s2.changed, s2.unchanged) == (1, len(SHOOT_MEDIA) - 1)
    assert _media(catalog, cache, s.collection_id)["Party/c.jpg"].state == "ok"
    assert check_catalog(catalog).in_step_with_disk


def test_file_that_turns_bad_becomes_error_and_recovers(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    rid = _media(catalog, cache, s.collection_id)["cover.jpg"].id
    set_culling(catalog, rid, rating=3)
    good = (shoot / "cover.jpg").read_bytes()
    (shoot / "cover.jpg").write_bytes(good[: len(good) // 3])  # an interrupted copy
    _scan(catalog, cache, shoot)
    bad = _media(catalog, cache, s.collection_id)["cover.jpg"]
    assert (bad.id, bad.state, bad.rating) == (rid, "error", 3)
    assert bad.error and "truncated" in bad.error
    (shoot / "cover.jpg").write_bytes(good)
    _touch_later(shoot / "cover.jpg", 20)
    _scan(catalog, cache, shoot)
    back = _media(catalog, cache, s.collection_id)["cover.jpg"]
    assert (back.id, back.state, back.error, back.rating) == (rid, "ok", None, 3)
    assert back.thumbnail is not None


# -- deleted, returning and moved files --------------------------------------------------------


def test_deleted_file_becomes_missing_and_keeps_its_culling(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    rid = _media(catalog, cache, s.collection_id)["Party/c.jpg"].id
    set_culling(catalog, rid, rating=2, pick="rejected", label="blue")
    (shoot / "Party" / "c.jpg").unlink()
    s2 = rescan_collection(catalog, cache, s.collection_id, workers=WORKERS)
    assert (s2.missing, s2.unchanged, s2.new) == (1, len(SHOOT_MEDIA) - 1, 0)
    gone = _media(catalog, cache, s.collection_id)["Party/c.jpg"]
    assert (gone.id, gone.state, gone.rating, gone.pick, gone.label) == (
        rid,
        "missing",
        2,
        "rejected",
        "blue",
    )
    report = check_catalog(catalog)
    assert report.catalogue_ok and report.in_step_with_disk, report
    # A second re-scan does not count it again.
    assert _scan(catalog, cache, shoot).missing == 0


def test_missing_file_that_comes_back_is_ok_again(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    rid = _media(catalog, cache, s.collection_id)["Party/clip.mp4"].id
    set_culling(catalog, rid, rating=5)
    parked = shoot.parent / "clip.mp4"
    shutil.move(shoot / "Party" / "clip.mp4", parked)
    _scan(catalog, cache, shoot)
    assert _media(catalog, cache, s.collection_id)["Party/clip.mp4"].state == "missing"
    assert check_catalog(catalog).in_step_with_disk
    shutil.move(parked, shoot / "Party" / "clip.mp4")
    assert check_catalog(catalog).back_on_disk == ["Wedding/Party/clip.mp4"]
    _scan(catalog, cache, shoot)
    back = _media(catalog, cache, s.collection_id)["Party/clip.mp4"]
    assert (back.id, back.state, back.rating, back.kind) == (rid, "ok", 5, "video")
    assert back.duration is not None and abs(back.duration - 0.67) < 0.05
    assert len(_db_rows(catalog)) == len(SHOOT_MEDIA)
    assert check_catalog(catalog).in_step_with_disk


def test_moved_file_keeps_its_row_and_culling(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    before = _media(catalog, cache, s.collection_id)
    rid = before["cover.jpg"].id
    set_culling(catalog, rid, rating=4, pick="picked", label="purple")
    # Root → a deeper folder of another gallery, renamed on the way.
    (shoot / "Party" / "best").mkdir()
    os.rename(shoot / "cover.jpg", shoot / "Party" / "best" / "cover-renamed.jpg")
    s2 = _scan(catalog, cache, shoot)
    assert (s2.moved, s2.new, s2.missing) == (1, 0, 0)
    after = _media(catalog, cache, s.collection_id)
    assert "cover.jpg" not in after
    moved = after["Party/best/cover-renamed.jpg"]
    assert (moved.id, moved.gallery, moved.state) == (rid, "Party", "ok")
    assert (moved.rating, moved.pick, moved.label) == (4, "picked", "purple")
    assert moved.content_hash == before["cover.jpg"].content_hash
    assert len(_db_rows(catalog)) == len(SHOOT_MEDIA)
    assert check_catalog(catalog).in_step_with_disk


def test_file_missing_for_a_while_then_found_elsewhere_keeps_its_row(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    rid = _media(catalog, cache, s.collection_id)["Ceremony/deep/er/b.jpg"].id
    set_culling(catalog, rid, rating=1)
    parked = shoot.parent / "b.jpg"
    shutil.move(shoot / "Ceremony" / "deep" / "er" / "b.jpg", parked)
    _scan(catalog, cache, shoot)
    assert _media(catalog, cache, s.collection_id)["Ceremony/deep/er/b.jpg"].state == "missing"
    shutil.move(parked, shoot / "Ceremony" / "b-found.jpg")
    s3 = _scan(catalog, cache, shoot)
    assert (s3.moved, s3.new) == (1, 0)
    found = _media(catalog, cache, s.collection_id)["Ceremony/b-found.jpg"]
    assert (found.id, found.state, found.rating) == (rid, "ok", 1)


def test_new_first_level_folder_becomes_a_new_gallery(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    copy_from_corpus("photos/exif/exiv2-sigma-d10.jpg", shoot / "Dinner" / "d.jpg")
    copy_from_corpus("photos/exif/exiv2-nikon-e950.jpg", shoot / "Dinner" / "sub" / "e.jpg")
    copy_from_corpus("photos/exif/exiv2-gc.jpg", shoot / "late.jpg")
    s2 = _scan(catalog, cache, shoot)
    assert (s2.new, s2.unchanged) == (3, len(SHOOT_MEDIA))
    media = _media(catalog, cache, s.collection_id)
    assert media["Dinner/d.jpg"].gallery == media["Dinner/sub/e.jpg"].gallery == "Dinner"
    assert media["late.jpg"].gallery == "Highlights"
    assert media["late.jpg"].gallery_id == media["cover.jpg"].gallery_id
    galleries = [g.name for g in list_galleries(catalog, s.collection_id)]
    assert galleries == ["Highlights", "Ceremony", "Party", "Dinner"]  # appended at the end


def test_rescan_of_an_unplugged_folder_changes_nothing(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    s = _scan(catalog, cache, shoot)
    before = _db_rows(catalog)
    shoot.rename(shoot.parent / "elsewhere")
    with pytest.raises(BadInputError, match="not there"):
        rescan_collection(catalog, cache, s.collection_id, workers=WORKERS)
    assert _db_rows(catalog) == before


# -- bad files in a shoot ----------------------------------------------------------------------


BAD_FILES: Final = {
    "Bad/empty.jpg": "bad/zero_byte/empty.jpg",
    "Bad/truncated.png": "bad/truncated/truncated_image.png",
    "Bad/bomb.gif": "bad/bombs/decompression_bomb.gif",
    "Bad/huge.png": "bad/bombs/hopper_ihdr_65535x65535.png",
    "Bad/garbage.jpg": "bad/corrupt_header/table.jpg",
    "Bad/broken.mov": "bad/video/issue_ghsa_crmj_qh74_2r36_poc.mov",
}


def test_bad_files_become_errors_and_the_import_goes_on(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    for rel, src in BAD_FILES.items():
        copy_from_corpus(src, shoot / rel)
    (shoot / "Bad" / "layers.psd").write_bytes(b"8BPS" + b"\0" * 64)
    s = _scan(catalog, cache, shoot)
    assert s.errors == len(BAD_FILES) + 1
    media = _media(catalog, cache, s.collection_id)
    for rel in [*BAD_FILES, "Bad/layers.psd"]:
        m = media[rel]
        assert m.state == "error", rel
        assert m.error and m.error == m.error.strip() and "Traceback" not in m.error, m.error
        assert m.thumbnail is None
    assert "unsupported" in (media["Bad/layers.psd"].error or "")
    assert "empty" in (media["Bad/empty.jpg"].error or "")
    for rel in SHOOT_MEDIA:
        assert media[rel].state == "ok", rel
    # Errors stay errors on a re-scan, without being read again or duplicated.
    s2 = _scan(catalog, cache, shoot)
    assert (s2.unchanged, s2.new) == (len(media), 0)
    assert len(_db_rows(catalog)) == len(media)


# -- cancelling --------------------------------------------------------------------------------


def _assert_consistent(catalog: Catalog) -> None:
    """No half rows: every row is complete for its state, and the file itself is sound."""
    report = check_catalog(catalog)
    assert report.catalogue_ok, report
    assert report.in_step_with_disk, report
    with catalog.engine.connect() as conn:
        half = conn.exec_driver_sql(
            "SELECT path FROM media WHERE content_hash IS NULL AND size_bytes > 0 "
            "OR (state = 'ok' AND kind = 'photo' AND (width IS NULL OR format IS NULL)) "
            "OR gallery_id NOT IN (SELECT id FROM gallery) "
            "OR (state = 'error' AND (error IS NULL OR error = ''))"
        ).fetchall()
        dupes = conn.exec_driver_sql(
            "SELECT rel_path FROM media GROUP BY collection_id, rel_path HAVING count(*) > 1"
        ).fetchall()
    assert not half, half
    assert not dupes, dupes


def _corpus_files(folder: Path) -> int:
    from gallery_desktop.ingest.scan import scan_tree

    return len(scan_tree(os.fsencode(folder)).entries)


# Photos over 1 MB get their thumbnail in a second pass (6 in photos/); smaller ones while read.
@pytest.mark.parametrize("phase, after", [("reading", 10), ("thumbnails", 1)])
def test_cancel_midway_is_consistent_and_the_next_run_completes(
    tmp_path: Path, phase: str, after: int
) -> None:
    folder = CORPUS / "photos"  # read-only; 75 photos
    total = _corpus_files(folder)
    catalog = Catalog(tmp_path / "catalog.sqlite")
    cache = ThumbnailCache(tmp_path / "thumbs")
    token = CancelToken()
    seen: list[ImportProgress] = []

    def progress(p: ImportProgress) -> None:
        seen.append(p)
        if p.phase == phase and p.done >= after:
            token.cancel()

    try:
        s = import_folder(catalog, cache, folder, progress=progress, cancel=token, workers=1)
        assert s.cancelled
        assert seen[-1].phase == "done"
        rows = _db_rows(catalog)
        if phase == "reading":
            assert after <= len(rows) < total
        else:
            assert len(rows) == total
            pending = [r for r in rows if r[10] == "pending"]
            assert pending, "cancelled during thumbnails, yet nothing left to do"
        _assert_consistent(catalog)

        s2 = import_folder(catalog, cache, folder, workers=2)
        assert not s2.cancelled
        assert s2.new == total - len(rows)
        rows2 = _db_rows(catalog)
        assert len(rows2) == total
        assert {r[0] for r in rows} <= {r[0] for r in rows2}  # earlier rows kept, not redone
        assert not [r for r in rows2 if r[10] == "pending"]
        _assert_consistent(catalog)
        media = list_media(catalog, s2.collection_id, cache)
        assert all(m.state == "ok" and m.thumbnail for m in media), [
            m.path for m in media if m.state != "ok" or not m.thumbnail
        ]
    finally:
        catalog.close()


def test_cancel_before_start_writes_no_media(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    token = CancelToken()
    token.cancel()
    s = import_folder(catalog, cache, shoot, cancel=token, workers=WORKERS)
    assert s.cancelled and s.new == 0
    assert _db_rows(catalog) == []
    _assert_consistent(catalog)
    s2 = _scan(catalog, cache, shoot)
    assert s2.new == len(SHOOT_MEDIA)


def test_second_shoot_is_a_second_collection(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    a = _scan(catalog, cache, make_shoot(tmp_path / "one", "Wedding"))
    b = _scan(catalog, cache, make_shoot(tmp_path / "two", "Portraits"))
    assert a.collection_id != b.collection_id
    assert b.collection == "Portraits" and b.new == len(SHOOT_MEDIA)
    assert len(_db_rows(catalog)) == 2 * len(SHOOT_MEDIA)


def test_renamed_files_whose_names_overlap_keep_their_own_rows(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    """Batch renames reuse names: IMG_1, IMG_2 → IMG_2, IMG_3. Ratings follow the pictures
    (matched by content hash), not the names."""
    shoot = tmp_path / "Shoot"
    copy_from_corpus("photos/exif/flower.jpg", shoot / "IMG_1.jpg")
    copy_from_corpus("photos/exif/Reagan.jpg", shoot / "IMG_2.jpg")
    s = _scan(catalog, cache, shoot)
    media = _media(catalog, cache, s.collection_id)
    flower, reagan = media["IMG_1.jpg"], media["IMG_2.jpg"]
    set_culling(catalog, flower.id, rating=5, pick="picked", label="red")
    set_culling(catalog, reagan.id, rating=1, pick="rejected", label=None)
    os.rename(shoot / "IMG_2.jpg", shoot / "IMG_3.jpg")
    os.rename(shoot / "IMG_1.jpg", shoot / "IMG_2.jpg")
    _scan(catalog, cache, shoot)
    picture = {flower.content_hash: "flower", reagan.content_hash: "reagan"}
    after = {
        (r.path, r.state, picture.get(r.content_hash), r.id, r.rating, r.pick)
        for r in list_media(catalog, s.collection_id, cache)
    }
    assert after == {
        ("IMG_2.jpg", "ok", "flower", flower.id, 5, "picked"),
        ("IMG_3.jpg", "ok", "reagan", reagan.id, 1, "rejected"),
    }
