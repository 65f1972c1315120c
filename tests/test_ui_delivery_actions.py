"""The main window's Client Settings…, Analytics… and Preferences… actions: enabled only with
a collection shown, opening their dialogs on that collection with the grid's selection."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from pytestqt.qtbot import QtBot

from conftest import make_shoot
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.sharing_links import list_links, photos_among
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.main_window import MainWindow


def _window(qtbot: QtBot, tmp_path: Path, catalog: Catalog) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings)
    qtbot.addWidget(win)
    win.show()
    return win


def test_without_a_collection_the_actions_wait(
    qtbot: QtBot, tmp_path: Path, catalog: Catalog
) -> None:
    win = _window(qtbot, tmp_path, catalog)
    assert not win.delivery.settings_action.isEnabled()
    assert not win.delivery.analytics_action.isEnabled()
    assert win.delivery.open_settings() is None
    prefs = win.delivery.open_preferences()  # preferences need no collection
    assert prefs.isVisible()
    prefs.reject()


def test_the_actions_open_on_the_collection_shown(
    qtbot: QtBot, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    win = _window(qtbot, tmp_path, catalog)
    qtbot.waitUntil(lambda: win.grid_model.rowCount() > 0)
    assert win.delivery.collection_id == cid
    assert win.delivery.settings_action.isEnabled()
    rows = win.grid_model.rowCount()
    win.grid.selectAll()  # photos and a video: links are for the photos
    dialog = win.delivery.open_settings()
    assert dialog is not None and dialog.collection_id == cid
    assert dialog.downloads.new_link.isEnabled()  # the grid's selection came along
    dialog.downloads.new_link.click()
    linked = sorted(link.media_id for link in list_links(catalog, cid))
    assert linked == sorted(photos_among(catalog, win.selected_media_ids()))
    assert 0 < len(linked) < rows  # the video got none
    dialog.reject()
    view = win.delivery.open_analytics()
    assert view is not None and view.collection_id == cid and view.isVisible()
    view.close()  # deleted on close: a later pull must not reach it
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    win.sync_panel.pulled.emit(None)
