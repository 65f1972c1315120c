"""Preferences: the "Collection defaults" page (what a new collection of each shoot type
starts with, and the shoot type of new collections that come without one).

Edits stay in the dialog until Save, which hands every change to the service at once: it
checks them all and writes all or nothing, and its reasons are shown in the dialog. Cancel
writes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.collection_defaults import (
    BUILTIN_DEFAULTS,
    MAX_EXPIRY_DAYS,
    SHOOT_TYPES,
    ShootDefaults,
    default_shoot_type,
    list_defaults,
    save_defaults,
    shoot_type_name,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import SIZES
from gallery_desktop.catalog.templates import DEFAULT_TEMPLATE, list_templates
from gallery_desktop.catalog.watermarks import list_watermarks
from gallery_desktop.errors import UserFacingError
from gallery_desktop.seat import Seat
from gallery_desktop.ui.account_dialog import ERROR_STYLE, sentence
from gallery_desktop.ui.seat_preferences import SeatPage

SIZE_LABELS: Final = {
    "original": "Original",
    "high": "High resolution",
    "web2048": "Web 2048 px",
    "web1024": "Web 1024 px",
    "web640": "Web 640 px",
}
NAME_ROLE: Final = Qt.ItemDataRole.UserRole


def shown_name(shoot_type: str) -> str:
    return shoot_type[:1].upper() + shoot_type[1:]


def _select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


class DefaultsForm(QWidget):
    """One shoot type's defaults as widgets: `show_defaults` fills them, `defaults` reads them."""

    def __init__(
        self,
        watermarks: list[tuple[int, str]],
        templates: list[tuple[int, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.password = QCheckBox("Password required (a new one is made for each collection)")
        self.expiry = QSpinBox()
        self.expiry.setRange(0, MAX_EXPIRY_DAYS)
        self.expiry.setSpecialValueText("Never")
        self.expiry.setSuffix(" days")
        self.expiry.setMaximumWidth(160)
        self.downloadable = QCheckBox("Clients may download")
        self.sizes = {s: QCheckBox(SIZE_LABELS.get(s, s)) for s in SIZES}
        self.watermarked = QCheckBox("Downloads carry the watermark")
        self.email_capture = QCheckBox("Ask visitors for their email")
        self.store = QCheckBox("Print store on")
        self.watermark = QComboBox()
        self.watermark.addItem("No watermark", None)
        for wid, name in watermarks:
            self.watermark.addItem(name, wid)
        self.template = QComboBox()
        self.template.addItem(f"Default ({DEFAULT_TEMPLATE})", None)
        for tid, name in templates:
            self.template.addItem(name, tid)

        sizes = QGridLayout()
        sizes.setContentsMargins(0, 0, 0, 0)
        for i, box in enumerate(self.sizes.values()):
            sizes.addWidget(box, i // 3, i % 3)
        form = QFormLayout(self)
        form.addRow("Access:", self.password)
        form.addRow("Expires after:", self.expiry)
        form.addRow("Downloads:", self.downloadable)
        form.addRow("Sizes:", sizes)
        form.addRow("", self.watermarked)
        form.addRow("Visitors:", self.email_capture)
        form.addRow("Store:", self.store)
        form.addRow("Watermark:", self.watermark)
        form.addRow("Template:", self.template)
        self.downloadable.toggled.connect(self._downloads_toggled)

    def _downloads_toggled(self, on: bool) -> None:
        for box in (*self.sizes.values(), self.watermarked):
            box.setEnabled(on)

    def show_defaults(self, d: ShootDefaults) -> None:
        self.password.setChecked(d.password_on)
        self.expiry.setValue(d.expiry_days or 0)
        self.downloadable.setChecked(d.downloadable)
        self._downloads_toggled(d.downloadable)
        for size, box in self.sizes.items():
            box.setChecked(size in d.download_sizes)
        self.watermarked.setChecked(d.download_watermarked)
        self.email_capture.setChecked(d.visitor_email_capture)
        self.store.setChecked(d.store_enabled)
        _select_data(self.watermark, d.watermark_id)
        _select_data(self.template, d.template_id)

    def defaults(self, shoot_type: str) -> ShootDefaults:
        return ShootDefaults(
            shoot_type,
            password_on=self.password.isChecked(),
            expiry_days=self.expiry.value() or None,
            downloadable=self.downloadable.isChecked(),
            download_sizes=tuple(s for s, box in self.sizes.items() if box.isChecked()),
            download_watermarked=self.watermarked.isChecked(),
            visitor_email_capture=self.email_capture.isChecked(),
            store_enabled=self.store.isChecked(),
            watermark_id=self.watermark.currentData(),
            template_id=self.template.currentData(),
        )


class CollectionDefaultsPage(QWidget):
    """Shoot types on the left, the chosen one's defaults on the right; edits kept as drafts
    until `save`. `problem`: a UserFacingError to explain, or None when it is solved."""

    problem = Signal(object)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.saved = {d.shoot_type: d for d in list_defaults(catalog)}
        self.drafts = dict(self.saved)
        self.removed: set[str] = set()
        self.current: str | None = None

        self.default_type = QComboBox()
        self.types = QListWidget()
        self.types.setMaximumWidth(200)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New shoot type…")
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.reset_button = QPushButton("Reset to built-in values")
        watermarks = [(p.id, p.name) for p in list_watermarks(catalog)]
        templates = [(t.id, t.name) for t in list_templates(catalog)]
        self.form = DefaultsForm(watermarks, templates)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")

        top = QHBoxLayout()
        top.addWidget(QLabel("New collections without a shoot type:"))
        top.addWidget(self.default_type)
        top.addStretch(1)
        adding = QHBoxLayout()
        adding.addWidget(self.new_name)
        adding.addWidget(self.add_button)
        left = QVBoxLayout()
        left.addWidget(self.types)
        left.addLayout(adding)
        left.addWidget(self.remove_button)
        right = QVBoxLayout()
        right.addWidget(self.title)
        note = QLabel(
            "New collections of this shoot type start with these settings. "
            "Existing collections are not changed."
        )
        note.setWordWrap(True)
        right.addWidget(note)
        right.addWidget(self.form)
        right.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignLeft)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        for name in self.drafts:
            self._add_item(name)
        self._fill_default_choice(default_shoot_type(catalog))
        self.types.currentItemChanged.connect(self._type_chosen)
        self.add_button.clicked.connect(self.add_type)
        self.new_name.returnPressed.connect(self.add_type)
        self.remove_button.clicked.connect(self.remove_current)
        self.reset_button.clicked.connect(self.reset_current)
        self.types.setCurrentRow(0)

    # -- the list of shoot types ---------------------------------------------------------------

    def _add_item(self, name: str) -> QListWidgetItem:
        label = shown_name(name) if name in SHOOT_TYPES else f"{shown_name(name)} (custom)"
        item = QListWidgetItem(label)
        item.setData(NAME_ROLE, name)
        self.types.addItem(item)
        return item

    def _fill_default_choice(self, chosen: str | None) -> None:
        with QSignalBlocker(self.default_type):
            self.default_type.clear()
            self.default_type.addItem("No shoot type (settings left as they are)", None)
            for name in self.drafts:
                self.default_type.addItem(shown_name(name), name)
            _select_data(self.default_type, chosen)

    def _keep_form(self) -> None:
        if self.current is not None and self.current in self.drafts:
            self.drafts[self.current] = self.form.defaults(self.current)

    def _type_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        self._keep_form()
        self.current = None if item is None else str(item.data(NAME_ROLE))
        if self.current is None:
            return
        self.title.setText(shown_name(self.current))
        self.form.show_defaults(self.drafts[self.current])
        builtin = self.current in SHOOT_TYPES
        self.remove_button.setEnabled(not builtin)
        self.reset_button.setEnabled(builtin)

    def select(self, shoot_type: str) -> None:
        for row in range(self.types.count()):
            if self.types.item(row).data(NAME_ROLE) == shoot_type:
                self.types.setCurrentRow(row)
                return
        raise KeyError(shoot_type)

    def add_type(self) -> None:
        """A custom shoot type, starting from the values of 'other' (a bad name: `problem`)."""
        try:
            name = shoot_type_name(self.new_name.text())
        except UserFacingError as exc:
            self.problem.emit(exc)
            return
        self.problem.emit(None)
        if name not in self.drafts:
            self.drafts[name] = dataclasses.replace(BUILTIN_DEFAULTS["other"], shoot_type=name)
            self.removed.discard(name)
            self._add_item(name)
            self._fill_default_choice(self.default_type.currentData())
        self.new_name.clear()
        self.select(name)

    def remove_current(self) -> None:
        name = self.current
        if name is None or name in SHOOT_TYPES:
            return
        self.current = None  # nothing to keep from the form
        del self.drafts[name]
        if name in self.saved:
            self.removed.add(name)
        chosen = self.default_type.currentData()
        self.types.takeItem(self.types.currentRow())
        self._fill_default_choice(None if chosen == name else chosen)

    def reset_current(self) -> None:
        builtin = BUILTIN_DEFAULTS.get(self.current or "")
        if builtin is not None:
            self.form.show_defaults(builtin)

    # -- saving ---------------------------------------------------------------------------------

    def save(self) -> None:
        """Everything edited, in one go. Raises BadInputError (nothing written) on a problem."""
        self._keep_form()
        changed, removed = [], set(self.removed)
        for name, d in self.drafts.items():
            before = self.saved.get(name)
            if name in SHOOT_TYPES and d == BUILTIN_DEFAULTS[name]:
                if before is not None and before.saved:
                    removed.add(name)  # back to the built-in values: no row of its own
            elif before is None or not before.saved or d != before:
                changed.append(d)
        save_defaults(
            self.catalog,
            changed,
            removed=sorted(removed),
            default_shoot_type=self.default_type.currentData(),
        )


class PreferencesDialog(QDialog):
    """The app's preferences: collection defaults (in the catalogue, for every seat) and, given
    this seat's settings, "This workstation" (the catalogue to open, library roots)."""

    def __init__(
        self, catalog: Catalog, parent: QWidget | None = None, seat: Seat | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.defaults_page = CollectionDefaultsPage(catalog)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.defaults_page, "Collection defaults")
        self.seat_page = SeatPage(catalog, seat) if seat is not None else None
        if self.seat_page is not None:
            self.tabs.addTab(self.seat_page, "This workstation")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.defaults_page.problem.connect(self._explain)
        self.resize(760, 520)

    def _explain(self, exc: UserFacingError | None) -> None:
        self.problem.setText("" if exc is None else sentence(str(exc)))
        self.problem.setVisible(exc is not None)

    def save(self) -> None:
        try:
            self.defaults_page.save()
            if self.seat_page is not None:
                self.seat_page.save()
        except UserFacingError as exc:
            self._explain(exc)
            return
        self.accept()
