"""The QApplication: one instance per catalogue, the crash dialog, and the main window."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gallery_desktop import __version__
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import CatalogError
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths
from gallery_desktop.seat import apply_seat, catalog_location, load_seat
from gallery_desktop.ui.crash import CrashReporter
from gallery_desktop.ui.icons import app_icon
from gallery_desktop.ui.single_instance import (
    Handover,
    InstanceServer,
    hand_over,
    server_name,
    startup_lock,
)

if TYPE_CHECKING:
    from gallery_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

# Test hook (tests/test_single_instance.py): the app quits by itself once it has been idle
# (no import running, no launch handed over) for this many ms, and reports on stdout
# what the single-instance server did. Never set in normal use.
TEST_QUIT_ENV = "GALLERY_DESKTOP_TEST_QUIT_AFTER_MS"
# Test hook, with TEST_QUIT_ENV only: wait this long between finding no running instance and
# listening, so that launches at the same moment overlap (tests/test_single_instance.py).
TEST_PAUSE_ENV = "GALLERY_DESKTOP_TEST_PAUSE_BEFORE_LISTEN_MS"
DESKTOP_ID = "org.gallerydesktop.GalleryDesktop"  # the .desktop file's name (packaging/linux)
LOCK_WAIT_MS = 60_000  # how long a launch waits for another that is starting


def bring_forward(window: MainWindow) -> None:
    """Un-minimise (keeping maximised or full screen as it was), raise and focus."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


def _test_say(line: str) -> None:
    if os.environ.get(TEST_QUIT_ENV) and sys.stdout is not None:
        print(f"gallery-desktop-test: {line}", flush=True)


def _quit_when_idle(app: QApplication, window: MainWindow, server: InstanceServer | None) -> None:
    idle_ms = int(os.environ[TEST_QUIT_ENV])
    last = [time.monotonic()]
    if server is not None:
        server.activated.connect(lambda _folders: last.__setitem__(0, time.monotonic()))
    timer = QTimer(window)
    timer.setInterval(50)

    def tick() -> None:
        if window.importing:
            last[0] = time.monotonic()
        elif (time.monotonic() - last[0]) * 1000 >= idle_ms:
            timer.stop()
            _test_say("quitting")
            window.close()
            app.quit()

    timer.timeout.connect(tick)
    timer.start()


def run_app(
    paths: AppPaths, folders: Sequence[str | bytes] = (), catalog_url: str | None = None
) -> int:
    """Open the app on `paths`, importing `folders` as if they were dropped on the window.

    If the app is already open on the same catalogue, hand the folders to it and return 0."""
    app = QApplication.instance() or QApplication(_qt_argv(sys.argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("Gallery Desktop")
    app.setOrganizationName("gallery-desktop")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(DESKTOP_ID)  # Wayland matches the window to its launcher
    reporter = CrashReporter(paths.log_file, parent=app)
    reporter.install()

    try:
        seat = load_seat(paths)  # this seat's choices, read once
        location = catalog_location(paths, catalog_url, seat)
    except CatalogError as exc:
        QMessageBox.critical(None, "Cannot open the catalogue", str(exc))
        return 1
    # a shared catalogue's URL: one window per home (tests and a second studio login)
    name = server_name(location if isinstance(location, Path) else f"{location}\0{paths.data_dir}")
    server: InstanceServer | None = None
    lock = startup_lock(name)
    if not lock.tryLock(LOCK_WAIT_MS):  # another launch has been starting for a minute
        log.warning("another launch holds %s: this one gives up", lock.fileName())
        return _not_answering(folders)
    handover = hand_over(name, folders)
    if handover is Handover.DELIVERED:
        lock.unlock()
        log.info("the app was already open: handed over %d folder(s)", len(folders))
        _test_say("handed over")
        return 0
    if handover is Handover.NO_ANSWER:
        lock.unlock()
        return _not_answering(folders)
    if os.environ.get(TEST_QUIT_ENV) and os.environ.get(TEST_PAUSE_ENV):
        time.sleep(int(os.environ[TEST_PAUSE_ENV]) / 1000)  # widens the race the lock closes
    server = InstanceServer(name, parent=app)
    if server.listen():
        _test_say(f"listening {name}")
    else:
        server = None

    try:
        # this seat's name and library-root mount points
        catalog = apply_seat(Catalog(location, backup_dir=paths.backup_dir), seat)
    except CatalogError as exc:
        lock.unlock()
        QMessageBox.critical(None, "Cannot open the catalogue", str(exc))
        return 1
    from gallery_desktop.ui.main_window import MainWindow

    settings = QSettings(str(paths.config_dir / "gallery-desktop.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        catalog, ThumbnailCache(paths.thumbnail_dir), settings, watch=True, paths=paths
    )
    if server is not None:

        def handed_over(received: list[str]) -> None:
            _test_say("received " + json.dumps([_b64(f) for f in received]))
            bring_forward(window)
            if received:
                window.import_folders(list[str | bytes](received))

        server.activated.connect(handed_over)
    window.show()
    lock.unlock()  # later launches now find the window listening (answered once exec runs)
    if folders:
        window.import_folders(list(folders))
    if os.environ.get(TEST_QUIT_ENV):
        _quit_when_idle(app, window, server)
    try:
        return app.exec()
    finally:
        if server is not None:
            server.close()
        reporter.uninstall()
        catalog.close()


def _not_answering(folders: Sequence[str | bytes]) -> int:
    """Another window has this catalogue open but does not answer: never a second window on
    one catalogue (two importers, two watchers); say so instead."""
    log.warning("the app open on this catalogue did not answer; not opening another window")
    _test_say("no answer")
    if not os.environ.get(TEST_QUIT_ENV):
        QMessageBox.warning(
            None,
            "Gallery Desktop is already open",
            "Gallery Desktop is already open on this catalogue but is not answering (it may "
            "be busy starting or migrating the catalogue). Try again in a moment"
            + (", or drop the folders on its window." if folders else "."),
        )
    return 1


def _qt_argv(argv: Sequence[str]) -> list[str]:
    """The arguments Qt may see: PySide6 crashes on one that is not UTF-8 (a folder name)."""
    return [a for a in argv if a.isascii() or _is_utf8(a)]


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _b64(folder: str | bytes) -> str:
    return base64.b64encode(os.fsencode(folder)).decode("ascii")
