"""The thumbnail grid's model: ids in order, rows fetched a page at a time, pictures loaded in
the background.

It holds only what is on screen or was recently: an 8-byte id per row, a few pages of records
and a few thousand small QImages. A new view shows its first page at once; the rest of its ids
arrive from a worker and are appended as inserted rows. Changes in the catalogue (the watcher,
another process, the app itself) arrive as row inserts, removals and dataChanged, never as a
reset unless the order itself changed.
"""

from __future__ import annotations

import json
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QPainter
from sqlalchemy.exc import DatabaseError
from sqlmodel import col, select

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import (
    client_count,
    describe,
    favourites_in,
    favourites_of,
    favourites_version,
    with_favourites,
)
from gallery_desktop.catalog.media import MediaRecord, MediaView, media_ids, media_records
from gallery_desktop.catalog.models import Media, utcnow
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.tasks import BackgroundTasks

THUMB_BOX = 200
MEDIA_MIME = "application/x-gallery-desktop-media-ids"  # photos dragged inside the app
CELL = QSize(THUMB_BOX + 20, THUMB_BOX + 44)
LOOK_BACK = timedelta(seconds=5)
PAGE = 200
PAGES_KEPT = 40
IMAGES_KEPT = 3000


def _placeholder(text: str) -> QImage:
    img = QImage(QSize(THUMB_BOX, THUMB_BOX * 2 // 3), QImage.Format.Format_RGB32)
    img.fill(QColor("#3a3a3a"))
    p = QPainter(img)
    p.setPen(QColor("#bbbbbb"))
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return img


PICK_MARK = {"picked": "⚑ picked", "rejected": "✕ rejected"}


def culling_text(rec: MediaRecord) -> str:
    """The second line under a thumbnail: stars, pick flag, colour label."""
    parts = ["★" * rec.rating + "☆" * (5 - rec.rating)]
    if rec.pick:
        parts.append(PICK_MARK.get(rec.pick, rec.pick))
    if rec.label:
        parts.append(f"● {rec.label}")
    return "  ".join(parts)


def load_thumbnail(path: str) -> QImage:
    """Off the GUI thread: a QImage (never a QPixmap) fitted to the grid's box."""
    image = QImage(path)
    if image.isNull() or max(image.width(), image.height()) <= THUMB_BOX:
        return image
    return image.scaled(
        THUMB_BOX,
        THUMB_BOX,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


@dataclass(frozen=True)
class _Diff:
    """How to turn the shown ids into the catalogue's current ones."""

    new: array[int]
    reset: bool
    removed_runs: list[tuple[int, int]]  # (first, last) rows in the old order
    inserted_runs: list[tuple[int, int]]  # (first, last) rows in the new order


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def diff_ids(old: Sequence[int], new: array[int]) -> _Diff:
    """Removals and insertions that keep everything else where it was; a reset if the order
    of the rows that stay has changed (a re-sort)."""
    old_set, new_set = set(old), set(new)
    removed = [i for i, x in enumerate(old) if x not in new_set]
    inserted = [i for i, x in enumerate(new) if x not in old_set]
    kept_old = [x for x in old if x in new_set]
    kept_new = [x for x in new if x in old_set]
    if kept_old != kept_new:
        return _Diff(new, True, [], [])
    return _Diff(new, False, _runs(removed), _runs(inserted))


def favourites_tooltip(rec: MediaRecord) -> list[str]:
    """Who favourited a photo and their notes, for its tooltip (nothing if nobody did)."""
    marks = favourites_in(rec)
    if not marks:
        return []
    clients = client_count(marks)
    head = f"♥ favourited by {clients} client{'s' if clients != 1 else ''}:"
    return [head, *(f"  {describe(m)}" for m in marks)]


class MediaGridModel(QAbstractListModel):
    MediaIdRole = Qt.ItemDataRole.UserRole + 1
    FavouriteCountRole = Qt.ItemDataRole.UserRole + 2  # clients who favourited it (int)
    FavouritesRole = Qt.ItemDataRole.UserRole + 3  # tuple[FavouriteMark, ...]

    def __init__(self, catalog: Catalog, cache: ThumbnailCache, tasks: BackgroundTasks) -> None:
        super().__init__()
        self.catalog, self.cache, self.tasks = catalog, cache, tasks
        self.view: MediaView | None = None
        self._ids: array[int] = array("q")
        self._pages: OrderedDict[int, list[MediaRecord]] = OrderedDict()
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._requested: set[int] = set()
        self._generation = 0  # a new view: results for the old one are dropped
        self._version = 0  # any change to the rows: diffs made against older rows are dropped
        self._complete = True  # all ids of the view are here
        self._diffing = False  # one diff in flight at a time...
        self._dirty = False  # ...and one more after it if the catalogue moved meanwhile
        self._checked_at: datetime = utcnow()
        self._told: set[int] = set()  # media another seat's commits named (media_changed)
        self._told_all = False
        self._favourites_seen: tuple[int, ...] | None = None  # see _favourites_moved
        self._missing = _placeholder("no preview")
        self._error = _placeholder("cannot read")
        self.loading_picture = _placeholder("")  # shown until the thumbnail is read

    # -- which media -------------------------------------------------------------------------

    def show(self, view: MediaView | None) -> None:
        """Show a view: its first page now, the rest of its ids as soon as a worker has them."""
        self._generation += 1
        self.view = view
        first = media_ids(self.catalog, view, limit=PAGE) if view is not None else array("q")
        self._checked_at = utcnow()
        self._favourites_seen = favourites_version(self.catalog) if view is not None else None
        self._reset(first)
        self._complete = len(first) < PAGE
        if not self._complete and view is not None:
            generation = self._generation
            self.tasks.run(
                lambda _r: media_ids(self.catalog, view),
                lambda ids: self._ids_loaded(generation, ids),
                self._worker_failed,
            )

    @property
    def loading(self) -> bool:
        return not self._complete

    def _reset(self, ids: array[int]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._pages.clear()
        self._images.clear()
        self._requested.clear()
        self._version += 1
        self.endResetModel()

    def _ids_loaded(self, generation: int, ids: array[int]) -> None:
        if generation != self._generation:
            return  # a view that is no longer shown
        self._complete = True
        have = len(self._ids)
        if ids[:have] != self._ids:
            self._reset(ids)  # the catalogue moved meanwhile
        elif len(ids) > have:
            self.beginInsertRows(QModelIndex(), have, len(ids) - 1)
            self._ids = ids
            self._version += 1
            self.endInsertRows()
        if self._dirty:  # a commit landed while the list was being read
            self._start_diff()

    # -- catalogue changes -----------------------------------------------------------------

    def media_changed(self, ids: frozenset[int] | None) -> None:
        """A shared catalogue's notification named these media (None: too many to name). They
        are fetched again at the next `catalogue_changed`, whatever the seats' clocks say."""
        if ids is None:
            self._told_all = True
        else:
            self._told |= ids

    def catalogue_changed(self) -> None:
        """Something was committed (here, by the watcher, another process or another seat)."""
        told, told_all = self._told, self._told_all
        self._told, self._told_all = set(), False
        if self.view is None:
            return
        # Writers stamp updated_at a moment before they commit: look a little way back.
        since, self._checked_at = self._checked_at - LOOK_BACK, utcnow()
        changed = self._changed_ids(since) | told
        if self._favourites_moved() or told_all:
            self._refresh_pages()
        if changed:
            self._refresh_rows(changed)
        self._start_diff()

    def _favourites_moved(self) -> bool:
        """Favourites pulled from the remote leave the media rows as they were: they are
        noticed by their own version."""
        seen, self._favourites_seen = self._favourites_seen, favourites_version(self.catalog)
        return seen is not None and seen != self._favourites_seen

    def _refresh_pages(self) -> None:
        """Every fetched page again, when next painted (the pictures stay)."""
        for page, records in list(self._pages.items()):
            del self._pages[page]
            first = page * PAGE
            self.dataChanged.emit(self.index(first), self.index(first + len(records) - 1))

    def _start_diff(self) -> None:
        """Compare the shown ids with the catalogue's in a worker; one at a time, and once
        more afterwards if anything changed while it ran (nothing is ever left behind)."""
        view = self.view
        if view is None:
            return
        if self._diffing or not self._complete:
            self._dirty = True
            return
        self._dirty = False
        self._diffing = True
        version, old = self._version, self._ids

        def done(diff: _Diff) -> None:
            self._diffing = False
            if version == self._version and view == self.view:
                self._apply_diff(diff)
            else:
                self._dirty = True
            if self._dirty:
                self._start_diff()

        def failed(exc: BaseException) -> None:
            self._diffing = False
            self._worker_failed(exc)

        self.tasks.run(lambda _r: diff_ids(old, media_ids(self.catalog, view)), done, failed)

    def _changed_ids(self, since: datetime) -> set[int]:
        # Few rows (what changed in the last moments): the ORM's own types, on either engine.
        query = select(col(Media.id)).where(col(Media.updated_at) >= since)
        with self.catalog.read() as session:
            return {i for i in session.exec(query).all() if i is not None}

    def _refresh_rows(self, media: set[int]) -> None:
        for page, records in list(self._pages.items()):
            if any(r.id in media for r in records):
                del self._pages[page]
                first = page * PAGE
                self.dataChanged.emit(self.index(first), self.index(first + len(records) - 1))
        for media_id in media:
            self._images.pop(media_id, None)
            self._requested.discard(media_id)

    def _apply_diff(self, diff: _Diff) -> None:
        if diff.reset:
            self._reset(diff.new)
            return
        if not diff.removed_runs and not diff.inserted_runs:
            return
        self._pages.clear()  # rows move: records are fetched again by position
        self._version += 1
        ids = list(self._ids)
        for first, last in reversed(diff.removed_runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del ids[first : last + 1]
            self._ids = array("q", ids)
            self.endRemoveRows()
        for first, last in diff.inserted_runs:
            self.beginInsertRows(QModelIndex(), first, last)
            ids[first:first] = diff.new[first : last + 1]
            self._ids = array("q", ids)
            self.endInsertRows()

    # -- rows --------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return len(self._ids)

    def record(self, row: int) -> MediaRecord:
        page = row // PAGE
        records = self._pages.get(page)
        if records is None:
            ids = self._ids[page * PAGE : (page + 1) * PAGE]
            records = media_records(self.catalog, ids, self.cache)
            # The page's favourites in one more query: badges never query while painting.
            records = with_favourites(records, favourites_of(self.catalog, ids))
            if len(records) != len(ids):  # removed meanwhile: keep positions with stand-ins
                found = {r.id: r for r in records}
                records = [found.get(i) or _gone(i) for i in ids]
            self._pages[page] = records
            if len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return records[row - page * PAGE]

    def row_of(self, media_id: int) -> int | None:
        try:
            return self._ids.index(media_id)
        except ValueError:
            return None

    def media_ids(self, rows: Iterable[int]) -> list[int]:
        return [self._ids[r] for r in rows if 0 <= r < len(self._ids)]

    def update_values(self, values: dict[int, dict[str, Any]]) -> None:
        """Media ids → changed fields (an edit made here): rows updated in place at once."""
        for page, records in self._pages.items():
            for i, rec in enumerate(records):
                changes = values.get(rec.id)
                if changes:
                    records[i] = replace(rec, **changes)
                    index = self.index(page * PAGE + i)
                    self.dataChanged.emit(index, index)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MEDIA_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        data = QMimeData()
        ids = self.media_ids(sorted({i.row() for i in indexes if i.isValid()}))
        data.setData(MEDIA_MIME, QByteArray(json.dumps(ids).encode()))
        return data

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    # -- pictures ----------------------------------------------------------------------------

    def _image(self, row: int, rec: MediaRecord) -> QImage:
        cached = self._images.get(rec.id)
        if cached is not None:
            self._images.move_to_end(rec.id)
            return cached
        if rec.state == "error":
            return self._error
        source = rec.thumbnail or rec.placeholder
        if not source:
            return self._missing
        if rec.id not in self._requested:
            self._requested.add(rec.id)
            generation, media_id = self._generation, rec.id
            self.tasks.run(
                lambda _r: load_thumbnail(source),
                lambda image: self._image_loaded(generation, row, media_id, image),
                lambda _exc: self._requested.discard(media_id),
            )
        return self.loading_picture

    def _image_loaded(self, generation: int, row: int, media_id: int, image: QImage) -> None:
        self._requested.discard(media_id)
        if generation != self._generation or image.isNull():
            return  # for a view no longer shown
        self._images[media_id] = image
        if len(self._images) > IMAGES_KEPT:
            self._images.popitem(last=False)
        if row < len(self._ids) and self._ids[row] == media_id:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    @staticmethod
    def _worker_failed(exc: BaseException) -> None:
        # The catalogue could not be read just now (busy, or the file went away): the next
        # change or view tries again. A bug reaches the crash dialog.
        if not isinstance(exc, (OSError, DatabaseError)):
            raise exc

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == self.MediaIdRole:
            return self._ids[index.row()]
        if role == Qt.ItemDataRole.SizeHintRole:
            return CELL  # every cell alike: room for the largest picture and two lines
        if role == self.FavouriteCountRole:
            return client_count(favourites_in(self.record(index.row())))
        if role == self.FavouritesRole:
            return favourites_in(self.record(index.row()))
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        rec = self.record(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{rec.path.rsplit('/', 1)[-1]}\n{culling_text(rec)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._image(index.row(), rec)
        size = f"{rec.width}×{rec.height}" if rec.width else "size unknown"
        lines = [rec.path, f"{rec.kind}, {rec.format or '?'}, {size}"]
        if rec.taken_at:
            lines.append(f"taken {rec.taken_at.replace('T', ' ')}")
        if rec.camera:
            lines.append(rec.camera)
        if rec.error:
            lines.append(f"problem: {rec.error}")
        return "\n".join(lines + favourites_tooltip(rec))


def _gone(media_id: int) -> MediaRecord:
    """A stand-in for a row removed from the catalogue a moment ago (until the diff lands)."""
    return MediaRecord(
        id=media_id,
        gallery_id=0,
        gallery="",
        path="(removed)",
        kind="photo",
        format=None,
        state="missing",
        error=None,
        width=None,
        height=None,
        orientation=None,
        taken_at=None,
        camera=None,
        lens=None,
        duration=None,
        content_hash=None,
        size_bytes=0,
        rating=0,
        pick=None,
        label=None,
        thumbnail=None,
        placeholder=None,
    )
