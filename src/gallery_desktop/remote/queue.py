"""The outbox as the sync worker reads and writes it: which operation is due, and recording
what happened to it (done, failed, retry later), each in one short transaction."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.remote.errors import RemoteError
from gallery_desktop.remote.outbox import enqueue, new_key

DRAIN_LOCK = "sync-outbox"
MAX_BACKOFF = 600.0
MAX_RETRY_AFTER = 3600.0  # what a server may ask for; longer is a misconfiguration

_COLUMNS = (
    "id, collection_id, entity, entity_id, op, idempotency_key, attempts, payload_json, "
    "state, next_attempt_at"
)


@dataclass(frozen=True)
class Op:
    """One queued operation: what to do to which object, under which idempotency key."""

    id: int
    collection_id: int | None
    entity: str
    entity_id: int
    op: str
    key: str
    attempts: int
    payload: dict[str, Any]

    def describe(self) -> str:
        return f"{self.op} {self.entity} {self.entity_id}"

    @classmethod
    def from_row(cls, r: Any) -> Op:
        return cls(
            r.id,
            r.collection_id,
            r.entity,
            r.entity_id,
            r.op,
            r.idempotency_key,
            r.attempts,
            json.loads(r.payload_json or "{}"),
        )


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait: what the server asked, else exponential with ±50 % jitter."""
    if retry_after is not None:
        return min(MAX_RETRY_AFTER, max(1.0, retry_after))
    return max(1.0, min(MAX_BACKOFF, 2.0 ** min(attempts, 10) * rng.uniform(0.5, 1.5)))


def _due(next_attempt_at: object, now: str) -> bool:
    return next_attempt_at is None or str(next_attempt_at) <= now


class OutboxQueue:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def candidates(self) -> list[Op]:
        """The first pending op of each object whose time has come, oldest first."""
        now = str(utcnow().replace(tzinfo=None))
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM syncop WHERE state IN ('pending', 'failed') "
                    "ORDER BY id"
                )
            ).all()
        first: dict[tuple[str, int], Any] = {}
        for r in rows:
            first.setdefault((r.entity, r.entity_id), r)  # later ops of an object wait
        return [
            Op.from_row(r)
            for r in first.values()
            if r.state == "pending" and _due(r.next_attempt_at, now)
        ]

    def pending(self) -> int:
        with self.catalog.engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM syncop WHERE state = 'pending'")).scalar()
                or 0
            )

    def finish(
        self,
        op: Op,
        sql: str = "",
        params: dict[str, Any] | None = None,
        *,
        more: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Mark the op done, and record what the remote did, in one transaction."""
        with self.catalog.write_conn() as conn:
            if sql:
                conn.execute(text(sql), params or {})
            for statement, values in more:
                conn.execute(text(statement), values)
            conn.execute(
                text(
                    "UPDATE syncop SET state = 'done', last_error = NULL, updated_at = :now "
                    "WHERE id = :id"
                ),
                {"id": op.id, "now": utcnow().replace(tzinfo=None)},
            )

    def save_payload(self, op: Op, payload: dict[str, Any]) -> None:
        with self.catalog.write_conn() as conn:
            conn.execute(
                text("UPDATE syncop SET payload_json = :p WHERE id = :id"),
                {"p": json.dumps(payload), "id": op.id},
            )

    def retry_later(self, op: Op, error: RemoteError, rng: random.Random) -> None:
        delay = backoff(op.attempts, error.retry_after, rng)
        with self.catalog.write_conn() as conn:
            conn.execute(
                text(
                    "UPDATE syncop SET attempts = attempts + 1, next_attempt_at = :at, "
                    "last_error = :why WHERE id = :id"
                ),
                {
                    "at": (utcnow() + timedelta(seconds=delay)).replace(tzinfo=None),
                    "why": str(error),
                    "id": op.id,
                },
            )

    def fail(self, op: Op, why: str) -> None:
        with self.catalog.write_conn() as conn:
            conn.execute(
                text(
                    "UPDATE syncop SET state = 'failed', attempts = attempts + 1, "
                    "last_error = :why WHERE id = :id"
                ),
                {"why": why, "id": op.id},
            )

    @contextmanager
    def drain_lock(self) -> Iterator[bool]:
        """One drainer of the outbox at a time: across processes of this machine (SQLite), and
        across every seat of a shared catalogue (PostgreSQL). Yields False if another holds it."""
        with self.catalog.try_lock(DRAIN_LOCK) as got:
            yield got

    def next_of(self, op: Op) -> Op | None:
        """The next pending op of the same object, if it is due."""
        with self.catalog.engine.connect() as conn:
            r = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM syncop WHERE entity = :e AND entity_id = :i "
                    "AND state IN ('pending', 'failed') ORDER BY id LIMIT 1"
                ),
                {"e": op.entity, "i": op.entity_id},
            ).first()
        now = str(utcnow().replace(tzinfo=None))
        if r is None or r.state != "pending" or not _due(r.next_attempt_at, now):
            return None
        return Op.from_row(r)

    def note(self, op: Op, why: str) -> None:
        """Say why an op waits (shown in the queue), without counting an attempt."""
        with self.catalog.write_conn() as conn:
            conn.execute(
                text(
                    "UPDATE syncop SET last_error = :why "
                    "WHERE id = :id AND last_error IS DISTINCT FROM :why"
                ),
                {"why": why, "id": op.id},
            )

    def enqueue_update(self, op: Op) -> None:
        """Queue an update of the op's object (its local state moved on meanwhile)."""
        enqueue(self.catalog, op.collection_id, op.entity, op.entity_id, "update")

    def rotate_key(self, op: Op, payload: dict[str, Any]) -> Op:
        """A new idempotency key (and payload): the next request is a different one."""
        new = Op(
            op.id, op.collection_id, op.entity, op.entity_id, op.op, new_key(), op.attempts, payload
        )
        with self.catalog.write_conn() as conn:
            conn.execute(
                text("UPDATE syncop SET idempotency_key = :k, payload_json = :p WHERE id = :id"),
                {"k": new.key, "p": json.dumps(payload), "id": op.id},
            )
        return new
