"""Preferences, "This workstation": which catalogue the app opens (the embedded file, or a
studio's shared PostgreSQL catalogue), the name this seat's edits are recorded under, and where
each library root is mounted here. Written to `seat.json`; a new catalogue takes effect at the
next start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.roots import mounted, root_names
from gallery_desktop.catalog.urls import check_url, display_url
from gallery_desktop.errors import BadInputError, CatalogError
from gallery_desktop.seat import Seat, changing_seat

ROOT_NAME, ROOT_FOLDER, ROOT_STATE = range(3)


class SeatPage(QWidget):
    def __init__(self, catalog: Catalog, seat: Seat, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog, self.seat = catalog, seat
        self.url = QLineEdit(seat.catalog_url or "")
        self.url.setPlaceholderText("empty: the catalogue file on this computer")
        self.url.setToolTip(
            "A studio's shared catalogue, e.g. postgresql+psycopg://anna@nas.local/gallery "
            "(the password, if any, is better kept in ~/.pgpass)"
        )
        self.name = QLineEdit(seat.name)
        self.name.setToolTip("Who made an edit is recorded under this name")
        now = QLabel(f"Open now: {catalog.where if catalog.db_file else display_url(catalog.url)}")
        now.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Catalogue", self.url)
        form.addRow("", now)
        self.next_start = QLabel("A new catalogue is opened the next time the app starts.")
        self.next_start.setWordWrap(True)
        self.next_start.hide()
        self.url.textChanged.connect(
            lambda text: self.next_start.setVisible(text.strip() != (seat.catalog_url or ""))
        )
        form.addRow("", self.next_start)
        form.addRow("This workstation's name", self.name)

        self.roots = QTableWidget(0, 3)
        self.roots.setHorizontalHeaderLabels(["Library root", "Mounted here at", "Here"])
        self.roots.horizontalHeader().setStretchLastSection(True)
        self.roots.verticalHeader().hide()
        names = sorted(root_names(catalog).values()) + sorted(
            n for n in seat.roots if n not in root_names(catalog).values()
        )
        self._shown = {name: seat.roots.get(name, "") for name in names}  # as first shown
        for name in names:
            self._add_row(name, self._shown[name])
        self.roots.resizeColumnsToContents()
        self.choose = QPushButton("Choose Folder…")
        self.choose.clicked.connect(self._choose)
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose)
        buttons.addStretch(1)
        hint = QLabel(
            "Each workstation mounts a library root where it likes; a root that is not "
            "mounted here makes its photos offline (nothing is re-scanned or lost)."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Library roots"))
        layout.addWidget(self.roots, 1)
        layout.addLayout(buttons)
        layout.addWidget(hint)

    def _add_row(self, name: str, folder: str) -> None:
        row = self.roots.rowCount()
        self.roots.insertRow(row)
        item = QTableWidgetItem(name)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.roots.setItem(row, ROOT_NAME, item)
        self.roots.setItem(row, ROOT_FOLDER, QTableWidgetItem(folder))
        self.roots.setItem(row, ROOT_STATE, QTableWidgetItem(self._state(folder)))

    @staticmethod
    def _state(folder: str) -> str:
        if not folder:
            return "not mapped: offline here"
        return "online" if mounted(Path(folder).expanduser()) else "offline: nothing mounted"

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.roots.item(row, column)
        assert item is not None  # every row is made whole by _add_row
        return item

    def _choose(self) -> None:
        row = self.roots.currentRow()
        if row < 0:
            return
        current = self._cell(row, ROOT_FOLDER)
        chosen = QFileDialog.getExistingDirectory(self, "Where is it mounted?", current.text())
        if chosen:
            current.setText(chosen)
            self._cell(row, ROOT_STATE).setText(self._state(chosen))

    def mapping(self) -> dict[str, str]:
        out = {}
        for row in range(self.roots.rowCount()):
            folder = self._cell(row, ROOT_FOLDER).text().strip()
            if folder:
                out[self._cell(row, ROOT_NAME).text()] = folder
        return out

    def save(self) -> bool:
        """Write seat.json; BadInputError (nothing written) for a bad URL or folder. Returns
        whether the catalogue changed (it takes effect at the next start)."""
        url = self.url.text().strip() or None
        if url is not None:
            try:
                url = check_url(url)
            except CatalogError as exc:
                raise BadInputError(str(exc)) from None
        roots = self.mapping()
        for name, folder in roots.items():
            if not Path(folder).expanduser().is_dir():
                raise BadInputError(f"{folder} (for {name!r}) is not a folder")
        name = self.name.text().strip()
        if not name:
            raise BadInputError("give this workstation a name")
        with changing_seat(self.seat.path) as seat:
            changed = url != seat.catalog_url
            seat.catalog_url, seat.name = url, name
            # only the rows edited here: a `roots map` typed in a terminal meanwhile stays
            for root, folder in self._shown.items():
                edited = roots.get(root)
                if edited == (folder or None):
                    continue
                if edited is None:
                    seat.roots.pop(root, None)
                else:
                    seat.roots[root] = edited
            roots = dict(seat.roots)
        self.seat = seat
        self.catalog.seat_name = name
        self.catalog.roots = {n: Path(f).expanduser() for n, f in roots.items()}
        return changed
