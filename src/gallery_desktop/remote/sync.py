"""The outbox worker: pushes queued changes to the remote, in order per object, resumably.

No Qt. Every step that the remote has done is recorded locally in one short transaction (a
created object's remote id, an upload's id) before the next step, and every request that
creates something carries the operation's idempotency key, so a crash or a `kill -9` at any
point resumes without duplicates: a retried create is answered with the first answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.watermark import WatermarkError
from gallery_desktop.remote.errors import (
    NetworkError,
    NotFound,
    OffsetConflict,
    RemoteError,
    SessionExpired,
    ValidationFailed,
)
from gallery_desktop.remote.link_ops import LinkOps, relink_statements
from gallery_desktop.remote.queue import Op, OutboxQueue
from gallery_desktop.remote.rendition import UploadFile, forget_upload, prepare_upload
from gallery_desktop.remote.settings_ops import SettingsOps, override_body
from gallery_desktop.remote.sync_common import NotReadyError, RemoteApi

log = logging.getLogger(__name__)

CHUNK = 256 * 1024


@dataclass
class SyncReport:
    done: int = 0
    failed: list[str] = field(default_factory=list)  # "upload media 12: why"
    waiting: int = 0  # retryable failures, to be tried again later
    stopped: str | None = None  # why the run stopped early, in words
    stop_kind: str | None = None  # "stopped" | "busy" | "signed_out" | "offline" | "wait"


class _StoppedError(Exception):
    """Asked to stop in the middle of an upload: it resumes from the server's offset later."""


class SyncWorker(SettingsOps, LinkOps):
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
        self.queue = OutboxQueue(catalog)
        self._should_stop: Callable[[], bool] = lambda: False

    # -- the queue ---------------------------------------------------------------------------

    # -- running -----------------------------------------------------------------------------

    def pending(self) -> int:
        return self.queue.pending()

    def _drain_lock(self) -> AbstractContextManager[bool]:
        return self.queue.drain_lock()

    def run_once(self, should_stop: Callable[[], bool] = lambda: False) -> SyncReport:
        """Push everything that can go now; returns when nothing more is ready.

        One worker at a time per catalogue (the app, the CLI): a second one returns at once
        with `stopped` saying so."""
        with self.queue.drain_lock() as mine:
            if not mine:
                return SyncReport(
                    stopped="another window or process is syncing right now", stop_kind="busy"
                )
            self._should_stop = should_stop
            try:
                return self._drain(should_stop)
            finally:
                self._should_stop = lambda: False

    def _drain(self, should_stop: Callable[[], bool]) -> SyncReport:
        report = SyncReport()
        tried: set[int] = set()  # an op that failed for now is not tried again in this run
        while not should_stop():
            progressed = False
            for first in self.queue.candidates():
                op: Op | None = first
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
                    op = self.queue.next_of(op)
            if not progressed:
                break
        if should_stop():
            report.stopped, report.stop_kind = "stopped", "stopped"
        return report

    def _attempt(self, op: Op, report: SyncReport) -> str:
        """Run one op: "done", "not_ready", "retry", "failed" or "stop" (end the run)."""
        try:
            self._run(op)
        except NotReadyError as exc:
            self.queue.note(op, str(exc))
            return "not_ready"
        except _StoppedError:
            report.stopped, report.stop_kind = "stopped", "stopped"
            return "stop"
        except SessionExpired as exc:
            report.stopped, report.stop_kind = str(exc), "signed_out"
            return "stop"
        except RemoteError as exc:
            if not exc.retryable:
                self.queue.fail(op, str(exc))
                report.failed.append(f"{op.describe()}: {exc}")
                return "failed"
            self.queue.retry_later(op, exc, self.rng)
            report.waiting += 1
            self.progress(f"{op.describe()}: {exc} (will retry)")
            if isinstance(exc, NetworkError) or exc.retry_after is not None:
                # Offline, or the server asked everyone to wait: the rest waits too.
                report.stopped = str(exc)
                report.stop_kind = "offline" if isinstance(exc, NetworkError) else "wait"
                return "stop"
            return "retry"
        except (DecodeError, WatermarkError, UserFacingError, OSError) as exc:
            self.queue.fail(op, str(exc))
            report.failed.append(f"{op.describe()}: {exc}")
            return "failed"
        report.done += 1
        self.progress(f"{op.describe()}: done")
        return "done"

    def _run(self, op: Op) -> None:
        handler = getattr(self, f"_{op.entity}_{op.op}", None)
        if handler is None:
            raise UserFacingError(f"unknown operation {op.describe()}")
        handler(op)

    # -- collections -------------------------------------------------------------------------

    @staticmethod
    def _collection_body(c: Any) -> dict[str, Any]:
        return {
            "name": c.name,
            "description": c.description or "",
            "event_date": c.event_date,
            "status": c.status,
        }

    def _take_back(self, path: str, op: Op) -> None:
        """The object was deleted locally, but its create may have reached the server (a lost
        answer, a crash): replay the create (same key: the server answers what it did) and
        delete what it made."""
        sent = op.payload.get("sent")
        if isinstance(sent, dict):
            created = self.api.post(path, sent, op.key)
            self._delete_remote(op, created)
        self.queue.finish(op)

    def _delete_remote(self, op: Op, created: Any) -> None:
        kind = {"collection": "collections", "gallery": "galleries"}[op.entity]
        with contextlib.suppress(NotFound):
            self.api.delete(f"/{kind}/{int(created['id'])}")

    def _queue_update_if_changed(self, op: Op, sent: dict[str, Any], now: dict[str, Any]) -> None:
        if any(k != "status" and sent.get(k) != now.get(k) for k in sent):
            self.queue.enqueue_update(op)

    def _collection_create(self, op: Op) -> None:
        c = self._collection(op.entity_id)
        if c is not None and c.remote_id is not None:
            self.queue.finish(op)
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
            self.queue.finish(op)
            return
        self.queue.finish(
            op,
            "UPDATE collection SET remote_id = :r WHERE id = :c",
            {"r": int(created["id"]), "c": op.entity_id},
        )
        self._queue_update_if_changed(op, sent, self._collection_body(now))

    def _collection_update(self, op: Op) -> None:
        found = self._remote_collection(op)
        if found:
            c, rid = found
            self.api.put(f"/collections/{rid}", self._collection_body(c))
            self.queue.finish(op)

    def _delete_recorded(self, op: Op, kind: str) -> None:
        """Delete the remote object the trigger recorded (`payload.remote_id`)."""
        rid = op.payload.get("remote_id")
        if rid is not None:
            with contextlib.suppress(NotFound):  # gone already: what we wanted
                self.api.delete(f"/{kind}/{int(rid)}")
        self.queue.finish(op)

    def _collection_delete(self, op: Op) -> None:
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
        return {
            "name": g.name,
            "position": g.position,
            "private": bool(g.private),
            "download_override": override_body(g.download_override_json),
        }

    def _gallery_create(self, op: Op) -> None:
        g = self._gallery(op.entity_id)
        if g is not None and g.remote_id is not None:
            self.queue.finish(op)
            return
        if g is None or g.deleted_at is not None or not g.sync_linked:
            parent = op.payload.get("parent")
            if parent is not None:
                self._take_back(f"/collections/{int(parent)}/galleries", op)
            else:
                self.queue.finish(op)
            return
        if g.collection_remote_id is None:
            raise NotReadyError("waiting for the collection to be created on the service")
        parent = int(g.collection_remote_id)
        if op.payload.get("parent") is None:
            self.queue.save_payload(op, {**op.payload, "parent": parent})
            op = dataclasses.replace(op, payload={**op.payload, "parent": parent})
        sent = self._sent_body(op, self._gallery_body(g))
        created = self.api.post(f"/collections/{parent}/galleries", sent, op.key)
        now = self._gallery(op.entity_id)
        if now is None or now.deleted_at is not None or not now.sync_linked:
            self._delete_remote(op, created)
            self.queue.finish(op)
            return
        self.queue.finish(
            op,
            "UPDATE gallery SET remote_id = :r WHERE id = :g",
            {"r": int(created["id"]), "g": op.entity_id},
        )
        self._queue_update_if_changed(op, sent, self._gallery_body(now))

    def _gallery_update(self, op: Op) -> None:
        g = self._gallery(op.entity_id)
        if g is None or g.deleted_at is not None or not g.sync_linked:
            self.queue.finish(op)
            return
        if g.remote_id is None:
            raise NotReadyError("waiting for the gallery to be created on the service")
        self.api.put(f"/galleries/{int(g.remote_id)}", self._gallery_body(g))
        self.queue.finish(op)

    def _gallery_delete(self, op: Op) -> None:
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

    def _media_delete(self, op: Op) -> None:
        rid = op.payload.get("remote_id")
        if rid is not None:
            self._delete_media(int(rid), op.entity_id)
        self.queue.finish(
            op,
            "UPDATE media SET remote_id = NULL, upload_state = NULL "
            "WHERE id = :m AND remote_id = :r",
            {"m": op.entity_id, "r": rid},
        )

    def _abandon_upload(self, op: Op) -> None:
        """The photo is gone (or unpublished): an upload of it that may have finished on the
        server (a lost answer, a crash) is taken back."""
        upload_id = op.payload.get("upload_id")
        if upload_id:
            with contextlib.suppress(NotFound):
                status = self.api.upload_status(str(upload_id))
                made = status.get("media") if status.get("status") == "created" else None
                # (new bytes for the photo's own remote media stay: its delete sends that)
                if made and int(made["id"]) != op.payload.get("swap"):
                    self._delete_media(int(made["id"]), op.entity_id)
        forget_upload(self.cache, op.key)
        self.queue.finish(op)

    def _media_upload(self, op: Op) -> None:
        m = self._media(op.entity_id)
        if m is None or m.state != "ok" or m.deleted_at is not None or not m.sync_linked:
            self._abandon_upload(op)  # gone or broken since: nothing to send
            return
        if m.gallery_remote_id is None:
            raise NotReadyError("waiting for the gallery to be created on the service")
        payload = dict(op.payload)
        if m.remote_id is not None and payload.get("replaces") is None and "swap" not in payload:
            # Sent again (a new rendition, an edited file): the service swaps the bytes of the
            # media it has (`replaces`), which keeps its id, favourites, downloads and links.
            payload["swap"] = int(m.remote_id)
            self.queue.save_payload(op, payload)
        if payload.get("swap") is not None and not self._shared(int(payload["swap"]), m.id):
            try:
                self._send_media(op, payload, m)
                return
            except ValidationFailed as exc:
                if "replaces" not in exc.fields:
                    raise
                # Not media of this gallery (moved), or gone: delete and send anew, under a
                # new key (the refused start is kept under the old one).
                forget_upload(self.cache, op.key)
                swap = payload["swap"]
                payload = {"replaces": swap, "replaced": swap, "swap": None}
                op = self.queue.rotate_key(op, payload)
        elif payload.get("swap") is not None:
            # Another photo here is the same remote media (identical files): it stays as it
            # is, and this one gets its own copy.
            payload = {"replaced": payload["swap"], "swap": None}
            op = self.queue.rotate_key(op, payload)
        if payload.get("replaces") is not None:
            self._delete_media(int(payload["replaces"]), op.entity_id)
            with self.catalog.write_conn() as conn:
                conn.execute(
                    text("UPDATE media SET remote_id = NULL WHERE id = :m AND remote_id = :r"),
                    {"m": op.entity_id, "r": payload["replaces"]},
                )
            payload["replaces"] = None
            self.queue.save_payload(op, payload)
        self._send_media(op, payload, m)

    def _send_media(self, op: Op, payload: dict[str, Any], m: Any) -> None:
        """Prepare the file and send it (new media, or `swap`'s bytes replaced in place)."""
        swap = payload.get("swap")
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
                    made = status.get("media") if status.get("status") == "created" else None
                    if made and int(made["id"]) != swap:  # (a swap's media stays: ours)
                        self._delete_media(int(made["id"]), op.entity_id)
            forget_upload(self.cache, old.key)
            kept: dict[str, Any] = {k: payload[k] for k in ("swap", "replaced") if k in payload}
            payload = {"sha256": upload.sha256, **kept}
            op = self.queue.rotate_key(op, payload)
            upload = prepare_upload(self.catalog, op.entity_id, self.cache, op.key)
            if upload is None:
                self._abandon_upload(op)
                return
        if payload.get("sha256") is None:
            # Recorded before the start: should a crash lose the answer (a duplicate saves
            # nothing else) and the rendition come out different next time, the key changes
            # with it (the same key with another body would be refused).
            payload = {**payload, "sha256": upload.sha256}
            self.queue.save_payload(op, payload)
        media = self._send(op, payload, upload, int(m.gallery_remote_id))
        forget_upload(self.cache, op.key)
        now = self._media(op.entity_id)
        if now is None or now.state != "ok" or not now.sync_linked:
            self._delete_media(int(media["id"]), op.entity_id)  # removed while it went up
            self.queue.finish(
                op,
                "UPDATE media SET remote_id = NULL WHERE id = :m AND remote_id = :r",
                {"m": op.entity_id, "r": int(media["id"])},
            )
            return
        # A swap keeps the media's id; should the service have made new media all the same (the
        # replaced one deleted there meanwhile), its links and cover are made again.
        replaced = payload.get("replaced", op.payload.get("replaced")) or swap
        self.queue.finish(
            op,
            "UPDATE media SET remote_id = :r, upload_state = 'done' WHERE id = :m",
            {"r": int(media["id"]), "m": op.entity_id},
            more=relink_statements(op, int(media["id"]), replaced),
        )

    def _send(
        self, op: Op, payload: dict[str, Any], upload: UploadFile, gallery_rid: int
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
            meta = upload.meta()
            if payload.get("swap") is not None:
                meta["replaces"] = int(payload["swap"])
            status = self.api.start_upload(gallery_rid, meta, op.key)
            if status.get("status") == "duplicate":
                return dict(status["media"])
            payload = {**payload, "upload_id": status["upload_id"], "sha256": upload.sha256}
            self.queue.save_payload(op, payload)
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
