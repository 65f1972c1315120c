"""Store orders pulled from the service into `storeorder` (read-only here, for the analytics):
idempotent on the service's id, an item's photo as this catalogue's media id."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from gallery_desktop.catalog.models import utcnow
from gallery_desktop.remote.pull_times import when


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def store_orders(
    conn: Connection, cid: int, rows: list[dict[str, Any]], media: dict[int, int]
) -> int:
    """Insert new orders, refresh known ones (their status moves: paid, refunded …). An item's
    `media_id` is the local media (null: not, or no longer, in this catalogue)."""
    for r in rows:
        items = [
            {
                "media_id": media.get(_int(item.get("media_id"))),
                "product": str(item.get("product") or ""),
                "size": str(item.get("size") or ""),
                "quantity": _int(item.get("quantity"), 1),
                "price_cents": _int(item.get("price_cents")),
            }
            for item in r.get("items") or []
            if isinstance(item, dict)
        ]
        conn.execute(
            text(
                "INSERT INTO storeorder (collection_id, remote_id, client_email, client_name, "
                "placed_at, currency, total_cents, items_json, status) VALUES (:c, :r, :e, :n, "
                ":at, :cur, :total, :items, :status) ON CONFLICT (remote_id) DO UPDATE SET "
                "client_email = excluded.client_email, client_name = excluded.client_name, "
                "currency = excluded.currency, total_cents = excluded.total_cents, "
                "items_json = excluded.items_json, status = excluded.status"
            ),
            {
                "c": cid,
                "r": _int(r.get("id")) or None,
                "e": str(r.get("client_email") or "").strip().lower() or None,
                "n": r.get("client_name") or None,
                "at": when(r.get("created_at")) or utcnow().replace(tzinfo=None),
                "cur": str(r.get("currency") or "EUR"),
                "total": _int(r.get("total_cents")),
                "items": json.dumps(items, ensure_ascii=False),
                "status": str(r.get("status") or "paid"),
            },
        )
    return len(rows)
