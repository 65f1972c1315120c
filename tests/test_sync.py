"""The sync engine against the emulator over real HTTP: publish, faults, offline, no duplicates."""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from corpus import CORPUS
from gallery_desktop.catalog.check import check_catalog
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.organise import rename_collection
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.outbox import link_collection, queue_counts, queued
from gallery_desktop.remote.sync import SyncWorker


def small_shoot(parent: Path, photos: int = 6) -> Path:
    """A shoot with two galleries, photos (some EXIF-rotated) and a video."""
    shoot = parent / "Lake"
    names = sorted((CORPUS / "photos" / "orientation").iterdir())[:photos]
    for i, src in enumerate(names):
        gallery = "Ceremony" if i % 2 else "Portraits"
        (shoot / gallery).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, shoot / gallery / src.name)
    shutil.copyfile(CORPUS / "video" / "small_video.mp4", shoot / "Ceremony" / "clip.mp4")
    return shoot


def signed_in(emulator: Any) -> GalleryApi:
    api = GalleryApi(emulator.base_url)
    api.login(emulator.email, emulator.password)
    return api


def remote_media(emulator: Any) -> list[dict[str, Any]]:
    return list(emulator.state()["media"])


def assert_in_step(catalog: Catalog, emulator: Any, collection_id: int) -> None:
    """Remote media = local ok media, by content hash, each exactly once."""
    local = Counter(m.content_hash for m in list_media(catalog, collection_id) if m.state == "ok")
    remote = Counter(m["client_ref"] for m in remote_media(emulator))
    assert remote == local
    assert all(n == 1 for n in remote.values())
    assert queue_counts(catalog)["pending"] == 0 and queue_counts(catalog)["failed"] == 0
    assert check_catalog(catalog).catalogue_ok


@pytest.fixture
def published(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> tuple[int, Path]:
    shoot = small_shoot(tmp_path / "shoots")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    link_collection(catalog, cid)
    return cid, shoot


def _worker(catalog: Catalog, api: GalleryApi, tmp_path: Path) -> SyncWorker:
    return SyncWorker(catalog, api, tmp_path / "uploads", rng=random.Random(7))


def _drain(worker: SyncWorker, tries: int = 20) -> None:
    """Run until the queue is empty, waiting out backoffs (kept short by the faults used)."""
    for _ in range(tries):
        worker.run_once()
        if worker.pending() == 0:
            return
        with worker.catalog.write_conn() as conn:  # fast-forward the backoff clock
            conn.execute(text("UPDATE syncop SET next_attempt_at = NULL"))
    raise AssertionError(f"queue not drained: {queued(worker.catalog)}")


def test_full_publish_of_a_collection(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    cid, _shoot = published
    report = _worker(catalog, signed_in(emulator), tmp_path).run_once()
    assert not report.failed and report.done == queue_counts(catalog)["done"]
    assert_in_step(catalog, emulator, cid)
    state = emulator.state()
    assert [c["name"] for c in state["collections"]] == ["Lake"]
    assert sorted(g["name"] for g in state["galleries"]) == ["Ceremony", "Portraits"]
    with catalog.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM media WHERE remote_id IS NULL")).scalar() == 0
        )


def test_a_rename_after_publishing_reaches_the_remote(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    cid, _shoot = published
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    worker.run_once()
    rename_collection(catalog, cid, "Lake Como")
    worker.run_once()
    assert [c["name"] for c in emulator.state()["collections"]] == ["Lake Como"]


def test_a_lost_answer_after_a_committed_create_makes_no_duplicate(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    cid, _shoot = published
    emulator.fault(method="POST", path=r"/collections$", kind="lost_answer", times=1)
    emulator.fault(method="POST", path=r"/galleries$", kind="lost_answer", times=1)
    emulator.fault(method="POST", path=r"/uploads$", kind="lost_answer", times=2)
    _drain(_worker(catalog, signed_in(emulator), tmp_path))
    state = emulator.state()
    assert len(state["collections"]) == 1 and len(state["galleries"]) == 2
    assert_in_step(catalog, emulator, cid)


@pytest.mark.parametrize(
    "rule",
    [
        {
            "method": "POST",
            "path": r"/collections$",
            "kind": "status",
            "status": 429,
            "retry_after": 1,
            "times": 2,
        },
        {"method": "PATCH", "path": r"/uploads/", "kind": "status", "status": 503, "times": 3},
        {"method": "POST", "path": r"/uploads$", "kind": "status", "status": 500, "times": 2},
        {"method": "PATCH", "path": r"/uploads/", "kind": "cut", "after_bytes": 1000, "times": 3},
        {"method": "PATCH", "path": r"/uploads/", "kind": "lost_answer", "times": 2},
        {"method": "GET", "path": r"/uploads/", "kind": "latency", "delay": 0.2, "times": 5},
        {
            "method": "PUT",
            "path": r"/download_settings$",
            "kind": "status",
            "status": 502,
            "times": 1,
        },
    ],
    ids=[
        "429-retry-after",
        "503-chunk",
        "500-start",
        "cut-mid-upload",
        "lost-chunk-answer",
        "latency",
        "502-settings",
    ],
)
def test_every_injected_fault_is_survived(
    emulator: Any,
    catalog: Catalog,
    published: tuple[int, Path],
    tmp_path: Path,
    rule: dict[str, Any],
) -> None:
    cid, _shoot = published
    emulator.fault(**rule)
    _drain(_worker(catalog, signed_in(emulator), tmp_path))
    assert_in_step(catalog, emulator, cid)


def test_retry_after_is_honoured(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    emulator.fault(
        method="POST", path=r"/collections$", kind="status", status=429, retry_after=30, times=1
    )
    report = _worker(catalog, signed_in(emulator), tmp_path).run_once()
    assert report.waiting == 1 and report.done == 0
    op = queued(catalog)[0]
    assert op.attempts == 1 and "too many requests" in (op.last_error or "")
    with catalog.engine.connect() as conn:
        due = conn.execute(
            text("SELECT next_attempt_at FROM syncop WHERE id = :id"), {"id": op.id}
        ).scalar()
    # naive UTC: text on SQLite, a datetime on PostgreSQL
    due = due if isinstance(due, datetime) else datetime.fromisoformat(str(due))
    wait = (due.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    assert 25 <= wait <= 31


def test_a_permanent_failure_is_kept_with_its_reason(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    emulator.fault(method="POST", path=r"/collections$", kind="status", status=422, times=1)
    report = _worker(catalog, signed_in(emulator), tmp_path).run_once()
    assert report.failed and queue_counts(catalog)["failed"] == 1
    failed = queued(catalog, ("failed",))[0]
    assert failed.op == "create" and failed.last_error


def test_offline_edits_are_queued_then_synced(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    cid, _shoot = published
    api = signed_in(emulator)
    dead = GalleryApi("http://127.0.0.1:9/api/v1", api.secrets, timeout=2.0)  # nothing listens
    offline = _worker(catalog, dead, tmp_path).run_once()
    assert offline.done == 0 and offline.waiting >= 1
    rename_collection(catalog, cid, "Lake (offline edit)")
    assert queue_counts(catalog)["pending"] >= 1
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE syncop SET next_attempt_at = NULL"))
    _drain(_worker(catalog, api, tmp_path))
    assert [c["name"] for c in emulator.state()["collections"]] == ["Lake (offline edit)"]
    assert_in_step(catalog, emulator, cid)


def test_an_expired_session_stops_the_run_and_keeps_the_queue(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    api = signed_in(emulator)
    api.logout()
    report = _worker(catalog, api, tmp_path).run_once()
    assert report.stopped and "sign in" in report.stopped
    assert queue_counts(catalog)["failed"] == 0 and queue_counts(catalog)["pending"] > 0


def test_two_workers_never_drain_at_once(
    emulator: Any, catalog: Catalog, published: tuple[int, Path], tmp_path: Path
) -> None:
    first = _worker(catalog, signed_in(emulator), tmp_path)
    with first._drain_lock() as mine:
        assert mine
        second = _worker(catalog, signed_in(emulator), tmp_path).run_once()
        assert second.stopped and "another" in second.stopped and second.done == 0
    time.sleep(0)


def test_full_publish_of_the_corpus_photos(
    emulator: Any, catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    """Every photo of the corpus (JPEG, PNG, TIFF, WebP, GIF, HEIC, AVIF, MPO, EXIF oddities)
    goes up once, as its collection asks."""
    cid = import_folder(catalog, cache, CORPUS / "photos", workers=2).collection_id
    link_collection(catalog, cid)
    report = _worker(catalog, signed_in(emulator), tmp_path).run_once()
    assert report.failed == [] and report.waiting == 0
    assert_in_step(catalog, emulator, cid)
    state = emulator.state()
    assert len(state["media"]) == 75 and len(state["galleries"]) == 3
    assert all(m["stored_bytes"] and m["stored_bytes"] == m["size"] for m in state["media"])
