"""Grid thumbnails for catalogued photos, made on all cores from the full image."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gallery_desktop.catalog.models import MediaState, utcnow
from gallery_desktop.ingest.parallel import CancelToken, run_parallel
from gallery_desktop.ingest.probe import READ_WHOLE_LIMIT, hash_bytes
from gallery_desktop.media.decode import DecodeError, explain
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize, encode_jpeg, render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThumbnailJob:
    media_id: int
    path: bytes
    content_hash: str


@dataclass(frozen=True)
class ThumbnailOutcome:
    job: ThumbnailJob
    error: str | None = None  # the image cannot be decoded: the media becomes `error`
    stale: bool = False  # the file changed since it was probed: the next scan redoes it
    skipped: bool = False  # too big to thumbnail during import; made on demand instead

    def row_values(self) -> dict[str, Any]:
        row: dict[str, Any] = {"_id": self.job.media_id, "updated_at": utcnow()}
        if self.stale:
            row["thumb_state"] = "pending"
        elif self.skipped:
            row["thumb_state"] = "none"
        elif self.error:
            row.update(thumb_state="failed", state=MediaState.ERROR.value, error=self.error)
        else:
            row["thumb_state"] = "ok"
        return row


def thumbnail_one(job: ThumbnailJob, cache: ThumbnailCache) -> ThumbnailOutcome:
    if cache.has(job.content_hash, ThumbSize.GRID):
        return ThumbnailOutcome(job)
    try:
        with open(job.path, "rb") as f:
            if os.fstat(f.fileno()).st_size > READ_WHOLE_LIMIT:
                return ThumbnailOutcome(job, skipped=True)  # previews of giants: on demand
            data = f.read()
    except OSError as exc:
        return (
            ThumbnailOutcome(job, stale=True)
            if isinstance(exc, FileNotFoundError)
            else (ThumbnailOutcome(job, error=f"cannot read the file ({exc.strerror or exc})"))
        )
    if hash_bytes(data) != job.content_hash:
        return ThumbnailOutcome(job, stale=True)
    try:
        jpeg = encode_jpeg(render(data, int(ThumbSize.GRID)))
    except DecodeError as exc:
        return ThumbnailOutcome(job, error=str(exc))
    except Exception as exc:  # a decoder bug must cost one file, not the import
        log.exception("unexpected failure making a thumbnail of %r", job.path)
        return ThumbnailOutcome(job, error=explain(exc))
    cache.put(job.content_hash, ThumbSize.GRID, jpeg)
    return ThumbnailOutcome(job)


def make_thumbnails(
    jobs: Iterable[ThumbnailJob],
    cache: ThumbnailCache,
    *,
    workers: int | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[ThumbnailOutcome]:
    for _job, outcome in run_parallel(
        lambda j: thumbnail_one(j, cache), jobs, workers=workers, cancel=cancel
    ):
        yield outcome


def ensure_picture(
    path: bytes, content_hash: str, kind: str, cache: ThumbnailCache, size: ThumbSize
) -> Path | None:
    """The cached picture of one media at `size`, made now if missing (for the loupe).

    Photos are decoded at the scale needed; videos and RAW files have only the picture
    made at import (a frame, or the camera's preview), which is returned instead.
    Returns None when nothing can be shown; never raises for bad content.
    """
    have = cache.get(content_hash, size)
    if have is not None:
        return have
    if kind != "photo" or size is ThumbSize.EMBEDDED:
        return cache.best(content_hash)
    try:
        with open(path, "rb") as f:
            data = f.read()
        if hash_bytes(data) != content_hash:
            return None  # changed on disk since the last scan
        return cache.put(content_hash, size, encode_jpeg(render(data, int(size))))
    except (OSError, DecodeError) as exc:
        log.info("no %s picture for %r: %s", size.name.lower(), path, exc)
        return cache.best(content_hash)
