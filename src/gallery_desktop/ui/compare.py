"""Compare: two or more photos side by side, to choose between near-identical frames."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.grid_model import culling_text
from gallery_desktop.ui.loupe import load_picture
from gallery_desktop.ui.tasks import BackgroundTasks

MAX_COMPARED = 8


class _Picture(QLabel):
    """A picture fitted to whatever room the layout gives it (it never asks for more)."""

    def __init__(self) -> None:
        super().__init__(alignment=Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 90)
        self.image = QImage()

    def set_image(self, image: QImage) -> None:
        self.image = image
        self._fit()

    def _fit(self) -> None:
        if self.image.isNull():
            return
        self.setPixmap(
            QPixmap.fromImage(self.image).scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()


class _Pane(QFrame):
    def __init__(self, on_click: Callable[[int], None]) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.media_id = 0
        self.on_click = on_click
        self.picture = _Picture()
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)

    def show_record(self, rec: MediaRecord, current: bool) -> None:
        self.media_id = rec.id
        self.caption.setText(f"{rec.path.rsplit('/', 1)[-1]}\n{culling_text(rec)}")
        self.setStyleSheet("_Pane { border: 2px solid palette(highlight); }" if current else "")

    def set_image(self, image: QImage) -> None:
        self.picture.set_image(image)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.on_click(self.media_id)
        super().mousePressEvent(event)


class CompareView(QWidget):
    """Up to eight items at once; a click picks which one the culling keys act on."""

    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        tasks: BackgroundTasks,
        on_pick_current: Callable[[int], None],
    ) -> None:
        super().__init__()
        self.catalog, self.cache, self.tasks = catalog, cache, tasks
        self.on_pick_current = on_pick_current
        self.panes: list[_Pane] = []
        self._layout = QGridLayout(self)
        self._token = 0
        self._pending = 0

    @property
    def loading(self) -> bool:
        return self._pending > 0

    def show_records(self, records: list[MediaRecord], current_id: int) -> None:
        """Lay the items out in a grid (up to four a row) and load their previews."""
        for pane in self.panes:
            pane.setParent(None)
            pane.deleteLater()
        self.panes = []
        records = records[:MAX_COMPARED]
        columns = min(4, len(records)) or 1
        self._token += 1
        token = self._token
        self._pending = len(records)
        for i, rec in enumerate(records):
            pane = _Pane(self.on_pick_current)
            pane.show_record(rec, rec.id == current_id)
            if rec.thumbnail:
                pane.set_image(QImage(rec.thumbnail))
            self._layout.addWidget(pane, i // columns, i % columns)
            self._layout.setColumnStretch(i % columns, 1)
            self._layout.setRowStretch(i // columns, 1)
            self.panes.append(pane)
            self._load(rec, pane, token)

    def update_records(self, records: list[MediaRecord], current_id: int) -> None:
        """Captions again (after culling), without reloading the pictures."""
        by_id = {r.id: r for r in records}
        for pane in self.panes:
            rec = by_id.get(pane.media_id)
            if rec is not None:
                pane.show_record(rec, rec.id == current_id)

    def _load(self, rec: MediaRecord, pane: _Pane, token: int) -> None:
        def done(image: QImage | None) -> None:
            if token != self._token:
                return  # another comparison is shown now
            self._pending -= 1
            if image is not None:
                pane.set_image(image)

        def failed(_exc: BaseException) -> None:
            if token == self._token:
                self._pending -= 1

        self.tasks.run(lambda _r: load_picture(self.catalog, self.cache, rec, False), done, failed)
