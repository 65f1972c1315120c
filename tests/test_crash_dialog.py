"""Bugs get the crash dialog (from any thread, never recursively); the user's problems don't;
the log file rotates and lives in the platform's log folder."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gallery_desktop import __version__
from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.logs import rotating_file_handler
from gallery_desktop.paths import APP_NAME, AppPaths, resolve_paths
from gallery_desktop.ui.crash import (
    CrashReport,
    CrashReporter,
    ExcInfo,
    build_crash_box,
    crash_report,
)

LOG = Path("/somewhere/logs/gallery-desktop.log")


def _exc_info(exc: BaseException) -> ExcInfo:
    try:
        raise exc
    except BaseException as caught:
        return type(caught), caught, caught.__traceback__


class Recorder:
    def __init__(self) -> None:
        self.crashes: list[tuple[CrashReport, bool]] = []  # (report, shown on the main thread)
        self.user_errors: list[UserFacingError] = []

    def crash(self, report: CrashReport) -> None:
        self.crashes.append((report, threading.current_thread() is threading.main_thread()))

    def user_error(self, exc: UserFacingError) -> None:
        self.user_errors.append(exc)


@pytest.fixture
def recorded(qtbot: QtBot) -> Iterator[tuple[CrashReporter, Recorder]]:
    rec = Recorder()
    reporter = CrashReporter(LOG, show_crash=rec.crash, show_user_error=rec.user_error)
    reporter.install()
    try:
        yield reporter, rec
    finally:
        reporter.uninstall()


def test_the_report_names_version_os_qt_and_log() -> None:
    report = crash_report(_exc_info(RuntimeError("boom")), LOG)
    for text in (report.summary, report.details):
        assert __version__ in text and str(LOG) in text
        assert "OS: " in text and "Python: " in text and "Qt: " in text
    assert "RuntimeError: boom" in report.details and "Traceback" in report.details


def test_the_box_copies_its_details_and_stays_open(qtbot: QtBot) -> None:
    report = CrashReport(summary="it broke", details="all the details")
    box = build_crash_box(report)
    qtbot.addWidget(box)
    assert box.text() == "it broke" and box.detailedText() == "all the details"
    copy = next(b for b in box.buttons() if b.text() == "Copy details")
    box.show()
    copy.click()
    assert QApplication.clipboard().text() == "all the details"
    assert box.isVisible()
    assert box.icon() == QMessageBox.Icon.Critical


def test_a_bug_on_the_gui_thread_shows_the_dialog(
    recorded: tuple[CrashReporter, Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    _reporter, rec = recorded
    sys.excepthook(*_exc_info(ValueError("bad")))
    assert len(rec.crashes) == 1 and rec.crashes[0][1]
    assert "ValueError: bad" in rec.crashes[0][0].details
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)


def test_a_worker_thread_bug_reaches_the_gui_thread(
    qtbot: QtBot, recorded: tuple[CrashReporter, Recorder]
) -> None:
    _reporter, rec = recorded

    def work() -> None:
        raise OSError("disk on fire")

    worker = threading.Thread(target=work, name="exporter")
    worker.start()
    worker.join()
    assert rec.crashes == []  # not shown from the worker: queued for the GUI thread
    qtbot.waitUntil(lambda: bool(rec.crashes), timeout=5000)
    report, on_main = rec.crashes[0]
    assert on_main and "exporter" in report.summary and "OSError: disk on fire" in report.details


def test_a_user_facing_error_is_a_plain_message(
    qtbot: QtBot, recorded: tuple[CrashReporter, Recorder]
) -> None:
    _reporter, rec = recorded
    sys.excepthook(*_exc_info(BadInputError("that folder is gone")))
    threading.Thread(target=lambda: (_ for _ in ()).throw(UserFacingError("offline"))).start()
    qtbot.waitUntil(lambda: len(rec.user_errors) == 2, timeout=5000)
    assert [str(e) for e in rec.user_errors] == ["that folder is gone", "offline"]
    assert rec.crashes == []


def test_the_hook_cannot_recurse(caplog: pytest.LogCaptureFixture, qtbot: QtBot) -> None:
    shown: list[CrashReport] = []

    def show(report: CrashReport) -> None:
        shown.append(report)
        sys.excepthook(*_exc_info(RuntimeError("while showing")))
        raise RuntimeError("the dialog itself broke")

    reporter = CrashReporter(LOG, show_crash=show)
    reporter.install()
    try:
        sys.excepthook(*_exc_info(RuntimeError("first")))
        sys.excepthook(*_exc_info(RuntimeError("second")))
    finally:
        reporter.uninstall()
    assert len(shown) == 2  # one per crash, none for the crash inside the dialog
    messages = [r.getMessage() for r in caplog.records]
    assert "the crash dialog failed" in messages
    assert "another error while the crash dialog is open; not shown" in messages


def test_the_log_rotates(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "gallery-desktop.log"
    handler = rotating_file_handler(log_file, max_bytes=500, backup_count=2)
    logger = logging.getLogger("test_the_log_rotates")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for i in range(100):
            logger.warning("line %d of a log that keeps growing", i)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert sorted(p.name for p in log_file.parent.iterdir()) == [
        "gallery-desktop.log",
        "gallery-desktop.log.1",
        "gallery-desktop.log.2",
    ]
    assert all(p.stat().st_size <= 500 for p in log_file.parent.iterdir())
    assert "line 99 " in log_file.read_text()


def test_the_log_lives_in_the_platform_log_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GALLERY_DESKTOP_HOME", raising=False)
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        assert resolve_paths().log_file == tmp_path / "state" / APP_NAME / "log" / (
            "gallery-desktop.log"
        )
    expected = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    assert AppPaths.platform_default().log_file.parent == expected
    assert AppPaths.at_home(tmp_path).log_file == tmp_path.resolve() / "logs" / (
        "gallery-desktop.log"
    )


def test_a_thread_that_exits_or_an_interrupt_is_not_a_crash(
    qtbot: QtBot, recorded: tuple[CrashReporter, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    _reporter, rec = recorded
    worker = threading.Thread(target=lambda: sys.exit(0), name="exits")
    worker.start()
    worker.join()
    qtbot.wait(100)  # anything queued for the GUI thread would have arrived
    sys.excepthook(*_exc_info(KeyboardInterrupt()))
    assert rec.crashes == [] and rec.user_errors == []
    assert "KeyboardInterrupt" in capsys.readouterr().err  # as Python says it, no dialog
