"""The collection's "Cover & display" tab: choose a template, change its look, pick the cover
photo and click its focal point, and see the client's cover page as it will be, offline.

The page is drawn by `render_cover_page` (the CLI's `cover` command draws the same) in a worker;
nothing is written to the catalogue until `DesignTab.apply()`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.templates import (
    DISPLAY_SETTINGS,
    Design,
    TemplateRecord,
    collections_using,
    cover_candidates,
    cover_spec,
    list_templates,
    read_design,
    save_design,
)
from gallery_desktop.media.cover_page import (
    COLOUR_KEYS,
    Box,
    CoverSpec,
    Palette,
    cover_geometry,
    focal_crop,
    load_cover_photo,
    render_cover_page,
)
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.loupe import to_qimage
from gallery_desktop.ui.tasks import BackgroundTasks

PAGE_SIZE = (1200, 750)  # a desktop browser's first screen, 16:10
DEBOUNCE_MS = 60
LAYOUT_NAMES = {
    "centre": "Centred title over the photo",
    "left": "Title bottom-left over the photo",
    "split": "Photo and title side by side",
    "frame": "Framed photo, title below",
    "band": "Photo above a title band",
    "minimal": "Title first, small photo",
}
FONT_NAMES = {"serif": "Serif", "sans": "Sans", "sans-bold": "Sans bold"}

_PhotoKey = tuple[bytes | None, str | None]


@dataclass(frozen=True)
class _Drawn:
    token: int
    image: QImage
    photo_key: _PhotoKey
    photo: Image.Image | None
    photo_box: Box | None  # where the photo is on the page (None: no photo shown)
    crop: tuple[float, float, float, float] | None  # the part of the photo shown, in shares


def _draw(
    spec: CoverSpec,
    size: tuple[int, int],
    token: int,
    photo: Image.Image | None,
    key: _PhotoKey,
    have_key: _PhotoKey | None,
    cache: ThumbnailCache | None,
) -> _Drawn:
    """Runs in a worker: load the photo if it is not the one in hand, draw the page."""
    if key != have_key:
        photo = load_cover_photo(spec, 2 * max(size), cache)
    page = render_cover_page(spec, photo, size)
    box = cover_geometry(spec.style.layout, size).photo
    crop = None
    if box is not None and photo is not None:
        x0, y0, x1, y1 = focal_crop(photo.size, (box[2] - box[0]) / (box[3] - box[1]), spec.focal)
        w, h = photo.size
        crop = (x0 / w, y0 / h, x1 / w, y1 / h)
    return _Drawn(token, to_qimage(page), key, photo, box if photo is not None else None, crop)


class CoverPreview(QWidget):
    """The cover page drawn off the GUI thread; a click on the photo asks for a focal point.

    One drawing at a time; a newer request makes the one in progress stale (dropped), and the
    newest request is drawn next."""

    focal_clicked = Signal(float, float)  # shares of the photo's width and height
    rendered = Signal()

    def __init__(
        self,
        tasks: BackgroundTasks,
        cache: ThumbnailCache | None = None,
        page_size: tuple[int, int] = PAGE_SIZE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks, self.cache, self.page_size = tasks, cache, page_size
        self.image = QImage()
        self.renders = 0  # finished drawings shown, for tests and scripts
        self.error = ""
        self.spec: CoverSpec | None = None
        self._token = 0
        self._drawing = False
        self._stopped = False  # the dialog closed: a drawing that ends later is dropped
        self._photo: Image.Image | None = None
        self._photo_key: _PhotoKey | None = None
        self._shown: _Drawn | None = None
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start)
        self.setMinimumSize(360, 225)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Click the photo where the cover should be centred")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 375)

    @property
    def busy(self) -> bool:
        return self._debounce.isActive() or self._drawing

    def show_spec(self, spec: CoverSpec) -> None:
        """Draw `spec` soon (changes in quick succession are drawn once)."""
        self.spec = spec
        self._token += 1  # whatever is being drawn now is stale
        self._debounce.start()

    def _start(self) -> None:
        spec = self.spec
        if spec is None or self._drawing or self._stopped:
            return  # a drawing in progress starts the next one when it ends
        self._drawing = True
        token, size, cache = self._token, self.page_size, self.cache
        photo, have = self._photo, self._photo_key
        key: _PhotoKey = (spec.photo_path, spec.photo_hash)
        self.tasks.run(
            lambda _r: _draw(spec, size, token, photo, key, have, cache), self._done, self._failed
        )

    def _done(self, drawn: _Drawn) -> None:
        if self._stopped:
            return
        self._drawing = False
        self._photo, self._photo_key = drawn.photo, drawn.photo_key
        if drawn.token == self._token:
            self._shown, self.image, self.error = drawn, drawn.image, ""
            self.renders += 1
            self.update()
            self.rendered.emit()
        else:
            self._start()  # stale: draw the newest request

    def _failed(self, exc: BaseException) -> None:
        if self._stopped:
            return
        self._drawing = False
        self.error = f"Cannot draw this cover: {exc}"
        self.update()
        if self._debounce.isActive() is False and self.spec is not None:
            self._photo_key = None  # try loading the photo again next time

    def stop(self) -> None:
        self._stopped = True
        self._debounce.stop()

    # --- painting and clicks ---------------------------------------------------------------

    def _page_rect(self) -> QRectF:
        w, h = self.page_size
        scale = min(self.width() / w, self.height() / h)
        pw, ph = w * scale, h * scale
        return QRectF((self.width() - pw) / 2, (self.height() - ph) / 2, pw, ph)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2b2b2b"))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        target = self._page_rect()
        if not self.image.isNull():
            painter.drawImage(target, self.image)
            marker = self._focal_on_page()
            if marker is not None:
                scale = target.width() / self.page_size[0]
                p = QPointF(target.x() + marker[0] * scale, target.y() + marker[1] * scale)
                for colour, width in ((QColor(0, 0, 0, 150), 4.0), (QColor("white"), 2.0)):
                    painter.setPen(QPen(colour, width))
                    painter.drawEllipse(p, 9, 9)
        if self.error or self.image.isNull():
            painter.setPen(QColor("#dddddd"))
            text = self.error or "Drawing the cover…"
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()

    def _focal_on_page(self) -> tuple[float, float] | None:
        shown, spec = self._shown, self.spec
        if shown is None or shown.photo_box is None or shown.crop is None or spec is None:
            return None
        (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) = shown.photo_box, shown.crop
        u = (spec.focal[0] - cx0) / max(1e-9, cx1 - cx0)
        v = (spec.focal[1] - cy0) / max(1e-9, cy1 - cy0)
        if not (0 <= u <= 1 and 0 <= v <= 1):
            return None
        return x0 + u * (x1 - x0), y0 + v * (y1 - y0)

    def focal_at(self, pos: QPointF) -> tuple[float, float] | None:
        """The point of the photo (shares) under a widget position, or None off the photo."""
        shown = self._shown
        if shown is None or shown.photo_box is None or shown.crop is None:
            return None
        target = self._page_rect()
        scale = self.page_size[0] / target.width()
        px, py = (pos.x() - target.x()) * scale, (pos.y() - target.y()) * scale
        (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) = shown.photo_box, shown.crop
        if not (x0 <= px < x1 and y0 <= py < y1):
            return None
        u, v = (px - x0) / (x1 - x0), (py - y0) / (y1 - y0)
        fx, fy = cx0 + u * (cx1 - cx0), cy0 + v * (cy1 - cy0)
        return min(1.0, max(0.0, fx)), min(1.0, max(0.0, fy))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            focal = self.focal_at(event.position())
            if focal is not None:
                self.focal_clicked.emit(*focal)
                return
        super().mousePressEvent(event)


class _ColourButton(QPushButton):
    """A swatch; clicking opens a colour picker."""

    picked = Signal()

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key, self.colour = key, "#000000"
        self.setFixedSize(36, 22)
        self.setToolTip(f"{key.capitalize()} colour")
        self.clicked.connect(self._choose)

    def set_colour(self, colour: str) -> None:
        self.colour = QColor(colour).name()
        self.setStyleSheet(f"background: {self.colour}; border: 1px solid #777;")

    def _choose(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour), self, self.toolTip())
        if chosen.isValid():
            self.set_colour(chosen.name())
            self.picked.emit()


class DesignTab(QWidget):
    """Cover & display for one collection: `values()` is the design as shown, `apply()` saves
    it (a changed built-in template becomes the collection's own copy). `changed` is emitted on
    every edit; `is_modified()` says whether anything differs from the catalogue."""

    changed = Signal()

    def __init__(
        self,
        catalog: Catalog,
        collection_id: int,
        tasks: BackgroundTasks | None = None,
        cache: ThumbnailCache | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.collection_id = catalog, collection_id
        self._own_tasks = tasks is None
        self.tasks = tasks or BackgroundTasks(self)
        self._templates: list[TemplateRecord] = []
        self._saved = read_design(catalog, collection_id)
        self._focal = self._saved.focal
        self._loading = False
        self._custom_colours = False  # colours picked here (else: the template's or theme's)

        self.template = QComboBox()
        self.layout_choice = self._combo(LAYOUT_NAMES)
        self.font_choice = self._combo(FONT_NAMES)
        self.theme = self._combo({v: v.capitalize() for v in DISPLAY_SETTINGS["theme"]})
        self.grid_style = self._combo({v: v.capitalize() for v in DISPLAY_SETTINGS["grid_style"]})
        self.thumbnail_size = self._combo(
            {v: v.capitalize() for v in DISPLAY_SETTINGS["thumbnail_size"]}
        )
        self.grid_spacing = self._combo(
            {v: v.capitalize() for v in DISPLAY_SETTINGS["grid_spacing"]}
        )
        self.colours = {key: _ColourButton(key) for key in COLOUR_KEYS}
        self.cover = QComboBox()
        self.cover.addItem("No cover photo", None)
        for media_id, path in cover_candidates(catalog, collection_id):
            self.cover.addItem(path, media_id)
        self.centre_focal = QPushButton("Centre the focal point")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.preview = CoverPreview(self.tasks, cache)

        colours = QHBoxLayout()
        for button in self.colours.values():
            colours.addWidget(button)
        colours.addStretch(1)
        form = QFormLayout()
        form.addRow("Template", self.template)
        form.addRow("Cover layout", self.layout_choice)
        form.addRow("Title font", self.font_choice)
        form.addRow("Colours", colours)
        form.addRow("Cover photo", self.cover)
        form.addRow("", self.centre_focal)
        form.addRow("Theme", self.theme)
        form.addRow("Grid style", self.grid_style)
        form.addRow("Thumbnail size", self.thumbnail_size)
        form.addRow("Spacing", self.grid_spacing)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.note)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(side)
        layout.addWidget(self.preview, 1)

        self._load_templates()
        self._show_design(self._saved)
        self.template.currentIndexChanged.connect(self._template_chosen)
        for combo in self._style_combos():
            combo.currentIndexChanged.connect(self._edited)
        for button in self.colours.values():
            button.picked.connect(self._colour_picked)
        self.cover.currentIndexChanged.connect(self._cover_chosen)
        self.centre_focal.clicked.connect(lambda: self.set_focal(0.5, 0.5))
        self.preview.focal_clicked.connect(self.set_focal)
        self._refresh()

    @staticmethod
    def _combo(choices: dict[str, str]) -> QComboBox:
        combo = QComboBox()
        for value, label in choices.items():
            combo.addItem(label, value)
        return combo

    def _style_combos(self) -> list[QComboBox]:
        return [
            self.layout_choice,
            self.font_choice,
            self.theme,
            self.grid_style,
            self.thumbnail_size,
            self.grid_spacing,
        ]

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        if index < 0 and isinstance(value, str):  # e.g. a font named in the CLI
            combo.addItem(value, value)
            index = combo.count() - 1
        combo.setCurrentIndex(max(0, index))

    def _load_templates(self) -> None:
        self._templates = list_templates(self.catalog)
        self._loading = True
        self.template.clear()
        for rec in self._templates:
            self.template.addItem(rec.name + ("" if rec.builtin else "  (yours)"), rec.id)
        self._loading = False

    def _record(self, template_id: int) -> TemplateRecord | None:
        return next((r for r in self._templates if r.id == template_id), None)

    def _show_design(self, design: Design) -> None:
        self._loading = True
        self._select(self.template, design.template_id)
        self._show_style(design)
        self._select(self.cover, design.cover_media_id)
        self._focal = design.focal
        self._custom_colours = False
        self._loading = False

    def _show_style(self, design: Design) -> None:
        s = design.style
        for combo, value in zip(
            self._style_combos(),
            (s.cover_layout, s.title_font, s.theme, s.grid_style, s.thumbnail_size),
            strict=False,
        ):
            self._select(combo, value)
        self._select(self.grid_spacing, s.grid_spacing)
        palette = s.palette()
        for key, button in self.colours.items():
            button.set_colour(getattr(palette, key))

    # --- the design as shown ---------------------------------------------------------------

    def values(self) -> Design:
        template_id = int(self.template.currentData())
        rec = self._record(template_id)
        base = rec.style if rec is not None else self._saved.style
        palette = Palette(**{k: b.colour for k, b in self.colours.items()})
        style = dataclasses.replace(
            base,
            cover_layout=str(self.layout_choice.currentData()),
            title_font=str(self.font_choice.currentData()),
            theme=str(self.theme.currentData()),
            grid_style=str(self.grid_style.currentData()),
            thumbnail_size=str(self.thumbnail_size.currentData()),
            grid_spacing=str(self.grid_spacing.currentData()),
            colours=palette if self._custom_colours else base.colours,
        )
        cover = self.cover.currentData()
        return Design(template_id, style, None if cover is None else int(cover), self._focal)

    def is_modified(self) -> bool:
        return self.values() != self._saved

    def set_focal(self, x: float, y: float) -> None:
        """A new focal point (shares of the cover photo), shown at once, saved by apply()."""
        self._focal = (min(1.0, max(0.0, x)), min(1.0, max(0.0, y)))
        self._edited()

    def set_cover(self, media_id: int | None) -> None:
        """Choose the cover photo (e.g. the photo selected in the grid); the focal point
        starts at its centre."""
        self._select(self.cover, media_id)

    def apply(self) -> TemplateRecord:
        """Save the design shown (one transaction); BadInputError if it cannot be."""
        rec = save_design(self.catalog, self.collection_id, self.values())
        self._saved = read_design(self.catalog, self.collection_id)
        self._load_templates()
        self._show_design(self._saved)
        self._refresh()
        return rec

    def stop(self) -> None:
        """The dialog is closing: no more drawings (and our own worker pool is finished)."""
        self.preview.stop()
        if self._own_tasks:
            self.tasks.close()

    # --- reacting --------------------------------------------------------------------------

    def _template_chosen(self) -> None:
        if self._loading:
            return
        rec = self._record(int(self.template.currentData()))
        if rec is not None:
            self._loading = True
            self._show_style(Design(rec.id, rec.style, None, self._focal))
            self._custom_colours = False
            self._loading = False
        self._edited()

    def set_colour(self, key: str, colour: str) -> None:
        """One of the cover's colours (background, title, subtitle, accent)."""
        self.colours[key].set_colour(colour)
        self._colour_picked()

    def _colour_picked(self) -> None:
        self._custom_colours = True
        self._edited()

    def _cover_chosen(self) -> None:
        if not self._loading:
            self._focal = (0.5, 0.5)
            self._edited()

    def _edited(self) -> None:
        if self._loading:
            return
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        design = self.values()
        if not self._custom_colours:  # the swatches follow the theme's colours
            palette = design.style.palette()
            for key, button in self.colours.items():
                button.set_colour(getattr(palette, key))
        self.centre_focal.setEnabled(design.cover_media_id is not None)
        self.note.setText(self._explain(design))
        try:
            spec = cover_spec(self.catalog, self.collection_id, design=design)
        except Exception as exc:  # a read error must not break the dialog
            self.note.setText(f"Cannot show the cover: {exc}")
            return
        self.preview.show_spec(spec)

    def _explain(self, design: Design) -> str:
        rec = self._record(design.template_id)
        if rec is None or rec.style == design.style:
            return ""
        if rec.builtin:
            return f"Saving makes a copy of {rec.name} for this collection."
        others = [n for n in collections_using(self.catalog, rec.id) if n]
        names = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
        return f"Saving changes the template {rec.name!r}" + (
            f", used by: {names}." if others else "."
        )
