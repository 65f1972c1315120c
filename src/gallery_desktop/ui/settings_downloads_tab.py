"""The “Downloads” tab: what clients may download, a gallery's own choices, sharing links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import SIZE_LABELS, SIZES, DeliverySettings
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.sharing_links import (
    LinkInfo,
    create_link,
    last_day,
    list_links,
    photos_among,
    revoke_link,
    set_link_expiry,
)
from gallery_desktop.errors import UserFacingError

FOLLOW = "inherit"
CHOICES = ((FOLLOW, "As the collection"), ("on", "On"), ("off", "Off"))


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _choice(override: dict[str, object], key: str) -> str:
    return FOLLOW if key not in override else _on(bool(override[key]))


class DownloadsTab(QWidget):
    """Edits downloads (written by the dialog's Save); sharing links act at once."""

    changed = Signal()
    link_failed = Signal(str)

    def __init__(
        self,
        catalog: Catalog,
        collection_id: int,
        settings: DeliverySettings,
        selected_photos: Sequence[int] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.collection_id = catalog, collection_id
        self.selected_photos = tuple(photos_among(catalog, selected_photos))
        layout = QVBoxLayout(self)
        layout.addWidget(self._collection_box(settings))
        layout.addWidget(self._gallery_box(settings))
        layout.addWidget(self._links_box(), 1)
        self._changed()

    # -- the collection's downloads ---------------------------------------------------------------

    def _collection_box(self, s: DeliverySettings) -> QGroupBox:
        box = QGroupBox("Downloads")
        form = QFormLayout(box)
        self.downloadable = QCheckBox("Clients may download photos")
        self.downloadable.setChecked(s.downloadable)
        form.addRow(self.downloadable)
        sizes = QHBoxLayout()
        self.sizes: dict[str, QCheckBox] = {}
        for size in SIZES:
            check = QCheckBox(SIZE_LABELS[size])
            check.setChecked(size in s.sizes)
            self.sizes[size] = check
            sizes.addWidget(check)
        sizes.addStretch(1)
        form.addRow("Sizes:", sizes)
        ways = QHBoxLayout()
        self.single = QCheckBox("Single photos")
        self.single.setChecked(s.single)
        self.bulk = QCheckBox("Whole galleries as a zip")
        self.bulk.setChecked(s.bulk)
        ways.addWidget(self.single)
        ways.addWidget(self.bulk)
        ways.addStretch(1)
        form.addRow("How:", ways)
        self.watermarked = QCheckBox("Watermark downloaded photos")
        self.watermarked.setChecked(s.watermarked)
        form.addRow(self.watermarked)
        pin = QHBoxLayout()
        self.pin_on = QCheckBox("Ask for a download PIN")
        self.pin_on.setChecked(bool(s.pin))
        self.pin = QLineEdit(s.pin or "")
        self.pin.setPlaceholderText("4 digits")
        self.pin.setMaxLength(4)
        self.pin.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}")))
        self.pin.setMaximumWidth(80)
        pin.addWidget(self.pin_on)
        pin.addWidget(self.pin)
        pin.addStretch(1)
        form.addRow("PIN:", pin)
        self.limit = QSpinBox()
        self.limit.setRange(0, 10_000)
        self.limit.setSpecialValueText("no limit")
        self.limit.setSuffix(" downloads")
        self.limit.setValue(s.limit or 0)
        self.limit.setMaximumWidth(180)
        form.addRow("Per client:", self.limit)
        for check in (self.downloadable, self.single, self.bulk, self.watermarked, self.pin_on):
            check.toggled.connect(self._changed)
        for check in self.sizes.values():
            check.toggled.connect(self._changed)
        self.pin.textChanged.connect(self._changed)
        self.limit.valueChanged.connect(self._changed)
        return box

    # -- a gallery's own choices ------------------------------------------------------------------

    def _gallery_box(self, s: DeliverySettings) -> QGroupBox:
        box = QGroupBox("Galleries that differ")
        layout = QVBoxLayout(box)
        self.galleries = QTableWidget(len(s.galleries), 3)
        self.galleries.setHorizontalHeaderLabels(["Gallery", "Downloads", "Watermark"])
        self.galleries.verticalHeader().setVisible(False)
        header = self.galleries.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, g in enumerate(s.galleries):
            name = QTableWidgetItem(g.name)
            name.setData(Qt.ItemDataRole.UserRole, g.id)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.galleries.setItem(row, 0, name)
            for col, key in ((1, "downloadable"), (2, "watermarked")):
                combo = QComboBox()
                for value, label in CHOICES:
                    combo.addItem(label, value)
                combo.setCurrentIndex(combo.findData(_choice(g.override, key)))
                combo.currentIndexChanged.connect(self._changed)
                self.galleries.setCellWidget(row, col, combo)
        shown = max(1, min(len(s.galleries), 5))
        height = header.sizeHint().height() + 4
        height += sum(self.galleries.rowHeight(r) for r in range(shown)) or 30
        self.galleries.setFixedHeight(height)
        layout.addWidget(self.galleries)
        return box

    def gallery_assignments(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for row in range(self.galleries.rowCount()):
            item = self.galleries.item(row, 0)
            assert item is not None
            gallery_id = int(item.data(Qt.ItemDataRole.UserRole))
            values = []
            for col, key in ((1, "downloadable"), (2, "watermarked_downloads")):
                combo = self.galleries.cellWidget(row, col)
                assert isinstance(combo, QComboBox)
                values.append(f"{key}={combo.currentData()}")
            out[gallery_id] = values
        return out

    # -- sharing links (made and revoked at once) -------------------------------------------------

    def _links_box(self) -> QGroupBox:
        box = QGroupBox("Sharing links to single photos")
        layout = QVBoxLayout(box)
        note = QLabel(
            "Made and revoked at once (no need to Save); each gets its address when the "
            "collection syncs."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.links = QTableWidget(0, 4)
        self.links.setHorizontalHeaderLabels(["Photo", "State", "Expires", "Address"])
        self.links.verticalHeader().setVisible(False)
        self.links.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.links.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.links.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.links)
        buttons = QHBoxLayout()
        count = len(self.selected_photos)
        self.new_link = QPushButton(f"New Link for the Selected Photo{'s' if count > 1 else ''}")
        self.new_link.setEnabled(count > 0)
        if not count:
            self.new_link.setToolTip("Select photos in the grid first (videos get no links)")
        self.new_link.clicked.connect(self._make_links)
        self.expire_link = QPushButton("Change Expiry…")
        self.expire_link.clicked.connect(self._change_expiry)
        self.revoke = QPushButton("Revoke")
        self.revoke.clicked.connect(self._revoke)
        for button in (self.new_link, self.expire_link, self.revoke):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.reload_links()
        return box

    def reload_links(self) -> None:
        now = utcnow()
        self._link_rows: list[LinkInfo] = list_links(self.catalog, self.collection_id)
        self.links.setRowCount(len(self._link_rows))
        for row, link in enumerate(self._link_rows):
            expires = last_day(link.expires_at).isoformat() if link.expires_at else "never"
            for col, text in enumerate((link.file_name, link.state(now), expires, link.url or "")):
                self.links.setItem(row, col, QTableWidgetItem(text))
        has = bool(self._link_rows)
        self.expire_link.setEnabled(has)
        self.revoke.setEnabled(has)

    def _chosen_link(self) -> LinkInfo | None:
        row = self.links.currentRow()
        return self._link_rows[row] if 0 <= row < len(self._link_rows) else None

    def _act(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except UserFacingError as exc:
            self.link_failed.emit(str(exc))
        self.reload_links()

    def _make_links(self) -> None:
        def make() -> None:
            for media_id in self.selected_photos:
                create_link(self.catalog, media_id)

        self._act(make)

    def _revoke(self) -> None:
        link = self._chosen_link()
        if link is not None:
            self._act(lambda: revoke_link(self.catalog, link.id))

    def _change_expiry(self) -> None:
        link = self._chosen_link()
        if link is None:
            return
        dialog = ExpiryDialog(last_day(link.expires_at) if link.expires_at else None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._act(lambda: set_link_expiry(self.catalog, link.id, dialog.chosen()))

    # -- values -----------------------------------------------------------------------------------

    def _changed(self) -> None:
        on = self.downloadable.isChecked()
        for widget in (*self.sizes.values(), self.single, self.bulk, self.watermarked):
            widget.setEnabled(on)
        self.pin_on.setEnabled(on)
        self.pin.setEnabled(on and self.pin_on.isChecked())
        self.limit.setEnabled(on)
        self.changed.emit()

    def assignments(self) -> list[str]:
        sizes = ",".join(s for s, check in self.sizes.items() if check.isChecked())
        pin = self.pin.text() if self.pin_on.isChecked() else ""
        return [
            f"downloadable={_on(self.downloadable.isChecked())}",
            f"download_sizes={sizes}",
            f"download_single={_on(self.single.isChecked())}",
            f"download_bulk={_on(self.bulk.isChecked())}",
            f"watermarked_downloads={_on(self.watermarked.isChecked())}",
            f"download_pin={pin}",
            f"download_limit={self.limit.value() or ''}",
        ]

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.downloadable.isChecked():
            if self.pin_on.isChecked() and len(self.pin.text()) != 4:
                out.append("a download PIN is four digits")
            if not any(c.isChecked() for c in self.sizes.values()):
                out.append("tick at least one download size, or turn downloads off")
        return out


class ExpiryDialog(QDialog):
    """Choose the last day a link works, or no expiry."""

    def __init__(self, current: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Link Expiry")
        layout = QVBoxLayout(self)
        self.never = QCheckBox("Never expires")
        self.never.setChecked(current is None)
        day = current or date.today() + timedelta(days=30)
        self.day = QDateEdit(QDate(day.year, day.month, day.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMinimumDate(QDate.currentDate())
        self.day.setEnabled(current is not None)
        self.never.toggled.connect(lambda on: self.day.setEnabled(not on))
        layout.addWidget(self.never)
        layout.addWidget(self.day)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> date | None:
        if self.never.isChecked():
            return None
        d = self.day.date()
        return date(d.year(), d.month(), d.day())
