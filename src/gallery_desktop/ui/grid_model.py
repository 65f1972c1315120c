"""The thumbnail grid's model: holds media ids and a little text, loads pictures lazily."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
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

from gallery_desktop.catalog.media import MediaRecord

THUMB_BOX = 200
MEDIA_MIME = "application/x-gallery-desktop-media-ids"  # photos dragged inside the app
_CACHE_ITEMS = 2000


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


class MediaGridModel(QAbstractListModel):
    """Rows are MediaRecords (plain data read in a unit of work); images load on first paint."""

    MediaIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[MediaRecord] = []
        self._row_of: dict[int, int] = {}
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._missing = _placeholder("no preview")
        self._error = _placeholder("cannot read")

    def set_media(self, rows: list[MediaRecord]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._row_of = {rec.id: i for i, rec in enumerate(rows)}
        self._images.clear()
        self.endResetModel()

    def media_ids(self, rows: Iterable[int]) -> list[int]:
        return [self._rows[r].id for r in rows if 0 <= r < len(self._rows)]

    def update_values(self, values: dict[int, dict[str, Any]]) -> None:
        """Media ids → changed fields: those rows are updated in place (no reset)."""
        for media_id, changes in values.items():
            row = self._row_of.get(media_id)
            if row is None:
                continue
            self._rows[row] = replace(self._rows[row], **changes)
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return len(self._rows)

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

    def record(self, row: int) -> MediaRecord:
        return self._rows[row]

    def _image(self, rec: MediaRecord) -> QImage:
        cached = self._images.get(rec.id)
        if cached is not None:
            self._images.move_to_end(rec.id)
            return cached
        if rec.state == "error":
            return self._error
        source = rec.thumbnail or rec.placeholder
        if not source or not Path(source).is_file():
            return self._missing
        img = QImage(source)
        if img.isNull():
            return self._missing
        if max(img.width(), img.height()) > THUMB_BOX:  # the view draws images as they are
            img = img.scaled(
                THUMB_BOX,
                THUMB_BOX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self._images[rec.id] = img
        if len(self._images) > _CACHE_ITEMS:
            self._images.popitem(last=False)
        return img

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        rec = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{rec.path.rsplit('/', 1)[-1]}\n{culling_text(rec)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._image(rec)
        if role == Qt.ItemDataRole.ToolTipRole:
            size = f"{rec.width}×{rec.height}" if rec.width else "size unknown"
            lines = [rec.path, f"{rec.kind}, {rec.format or '?'}, {size}"]
            if rec.taken_at:
                lines.append(f"taken {rec.taken_at.replace('T', ' ')}")
            if rec.camera:
                lines.append(rec.camera)
            if rec.error:
                lines.append(f"problem: {rec.error}")
            return "\n".join(lines)
        if role == self.MediaIdRole:
            return rec.id
        return None
