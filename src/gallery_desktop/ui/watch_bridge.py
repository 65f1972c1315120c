"""Carries the watch service's news from its thread to the GUI thread, as Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gallery_desktop.ingest.importer import ImportSummary


class WatchBridge(QObject):
    """Lives in the GUI thread. The service calls `report`/`scanned` from its own thread;
    Qt queues the signals to the GUI thread, so slots may touch widgets."""

    reported = Signal(str)
    scanned = Signal(object)

    def report(self, line: str) -> None:
        self.reported.emit(line)

    def scan_done(self, summary: ImportSummary) -> None:
        self.scanned.emit(summary)
