"""The sync outbox: linking a collection, what is queued, retrying or dropping a failure.

Changes of linked collections queue themselves (triggers, migration 0005) in the transaction
that makes them; this module links and unlinks, and reads the queue for the CLI and the app.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.errors import BadInputError


def new_key() -> str:
    return uuid.uuid4().hex


_ENQUEUE = text(
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    "state, attempts, created_at) VALUES (:c, :entity, :id, :op, '{}', :key, 'pending', 0, :now)"
)


def enqueue(
    catalog: Catalog, collection_id: int | None, entity: str, entity_id: int, op: str
) -> None:
    """Queue one operation by hand (the triggers queue the ordinary ones)."""
    with catalog.write_conn() as conn:
        conn.execute(
            _ENQUEUE,
            {
                "c": collection_id,
                "entity": entity,
                "id": entity_id,
                "op": op,
                "key": new_key(),
                "now": utcnow().replace(tzinfo=None),
            },
        )


def link_collection(catalog: Catalog, collection_id: int) -> int:
    """Publish a collection: from now on its changes queue themselves. Queues what the remote
    needs to catch up (the collection, its settings, galleries, photos and videos) in the same
    transaction. Returns how many operations were queued."""
    now = utcnow().replace(tzinfo=None)
    with catalog.write_conn() as conn:
        row = conn.execute(
            text("SELECT name, sync_linked, remote_id, deleted_at FROM collection WHERE id = :c"),
            {"c": collection_id},
        ).first()
        if row is None or row.deleted_at is not None:
            raise BadInputError(f"no collection with id {collection_id}")
        if row.sync_linked:
            return 0
        conn.execute(
            text("UPDATE collection SET sync_linked = TRUE WHERE id = :c"), {"c": collection_id}
        )
        ops: list[dict[str, Any]] = []

        def queue(entity: str, oid: int, op: str) -> None:
            ops.append(
                {
                    "c": collection_id,
                    "entity": entity,
                    "id": oid,
                    "op": op,
                    "key": new_key(),
                    "now": now,
                }
            )

        queue("collection", collection_id, "update" if row.remote_id else "create")
        queue("collection", collection_id, "settings")
        galleries = conn.execute(
            text(
                "SELECT id, remote_id FROM gallery WHERE collection_id = :c AND deleted_at IS NULL "
                "ORDER BY position, id"
            ),
            {"c": collection_id},
        ).all()
        for g in galleries:
            queue("gallery", g.id, "update" if g.remote_id else "create")
        media = conn.execute(
            text(
                "SELECT m.id FROM media m JOIN gallery g ON g.id = m.gallery_id "
                "WHERE m.collection_id = :c AND m.state = 'ok' AND m.remote_id IS NULL "
                "AND g.deleted_at IS NULL ORDER BY g.position, m.taken_at NULLS FIRST, m.path"
            ),
            {"c": collection_id},
        ).all()
        for m in media:
            queue("media", m.id, "upload")
        if ops:
            conn.execute(_ENQUEUE, ops)
    return len(ops)


def unlink_collection(catalog: Catalog, collection_id: int) -> int:
    """Stop publishing: nothing more is queued and what was waiting is dropped. What is on the
    remote stays there. Returns how many queued operations were dropped."""
    with catalog.write_conn() as conn:
        found = conn.execute(
            text("SELECT id FROM collection WHERE id = :c"), {"c": collection_id}
        ).first()
        if found is None:
            raise BadInputError(f"no collection with id {collection_id}")
        conn.execute(
            text("UPDATE collection SET sync_linked = FALSE WHERE id = :c"), {"c": collection_id}
        )
        dropped = conn.execute(
            text("DELETE FROM syncop WHERE collection_id = :c AND state IN ('pending', 'failed')"),
            {"c": collection_id},
        )
    return int(dropped.rowcount or 0)


@dataclass(frozen=True)
class QueuedOp:
    id: int
    collection_id: int | None
    entity: str
    entity_id: int
    op: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None

    def describe(self) -> str:
        return f"{self.op} {self.entity} {self.entity_id}"


def queue_counts(catalog: Catalog, collection_id: int | None = None) -> dict[str, int]:
    """How many operations are pending, failed and done (for one collection, or all)."""
    where = "" if collection_id is None else "WHERE collection_id = :c"
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT state, count(*) AS n FROM syncop {where} GROUP BY state"),
            {"c": collection_id},
        ).all()
    counts = Counter({r.state: int(r.n) for r in rows})
    return {s: counts.get(s, 0) for s in ("pending", "failed", "done")}


def queued(
    catalog: Catalog, states: tuple[str, ...] = ("pending", "failed"), limit: int = 500
) -> list[QueuedOp]:
    marks = ", ".join(f":s{i}" for i in range(len(states)))
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, collection_id, entity, entity_id, op, state, attempts, "
                f"next_attempt_at, last_error FROM syncop WHERE state IN ({marks}) "
                "ORDER BY id LIMIT :limit"
            ),
            {**{f"s{i}": s for i, s in enumerate(states)}, "limit": limit},
        ).all()
    return [
        QueuedOp(
            r.id,
            r.collection_id,
            r.entity,
            r.entity_id,
            r.op,
            r.state,
            r.attempts,
            str(r.next_attempt_at) if r.next_attempt_at else None,
            r.last_error,
        )
        for r in rows
    ]


def retry_failed(catalog: Catalog, op_id: int | None = None) -> int:
    """Put failed operations (one, or all) back in the queue, to be tried now."""
    where = "state = 'failed'" + ("" if op_id is None else " AND id = :id")
    with catalog.write_conn() as conn:
        done = conn.execute(
            text(
                f"UPDATE syncop SET state = 'pending', next_attempt_at = NULL, attempts = 0 "
                f"WHERE {where}"
            ),
            {"id": op_id},
        )
    return int(done.rowcount or 0)


def discard_failed(catalog: Catalog, op_id: int) -> None:
    with catalog.write_conn() as conn:
        conn.execute(text("DELETE FROM syncop WHERE id = :id AND state = 'failed'"), {"id": op_id})
