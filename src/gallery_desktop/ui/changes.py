"""Notices commits to the catalogue from anywhere (this app, the watcher, another process, and
on a shared catalogue another workstation)."""

from __future__ import annotations

import queue
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from gallery_desktop.catalog.db import Catalog, CommitCounter
from gallery_desktop.catalog.seats import Change, ChangeListener, changed_media

POLL_MS = 500


class CatalogueChanges(QObject):
    """Emits `changed` after any commit by any connection but its own.

    SQLite: a commit counter (`db.CommitCounter`) moves whenever another connection commits;
    asking costs microseconds, so a timer on the GUI thread is enough (no file watching).

    PostgreSQL: a `ChangeListener` hears the catalogue's change feed in its own thread; each
    batch crosses to the GUI thread through a queued signal, then `media_changed` (the media
    ids the commits named, or None for "many") and `changed` are emitted there. The ids come
    from the server, not from this seat's clock, so clock skew between seats loses nothing.
    """

    changed = Signal()
    media_changed = Signal(object)  # frozenset[int] | None (PostgreSQL only)
    _wake = Signal()  # emitted by the listener's thread: batches wait in `_inbox`

    def __init__(self, catalog: Catalog | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._counter: CommitCounter | None = None
        self._listener: ChangeListener | None = None
        self._timer = QTimer(self)
        db_file = catalog if isinstance(catalog, Path) else catalog.db_file
        if db_file is not None:
            self._counter = CommitCounter(db_file)
            self._version = self._counter.read()
            self._timer.setInterval(POLL_MS)
            self._timer.timeout.connect(self.check)
            self._timer.start()
            return
        assert isinstance(catalog, Catalog)
        self._version = 0
        self._inbox: queue.SimpleQueue[list[Change]] = queue.SimpleQueue()
        self._wake.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._listener = ChangeListener(catalog.url, self._arrived).start()

    @property
    def listening(self) -> bool:
        """On PostgreSQL: the change feed is heard now (False while reconnecting)."""
        return self._listener is None or self._listener.listening

    def check(self) -> bool:
        """Look now (the timer does this twice a second on SQLite); True if something changed.
        On PostgreSQL the changes arrive by themselves: always False."""
        if self._counter is None:
            return False
        version = self._counter.read()
        if version == self._version:
            return False
        self._version = version
        self.changed.emit()
        return True

    def _arrived(self, batch: list[Change]) -> None:
        """In the listener's thread: hand the batch over, wake the GUI thread."""
        self._inbox.put(batch)
        self._wake.emit()

    def _deliver(self) -> None:
        batch: list[Change] = []
        while True:
            try:
                batch += self._inbox.get_nowait()
            except queue.Empty:
                break
        if self._listener is None or not batch:
            return  # closed meanwhile, or already delivered with an earlier wake-up
        self._version += 1
        self.media_changed.emit(changed_media(batch))
        self.changed.emit()

    def close(self) -> None:
        self._timer.stop()
        if self._counter is not None:
            self._counter.close()
            self._counter = None
        if self._listener is not None:
            listener, self._listener = self._listener, None
            listener.stop()
