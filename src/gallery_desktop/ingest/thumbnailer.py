"""Grid thumbnails for catalogued photos, made on all cores from the full image."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gallery_desktop.catalog.models import MediaState, utcnow
from gallery_desktop.ingest.filetypes import RAW_EXTENSIONS, FileClass, extension
from gallery_desktop.ingest.parallel import CancelToken, run_parallel
from gallery_desktop.ingest.probe import READ_WHOLE_LIMIT, hash_bytes, probe_file
from gallery_desktop.media.decode import DecodeError, explain
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize, encode_jpeg, render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThumbnailJob:
    media_id: int
    path: bytes
    content_hash: str
    size_bytes: int  # as catalogued: a file that differs has changed since it was read
    mtime_ns: int
    kind: str


@dataclass(frozen=True)
class ThumbnailOutcome:
    job: ThumbnailJob
    error: str | None = None  # the image cannot be decoded: the media becomes `error`
    stale: bool = False  # the file changed, or the cache could not be written: try again later
    no_picture: bool = False  # a video without frames, a RAW file without a preview

    @property
    def made(self) -> bool:
        return not (self.error or self.stale or self.no_picture)

    def row_values(self) -> dict[str, Any]:
        row: dict[str, Any] = {"_id": self.job.media_id, "updated_at": utcnow()}
        if self.stale:
            row["thumb_state"] = "pending"
        elif self.no_picture:
            row["thumb_state"] = "none"
        elif self.error:
            row.update(thumb_state="failed", state=MediaState.ERROR.value, error=self.error)
        else:
            row["thumb_state"] = "ok"
        return row


def _from_probe(job: ThumbnailJob) -> bytes | None:
    """Videos and RAW files: their picture is what probing finds (a frame, a preview)."""
    ext = extension(os.path.basename(job.path))
    file_class = FileClass.RAW if ext in RAW_EXTENSIONS else FileClass.VIDEO
    result = probe_file(job.path, file_class, job.size_bytes, job.mtime_ns)
    return result.thumbnails.get(ThumbSize.GRID)


def _render(job: ThumbnailJob) -> bytes | ThumbnailOutcome | None:
    with open(job.path, "rb") as f:
        st = os.fstat(f.fileno())
        if (st.st_size, st.st_mtime_ns) != (job.size_bytes, job.mtime_ns):
            return ThumbnailOutcome(job, stale=True)
        if job.kind == "video" or extension(os.path.basename(job.path)) in RAW_EXTENSIONS:
            return _from_probe(job)
        # Giants (over READ_WHOLE_LIMIT) are decoded from disk instead of from memory.
        source = f.read() if st.st_size <= READ_WHOLE_LIMIT else f
        return encode_jpeg(render(source, int(ThumbSize.GRID)))


def thumbnail_one(job: ThumbnailJob, cache: ThumbnailCache) -> ThumbnailOutcome:
    """Make one grid thumbnail. Never raises: every failure is an outcome."""
    if cache.has(job.content_hash, ThumbSize.GRID):
        return ThumbnailOutcome(job)
    try:
        made = _render(job)
    except FileNotFoundError:
        return ThumbnailOutcome(job, stale=True)  # gone since the scan: the next scan says so
    except OSError as exc:
        return ThumbnailOutcome(job, error=f"cannot read the file ({exc.strerror or exc})")
    except MemoryError:
        return ThumbnailOutcome(job, error="not enough memory to decode this image")
    except DecodeError as exc:
        return ThumbnailOutcome(job, error=str(exc))
    except Exception as exc:  # a decoder bug must cost one file, not the import
        log.exception("unexpected failure making a thumbnail of %r", job.path)
        return ThumbnailOutcome(job, error=explain(exc))
    if isinstance(made, ThumbnailOutcome):
        return made
    if made is None:
        return ThumbnailOutcome(job, no_picture=True)
    try:
        cache.put(job.content_hash, ThumbSize.GRID, made)
    except OSError as exc:  # a full disk or a broken cache folder is not the photo's fault
        log.warning("cannot write a thumbnail to the cache: %s", exc)
        return ThumbnailOutcome(job, stale=True)
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
