"""The main window's client-delivery actions: Client Settings…, Analytics…, Preferences….
Kept out of main_window.py; it hands over only what each dialog needs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.seat import load_seat
from gallery_desktop.ui.analytics_view import AnalyticsView
from gallery_desktop.ui.collection_settings_dialog import CollectionSettingsDialog
from gallery_desktop.ui.icons import toolbar_icon
from gallery_desktop.ui.preferences_dialog import PreferencesDialog
from gallery_desktop.ui.sync_panel import SyncPanel
from gallery_desktop.ui.tasks import BackgroundTasks


class DeliveryActions(QObject):
    def __init__(
        self,
        window: QMainWindow,
        catalog: Catalog,
        cache: ThumbnailCache,
        tasks: BackgroundTasks,
        sync_panel: SyncPanel,
        selection: Callable[[], list[int]],
    ) -> None:
        super().__init__(window)
        self.window, self.catalog, self.cache, self.tasks = window, catalog, cache, tasks
        self.sync_panel = sync_panel
        self.selection = selection
        self.collection_id: int | None = None  # the collection the window shows
        self.settings_action = QAction(toolbar_icon("client-settings"), "Client Settings…", window)
        self.settings_action.setToolTip(
            "Password, expiry, clients, downloads, store and cover: what clients may do"
        )
        self.settings_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.settings_action.triggered.connect(self.open_settings)
        self.analytics_action = QAction(toolbar_icon("analytics"), "Analytics…", window)
        self.analytics_action.setToolTip("Downloads, favourites, visitors and orders")
        self.analytics_action.triggered.connect(self.open_analytics)
        self.preferences_action = QAction("Preferences…", window)
        self.preferences_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.preferences_action.triggered.connect(self.open_preferences)
        window.addAction(self.preferences_action)
        self.show_collection(None)

    def add_to(self, bar: QToolBar) -> None:
        bar.addSeparator()
        bar.addActions([self.settings_action, self.analytics_action])

    def show_collection(self, collection_id: int | None) -> None:
        self.collection_id = collection_id
        self.settings_action.setEnabled(collection_id is not None)
        self.analytics_action.setEnabled(collection_id is not None)

    def open_settings(self) -> CollectionSettingsDialog | None:
        cid = self.collection_id
        if cid is None:
            return None
        dialog = CollectionSettingsDialog(
            self.catalog,
            cid,
            self.window,
            selected_photos=self.selection(),
            tasks=self.tasks,
            cache=self.cache,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_analytics(self) -> AnalyticsView | None:
        cid = self.collection_id
        if cid is None:
            return None
        view = AnalyticsView(self.catalog, cid, self.window)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def pull() -> None:  # in the sync panel, which says what happens (or to sign in)
            self.sync_panel.show()
            self.sync_panel.pull_now()

        view.pull_requested.connect(pull)
        self.sync_panel.pulled.connect(view.refresh)  # Qt disconnects it when the view goes
        view.show()
        return view

    def open_preferences(self) -> PreferencesDialog:
        # this seat's own settings (seat.json) live in the same folders as its account's
        seat = load_seat(self.sync_panel.account.paths)
        dialog = PreferencesDialog(self.catalog, self.window, seat)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
