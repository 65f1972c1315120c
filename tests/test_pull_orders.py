"""Store orders (and clients' access) pulled from the emulator over real HTTP into the
catalogue: the service's media ids become local ones, and pulling again duplicates nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.outbox import link_collection, queue_counts
from gallery_desktop.remote.pull import pull_all
from test_sync import _drain, _worker, signed_in, small_shoot


def _rows(catalog: Catalog, sql: str, **params: Any) -> list[Any]:
    with catalog.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def test_orders_are_pulled_with_local_media_ids_once(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = import_folder(catalog, cache, small_shoot(tmp_path / "shoots"), workers=1).collection_id
    link_collection(catalog, cid)
    api = signed_in(emulator)
    _drain(_worker(catalog, api, tmp_path))
    local_of = {
        int(r.remote_id): int(r.id)
        for r in _rows(catalog, "SELECT id, remote_id FROM media WHERE remote_id IS NOT NULL")
    }
    remote_cid = emulator.state()["collections"][0]["id"]
    photos = sorted(local_of)[:2]
    created = emulator.seed(
        remote_cid,
        clients=[
            {
                "email": "Ada@Example.com",
                "name": "Ada",
                "access_level": "exclusive",
                "access": "download",
            }
        ],
        favorites=0,
        downloads=0,
        visitors=0,
        sharing_links=0,
        store_orders=[
            {
                "client_email": "Ada@Example.com",
                "client_name": "Ada",
                "created_at": "2030-03-01T09:30:00Z",
                "items": [
                    {
                        "media_id": photos[0],
                        "product": "Print",
                        "size": "8x10",
                        "quantity": 2,
                        "price_cents": 2500,
                    },
                    {"media_id": photos[1], "product": "Canvas", "size": "20x30"},
                ],
            },
            {
                "client_email": "ben@example.com",
                "status": "refunded",
                "items": [{"media_id": photos[1]}],
            },
        ],
    )
    report = pull_all(catalog, api, emulator.base_url)
    assert report.counts["store orders"] == 2 and report.collections == 1
    orders = _rows(catalog, "SELECT * FROM storeorder ORDER BY placed_at")
    assert sorted(o.remote_id for o in orders) == sorted(created["store_orders"])
    ada = next(o for o in orders if o.client_email == "ada@example.com")
    assert (ada.collection_id, ada.client_name, ada.currency, ada.status) == (
        cid,
        "Ada",
        "EUR",  # the store's currency as the sync sent it (the catalogue's default)
        "paid",
    )
    assert str(ada.placed_at).startswith("2030-03-01 09:30:00")
    items = json.loads(ada.items_json)
    assert [i["media_id"] for i in items] == [local_of[photos[0]], local_of[photos[1]]]
    assert items[0] | {"media_id": 0} == {
        "media_id": 0,
        "product": "Print",
        "size": "8x10",
        "quantity": 2,
        "price_cents": 2500,
    }
    assert ada.total_cents == 2 * 2500 + items[1]["price_cents"]
    # The client's access came along, and a pulled client queues nothing to send back.
    (client,) = _rows(catalog, "SELECT email, access_level, remote_id FROM client")
    assert (client.email, client.access_level) == ("ada@example.com", "download")
    assert client.remote_id is not None and queue_counts(catalog)["pending"] == 0

    # Pulling again: the same two orders, not four.
    again = pull_all(catalog, api, emulator.base_url)
    assert again.counts["store orders"] == 2
    assert len(_rows(catalog, "SELECT id FROM storeorder")) == 2


def test_an_order_for_a_photo_not_here_keeps_its_item_without_a_photo(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = import_folder(catalog, cache, small_shoot(tmp_path / "shoots"), workers=1).collection_id
    link_collection(catalog, cid)
    api = signed_in(emulator)
    _drain(_worker(catalog, api, tmp_path))
    remote_cid = emulator.state()["collections"][0]["id"]
    media = emulator.state()["media"][0]["id"]
    emulator.seed(
        remote_cid,
        clients=0,
        favorites=0,
        downloads=0,
        visitors=0,
        sharing_links=0,
        store_orders=[{"items": [{"media_id": media, "quantity": 3}]}],
    )
    with catalog.write_conn() as conn:  # as if it were deleted here since
        conn.execute(text("UPDATE media SET remote_id = NULL WHERE remote_id = :r"), {"r": media})
    pull_all(catalog, api, emulator.base_url)
    (order,) = _rows(catalog, "SELECT items_json, total_cents FROM storeorder")
    (item,) = json.loads(order.items_json)
    assert item["media_id"] is None and item["quantity"] == 3
    assert order.total_cents == 3 * item["price_cents"]
