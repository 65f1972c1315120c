"""End to end: a collection published to the emulator, client activity seeded there (clients,
favourites, downloads, visitors, store orders), a real pull over loopback HTTP, then analytics
read from the local catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from conftest import make_shoot
from gallery_desktop.catalog.analytics import Money, read_analytics, top_downloaded
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.outbox import link_collection
from gallery_desktop.remote.pull import pull_all
from test_sync import _drain, _worker, signed_in


def test_pulled_activity_reads_as_analytics(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    link_collection(catalog, cid)
    api = signed_in(emulator)
    _drain(_worker(catalog, api, tmp_path))
    state = emulator.state()
    (remote,) = state["collections"]
    with catalog.engine.connect() as conn:
        local_of = dict(
            conn.execute(text("SELECT remote_id, id FROM media WHERE remote_id IS NOT NULL")).all()
        )
    photos = [m["id"] for m in state["media"] if m["kind"] == "photo"]
    emulator.seed(
        remote["id"],
        clients=[
            {"email": "ann@example.com", "name": "Ann Smith"},
            {"email": "bob@example.com", "name": "Bob Jones"},
        ],
        favorites=[
            {"client_email": "ann@example.com", "media_ids": photos[:3]},
            {"client_email": "bob@example.com", "media_ids": photos[1:3]},
        ],
        downloads=6,
        visitors=2,
        sharing_links=0,
        store_orders=[
            {
                "client_email": "ann@example.com",
                "client_name": "Ann Smith",
                "items": [
                    {
                        "media_id": photos[0],
                        "product": "Print",
                        "size": "8x10",
                        "quantity": 2,
                        "price_cents": 1500,
                    },
                    {
                        "media_id": photos[1],
                        "product": "Canvas",
                        "size": "16x20",
                        "price_cents": 9900,
                    },
                ],
            },
            {
                "client_email": "bob@example.com",
                "status": "refunded",
                "items": [{"media_id": photos[2], "price_cents": 800}],
            },
        ],
        seed=11,
    )
    pull_all(catalog, api, emulator.base_url)

    data = read_analytics(catalog, cid, until=datetime.now(UTC))
    seeded = emulator.state()
    assert data.summary.downloads == data.downloads["all"].total == 6
    assert data.summary.photo_downloads + data.summary.video_downloads == 6
    assert data.summary.visitors == 2 and len(data.visitors) == 2
    assert sum(t.count for t in top_downloaded(catalog, cid, limit=100)) == 6
    # top favourited: the two photos both clients chose, then the one only Ann chose
    fav = [(t.media_id, t.count) for t in data.top_favourited]
    both = {local_of[r] for r in photos[1:3]}
    assert {m for m, n in fav if n == 2} == both and fav[-1] == (local_of[photos[0]], 1)
    people = {p.email: p for p in data.clients}
    assert {"ann@example.com", "bob@example.com"} <= set(people)
    assert (people["ann@example.com"].name, people["ann@example.com"].favourites) == (
        "Ann Smith",
        3,
    )
    assert people["bob@example.com"].favourites == 2
    downloads_by_email: dict[str, int] = {}
    for d in seeded["downloads"]:
        key = d["client_email"].lower()
        downloads_by_email[key] = downloads_by_email.get(key, 0) + 1
    assert {e: p.downloads for e, p in people.items() if p.downloads} == downloads_by_email
    # the store: Ann's order is a sale, Bob's refunded one is listed but earns nothing
    assert sorted((o.client_email, o.items, o.is_sale) for o in data.orders) == [
        ("ann@example.com", 3, True),
        ("bob@example.com", 1, False),
    ]
    ann_order = next(o for o in data.orders if o.is_sale)
    assert ann_order.items_summary == "2 × Print 8x10, 1 × Canvas 16x20"
    assert ann_order.total.cents == 12900 and ann_order.client_name == "Ann Smith"
    currency = ann_order.total.currency
    assert data.summary.orders == 1 and data.summary.revenue == (Money(currency, 12900),)
    assert data.sales.total == 12900 and data.sales.currency == currency
    assert people["ann@example.com"].spend == (Money(currency, 12900),)
    assert people["bob@example.com"].orders == 0
