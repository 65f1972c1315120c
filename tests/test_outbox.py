"""The outbox: linked collections queue their changes in the same transaction; culling stays
local; unlinked collections queue nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import make_shoot
from corpus import CORPUS
from gallery_desktop.catalog.culling import set_field
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.organise import (
    create_gallery,
    delete_collection,
    rename_collection,
    rename_gallery,
)
from gallery_desktop.ingest.importer import import_folder, rescan_collection
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.outbox import (
    link_collection,
    queue_counts,
    queued,
    retry_failed,
    unlink_collection,
)


def _ops(catalog: Catalog) -> list[tuple[str, int, str]]:
    return [(o.entity, o.entity_id, o.op) for o in queued(catalog)]


@pytest.fixture
def wedding(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> tuple[int, Path]:
    shoot = make_shoot(tmp_path / "shoots")
    return import_folder(catalog, cache, shoot, workers=1).collection_id, shoot


def test_nothing_is_queued_for_a_collection_that_is_not_published(
    catalog: Catalog, wedding: tuple[int, Path]
) -> None:
    cid, _shoot = wedding
    rename_collection(catalog, cid, "Smith Wedding")
    create_gallery(catalog, cid, "Extras")
    assert _ops(catalog) == []


def test_linking_queues_the_collection_its_settings_galleries_and_media(
    catalog: Catalog, wedding: tuple[int, Path]
) -> None:
    cid, _shoot = wedding
    n = link_collection(catalog, cid)
    ops = _ops(catalog)
    assert n == len(ops) == 2 + 3 + 5  # collection + settings, 3 galleries, 5 media
    assert ops[:2] == [("collection", cid, "create"), ("collection", cid, "settings")]
    assert sorted(o for e, _i, o in ops if e == "gallery") == ["create"] * 3
    assert sorted(o for e, _i, o in ops if e == "media") == ["upload"] * 5
    assert link_collection(catalog, cid) == 0  # linking twice queues nothing more
    keys = {o.id for o in queued(catalog)}
    assert len(keys) == n


def test_changes_queue_themselves_and_culling_stays_local(
    catalog: Catalog, cache: ThumbnailCache, wedding: tuple[int, Path]
) -> None:
    cid, shoot = wedding
    link_collection(catalog, cid)
    before = len(_ops(catalog))
    media = list_media(catalog, cid)
    set_field(catalog, [m.id for m in media], "rating", 5)
    set_field(catalog, [m.id for m in media], "pick", "picked")
    set_field(catalog, [m.id for m in media], "label", "red")
    assert len(_ops(catalog)) == before  # stars, picks and labels are the photographer's

    rename_collection(catalog, cid, "Smith Wedding")
    gid = create_gallery(catalog, cid, "Extras")
    rename_gallery(catalog, gid, "Extras and more")
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE collection SET password = 'x' WHERE id = :c"), {"c": cid})
    new = _ops(catalog)[before:]
    assert new == [
        ("collection", cid, "update"),
        ("gallery", gid, "create"),
        ("gallery", gid, "update"),
        ("collection", cid, "settings"),
    ]

    # files added and removed on disk: an upload and (for an uploaded one) a delete
    shutil.copyfile(CORPUS / "photos" / "exif" / "flower.jpg", shoot / "Party" / "new.jpg")
    os.utime(shoot / "Party" / "new.jpg", (1_600_000_000, 1_600_000_000))
    uploaded = next(m for m in media if m.path == "Party/c.jpg")
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE media SET remote_id = 4242 WHERE id = :m"), {"m": uploaded.id})
    (shoot / "Party" / "c.jpg").unlink()
    rescan_collection(catalog, cache, cid, settle_seconds=0)
    tail = _ops(catalog)[before + 4 :]
    new_id = next(m.id for m in list_media(catalog, cid) if m.path == "Party/new.jpg")
    assert ("media", new_id, "upload") in tail
    assert ("media", uploaded.id, "delete") in tail
    delete = next(o for o in queued(catalog) if o.op == "delete" and o.entity == "media")
    assert delete.entity_id == uploaded.id


def test_unlinking_drops_what_was_waiting_and_stops_queueing(
    catalog: Catalog, wedding: tuple[int, Path]
) -> None:
    cid, _shoot = wedding
    n = link_collection(catalog, cid)
    assert unlink_collection(catalog, cid) == n
    rename_collection(catalog, cid, "Renamed")
    assert _ops(catalog) == [] and queue_counts(catalog)["pending"] == 0


def test_deleting_a_published_collection_queues_its_remote_delete(
    catalog: Catalog, wedding: tuple[int, Path]
) -> None:
    cid, _shoot = wedding
    link_collection(catalog, cid)
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE syncop SET state = 'done'"))
        conn.execute(text("UPDATE collection SET remote_id = 12345678 WHERE id = :c"), {"c": cid})
        conn.execute(text("UPDATE gallery SET remote_id = 123456789"))
        conn.execute(text("UPDATE media SET remote_id = id + 1000000000"))
    delete_collection(catalog, cid)
    pending = queued(catalog)
    # one delete for the collection (the remote removes its galleries and media with it)
    assert [(o.entity, o.op) for o in pending] == [("collection", "delete")]


def test_failed_operations_can_be_queued_again(catalog: Catalog, wedding: tuple[int, Path]) -> None:
    cid, _shoot = wedding
    link_collection(catalog, cid)
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE syncop SET state = 'failed', last_error = 'boom'"))
    assert queue_counts(catalog)["failed"] == 10
    assert retry_failed(catalog) == 10
    assert queue_counts(catalog) == {"pending": 10, "failed": 0, "done": 0}


def test_an_outbox_row_is_written_in_the_same_transaction_as_the_change(
    catalog: Catalog, wedding: tuple[int, Path]
) -> None:
    cid, _shoot = wedding
    link_collection(catalog, cid)
    before = len(_ops(catalog))
    with pytest.raises(RuntimeError), catalog.write_conn() as conn:
        conn.execute(text("UPDATE collection SET name = 'Half' WHERE id = :c"), {"c": cid})
        raise RuntimeError("crash before commit")
    assert len(_ops(catalog)) == before  # the change and its outbox row went together
