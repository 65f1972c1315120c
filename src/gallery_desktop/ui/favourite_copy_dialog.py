"""Copying a client's favourites into a folder: progress, cancel, and what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import UserFacingError
from gallery_desktop.export.favourite_copies import copy_favourites, whose
from gallery_desktop.export.run import ExportProgress, ExportSummary
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.ui.job_dialog import JobDialog

log = logging.getLogger(__name__)
SHOWN_ROWS = 30


def describe_copies(s: ExportSummary) -> str:
    if s.cancelled:
        return "Cancelled: the copies made so far were taken back."
    lines = [f"Copied {len(s.written)} originals ({s.bytes_written / 1e6:.1f} MB) to {s.target}."]
    for title, rows in (("Not copied", s.failed), ("Skipped", s.skipped)):
        if rows:
            lines.append(f"{title}: {len(rows)}")
            lines += [f"  {media}: {why}" for media, why in rows[:SHOWN_ROWS]]
            if len(rows) > SHOWN_ROWS:
                lines.append(f"  … and {len(rows) - SHOWN_ROWS} more")
    return "\n".join(lines)


class FavouriteCopyDialog(JobDialog):
    """Runs `copy_favourites` in a worker; Cancel stops it and takes back what it wrote."""

    cancelling_text = "Cancelling: the copies made so far are taken back…"

    finished_copying = Signal(object)  # the ExportSummary, or the error that stopped it

    def __init__(
        self,
        catalog: Catalog,
        collection_id: int,
        who: str,
        out_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.collection_id, self.who, self.out_dir = (
            catalog,
            collection_id,
            who,
            out_dir,
        )
        self.summary: ExportSummary | None = None
        self.setWindowTitle("Copy Favourites")
        self.setMinimumWidth(460)
        self.heading = QLabel(f"Copying the {whose(who)} into {out_dir}")
        self.heading.setWordWrap(True)
        self.status = QLabel()
        self.progress = QProgressBar()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.hide()
        self.show_button = QPushButton("Show in Folder")
        self.show_button.clicked.connect(self._show_in_folder)
        self.show_button.hide()
        self.close_button = QPushButton("Cancel")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        for widget in (self.heading, self.progress, self.status, self.report):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        app = QCoreApplication.instance()
        if app is not None:  # quitting mid-copy: stop and take back rather than hold up the exit
            app.aboutToQuit.connect(self.cancel)

    def start(self) -> None:
        cancel = self._cancel = CancelToken()
        catalog, cid, who, out = self.catalog, self.collection_id, self.who, self.out_dir
        self.progress.setRange(0, 0)
        self.status.setText("Starting…")

        def work(report: Callable[[Any], None]) -> ExportSummary:
            return copy_favourites(catalog, cid, out, who, progress=report, cancel=cancel)

        self.tasks.run(work, self._finished, self._failed, self._progressed)

    def _progressed(self, p: ExportProgress) -> None:
        if self._cancel is None or self._cancel.cancelled:
            return
        self.progress.setRange(0, max(p.total, 1))
        self.progress.setValue(p.done)
        self.status.setText(f"{p.done} of {p.total}" + (f"  {p.current}" if p.current else ""))

    def _finished(self, summary: ExportSummary) -> None:
        self.summary = summary
        status = "Cancelled." if summary.cancelled else "Done."
        if not summary.cancelled and not summary.ok:
            status = "Done, but some originals could not be copied."
        self._stopped(describe_copies(summary), status)
        self.show_button.setVisible(summary.target is not None)
        self.finished_copying.emit(summary)
        self._closing()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, UserFacingError):
            text = str(exc)
        else:
            log.error("copying favourites failed", exc_info=exc)
            text = f"Something went wrong, nothing was kept: {exc}"
        self._stopped(text[:1].upper() + text[1:], "Nothing was copied.")
        self.finished_copying.emit(exc)
        self._closing()

    def _stopped(self, report: str, status: str) -> None:
        self._cancel = None
        self.progress.hide()
        self.status.setText(status)
        self.report.setPlainText(report)
        self.report.show()
        self.close_button.setText("Close")
        self.close_button.setEnabled(True)

    def _show_in_folder(self) -> None:
        if self.summary is not None and self.summary.target:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.summary.target))
