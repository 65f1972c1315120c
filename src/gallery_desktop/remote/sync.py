"""The outbox worker: pushes queued changes to the remote, in order per object, resumably.

No Qt. Every step that the remote has done is recorded locally in one short transaction (a
created object's remote id, an upload's id) before the next step, and every request that
creates something carries the operation's idempotency key, so a crash or a `kill -9` at any
point resumes without duplicates: a retried create is answered with the first answer.
"""

from __future__ import annotations

import contextlib
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
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.watermark import WatermarkError
from gallery_desktop.remote.errors import NotFound, OffsetConflict, RemoteError, SessionExpired
from gallery_desktop.remote.outbox import new_key
from gallery_desktop.remote.rendition import UploadFile, forget_upload, prepare_upload

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_BACKOFF = 600.0


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
    stopped: str | None = None  # why the run stopped early (signed out, cancelled)


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
    """The op cannot run yet (its parent is not on the remote yet)."""


def _size(local: str) -> str:
    """Download size names: the catalogue's `web2048` is the contract's `web_2048`."""
    return f"web_{local[3:]}" if local.startswith("web") and local[3:].isdigit() else local


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait: what the server asked, else exponential with ±50 % jitter."""
    if retry_after is not None:
        return min(MAX_BACKOFF, max(0.0, retry_after))
    return min(MAX_BACKOFF, 2.0 ** min(attempts, 10)) * rng.uniform(0.5, 1.5)


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
                return SyncReport(stopped="another window or process is syncing right now")
            return self._drain(should_stop)

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
        while not should_stop():
            ready = self._candidates()
            progressed = False
            for op in ready:
                if should_stop():
                    break
                try:
                    self._run(op)
                except _NotReadyError:
                    continue
                except SessionExpired as exc:
                    report.stopped = str(exc)
                    return report
                except RemoteError as exc:
                    if exc.retryable:
                        self._retry_later(op, exc)
                        report.waiting += 1
                        self.progress(f"{op.describe()}: {exc} (will retry)")
                    else:
                        self._fail(op, str(exc))
                        report.failed.append(f"{op.describe()}: {exc}")
                    progressed = True
                    continue
                except (DecodeError, WatermarkError, UserFacingError, OSError) as exc:
                    self._fail(op, str(exc))
                    report.failed.append(f"{op.describe()}: {exc}")
                    progressed = True
                    continue
                report.done += 1
                progressed = True
                self.progress(f"{op.describe()}: done")
            if not progressed:
                break
        if should_stop():
            report.stopped = "stopped"
        return report

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

    def _collection_create(self, op: _Op) -> None:
        c = self._collection(op.entity_id)
        if c is None:
            self._finish(op)  # deleted before it was ever published
            return
        if c.remote_id is not None:
            self._finish(op)
            return
        created = self.api.post("/collections", self._collection_body(c), op.key)
        self._finish(
            op,
            "UPDATE collection SET remote_id = :r WHERE id = :c",
            {"r": int(created["id"]), "c": op.entity_id},
        )

    def _remote_collection(self, op: _Op) -> tuple[Any, int] | None:
        c = self._collection(op.entity_id)
        if c is None:
            self._finish(op)
            return None
        if c.remote_id is None:
            raise _NotReadyError
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
                **({"expiry_date": c.expiry_date} if c.expiry_date else {}),
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
        self._finish(op)

    def _collection_delete(self, op: _Op) -> None:
        rid = op.payload.get("remote_id")
        if rid is not None:
            with contextlib.suppress(NotFound):  # gone already: what we wanted
                self.api.delete(f"/collections/{int(rid)}")
        self._finish(op)

    # -- galleries ---------------------------------------------------------------------------

    def _gallery(self, gid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT g.*, c.remote_id AS collection_remote_id FROM gallery g "
                    "JOIN collection c ON c.id = g.collection_id WHERE g.id = :g"
                ),
                {"g": gid},
            ).first()

    def _gallery_create(self, op: _Op) -> None:
        g = self._gallery(op.entity_id)
        if g is None or g.deleted_at is not None or g.remote_id is not None:
            self._finish(op)
            return
        if g.collection_remote_id is None:
            raise _NotReadyError
        created = self.api.post(
            f"/collections/{int(g.collection_remote_id)}/galleries",
            {"name": g.name, "position": g.position, "private": bool(g.private)},
            op.key,
        )
        self._finish(
            op,
            "UPDATE gallery SET remote_id = :r WHERE id = :g",
            {"r": int(created["id"]), "g": op.entity_id},
        )

    def _gallery_update(self, op: _Op) -> None:
        g = self._gallery(op.entity_id)
        if g is None or g.deleted_at is not None:
            self._finish(op)
            return
        if g.remote_id is None:
            raise _NotReadyError
        body = {"name": g.name, "position": g.position, "private": bool(g.private)}
        self.api.put(f"/galleries/{int(g.remote_id)}", body)
        self._finish(op)

    def _gallery_delete(self, op: _Op) -> None:
        rid = op.payload.get("remote_id")
        if rid is not None:
            with contextlib.suppress(NotFound):
                self.api.delete(f"/galleries/{int(rid)}")
        self._finish(op)

    # -- media -------------------------------------------------------------------------------

    def _media(self, mid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT m.id, m.state, m.remote_id, m.gallery_id, g.remote_id AS "
                    "gallery_remote_id, g.deleted_at FROM media m JOIN gallery g "
                    "ON g.id = m.gallery_id WHERE m.id = :m"
                ),
                {"m": mid},
            ).first()

    def _media_delete(self, op: _Op) -> None:
        rid = op.payload.get("remote_id")
        if rid is not None:
            with contextlib.suppress(NotFound):
                self.api.delete(f"/media/{int(rid)}")
        self._finish(
            op,
            "UPDATE media SET remote_id = NULL, upload_state = NULL "
            "WHERE id = :m AND remote_id = :r",
            {"m": op.entity_id, "r": rid},
        )

    def _media_upload(self, op: _Op) -> None:
        m = self._media(op.entity_id)
        if m is None or m.state != "ok" or m.deleted_at is not None:
            forget_upload(self.cache, op.key)
            self._finish(op)  # gone or broken since: nothing to send
            return
        if m.gallery_remote_id is None:
            raise _NotReadyError
        payload = dict(op.payload)
        if m.remote_id is not None and payload.get("replaces") is None:
            # A changed or moved photo: the old copy goes first (recorded, so a crash after the
            # delete does not delete the new one later).
            payload["replaces"] = int(m.remote_id)
            self._save_payload(op, payload)
        if payload.get("replaces") is not None:
            with contextlib.suppress(NotFound):
                self.api.delete(f"/media/{int(payload['replaces'])}")
            with self.catalog.write_conn() as conn:
                conn.execute(
                    text("UPDATE media SET remote_id = NULL WHERE id = :m AND remote_id = :r"),
                    {"m": op.entity_id, "r": payload["replaces"]},
                )
            payload["replaces"] = None
            self._save_payload(op, payload)
        upload = prepare_upload(self.catalog, op.entity_id, self.cache, op.key)
        if upload is None:
            forget_upload(self.cache, op.key)
            self._finish(op)
            return
        if payload.get("sha256") not in (None, upload.sha256):
            # The file changed between two attempts: a new upload under a new key.
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
        media = self._send(op, payload, upload, int(m.gallery_remote_id))
        forget_upload(self.cache, op.key)
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
        with open(upload.path, "rb") as f:
            while True:
                f.seek(offset)
                chunk = f.read(CHUNK)
                if not chunk and offset < upload.size:
                    raise UserFacingError("the file to upload got shorter while it was sent")
                try:
                    answer = self.api.send_chunk(upload_id, offset, chunk)
                except OffsetConflict as exc:
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
