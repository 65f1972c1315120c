"""Notices commits to the catalogue from anywhere (this app, the watcher, another process)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

POLL_MS = 500


class CatalogueChanges(QObject):
    """Emits `changed` after any commit by any connection but its own.

    SQLite's `PRAGMA data_version` changes whenever another connection has committed; asking
    costs microseconds, so a timer on the GUI thread is enough (no file watching needed).
    """

    changed = Signal()

    def __init__(self, db_file: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
        self._version = self._data_version()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def _data_version(self) -> int:
        try:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return self._version if hasattr(self, "_version") else 0

    def check(self) -> bool:
        """Look now (the timer does this twice a second); True if something changed."""
        version = self._data_version()
        if version == self._version:
            return False
        self._version = version
        self.changed.emit()
        return True

    def close(self) -> None:
        self._timer.stop()
        self._conn.close()
