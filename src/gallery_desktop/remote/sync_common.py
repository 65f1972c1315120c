"""What the outbox worker and its op handlers (`settings_ops`, `link_ops`) share: the remote
API they need, the "not ready yet" signal, and the recorded body of a create."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.remote.queue import Op, OutboxQueue


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


class NotReadyError(Exception):
    """The op cannot run yet (its parent is not on the remote yet); the message says so."""


def contract_size(local: str) -> str:
    """Download size names: the catalogue's `web2048` is the contract's `web_2048`."""
    return f"web_{local[3:]}" if local.startswith("web") and local[3:].isdigit() else local


def iso_utc(value: object) -> str | None:
    """A catalogue timestamp (naive UTC, as text or datetime) as the contract writes it."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec) + "Z"


class WorkerBase:
    """The state every handler reaches through `self`."""

    catalog: Catalog
    api: RemoteApi
    queue: OutboxQueue

    def _sent_body(self, op: Op, body: dict[str, Any]) -> dict[str, Any]:
        """The body a create is sent with, recorded before the first try: a retry under the
        same idempotency key must send the very same request (edits made meanwhile follow
        as an update)."""
        sent = op.payload.get("sent")
        if isinstance(sent, dict):
            return sent
        self.queue.save_payload(op, {**op.payload, "sent": body})
        return body
