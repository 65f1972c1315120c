"""An export run: render on all cores, write in order into the target, report what happened."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.export.items import ExportItem, ExportPlan, ExportRequest, plan_export
from gallery_desktop.export.targets import ExportTarget, FolderTarget, ZipTarget
from gallery_desktop.ingest.parallel import CancelToken, run_parallel
from gallery_desktop.ingest.probe import READ_WHOLE_LIMIT
from gallery_desktop.media.decode import DecodeError, explain
from gallery_desktop.media.export import (
    ExportSettings,
    Rendition,
    VideoPolicy,
    needs_rendering,
    render_photo,
    render_raw,
)
from gallery_desktop.media.safe_names import (
    DEFAULT_PATTERN,
    check_pattern,
    expand_pattern,
    split_extension,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int
    current: str | None = None


@dataclass
class ExportSummary:
    target: str | None = None  # the folder or the zip file
    written: list[str] = field(default_factory=list)  # names inside the target
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (media, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (media, why)
    clean_videos: int = 0  # copied although a watermark was asked (videos cannot carry one)
    watermark: str = "none"
    cancelled: bool = False
    bytes_written: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "written": len(self.written),
            "files": self.written,
            "skipped": [{"media": m, "reason": r} for m, r in self.skipped],
            "failed": [{"media": m, "reason": r} for m, r in self.failed],
            "clean_videos": self.clean_videos,
            "watermark": self.watermark,
            "cancelled": self.cancelled,
            "bytes": self.bytes_written,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Outcome:
    rendition: Rendition | None = None
    skip: str | None = None
    error: str | None = None


def _read(path: bytes) -> bytes | Any:
    size = os.path.getsize(path)
    if size <= READ_WHOLE_LIMIT:
        with open(path, "rb") as f:
            return f.read()
    return open(path, "rb")  # closed by the caller


def _render(item: ExportItem, settings: ExportSettings) -> _Outcome:
    """Make one item's rendition. Never raises: every failure is an outcome."""
    if item.kind == "video":
        if settings.videos is VideoPolicy.SKIP:
            return _Outcome(skip="video (this export skips videos)")
        return _Outcome(Rendition(None, ""))
    if item.state == "missing":
        return _Outcome(skip="the file is missing on disk")
    if not needs_rendering(settings, item.watermark):
        if not os.path.exists(item.source):
            return _Outcome(error="the file is missing on disk")
        return _Outcome(Rendition(None, ""))
    try:
        if item.is_raw:
            return _Outcome(render_raw(item.source, settings, item.watermark, item.tokens))
        source = _read(item.source)
        try:
            return _Outcome(render_photo(source, settings, item.watermark, item.tokens))
        finally:
            if hasattr(source, "close"):
                source.close()
    except FileNotFoundError:
        return _Outcome(error="the file is missing on disk")
    except OSError as exc:
        return _Outcome(error=f"cannot read the file ({exc.strerror or exc})")
    except DecodeError as exc:
        return _Outcome(error=str(exc))
    except MemoryError:
        return _Outcome(error="not enough memory to decode this image")
    except Exception as exc:  # a decoder bug costs one photo, not the export
        log.exception("unexpected failure exporting %r", item.source)
        return _Outcome(error=explain(exc))


def _output_name(
    item: ExportItem, settings: ExportSettings, pattern: str, total: int
) -> tuple[str, str]:
    """(stem, extension) of an item's file in the target: a copy keeps its own extension."""
    values = {
        "stem": item.stem,
        "gallery": item.gallery,
        "collection": item.tokens.collection,
        "date": (item.taken_at or "")[:10] or "undated",
        "index": str(item.index).zfill(max(3, len(str(total)))),
        "rating": str(item.rating),
    }
    stem = expand_pattern(pattern, values)
    copied = item.kind == "video" or not needs_rendering(settings, item.watermark)
    return stem, (split_extension(item.filename)[1] if copied else "jpg")


def run_export(
    catalog: Catalog,
    request: ExportRequest,
    settings: ExportSettings,
    out_dir: Path,
    *,
    zip_file: bool = False,
    pattern: str = DEFAULT_PATTERN,
    progress: Callable[[ExportProgress], None] | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> ExportSummary:
    """Export what `request` selects into `out_dir` (or a zip in it). Originals are only read.

    On cancel, or when the target cannot be written, everything this run wrote is removed.
    """
    problem = check_pattern(pattern)
    if problem:
        raise BadInputError(problem)
    started = time.monotonic()
    plan: ExportPlan = plan_export(catalog, request)
    summary = ExportSummary(watermark=plan.watermark_label)
    target: ExportTarget
    if zip_file:
        target = ZipTarget(out_dir, f"{plan.collection} - {settings.preset.label}")
    else:
        target = FolderTarget(out_dir)
    total = len(plan.items)
    # Names are given out in the order of the grid before anything runs, so which of two
    # same-named photos gets " (2)" never depends on which finished first.
    names = {
        item.index: target.planner.reserve(
            [item.gallery] if plan.gallery_folders else [],
            *_output_name(item, settings, pattern, total),
        )
        for item in plan.items
        if not (item.kind == "video" and settings.videos is VideoPolicy.SKIP)
    }
    if progress:
        progress(ExportProgress(0, total))
    done = 0
    try:
        for item, outcome in run_parallel(
            lambda it: _render(it, settings), plan.items, workers=workers, cancel=cancel
        ):
            done += 1
            _write(item, outcome, target, names.get(item.index, ""), summary)
            if progress:
                progress(ExportProgress(done, total, item.display))
        if cancel is not None and cancel.cancelled:
            summary.cancelled = True
            target.abort()
            summary.written.clear()
            summary.bytes_written = 0
        else:
            summary.target = str(target.commit())
    except OSError as exc:
        target.abort()
        raise UserFacingError(
            f"export stopped: cannot write to {target.location} ({exc.strerror or exc}); "
            "nothing of this export was kept"
        ) from exc
    except BaseException:
        target.abort()
        raise
    summary.seconds = time.monotonic() - started
    return summary


def _write(
    item: ExportItem, outcome: _Outcome, target: ExportTarget, name: str, summary: ExportSummary
) -> None:
    if outcome.skip:
        summary.skipped.append((item.display, outcome.skip))
        return
    if outcome.error or outcome.rendition is None:
        summary.failed.append((item.display, outcome.error or "nothing to export"))
        return
    source = None if outcome.rendition.data is not None else item.source
    try:
        name = target.put(name, outcome.rendition.data, source)
    except FileNotFoundError:
        if source is not None and not os.path.exists(source):  # gone while we were exporting
            summary.failed.append((item.display, "the file is missing on disk"))
            return
        raise
    summary.written.append(name)
    summary.bytes_written += (
        len(outcome.rendition.data)
        if outcome.rendition.data is not None
        else os.path.getsize(item.source)
    )
    if item.kind == "video" and item.watermark is not None:
        summary.clean_videos += 1
