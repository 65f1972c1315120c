"""Regressions from the delivery review: what a pull writes queues nothing, guests stay guests,
re-sends are for photos only (and keep the service's media), uploads fail closed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from gallery_desktop.catalog.clients import ClientEntry, list_clients, set_clients
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import read_settings
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.errors import BadInputError
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.remote import rendition
from gallery_desktop.remote.errors import ValidationFailed
from gallery_desktop.remote.outbox import link_collection, queue_counts, queued
from gallery_desktop.remote.pull import pull_all
from test_sync import _drain, _worker, signed_in
from test_sync_delivery import _imported, _sql


def _published(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> tuple[int, int, Any, Any]:
    cid = _imported(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    api = signed_in(emulator)
    worker = _worker(catalog, api, tmp_path)
    _drain(worker)
    rid = _sql(catalog, "SELECT remote_id FROM collection WHERE id = :c", c=cid)[0][0]
    return cid, int(rid), api, worker


def _settings_ops(catalog: Catalog) -> list[Any]:
    return [o for o in queued(catalog) if o.op == "settings"]


def test_a_pull_that_updates_a_client_queues_nothing(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    link_collection(catalog, cid)
    set_clients(catalog, cid, [ClientEntry("ada@example.com", "Ada", "download")])
    api = signed_in(emulator)
    _drain(_worker(catalog, api, tmp_path))
    rid = _sql(catalog, "SELECT remote_id FROM collection WHERE id = :c", c=cid)[0][0]
    # changed on the service's website
    api.put(
        f"/collections/{rid}/clients",
        {"clients": [{"email": "ada@example.com", "name": "Ada L", "access": "view"}]},
    )
    pull_all(catalog, api, emulator.base_url)
    assert _sql(catalog, "SELECT name, access_level FROM client") == [("Ada L", "view")]
    assert queue_counts(catalog)["pending"] == 0
    assert _sql(catalog, "SELECT count(*) FROM syncop WHERE entity = 'pull'") == [(0,)]
    # ... while a local edit still queues the push
    _sql(catalog, "UPDATE client SET name = 'Ada Lovelace' WHERE collection_id = :c", c=cid)
    assert len(_settings_ops(catalog)) == 1


def test_the_pull_leaves_clients_alone_while_their_push_is_in_flight(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, rid, api, _ = _published(emulator, tmp_path, catalog, cache)
    set_clients(catalog, cid, [ClientEntry("ada@example.com", "Ada", "download")])
    _sql(catalog, "UPDATE syncop SET state = 'in_flight' WHERE op = 'settings'")
    emulator.seed(
        rid,
        clients=[
            {"email": "bob@example.com", "name": "Bob", "access_level": "exclusive"},
        ],
    )
    pull_all(catalog, api, emulator.base_url)
    assert _sql(catalog, "SELECT email FROM client") == [("ada@example.com",)]


def test_pulled_guests_do_not_become_exclusive_clients(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, rid, api, worker = _published(emulator, tmp_path, catalog, cache)
    emulator.seed(
        rid,
        clients=[
            {"email": "guest@example.com", "name": "G", "access_level": "guest"},
            {"email": "ada@example.com", "name": "Ada", "access_level": "exclusive"},
        ],
    )
    pull_all(catalog, api, emulator.base_url)
    assert [c.email for c in list_clients(catalog, cid)] == ["ada@example.com"]
    # the guest is kept off the list, for their name beside their favourites and analytics
    guest = "SELECT name, access_level FROM client WHERE email = 'guest@example.com'"
    assert _sql(catalog, guest) == [("G", "guest")]
    assert "guest@example.com" not in read_settings(catalog, cid).clients
    _sql(catalog, "UPDATE collection SET client_exclusive = TRUE WHERE id = :c", c=cid)
    _drain(worker)
    levels = {c["email"]: c["access_level"] for c in emulator.state()["clients"]}
    assert levels["guest@example.com"] == "guest"  # still there, still a guest
    assert levels["ada@example.com"] == "exclusive"
    # listing the guest makes them a client of the list (the same row)
    set_clients(
        catalog,
        cid,
        [*list_clients(catalog, cid), ClientEntry("guest@example.com", "G", "download")],
    )
    assert _sql(catalog, guest) == [("G", "download")]
    _drain(worker)
    levels = {c["email"]: c["access_level"] for c in emulator.state()["clients"]}
    assert levels["guest@example.com"] == "exclusive"


def test_only_photos_are_sent_again_when_the_watermark_changes(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _rid, _api, _w = _published(emulator, tmp_path, catalog, cache)
    assert _sql(catalog, "SELECT count(*) FROM media WHERE kind = 'video'")[0][0] > 0
    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    _sql(catalog, "UPDATE collection SET watermark_id = :w WHERE id = :c", w=preset.id, c=cid)
    _sql(catalog, "UPDATE collection SET download_watermarked = TRUE WHERE id = :c", c=cid)
    gid = _sql(catalog, "SELECT gallery_id FROM media WHERE kind = 'video' LIMIT 1")[0][0]
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = '{\"watermarked\": false}' WHERE id = :g",
        g=gid,
    )
    _sql(catalog, "UPDATE gallery SET watermark_id = :w WHERE id = :g", w=preset.id, g=gid)
    kinds = _sql(
        catalog,
        "SELECT DISTINCT m.kind FROM syncop s JOIN media m ON m.id = s.entity_id "
        "WHERE s.entity = 'media' AND s.op = 'upload' AND s.state = 'pending'",
    )
    assert kinds == [("photo",)]


def test_a_template_rename_queues_no_design_push(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid, _rid, _api, _w = _published(emulator, tmp_path, catalog, cache)
    tid = _sql(
        catalog,
        "INSERT INTO template (name, cover_layout, title_font, colours_json, grid_style, "
        "thumbnail_size, grid_spacing, theme, created_at) VALUES ('Noir', 'left', 'sans', '{}', "
        "'masonry', 'large', 'tight', 'light', '2030-01-01') RETURNING id",
    )[0][0]
    _sql(catalog, "UPDATE collection SET template_id = :t WHERE id = :c", t=tid, c=cid)
    _drain(_w)
    _sql(
        catalog,
        "UPDATE template SET name = 'Noir 2', updated_at = '2030-02-01', theme = theme "
        "WHERE id = :t",
        t=tid,
    )
    assert _settings_ops(catalog) == []
    _sql(catalog, "UPDATE template SET theme = 'dark' WHERE id = :t", t=tid)
    assert len(_settings_ops(catalog)) == 1


def test_uploads_are_watermarked_when_the_rule_cannot_be_read(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        raise BadInputError("no such collection")

    monkeypatch.setattr(rendition, "read_settings", broken)
    assert rendition.uploads_watermarked(catalog, 1, 1) is True


def test_sending_photos_again_keeps_the_clients_favourites(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    _sql(catalog, "UPDATE collection SET watermark_id = :w WHERE id = :c", w=preset.id, c=cid)
    link_collection(catalog, cid)
    api = signed_in(emulator)
    worker = _worker(catalog, api, tmp_path)
    _drain(worker)
    rid = _sql(catalog, "SELECT remote_id FROM collection WHERE id = :c", c=cid)[0][0]
    before = {m["id"]: m for m in emulator.state()["media"]}
    photos = sorted(i for i, m in before.items() if m["kind"] == "photo")
    emulator.seed(
        rid,
        clients=[{"email": "ada@example.com", "name": "Ada", "access_level": "exclusive"}],
        favorites=[{"client_email": "ada@example.com", "media_ids": photos[:3]}],
    )
    pull_all(catalog, api, emulator.base_url)
    assert _sql(catalog, "SELECT count(*) FROM favorite")[0][0] == 3

    _sql(catalog, "UPDATE collection SET download_watermarked = TRUE WHERE id = :c", c=cid)
    _drain(worker)
    pull_all(catalog, api, emulator.base_url)

    assert _sql(catalog, "SELECT count(*) FROM favorite")[0][0] == 3
    state = emulator.state()
    assert sorted(i["media_id"] for i in state["favorite_items"]) == photos[:3]
    after = {m["id"]: m for m in state["media"]}
    assert sorted(after) == sorted(before)  # the same media, not new copies
    for i in photos:  # ... with new (watermarked) bytes
        assert after[i]["checksum"] != before[i]["checksum"]
        stored = (emulator.state_dir / "media" / str(i)).read_bytes()
        assert f"sha256:{hashlib.sha256(stored).hexdigest()}" == after[i]["checksum"]
    assert queue_counts(catalog)["pending"] == 0


def test_replaces_must_name_media_of_the_gallery(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    _cid, _rid, api, _w = _published(emulator, tmp_path, catalog, cache)
    media = emulator.state()["media"]
    first = media[0]
    other = next(m for m in media if m["gallery_id"] != first["gallery_id"])
    body = {
        "filename": "x.jpg",
        "size": 3,
        "checksum": "sha256:" + hashlib.sha256(b"abc").hexdigest(),
        "kind": first["kind"],
        "client_ref": "x",
        "replaces": other["id"],
    }
    with pytest.raises(ValidationFailed) as refused:
        api.post(f"/galleries/{first['gallery_id']}/uploads", body, "key-replaces-1")
    assert "replaces" in refused.value.fields
    started = api.post(
        f"/galleries/{first['gallery_id']}/uploads",
        {**body, "replaces": first["id"]},
        "key-replaces-2",
    )
    assert started["status"] == "pending"


def test_a_photo_moved_to_another_gallery_gets_new_media_and_its_links_again(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    photo = _sql(
        catalog,
        "SELECT id, gallery_id FROM media WHERE collection_id = :c AND kind = 'photo' "
        "ORDER BY id LIMIT 1",
        c=cid,
    )[0]
    other = _sql(
        catalog, "SELECT id FROM gallery WHERE collection_id = :c AND id != :g", c=cid, g=photo[1]
    )[0][0]
    link_collection(catalog, cid)
    _sql(
        catalog,
        "INSERT INTO sharinglink (media_id, token, created_at) VALUES (:m, 'moved-1', "
        "'2030-01-01 00:00:00')",
        m=photo[0],
    )
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    old = _sql(catalog, "SELECT remote_id FROM media WHERE id = :m", m=photo[0])[0][0]
    _sql(catalog, "UPDATE media SET gallery_id = :g WHERE id = :m", g=other, m=photo[0])
    _drain(worker)
    new = _sql(catalog, "SELECT remote_id FROM media WHERE id = :m", m=photo[0])[0][0]
    state = emulator.state()
    remote_gallery = _sql(catalog, "SELECT remote_id FROM gallery WHERE id = :g", g=other)[0][0]
    assert new != old and old not in {m["id"] for m in state["media"]}
    assert next(m for m in state["media"] if m["id"] == new)["gallery_id"] == remote_gallery
    (link,) = [x for x in state["sharing_links"] if x["media_id"] == new]
    assert _sql(catalog, "SELECT remote_id FROM sharinglink") == [(link["id"],)]
    assert queue_counts(catalog)["pending"] == 0
