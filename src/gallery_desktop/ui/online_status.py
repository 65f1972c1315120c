"""The status bar's online indicator: signed out, online, offline or syncing N.

It learns the state from the sync panel's runs and, when nothing has reported for a while, from
a light check of its own (one bootstrap request, in the background). With no account configured
it never checks: nothing network-related happens at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QToolButton, QWidget

from gallery_desktop.errors import UserFacingError
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.credentials import CredentialsError
from gallery_desktop.remote.errors import RemoteError, SessionExpired
from gallery_desktop.ui.account_dialog import RemoteAccount, error_text, sentence
from gallery_desktop.ui.tasks import BackgroundTasks

SIGNED_OUT: Final = "signed out"
CHECKING: Final = "checking"
ONLINE: Final = "online"
OFFLINE: Final = "offline"
SYNCING: Final = "syncing"

CHECK_MS: Final = 60_000  # a check when nothing else has reported for this long
CHECK_TIMEOUT: Final = 5.0

_LOOK: Final = {  # state: (text, colour)
    SIGNED_OUT: ("Signed out", "palette(placeholder-text)"),
    CHECKING: ("○ Connecting…", "palette(placeholder-text)"),
    ONLINE: ("● Online", "#1e8449"),
    OFFLINE: ("● Offline", "#b9770e"),
    SYNCING: ("⟳ Syncing", "#2e86c1"),
}


def state_after(exc: BaseException) -> tuple[str, str]:
    """(state, why) after a remote call failed: expired or missing session → signed out;
    a failure that may pass (network, 5xx, 429) → offline; anything else → offline with why."""
    if isinstance(exc, SessionExpired | CredentialsError):
        return SIGNED_OUT, sentence(str(exc))
    if isinstance(exc, RemoteError | UserFacingError):
        return OFFLINE, sentence(str(exc))
    return OFFLINE, error_text(exc, "talking to the gallery service")


def check_service(open_api: Callable[[], GalleryApi]) -> None:
    """One light request that needs the session: raises when offline or signed out."""
    with open_api() as api:
        api.bootstrap()


class OnlineStatus(QToolButton):
    """A flat button in the status bar; clicking it opens the sync panel (the window's call)."""

    def __init__(self, account: RemoteAccount, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = account
        self.setAutoRaise(True)
        self.tasks = BackgroundTasks(self)
        self.state, self.detail = SIGNED_OUT, ""
        self.checks = 0  # bootstrap checks started (tests: none without an account)
        self._checking = False
        self._reported_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check_soon)
        account.changed.connect(self.account_changed)
        self.account_changed()

    def account_changed(self) -> None:
        if self.account.current() is None:
            self._timer.stop()
            self.show_state(SIGNED_OUT, "No gallery service account: Account… to sign in.")
            return
        self.show_state(CHECKING)
        self.check_now()

    def show_state(self, state: str, detail: str = "") -> None:
        """Show what a sync, a pull or a check found; `detail`: why, or for SYNCING how many."""
        self.state, self.detail = state, detail
        text, colour = _LOOK.get(state, (state, "palette(text)"))
        if state == SYNCING and detail:
            text = f"{text} {detail}"
        self.setText(text)
        self.setStyleSheet(f"QToolButton {{ color: {colour}; }}")
        account = self.account.current()
        who = f"{account[1]} on {account[0]}" if account else "no account"
        tip = {
            ONLINE: f"Online: {who}.",
            OFFLINE: f"Offline ({who}). Changes wait in the queue and go when it is back.",
            SYNCING: f"Sending changes to the gallery service ({who}).",
            CHECKING: f"Checking the connection ({who}).",
        }.get(state, "Signed out.")
        if detail and state != SYNCING:
            tip += f"\n{detail}"
        self.setToolTip(tip + "\nClick for the sync queue.")
        self._reported_at = time.monotonic()
        if state == SIGNED_OUT or account is None:
            self._timer.stop()
        elif not self._timer.isActive():
            self._timer.start()

    def check_soon(self) -> None:
        """The timer: check only when no sync or pull has reported for a while."""
        if time.monotonic() - self._reported_at >= CHECK_MS / 1000 - 1:
            self.check_now()

    def check_now(self) -> None:
        if self.account.current() is None or self._checking:
            return  # no account: nothing network-related at all
        self._checking = True
        self.checks += 1
        open_api = self.account.opener(timeout=CHECK_TIMEOUT)

        def reached(_result: Any) -> None:
            self._checking = False
            if self.state != SYNCING:
                self.show_state(ONLINE)

        def failed(exc: BaseException) -> None:
            self._checking = False
            if self.state != SYNCING or isinstance(exc, SessionExpired):
                self.show_state(*state_after(exc))

        self.tasks.run(lambda _r: check_service(open_api), reached, failed)

    def close_down(self) -> None:
        self._timer.stop()
        self.tasks.close()
