"""Photo sharing links on the service: made once their photo is uploaded (the service's id
and address are kept locally), their expiry and revocation sent as they change."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from typing import Any, Final

from sqlalchemy import text

from gallery_desktop.catalog.models import utcnow
from gallery_desktop.remote.errors import NotFound
from gallery_desktop.remote.outbox import enqueue
from gallery_desktop.remote.queue import Op
from gallery_desktop.remote.sync_common import NotReadyError, WorkerBase, iso_utc

# A fresh idempotency key per inserted row: random per statement (:kb), made unique by the
# row's id (portable SQL: no engine-specific random function).
_KEY: Final = ":kb || CAST(id AS TEXT)"


def relink_statements(op: Op, new_remote_id: int, replaced: object) -> list[tuple[str, Any]]:
    """A photo sent again replaced its old copy on the service, and the service deleted that
    copy's links: its live links are made again, and a design naming it as cover is sent
    again (run in the transaction that records the new copy)."""
    if replaced is None or int(str(replaced)) == new_remote_id:
        return []
    values = {
        "m": op.entity_id,
        "c": op.collection_id,
        "now": utcnow().replace(tzinfo=None),
        "kb": f"{uuid.uuid4().hex}-",
    }
    live = "media_id = :m AND remote_id IS NOT NULL AND revoked_at IS NULL"
    return [
        (
            "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, "
            "idempotency_key, state, attempts, created_at) SELECT :c, 'sharing_link', id, "
            f"'create', '{{}}', {_KEY}, 'pending', 0, :now FROM sharinglink WHERE {live}",
            values,
        ),
        (f"UPDATE sharinglink SET remote_id = NULL, url = NULL WHERE {live}", values),
        (
            "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, "
            f"idempotency_key, state, attempts, created_at) SELECT id, 'design', id, 'update', "
            f"'{{}}', {_KEY}, 'pending', 0, :now FROM collection WHERE cover_media_id = :m "
            "AND sync_linked AND NOT EXISTS (SELECT 1 FROM syncop WHERE entity = 'design' "
            "AND entity_id = collection.id AND state = 'pending')",
            values,
        ),
    ]


class LinkOps(WorkerBase):
    def _link(self, link_id: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT l.id, l.expires_at, l.revoked_at, l.remote_id, m.remote_id AS "
                    "media_remote_id, m.state AS media_state, c.remote_id AS "
                    "collection_remote_id, c.sync_linked FROM sharinglink l JOIN media m "
                    "ON m.id = l.media_id JOIN collection c ON c.id = m.collection_id "
                    "WHERE l.id = :l"
                ),
                {"l": link_id},
            ).first()

    @staticmethod
    def _live(link: Any) -> bool:
        return link is not None and bool(link.sync_linked) and link.media_state == "ok"

    def _sharing_link_create(self, op: Op) -> None:
        link = self._link(op.entity_id)
        if link is not None and link.remote_id is not None:
            self.queue.finish(op)
            return
        if not self._live(link):
            self._take_back_link(op)
            return
        if link.collection_remote_id is None:
            raise NotReadyError("waiting for the collection to be created on the service")
        if link.media_remote_id is None:
            raise NotReadyError("waiting for the photo to be uploaded")
        parent = int(op.payload.get("parent") or link.collection_remote_id)
        if op.payload.get("parent") is None:
            self.queue.save_payload(op, {**op.payload, "parent": parent})
            op = dataclasses.replace(op, payload={**op.payload, "parent": parent})
        sent = self._sent_body(
            op, {"media_id": int(link.media_remote_id), "expires_at": iso_utc(link.expires_at)}
        )
        made = self.api.post(f"/collections/{parent}/photo_sharing_links", sent, op.key)
        now = self._link(op.entity_id)
        if not self._live(now):  # deleted or unpublished while it was made
            self._revoke(int(made["id"]))
            self.queue.finish(op)
            return
        self.queue.finish(
            op,
            "UPDATE sharinglink SET remote_id = :r, url = :u WHERE id = :l",
            {"r": int(made["id"]), "u": made.get("url"), "l": op.entity_id},
        )
        if now.revoked_at is not None or iso_utc(now.expires_at) != sent.get("expires_at"):
            enqueue(self.catalog, op.collection_id, "sharing_link", op.entity_id, "update")

    def _take_back_link(self, op: Op) -> None:
        """The link (or its photo) is gone, but its create may have reached the service (a lost
        answer, a crash): replay it (same key: the service answers what it did) and revoke."""
        sent, parent = op.payload.get("sent"), op.payload.get("parent")
        if isinstance(sent, dict) and parent is not None:
            with contextlib.suppress(NotFound):
                made = self.api.post(
                    f"/collections/{int(parent)}/photo_sharing_links", sent, op.key
                )
                self._revoke(int(made["id"]))
        self.queue.finish(op)

    def _revoke(self, remote_id: int) -> None:
        with contextlib.suppress(NotFound):
            self.api.put(f"/photo_sharing_links/{remote_id}", {"revoked": True})

    def _sharing_link_update(self, op: Op) -> None:
        link = self._link(op.entity_id)
        if not self._live(link):
            self.queue.finish(op)
            return
        if link.remote_id is None:  # not made yet (or made again): its create sends all of it
            self.queue.finish(op)
            self._queue_create(op)
            return
        try:
            self.api.put(
                f"/photo_sharing_links/{int(link.remote_id)}",
                {"expires_at": iso_utc(link.expires_at), "revoked": link.revoked_at is not None},
            )
        except NotFound:  # gone with its photo's old copy on the service: made again
            self.queue.finish(
                op,
                "UPDATE sharinglink SET remote_id = NULL, url = NULL WHERE id = :l AND "
                "remote_id = :r",
                {"l": op.entity_id, "r": link.remote_id},
            )
            self._queue_create(op)
            return
        self.queue.finish(op)

    def _queue_create(self, op: Op) -> None:
        with self.catalog.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT 1 FROM syncop WHERE entity = 'sharing_link' AND entity_id = :l "
                    "AND op = 'create' AND state IN ('pending', 'failed')"
                ),
                {"l": op.entity_id},
            ).first()
        if waiting is None:
            enqueue(self.catalog, op.collection_id, "sharing_link", op.entity_id, "create")
