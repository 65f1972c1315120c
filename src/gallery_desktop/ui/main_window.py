"""The main window: collections and galleries on the left, the thumbnail grid in the middle."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSettings, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.culling import CullValue, Edit, EditHistory
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, MediaView, media_records
from gallery_desktop.errors import UserFacingError
from gallery_desktop.ingest.importer import ImportProgress, ImportSummary, import_folder
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.ingest.watcher import WatchService
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths, resolve_paths
from gallery_desktop.ui.account_dialog import AccountDialog, PublishAction, RemoteAccount
from gallery_desktop.ui.changes import CatalogueChanges
from gallery_desktop.ui.compare import MAX_COMPARED, CompareView
from gallery_desktop.ui.delivery_actions import DeliveryActions
from gallery_desktop.ui.dropped_folders import local_folders
from gallery_desktop.ui.export_dialog import ExportDialog, ExportScope
from gallery_desktop.ui.filter_bar import FilterBar
from gallery_desktop.ui.grid_delegate import MediaCellDelegate
from gallery_desktop.ui.grid_model import THUMB_BOX, MediaGridModel
from gallery_desktop.ui.icons import toolbar_icon
from gallery_desktop.ui.inspector import Inspector
from gallery_desktop.ui.loupe import Loupe
from gallery_desktop.ui.online_status import OnlineStatus
from gallery_desktop.ui.seat_activity import SeatActivityLabel
from gallery_desktop.ui.sidebar import Sidebar
from gallery_desktop.ui.sync_panel import SyncPanel
from gallery_desktop.ui.tasks import BackgroundTasks
from gallery_desktop.ui.watch_bridge import WatchBridge
from gallery_desktop.ui.watermark_editor import WatermarkEditor

log = logging.getLogger(__name__)

# 6-9 give colour labels, as in Lightroom.
LABEL_KEYS = ("red", "yellow", "green", "blue")


class MainWindow(QMainWindow):
    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        settings: QSettings,
        *,
        watch: bool = False,
        paths: AppPaths | None = None,
    ) -> None:
        super().__init__()
        self.catalog, self.cache, self.settings = catalog, cache, settings
        # The gallery service's session and upload cache; beside the catalogue unless given.
        home = catalog.db_file.parent if catalog.db_file else None
        self.account = RemoteAccount(
            catalog, paths or (AppPaths.at_home(home) if home else resolve_paths()), settings, self
        )
        self.watcher: WatchService | None = None
        self.tasks = BackgroundTasks(self)
        self.history = EditHistory(catalog)
        self._cancel: CancelToken | None = None
        self._queue: list[str | bytes] = []
        self._last_progress = 0.0
        self.setWindowTitle("Gallery Desktop")
        self.setAcceptDrops(True)

        self.sidebar = Sidebar(catalog)
        self.sidebar.place_changed.connect(self._show_selected)
        self.sidebar.media_dropped.connect(self.move_media)
        self.sidebar.organised.connect(self._organised)

        self.grid_model = MediaGridModel(catalog, cache, self.tasks)
        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(THUMB_BOX, THUMB_BOX))
        self.grid.setGridSize(QSize(THUMB_BOX + 24, THUMB_BOX + 50))  # picture + two lines
        self.grid.setSpacing(6)
        self.grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setModel(self.grid_model)
        self.grid.setItemDelegate(MediaCellDelegate(self.grid))
        self.grid.setMovement(QListView.Movement.Static)  # icons stay in order...
        self.grid.setDragEnabled(True)  # ...but photos can be dragged onto a gallery
        self.grid.setDragDropMode(QListView.DragDropMode.DragOnly)

        self.empty_hint = QLabel(
            "Drop a shoot folder here, or use Import… — each subfolder becomes a gallery."
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.loupe = Loupe(catalog, cache, self.tasks)
        self.views = QStackedWidget()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.loupe)
        self.compare = CompareView(catalog, cache, self.tasks, self._compare_pick)
        self.views.addWidget(self.compare)
        self._compared: list[int] = []  # media ids shown side by side
        self.inspector = Inspector()
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.grid.activated.connect(lambda _i: self.show_loupe())

        split = QSplitter()
        split.addWidget(self.sidebar)
        split.addWidget(self.views)
        split.addWidget(self.inspector)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 900, 280])
        self.setCentralWidget(split)
        self.splitter = split

        bar = QToolBar("Main")
        bar.setObjectName("main-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        self.import_action = QAction(toolbar_icon("import-folder"), "Import Folder…", self)
        self.import_action.setShortcut(QKeySequence.StandardKey.Open)
        self.import_action.triggered.connect(self._choose_folder)
        bar.addAction(self.import_action)
        self.cancel_action = QAction(toolbar_icon("cancel"), "Cancel Import", self)
        self.cancel_action.setEnabled(False)
        self.cancel_action.triggered.connect(self.cancel_import)
        bar.addAction(self.cancel_action)
        bar.addSeparator()
        self.watermarks_action = QAction(toolbar_icon("watermarks"), "Watermarks…", self)
        self.watermarks_action.triggered.connect(self.open_watermarks)
        self.export_action = QAction(toolbar_icon("export"), "Export…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.open_export)
        bar.addActions([self.watermarks_action, self.export_action])
        self._add_remote(bar)
        self.delivery = DeliveryActions(
            self, catalog, cache, self.tasks, self.sync_panel, self.selected_media_ids
        )
        self.delivery.add_to(bar)

        self._add_culling_keys()
        self._add_view_keys()
        self.filter_bar = FilterBar(self)
        self.filter_bar.changed.connect(lambda _f: self._show_selected())
        self.addToolBarBreak()
        self.addToolBar(self.filter_bar)
        self.status_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.online)
        if watch:
            self._start_watching()
        self.resize(1280, 800)
        self._restore_layout()
        self.refresh_sidebar()
        self.changes = CatalogueChanges(catalog, self)
        self.changes.changed.connect(self._catalogue_changed)
        self.changes.media_changed.connect(self.grid_model.media_changed)
        SeatActivityLabel(catalog, self.changes, self.statusBar())  # other seats' imports

    # -- grid, loupe, inspector ------------------------------------------------------------------

    def _add_view_keys(self) -> None:
        """Space or E: loupe; C: compare; G or Esc: grid; arrows move in the loupe; Z: zoom."""
        bindings: list[tuple[list[str], Any, list[QWidget]]] = [
            (["Space", "E"], self.show_loupe, [self.grid]),
            (["C"], self.show_compare, [self.grid]),
            (["G", "Esc"], self.show_grid, [self.loupe, self.compare]),
            (["Z"], self.loupe.toggle_zoom, [self.loupe]),
            (["Right"], lambda: self.step(1), [self.loupe]),
            (["Left"], lambda: self.step(-1), [self.loupe]),
        ]
        for keys, slot, widgets in bindings:
            action = QAction(self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            for widget in widgets:
                widget.addAction(action)

    def current_record(self) -> MediaRecord | None:
        index = self.grid.currentIndex()
        return self.grid_model.record(index.row()) if index.isValid() else None

    def _current_changed(self) -> None:
        rec = self.current_record()
        self.inspector.show_media(rec)
        if rec is not None and self.views.currentWidget() is self.loupe:
            self.loupe.show_media(rec)

    def show_loupe(self) -> None:
        rec = self.current_record()
        if rec is None and self.grid_model.rowCount():
            self.grid.setCurrentIndex(self.grid_model.index(0))
            rec = self.current_record()
        if rec is None:
            return
        self.views.setCurrentWidget(self.loupe)
        self.loupe.setFocus()
        self.loupe.show_media(rec)

    def show_compare(self) -> None:
        """C: the selected items side by side (two to eight)."""
        rows = sorted({i.row() for i in self.grid.selectionModel().selectedIndexes()})
        if len(rows) < 2:
            self.status_label.setText("Select two or more photos to compare them")
            return
        rows = rows[:MAX_COMPARED]
        self._compared = self.grid_model.media_ids(rows)
        if self.grid.currentIndex().row() not in rows:
            self.grid.selectionModel().setCurrentIndex(
                self.grid_model.index(rows[0]), self.grid.selectionModel().SelectionFlag.NoUpdate
            )
        self.views.setCurrentWidget(self.compare)
        self.compare.setFocus()
        self.compare.show_records(self._compared_records(), self._current_id())

    def _compared_records(self) -> list[MediaRecord]:
        # By id, not row: the watcher may insert or remove rows while they are compared.
        return media_records(self.catalog, self._compared, self.cache)

    def _current_id(self) -> int:
        rec = self.current_record()
        return rec.id if rec is not None else 0

    def _compare_pick(self, media_id: int) -> None:
        row = self.grid_model.row_of(media_id)
        if row is not None:
            self.grid.selectionModel().setCurrentIndex(
                self.grid_model.index(row), self.grid.selectionModel().SelectionFlag.NoUpdate
            )
        self.compare.update_records(self._compared_records(), self._current_id())

    def show_grid(self) -> None:
        self.views.setCurrentWidget(self.grid)
        self.grid.setFocus()
        self.grid.scrollTo(self.grid.currentIndex())

    def step(self, delta: int) -> None:
        row = self.grid.currentIndex().row() + delta
        if 0 <= row < self.grid_model.rowCount():
            self.grid.setCurrentIndex(self.grid_model.index(row))

    # -- culling -----------------------------------------------------------------------------

    def _add_culling_keys(self) -> None:
        """Photo Mechanic / Lightroom keys: 0-5 stars, P/X/U flags, 6-9 labels, undo/redo."""
        keys: list[tuple[str, str, CullValue]] = [(str(n), "rating", n) for n in range(6)]
        keys += [("P", "pick", "picked"), ("X", "pick", "rejected"), ("U", "pick", None)]
        keys += [(str(6 + i), "label", c) for i, c in enumerate(LABEL_KEYS)]
        for key, field_name, value in keys:
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(
                lambda _c=False, f=field_name, v=value: self.cull_selection(f, v)
            )
            self.grid.addAction(action)
            self.loupe.addAction(action)
            self.compare.addAction(action)
        undo = QAction("Undo", self)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.triggered.connect(self.undo)
        redo = QAction("Redo", self)
        redo.setShortcuts(
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)]
        )
        redo.triggered.connect(self.redo)
        self.addActions([undo, redo])

    def selected_media_ids(self) -> list[int]:
        current = self.grid.currentIndex()
        if self.views.currentWidget() in (self.loupe, self.compare):  # the item shown/picked
            return self.grid_model.media_ids([current.row()] if current.isValid() else [])
        rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
        if not rows and current.isValid():
            rows = [current.row()]
        return self.grid_model.media_ids(rows)

    def cull_selection(self, field_name: str, value: CullValue) -> None:
        ids = self.selected_media_ids()
        if not ids:
            return
        try:
            edit = self.history.apply(ids, field_name, value)
        except UserFacingError as exc:
            self.status_label.setText(str(exc))
            return
        self._show_edit(edit, edit.value, "")

    def undo(self) -> None:
        edit = self.history.undo()
        if edit is not None and edit.field == "gallery_id":
            self.refresh_sidebar()
        elif edit is not None:
            self.grid_model.update_values({i: {edit.field: v} for i, v in edit.before.items()})
            self.status_label.setText(f"Undone: {edit.describe()}")
            self.inspector.show_media(self.current_record())

    def redo(self) -> None:
        edit = self.history.redo()
        if edit is not None:
            self._show_edit(edit, edit.value, "Redone: ")

    def _show_edit(self, edit: Edit, value: CullValue, prefix: str) -> None:
        if edit.field == "gallery_id":
            self.refresh_sidebar()
        else:
            self.grid_model.update_values({i: {edit.field: value} for i in edit.media_ids})
        self.status_label.setText(f"{prefix}{edit.describe()}")
        self.inspector.show_media(self.current_record())
        if self.views.currentWidget() is self.compare:
            self.compare.update_records(self._compared_records(), self._current_id())

    # -- watched folders -------------------------------------------------------------------

    def _start_watching(self) -> None:
        """Follow every watched folder (changes made while the app was closed included)."""
        self.watch_bridge = WatchBridge(self)
        self.watch_bridge.reported.connect(self._watch_news)
        self.watcher = WatchService(
            self.catalog,
            self.cache,
            report=self.watch_bridge.report,
        )
        self.watcher.start()

    def _watch_news(self, line: str) -> None:
        self.status_label.setText(line)

    # -- sidebar and grid ------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        """Counts and names again; the grid is reloaded only if the place shown changed (the
        grid follows catalogue changes row by row, see `_catalogue_changed`)."""
        before = self.sidebar.place()
        collections, total = self.sidebar.refresh()
        self.status_label.setText(
            f"{collections} collections, {total} photos and videos"
            if collections
            else "Drop a shoot folder onto the window, or use Import Folder… (Ctrl+O)"
        )
        if self.sidebar.place() != before or self.grid_model.view is None:
            self._show_selected()

    def _catalogue_changed(self) -> None:
        self.grid_model.catalogue_changed()
        self.sidebar.refresh()
        self.sync_panel.catalogue_changed()
        self.inspector.show_media(self.current_record())

    def _organised(self, done: str) -> None:
        self.status_label.setText(done)

    def _show_selected(self) -> None:
        place = self.sidebar.place()
        self.filter_bar.show_favourites(self.catalog, place.collection_id if place else None)
        self.publish_action.show_collection(place.collection_id if place else None)
        self.delivery.show_collection(place.collection_id if place else None)
        if place is None:
            self.grid_model.show(None)
            return
        where = self.filter_bar.current()
        if place.kind == "attention":
            where = replace(where, needs_attention=True)
        self.grid_model.show(
            MediaView(
                place.collection_id,
                place.id if place.kind == "gallery" else None,
                where,
            )
        )

    def move_media(self, media_ids: list[int], gallery_id: int) -> None:
        """Photos dragged onto a gallery in the sidebar move there (undoable)."""
        try:
            edit = self.history.apply(media_ids, "gallery_id", gallery_id)
        except UserFacingError as exc:
            self.status_label.setText(str(exc))
            return
        self.refresh_sidebar()
        self.status_label.setText(edit.describe())

    # -- import ----------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a shoot folder")
        if folder:
            self.import_folders([folder])

    def import_folders(self, folders: list[str | bytes]) -> None:
        self._queue.extend(folders)
        if self._cancel is None:
            self._start_next()

    def _start_next(self) -> None:
        if not self._queue:
            return
        folder = self._queue.pop(0)
        cancel = CancelToken()
        self._cancel = cancel
        self.cancel_action.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status_label.setText(f"Importing {display_name(os.fsencode(folder))} …")

        def work(report: Any) -> ImportSummary:
            return import_folder(self.catalog, self.cache, folder, progress=report, cancel=cancel)

        self.tasks.run(work, self._import_done, self._import_failed, self._import_progress)

    def _import_progress(self, p: ImportProgress) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.1 and p.done != p.total:
            return  # a progress line per file would keep the GUI thread busy for nothing
        self._last_progress = now
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)
        phase = {
            "scanning": "Looking for photos",
            "reading": "Reading",
            "thumbnails": ("Making thumbnails"),
        }.get(p.phase, p.phase)
        errors = f" — {p.errors} files with problems" if p.errors else ""
        self.status_label.setText(f"{phase} {p.done}/{p.total} {p.current or ''}{errors}")

    def _import_finished(self) -> None:
        self._cancel = None
        self.cancel_action.setEnabled(False)
        self.progress.hide()

    def _import_done(self, summary: ImportSummary) -> None:
        self._import_finished()
        self.refresh_sidebar()
        if self.watcher is not None:
            self.watcher.reload()  # a new collection is watched from now on
        word = "Cancelled" if summary.cancelled else "Imported"
        problems = f", {summary.errors} with problems" if summary.errors else ""
        self.status_label.setText(
            f"{word} “{summary.collection}”: {summary.new} new, {summary.missing} missing{problems}"
        )
        self._start_next()

    def _import_failed(self, exc: BaseException) -> None:
        self._import_finished()
        if isinstance(exc, UserFacingError):
            QMessageBox.warning(self, "Cannot import", str(exc))
        else:
            log.error("import failed", exc_info=exc)
            QMessageBox.critical(self, "Import failed", f"Something went wrong: {exc}")
        self.refresh_sidebar()
        self._start_next()

    def cancel_import(self) -> None:
        self._queue.clear()
        if self._cancel is not None:
            self._cancel.cancel()

    @property
    def importing(self) -> bool:
        return self._cancel is not None

    # -- watermarks and export (window-modal: the grid stays as the dialog saw it) -------------

    def open_watermarks(self) -> WatermarkEditor:
        place = self.sidebar.place()
        dialog = WatermarkEditor(
            self.catalog,
            self.cache,
            record=self.current_record(),
            collection_id=place.collection_id if place else None,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_export(self) -> ExportDialog:
        place = self.sidebar.place()
        scope = ExportScope(
            collection_id=place.collection_id if place else None,
            gallery_id=place.id if place and place.kind == "gallery" else None,
            where=self.filter_bar.current(),
            shown=self.grid_model.rowCount(),
            selection=tuple(self.selected_media_ids()),
        )
        dialog = ExportDialog(self.catalog, self.settings, scope, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # -- the gallery service (optional: without an account nothing here goes online) ----------

    def _add_remote(self, bar: QToolBar) -> None:
        self.sync_panel = SyncPanel(self.catalog, self.account, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.sync_panel)
        self.sync_panel.hide()
        self.online = OnlineStatus(self.account)
        self.online.clicked.connect(self.open_sync)
        self.sync_panel.state_changed.connect(self.online.show_state)
        self.sync_panel.pulled.connect(lambda _report: self._show_selected())
        self.account_action = QAction(toolbar_icon("account"), "Account…", self)
        self.account_action.triggered.connect(self.open_account)
        self.sync_action = QAction(toolbar_icon("sync"), "Sync…", self)
        self.sync_action.triggered.connect(self.open_sync)
        self.publish_action = PublishAction(self.catalog, self.account, self)
        self.publish_action.setIcon(toolbar_icon("publish"))
        self.publish_action.message.connect(lambda text: self.status_label.setText(text))
        self.publish_action.queued.connect(self.sync_panel.queue_grew)
        bar.addSeparator()
        bar.addActions([self.publish_action, self.sync_action, self.account_action])

    def open_account(self) -> AccountDialog:
        dialog = AccountDialog(self.account, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_sync(self) -> SyncPanel:
        self.sync_panel.refresh_queue()
        self.sync_panel.show()
        self.sync_panel.raise_()
        return self.sync_panel

    # -- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and local_folders(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        folders = local_folders(event.mimeData().urls())
        if folders:
            event.acceptProposedAction()
            self.import_folders(folders)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.cancel_import()
        self.sync_panel.close_down()
        self.online.close_down()
        self.tasks.close()
        self.changes.close()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self._save_layout()
        super().closeEvent(event)

    # -- layout and last view, remembered ------------------------------------------------------

    def _save_layout(self) -> None:
        s = self.settings
        s.setValue("main/geometry", self.saveGeometry())
        s.setValue("main/state", self.saveState())
        s.setValue("main/splitter", self.splitter.saveState())
        place = self.sidebar.place()
        s.setValue("view/place", f"{place.kind}:{place.id}:{place.collection_id}" if place else "")
        s.setValue("view/sort", self.filter_bar.sort.currentData())
        s.sync()

    def _restore_layout(self) -> None:
        s = self.settings
        for key, restore in (
            ("main/geometry", self.restoreGeometry),
            ("main/state", self.restoreState),
            ("main/splitter", self.splitter.restoreState),
        ):
            value = s.value(key)
            if value is not None:
                restore(value)
        sort = self.filter_bar.sort.findData(s.value("view/sort", "taken"))
        if sort >= 0:
            with QSignalBlocker(self.filter_bar.sort):
                self.filter_bar.sort.setCurrentIndex(sort)
        self.sidebar.remember(str(s.value("view/place", "")))
