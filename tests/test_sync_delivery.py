"""Client delivery through the sync, against the emulator over real HTTP: what the
photographer set locally (downloads, store, clients, design, gallery overrides, sharing links)
is what the service holds afterwards, and a gallery's watermark choice decides its bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.remote.outbox import link_collection, queue_counts, queued
from gallery_desktop.remote.pull import pull_all
from gallery_desktop.remote.rendition import prepare_upload
from test_sync import _drain, _worker, signed_in, small_shoot

PRICE_SHEET = [
    {"name": "Print", "sizes": [{"label": "8x10", "price_cents": 2500}]},
    {"name": "Canvas", "sizes": [{"label": "20x30", "price_cents": 12000}]},
]


def _sql(catalog: Catalog, sql: str, **params: Any) -> list[Any]:
    with catalog.write_conn() as conn:
        result = conn.execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []


def _one(catalog: Catalog, sql: str, **params: Any) -> Any:
    with catalog.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def _imported(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> int:
    return import_folder(catalog, cache, small_shoot(tmp_path / "shoots"), workers=1).collection_id


def _photo(catalog: Catalog, cid: int, gallery: str = "Portraits") -> Any:
    return _one(
        catalog,
        "SELECT m.id, m.gallery_id FROM media m JOIN gallery g ON g.id = m.gallery_id "
        "WHERE m.collection_id = :c AND g.name = :g AND m.kind = 'photo' ORDER BY m.id",
        c=cid,
        g=gallery,
    )


def _remote_id(catalog: Catalog, table: str, local_id: int) -> int:
    return int(_one(catalog, f"SELECT remote_id FROM {table} WHERE id = :i", i=local_id)[0])


def test_every_delivery_setting_reaches_the_service_as_it_is_here(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    cover = _photo(catalog, cid)
    tid = _sql(
        catalog,
        "INSERT INTO template (name, cover_layout, title_font, colours_json, grid_style, "
        "thumbnail_size, grid_spacing, theme, created_at) VALUES ('Noir', 'left', 'sans', "
        "'{\"background\": \"#101010\", \"text\": \"#fafafa\"}', 'masonry', 'large', 'tight', "
        "'dark', '2030-01-01 00:00:00') RETURNING id",
    )[0][0]
    _sql(
        catalog,
        "UPDATE collection SET downloadable = TRUE, download_single = FALSE, "
        "download_bulk = TRUE, store_enabled = TRUE, template_id = :t, cover_media_id = :m, "
        "cover_focal_x = 0.25, cover_focal_y = 0.75 WHERE id = :c",
        t=tid,
        m=cover.id,
        c=cid,
    )
    _sql(
        catalog,
        "INSERT INTO storesettings (collection_id, enabled, currency, minimum_order_cents, "
        "price_sheet_json) VALUES (:c, TRUE, 'GBP', 4000, :p)",
        c=cid,
        p=json.dumps(PRICE_SHEET),
    )
    for email, name, level in (
        ("ada@example.com", "Ada", "download"),
        ("ben@example.com", "", "favourite"),
    ):
        _sql(
            catalog,
            "INSERT INTO client (collection_id, email, name, access_level, created_at) "
            "VALUES (:c, :e, :n, :a, '2030-01-01 00:00:00')",
            c=cid,
            e=email,
            n=name,
            a=level,
        )
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = :o WHERE id = :g",
        o=json.dumps({"downloadable": False, "sizes": ["web1024"]}),
        g=cover.gallery_id,
    )
    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)

    (remote,) = emulator.state()["collections"]
    downloads = remote["download_settings"]
    assert (downloads["downloadable"], downloads["single"], downloads["bulk"]) == (
        True,
        False,
        True,
    )
    assert remote["store"] == {
        "enabled": True,
        "currency": "GBP",
        "minimum_order_cents": 4000,
        "price_sheet": None,
        "products": PRICE_SHEET,
    }
    clients = [(c["email"], c["name"], c["access"]) for c in emulator.state()["clients"]]
    assert clients == [("ada@example.com", "Ada", "download"), ("ben@example.com", "", "favourite")]
    # The cover was not uploaded when the settings went: its own design op sent it after.
    assert remote["design"] == {
        "cover_layout": "left",
        "title_font": "sans",
        "colours": {"background": "#101010", "text": "#fafafa"},
        "grid_style": "masonry",
        "thumbnail_size": "large",
        "grid_spacing": "tight",
        "theme": "dark",
        "cover_media_id": _remote_id(catalog, "media", cover.id),
        "cover_focal_x": 0.25,
        "cover_focal_y": 0.75,
    }
    assert any(op.entity == "design" for op in queued(catalog, ("done",)))
    galleries = {g["id"]: g for g in emulator.state()["galleries"]}
    portraits = galleries[_remote_id(catalog, "gallery", cover.gallery_id)]
    assert portraits["download_override"] == {"downloadable": False, "sizes": ["web_1024"]}
    assert [g["download_override"] for g in galleries.values() if g is not portraits] == [None]

    # Edits after publishing: each reaches the service, and only what is here stays there.
    _sql(catalog, "DELETE FROM client WHERE email = 'ada@example.com'")
    _sql(
        catalog,
        "UPDATE client SET access_level = 'view', name = 'Ben' WHERE collection_id = :c",
        c=cid,
    )
    _sql(catalog, "UPDATE template SET theme = 'light' WHERE id = :t", t=tid)
    _sql(catalog, "UPDATE storesettings SET price_sheet_json = '[]', minimum_order_cents = 0")
    _sql(
        catalog,
        "UPDATE collection SET store_enabled = FALSE, download_bulk = FALSE WHERE id = :c",
        c=cid,
    )
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = NULL WHERE id = :g",
        g=cover.gallery_id,
    )
    _drain(worker)
    state = emulator.state()
    (remote,) = state["collections"]
    assert [(c["email"], c["name"], c["access"]) for c in state["clients"]] == [
        ("ben@example.com", "Ben", "view")
    ]
    assert remote["design"]["theme"] == "light"
    assert remote["store"]["products"] == [] and remote["store"]["enabled"] is False
    assert remote["download_settings"]["bulk"] is False
    assert all(g["download_override"] is None for g in state["galleries"])
    assert queue_counts(catalog)["pending"] == 0 and queue_counts(catalog)["failed"] == 0


def test_a_gallery_that_overrides_watermarked_false_uploads_clean_bytes(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    _sql(
        catalog,
        "UPDATE collection SET watermark_id = :w, download_watermarked = TRUE WHERE id = :c",
        w=preset.id,
        c=cid,
    )
    clean_gallery = _photo(catalog, cid, "Portraits").gallery_id
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = '{\"watermarked\": false}' WHERE id = :g",
        g=clean_gallery,
    )
    # What a clean upload of each photo is: the rendition with the watermark switched off.
    photos = _sql(
        catalog,
        "SELECT id, gallery_id, content_hash FROM media WHERE collection_id = :c "
        "AND kind = 'photo'",
        c=cid,
    )
    _sql(catalog, "UPDATE collection SET download_watermarked = FALSE WHERE id = :c", c=cid)
    clean = {}
    for m in photos:
        made = prepare_upload(catalog, m.id, tmp_path / "clean", f"clean-{m.id}")
        assert made is not None
        clean[m.content_hash] = f"sha256:{made.sha256}"
    _sql(catalog, "UPDATE collection SET download_watermarked = TRUE WHERE id = :c", c=cid)

    link_collection(catalog, cid)
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    remote = {m["client_ref"]: m["checksum"] for m in emulator.state()["media"]}
    for m in photos:
        is_clean = remote[m.content_hash] == clean[m.content_hash]
        assert is_clean is (m.gallery_id == clean_gallery), m
    # The bytes the service stores are the clean rendition's.
    (one,) = [x for x in emulator.state()["media"] if x["client_ref"] == photos[0].content_hash]
    stored = (emulator.state_dir / "media" / str(one["id"])).read_bytes()
    assert f"sha256:{hashlib.sha256(stored).hexdigest()}" == one["checksum"]

    # Dropping the override: that gallery's photos go up again, watermarked; the others stay.
    # (Sent again in place: the same media, new bytes.)
    before = {m["client_ref"]: (m["id"], m["checksum"]) for m in emulator.state()["media"]}
    _sql(catalog, "UPDATE gallery SET download_override_json = NULL WHERE id = :g", g=clean_gallery)
    _drain(worker)
    after = {m["client_ref"]: (m["id"], m["checksum"]) for m in emulator.state()["media"]}
    for m in photos:
        assert after[m.content_hash][0] == before[m.content_hash][0]
        resent = after[m.content_hash][1] != before[m.content_hash][1]
        assert resent is (m.gallery_id == clean_gallery)
        assert after[m.content_hash][1] != clean[m.content_hash]  # watermarked everywhere now
    # An override that changes nothing (watermarked already) sends nothing again.
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = '{\"watermarked\": true}' WHERE id = :g",
        g=clean_gallery,
    )
    assert [op.entity for op in queued(catalog)] == ["gallery"]


def test_sharing_links_are_made_changed_and_revoked_on_the_service(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    photo = _photo(catalog, cid)
    link_collection(catalog, cid)
    # Made before its photo is uploaded: it waits for the upload, in the same run.
    lid = _sql(
        catalog,
        "INSERT INTO sharinglink (media_id, token, expires_at, created_at) VALUES "
        "(:m, 'local-1', '2031-05-01 12:00:00.000000', '2030-01-01 00:00:00') RETURNING id",
        m=photo.id,
    )[0][0]
    api = signed_in(emulator)
    worker = _worker(catalog, api, tmp_path)
    _drain(worker)
    (remote,) = emulator.state()["sharing_links"]
    local = _one(catalog, "SELECT remote_id, url, token FROM sharinglink WHERE id = :l", l=lid)
    assert remote["media_id"] == _remote_id(catalog, "media", photo.id)
    assert (remote["id"], remote["url"]) == (local.remote_id, local.url)
    assert remote["expires_at"] == "2031-05-01T12:00:00Z" and not remote["revoked"]

    _sql(
        catalog,
        "UPDATE sharinglink SET expires_at = NULL, revoked_at = '2030-02-01 00:00:00' "
        "WHERE id = :l",
        l=lid,
    )
    _drain(worker)
    (remote,) = emulator.state()["sharing_links"]
    assert remote["expires_at"] is None and remote["revoked"] == 1

    # Pulling it back changes nothing here and queues nothing: it is the same link.
    done = queue_counts(catalog)["done"]
    pull_all(catalog, api, emulator.base_url)
    rows = _sql(catalog, "SELECT id, token, revoked_at FROM sharinglink")
    assert [(r.id, r.token) for r in rows] == [(lid, local.token)] and rows[0].revoked_at
    assert queue_counts(catalog) == {"pending": 0, "failed": 0, "done": done}


def test_a_photo_sent_again_keeps_its_media_links_and_cover(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _imported(tmp_path, catalog, cache)
    photo = _photo(catalog, cid)
    _sql(catalog, "UPDATE collection SET cover_media_id = :m WHERE id = :c", m=photo.id, c=cid)
    link_collection(catalog, cid)
    _sql(
        catalog,
        "INSERT INTO sharinglink (media_id, token, created_at) VALUES (:m, 'local-2', "
        "'2030-01-01 00:00:00')",
        m=photo.id,
    )
    worker = _worker(catalog, signed_in(emulator), tmp_path)
    _drain(worker)
    first = emulator.state()["sharing_links"][0]
    old_media = _remote_id(catalog, "media", photo.id)
    first_checksum = next(m["checksum"] for m in emulator.state()["media"] if m["id"] == old_media)
    _sql(
        catalog,
        "UPDATE gallery SET download_override_json = '{\"watermarked\": true}' WHERE id = :g",
        g=photo.gallery_id,
    )
    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    _sql(catalog, "UPDATE collection SET watermark_id = :w WHERE id = :c", w=preset.id, c=cid)
    _drain(worker)
    state = emulator.state()
    # New bytes for the same media (`replaces`): its link and the cover need nothing made again.
    (link,) = state["sharing_links"]
    assert _remote_id(catalog, "media", photo.id) == old_media
    assert (link["id"], link["media_id"]) == (first["id"], old_media) and not link["revoked"]
    assert _remote_id(catalog, "sharinglink", 1) == link["id"]
    assert state["collections"][0]["design"]["cover_media_id"] == old_media
    assert [m["checksum"] for m in state["media"] if m["id"] == old_media] != [first_checksum]
