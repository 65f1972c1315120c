"""Session secrets: the OS keyring, a clear refusal without one, and the opt-in 0600 file."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.compat import properties

from conftest import cli_env
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import UserFacingError
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote.credentials import (
    KEYRING_SERVICE,
    SECRETS_FILE_ENV,
    SECRETS_FILE_NAME,
    CredentialsError,
    CredentialStore,
    NoKeyringError,
    SessionSecrets,
    account_key,
    file_fallback_requested,
)

SERVER: Final = "https://galleries.example.com/api/v1"
EMAIL: Final = "Photographer@Example.com"
CANARY_COOKIE: Final = "canary-cookie-7f3a9c1e5b2d4f60"
CANARY_CSRF: Final = "canary-csrf-0d9e8c7b6a5f4e3d"
CANARY: Final = SessionSecrets(CANARY_COOKIE, CANARY_CSRF)


class DictKeyring(KeyringBackend):
    """A real keyring backend that keeps its entries in this process's memory."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 (a class property)
        # Never chosen by keyring's own detection: only where a test sets it.
        raise RuntimeError("a test-only backend")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def use_backend() -> Iterator[object]:
    """Set a keyring backend for one test (`use_backend(b)`), the previous one restored."""
    previous = keyring.get_keyring()

    def use(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    try:
        yield use
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    AppPaths.at_home(root).ensure()
    return root


def files_containing(root: Path, *needles: str) -> list[Path]:
    """Every file under root whose bytes contain any needle."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(n.encode() in data for n in needles):
                found.append(path)
    return found


def test_this_machines_own_keyring_setting(tmp_path: Path) -> None:
    """In a fresh process, with this machine's real keyring configuration: no keyring means
    NoKeyringError with its message (a machine with a keyring skips this)."""
    code = (
        "import sys\n"
        "from gallery_desktop.paths import AppPaths\n"
        "from gallery_desktop.remote.credentials import *\n"
        "if usable_keyring() is not None:\n"
        "    print('has a keyring'); sys.exit(0)\n"
        "try:\n"
        f"    CredentialStore(AppPaths.at_home(sys.argv[1])).save({SERVER!r}, {EMAIL!r}, \n"
        f"        SessionSecrets({CANARY_COOKIE!r}, {CANARY_CSRF!r}))\n"
        "except NoKeyringError as e:\n"
        "    print('NoKeyringError:', e)\n"
    )
    env = cli_env({SECRETS_FILE_ENV: ""})
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    if proc.stdout.startswith("has a keyring"):
        pytest.skip("this machine has a usable keyring")
    assert proc.stdout.startswith("NoKeyringError: there is no usable system keyring")
    assert "--insecure-store" in proc.stdout and SECRETS_FILE_ENV in proc.stdout
    assert files_containing(tmp_path, CANARY_COOKIE, CANARY_CSRF) == []


def test_without_a_keyring_the_user_is_told_and_nothing_is_written(
    home: Path, use_backend: object
) -> None:
    use_backend(fail.Keyring())  # type: ignore[operator]
    store = CredentialStore(AppPaths.at_home(home))
    with pytest.raises(NoKeyringError) as caught:
        store.save(SERVER, EMAIL, CANARY)
    message = str(caught.value)
    assert isinstance(caught.value, UserFacingError)
    assert "no usable system keyring" in message
    assert "--insecure-store" in message
    assert f"{SECRETS_FILE_ENV}=1" in message
    assert CANARY_COOKIE not in message
    for op in (store.load, lambda *_: store.location()):
        with pytest.raises(NoKeyringError):
            op(SERVER, EMAIL)
    assert store.delete(SERVER, EMAIL) is False  # signing out: nothing to forget
    assert files_containing(home, CANARY_COOKIE, CANARY_CSRF) == []
    assert not (home / SECRETS_FILE_NAME).exists()


def test_file_fallback_round_trips_in_a_private_file(home: Path, use_backend: object) -> None:
    use_backend(fail.Keyring())  # type: ignore[operator]
    paths = AppPaths.at_home(home)
    store = CredentialStore(paths, allow_file_fallback=True)
    assert store.uses_file()
    assert str(paths.data_dir / SECRETS_FILE_NAME) in store.location()
    assert store.load(SERVER, EMAIL) is None

    store.save(SERVER, EMAIL, CANARY)
    secrets_file = paths.data_dir / SECRETS_FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir() if p.is_file()) == [SECRETS_FILE_NAME]
    doc = json.loads(secrets_file.read_text(encoding="utf-8"))
    assert doc["accounts"] == {account_key(SERVER, EMAIL): CANARY.to_json()}

    # Another store (another process) reads it back; spellings of the URL and email agree.
    again = CredentialStore(paths, allow_file_fallback=True)
    assert again.load(SERVER + "/", EMAIL.lower()) == CANARY
    assert again.load("https://GALLERIES.example.com/api/v1", EMAIL) == CANARY
    assert again.load(SERVER, "someone@else.com") is None

    # A second account, then a new session replacing the first: atomic rewrites, still 0600.
    other = SessionSecrets("other-cookie", "other-csrf")
    again.save("http://127.0.0.1:8765/api/v1", EMAIL, other)
    newer = SessionSecrets("newer-cookie", "newer-csrf")
    again.save(SERVER, EMAIL, newer)
    assert store.load(SERVER, EMAIL) == newer
    assert store.load("http://127.0.0.1:8765/api/v1", EMAIL) == other
    if os.name == "posix":
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert [p.name for p in home.iterdir() if p.name.endswith(".tmp")] == []
    assert files_containing(home, CANARY_COOKIE) == []  # the old session is gone


def test_delete_forgets_one_account_and_removes_an_empty_file(
    home: Path, use_backend: object
) -> None:
    use_backend(fail.Keyring())  # type: ignore[operator]
    paths = AppPaths.at_home(home)
    store = CredentialStore(paths, allow_file_fallback=True)
    store.save(SERVER, EMAIL, CANARY)
    store.save(SERVER, "second@example.com", SessionSecrets("c2", "t2"))

    assert store.delete(SERVER, EMAIL) is True
    assert store.delete(SERVER, EMAIL) is False  # already gone
    assert store.load(SERVER, EMAIL) is None
    assert store.load(SERVER, "second@example.com") == SessionSecrets("c2", "t2")
    assert files_containing(home, CANARY_COOKIE, CANARY_CSRF) == []

    assert store.delete(SERVER, "second@example.com") is True
    assert not (paths.data_dir / SECRETS_FILE_NAME).exists()
    # Signing out also clears a file left by an earlier --insecure-store run.
    store.save(SERVER, EMAIL, CANARY)
    assert CredentialStore(paths).delete(SERVER, EMAIL) is True
    assert not (paths.data_dir / SECRETS_FILE_NAME).exists()
    # A damaged file cannot be read (the message says what to do), but signing out clears it.
    (paths.data_dir / SECRETS_FILE_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(CredentialsError, match="delete it and sign in again"):
        store.load(SERVER, EMAIL)
    assert store.delete(SERVER, EMAIL) is True
    assert not (paths.data_dir / SECRETS_FILE_NAME).exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_secrets_file_readable_by_others_is_made_private_again(
    home: Path, use_backend: object
) -> None:
    use_backend(fail.Keyring())  # type: ignore[operator]
    store = CredentialStore(AppPaths.at_home(home), allow_file_fallback=True)
    store.save(SERVER, EMAIL, CANARY)
    secrets_file = home / SECRETS_FILE_NAME
    secrets_file.chmod(0o644)
    assert store.load(SERVER, EMAIL) == CANARY
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_with_a_keyring_the_secrets_go_there_and_into_no_file(
    home: Path, use_backend: object
) -> None:
    backend = DictKeyring()
    use_backend(backend)  # type: ignore[operator]
    paths = AppPaths.at_home(home)
    Catalog(paths.catalog_file).close()  # a real catalogue in the same home
    # Even with the fallback allowed, a working keyring wins.
    store = CredentialStore(paths, allow_file_fallback=True)
    assert not store.uses_file()
    assert "DictKeyring" in store.location() or "system keyring" in store.location()

    store.save(SERVER, EMAIL, CANARY)
    assert list(backend.entries) == [(KEYRING_SERVICE, account_key(SERVER, EMAIL))]
    assert CANARY_COOKIE in backend.entries[(KEYRING_SERVICE, account_key(SERVER, EMAIL))]
    assert files_containing(home, CANARY_COOKIE, CANARY_CSRF) == []
    assert not (home / SECRETS_FILE_NAME).exists()

    assert CredentialStore(paths).load(SERVER, EMAIL) == CANARY
    assert CredentialStore(paths).delete(SERVER, EMAIL) is True
    assert backend.entries == {}
    assert CredentialStore(paths).load(SERVER, EMAIL) is None
    assert CredentialStore(paths).delete(SERVER, EMAIL) is False


def test_an_unreadable_keyring_entry_means_signed_out(home: Path, use_backend: object) -> None:
    backend = DictKeyring()
    use_backend(backend)  # type: ignore[operator]
    backend.set_password(KEYRING_SERVICE, account_key(SERVER, EMAIL), "not json")
    assert CredentialStore(AppPaths.at_home(home)).load(SERVER, EMAIL) is None


def test_secrets_never_reach_the_logs(
    home: Path, use_backend: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    use_backend(fail.Keyring())  # type: ignore[operator]
    store = CredentialStore(AppPaths.at_home(home), allow_file_fallback=True)
    store.save(SERVER, EMAIL, CANARY)
    (home / SECRETS_FILE_NAME).chmod(0o644)  # provokes a warning about the file
    assert store.load(SERVER, EMAIL) == CANARY
    logging.getLogger("test").info("secrets: %s %r", CANARY, CANARY)
    use_backend(DictKeyring())  # type: ignore[operator]
    store.save(SERVER, EMAIL, CANARY)
    assert store.load(SERVER, EMAIL) == CANARY
    assert caplog.records  # something was logged, and none of it is a secret
    assert CANARY_COOKIE not in caplog.text and CANARY_CSRF not in caplog.text


def test_secrets_repr_is_masked() -> None:
    for text in (repr(CANARY), str(CANARY), f"{CANARY}", repr([CANARY]), repr({"s": CANARY})):
        assert CANARY_COOKIE not in text and CANARY_CSRF not in text
        assert "***" in text
    assert SessionSecrets.from_json(CANARY.to_json()) == CANARY
    assert SessionSecrets.from_json({"cookie": "", "csrf_token": "x"}) is None
    assert SessionSecrets.from_json(["nope"]) is None


def test_the_fallback_is_asked_for_by_flag_or_environment() -> None:
    assert file_fallback_requested(True, {}) is True
    assert file_fallback_requested(False, {}) is False
    for value in ("1", "true", "YES", " on "):
        assert file_fallback_requested(False, {SECRETS_FILE_ENV: value}) is True
    for value in ("", "0", "no", "false"):
        assert file_fallback_requested(False, {SECRETS_FILE_ENV: value}) is False
