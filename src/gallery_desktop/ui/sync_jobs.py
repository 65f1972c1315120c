"""The sync panel's work off the GUI thread, and how it names the queue's operations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlmodel import col, select

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery, Media, utcnow
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.errors import RemoteError, SessionExpired
from gallery_desktop.remote.outbox import QueuedOp
from gallery_desktop.remote.pull import PullReport, pull_all
from gallery_desktop.remote.sync import SyncReport, SyncWorker

log = logging.getLogger(__name__)


_VERBS: Final = {
    ("collection", "create"): "Create collection",
    ("collection", "update"): "Update collection",
    ("collection", "settings"): "Send the settings of",
    ("collection", "delete"): "Delete collection",
    ("gallery", "create"): "Create gallery",
    ("gallery", "update"): "Update gallery",
    ("gallery", "delete"): "Delete gallery",
    ("media", "upload"): "Upload",
    ("media", "delete"): "Remove",
}


@dataclass(frozen=True)
class SyncStep:
    """Progress of a run: operations done so far of those pending at its start."""

    done: int
    total: int
    line: str


@dataclass(frozen=True)
class SyncOutcome:
    report: SyncReport | None  # None: the service could not be reached, nothing was tried
    offline: str = ""


def run_sync(
    open_api: Callable[[], GalleryApi],
    catalog: Catalog,
    upload_cache: Any,
    should_stop: Callable[[], bool],
    report: Callable[[Any], None],
) -> SyncOutcome:
    """One sync run (worker thread). A light request first: offline, the queue is left alone
    (its operations gain no attempts just because the laptop is offline)."""
    with open_api() as api:
        try:
            api.bootstrap()
        except RemoteError as exc:
            if isinstance(exc, SessionExpired) or not exc.retryable:
                raise
            return SyncOutcome(None, str(exc))
        done = 0

        def step(line: str) -> None:
            nonlocal done
            if line.endswith(": done"):
                done += 1
            report(SyncStep(done, total, line))

        worker = SyncWorker(catalog, api, upload_cache, progress=step)
        total = worker.pending()
        report(SyncStep(0, total, ""))
        return SyncOutcome(worker.run_once(should_stop))


def run_pull(open_api: Callable[[], GalleryApi], catalog: Catalog, server: str) -> PullReport:
    with open_api() as api:
        return pull_all(catalog, api, server)


def op_names(catalog: Catalog, ops: Iterable[QueuedOp]) -> dict[tuple[str, int], str]:
    """Names of what the operations are about: collections, galleries, file names."""
    wanted: dict[str, set[int]] = {"collection": set(), "gallery": set(), "media": set()}
    for op in ops:
        wanted.setdefault(op.entity, set()).add(op.entity_id)
        if op.collection_id is not None:
            wanted["collection"].add(op.collection_id)
    names: dict[tuple[str, int], str] = {}
    with catalog.read() as session:
        if wanted["collection"]:
            for cid, name in session.exec(
                select(col(Collection.id), col(Collection.name)).where(
                    col(Collection.id).in_(wanted["collection"])
                )
            ):
                names["collection", int(cid or 0)] = name
        if wanted["gallery"]:
            for gid, name in session.exec(
                select(col(Gallery.id), col(Gallery.name)).where(
                    col(Gallery.id).in_(wanted["gallery"])
                )
            ):
                names["gallery", int(gid or 0)] = name
        if wanted["media"]:
            for mid, rel in session.exec(
                select(col(Media.id), col(Media.rel_path)).where(col(Media.id).in_(wanted["media"]))
            ):
                names["media", int(mid or 0)] = display_name(rel.rsplit(b"/", 1)[-1])
    return names


def describe_op(op: QueuedOp, names: dict[tuple[str, int], str]) -> str:
    verb = _VERBS.get((op.entity, op.op), f"{op.op.title()} {op.entity}")
    name = names.get((op.entity, op.entity_id))
    return f"{verb} “{name}”" if name else f"{verb} #{op.entity_id}"


def _due(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _seconds_until(value: str | None) -> float | None:
    due = _due(value)
    if due is None:
        return None
    return (due - utcnow().replace(tzinfo=None)).total_seconds()


def _in(seconds: float) -> str:
    if seconds < 1:
        return "now"
    if seconds < 90:
        return f"in {round(seconds)} s"
    return f"in {round(seconds / 60)} min"
