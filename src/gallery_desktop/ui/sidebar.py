"""The sidebar: collections and their galleries with counts, organised in place.

Photos dragged from the grid onto a gallery move there. The context menu creates, renames,
reorders and deletes collections and galleries (catalogue rows only, never files).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSignalBlocker,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QInputDialog,
    QMenu,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from gallery_desktop.catalog import organise
from gallery_desktop.catalog.collections import (
    CollectionSummary,
    list_collections,
    list_galleries,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import UserFacingError
from gallery_desktop.ui.grid_model import MEDIA_MIME

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
COLLECTION_ROLE = Qt.ItemDataRole.UserRole + 3
COUNT_ROLE = Qt.ItemDataRole.UserRole + 4


def count_of(item: QTreeWidgetItem) -> str:
    """The number shown beside a sidebar entry."""
    return str(item.data(0, COUNT_ROLE))


class _CountDelegate(QStyledItemDelegate):
    """Draws each entry's count at the right edge. (One column, not two: Qt's tree model with
    several columns fails QAbstractItemModelTester.)"""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        count = index.data(COUNT_ROLE)
        rect = QRect(option.rect)
        if count is None:
            super().paint(painter, option, index)
            return
        text = str(count)
        width = option.fontMetrics.horizontalAdvance(text) + 12
        narrowed = QStyleOptionViewItem(option)
        narrowed.rect = QRect(rect.x(), rect.y(), rect.width() - width, rect.height())
        super().paint(painter, narrowed, index)
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRect(rect.right() - width, rect.y(), width - 6, rect.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            text,
        )
        painter.restore()


@dataclass(frozen=True)
class Place:
    """What is selected in the sidebar."""

    kind: str  # "attention" | "collection" | "gallery"
    id: int
    collection_id: int | None


def _place(item: QTreeWidgetItem) -> Place:
    return Place(item.data(0, KIND_ROLE), item.data(0, ID_ROLE), item.data(0, COLLECTION_ROLE))


TEXT = QPalette.ColorRole.Text


def _where(c: CollectionSummary) -> str:
    if c.root is None:
        return c.folder or "made in the app"
    state = "online"
    if c.offline:
        state = "offline on this workstation: nothing is changed until it is mounted"
    return f"{c.folder} in the library root {c.root!r} ({state})"


class Sidebar(QTreeWidget):
    place_changed = Signal()
    media_dropped = Signal(list, int)  # media ids, gallery id
    organised = Signal(str)  # what was done, for the status line

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.setHeaderHidden(True)
        self.setColumnCount(1)
        self.setItemDelegate(_CountDelegate(self))
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemSelectionChanged.connect(self.place_changed)
        # Dialogs are replaceable so tests (and scripts) can answer them.
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        self.confirm: Callable[[str], bool] = self._confirm
        self._wanted: Place | None = None

    # -- contents --------------------------------------------------------------------------

    def remember(self, saved: str) -> None:
        """Select this place (as saved by the window: 'kind:id:collection') at the next refresh."""
        kind, _, rest = saved.partition(":")
        ident, _, collection = rest.partition(":")
        if kind and ident.isdigit():
            self._wanted = Place(
                kind, int(ident), int(collection) if collection.isdigit() else None
            )

    def refresh(self) -> tuple[int, int]:
        """Rebuild from the catalogue, keeping the selection; returns (collections, media)."""
        selected = self.place() or self._wanted
        self._wanted = None
        blocker = QSignalBlocker(self)
        self.clear()
        collections = list_collections(self.catalog)
        attention = sum(c.missing + c.errors for c in collections)
        if attention:
            item = self._item("Needs attention", attention, Place("attention", 0, None))
            item.setToolTip(0, "Photos and videos that are missing on disk or cannot be read")
            self.addTopLevelItem(item)
        for c in collections:
            top = self._item(c.name, c.media, Place("collection", c.id, c.id))
            top.setToolTip(0, _where(c))
            if c.offline:  # its library root is not mounted here: shown, greyed
                top.setForeground(0, self.palette().brush(QPalette.ColorGroup.Disabled, TEXT))
            self.addTopLevelItem(top)
            for g in list_galleries(self.catalog, c.id):
                top.addChild(self._item(g.name, g.media, Place("gallery", g.id, c.id)))
            top.setExpanded(True)
        found = self._find(selected) if selected else None
        first = self.topLevelItem(1 if attention else 0)
        if found is not None:
            found.setSelected(True)
        elif first is not None:
            first.setSelected(True)
        blocker.unblock()
        return len(collections), sum(c.media for c in collections)

    @staticmethod
    def _item(name: str, count: int, place: Place) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name])
        item.setData(0, COUNT_ROLE, count)
        item.setData(0, KIND_ROLE, place.kind)
        item.setData(0, ID_ROLE, place.id)
        item.setData(0, COLLECTION_ROLE, place.collection_id)
        return item

    def _find(self, place: Place) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            if top is None:
                continue
            if _place(top) == place:
                return top
            for j in range(top.childCount()):
                child = top.child(j)
                if child is not None and _place(child) == place:
                    return child
        return None

    def place(self) -> Place | None:
        items = self.selectedItems()
        return _place(items[0]) if items else None

    # -- drops of photos from the grid -------------------------------------------------------

    def _gallery_at(self, pos: QPoint) -> int | None:
        item = self.itemAt(pos)
        if item is None or item.data(0, KIND_ROLE) != "gallery":
            return None
        gallery_id: int = item.data(0, ID_ROLE)
        return gallery_id

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(MEDIA_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()  # folders from the file manager: the window imports them

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(MEDIA_MIME) and self._gallery_at(event.position().toPoint()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        gallery_id = self._gallery_at(event.position().toPoint())
        if not event.mimeData().hasFormat(MEDIA_MIME) or gallery_id is None:
            event.ignore()
            return
        ids = json.loads(bytes(event.mimeData().data(MEDIA_MIME).data()).decode())
        event.acceptProposedAction()
        self.media_dropped.emit([int(i) for i in ids], gallery_id)

    # -- organising --------------------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        place = self.place()
        menu = QMenu(self)
        menu.addAction("New Collection…", self.new_collection)
        if place is not None and place.collection_id is not None:
            menu.addAction("New Gallery…", self.new_gallery)
            menu.addSeparator()
            menu.addAction("Rename…", self.rename_selected)
            if place.kind == "gallery":
                menu.addAction("Move Up", lambda: self.move_selected(-1))
                menu.addAction("Move Down", lambda: self.move_selected(1))
            menu.addSeparator()
            menu.addAction("Delete…", self.delete_selected)
        menu.exec(self.viewport().mapToGlobal(pos))

    def _do(self, action: Callable[[], object], done: str) -> None:
        try:
            action()
        except UserFacingError as exc:
            QMessageBox.warning(self, "Cannot do that", str(exc))
            return
        self.refresh()
        self.place_changed.emit()
        self.organised.emit(done)

    def new_collection(self) -> None:
        name = self.ask_text("New collection", "Name of the collection:", "")
        if name is not None:
            self._do(lambda: organise.create_collection(self.catalog, name), f"Made {name}")

    def new_gallery(self) -> None:
        place = self.place()
        if place is None or place.collection_id is None:
            return
        cid = place.collection_id
        name = self.ask_text("New gallery", "Name of the gallery:", "")
        if name is not None:
            self._do(lambda: organise.create_gallery(self.catalog, cid, name), f"Made {name}")

    def rename_selected(self) -> None:
        place, items = self.place(), self.selectedItems()
        if place is None or place.kind == "attention" or not items:
            return
        name = self.ask_text("Rename", "New name:", items[0].text(0))
        if name is None:
            return
        rename = organise.rename_gallery if place.kind == "gallery" else organise.rename_collection
        self._do(lambda: rename(self.catalog, place.id, name), f"Renamed to {name}")

    def move_selected(self, delta: int) -> None:
        place, items = self.place(), self.selectedItems()
        if place is None or place.kind != "gallery" or not items:
            return
        parent = items[0].parent()
        row = parent.indexOfChild(items[0]) if parent is not None else 0
        self._do(lambda: organise.move_gallery(self.catalog, place.id, row + delta), "Moved")

    def delete_selected(self) -> None:
        place, items = self.place(), self.selectedItems()
        if place is None or place.kind == "attention" or not items:
            return
        name, count = items[0].text(0), count_of(items[0])
        what = "gallery" if place.kind == "gallery" else "collection"
        if not self.confirm(
            f"Remove the {what} “{name}” and its {count} photos and videos from the catalogue?"
            "\n\nFiles on disk are not touched."
        ):
            return
        remove = organise.delete_gallery if place.kind == "gallery" else organise.delete_collection
        self._do(lambda: remove(self.catalog, place.id), f"Removed {name} from the catalogue")

    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value if ok else None

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Remove from the catalogue", question)
        return answer == QMessageBox.StandardButton.Yes
