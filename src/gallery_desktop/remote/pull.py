"""Pull back what clients did on the remote: clients, favourites, downloads, visitors, sharing
links, store orders, and the account itself. Stored locally, so all of it reads offline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.remote.errors import NotFound
from gallery_desktop.remote.pull_orders import store_orders
from gallery_desktop.remote.pull_times import when


class PullApi(Protocol):
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...

    def pages(
        self, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]: ...


@dataclass
class PullReport:
    collections: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)  # published, but gone from the service

    def add(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


_when = when


def pull_account(catalog: Catalog, api: PullApi, base_url: str) -> None:
    boot = api.get("/data/bootstrap")
    user = boot.get("user") or {}
    now = utcnow().replace(tzinfo=None)
    with catalog.write_conn() as conn:
        found = conn.execute(text("SELECT id FROM account WHERE base_url = :u"), {"u": base_url})
        row = found.first()
        values = {
            "u": base_url,
            "uid": user.get("id"),
            "email": user.get("email"),
            "name": user.get("name"),
            "boot": json.dumps(boot),
            "now": now,
        }
        if row is None:
            conn.execute(
                text(
                    "INSERT INTO account (base_url, remote_user_id, email, display_name, "
                    "bootstrap_json, fetched_at) VALUES (:u, :uid, :email, :name, :boot, :now)"
                ),
                values,
            )
        else:
            conn.execute(
                # The email stays what the photographer signed in with: it names the stored
                # session (whatever the server's bootstrap says, or leaves out).
                text(
                    "UPDATE account SET remote_user_id = :uid, display_name = :name, "
                    "bootstrap_json = :boot, fetched_at = :now WHERE base_url = :u"
                ),
                values,
            )


def pull_all(catalog: Catalog, api: PullApi, base_url: str) -> PullReport:
    """Everything for every published collection (those with a remote id)."""
    pull_account(catalog, api, base_url)
    report = PullReport()
    with catalog.engine.connect() as conn:
        linked = conn.execute(
            text(
                "SELECT id, remote_id FROM collection WHERE remote_id IS NOT NULL "
                "AND deleted_at IS NULL"
            )
        ).all()
    for cid, rid in linked:
        try:
            pull_collection(catalog, api, int(cid), int(rid), report)
        except NotFound:
            report.missing.append(int(cid))  # deleted on the service's website: say so
            continue
        report.collections += 1
    return report


def pull_collection(
    catalog: Catalog, api: PullApi, collection_id: int, remote_id: int, report: PullReport
) -> None:
    base = f"/collections/{remote_id}"
    clients = list(api.pages(f"{base}/clients"))
    favorites = list(api.pages(f"{base}/favorites"))
    downloads = list(api.pages(f"{base}/downloads/"))
    visitors = list(api.pages(f"{base}/visitor_emails"))
    links = list(api.pages(f"{base}/photo_sharing_links"))
    orders = list(api.pages(f"{base}/store_orders"))
    with catalog.write_conn() as conn:  # one transaction: a pull is seen whole or not at all
        _hold_guard(conn, collection_id)
        media = {
            int(r.remote_id): int(r.id)
            for r in conn.execute(
                text(
                    "SELECT id, remote_id FROM media WHERE collection_id = :c "
                    "AND remote_id IS NOT NULL"
                ),
                {"c": collection_id},
            )
        }
        report.add("clients", _clients(conn, collection_id, clients))
        report.add("favourites", _favorites(conn, collection_id, favorites, media))
        report.add("downloads", _downloads(conn, collection_id, downloads, media))
        report.add("visitors", _visitors(conn, collection_id, visitors))
        report.add("sharing links", _links(conn, links, media))
        report.add("store orders", store_orders(conn, collection_id, orders, media))
        conn.execute(text(f"DELETE FROM syncop WHERE {PULL_GUARD}"))


# The guard row the outbox triggers look for (migration 0006): while it exists, in this
# transaction only, what the pull updates queues nothing (it is what the service holds).
PULL_GUARD = "entity = 'pull' AND op = 'guard'"


def _hold_guard(conn: Connection, cid: int) -> None:
    conn.execute(
        text(
            "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, "
            "idempotency_key, state, attempts, created_at) VALUES (:c, 'pull', :c, 'guard', "
            "'{}', :key, 'in_flight', 0, :now)"
        ),
        {"c": cid, "key": f"pull-guard-{uuid.uuid4().hex}", "now": utcnow().replace(tzinfo=None)},
    )


# What a client may do on the service (`access`) → the catalogue's access level; a service that
# only says guest/exclusive (`access_level`) gives view.
_ACCESS = {
    "view": "view",
    "favourite": "favourite",
    "favorite": "favourite",
    "download": "download",
}


def _clients(conn: Connection, cid: int, rows: list[dict[str, Any]]) -> int:
    unsent = conn.execute(
        text(
            "SELECT 1 FROM syncop WHERE entity = 'collection' AND entity_id = :c AND "
            "op = 'settings' AND state IN ('pending', 'in_flight', 'failed')"
        ),
        {"c": cid},
    ).first()
    if unsent is not None:
        return len(rows)  # the list was edited here and not sent yet: the local list wins
    for r in rows:
        email = str(r.get("email") or "").strip().lower()
        if not email:
            continue
        if r.get("access_level") == "guest":
            _guest(conn, cid, email, r)
            continue
        conn.execute(
            text(
                "INSERT INTO client (collection_id, email, name, access_level, last_accessed, "
                "remote_id, created_at) VALUES (:c, :e, :n, :a, :last, :rid, :now) "
                "ON CONFLICT (collection_id, email) DO UPDATE SET name = excluded.name, "
                "access_level = excluded.access_level, last_accessed = excluded.last_accessed, "
                "remote_id = excluded.remote_id"
            ),
            {
                "c": cid,
                "e": email,
                "n": r.get("name") or "",
                "a": _ACCESS.get(str(r.get("access") or r.get("access_level")), "view"),
                "last": _when(r.get("last_accessed")),
                "rid": r.get("id"),
                "now": utcnow().replace(tzinfo=None),
            },
        )
    return len(rows)


def _guest(conn: Connection, cid: int, email: str, r: dict[str, Any]) -> None:
    """A guest came by the link: kept (their name shows beside their favourites, their
    activity in analytics) as access level `guest`, which is not on the photographer's list,
    is never pushed and never demotes a client the photographer listed."""
    conn.execute(
        text(
            "INSERT INTO client (collection_id, email, name, access_level, last_accessed, "
            "created_at) VALUES (:c, :e, :n, 'guest', :last, :now) "
            "ON CONFLICT (collection_id, email) DO UPDATE SET "
            "name = CASE WHEN client.name = '' THEN excluded.name ELSE client.name END, "
            "last_accessed = excluded.last_accessed"
        ),
        {
            "c": cid,
            "e": email,
            "n": r.get("name") or "",
            "last": _when(r.get("last_accessed")),
            "now": utcnow().replace(tzinfo=None),
        },
    )


def _favorites(
    conn: Connection, cid: int, lists: list[dict[str, Any]], media: dict[int, int]
) -> int:
    """Lists are replaced whole: what the client unfavourited disappears here too."""
    count = 0
    seen: list[int] = []
    for lst in lists:
        rid = int(lst["id"])
        seen.append(rid)
        email = str(lst.get("client_email") or "").strip().lower() or None
        client = None
        if email:
            client = conn.execute(
                text("SELECT id FROM client WHERE collection_id = :c AND email = :e"),
                {"c": cid, "e": email},
            ).scalar()
        existing = conn.execute(
            text("SELECT id FROM favoritelist WHERE collection_id = :c AND remote_id = :r"),
            {"c": cid, "r": rid},
        ).scalar()
        values = {
            "c": cid,
            "cl": client,
            "n": lst.get("name") or "Favourites",
            "e": email,
            "r": rid,
            "now": _when(lst.get("created_at")) or utcnow().replace(tzinfo=None),
        }
        if existing is None:
            existing = conn.execute(
                text(
                    "INSERT INTO favoritelist (collection_id, client_id, name, email, remote_id, "
                    "created_at) VALUES (:c, :cl, :n, :e, :r, :now) RETURNING id"
                ),
                values,
            ).scalar()
        else:
            conn.execute(
                text(
                    "UPDATE favoritelist SET client_id = :cl, name = :n, email = :e WHERE id = :id"
                ),
                {**values, "id": existing},
            )
        conn.execute(text("DELETE FROM favorite WHERE list_id = :l"), {"l": existing})
        for item in lst.get("items") or []:
            local = media.get(int(item.get("media_id") or 0))
            if local is None:
                continue  # a photo that is not (or no longer) in this catalogue
            conn.execute(
                text(
                    "INSERT INTO favorite (list_id, media_id, note, chosen_at) "
                    "VALUES (:l, :m, :note, :at) ON CONFLICT DO NOTHING"
                ),
                {
                    "l": existing,
                    "m": local,
                    "note": item.get("note"),
                    "at": _when(item.get("created_at")) or utcnow().replace(tzinfo=None),
                },
            )
            count += 1
    stale = conn.execute(
        text(
            "SELECT id, remote_id FROM favoritelist WHERE collection_id = :c "
            "AND remote_id IS NOT NULL"
        ),
        {"c": cid},
    ).all()
    for lid, rid in stale:
        if int(rid) not in seen:
            conn.execute(text("DELETE FROM favorite WHERE list_id = :l"), {"l": lid})
            conn.execute(text("DELETE FROM favoritelist WHERE id = :l"), {"l": lid})
    return count


def _downloads(
    conn: Connection, cid: int, rows: list[dict[str, Any]], media: dict[int, int]
) -> int:
    for r in rows:
        conn.execute(
            text(
                "INSERT INTO downloadevent (collection_id, media_id, email, kind, size, "
                "occurred_at, remote_id) VALUES (:c, :m, :e, :k, :s, :at, :r) "
                "ON CONFLICT (remote_id) DO NOTHING"
            ),
            {
                "c": cid,
                "m": media.get(int(r.get("media_id") or 0)),
                "e": (r.get("client_email") or None),
                "k": r.get("kind") or "photo",
                "s": r.get("size"),
                "at": _when(r.get("downloaded_at")) or utcnow().replace(tzinfo=None),
                "r": r.get("id"),
            },
        )
    return len(rows)


def _visitors(conn: Connection, cid: int, rows: list[dict[str, Any]]) -> int:
    for r in rows:
        email = str(r.get("email") or "").strip().lower()
        if not email:
            continue
        at = _when(r.get("visited_at")) or utcnow().replace(tzinfo=None)
        conn.execute(
            text(
                "INSERT INTO visitor (collection_id, email, first_seen, last_seen, visits, "
                "remote_id) VALUES (:c, :e, :at, :at, 1, :r) ON CONFLICT (collection_id, email) "
                "DO UPDATE SET last_seen = CASE WHEN visitor.last_seen > excluded.last_seen "
                "THEN visitor.last_seen ELSE excluded.last_seen END, "
                "remote_id = excluded.remote_id"
            ),
            {"c": cid, "e": email, "at": at, "r": r.get("id")},
        )
    return len(rows)


def _links(conn: Connection, rows: list[dict[str, Any]], media: dict[int, int]) -> int:
    """Links made here are matched by their remote id (and keep their own token); links made
    on the service's website are added. Only what changed is written, so the outbox triggers
    send nothing back."""
    count = 0
    for r in rows:
        local = media.get(int(r.get("media_id") or 0))
        if local is None:
            continue
        rid = int(r["id"])
        now = utcnow().replace(tzinfo=None)
        values = {
            "m": local,
            "t": f"remote-{rid}",
            "u": r.get("url"),
            "x": _when(r.get("expires_at")),
            "revoked": bool(r.get("revoked")),
            "r": rid,
            "now": now,
        }
        known = conn.execute(
            text(
                "SELECT id, EXISTS (SELECT 1 FROM syncop WHERE entity = 'sharing_link' AND "
                "entity_id = sharinglink.id AND state IN ('pending', 'failed')) AS dirty "
                "FROM sharinglink WHERE remote_id = :r"
            ),
            {"r": rid},
        ).first()
        if known is not None and known.dirty:
            continue  # changed here and not sent yet: the local change wins
        if known is None:
            conn.execute(
                text(
                    "INSERT INTO sharinglink (media_id, token, url, expires_at, revoked_at, "
                    "remote_id, created_at) VALUES (:m, :t, :u, :x, "
                    "CASE WHEN :revoked THEN :now END, :r, :now) "
                    "ON CONFLICT (token) DO UPDATE SET url = excluded.url, "
                    "expires_at = excluded.expires_at, revoked_at = excluded.revoked_at"
                ),
                values,
            )
        else:
            conn.execute(
                text(
                    "UPDATE sharinglink SET url = :u, expires_at = CASE WHEN "
                    "expires_at IS NOT DISTINCT FROM :x THEN expires_at ELSE :x END, "
                    "revoked_at = CASE WHEN "
                    ":revoked THEN coalesce(revoked_at, :now) END WHERE id = :id"
                ),
                {**values, "id": known.id},
            )
        count += 1
    return count
