"""A dialog whose job (an export, a copy) runs in a worker: closing it while the job runs
cancels the job first and closes once it has stopped and taken back what it wrote."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.ui.tasks import BackgroundTasks


class JobDialog(QDialog):
    cancelling_text = "Cancelling…"  # what the status says while the job stops
    # made by the subclass
    status: QLabel
    close_button: QPushButton

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = BackgroundTasks(self)
        self._cancel: CancelToken | None = None
        self._close_when_done = False

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.close_button.setEnabled(False)
            self.status.setText(self.cancelling_text)

    def _closing(self) -> None:
        """The job ended: close now if the photographer asked to while it ran."""
        if self._close_when_done:
            self.done(QDialog.DialogCode.Rejected.value)

    def done(self, result: int) -> None:
        """Close; while the job runs, Cancel/Esc/closing stop it first and close when it stops."""
        if self.running:
            self._close_when_done = True
            self.cancel()
            return
        self.tasks.close()
        super().done(result)
