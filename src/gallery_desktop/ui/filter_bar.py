"""The filter and sort bar above the grid: what to show, in which order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLineEdit,
    QMenu,
    QToolBar,
    QToolButton,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import FavouritesOf, favourite_file_names, who_favourited
from gallery_desktop.catalog.media import ANYONE, BY_ALL_CLIENTS, NOT_DOWNLOADED, MediaFilter
from gallery_desktop.catalog.models import ColourLabel
from gallery_desktop.ui.favourite_copy_dialog import FavouriteCopyDialog

# The favourites' file names for a client's email (or ANYONE), in the shown collection.
FavouriteNames = Callable[[str], list[str]]


def _combo(items: Sequence[tuple[str, object]], tip: str) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    box.setToolTip(tip)
    return box


class FilterBar(QToolBar):
    """Emits `changed` with a MediaFilter whenever any control changes."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Filter", parent)
        self.setObjectName("filter-bar")
        self.rating = _combo(
            [("Any rating", 0)] + [(f"≥ {'★' * n}", n) for n in range(1, 6)], "Rating at least"
        )
        self.flag = _combo(
            [
                ("Any flag", None),
                ("Picks", "picked"),
                ("Rejects", "rejected"),
                ("Unflagged", "unflagged"),
            ],
            "Pick flag",
        )
        self.label = _combo(
            [("Any label", None)] + [(c.value.title(), c.value) for c in ColourLabel],
            "Colour label",
        )
        self.kind = _combo(
            [("Photos and videos", None), ("Photos", "photo"), ("Videos", "video")], "Kind"
        )
        self.state = _combo(
            [("Any state", None), ("OK", "ok"), ("Missing", "missing"), ("With errors", "error")],
            "State",
        )
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search names…")
        self.text.setClearButtonEnabled(True)
        self.text.setMaximumWidth(220)
        self.sort = _combo(
            [("Capture time", "taken"), ("Name", "name"), ("Rating", "rating")], "Sort by"
        )
        for box in (self.rating, self.flag, self.label, self.kind, self.state):
            self.addWidget(box)
            box.currentIndexChanged.connect(self._emit)
        self._add_favourites()
        self.addWidget(self.text)
        self.text.textChanged.connect(self._emit)
        self.addSeparator()
        self.addWidget(self.sort)
        self.sort.currentIndexChanged.connect(self._emit)

    def current(self) -> MediaFilter:
        return MediaFilter(
            min_rating=int(self.rating.currentData() or 0),
            flag=self.flag.currentData(),
            label=self.label.currentData(),
            kind=self.kind.currentData(),
            state=self.state.currentData(),
            text=self.text.text(),
            favourited_by=self.favourites.currentData() if self._favourites.isVisible() else None,
            sort=str(self.sort.currentData()),
        )

    def _emit(self) -> None:
        self.changed.emit(self.current())

    # -- client favourites (pulled from the gallery service) -----------------------------------

    def _add_favourites(self) -> None:
        self.favourites = _combo([], "Client favourites, fetched from the gallery service")
        self.favourites.currentIndexChanged.connect(self._emit)
        self._favourites = self.addWidget(self.favourites)
        self.copy_names = QToolButton()
        self.copy_names.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.copy_names)
        self.copy_action = menu.addAction(
            "Copy Favourites as File Names (for Lightroom, Capture One)",
            self.copy_favourite_names,
        )
        self.save_action = menu.addAction(
            "Save Favourites as File Names…", self.save_favourite_names
        )
        menu.addSeparator()
        self.copy_files_action = menu.addAction(
            "Copy Favourites to a Folder…", self.copy_favourites_to_folder
        )
        self.copy_files_action.setToolTip(
            "Byte-identical copies of the originals, for retouching or an album; "
            "nothing in the folder is replaced"
        )
        self.copy_names.setMenu(menu)
        self.copy_names.setDefaultAction(self.copy_action)
        self.copy_names.setText("Copy Names")
        self.copy_names.setToolTip(
            "The favourites' file names, comma-separated: paste into Lightroom's Library "
            "Filter (Text, Filename, Contains) or Capture One's search"
        )
        self._copy_names = self.addWidget(self.copy_names)
        self._favourites.setVisible(False)
        self._copy_names.setVisible(False)
        self._names: FavouriteNames | None = None
        self._collection: tuple[Catalog, int] | None = None  # whose favourites are copied
        self.save_file: Callable[[str], str | None] = self._save_file  # replaceable in tests

    def set_favourites(
        self,
        clients: Sequence[FavouritesOf],
        names: FavouriteNames | None,
        collection: tuple[Catalog, int] | None = None,
    ) -> None:
        """The clients who favourited photos of the shown collection; hidden when none did.
        Keeps the choice when that client is still listed; never emits `changed`.
        `collection`: the catalogue and collection whose favourites Copy to a Folder copies."""
        chosen = self.favourites.currentData()
        with QSignalBlocker(self.favourites):
            self.favourites.clear()
            if clients:
                self.favourites.addItem("Favourited or not", None)
                self.favourites.addItem("Favourited by anyone", ANYONE)
                self.favourites.addItem("Favourited, not downloaded", NOT_DOWNLOADED)
                if len(clients) > 1:
                    self.favourites.addItem("Favourited by all clients", BY_ALL_CLIENTS)
                for c in clients:
                    self.favourites.addItem(
                        f"Favourited by {c.name or c.email} ({c.photos})", c.email
                    )
                    self.favourites.setItemData(
                        self.favourites.count() - 1, c.email, Qt.ItemDataRole.ToolTipRole
                    )
            found = self.favourites.findData(chosen) if chosen is not None else 0
            self.favourites.setCurrentIndex(max(found, 0))
        self._names = names if clients else None
        self._collection = collection if clients else None
        self.copy_files_action.setEnabled(self._collection is not None)
        self._favourites.setVisible(bool(clients))
        self._copy_names.setVisible(bool(clients))

    def show_favourites(self, catalog: Catalog, collection_id: int | None) -> None:
        """The "Favourited by" choices of the collection shown (none: hidden)."""
        if collection_id is None:
            self.set_favourites([], None)
            return
        self.set_favourites(
            who_favourited(catalog, collection_id),
            lambda email: favourite_file_names(catalog, collection_id, email),
            (catalog, collection_id),
        )

    def favourite_names(self) -> list[str]:
        """The file names (stems) of the chosen client's favourites; anyone's when none chosen."""
        if self._names is None:
            return []
        return self._names(str(self.favourites.currentData() or ANYONE))

    def copy_favourite_names(self) -> str:
        """To the clipboard, comma-separated on one line (what Lightroom's filter takes)."""
        text = ", ".join(self.favourite_names())
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(text)
        return text

    def save_favourite_names(self) -> Path | None:
        """Into a .txt file, one name per line."""
        names = self.favourite_names()
        chosen = self.save_file("favourites.txt")
        if not chosen:
            return None
        target = Path(chosen)
        if not target.suffix:
            target = target.with_suffix(".txt")
        target.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        return target

    def _save_file(self, suggested: str) -> str | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save favourites as file names", suggested, "Text files (*.txt)"
        )
        return chosen or None

    def copy_favourites_to_folder(self) -> FavouriteCopyDialog | None:
        """The chosen client's favourites (anyone's when none is chosen) copied into a folder
        the photographer picks, in the background; a small dialog shows progress and Cancel."""
        if self._collection is None:
            return None
        chosen = QFileDialog.getExistingDirectory(
            self, "Copy the favourites' originals into", str(Path.home())
        )
        if not chosen:
            return None
        catalog, collection_id = self._collection
        who = str(self.favourites.currentData() or ANYONE)
        dialog = FavouriteCopyDialog(catalog, collection_id, who, Path(chosen), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.start()
        return dialog
