"""The watermark editor: named presets with every setting, a live preview, and which preset a
collection and its galleries use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord
from gallery_desktop.catalog.watermarks import (
    SPEC_FIELDS,
    WatermarkPreset,
    add_watermark,
    delete_watermark,
    list_watermarks,
    read_logo,
    update_watermark,
)
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import (
    ANCHORS,
    LOGO_SCALE_RANGE,
    MARGIN_RANGE,
    TEXT_SCALE_RANGE,
    TOKENS,
    WatermarkError,
    WatermarkSpec,
    available_fonts,
    find_font,
)
from gallery_desktop.ui.tasks import BackgroundTasks
from gallery_desktop.ui.watermark_preview import WatermarkPreview
from gallery_desktop.ui.watermark_uses import WatermarkUses

ARROWS = dict(zip(ANCHORS, "↖↑↗←•→↙↓↘", strict=True))
NEW_TEXT = "© {year} Your Studio"


def _percent(lo: float, hi: float, decimals: int = 1) -> QDoubleSpinBox:
    """A share (0-1 in the preset) edited as a percentage, within the engine's bounds."""
    box = QDoubleSpinBox()
    box.setRange(lo * 100, hi * 100)
    box.setDecimals(decimals)
    box.setSingleStep(0.5 if decimals else 5)
    box.setSuffix(" %")
    return box


def _row(*widgets: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    if stretch_first:
        row.addStretch(1)
    for w in widgets:
        row.addWidget(w)
    if not stretch_first:
        row.addStretch(1)
    return row


class WatermarkEditor(QDialog):
    """Create, edit, rename and delete presets; Save is enabled only for a preset that can be
    drawn (the problems are listed under the settings)."""

    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        *,
        record: MediaRecord | None = None,
        collection_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.tasks = BackgroundTasks(self)
        self.setWindowTitle("Watermarks")
        # Standard dialogs are replaceable so tests (and scripts) can answer them.
        self.pick_colour: Callable[[QColor], QColor | None] = self._pick_colour
        self.pick_logo: Callable[[], str | None] = self._pick_logo
        self.confirm: Callable[[str], bool] = self._confirm
        self.preset_id: int | None = None  # None: a new preset, not saved yet
        self._presets: list[WatermarkPreset] = []
        self._logo: bytes | None = None
        self._logo_path: str | None = None
        self._saved: tuple[str, WatermarkSpec] = ("", WatermarkSpec())  # as shown or saved
        self._loading = False

        self.presets = QListWidget()
        self.presets.setMaximumWidth(220)
        self.presets.currentItemChanged.connect(self._preset_chosen)
        new, duplicate = QPushButton("New"), QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete…")
        new.clicked.connect(self.new_preset)
        duplicate.clicked.connect(self.duplicate_preset)
        self.delete_button.clicked.connect(self.delete_preset)
        left = QVBoxLayout()
        left.addWidget(QLabel("Presets"))
        left.addWidget(self.presets, 1)
        left.addLayout(_row(new, duplicate, self.delete_button))

        self.uses = WatermarkUses(catalog, collection_id, record.gallery_id if record else None)
        self.preview = WatermarkPreview(catalog, cache, self.tasks, record)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(self._settings_panel())
        layout.addWidget(self.preview, 1)

        self._saved = (self.name.text(), self.spec())  # an empty form: nothing to lose
        self.reload_presets()
        self.preview.collection = self.uses.collection_name
        if self.presets.count():
            self.presets.setCurrentRow(0)
        else:
            self.new_preset()
        self.resize(1300, 720)

    # -- the settings ----------------------------------------------------------------------------

    def _settings_panel(self) -> QWidget:
        self.name, self.text, self.colour = QLineEdit(), QLineEdit(), QLineEdit()
        self.text.setPlaceholderText("e.g. © {year} Your Studio")
        self.font_box = QComboBox()
        self.font_box.addItem("Default (DejaVu Sans)", None)
        for path in sorted(available_fonts().values(), key=lambda p: p.stem.lower()):
            self.font_box.addItem(path.stem, path.stem)
        self.text_size = _percent(*TEXT_SCALE_RANGE)
        self.colour.setMaximumWidth(110)
        self.colour_button = QPushButton()
        self.colour_button.setToolTip("Choose the text colour")
        self.colour_button.setFixedWidth(44)
        self.colour_button.clicked.connect(self.choose_colour)
        self.opacity = _percent(0.0, 1.0, 0)
        self.shadow, self.outline = QCheckBox("Soft shadow"), QCheckBox("Outline")
        self.logo_label = QLabel("no logo")
        self.logo_choose, self.logo_remove = QPushButton("Choose…"), QPushButton("Remove")
        self.logo_choose.clicked.connect(self.choose_logo)
        self.logo_remove.clicked.connect(lambda: self.set_logo(None, None))
        self.logo_size = _percent(*LOGO_SCALE_RANGE)
        self.logo_opacity = _percent(0.0, 1.0, 0)
        self.margin = _percent(*MARGIN_RANGE)
        tokens = QLabel(" ".join("{" + t + "}" for t in TOKENS))
        tokens.setEnabled(False)
        tokens.setToolTip("Tokens in the text are filled in for each photo")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows: list[tuple[str, QWidget | QLayout]] = [
            ("Name", self.name),
            ("Text", self.text),
            ("", tokens),
            ("Font", self.font_box),
            ("Text size", self.text_size),
            ("Colour", _row(self.colour_button, self.colour)),
            ("Text opacity", self.opacity),
            ("", _row(self.shadow, self.outline)),
            ("Logo", _row(self.logo_label, self.logo_choose, self.logo_remove)),
            ("Logo size", self.logo_size),
            ("Logo opacity", self.logo_opacity),
            ("Position", self._position_picker()),
            ("Margin", self.margin),
        ]
        for label, field in rows:
            form.addRow(label, field)
        for edit in (self.name, self.text, self.colour):
            edit.textChanged.connect(self._changed)
        self.font_box.currentIndexChanged.connect(self._changed)
        for spin in (self.text_size, self.opacity, self.logo_size, self.logo_opacity, self.margin):
            spin.valueChanged.connect(self._changed)
        for check in (self.shadow, self.outline):
            check.toggled.connect(self._changed)
        self.positions.buttonToggled.connect(self._position_toggled)

        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c0392b;")
        self.save_button, self.revert_button = QPushButton("Save"), QPushButton("Revert")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        panel = QWidget()
        panel.setMinimumWidth(400)
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(form)
        box.addWidget(self.problems)
        box.addWidget(self.uses)
        box.addStretch(1)
        box.addLayout(_row(self.revert_button, self.save_button, close, stretch_first=True))
        return panel

    def _position_picker(self) -> QWidget:
        """A 3×3 grid of anchors, plus Tiled and Diagonal."""
        self.positions = QButtonGroup(self)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        places = [(a, ARROWS[a], i // 3, i % 3) for i, a in enumerate(ANCHORS)]
        for position, text, r, c in [
            *places,
            ("tiled", "Tiled", 0, 3),
            ("diagonal", "Diagonal", 1, 3),
        ]:
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setProperty("position", position)
            button.setToolTip(position.replace("-", " ").capitalize())
            button.setMinimumSize(32 if len(text) == 1 else 76, 26)
            self.positions.addButton(button)
            grid.addWidget(button, r, c)
        grid.setColumnStretch(4, 1)
        holder = QWidget()
        holder.setLayout(grid)
        return holder

    def spec(self) -> WatermarkSpec:
        """The settings as shown (checked by `problems()`, not here)."""
        checked = self.positions.checkedButton()
        return WatermarkSpec(
            text=self.text.text() or None,
            font=self.font_box.currentData(),
            text_scale=round(self.text_size.value() / 100, 5),
            colour=self.colour.text().strip(),
            opacity=round(self.opacity.value() / 100, 4),
            shadow=self.shadow.isChecked(),
            outline=self.outline.isChecked(),
            logo=self._logo,
            logo_scale=round(self.logo_size.value() / 100, 5),
            logo_opacity=round(self.logo_opacity.value() / 100, 4),
            position=str(checked.property("position")) if checked else "bottom-right",
            margin=round(self.margin.value() / 100, 5),
        )

    def _position_toggled(self, _button: QAbstractButton, checked: bool) -> None:
        if checked:
            self._changed()

    def set_position(self, position: str) -> None:
        for button in self.positions.buttons():
            if button.property("position") == position:
                button.setChecked(True)

    def set_logo(self, data: bytes | None, path: str | None) -> None:
        self._logo, self._logo_path = data, (path if data else None)
        shown = os.path.basename(path) if data and path else ("a logo" if data else "no logo")
        self.logo_label.setText(shown)
        self.logo_label.setToolTip(path or "")
        for w in (self.logo_remove, self.logo_size, self.logo_opacity):
            w.setEnabled(data is not None)
        self._changed()

    def choose_logo(self) -> None:
        path = self.pick_logo()
        if not path:
            return
        try:
            self.set_logo(read_logo(path), path)
        except UserFacingError as exc:
            self.problems.setText(str(exc))

    def choose_colour(self) -> None:
        chosen = self.pick_colour(QColor(self.colour.text().strip()))
        if chosen is not None and chosen.isValid():
            self.colour.setText(chosen.name())

    def problem_list(self) -> list[str]:
        out = self.spec().problems()
        name = " ".join(self.name.text().split())
        if not name:
            out.insert(0, "the preset needs a name")
        elif any(p.name.lower() == name.lower() and p.id != self.preset_id for p in self._presets):
            out.insert(0, f"another preset is named “{name}”")
        return out

    def _changed(self) -> None:
        if self._loading:
            return
        problems = self.problem_list()
        self.problems.setText("\n".join(f"• {p[:1].upper()}{p[1:]}" for p in problems))
        self.save_button.setEnabled(not problems and (self.dirty or self.preset_id is None))
        self.revert_button.setEnabled(self.preset_id is not None and self.dirty)
        colour = QColor(self.colour.text().strip())
        self.colour_button.setStyleSheet(
            f"background: {colour.name()};" if colour.isValid() else ""
        )
        self.preview.show_spec(self.spec())

    # -- presets ---------------------------------------------------------------------------------

    def reload_presets(self) -> None:
        """The list and the 'where used' choices, from the catalogue."""
        self._presets = list_watermarks(self.catalog)
        with QSignalBlocker(self.presets):
            self.presets.clear()
            for p in self._presets:
                item = QListWidgetItem(p.name)
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                self.presets.addItem(item)
                if p.id == self.preset_id:
                    self.presets.setCurrentItem(item)
        self.uses.reload(self._presets)

    def _preset_chosen(
        self, item: QListWidgetItem | None, previous: QListWidgetItem | None
    ) -> None:
        if item is None:
            return
        if self.dirty and not self.confirm(f"Discard the changes to “{self._saved[0]}”?"):
            with QSignalBlocker(self.presets):
                self._select(previous)
            return
        preset = next(p for p in self._presets if p.id == item.data(Qt.ItemDataRole.UserRole))
        self._edit(preset.id, preset.name, preset.spec, preset.logo_path)

    def _select(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.presets.setCurrentItem(item)
        else:
            self.presets.setCurrentRow(-1)

    def _font_index(self, font: str | None) -> int:
        if not font:
            return 0
        try:
            path = find_font(font)  # names are matched loosely ('Playfair Display')
        except WatermarkError:
            path = None
        for i in range(1, self.font_box.count()):
            data = str(self.font_box.itemData(i))
            if data.lower() == font.lower() or (path is not None and data == path.stem):
                return i
        # A font file, or one not installed here: kept and shown; problems() says if it is gone.
        self.font_box.addItem(font, font)
        return self.font_box.count() - 1

    def _edit(
        self, preset_id: int | None, name: str, spec: WatermarkSpec, logo: str | None
    ) -> None:
        """Show a preset (or a new draft) in the form."""
        self._loading = True
        self.preset_id = preset_id
        self.name.setText(name)
        self.text.setText(spec.text or "")
        self.font_box.setCurrentIndex(self._font_index(spec.font))
        self.text_size.setValue(spec.text_scale * 100)
        self.colour.setText(spec.colour)
        self.opacity.setValue(spec.opacity * 100)
        self.shadow.setChecked(spec.shadow)
        self.outline.setChecked(spec.outline)
        self.set_logo(spec.logo, logo)
        self.logo_size.setValue(spec.logo_scale * 100)
        self.logo_opacity.setValue(spec.logo_opacity * 100)
        self.set_position(spec.position)
        self.margin.setValue(spec.margin * 100)
        self._loading = False
        self._saved = (self.name.text(), self.spec())
        self.delete_button.setEnabled(preset_id is not None)
        self._changed()

    def new_preset(self) -> None:
        if self.dirty and not self.confirm(f"Discard the changes to “{self._saved[0]}”?"):
            return
        taken = {p.name.lower() for p in self._presets}
        name = next(n for i in range(1, 10_000) if (n := f"Watermark {i}").lower() not in taken)
        with QSignalBlocker(self.presets):
            self._select(None)
        self._edit(None, name, WatermarkSpec(text=NEW_TEXT), None)

    def duplicate_preset(self) -> None:
        spec, name, logo_path = self.spec(), self.name.text().strip(), self._logo_path
        with QSignalBlocker(self.presets):
            self._select(None)
        self._edit(None, f"{name} copy", spec, logo_path)

    def delete_preset(self) -> None:
        if self.preset_id is None or not self.confirm(
            f"Delete the watermark “{self._saved[0]}”?\n\n"
            "Collections and galleries that use it will have no watermark."
        ):
            return
        try:
            delete_watermark(self.catalog, str(self.preset_id))
        except UserFacingError as exc:
            self.problems.setText(str(exc))
            return
        self.preset_id = None
        self._saved = (self.name.text(), self.spec())  # nothing left to lose
        self.reload_presets()
        if self.presets.count():
            self.presets.setCurrentRow(0)
        else:
            self.new_preset()

    @property
    def dirty(self) -> bool:
        """Changed since the preset (or the new draft) was shown or saved."""
        return self._saved != (self.name.text(), self.spec())

    def save(self) -> bool:
        if not self.save_button.isEnabled():
            return False
        spec, name = self.spec(), self.name.text()
        try:
            if self.preset_id is None:
                preset = add_watermark(self.catalog, name, spec, logo_path=self._logo_path)
            else:
                fields: dict[str, Any] = {k: getattr(spec, k) for k in SPEC_FIELDS}
                preset = update_watermark(
                    self.catalog,
                    str(self.preset_id),
                    name=name,
                    logo_path=self._logo_path,
                    logo=spec.logo,
                    **fields,
                )
        except UserFacingError as exc:
            self.problems.setText(str(exc))
            return False
        self.preset_id = preset.id
        self.reload_presets()
        with QSignalBlocker(self.name):
            self.name.setText(preset.name)  # as the catalogue keeps it (spaces tidied)
        self._saved = (self.name.text(), spec)
        self.delete_button.setEnabled(True)
        self._changed()
        return True

    def revert(self) -> None:
        preset = next((p for p in self._presets if p.id == self.preset_id), None)
        if preset is not None:
            self._edit(preset.id, preset.name, preset.spec, preset.logo_path)

    # -- closing and the standard dialogs ---------------------------------------------------------

    def done(self, result: int) -> None:
        if self.dirty and not self.confirm(f"Close without saving “{self._saved[0]}”?"):
            return
        self.preview.stop()
        self.tasks.close()  # a drawing in flight finishes; its result is dropped
        super().done(result)

    def _pick_colour(self, current: QColor) -> QColor | None:
        chosen = QColorDialog.getColor(current, self, "Watermark colour")
        return chosen if chosen.isValid() else None

    def _pick_logo(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a logo", str(Path.home()), "Images (*.png *.webp *.gif *.tif *.tiff)"
        )
        return path or None

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Watermarks", question)
        return answer == QMessageBox.StandardButton.Yes
