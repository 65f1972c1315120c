"""The loupe: one photo or video frame, fitted to the window or at 100 %."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, media_file
from gallery_desktop.ingest.thumbnailer import ensure_picture
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize, render
from gallery_desktop.ui.tasks import BackgroundTasks

FULL_SIZE_EDGE = 1 << 16  # "as big as the photo is"


def to_qimage(im: Image.Image) -> QImage:
    """A Pillow RGB image as a QImage that owns its pixels (safe to send across threads)."""
    rgb = im.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def load_picture(
    catalog: Catalog, cache: ThumbnailCache, rec: MediaRecord, full: bool
) -> QImage | None:
    """Runs in a worker: the preview (1600 px, cached), or the whole photo decoded for 100 %."""
    path = media_file(catalog, rec.id)
    if path is None or rec.content_hash is None:
        return None
    if full and rec.kind == "photo":
        try:
            with open(path, "rb") as f:
                return to_qimage(render(f.read(), FULL_SIZE_EDGE))
        except (OSError, DecodeError):
            pass  # fall back to the preview
    picture = ensure_picture(path, rec.content_hash, rec.kind, cache, ThumbSize.PREVIEW)
    if picture is None:
        return None
    image = QImage(str(picture))
    return None if image.isNull() else image


def describe(rec: MediaRecord) -> str:
    size = f"{rec.width}×{rec.height}" if rec.width else "size unknown"
    line = f"{rec.path}   {size}"
    if rec.kind == "video" and rec.duration is not None:
        minutes, seconds = divmod(round(rec.duration), 60)
        line += f"   video {minutes}:{seconds:02d}"
    if rec.error:
        line += f"   problem: {rec.error}"
    return line


class Loupe(QWidget):
    """Shows the grid thumbnail at once, then the sharper picture when the worker has it.

    Results for an item that is no longer shown are dropped (a token per request)."""

    def __init__(self, catalog: Catalog, cache: ThumbnailCache, tasks: BackgroundTasks) -> None:
        super().__init__()
        self.catalog, self.cache, self.tasks = catalog, cache, tasks
        self.full = False
        self.record: MediaRecord | None = None
        self._image = QImage()
        self._token = 0
        self._pending = False
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroller = QScrollArea()
        self.scroller.setWidget(self.picture)
        self.scroller.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroller.setWidgetResizable(True)
        self.caption = QLabel()
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.caption)

    @property
    def loading(self) -> bool:
        return self._pending

    def show_media(self, rec: MediaRecord) -> None:
        self.record = rec
        self.caption.setText(describe(rec) + ("   100 %" if self.full else "   fit"))
        source = rec.thumbnail or rec.placeholder
        self._set_image(QImage(source) if source else QImage())
        self._token += 1
        token, full = self._token, self.full
        self._pending = True

        def work(_report: object) -> QImage | None:
            return load_picture(self.catalog, self.cache, rec, full)

        def done(image: QImage | None) -> None:
            if token != self._token:
                return  # the photographer has moved on: a stale picture
            self._pending = False
            if image is not None:
                self._set_image(image)

        def failed(_exc: BaseException) -> None:
            if token == self._token:
                self._pending = False

        self.tasks.run(work, done, failed)

    def toggle_zoom(self) -> None:
        self.full = not self.full
        if self.record is not None:
            self.show_media(self.record)

    def shown_size(self) -> QSize:
        pix = self.picture.pixmap()
        return QSize() if pix is None or pix.isNull() else pix.size()

    def _set_image(self, image: QImage) -> None:
        self._image = image
        self._layout_picture()

    def _layout_picture(self) -> None:
        if self._image.isNull():
            self.picture.setPixmap(QPixmap())
            self.picture.setText("no picture")
            return
        pixmap = QPixmap.fromImage(self._image)
        self.scroller.setWidgetResizable(not self.full)
        if self.full:
            self.picture.setPixmap(pixmap)
            self.picture.adjustSize()
        else:
            area = self.scroller.viewport().size()
            fits = pixmap.width() <= area.width() and pixmap.height() <= area.height()
            self.picture.setPixmap(  # fit shrinks big pictures; small ones stay sharp at 1:1
                pixmap
                if fits
                else pixmap.scaled(
                    area,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if not self.full:
            self._layout_picture()
