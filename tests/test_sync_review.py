"""Sync cases a review found, kept fixed: privacy windows, lost answers meeting local edits,
shared remote copies, re-rendering, backoff that cannot spin, reasons for waiting."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from corpus import CORPUS
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.organise import (
    create_gallery,
    delete_collection,
    delete_gallery,
    rename_collection,
)
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.ingest.importer import import_folder, rescan_collection
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.remote.outbox import link_collection, queue_counts, queued
from gallery_desktop.remote.pull import pull_all
from test_sync import _drain, _worker, assert_in_step, signed_in, small_shoot


def _setup(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> tuple[int, Path]:
    shoot = small_shoot(tmp_path / "shoots", photos=4)
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    return cid, shoot


def _sql(catalog: Catalog, sql: str, **params: Any) -> None:
    with catalog.write_conn() as conn:
        conn.execute(text(sql), params)


def test_a_deleted_collection_whose_id_comes_back_is_not_published(
    emulator: Any, tmp_path: Path, sqlite_catalog: Catalog, cache: ThumbnailCache
) -> None:
    # SQLite only: it hands a deleted row's id out again; PostgreSQL's sequences never do,
    # so there an id cannot come back.
    catalog = sqlite_catalog
    cid, shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    delete_collection(catalog, cid)
    again = import_folder(catalog, cache, shoot, workers=1).collection_id
    assert again == cid  # the same row id, never linked
    _worker(catalog, signed_in(emulator), tmp_path).run_once()
    state = emulator.state()
    assert state["collections"] == [] and state["media"] == []


def test_a_password_reaches_the_remote_before_the_collection_is_shown(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    _sql(
        catalog,
        "UPDATE collection SET status = 'published', password = 'secret' WHERE id = :c",
        c=cid,
    )
    link_collection(catalog, cid)
    seen: list[str] = []
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    worker.progress = seen.append
    worker.run_once(lambda: len(seen) >= 1)  # stop right after the create
    (remote,) = emulator.state()["collections"]
    assert remote["status"] == "draft"  # created hidden...
    worker.run_once(lambda: len(seen) >= 2)  # ...and the very next step is its settings
    (remote,) = emulator.state()["collections"]
    assert remote["status"] == "published" and remote["client_access"]["password"] == "secret"
    assert emulator.state()["media"] == []  # before any photo went up


def test_an_edit_after_a_lost_create_answer_is_sent_as_an_update(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    emulator.fault(method="POST", path=r"/collections$", kind="lost_answer", times=1)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    worker.run_once()
    rename_collection(catalog, cid, "Lake, renamed offline")
    _drain(worker)
    (remote,) = emulator.state()["collections"]
    assert remote["name"] == "Lake, renamed offline"
    assert queue_counts(catalog)["failed"] == 0
    assert_in_step(catalog, emulator, cid)


def test_a_gallery_deleted_after_a_lost_create_answer_leaves_no_orphan(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    extras = create_gallery(catalog, cid, "Extras")
    emulator.fault(method="POST", path=r"/galleries$", kind="lost_answer", times=1)
    worker.run_once()  # the server made "Extras"; we never heard
    assert "Extras" in [g["name"] for g in emulator.state()["galleries"]]
    delete_gallery(catalog, extras)
    _drain(worker)
    assert "Extras" not in [g["name"] for g in emulator.state()["galleries"]]
    assert_in_step(catalog, emulator, cid)


def test_identical_files_share_a_remote_copy_that_outlives_one_of_them(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, shoot = _setup(tmp_path, catalog, cache)
    first = next((shoot / "Ceremony").glob("*.jpg"))
    shutil.copy2(first, first.with_name("copy of " + first.name))
    rescan_collection(catalog, cache, cid, settle_seconds=0)
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    before = len(emulator.state()["media"])
    first.with_name("copy of " + first.name).unlink()
    rescan_collection(catalog, cache, cid, settle_seconds=0)
    _drain(worker)
    assert len(emulator.state()["media"]) == before  # the original's remote copy stays
    assert_in_step(catalog, emulator, cid)


def test_switching_watermarked_uploads_on_sends_the_photos_again(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    clean = {m["client_ref"]: m["checksum"] for m in emulator.state()["media"]}
    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    _sql(
        catalog,
        "UPDATE collection SET watermark_id = :w, download_watermarked = TRUE WHERE id = :c",
        w=preset.id,
        c=cid,
    )
    _drain(worker)
    state = emulator.state()
    marked = {m["client_ref"]: m["checksum"] for m in state["media"]}
    photos = [ref for ref in clean if ref in marked]
    assert len(marked) == len(clean)
    assert sum(clean[r] != marked[r] for r in photos) == 4  # the 4 photos; the video as it was
    assert state["collections"][0]["watermark"]["text"] == "PROOF"
    assert_in_step(catalog, emulator, cid)


def test_clearing_the_expiry_date_clears_it_remotely(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    _sql(catalog, "UPDATE collection SET expiry_date = '2030-01-31' WHERE id = :c", c=cid)
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    assert emulator.state()["collections"][0]["client_access"]["expiry_date"] == "2030-01-31"
    _sql(catalog, "UPDATE collection SET expiry_date = NULL WHERE id = :c", c=cid)
    _drain(worker)
    assert emulator.state()["collections"][0]["client_access"]["expiry_date"] is None


def test_retry_after_zero_cannot_make_a_run_spin(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    emulator.fault(
        method="POST", path=r"/collections$", kind="status", status=503, retry_after=0, times=None
    )
    started = time.monotonic()
    report = _worker(catalog, signed_in(emulator), tmp_path).run_once()
    assert time.monotonic() - started < 5
    assert report.done == 0 and report.stop_kind == "wait"


def test_a_rate_limit_pauses_the_whole_queue(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    worker.run_once(lambda: queue_counts(catalog)["done"] >= 5)  # collection, settings, galleries
    emulator.fault(
        method="POST", path=r"/uploads$", kind="status", status=429, retry_after=30, times=None
    )
    report = worker.run_once()
    assert report.stop_kind == "wait" and report.waiting == 1  # one try, then everyone waits
    waiting = [o for o in queued(catalog) if o.op == "upload"]
    assert sum(o.attempts for o in waiting) == 1


def test_children_of_a_failed_parent_say_what_they_wait_for(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    emulator.fault(method="POST", path=r"/collections$", kind="status", status=422, times=1)
    _worker(catalog, signed_in(emulator), tmp_path).run_once()
    waiting = [o for o in queued(catalog) if o.state == "pending" and o.entity == "gallery"]
    assert waiting and all("waiting for the collection" in (o.last_error or "") for o in waiting)


def test_a_collection_deleted_on_the_service_does_not_stop_the_pull(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _shoot = _setup(tmp_path, catalog, cache)
    other_shoot = tmp_path / "other" / "Beach"
    other_shoot.mkdir(parents=True)
    shutil.copyfile(CORPUS / "photos" / "exif" / "flower.jpg", other_shoot / "f.jpg")
    other = import_folder(catalog, cache, other_shoot, workers=1).collection_id
    link_collection(catalog, cid)
    link_collection(catalog, other)
    api = signed_in(emulator)
    _drain(_worker(catalog, api, tmp_path))
    remote = {c["name"]: c["id"] for c in emulator.state()["collections"]}
    emulator.seed(remote["Beach"])
    api.delete(f"/collections/{remote['Lake']}")  # gone on the website
    report = pull_all(catalog, api, emulator.base_url)
    assert report.missing == [cid] and report.collections == 1
    assert report.counts.get("clients", 0) >= 1
