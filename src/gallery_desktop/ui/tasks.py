"""The one way to run work in the background: results and errors come back on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from a worker are delivered there (queued)."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[Callable[[Any], None]], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn(self.relay.progressed.emit)
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            self.relay.failed.emit(exc)
        else:
            self.relay.succeeded.emit(result)


class BackgroundTasks(QObject):
    """Runs `fn(report_progress)` on a worker thread. Workers never touch widgets."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        # Imports, previews and grid thumbnails share these; the work releases the GIL.
        self.pool.setMaxThreadCount(4)
        self._relays: set[_Relay] = set()
        self._closed = False

    def run(
        self,
        fn: Callable[[Callable[[Any], None]], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[Any], None] | None = None,
    ) -> None:
        relay = _Relay(self)
        self._relays.add(relay)

        @Slot(object)
        def done(result: Any) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            if not self._closed:
                on_success(result)

        @Slot(object)
        def failed(exc: BaseException) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            if not self._closed:
                on_error(exc)

        relay.succeeded.connect(done)
        relay.failed.connect(failed)
        if on_progress is not None:
            relay.progressed.connect(on_progress)
        self.pool.start(_Job(fn, relay))

    def wait(self, msecs: int = 30_000) -> bool:
        return self.pool.waitForDone(msecs)

    def close(self) -> None:
        """The window is going: finish running work, and deliver no more results."""
        self.pool.clear()  # work not started yet is dropped
        self.wait()
        self._closed = True
