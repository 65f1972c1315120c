"""The QApplication: settings, the crash dialog, and the main window."""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from gallery_desktop import __version__
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import CatalogError
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths
from gallery_desktop.ui.icons import app_icon

log = logging.getLogger(__name__)


def _install_crash_dialog(paths: AppPaths) -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("unhandled error", exc_info=(kind, exc, tb))
        text = "".join(traceback.format_exception(kind, exc, tb))
        box = QMessageBox(QMessageBox.Icon.Critical, "Gallery Desktop hit a bug", "")
        box.setText(
            "Something went wrong inside Gallery Desktop. Your photos on disk are untouched.\n\n"
            f"Version {__version__} on {platform.platform()}, Python {platform.python_version()}"
            f"\nLog: {paths.log_file}"
        )
        box.setDetailedText(text)
        box.exec()

    sys.excepthook = hook


def run_app(paths: AppPaths) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Gallery Desktop")
    app.setOrganizationName("gallery-desktop")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    _install_crash_dialog(paths)
    try:
        catalog = Catalog(paths.catalog_file, backup_dir=paths.backup_dir)
    except CatalogError as exc:
        QMessageBox.critical(None, "Cannot open the catalogue", str(exc))
        return 1
    from gallery_desktop.ui.main_window import MainWindow

    settings = QSettings(str(paths.config_dir / "gallery-desktop.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        catalog, ThumbnailCache(paths.thumbnail_dir), settings, watch=True, paths=paths
    )
    window.show()
    try:
        return app.exec()
    finally:
        catalog.close()
