"""The outbox worker: pushes queued changes to the remote, in order per object, resumably.

No Qt. Every step that the remote has done is recorded locally in one short transaction (a
created object's remote id, an upload's id) before the next step, and every request that
creates something carries the operation's idempotency key, so a crash or a `kill -9` at any
point resumes without duplicates: a retried create is answered with the first answer.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import logging

try:
    import fcntl
except ImportError:  # Windows: one worker per process is all we can promise there
    fcntl = None  # type: ignore[assignment]
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.watermarks import get_watermark
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.watermark import WatermarkError, parse_colour
from gallery_desktop.remote.errors import (
    NetworkError,
    NotFound,
    OffsetConflict,
    RemoteError,
    SessionExpired,
)
from gallery_desktop.remote.outbox import new_key
from gallery_desktop.remote.rendition import UploadFile, forget_upload, prepare_upload

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_BACKOFF = 600.0
MAX_RETRY_AFTER = 3600.0  # what a server may ask for; longer is a misconfiguration


class RemoteApi(Protocol):
    """What the worker needs of `remote.api.GalleryApi` (kept small for the real adapter)."""

    def post(
        self, path: str, json: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> Any: ...

    def put(self, path: str, json: dict[str, Any] | None = None) -> Any: ...

    def delete(self, path: str) -> Any: ...

    def start_upload(self, gallery_id: int, meta: dict[str, Any], key: str) -> dict[str, Any]: ...

    def upload_status(self, upload_id: str) -> dict[str, Any]: ...

    def send_chunk(self, upload_id: str, offset: int, data: bytes) -> dict[str, Any]: ...


@dataclass
class SyncReport:
    done: int = 0
    failed: list[str] = field(default_factory=list)  # "upload media 12: why"
    waiting: int = 0  # retryable failures, to be tried again later
    stopped: str | None = None  # why the run stopped early, in words
    stop_kind: str | None = None  # "stopped" | "busy" | "signed_out" | "offline" | "wait"


@dataclass(frozen=True)
class _Op:
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


class _NotReadyError(Exception):
    """The op cannot run yet (its parent is not on the remote yet); the message says so."""


class _StoppedError(Exception):
    """Asked to stop in the middle of an upload: it resumes from the server's offset later."""


def _size(local: str) -> str:
    """Download size names: the catalogue's `web2048` is the contract's `web_2048`."""
    return f"web_{local[3:]}" if local.startswith("web") and local[3:].isdigit() else local


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait: what the server asked, else exponential with ±50 % jitter."""
    if retry_after is not None:
        return min(MAX_RETRY_AFTER, max(1.0, retry_after))
    return max(1.0, min(MAX_BACKOFF, 2.0 ** min(attempts, 10) * rng.uniform(0.5, 1.5)))


class SyncWorker:
    def __init__(
        self,
        catalog: Catalog,
        api: RemoteApi,
        upload_cache: Path,
        *,
        progress: Callable[[str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.catalog = catalog
        self.api = api
        self.cache = upload_cache
        self.progress = progress or (lambda _line: None)
        self.rng = rng or random.Random()
        self._should_stop: Callable[[], bool] = lambda: False

    # -- the queue ---------------------------------------------------------------------------

    def _candidates(self) -> list[_Op]:
        """The first pending op of each object whose time has come, oldest first."""
        now = utcnow().replace(tzinfo=None)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, collection_id, entity, entity_id, op, idempotency_key, attempts, "
                    "payload_json, state, next_attempt_at FROM syncop "
                    "WHERE state IN ('pending', 'failed') ORDER BY id"
                )
            ).all()
        first: dict[tuple[str, int], Any] = {}
        for r in rows:
            first.setdefault((r.entity, r.entity_id), r)  # later ops of an object wait
        out = []
        for r in first.values():
            due = r.next_attempt_at is None or str(r.next_attempt_at) <= str(now)
            if r.state == "pending" and due:
                out.append(
                    _Op(
                        r.id,
                        r.collection_id,
                        r.entity,
                        r.entity_id,
                        r.op,
                        r.idempotency_key,
                        r.attempts,
                        json.loads(r.payload_json or "{}"),
                    )
                )
        return sorted(out, key=lambda o: o.id)

    def pending(self) -> int:
        with self.catalog.engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM syncop WHERE state = 'pending'")).scalar()
                or 0
            )

    def _finish(self, op: _Op, sql: str = "", params: dict[str, Any] | None = None) -> None:
        """Mark the op done, and record what the remote did, in one transaction."""
        with self.catalog.write_conn() as conn:
            if sql:
                conn.execute(text(sql), params or {})
            conn.execute(
                text(
                    "UPDATE syncop SET state = 'done', last_error = NULL, updated_at = :now "
                    "WHERE id = :id"
                ),
                {"id": op.id, "now": utcnow().replace(tzinfo=None)},
            )
            if op.op in ("update", "settings"):  # older copies of the same push: covered now
                conn.execute(
                    text(
                        "UPDATE syncop SET state = 'done' WHERE entity = :e AND entity_id = :i "
                        "AND op = :op AND state = 'pending' AND id < :id"
                    ),
                    {"e": op.entity, "i": op.entity_id, "op": op.op, "id": op.id},
                )

    def _save_payload(self, op: _Op, payload: dict[str, Any]) -> None:
        with self.catalog.write_conn() as conn:
            conn.execute(
                text("UPDATE syncop SET payload_json = :p WHERE id = :id"),
                {"p": json.dumps(payload), "id": op.id},
            )

    def _retry_later(self, op: _Op, error: RemoteError) -> None:
        delay = backoff(op.attempts, error.retry_after, self.rng)
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

    def _fail(self, op: _Op, why: str) -> None:
        with self.catalog.write_conn() as conn:
            conn.execute(
                text(
                    "UPDATE syncop SET state = 'failed', attempts = attempts + 1, "
                    "last_error = :why WHERE id = :id"
                ),
                {"why": why, "id": op.id},
            )

    # -- running -----------------------------------------------------------------------------

    def run_once(self, should_stop: Callable[[], bool] = lambda: False) -> SyncReport:
        """Push everything that can go now; returns when nothing more is ready.

        One worker at a time per catalogue (the app, the CLI): a second one returns at once
        with `stopped` saying so."""
        with self._drain_lock() as mine:
            if not mine:
                return SyncReport(
                    stopped="another window or process is syncing right now", stop_kind="busy"
                )
            self._should_stop = should_stop
            try:
                return self._drain(should_stop)
            finally:
                self._should_stop = lambda: False

    @contextmanager
    def _drain_lock(self) -> Iterator[bool]:
        lock_dir = self.catalog.db_file.parent / "locks"
        lock_dir.mkdir(exist_ok=True)
        with (lock_dir / f"{self.catalog.db_file.stem}-sync.lock").open("a+b") as f:
            locked = False
            if fcntl is not None:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                except BlockingIOError:
                    yield False
                    return
            try:
                yield True
            finally:
                if locked:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _drain(self, should_stop: Callable[[], bool]) -> SyncReport:
        report = SyncReport()
        tried: set[int] = set()  # an op that failed for now is not tried again in this run
        while not should_stop():
            progressed = False
            for first in self._candidates():
                op: _Op | None = first
                # The ops of one object run back to back (create, then its settings), so a
                # collection never sits on the remote without its password while photos upload.
                while op is not None and op.id not in tried and not should_stop():
                    outcome = self._attempt(op, report)
                    if outcome == "stop":
                        return report
                    if outcome != "done":
                        if outcome != "not_ready":  # (a parent may get ready in this run)
                            tried.add(op.id)
                            progressed = True
                        break
                    progressed = True
                    op = self._next_of(op)
            if not progressed:
                break
        if should_stop():
            report.stopped, report.stop_kind = "stopped", "stopped"
        return report

    def _attempt(self, op: _Op, report: SyncReport) -> str:
        """Run one op: "done", "not_ready", "retry", "failed" or "stop" (end the run)."""
        try:
            self._run(op)
        except _NotReadyError as exc:
            self._note(op, str(exc))
            return "not_ready"
        except _StoppedError:
            report.stopped, report.stop_kind = "stopped", "stopped"
            return "stop"
        except SessionExpired as exc:
            report.stopped, report.stop_kind = str(exc), "signed_out"
            return "stop"
        except RemoteError as exc:
            if not exc.retryable:
                self._fail(op, str(exc))
                report.failed.append(f"{op.describe()}: {exc}")
                return "failed"
            self._retry_later(op, exc)
            report.waiting += 1
            self.progress(f"{op.describe()}: {exc} (will retry)")
            if isinstance(exc, NetworkError) or exc.retry_after is not None:
                # Offline, or the server asked everyone to wait: the rest waits too.
                report.stopped = str(exc)
                report.stop_kind = "offline" if isinstance(exc, NetworkError) else "wait"
                return "stop"
            return "retry"
        except (DecodeError, WatermarkError, UserFacingError, OSError) as exc:
            self._fail(op, str(exc))
            report.failed.append(f"{op.describe()}: {exc}")
            return "failed"
        report.done += 1
        self.progress(f"{op.describe()}: done")
        return "done"

    def _next_of(self, op: _Op) -> _Op | None:
        """The next pending op of the same object, if it is due."""
        now = str(utcnow().replace(tzinfo=None))
        with self.catalog.engine.connect() as conn:
            r = conn.execute(
                text(
                    "SELECT id, collection_id, entity, entity_id, op, idempotency_key, attempts, "
                    "payload_json, state, next_attempt_at FROM syncop WHERE entity = :e AND "
                    "entity_id = :i AND state IN ('pending', 'failed') ORDER BY id LIMIT 1"
                ),
                {"e": op.entity, "i": op.entity_id},
            ).first()
        if r is None or r.state != "pending":
            return None
        if r.next_attempt_at is not None and str(r.next_attempt_at) > now:
            return None
        return _Op(
            r.id,
            r.collection_id,
            r.entity,
            r.entity_id,
            r.op,
            r.idempotency_key,
            r.attempts,
            json.loads(r.payload_json or "{}"),
        )

    def _note(self, op: _Op, why: str) -> None:
        """Say why an op waits (shown in the queue), without counting an attempt."""
        with self.catalog.write_conn() as conn:
            conn.execute(
                text(
                    "UPDATE syncop SET last_error = :why WHERE id = :id AND last_error IS NOT :why"
                ),
                {"why": why, "id": op.id},
            )

    def _run(self, op: _Op) -> None:
        handler = getattr(self, f"_{op.entity}_{op.op}", None)
        if handler is None:
            raise UserFacingError(f"unknown operation {op.describe()}")
        handler(op)

    # -- collections -------------------------------------------------------------------------

    def _collection(self, cid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(text("SELECT * FROM collection WHERE id = :c"), {"c": cid}).first()

    @staticmethod
    def _collection_body(c: Any) -> dict[str, Any]:
        return {
            "name": c.name,
            "description": c.description or "",
            "event_date": c.event_date,
            "status": c.status,
        }

    def _sent_body(self, op: _Op, body: dict[str, Any]) -> dict[str, Any]:
        """The body a create is sent with, recorded before the first try: a retry under the
        same idempotency key must send the very same request (edits made meanwhile follow
        as an update)."""
        sent = op.payload.get("sent")
        if isinstance(sent, dict):
            return sent
        self._save_payload(op, {**op.payload, "sent": body})
        return body

    def _take_back(self, path: str, op: _Op) -> None:
        """The object was deleted locally, but its create may have reached the server (a lost
        answer, a crash): replay the create (same key: the server answers what it did) and
        delete what it made."""
        sent = op.payload.get("sent")
        if isinstance(sent, dict):
            created = self.api.post(path, sent, op.key)
            self._delete_remote(op, created)
        self._finish(op)

    def _delete_remote(self, op: _Op, created: Any) -> None:
        kind = {"collection": "collections", "gallery": "galleries"}[op.entity]
        with contextlib.suppress(NotFound):
            self.api.delete(f"/{kind}/{int(created['id'])}")

    def _queue_update_if_changed(self, op: _Op, sent: dict[str, Any], now: dict[str, Any]) -> None:
        changed = {k for k in sent if k != "status" and sent.get(k) != now.get(k)}
        if changed:
            with self.catalog.write_conn() as conn:
                conn.execute(
                    text(
                        "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, "
                        "idempotency_key, state, attempts, created_at) VALUES (:c, :e, :i, "
                        "'update', '{}', :k, 'pending', 0, :now)"
                    ),
                    {
                        "c": op.collection_id,
                        "e": op.entity,
                        "i": op.entity_id,
                        "k": new_key(),
                        "now": utcnow().replace(tzinfo=None),
                    },
                )

    def _collection_create(self, op: _Op) -> None:
        c = self._collection(op.entity_id)
        if c is not None and c.remote_id is not None:
            self._finish(op)
            return
        if c is None or not c.sync_linked:
            self._take_back("/collections", op)
            return
        # Created as a draft: the settings that follow (next, for this object) publish it
        # together with its password, so it is never on show without one.
        sent = self._sent_body(op, {**self._collection_body(c), "status": "draft"})
        created = self.api.post("/collections", sent, op.key)
        now = self._collection(op.entity_id)
        if now is None or not now.sync_linked:  # deleted or unlinked while we were sending
            self._delete_remote(op, created)
            self._finish(op)
            return
        self._finish(
            op,
            "UPDATE collection SET remote_id = :r WHERE id = :c",
            {"r": int(created["id"]), "c": op.entity_id},
        )
        self._queue_update_if_changed(op, sent, self._collection_body(now))

    def _remote_collection(self, op: _Op) -> tuple[Any, int] | None:
        c = self._collection(op.entity_id)
        if c is None or not c.sync_linked:
            self._finish(op)  # deleted or no longer published: nothing to send
            return None
        if c.remote_id is None:
            raise _NotReadyError("waiting for the collection to be created on the service")
        return c, int(c.remote_id)

    def _collection_update(self, op: _Op) -> None:
        found = self._remote_collection(op)
        if found:
            c, rid = found
            self.api.put(f"/collections/{rid}", self._collection_body(c))
            self._finish(op)

    def _collection_settings(self, op: _Op) -> None:
        found = self._remote_collection(op)
        if not found:
            return
        c, rid = found
        self.api.put(
            f"/collections/{rid}/client_access",
            {
                "password": c.password or None,
                "expiry_date": c.expiry_date or None,  # null clears it
                "expiry_reminder_days": (
                    [int(c.expiry_reminder_days)] if c.expiry_reminder_days else []
                ),
                "status": c.status,
                "client_exclusive": bool(c.client_exclusive),
                "visitor_email_capture": bool(c.visitor_email_capture),
            },
        )
        self.api.put(
            f"/collections/{rid}/download_settings",
            {
                "downloadable": bool(c.downloadable),
                "sizes": [_size(v) for v in json.loads(c.download_sizes_json or "[]")],
                "pin": c.download_pin,
                "limit_per_client": c.download_limit,
                "watermarked": bool(c.download_watermarked),
            },
        )
        self.api.put(f"/collections/{rid}/watermark", self._watermark_body(c.watermark_id))
        self.api.put(f"/collections/{rid}/store", {"enabled": bool(c.store_enabled)})
        self._finish(op)

    def _watermark_body(self, watermark_id: int | None) -> dict[str, Any] | None:
        if watermark_id is None:
            return None
        try:
            preset = get_watermark(self.catalog, str(watermark_id))
        except UserFacingError:
            return None
        spec = preset.spec
        r, g, b = parse_colour(spec.colour)
        return {
            "name": preset.name,
            "text": spec.text,
            "font": spec.font,
            "text_scale": spec.text_scale,
            "colour": f"#{r:02x}{g:02x}{b:02x}",
            "opacity": spec.opacity,
            "shadow": spec.shadow,
            "outline": spec.outline,
            "logo": base64.b64encode(spec.logo).decode("ascii") if spec.logo else None,
            "logo_scale": spec.logo_scale,
            "logo_opacity": spec.logo_opacity,
            "position": spec.position,
            "margin": spec.margin,
        }

    def _delete_recorded(self, op: _Op, kind: str) -> None:
        """Delete the remote object the trigger recorded (`payload.remote_id`)."""
        rid = op.payload.get("remote_id")
        if rid is not None:
            with contextlib.suppress(NotFound):  # gone already: what we wanted
                self.api.delete(f"/{kind}/{int(rid)}")
        self._finish(op)

    def _collection_delete(self, op: _Op) -> None:
        self._delete_recorded(op, "collections")

    # -- galleries ---------------------------------------------------------------------------

    def _gallery(self, gid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT g.*, c.remote_id AS collection_remote_id, c.sync_linked FROM gallery g "
                    "JOIN collection c ON c.id = g.collection_id WHERE g.id = :g"
                ),
                {"g": gid},
            ).first()

    @staticmethod
    def _gallery_body(g: Any) -> dict[str, Any]:
        return {"name": g.name, "position": g.position, "private": bool(g.private)}

    def _gallery_create(self, op: _Op) -> None:
        g = self._gallery(op.entity_id)
        if g is not None and g.remote_id is not None:
            self._finish(op)
            return
        if g is None or g.deleted_at is not None or not g.sync_linked:
            parent = op.payload.get("parent")
            if parent is not None:
                self._take_back(f"/collections/{int(parent)}/galleries", op)
            else:
                self._finish(op)
            return
        if g.collection_remote_id is None:
            raise _NotReadyError("waiting for the collection to be created on the service")
        parent = int(g.collection_remote_id)
        if op.payload.get("parent") is None:
            self._save_payload(op, {**op.payload, "parent": parent})
            op = dataclasses.replace(op, payload={**op.payload, "parent": parent})
        sent = self._sent_body(op, self._gallery_body(g))
        created = self.api.post(f"/collections/{parent}/galleries", sent, op.key)
        now = self._gallery(op.entity_id)
        if now is None or now.deleted_at is not None or not now.sync_linked:
            self._delete_remote(op, created)
            self._finish(op)
            return
        self._finish(
            op,
            "UPDATE gallery SET remote_id = :r WHERE id = :g",
            {"r": int(created["id"]), "g": op.entity_id},
        )
        self._queue_update_if_changed(op, sent, self._gallery_body(now))

    def _gallery_update(self, op: _Op) -> None:
        g = self._gallery(op.entity_id)
        if g is None or g.deleted_at is not None or not g.sync_linked:
            self._finish(op)
            return
        if g.remote_id is None:
            raise _NotReadyError("waiting for the gallery to be created on the service")
        self.api.put(f"/galleries/{int(g.remote_id)}", self._gallery_body(g))
        self._finish(op)

    def _gallery_delete(self, op: _Op) -> None:
        self._delete_recorded(op, "galleries")

    # -- media -------------------------------------------------------------------------------

    def _media(self, mid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT m.id, m.state, m.remote_id, m.gallery_id, g.remote_id AS "
                    "gallery_remote_id, g.deleted_at, c.sync_linked FROM media m "
                    "JOIN gallery g ON g.id = m.gallery_id JOIN collection c "
                    "ON c.id = m.collection_id WHERE m.id = :m"
                ),
                {"m": mid},
            ).first()

    def _shared(self, remote_id: int, media_id: int) -> bool:
        """Whether another photo here is the same remote media (identical files in one gallery
        are one photo on the service): then it must stay."""
        with self.catalog.engine.connect() as conn:
            return bool(
                conn.execute(
                    text("SELECT 1 FROM media WHERE remote_id = :r AND id != :m AND state = 'ok'"),
                    {"r": remote_id, "m": media_id},
                ).first()
            )

    def _delete_media(self, remote_id: int, media_id: int) -> None:
        if not self._shared(remote_id, media_id):
            with contextlib.suppress(NotFound):
                self.api.delete(f"/media/{remote_id}")

    def _media_delete(self, op: _Op) -> None:
        rid = op.payload.get("remote_id")
        if rid is not None:
            self._delete_media(int(rid), op.entity_id)
        self._finish(
            op,
            "UPDATE media SET remote_id = NULL, upload_state = NULL "
            "WHERE id = :m AND remote_id = :r",
            {"m": op.entity_id, "r": rid},
        )

    def _abandon_upload(self, op: _Op) -> None:
        """The photo is gone (or unpublished): an upload of it that may have finished on the
        server (a lost answer, a crash) is taken back."""
        upload_id = op.payload.get("upload_id")
        if upload_id:
            with contextlib.suppress(NotFound):
                status = self.api.upload_status(str(upload_id))
                if status.get("status") == "created" and status.get("media"):
                    self._delete_media(int(status["media"]["id"]), op.entity_id)
        forget_upload(self.cache, op.key)
        self._finish(op)

    def _media_upload(self, op: _Op) -> None:
        m = self._media(op.entity_id)
        if m is None or m.state != "ok" or m.deleted_at is not None or not m.sync_linked:
            self._abandon_upload(op)  # gone or broken since: nothing to send
            return
        if m.gallery_remote_id is None:
            raise _NotReadyError("waiting for the gallery to be created on the service")
        payload = dict(op.payload)
        if m.remote_id is not None and payload.get("replaces") is None:
            # A changed or moved photo: the old copy goes first (recorded, so a crash after the
            # delete does not delete the new one later).
            payload["replaces"] = int(m.remote_id)
            self._save_payload(op, payload)
        if payload.get("replaces") is not None:
            self._delete_media(int(payload["replaces"]), op.entity_id)
            with self.catalog.write_conn() as conn:
                conn.execute(
                    text("UPDATE media SET remote_id = NULL WHERE id = :m AND remote_id = :r"),
                    {"m": op.entity_id, "r": payload["replaces"]},
                )
            payload["replaces"] = None
            self._save_payload(op, payload)
        upload = prepare_upload(self.catalog, op.entity_id, self.cache, op.key)
        if upload is None:
            self._abandon_upload(op)
            return
        if payload.get("sha256") not in (None, upload.sha256):
            # The file changed between two attempts. The old upload may have finished (its
            # answer lost): take it back, then send the new content under a new key.
            old = dataclasses.replace(op, payload=payload)
            upload_id = payload.get("upload_id")
            if upload_id:
                with contextlib.suppress(NotFound):
                    status = self.api.upload_status(str(upload_id))
                    if status.get("status") == "created" and status.get("media"):
                        self._delete_media(int(status["media"]["id"]), op.entity_id)
            forget_upload(self.cache, old.key)
            payload = {"sha256": upload.sha256}
            op = _Op(
                op.id,
                op.collection_id,
                op.entity,
                op.entity_id,
                op.op,
                new_key(),
                op.attempts,
                payload,
            )
            with self.catalog.write_conn() as conn:
                conn.execute(
                    text(
                        "UPDATE syncop SET idempotency_key = :k, payload_json = :p WHERE id = :id"
                    ),
                    {"k": op.key, "p": json.dumps(payload), "id": op.id},
                )
            upload = prepare_upload(self.catalog, op.entity_id, self.cache, op.key)
            if upload is None:
                self._abandon_upload(op)
                return
        media = self._send(op, payload, upload, int(m.gallery_remote_id))
        forget_upload(self.cache, op.key)
        now = self._media(op.entity_id)
        if now is None or now.state != "ok" or not now.sync_linked:
            self._delete_media(int(media["id"]), op.entity_id)  # removed while it went up
            self._finish(op)
            return
        self._finish(
            op,
            "UPDATE media SET remote_id = :r, upload_state = 'done' WHERE id = :m",
            {"r": int(media["id"]), "m": op.entity_id},
        )

    def _send(
        self, op: _Op, payload: dict[str, Any], upload: UploadFile, gallery_rid: int
    ) -> dict[str, Any]:
        """Start (or find again) the upload and send what the server does not have yet."""
        upload_id = payload.get("upload_id")
        status: dict[str, Any] | None = None
        if upload_id:
            try:
                status = self.api.upload_status(str(upload_id))
            except NotFound:
                status = None  # expired on the server: start again (same key: replayed or new)
        if status is None:
            status = self.api.start_upload(gallery_rid, upload.meta(), op.key)
            if status.get("status") == "duplicate":
                return dict(status["media"])
            payload = {**payload, "upload_id": status["upload_id"], "sha256": upload.sha256}
            self._save_payload(op, payload)
        if status.get("status") == "created":
            return dict(status["media"])
        offset = int(status.get("offset", 0))
        upload_id = str(payload["upload_id"])
        restarted = False
        conflicts = 0
        with open(upload.path, "rb") as f:
            while True:
                f.seek(offset)
                chunk = f.read(CHUNK)
                if not chunk and offset < upload.size:
                    raise UserFacingError("the file to upload got shorter while it was sent")
                if self._should_stop():
                    raise _StoppedError  # between chunks: the server keeps what it has
                try:
                    answer = self.api.send_chunk(upload_id, offset, chunk)
                except OffsetConflict as exc:
                    conflicts += 1
                    if conflicts > 20:  # the server keeps disagreeing: try again later
                        raise RemoteError(
                            "the gallery service keeps disagreeing about how much of the "
                            "file it has; the upload will be tried again later",
                            retryable=True,
                        ) from exc
                    offset = int(exc.offset)
                    continue
                except RemoteError as exc:
                    if exc.code != "checksum_mismatch" or restarted:
                        raise
                    restarted, offset = True, 0  # the server starts over at 0: so do we
                    continue
                if answer.get("status") == "created":
                    return dict(answer["media"])
                offset = int(answer["offset"])
                if not chunk:
                    raise UserFacingError("the server did not accept the last part of the upload")
