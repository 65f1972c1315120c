"""The watermark editor's live preview: the selected photo (or a sample picture) with the mark
drawn by `apply_watermark`, the same function the export uses: what you see is what leaves."""

from __future__ import annotations

import os
from datetime import date

from PIL import Image, ImageDraw, ImageFilter
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, media_file
from gallery_desktop.ingest.thumbnailer import ensure_picture
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize
from gallery_desktop.media.watermark import TokenValues, WatermarkSpec, apply_watermark
from gallery_desktop.ui.loupe import to_qimage
from gallery_desktop.ui.tasks import BackgroundTasks

# Sizes are shares of the short edge, so a 1000 px copy of the 1600 px preview looks the same.
PREVIEW_EDGE = 1000
DEBOUNCE_MS = 60
SOURCES = ("photo", "landscape", "portrait")
TONES = ("light", "dark")


def sample_picture(shape: str, tone: str) -> Image.Image:
    """A stand-in photo (sky, hills, a sun) to judge a mark on light or dark pictures."""
    long, short = PREVIEW_EDGE, PREVIEW_EDGE * 2 // 3
    w, h = (long, short) if shape == "landscape" else (short, long)
    top, bottom, hill, sun = (
        ((196, 214, 236), (250, 244, 232), (214, 220, 196), (255, 250, 225))
        if tone == "light"
        else ((14, 18, 34), (58, 46, 62), (22, 26, 24), (120, 110, 90))
    )
    sky = Image.linear_gradient("L").resize((w, h))
    im = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), sky)
    draw = ImageDraw.Draw(im)
    r = min(w, h) // 9
    draw.ellipse((w * 0.68 - r, h * 0.28 - r, w * 0.68 + r, h * 0.28 + r), fill=sun)
    ridge = [(0, 0.72), (0.35, 0.58), (0.7, 0.74), (1, 0.64)]
    draw.polygon([(0, h), *((x * w, y * h) for x, y in ridge), (w, h)], fill=hill)
    return im.filter(ImageFilter.GaussianBlur(1.5))


def load_photo(catalog: Catalog, cache: ThumbnailCache, rec: MediaRecord) -> Image.Image | None:
    """Runs in a worker: the photo's cached 1600 px preview, upright, at most PREVIEW_EDGE."""
    path = media_file(catalog, rec.id)
    if path is None or rec.content_hash is None:
        return None
    picture = ensure_picture(path, rec.content_hash, rec.kind, cache, ThumbSize.PREVIEW)
    if picture is None:
        return None
    with Image.open(picture) as opened:
        im = opened.convert("RGB")
    im.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), Image.Resampling.LANCZOS)
    return im


class WatermarkPreview(QWidget):
    """Shows `spec` on the chosen picture. Drawing runs in a worker, one at a time; a change
    while one is drawn asks for one more, so the last settings are always what is shown."""

    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        tasks: BackgroundTasks,
        record: MediaRecord | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.cache, self.tasks = catalog, cache, tasks
        self.record = record if record is not None and record.state == "ok" else None
        self.collection = "Collection"  # what {collection} stands for
        self.spec = WatermarkSpec()
        self.image = QImage()  # the last picture drawn, at its own size
        self.renders = 0  # finished drawings, for tests and scripts
        self._base: Image.Image | None = None
        self._base_token = 0
        self._drawing = self._draw_again = False
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._draw)

        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(420, 320)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet("background: #2b2b2b;")
        self.sources, self.tones = QButtonGroup(self), QButtonGroup(self)
        toggles = QHBoxLayout()
        toggles.addWidget(QLabel("Preview on"))
        for group, names in ((self.sources, SOURCES), (self.tones, TONES)):
            for name in names:
                button = QToolButton()
                button.setText("Selected photo" if name == "photo" else name.capitalize())
                button.setCheckable(True)
                button.setProperty("choice", name)
                group.addButton(button)
                toggles.addWidget(button)
            toggles.addSpacing(12)
        toggles.addStretch(1)
        photo = self.button(self.sources, "photo")
        photo.setEnabled(self.record is not None and self.record.kind == "photo")
        if not photo.isEnabled():
            photo.setToolTip("Select a photo in the grid to preview on it")
        (photo if photo.isEnabled() else self.button(self.sources, "landscape")).setChecked(True)
        self.button(self.tones, "light").setChecked(True)
        self.sources.buttonToggled.connect(self._toggled)
        self.tones.buttonToggled.connect(self._toggled)
        self.caption = QLabel()
        self.caption.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(toggles)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self._load_base()

    @staticmethod
    def button(group: QButtonGroup, choice: str) -> QToolButton:
        found = [b for b in group.buttons() if b.property("choice") == choice]
        assert isinstance(found[0], QToolButton)
        return found[0]

    def choose(self, source: str, tone: str = "light") -> None:
        """Preview on the selected photo, or on a landscape or portrait sample, light or dark."""
        self.button(self.tones, tone).setChecked(True)
        self.button(self.sources, source).setChecked(True)

    @property
    def source(self) -> str:
        checked = self.sources.checkedButton()
        return str(checked.property("choice")) if checked else "landscape"

    @property
    def busy(self) -> bool:
        """A drawing is waiting, loading its picture or being made."""
        return self._debounce.isActive() or self._drawing or self._base is None

    def show_spec(self, spec: WatermarkSpec) -> None:
        """Draw `spec` soon (changes in quick succession are drawn once)."""
        self.spec = spec
        self._debounce.start()

    def tokens(self) -> TokenValues:
        rec = self.record if self.source == "photo" else None
        filename = os.path.basename(rec.path) if rec else "IMG_0001.jpg"
        when = (rec.taken_at or "")[:10] if rec else ""
        return TokenValues(self.collection, "Client", when or date.today().isoformat(), filename)

    def _toggled(self, _button: QAbstractButton, checked: bool) -> None:
        if checked:
            self._load_base()

    def _load_base(self) -> None:
        source = self.source
        checked_tone = self.tones.checkedButton()
        tone = str(checked_tone.property("choice")) if checked_tone else "light"
        for b in self.tones.buttons():
            b.setEnabled(source != "photo")
        self._base_token += 1
        token, rec = self._base_token, self.record
        self._base = None
        if source != "photo" or rec is None:
            self._base_loaded(token, sample_picture(source, tone), f"Sample picture, {tone}")
            return
        self.caption.setText(f"Loading {rec.path} …")

        def work(_report: object) -> Image.Image | None:
            return load_photo(self.catalog, self.cache, rec)

        def done(im: Image.Image | None) -> None:
            if im is None:
                self._base_loaded(token, sample_picture("landscape", "light"), "No picture")
            else:
                self._base_loaded(token, im, rec.path)

        def failed(exc: BaseException) -> None:
            self._base_loaded(token, sample_picture("landscape", "light"), f"No picture: {exc}")

        self.tasks.run(work, done, failed)

    def _base_loaded(self, token: int, im: Image.Image, caption: str) -> None:
        if token != self._base_token:
            return  # another picture was asked for meanwhile
        self._base = im
        self.caption.setText(f"{caption}   ({im.width}×{im.height}; the mark scales with it)")
        self._draw()

    def _draw(self) -> None:
        base = self._base
        if base is None:
            return  # drawn when the picture arrives
        if self._drawing:
            self._draw_again = True
            return
        spec, tokens = self.spec, self.tokens()
        drawable = not spec.problems()  # else the bare picture: the editor lists what is wrong
        self._drawing = True

        def work(_report: object) -> QImage:
            return to_qimage(apply_watermark(base, spec, tokens) if drawable else base)

        def finished(image: QImage | None) -> None:
            self._drawing = False
            if image is not None:
                self.image = image
                self.renders += 1
                self._show()
            if self._draw_again:
                self._draw_again = False
                self._draw()

        def failed(exc: BaseException) -> None:  # e.g. a font file that cannot be read
            self.caption.setText(f"Cannot draw this watermark: {exc}")
            finished(None)

        self.tasks.run(work, finished, failed)

    def _show(self) -> None:
        if self.image.isNull():
            return
        self.picture.setPixmap(
            QPixmap.fromImage(self.image).scaled(
                self.picture.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._show()

    def stop(self) -> None:
        self._debounce.stop()
