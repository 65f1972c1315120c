"""An export run: render on all cores, write in order into the target, report what happened."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watched import catalogued_folders
from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.export.items import ExportItem, ExportPlan, ExportRequest, plan_export
from gallery_desktop.export.targets import ExportTarget, FolderTarget, SourceError, ZipTarget
from gallery_desktop.ingest.parallel import CancelToken, run_parallel
from gallery_desktop.media.decode import DecodeError, explain
from gallery_desktop.media.export import (
    JPEG_FORMATS,
    ExportSettings,
    MetadataPolicy,
    Rendition,
    VideoPolicy,
    keeps_file_type,
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
from gallery_desktop.media.watermark import WatermarkError, WatermarkSpec, render_mark

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
    videos_with_metadata: int = 0  # copied as they are although the policy strips metadata
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
            "videos_with_metadata": self.videos_with_metadata,
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


# Pixels being decoded at once, all threads together: about 12 bytes each in flight (the
# decoded frame, its resized and watermarked copies), so ~1.8 GB however many cores there are.
# A photo bigger than the whole budget is decoded on its own.
MAX_PIXELS_IN_FLIGHT = 150_000_000
READ_WHOLE_LIMIT = 64 * 1024 * 1024  # bigger files are decoded from disk, not from memory


class PixelBudget:
    """Lets a worker start decoding only while the pixels in flight fit the budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        need = max(1, min(pixels, self.limit))
        with self._cond:
            self._cond.wait_for(lambda: self._used + need <= self.limit)
            self._used += need
        try:
            yield
        finally:
            with self._cond:
                self._used -= need
                self._cond.notify_all()


def decode_cost(item: ExportItem, settings: ExportSettings) -> int:
    """Pixels decoding this item takes: JPEGs shrink while decoding (1/2, 1/4, 1/8)."""
    pixels = item.pixels or 24_000_000  # unknown size: assume a common camera's
    long_edge = settings.preset.long_edge
    if item.format in JPEG_FORMATS and long_edge and item.long_side:
        scale = 1.0
        while scale > 1 / 8 and item.long_side * scale / 2 >= long_edge:
            scale /= 2
        pixels = int(pixels * scale * scale)
    return pixels


def _read(path: bytes) -> bytes | BinaryIO:
    if os.path.getsize(path) <= READ_WHOLE_LIMIT:
        with open(path, "rb") as f:
            return f.read()
    return open(path, "rb")  # closed by the caller


def _render(
    item: ExportItem, settings: ExportSettings, budget: PixelBudget, cancel: CancelToken | None
) -> _Outcome:
    """Make one item's rendition. Never raises: every failure is an outcome."""
    if cancel is not None and cancel.cancelled:
        return _Outcome(skip="export cancelled")  # queued before the cancel: don't start it
    if item.kind == "video":
        if settings.videos is VideoPolicy.SKIP:
            return _Outcome(skip="video (this export skips videos)")
        return _Outcome(Rendition(None, ""))
    if not needs_rendering(settings, item.watermark):
        return _Outcome(Rendition(None, ""))  # copied: an unreadable file is reported then
    try:
        with budget.hold(decode_cost(item, settings)):
            if item.is_raw:
                return _Outcome(render_raw(item.source, settings, item.watermark, item.tokens))
            source = _read(item.source)
            try:
                return _Outcome(render_photo(source, settings, item.watermark, item.tokens))
            finally:
                if not isinstance(source, bytes):
                    source.close()
    except FileNotFoundError:
        return _Outcome(error="the file is missing on disk")
    except OSError as exc:
        return _Outcome(error=f"cannot read the file ({exc.strerror or exc})")
    except DecodeError as exc:
        return _Outcome(error=str(exc))
    except WatermarkError as exc:
        return _Outcome(error=f"cannot draw the watermark: {exc}")
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
    own_type = item.kind == "video" or keeps_file_type(settings, item.watermark, item.format)
    return stem, (split_extension(item.filename)[1] if own_type else "jpg")


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
    if not zip_file:
        refuse_catalogued_target(catalog, out_dir)
    total = len(plan.items)
    if not total:
        raise BadInputError("nothing to export: no photos or videos match what was chosen")
    _check_watermarks(plan, request)
    summary = ExportSummary(watermark=plan.watermark_label)
    target: ExportTarget
    if zip_file:
        target = ZipTarget(out_dir, f"{plan.collection} - {settings.preset.label}")
    else:
        target = FolderTarget(out_dir)
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
    strips = settings.policy is not MetadataPolicy.ALL
    budget = PixelBudget(MAX_PIXELS_IN_FLIGHT)
    try:
        for item, outcome in run_parallel(
            lambda it: _render(it, settings, budget, cancel),
            plan.items,
            workers=workers,
            cancel=cancel,
        ):
            done += 1
            _write(item, outcome, target, names.get(item.index, ""), summary, strips)
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
    item: ExportItem,
    outcome: _Outcome,
    target: ExportTarget,
    name: str,
    summary: ExportSummary,
    strips_metadata: bool,
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
    except SourceError as exc:  # the original, not the target: this file fails, the rest goes on
        summary.failed.append((item.display, str(exc)))
        return
    summary.written.append(name)
    summary.bytes_written += (
        len(outcome.rendition.data)
        if outcome.rendition.data is not None
        else os.path.getsize(item.source)
    )
    if item.kind == "video" and item.watermark is not None:
        summary.clean_videos += 1
    if item.kind == "video" and strips_metadata:
        summary.videos_with_metadata += 1


def _check_watermarks(plan: ExportPlan, request: ExportRequest) -> None:
    """A watermark that cannot be drawn is one clear error before anything is written, not
    the same failure on every photo."""
    seen: set[WatermarkSpec] = set()
    for item in plan.items:
        spec = item.watermark
        if spec is None or spec in seen or item.kind == "video":
            continue
        seen.add(spec)
        try:
            spec.check()
            render_mark(spec, 1000, item.tokens)
        except WatermarkError as exc:
            hint = ""
            if spec.text and "{client}" in spec.text and not request.client:
                hint = " (its text uses {client}: give the client's name)"
            raise BadInputError(f"the watermark cannot be drawn: {exc}{hint}") from exc


def refuse_catalogued_target(catalog: Catalog, out_dir: Path) -> None:
    """Files exported into a collection's folder (or a watched shoots folder) would come back
    as photos of the collection at its next scan: refused, with the reason."""
    target = os.path.realpath(out_dir)
    for name, folder in catalogued_folders(catalog):
        root = os.path.realpath(os.fsdecode(folder))
        if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
            raise BadInputError(
                f"{out_dir} is inside {name} ({root}): exported files there would be "
                "catalogued as new photos. Choose a folder outside it, or export a zip"
            )
