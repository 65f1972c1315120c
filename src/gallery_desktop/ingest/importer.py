"""A folder tree → a collection with galleries and media; re-running it is a re-scan.

Rules (same for import, re-scan and, later, the watcher):
- unchanged files (same size and mtime) are not read again;
- changed files are probed again, keeping ratings, picks and labels;
- a file whose content hash matches a vanished (or displaced) row is that row, moved or
  renamed, ratings kept; rename chains and swaps included (`matching.resolve`);
- vanished files become `missing` (kept, with their culling) until they come back.
Writes go in short batches, so a cancelled or killed import leaves a consistent catalogue
that the next run completes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert, update

from gallery_desktop.catalog.collections import (
    collection_for_folder,
    display_name,
    ensure_galleries,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Media, MediaState, utcnow
from gallery_desktop.catalog.raw import raw_rows
from gallery_desktop.catalog.roots import collection_folder
from gallery_desktop.catalog.seats import activity_progress, collection_activity
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.matching import AffectedRow, resolve
from gallery_desktop.ingest.parallel import CancelToken, run_parallel
from gallery_desktop.ingest.probe import ProbeResult, is_passing_error, probe_file
from gallery_desktop.ingest.scan import FileEntry, scan_tree
from gallery_desktop.ingest.thumbnailer import ThumbnailJob, make_thumbnails
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize

log = logging.getLogger(__name__)

BATCH_ROWS: Final = 250
BATCH_SECONDS: Final = 0.5
MEDIA = Media.__table__  # type: ignore[attr-defined]


@dataclass
class ImportProgress:
    phase: str  # "scanning" | "reading" | "thumbnails" | "done"
    done: int
    total: int
    current: str | None
    errors: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class ImportSummary:
    collection_id: int
    collection: str
    folder: str
    files: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    missing: int = 0
    unchanged: int = 0
    errors: int = 0
    skipped: int = 0
    thumbnails: int = 0
    unsettled: int = 0  # files still being written: left for a later scan
    # Seconds from the end of the scan until the first of them has been still long enough.
    settles_in: float = 0.0
    cancelled: bool = False
    seconds: float = 0.0
    error_files: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["error_files"] = [{"path": p, "error": e} for p, e in self.error_files]
        return d


@dataclass(frozen=True)
class _Existing:
    id: int
    size: int
    mtime_ns: int
    content_hash: str | None
    state: str
    error: str | None


def _fact_values(result: ProbeResult) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "size_bytes": result.size_bytes,
        "mtime_ns": result.mtime_ns,
        "content_hash": result.content_hash,
        "format": result.format,
        "width": result.width,
        "height": result.height,
        "orientation": result.orientation,
        "taken_at": result.taken_at,
        "camera": result.camera,
        "lens": result.lens,
        "duration": result.duration,
        "state": MediaState.ERROR.value if result.error else MediaState.OK.value,
        "error": result.error,
        "thumb_state": _thumb_state(result),
    }


def _thumb_state(result: ProbeResult) -> str:
    if result.error:
        return "none"
    if result.needs_render:
        return "pending"
    return "ok" if ThumbSize.GRID in result.thumbnails else "none"


class _Importer:
    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        root: bytes,
        collection: Collection,
        progress: ProgressCallback | None,
        cancel: CancelToken,
        workers: int | None,
        settle_seconds: float = 0.0,
    ) -> None:
        self.catalog, self.cache, self.root = catalog, cache, root
        self.settle_ns = int(settle_seconds * 1e9)
        assert collection.id is not None
        self.collection_id = collection.id
        self.progress = progress or (lambda _p: None)
        self.cancel = cancel
        self.workers = workers
        self.summary = ImportSummary(
            collection_id=collection.id,
            collection=collection.name,
            folder=collection.folder_display or display_name(root),
        )

    # -- phase 1: what is on disk versus what the catalogue knows --------------------------

    def _load_existing(self) -> dict[bytes, _Existing]:
        with self.catalog.engine.connect() as conn:  # driver tuples: 100k rows in ~0.2 s
            rows = raw_rows(
                conn,
                "SELECT rel_path, id, size_bytes, mtime_ns, content_hash, state, error "
                "FROM media WHERE collection_id = :c",
                {"c": self.collection_id},
            )
        return {bytes(r[0]): _Existing(*r[1:]) for r in rows}

    def run(self) -> ImportSummary:
        with self.catalog.collection_lock(self.collection_id, self.summary.collection):
            # what this seat is doing, for the others (windows, processes, workstations)
            self.progress = activity_progress(
                self.catalog, collection_activity(self.collection_id), inner=self.progress
            )
            return self._run()

    def _run(self) -> ImportSummary:
        started = time.monotonic()
        self.progress(ImportProgress("scanning", 0, 0, self.summary.folder, 0))
        report = scan_tree(self.root)
        existing = self._load_existing()
        on_disk = {e.rel_path for e in report.entries}
        self.summary.files = len(report.entries)
        self.summary.skipped = report.skipped

        to_probe: list[FileEntry] = []
        settled_before = time.time_ns() - self.settle_ns
        oldest_unsettled = 0
        for entry in report.entries:
            old = existing.get(entry.rel_path)
            if self.settle_ns and entry.touched_ns > settled_before:
                # Still being written (or just finished): neither read it nor call it gone.
                self.summary.unsettled += 1
                if not oldest_unsettled or entry.touched_ns < oldest_unsettled:
                    oldest_unsettled = entry.touched_ns
                continue
            if (
                old is not None
                and old.size == entry.size
                and old.mtime_ns == entry.mtime_ns
                and old.state != MediaState.MISSING.value
                and not is_passing_error(old.error)
            ):
                self.summary.unchanged += 1
            else:
                to_probe.append(entry)
        vanished = {p: e for p, e in existing.items() if p not in on_disk}
        if report.unreadable_dirs:
            # A folder we could not list is not a folder whose files were deleted.
            if b"" in report.unreadable_dirs:
                vanished = {}
            else:
                keep = tuple(d + b"/" for d in report.unreadable_dirs)
                vanished = {p: e for p, e in vanished.items() if not p.startswith(keep)}
        galleries = ensure_galleries(
            self.catalog, self.collection_id, {e.gallery_folder for e in to_probe}
        )
        self._probe_all(to_probe, existing, vanished, galleries)
        if not self.cancel.cancelled:
            self._render_thumbnails()
            with self.catalog.write() as session:
                c = session.get(Collection, self.collection_id)
                if c is not None:
                    c.last_scan_at = utcnow()
                    session.add(c)
            if self.summary.thumbnails:  # only a cache that grew can be over its cap
                self.cache.trim()
        if oldest_unsettled:  # measured now: the scan itself took time
            ready_at = oldest_unsettled + self.settle_ns
            self.summary.settles_in = max(0.0, (ready_at - time.time_ns()) / 1e9)
        self.summary.cancelled = self.cancel.cancelled
        self.summary.seconds = round(time.monotonic() - started, 3)
        self.progress(
            ImportProgress(
                "done", self.summary.files, self.summary.files, None, self.summary.errors
            )
        )
        return self.summary

    # -- phase 2: read new and changed files ----------------------------------------------

    def _probe_one(self, entry: FileEntry) -> ProbeResult:
        result = probe_file(
            os.path.join(self.root, entry.rel_path), entry.file_class, entry.size, entry.mtime_ns
        )
        if result.content_hash:
            for size, jpeg in list(result.thumbnails.items()):
                try:
                    self.cache.put(result.content_hash, size, jpeg)
                except OSError as exc:  # the cache is only a cache: retry in the next pass
                    log.warning("cannot write a thumbnail to the cache: %s", exc)
                    del result.thumbnails[size]
                    result.needs_render = True
        return result

    def _probe_all(
        self,
        entries: list[FileEntry],
        existing: dict[bytes, _Existing],
        vanished: dict[bytes, _Existing],
        galleries: dict[bytes, int],
    ) -> None:
        """Read files in parallel. Plain new files are inserted as they come (the grid fills
        while the import runs); anything that may be a move, rename or edit of a catalogued
        file is matched once all files are read (see `matching.resolve`)."""
        affected = {e.id: (p, e) for p, e in vanished.items()}
        for entry in entries:
            old = existing.get(entry.rel_path)
            if old is not None:
                affected[old.id] = (entry.rel_path, old)
        affected_hashes = {e.content_hash for _p, e in affected.values() if e.content_hash}
        deferred: dict[bytes, tuple[FileEntry, ProbeResult]] = {}
        inserts: list[dict[str, Any]] = []
        last_flush = time.monotonic()
        total = len(entries)
        for done, (entry, result) in enumerate(
            run_parallel(self._probe_one, entries, workers=self.workers, cancel=self.cancel), 1
        ):
            shown = display_name(entry.rel_path)
            if result.error:
                self.summary.errors += 1
                self.summary.error_files.append((shown, result.error))
            if ThumbSize.GRID in result.thumbnails:
                self.summary.thumbnails += 1  # videos and RAW previews: made while probing
            if entry.rel_path in existing or result.content_hash in affected_hashes:
                deferred[entry.rel_path] = (entry, result)
            else:
                self.summary.new += 1
                inserts.append(self._new_row(entry, result, galleries))
            self.progress(ImportProgress("reading", done, total, shown, self.summary.errors))
            now = time.monotonic()
            if len(inserts) >= BATCH_ROWS or now - last_flush > BATCH_SECONDS:
                self._flush(inserts, [])
                last_flush = now
        self._flush(inserts, [])
        if not self.cancel.cancelled:
            # A cancelled scan has read only some of the files: matching part of a rename or a
            # swap could hand ratings to the wrong photo. Those files are read again next time.
            self._apply_matches(deferred, affected, galleries)

    def _new_row(
        self, entry: FileEntry, result: ProbeResult, galleries: dict[bytes, int]
    ) -> dict[str, Any]:
        values = _fact_values(result)
        now = utcnow()
        return {
            **values,
            "collection_id": self.collection_id,
            "gallery_id": galleries[entry.gallery_folder],
            "rel_path": entry.rel_path,
            "path": display_name(entry.rel_path),
            "created_at": now,
            "updated_at": now,
        }

    def _apply_matches(
        self,
        deferred: dict[bytes, tuple[FileEntry, ProbeResult]],
        affected: dict[int, tuple[bytes, _Existing]],
        galleries: dict[bytes, int],
    ) -> None:
        resolution = resolve(
            {path: result.content_hash for path, (_e, result) in deferred.items()},
            [AffectedRow(rid, path, e.content_hash) for rid, (path, e) in affected.items()],
            # Files still being written may be where the vanished ones went: no verdict yet.
            complete=not self.summary.unsettled,
        )
        now = utcnow()
        updates: list[dict[str, Any]] = []
        moving: list[int] = []
        for path, rid in resolution.row_for_path.items():
            entry, result = deferred[path]
            row = {"_id": rid, **_fact_values(result), "updated_at": now}
            if affected[rid][0] != path:
                moving.append(rid)
                self.summary.moved += 1
                row.update(
                    rel_path=path,
                    path=display_name(path),
                    gallery_id=galleries[entry.gallery_folder],
                )
            else:
                self.summary.changed += 1
            updates.append(row)
        inserts = [self._new_row(*deferred[p], galleries) for p in resolution.new_paths]
        self.summary.new += len(inserts)
        missing = [
            {"_id": rid, "state": MediaState.MISSING.value, "error": None, "updated_at": now}
            for rid in resolution.missing
            if affected[rid][1].state != MediaState.MISSING.value
        ]
        self.summary.missing = len(missing)
        if not (updates or inserts or missing):
            return  # the usual re-scan: nothing moved, changed or went missing
        with self.catalog.write_conn() as conn:
            if moving:  # paths are unique: park movers first, so chains of renames fit
                conn.execute(
                    update(MEDIA).where(MEDIA.c.id == bindparam("_id")),
                    [{"_id": rid, "rel_path": b"\x00moving\x00%d" % rid} for rid in moving],
                )
            _update_many(conn, updates + missing)
            if inserts:
                conn.execute(insert(MEDIA), inserts)

    def _flush(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
        if not inserts and not updates:
            return

        def write(conn: Connection) -> None:
            if inserts:
                conn.execute(insert(MEDIA), inserts)
            _update_many(conn, updates)

        # another seat's edit of these galleries' counts may deadlock with us: run it again
        self.catalog.write_retrying(write)
        inserts.clear()
        updates.clear()

    # -- phase 3: grid thumbnails from the full image -------------------------------------

    def _render_thumbnails(self) -> None:
        with self.catalog.engine.connect() as conn:
            rows = raw_rows(
                conn,
                "SELECT id, rel_path, content_hash, size_bytes, mtime_ns, kind, thumb_state "
                "FROM media WHERE collection_id = :c AND state = 'ok' "
                "AND thumb_state IN ('pending', 'ok') AND content_hash IS NOT NULL",
                {"c": self.collection_id},
            )
        # 'ok' rows whose file left the cache (evicted, or the cache was wiped) are made again.
        in_cache = self.cache.hashes(ThumbSize.GRID)
        jobs = [
            ThumbnailJob(rid, os.path.join(self.root, rel), digest, size, mtime_ns, kind)
            for rid, rel, digest, size, mtime_ns, kind, state in rows
            if state == "pending" or digest not in in_cache
        ]
        total = len(jobs)
        pending: list[dict[str, Any]] = []
        last_flush = time.monotonic()
        for done, outcome in enumerate(
            make_thumbnails(jobs, self.cache, workers=self.workers, cancel=self.cancel), 1
        ):
            pending.append(outcome.row_values())
            if outcome.error:
                self.summary.errors += 1
                self.summary.error_files.append(
                    (display_name(os.path.relpath(outcome.job.path, self.root)), outcome.error)
                )
            elif outcome.made:
                self.summary.thumbnails += 1
            self.progress(ImportProgress("thumbnails", done, total, None, self.summary.errors))
            now = time.monotonic()
            if len(pending) >= BATCH_ROWS or now - last_flush > BATCH_SECONDS:
                self._flush([], pending)
                last_flush = now
        self._flush([], pending)


def _update_many(conn: Connection, updates: list[dict[str, Any]]) -> None:
    """executemany needs the same keys in every row: group rows by their key set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, rows in groups.items():
        stmt = (
            update(MEDIA)
            .where(MEDIA.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in keys if k != "_id"})
        )
        conn.execute(stmt, rows)


def shoot_folder(folder: str | os.PathLike[str] | bytes) -> bytes:
    """The real path of a folder to import, or BadInputError saying what is wrong with it."""
    raw = os.fsencode(folder)
    expanded = os.path.expanduser(raw)
    if not os.path.exists(expanded):
        raise BadInputError(f"folder not found: {display_name(expanded)}")
    if not os.path.isdir(expanded):
        raise BadInputError(f"not a folder: {display_name(expanded)} (import takes a folder)")
    if not os.access(expanded, os.R_OK | os.X_OK):
        raise BadInputError(f"cannot read folder: {display_name(expanded)} (permission denied)")
    return os.path.realpath(expanded)


def import_folder(
    catalog: Catalog,
    cache: ThumbnailCache,
    folder: str | os.PathLike[str] | bytes,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    settle_seconds: float = 0.0,
    shoot_type: str | None = None,
) -> ImportSummary:
    """Import (or re-scan) one shoot folder as a collection. Raises BadInputError.

    With `settle_seconds`, files touched more recently than that are left for a later scan
    (the watcher's way of never reading a half-copied file). A new collection starts from the
    defaults of `shoot_type` (None: the catalogue's default shoot type, if any).
    """
    root = shoot_folder(folder)
    collection = collection_for_folder(catalog, root, shoot_type=shoot_type)
    return _Importer(
        catalog,
        cache,
        root,
        collection,
        progress,
        cancel or CancelToken(),
        workers,
        settle_seconds,
    ).run()


def rescan_collection(
    catalog: Catalog,
    cache: ThumbnailCache,
    collection_id: int,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    settle_seconds: float = 0.0,
) -> ImportSummary:
    with catalog.read() as session:
        collection = session.get(Collection, collection_id)
    if collection is None:
        raise BadInputError(f"no collection with id {collection_id}")
    # in a library root: where this seat mounts it (RootOfflineError: offline, nothing changes)
    folder = collection_folder(catalog, collection)
    if folder is None:
        raise BadInputError(f"collection {collection.name!r} has no folder on disk to re-scan")
    if not os.path.isdir(folder):
        raise BadInputError(
            f"the folder of {collection.name!r} is not there: {collection.folder_display} "
            "(unplugged drive or moved folder?); its media were left as they are"
        )
    return _Importer(
        catalog,
        cache,
        folder,
        collection,
        progress,
        cancel or CancelToken(),
        workers,
        settle_seconds,
    ).run()


__all__ = [
    "ImportProgress",
    "ImportSummary",
    "import_folder",
    "rescan_collection",
    "shoot_folder",
]
