"""The sync panel: the outbox queue, a running sync's progress, retry, discard, pause, pull.

Syncs run in the background (the `BackgroundTasks` helper), one at a time; Pause asks the
worker to stop between two operations. While signed in and not paused, the queue is pushed
again every ~30 s, sooner when an operation is due to be retried. With no account configured
nothing here touches the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.remote.outbox import (
    discard_failed,
    queue_counts,
    queued,
    retry_failed,
)
from gallery_desktop.remote.pull import PullReport
from gallery_desktop.remote.sync import SyncReport
from gallery_desktop.ui.account_dialog import ERROR_STYLE, RemoteAccount, sentence
from gallery_desktop.ui.online_status import OFFLINE, ONLINE, SIGNED_OUT, SYNCING, state_after
from gallery_desktop.ui.sync_jobs import (
    SyncOutcome,
    SyncStep,
    _in,
    _seconds_until,
    describe_op,
    op_names,
    run_pull,
    run_sync,
)
from gallery_desktop.ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)

RESYNC_MS: Final = 30_000  # push the queue again this often while signed in and not paused
SOON_MS: Final = 2_000  # after publishing or signing in: a moment, so changes come together
MIN_RETRY_MS: Final = 1_000
PROGRESS_EVERY: Final = 0.25  # seconds between two refreshes of the list while syncing
STOPPED: Final = "stopped"  # SyncReport.stopped when should_stop asked for it

COLUMNS: Final = ("What", "Collection", "State", "Tries", "Next try", "Reason")
OP_ROLE: Final = Qt.ItemDataRole.UserRole + 1
STATE_ROLE: Final = Qt.ItemDataRole.UserRole + 2


class SyncPanel(QDockWidget):
    """A dock: what waits to be sent, what failed and why, and the controls."""

    state_changed = Signal(str, str)  # for the status bar: (state, why or how many)
    synced = Signal(object)  # SyncReport after each run that reached the service
    pulled = Signal(object)  # PullReport: client favourites may have changed

    def __init__(
        self, catalog: Catalog, account: RemoteAccount, parent: QWidget | None = None
    ) -> None:
        super().__init__("Sync", parent)
        self.setObjectName("sync-panel")
        self.catalog, self.account = catalog, account
        self.tasks = BackgroundTasks(self)
        self.busy: str | None = None  # "sync" | "pull" while one runs
        self.paused = False
        self.last_report: SyncReport | None = None
        self.confirm: Callable[[str], bool] = self._confirm
        self._stop = threading.Event()
        self._again = False  # Sync now while a run was going: run again after it
        self._pull_after = False
        self._refreshed_at = 0.0
        self._failed_count = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self.setWidget(self._build())
        account.changed.connect(self.account_changed)
        self.account_changed()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> QWidget:
        body = QWidget()
        self.who = QLabel()
        self.sync_button = QPushButton("Sync Now")
        self.sync_button.clicked.connect(self.sync_now)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.pull_button = QPushButton("Pull Client Activity")
        self.pull_button.setToolTip("Fetch clients, favourites, downloads and visitors")
        self.pull_button.clicked.connect(self.pull_now)
        top = QHBoxLayout()
        top.addWidget(self.who, 1)
        top.addWidget(self.sync_button)
        top.addWidget(self.pause_button)
        top.addWidget(self.pull_button)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column, mode in enumerate(
            (
                QHeaderView.ResizeMode.Interactive,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.Stretch,
            )
        ):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(0, 280)
        self.table.itemSelectionChanged.connect(self._enable)

        self.counts = QLabel()
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Put the selected failed operations back in the queue")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button = QPushButton("Retry All Failed")
        self.retry_all_button.clicked.connect(self.retry_all)
        self.discard_button = QPushButton("Discard…")
        self.discard_button.setToolTip("Drop the selected failed operations: they are not sent")
        self.discard_button.clicked.connect(self.discard_selected)
        bottom = QHBoxLayout()
        bottom.addWidget(self.counts, 1)
        bottom.addWidget(self.retry_button)
        bottom.addWidget(self.retry_all_button)
        bottom.addWidget(self.discard_button)

        outer = QVBoxLayout(body)
        outer.addLayout(top)
        outer.addWidget(self.status)
        outer.addWidget(self.progress)
        outer.addWidget(self.table, 1)
        outer.addLayout(bottom)
        return body

    # -- state -------------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self.account.current() is not None

    def account_changed(self) -> None:
        found = self.account.current()
        if found is None:
            self._timer.stop()
            self._stop.set()  # a run in hand stops after its operation
            self.who.setText("Not signed in: use Account… to publish collections.")
            self._say("")
        else:
            self.who.setText(f"{found[1]} on {found[0]}")
            self._schedule(SOON_MS)
        self.refresh_queue()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _enable(self) -> None:
        signed_in, failed = self.signed_in, self._selected("failed")
        self.sync_button.setEnabled(signed_in and not self.paused)
        self.pull_button.setEnabled(signed_in and self.busy != "pull")
        self.pause_button.setEnabled(signed_in or self.paused)
        self.retry_button.setEnabled(bool(failed))
        self.discard_button.setEnabled(bool(failed))
        self.retry_all_button.setEnabled(self._failed_count > 0)

    def _schedule(self, ms: int) -> None:
        """The next sync in `ms` (never while paused or signed out; an earlier one wins)."""
        if self.paused or not self.signed_in:
            self._timer.stop()
            return
        if self._timer.isActive() and self._timer.remainingTime() <= ms:
            return
        self._timer.start(ms)

    def sync_soon(self) -> None:
        """Something was queued (publishing, a retry): sync in a moment."""
        self._schedule(SOON_MS)

    def catalogue_changed(self) -> None:
        """A commit anywhere: keep the list current while it is seen (a run refreshes it)."""
        if self.isVisible() and self.busy is None:
            self.refresh_queue()

    def queue_grew(self) -> None:
        self.refresh_queue()
        self.sync_soon()

    # -- the queue ---------------------------------------------------------------------------

    def refresh_queue(self) -> None:
        # Failures first, then what waits for a retry, then the rest in queue order.
        failed, pending = queued(self.catalog, ("failed",)), queued(self.catalog, ("pending",))
        ops = failed + sorted(pending, key=lambda op: (op.attempts == 0, op.id))
        counts = queue_counts(self.catalog)
        names = op_names(self.catalog, ops)
        selected = set(self._selected())
        self._failed_count = counts["failed"]
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(ops))
        for row, op in enumerate(ops):
            wait = _seconds_until(op.next_attempt_at)
            if op.state == "failed":
                state, next_try = "Failed", "after Retry"
            elif op.attempts:
                state, next_try = "Will retry", _in(wait) if wait is not None else "now"
            else:
                state, next_try = (
                    "Waiting",
                    ("paused" if self.paused else "this sync" if self.busy else "next sync"),
                )
            cells = (
                describe_op(op, names),
                names.get(("collection", op.collection_id or 0), ""),
                state,
                str(op.attempts) if op.attempts else "",
                next_try,
                sentence(op.last_error or ""),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(OP_ROLE, op.id)
                item.setData(STATE_ROLE, op.state)
                if column == 5 and text:
                    item.setToolTip(text)
                self.table.setItem(row, column, item)
            if op.id in selected:
                self.table.selectRow(row)
        shown = len(ops)
        more = counts["pending"] + counts["failed"] - shown
        self.counts.setText(
            f"{counts['pending']} waiting, {counts['failed']} failed, {counts['done']} sent"
            + (f" ({more} more not listed)" if more > 0 else "")
        )
        self._refreshed_at = time.monotonic()
        self._enable()

    def _selected(self, state: str | None = None) -> list[int]:
        rows = {i.row() for i in self.table.selectedIndexes()}
        out = []
        for row in sorted(rows):
            item = self.table.item(row, 0)
            if item is not None and (state is None or item.data(STATE_ROLE) == state):
                out.append(int(item.data(OP_ROLE)))
        return out

    def select_op(self, op_id: int) -> bool:
        """Select an operation's row (tests, and scripts); False when it is not listed."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(OP_ROLE) == op_id:
                self.table.clearSelection()
                self.table.selectRow(row)
                return True
        return False

    def retry_selected(self) -> None:
        ids = self._selected("failed")
        n = sum(retry_failed(self.catalog, op_id) for op_id in ids)
        self._retried(n)

    def retry_all(self) -> None:
        self._retried(retry_failed(self.catalog))

    def _retried(self, n: int) -> None:
        if n:
            self._say(f"{n} operation(s) back in the queue.")
            self.refresh_queue()
            self.sync_soon()

    def discard_selected(self) -> None:
        ids = self._selected("failed")
        if not ids or not self.confirm(
            f"Discard {len(ids)} failed operation(s)? What they would have sent is not sent "
            "(the photos and settings here are not touched)."
        ):
            return
        for op_id in ids:
            discard_failed(self.catalog, op_id)
        self._say(f"{len(ids)} failed operation(s) discarded.")
        self.refresh_queue()

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Discard failed operations", question)
        return answer == QMessageBox.StandardButton.Yes

    # -- pause -------------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self._stop.set()
            self._timer.stop()
            self._say("Pausing after the operation in hand…" if self.busy == "sync" else "Paused.")
        else:
            self._stop.clear()
            self._say("")
            self.sync_now()
        self.refresh_queue()

    # -- syncing -----------------------------------------------------------------------------

    def sync_now(self) -> None:
        if not self.signed_in:
            self._say("Sign in first (Account…): nothing is sent without an account.")
            return
        if self.paused:
            return
        if self.busy:
            self._again = True
            return
        self._timer.stop()
        self._stop.clear()
        self.busy = "sync"
        self.progress.setRange(0, 0)
        self.progress.show()
        self._say("Syncing…")
        self.state_changed.emit(SYNCING, "")
        self._enable()
        open_api, catalog, cache = self.account.opener(), self.catalog, self.account.upload_cache
        stop = self._stop

        def work(report: Callable[[Any], None]) -> SyncOutcome:
            return run_sync(open_api, catalog, cache, stop.is_set, report)

        self.tasks.run(work, self._synced, self._sync_failed, self._sync_progress)

    def _sync_progress(self, step: SyncStep) -> None:
        if self.busy != "sync":
            return
        self.progress.setRange(0, max(step.total, 1))
        self.progress.setValue(step.done)
        if not self.paused:
            self._say(f"Syncing: {step.done} of {step.total} sent.")
        self.state_changed.emit(SYNCING, str(max(step.total - step.done, 0)))
        if time.monotonic() - self._refreshed_at >= PROGRESS_EVERY:
            self.refresh_queue()

    def _finished(self) -> None:
        self.busy = None
        self.progress.hide()
        self.refresh_queue()

    def _synced(self, outcome: SyncOutcome) -> None:
        self._finished()
        report = outcome.report
        if report is None:
            self.state_changed.emit(OFFLINE, sentence(outcome.offline))
            self._say(f"Offline: {sentence(outcome.offline)} Trying again in a while.")
            self._schedule(RESYNC_MS)
            self._then()
            return
        self.last_report = report
        self.synced.emit(report)
        if report.stop_kind == "signed_out":
            self.state_changed.emit(SIGNED_OUT, sentence(report.stopped or ""))
            self._say(f"{sentence(report.stopped or '')} (Account…)", error=True)
            self._then()
            return
        if report.stop_kind == "offline":
            self.state_changed.emit(OFFLINE, sentence(report.stopped or ""))
            self._say(self._summary(report))
            self._schedule(self._next_delay())
            self._then()
            return
        self.state_changed.emit(ONLINE, "")
        self._say(self._summary(report))
        self._schedule(self._next_delay())
        self._then()

    def _summary(self, report: SyncReport) -> str:
        parts = [f"Sent {report.done} change(s)." if report.done else "Nothing to send."]
        if report.stopped == STOPPED and self.paused:
            parts = [f"Paused after {report.done} change(s)."]
        elif report.stopped:
            parts.append(sentence(report.stopped))
        if report.waiting:
            wait = self._soonest_retry()
            when = f" ({_in(wait)})" if wait is not None else ""
            parts.append(f"{report.waiting} will retry{when}.")
        if report.failed:
            parts.append(f"{len(report.failed)} failed: see the reasons below.")
        return " ".join(parts)

    def _soonest_retry(self) -> float | None:
        waits = [
            w
            for op in queued(self.catalog, ("pending",))
            if (w := _seconds_until(op.next_attempt_at)) is not None
        ]
        return max(min(waits), 0.0) if waits else None

    def _next_delay(self) -> int:
        wait = self._soonest_retry()
        if wait is None:
            return RESYNC_MS
        return int(min(RESYNC_MS, max(MIN_RETRY_MS, wait * 1000 + 100)))

    def _sync_failed(self, exc: BaseException) -> None:
        self._finished()
        state, why = state_after(exc)
        self.state_changed.emit(state, why)
        self._say(why + (" (Account… to sign in again)" if state == SIGNED_OUT else ""), error=True)
        if state != SIGNED_OUT:
            self._schedule(RESYNC_MS)
        self._then()

    def _then(self) -> None:
        """What was asked for while the run was going."""
        if self._pull_after:
            self._pull_after = False
            self.pull_now()
        elif self._again:
            self._again = False
            self.sync_now()

    # -- pulling -----------------------------------------------------------------------------

    def pull_now(self) -> None:
        found = self.account.current()
        if found is None:
            self._say("Sign in first (Account…): client activity comes from the service.")
            return
        if self.busy:
            self._pull_after = True
            return
        self._timer.stop()
        self.busy = "pull"
        self.progress.setRange(0, 0)
        self.progress.show()
        self._say("Fetching client activity…")
        self._enable()
        open_api, catalog, server = self.account.opener(), self.catalog, found[0]
        self.tasks.run(lambda _r: run_pull(open_api, catalog, server), self._pulled, self._fail)

    def _pulled(self, report: PullReport) -> None:
        self._finished()
        what = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n) or "no activity yet"
        self._say(f"Fetched client activity of {report.collections} collection(s): {what}.")
        self.state_changed.emit(ONLINE, "")
        self.pulled.emit(report)
        self._schedule(self._next_delay())
        self._then()

    def _fail(self, exc: BaseException) -> None:
        self._sync_failed(exc)

    # -- closing -----------------------------------------------------------------------------

    def close_down(self) -> None:
        """The window is closing: the run in hand stops after its operation."""
        self._timer.stop()
        self._stop.set()
        self.tasks.close()
