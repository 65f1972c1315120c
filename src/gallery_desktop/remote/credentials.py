"""The session with the gallery service: kept in the OS keyring, never in the catalogue or logs.

What is kept
    `SessionSecrets`: the session cookie's value and the CSRF token the service gave at sign-in
    (never the password). Their `repr`/`str` show `***`, so a log line, a traceback or a crash
    report that mentions them shows nothing usable.

Where (normally)
    The operating system's keyring through the `keyring` library (macOS Keychain, Windows
    Credential Locker, Secret Service or KWallet on Linux), service name ``gallery-desktop``,
    one entry per account: ``<email> on <server URL>``.

A machine with no keyring
    (a headless Linux box, a minimal desktop, a container): `NoKeyringError`, a user-facing
    error that says so and names the fallback below. Nothing is written anywhere.

The fallback: an explicit, opt-in secrets file
    Asked for with ``--insecure-store`` on the command line, or with the environment variable
    ``GALLERY_DESKTOP_SECRETS_FILE=1`` (`SECRETS_FILE_ENV`; `file_fallback_requested` reads
    both), i.e. ``CredentialStore(paths, allow_file_fallback=True)``. The secrets then go into
    ``secrets.json`` in the app's data folder (`AppPaths.data_dir`; with ``--home DIR``, in
    DIR): its own file, never the catalogue, written atomically (a temporary file, then a
    rename) with mode 0600 (readable by your user only). It is plain text protected only by the
    file's permissions: anyone who can read your files or your backups can use the session until
    it expires or you sign out. Signing out deletes the entry (and the file when it is empty).
    When a keyring is available it is always used, whatever the fallback setting; deleting an
    account's secrets clears both places.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from gallery_desktop.errors import UserFacingError
from gallery_desktop.paths import AppPaths

log = logging.getLogger(__name__)

KEYRING_SERVICE: Final = "gallery-desktop"
SECRETS_FILE_NAME: Final = "secrets.json"
SECRETS_FILE_ENV: Final = "GALLERY_DESKTOP_SECRETS_FILE"
INSECURE_STORE_FLAG: Final = "--insecure-store"
_FILE_FORMAT: Final = 1
_TRUE: Final = frozenset({"1", "true", "yes", "on"})

_file_lock = threading.Lock()


@dataclass(frozen=True, repr=False)
class SessionSecrets:
    """A signed-in session: the session cookie's value and the CSRF token for writes."""

    cookie: str
    csrf_token: str

    def __repr__(self) -> str:
        return "SessionSecrets(cookie='***', csrf_token='***')"

    __str__ = __repr__

    def to_json(self) -> dict[str, str]:
        return {"cookie": self.cookie, "csrf_token": self.csrf_token}

    @classmethod
    def from_json(cls, value: object) -> SessionSecrets | None:
        """The secrets from their stored form; None when it is not that form."""
        if not isinstance(value, Mapping):
            return None
        cookie, csrf = value.get("cookie"), value.get("csrf_token")
        if not isinstance(cookie, str) or not isinstance(csrf, str) or not cookie:
            return None
        return cls(cookie, csrf)


class CredentialsError(UserFacingError):
    """The session secrets cannot be kept or read where they should be."""


class NoKeyringError(CredentialsError):
    """This machine has no usable keyring, and the secrets file was not asked for."""

    def __init__(self) -> None:
        super().__init__(
            "there is no usable system keyring on this machine to keep the gallery service "
            "session in. Install and unlock one (e.g. GNOME Keyring or KWallet), or choose to "
            f"keep it in a plain file readable only by you: sign in with {INSECURE_STORE_FLAG} "
            f"or set {SECRETS_FILE_ENV}=1 (the session is then stored in {SECRETS_FILE_NAME} "
            "in the app's data folder)"
        )


def file_fallback_requested(
    insecure_store: bool = False, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether the user chose the secrets file: the `--insecure-store` flag or the variable."""
    env = os.environ if environ is None else environ
    return insecure_store or env.get(SECRETS_FILE_ENV, "").strip().lower() in _TRUE


def normalize_server_url(server_url: str) -> str:
    """One spelling per server: scheme and host lower-case, no trailing slash, no query."""
    parts = urlsplit(server_url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def account_key(server_url: str, email: str) -> str:
    """The keyring user name (and file key) of one account on one server."""
    return f"{email.strip().lower()} on {normalize_server_url(server_url)}"


def usable_keyring() -> KeyringBackend | None:
    """The keyring backend `keyring` chose, or None when it is one that cannot store."""
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is the same as none
        log.warning("the keyring library could not load a backend", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


class CredentialStore:
    """Saves, loads and deletes `SessionSecrets` per (server URL, account email)."""

    def __init__(self, paths: AppPaths, *, allow_file_fallback: bool = False) -> None:
        self.secrets_file: Final = paths.data_dir / SECRETS_FILE_NAME
        # Chosen once (the file exists): reading it back and signing out need no flag again.
        self.allow_file_fallback: Final = allow_file_fallback or self.secrets_file.exists()

    # -- where ---------------------------------------------------------------------------------

    def location(self) -> str:
        """Where the secrets go on this machine, for the user (raises NoKeyringError)."""
        backend = self._backend()
        if backend is None:
            return f"the file {self.secrets_file} (readable only by you)"
        return f"the system keyring ({_backend_name(backend)})"

    def uses_file(self) -> bool:
        """True when the secrets go to the fallback file (raises NoKeyringError)."""
        return self._backend() is None

    def _backend(self) -> KeyringBackend | None:
        """The keyring to use, or None for the file; NoKeyringError when neither is allowed."""
        backend = usable_keyring()
        if backend is None and not self.allow_file_fallback:
            raise NoKeyringError()
        return backend

    # -- the three operations ------------------------------------------------------------------

    def save(self, server_url: str, email: str, secrets: SessionSecrets) -> None:
        key = account_key(server_url, email)
        backend = self._backend()
        if backend is not None:
            value = json.dumps(secrets.to_json(), separators=(",", ":"))
            try:
                backend.set_password(KEYRING_SERVICE, key, value)
            except keyring.errors.NoKeyringError:
                self._keyring_vanished(backend)
            except Exception as e:
                raise _keyring_failed("keep", backend, e) from None
            else:
                return
        self._update_file(key, secrets)

    def load(self, server_url: str, email: str) -> SessionSecrets | None:
        """The saved secrets, or None when this account has none (sign in)."""
        key = account_key(server_url, email)
        backend = self._backend()
        if backend is not None:
            try:
                value = backend.get_password(KEYRING_SERVICE, key)
            except keyring.errors.NoKeyringError:
                self._keyring_vanished(backend)
            except Exception as e:
                raise _keyring_failed("read", backend, e) from None
            else:
                if value is None:
                    return None
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
                secrets = SessionSecrets.from_json(parsed)
                if secrets is None:
                    log.warning("the keyring entry for %s is unreadable: ignored", key)
                return secrets
        return SessionSecrets.from_json(self._read_file().get(key))

    def delete(self, server_url: str, email: str) -> bool:
        """Forget the account's secrets, from the keyring and from the file. True if any were.

        Never raises NoKeyringError: where nothing can be stored, nothing is to be deleted."""
        key = account_key(server_url, email)
        deleted = False
        backend = usable_keyring()
        if backend is not None:
            try:
                if backend.get_password(KEYRING_SERVICE, key) is not None:
                    backend.delete_password(KEYRING_SERVICE, key)
                    deleted = True
            except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
                pass  # already gone, or nowhere to be
            except Exception as e:
                raise _keyring_failed("delete", backend, e) from None
        # Signing out always clears a file left from an earlier fallback, allowed or not; with
        # no keyring and no file there is nothing to forget (no NoKeyringError for that).
        if self.secrets_file.exists():
            deleted = self._update_file(key, None) or deleted
        return deleted

    def _keyring_vanished(self, backend: KeyringBackend) -> None:
        """The chosen backend turned out to have no store (a chainer of fail backends)."""
        log.warning("the keyring backend %s cannot store anything", _backend_name(backend))
        if not self.allow_file_fallback:
            raise NoKeyringError()

    # -- the fallback file ---------------------------------------------------------------------

    def _read_file(self) -> dict[str, Any]:
        path = self.secrets_file
        try:
            st = path.stat()
        except FileNotFoundError:
            return {}
        if os.name == "posix" and st.st_mode & 0o077:
            log.warning("%s was readable by others: made private (0600) again", path)
            os.chmod(path, 0o600)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CredentialsError(
                f"the secrets file {path} cannot be read ({type(e).__name__}); delete it and "
                "sign in again"
            ) from None
        accounts = doc.get("accounts") if isinstance(doc, dict) else None
        return dict(accounts) if isinstance(accounts, dict) else {}

    def _update_file(self, key: str, secrets: SessionSecrets | None) -> bool:
        """Set (or with None remove) one account in the file; True if something changed."""
        with _file_lock:
            try:
                accounts = self._read_file()
            except CredentialsError:
                if secrets is not None:
                    raise
                self.secrets_file.unlink(missing_ok=True)  # unreadable: forgetting it is all
                return True
            if secrets is None:
                if accounts.pop(key, None) is None:
                    return False
                if not accounts:
                    self.secrets_file.unlink(missing_ok=True)
                    return True
            else:
                accounts[key] = secrets.to_json()
            self._write_file(accounts)
            return True

    def _write_file(self, accounts: dict[str, Any]) -> None:
        path = self.secrets_file
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": _FILE_FORMAT,
            "about": "gallery-desktop session secrets (see --insecure-store); delete to sign out",
            "accounts": accounts,
        }
        # mkstemp creates the file 0600 before a byte is written; the rename is atomic.
        fd, tmp_name = tempfile.mkstemp(prefix=".secrets-", suffix=".tmp", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                if os.name == "posix":
                    os.fchmod(f.fileno(), stat.S_IRUSR | stat.S_IWUSR)
                json.dump(doc, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _backend_name(backend: KeyringBackend) -> str:
    return str(getattr(backend, "name", type(backend).__name__))


def _keyring_failed(action: str, backend: KeyringBackend, error: Exception) -> CredentialsError:
    locked = isinstance(error, keyring.errors.KeyringLocked)
    hint = "unlock it and try again" if locked else "check that it is running and unlocked"
    return CredentialsError(
        f"the system keyring ({_backend_name(backend)}) could not {action} the gallery service "
        f"session ({type(error).__name__}): {hint}"
    )
