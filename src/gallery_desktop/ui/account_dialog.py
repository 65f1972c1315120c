"""The gallery service account: which one the window publishes to, its sign-in dialog, and
the per-collection "Publish" action.

The service is optional. With no account nothing here touches the network; signing in and
out run in the background, and the password is never kept (only the session, in the system
keyring or, on a machine without one and only when the photographer ticks the box, in the
documented secrets file).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection
from gallery_desktop.errors import UserFacingError
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote.account import (
    DEFAULT_SERVER,
    current_account,
    forget_account,
    remember_account,
    signed_in_api,
)
from gallery_desktop.remote.api import GalleryApi, check_base_url
from gallery_desktop.remote.credentials import (
    SECRETS_FILE_NAME,
    CredentialStore,
    NoKeyringError,
    file_fallback_requested,
    normalize_server_url,
    usable_keyring,
)
from gallery_desktop.remote.outbox import link_collection, unlink_collection
from gallery_desktop.ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #c0392b;"
NOTE_STYLE = "color: #b9770e;"


def sentence(text: str) -> str:
    """An engine message (lower-case, no full stop) as a sentence for a label."""
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def error_text(exc: BaseException, doing: str) -> str:
    """What to show for a failure: the user-facing message, or (a bug) a short note + log."""
    if isinstance(exc, UserFacingError):
        return sentence(str(exc))
    log.error("%s failed", doing, exc_info=exc)
    return sentence(f"something went wrong while {doing}: {type(exc).__name__}")


class RemoteAccount(QObject):
    """The gallery-service account of this catalogue: its server and email (kept in the
    catalogue), where its session is kept, and clients for it. `changed`: signed in or out."""

    changed = Signal()

    def __init__(
        self, catalog: Catalog, paths: AppPaths, settings: QSettings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.catalog, self.paths, self.settings = catalog, paths, settings

    def current(self) -> tuple[str, str] | None:
        """(server, email) when an account is configured; None: nothing remote happens."""
        return current_account(self.catalog)

    @property
    def uses_secrets_file(self) -> bool:
        """The photographer chose the secrets file (in this dialog, or by the variable)."""
        chosen = bool(self.settings.value("remote/secrets_file", False, type=bool))
        return chosen or file_fallback_requested()

    def choose_secrets_file(self, chosen: bool) -> None:
        self.settings.setValue("remote/secrets_file", chosen)
        self.settings.sync()

    @property
    def last_server(self) -> str:
        return str(self.settings.value("remote/server", DEFAULT_SERVER) or DEFAULT_SERVER)

    @property
    def upload_cache(self) -> Path:
        return self.paths.cache_dir / "uploads"

    def opener(self, timeout: float = 30.0) -> Callable[[], GalleryApi]:
        """A function that makes a signed-in client; for worker threads (reads no widgets).
        It raises SessionExpired when there is no session to use."""
        catalog, paths, use_file = self.catalog, self.paths, self.uses_secrets_file

        def open_api() -> GalleryApi:
            return signed_in_api(catalog, paths, allow_file_fallback=use_file, timeout=timeout)

        return open_api


@dataclass(frozen=True)
class KeyringCheck:
    usable: bool
    where: str  # where the session goes (or would go), in words


def check_keyring(paths: AppPaths, use_file: bool) -> KeyringCheck:
    store = CredentialStore(paths, allow_file_fallback=True)
    usable = usable_keyring() is not None
    where = store.location()
    if not usable and not use_file:
        where = "nowhere yet: this computer has no system keyring"
    return KeyringCheck(usable, where)


def sign_in(
    catalog: Catalog, paths: AppPaths, server: str, email: str, password: str, use_file: bool
) -> str:
    """Sign in, keep the session, remember the account; returns where the session is kept."""
    store = CredentialStore(paths, allow_file_fallback=use_file)
    where = store.location()  # no keyring and no file chosen: say so before signing in
    with GalleryApi(server, timeout=20.0) as api:
        secrets = api.login(email, password)
    store.save(server, email, secrets)
    remember_account(catalog, server, email)
    return where


def sign_out(catalog: Catalog, paths: AppPaths, server: str, email: str, use_file: bool) -> str:
    """Sign out on the server when it can be reached, and always forget the session here.
    Returns a problem to mention (the session could not be deleted), or ''."""
    with (
        contextlib.suppress(UserFacingError),  # offline, expired: forgetting it is what counts
        signed_in_api(catalog, paths, server, allow_file_fallback=use_file, timeout=10.0) as api,
    ):
        api.logout()
    problem = ""
    try:
        CredentialStore(paths, allow_file_fallback=use_file).delete(server, email)
    except NoKeyringError:
        pass  # nowhere to keep it, so nothing was kept
    except UserFacingError as exc:
        problem = str(exc)
    forget_account(catalog, server)
    return problem


class AccountDialog(QDialog):
    """Sign in (server, email, password) or, when signed in, sign out."""

    def __init__(self, account: RemoteAccount, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = account
        self.tasks = BackgroundTasks(self)
        self.busy = False
        self.keyring: KeyringCheck | None = None
        self._known = account.current()  # what the window was last told
        self._form_wanted = False  # signed in, but asked to sign in again (expired session)
        self.setWindowTitle("Gallery Service Account")

        intro = QLabel(
            "Publish collections to your online galleries and see what clients chose. "
            "Optional: everything else works offline, without an account."
        )
        intro.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._form_page())
        self.pages.addWidget(self._signed_in_page())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.sign_in_button = QPushButton("Sign In")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.start_sign_in)
        self.sign_out_button = QPushButton("Sign Out")
        self.sign_out_button.clicked.connect(self.start_sign_out)
        self.again_button = QPushButton("Sign In Again…")
        self.again_button.setToolTip("When the session has expired")
        self.again_button.clicked.connect(self.sign_in_again)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.sign_out_button)
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.pages)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        self._show_account()
        self._check_keyring()

    # -- building ----------------------------------------------------------------------------

    def _form_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.server = QLineEdit(self.account.last_server)
        self.server.setToolTip(
            "The service's API address. To try the app without an account, type the "
            "emulator's address, e.g. http://127.0.0.1:8765/api/v1"
        )
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Server", self.server)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        column.addLayout(form)
        self.keyring_note = QLabel("Checking where the session can be kept…")
        self.keyring_note.setWordWrap(True)
        self.use_file = QCheckBox(
            "Keep the session in a plain file readable only by me (no keyring here)"
        )
        self.use_file.setChecked(self.account.uses_secrets_file)
        self.use_file.hide()
        self.file_note = QLabel(
            f"The file is {SECRETS_FILE_NAME} in {self.account.paths.data_dir}, readable by "
            "your user only. Anyone who can read your files or backups can use the session "
            "until you sign out (signing out deletes it). The password is never kept."
        )
        self.file_note.setWordWrap(True)
        self.file_note.setEnabled(False)
        self.file_note.hide()
        column.addWidget(self.keyring_note)
        column.addWidget(self.use_file)
        column.addWidget(self.file_note)
        for edit in (self.server, self.email, self.password):
            edit.textChanged.connect(self._check)
        self.use_file.toggled.connect(self._check)
        return page

    def _signed_in_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.where = QLabel()
        self.where.setWordWrap(True)
        column.addWidget(self.who)
        column.addWidget(self.where)
        return page

    # -- state -------------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self.account.current() is not None

    def _show_account(self) -> None:
        found = self.account.current()
        if found is not None:
            server, email = found
            self.who.setText(f"Signed in as <b>{_html(email)}</b> on {_html(server)}.")
            self.where.setText(f"Session kept in {self.keyring.where}." if self.keyring else "")
        form = found is None or self._form_wanted
        self.pages.setCurrentIndex(0 if form else 1)
        self.sign_out_button.setVisible(not form)
        self.again_button.setVisible(not form)
        self.sign_in_button.setVisible(form)
        self._check()

    def sign_in_again(self) -> None:
        found = self.account.current()
        if found is not None:
            self.server.setText(found[0])
            self.email.setText(found[1])
        self._form_wanted = True
        self._show_account()
        self.password.setFocus()

    def _announce(self) -> None:
        """Tell the window (the sync panel, the status bar) that the account changed."""
        self._known = self.account.current()
        self.account.changed.emit()

    def _check_keyring(self) -> None:
        paths, use_file = self.account.paths, self.account.uses_secrets_file
        self.tasks.run(lambda _r: check_keyring(paths, use_file), self._keyring_known, self._oops)

    def _keyring_known(self, check: KeyringCheck) -> None:
        self.keyring = check
        if check.usable:
            self.keyring_note.setText(f"The session will be kept in {check.where}.")
            self.keyring_note.setStyleSheet("")
        else:
            self.keyring_note.setText(
                "This computer has no system keyring (such as GNOME Keyring or KWallet) to keep "
                "the session in. Install and unlock one, or tick the box below."
            )
            self.keyring_note.setStyleSheet(NOTE_STYLE)
        self.use_file.setVisible(not check.usable)
        self.file_note.setVisible(not check.usable)
        self._show_account()
        self.adjustSize()  # the notes shown take room the dialog did not have when it opened

    def _oops(self, exc: BaseException) -> None:
        self._say(error_text(exc, "checking the keyring"), error=True)

    def _check(self) -> None:
        keyring_ok = self.keyring is not None and (self.keyring.usable or self.use_file.isChecked())
        filled = all(e.text().strip() for e in (self.server, self.email)) and bool(
            self.password.text()
        )
        self.sign_in_button.setEnabled(filled and keyring_ok and not self.busy)
        self.sign_out_button.setEnabled(not self.busy)
        self.again_button.setEnabled(not self.busy)
        self.pages.setEnabled(not self.busy)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if busy:
            self._say(text)
        self._check()

    # -- signing in and out ------------------------------------------------------------------

    def start_sign_in(self) -> None:
        if self.busy or not self.sign_in_button.isEnabled():
            return
        try:
            server = normalize_server_url(str(check_base_url(self.server.text())))
        except UserFacingError as exc:
            self._say(sentence(str(exc)), error=True)
            return
        email, password = self.email.text().strip(), self.password.text()
        use_file = bool(self.keyring and not self.keyring.usable and self.use_file.isChecked())
        catalog, paths = self.account.catalog, self.account.paths
        self._set_busy(True, f"Signing in to {server} …")

        def work(_report: Callable[[Any], None]) -> str:
            return sign_in(catalog, paths, server, email, password, use_file)

        def done(where: str) -> None:
            self.password.clear()
            self.account.choose_secrets_file(use_file)
            self.account.settings.setValue("remote/server", server)
            self._set_busy(False)
            self._say(f"Signed in. The session is kept in {where}.")
            self._form_wanted = False
            self._show_account()
            self._announce()
            self.accept()

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            self._say(error_text(exc, "signing in"), error=True)

        self.tasks.run(work, done, failed)

    def start_sign_out(self) -> None:
        found = self.account.current()
        if self.busy or found is None:
            return
        server, email = found
        catalog, paths, use_file = (
            self.account.catalog,
            self.account.paths,
            self.account.uses_secrets_file,
        )
        self._set_busy(True, "Signing out …")

        def done(problem: str) -> None:
            self._set_busy(False)
            if problem:
                self._say(f"Signed out, but: {sentence(problem)}", error=True)
            else:
                self._say("Signed out. The session was deleted from this computer.")
            self._show_account()
            self._announce()

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            self._say(error_text(exc, "signing out"), error=True)

        self.tasks.run(lambda _r: sign_out(catalog, paths, server, email, use_file), done, failed)

    def done(self, result: int) -> None:
        self.tasks.close()  # a sign-in in flight finishes; its answer is not shown any more
        if self.account.current() != self._known:
            self._announce()  # it finished as the dialog closed: the window must still know
        super().done(result)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PublishAction(QAction):
    """ "Publish" for the selected collection: checked = its changes go to the gallery
    service. Publishing queues the whole collection; stopping (after a confirmation) drops
    what still waits, and leaves what is online there."""

    message = Signal(str)  # what was done, for the status line
    queued = Signal()  # published: the whole collection waits in the queue

    def __init__(self, catalog: Catalog, account: RemoteAccount, parent: QObject) -> None:
        super().__init__("Publish", parent)
        self.catalog, self.account = catalog, account
        self.setCheckable(True)
        self.setEnabled(False)
        self.collection_id: int | None = None
        self.confirm: Callable[[str], bool] = self._confirm
        self.triggered.connect(self.set_published)

    def show_collection(self, collection_id: int | None) -> None:
        """Follow the sidebar: which collection the action is about, and its state."""
        self.collection_id = collection_id
        found = self._collection()
        self.setEnabled(found is not None)
        self.setChecked(bool(found and found.sync_linked))
        name = f"“{found.name}”" if found else "the selected collection"
        self.setToolTip(f"Publish {name} to the gallery service: its changes sync from now on")

    def _collection(self) -> Collection | None:
        if self.collection_id is None:
            return None
        with self.catalog.read() as session:
            found = session.get(Collection, self.collection_id)
        return found if found is not None and found.deleted_at is None else None

    def set_published(self, publish: bool) -> None:
        found = self._collection()
        if found is None or found.id is None:
            self.setChecked(False)
            return
        if publish == bool(found.sync_linked):
            self.setChecked(publish)
            return
        try:
            if publish:
                n = link_collection(self.catalog, found.id)
                then = (
                    "they go at the next sync"
                    if self.account.current() is not None
                    else "sign in (Account…) to send them"
                )
                text = f"Publishing “{found.name}”: {n} change(s) queued; {then}."
            else:
                if not self.confirm(
                    f"Stop publishing “{found.name}”?\n\nChanges still waiting are dropped. "
                    "What is already on the gallery service stays there."
                ):
                    self.setChecked(True)
                    return
                n = unlink_collection(self.catalog, found.id)
                text = f"“{found.name}” is no longer published ({n} waiting change(s) dropped)."
        except UserFacingError as exc:
            self.setChecked(bool(found.sync_linked))
            self.message.emit(error_text(exc, "publishing"))
            return
        self.setChecked(publish)
        self.queued.emit()
        self.message.emit(text)

    def _confirm(self, question: str) -> bool:
        parent = self.parent()
        answer = QMessageBox.question(
            parent if isinstance(parent, QWidget) else None, "Stop publishing", question
        )
        return answer == QMessageBox.StandardButton.Yes
