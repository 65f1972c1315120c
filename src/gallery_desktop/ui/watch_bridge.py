"""Carries the watch service's news from its thread to the GUI thread, as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class WatchBridge(QObject):
    """Lives in the GUI thread. The service calls `report` from its own thread; Qt queues the
    signal to the GUI thread, so its slots may touch widgets. (What the scans changed reaches
    the views through the catalogue itself: see `ui.changes`.)"""

    reported = Signal(str)

    def report(self, line: str) -> None:
        self.reported.emit(line)
