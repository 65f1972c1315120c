"""Bugs get a crash dialog (version, OS, log path); the user's own problems get a plain message.

Exceptions from any thread end here: the GUI thread shows them at once, worker threads hand
them over through a queued signal. One dialog at a time: a crash while the dialog is open (or
inside this code) is logged, never shown again, so the hook cannot recurse.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import PySide6
from PySide6.QtCore import QObject, Qt, Signal, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from gallery_desktop import __version__
from gallery_desktop.errors import UserFacingError

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@dataclass(frozen=True)
class CrashReport:
    summary: str  # what the dialog says
    details: str  # what "Copy details" copies: the summary's facts and the traceback


def environment_lines(log_file: Path) -> list[str]:
    return [
        f"Gallery Desktop {__version__}",
        f"OS: {platform.platform()}",
        f"Python: {platform.python_version()} ({sys.executable})",
        f"Qt: {qVersion()}, PySide6 {PySide6.__version__}",
        f"Log: {log_file}",
    ]


def crash_report(exc_info: ExcInfo, log_file: Path, thread_name: str | None = None) -> CrashReport:
    env = environment_lines(log_file)
    where = f" (in thread {thread_name})" if thread_name else ""
    summary = (
        f"Something went wrong inside Gallery Desktop{where}. Your photos on disk are untouched."
        "\n\n" + "\n".join(env) + "\n\nPlease send the details and the log file with your report."
    )
    tb = "".join(traceback.format_exception(*exc_info))
    return CrashReport(
        summary=summary, details="\n".join(env) + f"\nThread: {thread_name or 'main'}\n\n{tb}"
    )


def build_crash_box(report: CrashReport, parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, "Gallery Desktop hit a bug", report.summary)
    box.setParent(parent, box.windowFlags())
    box.setDetailedText(report.details)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    # An action button would close the box; copying should not.
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(report.details))
    return box


def _show_crash(report: CrashReport) -> None:
    build_crash_box(report, QApplication.activeWindow()).exec()


def _show_user_error(exc: UserFacingError) -> None:
    QMessageBox.warning(QApplication.activeWindow(), "Gallery Desktop", str(exc))


class CrashReporter(QObject):
    """Installs `sys.excepthook` and `threading.excepthook`; create it on the GUI thread."""

    _from_worker = Signal(object, object)  # (exc_info, thread name), delivered queued

    def __init__(
        self,
        log_file: Path,
        *,
        show_crash: Callable[[CrashReport], None] = _show_crash,
        show_user_error: Callable[[UserFacingError], None] = _show_user_error,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.show_crash, self.show_user_error = show_crash, show_user_error
        self._showing = False
        self._previous = (sys.excepthook, threading.excepthook)
        self._from_worker.connect(self._report, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        """Put back the hooks found by `install`."""
        sys.excepthook, threading.excepthook = self._previous

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C in the terminal: not a bug
            sys.__excepthook__(kind, exc, tb)
            return
        if threading.current_thread() is threading.main_thread():
            self._report((kind, exc, tb), None)
        else:  # a Python thread that raised through sys.excepthook: hand over to the GUI
            self._hand_over((kind, exc, tb), threading.current_thread().name)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or isinstance(args.exc_value, SystemExit):
            return  # a thread that exits is not a bug (Python's own hook is silent too)
        name = args.thread.name if args.thread is not None else "unknown"
        self._hand_over((args.exc_type, args.exc_value, args.exc_traceback), name)

    def _hand_over(self, exc_info: ExcInfo, thread_name: str) -> None:
        try:
            level = (
                logging.WARNING if isinstance(exc_info[1], UserFacingError) else logging.CRITICAL
            )
            log.log(level, "unhandled error in thread %s", thread_name, exc_info=exc_info)
            self._from_worker.emit(exc_info, thread_name)
        except BaseException:  # the reporter itself must never raise into a worker
            sys.__excepthook__(*exc_info)

    def _report(self, exc_info: ExcInfo, thread_name: str | None) -> None:
        kind, exc, _tb = exc_info
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(*exc_info)
            return
        if thread_name is None:
            level = logging.WARNING if isinstance(exc, UserFacingError) else logging.CRITICAL
            log.log(level, "unhandled error", exc_info=exc_info)
        if self._showing:  # a crash while the dialog is up (or inside it): logged only
            log.error("another error while the crash dialog is open; not shown")
            return
        self._showing = True
        try:
            if isinstance(exc, UserFacingError):
                self.show_user_error(exc)
            else:
                self.show_crash(crash_report(exc_info, self.log_file, thread_name))
        except BaseException:
            log.critical("the crash dialog failed", exc_info=True)
            sys.__excepthook__(*exc_info)
        finally:
            self._showing = False
