"""One app per catalogue: a second launch hands its folders to the first and exits 0.

The process tests use the app's test hook GALLERY_DESKTOP_TEST_QUIT_AFTER_MS (ui/app.py): the
app quits once idle that long and reports on stdout what its single-instance server did."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conftest import cli_env
from corpus import CORPUS
from gallery_desktop.catalog.collections import display_name, list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.cli import split_open_folders
from gallery_desktop.ui.app import TEST_PAUSE_ENV, TEST_QUIT_ENV
from gallery_desktop.ui.single_instance import (
    Handover,
    InstanceServer,
    decode_message,
    encode_message,
    hand_over,
    server_name,
)

PHOTO = CORPUS / "photos/orientation/Portrait_6.jpg"
NON_UTF8 = b"Caf\xe9 shoot"  # Latin-1 é: not UTF-8


def _shoot(parent: Path, name: str | bytes) -> bytes:
    folder = os.path.join(os.fsencode(parent), os.fsencode(name))
    os.makedirs(os.path.join(folder, b"Ceremony"))
    shutil.copy(os.fsencode(PHOTO), os.path.join(folder, b"Ceremony", b"a.jpg"))
    return folder


class App:
    """`python -m gallery_desktop --home HOME [FOLDER...]` as a process with the test hook."""

    def __init__(
        self, home: Path, *folders: bytes, quit_after_ms: int, env: dict[str, str] | None = None
    ) -> None:
        cmd: list[str | bytes] = [sys.executable, "-m", "gallery_desktop", "--home", str(home)]
        self.proc = subprocess.Popen(
            [*cmd, *folders],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env({TEST_QUIT_ENV: str(quit_after_ms), **(env or {})}),
        )
        self.lines: list[str] = []

    def wait_for(self, prefix: str, timeout: float = 20) -> str:
        """The first stdout line starting with `prefix` (the hook's lines, in order)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.proc.stdout.readline()
            if not raw:
                break
            line = raw.decode().removeprefix("gallery-desktop-test: ").rstrip("\n")
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} line; got {self.lines}, stderr {self.stderr()}")

    def finish(self, timeout: float = 30) -> int:
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.returncode

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(running)"
        return self.proc.stderr.read().decode(errors="replace")


@pytest.fixture
def apps() -> Iterator[list[App]]:
    started: list[App] = []
    yield started
    for app in started:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait()


def _collections(home: Path) -> list[str]:
    """The collections' folders, as shown (bytes that are not UTF-8 as \\xNN)."""
    catalog = Catalog(home / "catalog.sqlite")
    try:
        return sorted(c.folder or "" for c in list_collections(catalog))
    finally:
        catalog.close()


def test_second_launch_hands_folders_to_the_first(tmp_path: Path, apps: list[App]) -> None:
    home = tmp_path / "home"
    plain, odd = _shoot(tmp_path, "Smith Wedding"), _shoot(tmp_path, NON_UTF8)
    first = App(home, quit_after_ms=2000)
    apps.append(first)
    first.wait_for("listening")
    started = time.monotonic()
    second = App(home, plain, odd, quit_after_ms=100)
    apps.append(second)
    assert second.finish() == 0, second.stderr()
    assert time.monotonic() - started < 10
    assert second.wait_for("handed over")
    received = json.loads(first.wait_for("received ").removeprefix("received "))
    assert [base64.b64decode(f) for f in received] == [plain, odd]
    assert first.finish() == 0, first.stderr()
    assert _collections(home) == sorted([display_name(plain), display_name(odd)])


def test_launches_at_the_same_moment_make_one_window(tmp_path: Path, apps: list[App]) -> None:
    """A double click on the launcher: the start-up lock lets exactly one become the window;
    the others hand their folders to it."""
    home = tmp_path / "home"
    shoots = [_shoot(tmp_path, f"Shoot {n}") for n in range(3)]
    pause = {TEST_PAUSE_ENV: "700"}  # each would listen 0.7 s after finding no window
    launches = [App(home, shoot, quit_after_ms=4000, env=pause) for shoot in shoots]
    apps.extend(launches)
    codes = [launch.finish(60) for launch in launches]
    assert codes == [0, 0, 0], [launch.stderr() for launch in launches]
    for launch in launches:  # the hook's lines, to the end
        assert launch.proc.stdout is not None
        launch.lines += [
            raw.decode().removeprefix("gallery-desktop-test: ").rstrip("\n")
            for raw in launch.proc.stdout.readlines()
        ]
    listening = [
        launch for launch in launches if any(x.startswith("listening") for x in launch.lines)
    ]
    handed = [launch for launch in launches if "handed over" in launch.lines]
    assert len(listening) == 1 and len(handed) == 2, [launch.lines for launch in launches]
    assert _collections(home) == sorted(display_name(shoot) for shoot in shoots)


def test_a_socket_is_private_to_its_user(tmp_path: Path) -> None:
    from gallery_desktop.ui.single_instance import private_dir

    name = server_name(tmp_path / "catalog.sqlite")
    folder = private_dir()
    if sys.platform == "win32":
        assert folder is None and "/" not in name
        return
    assert folder is not None and name.startswith(str(folder) + os.sep)
    st = os.stat(folder)
    assert st.st_uid == os.getuid() and not st.st_mode & 0o077


def test_different_catalogues_run_side_by_side(tmp_path: Path, apps: list[App]) -> None:
    a = App(tmp_path / "a", quit_after_ms=1500)
    apps.append(a)
    name_a = a.wait_for("listening")
    b = App(tmp_path / "b", _shoot(tmp_path, "Jones"), quit_after_ms=100)
    apps.append(b)
    assert b.wait_for("listening") != name_a  # b opened its own window: nobody answered
    assert b.finish() == 0, b.stderr()
    assert a.finish() == 0, a.stderr()
    assert a.wait_for("quitting") and not any(line.startswith("received") for line in a.lines)
    assert _collections(tmp_path / "b") == [str(tmp_path / "Jones")]


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes vanish with their process")
def test_a_crashed_instance_leaves_no_obstacle(tmp_path: Path, apps: list[App]) -> None:
    home = tmp_path / "home"
    crashed = App(home, quit_after_ms=60_000)
    apps.append(crashed)
    crashed.wait_for("listening")
    crashed.proc.send_signal(signal.SIGKILL)  # the socket file stays behind
    crashed.finish()
    shoot = _shoot(tmp_path, "After the crash")
    started = time.monotonic()
    again = App(home, shoot, quit_after_ms=100)
    apps.append(again)
    again.wait_for("listening")
    assert again.finish() == 0, again.stderr()
    assert time.monotonic() - started < 15
    assert _collections(home) == [display_name(shoot)]


# -- in process -------------------------------------------------------------------------------


def test_the_message_keeps_bytes_and_makes_paths_absolute(tmp_path: Path) -> None:
    odd = os.path.join(os.fsencode(tmp_path), NON_UTF8)
    line = encode_message([odd, "relative"])
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    decoded = decode_message(line.rstrip(b"\n"))
    assert [os.fsencode(f) for f in decoded] == [odd, os.fsencode(os.path.abspath("relative"))]
    deep = b'{"activate": true, "folders": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    nul = b'{"activate": true, "folders": ["AAAA"]}'  # four NUL bytes
    for bad in (
        b"{",
        b"[]",
        b'{"activate": false}',
        b'{"activate": true, "folders": ["%%"]}',
        deep,
        nul,
    ):
        with pytest.raises(ValueError):
            decode_message(bad)


def test_names_differ_per_catalogue_and_fit_a_socket_path(tmp_path: Path) -> None:
    a, b = server_name(tmp_path / "a" / "catalog.sqlite"), server_name(tmp_path / "b" / "x")
    assert a != b and a == server_name(tmp_path / "a" / "catalog.sqlite")
    assert len(os.path.basename(a)) < 50 and a.isascii()
    assert len(os.fsencode(a)) < 104  # a Unix socket path's limit


CLIENT = """
import sys
from gallery_desktop.ui.single_instance import hand_over
print(hand_over(sys.argv[1], sys.argv[2:], 5000).value)
"""


def test_server_receives_folders_and_answers(qtbot: QtBot, tmp_path: Path) -> None:
    name = server_name(tmp_path / "catalog.sqlite")
    server = InstanceServer(name)
    assert server.listen()
    folder = os.path.join(os.fsencode(tmp_path), NON_UTF8)
    # The client blocks (holding the GIL), so it runs in another process while this one serves.
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, name, folder], stdout=subprocess.PIPE, env=cli_env()
    )
    try:
        with qtbot.waitSignal(server.activated, timeout=10_000) as received:
            qtbot.waitUntil(lambda: client.poll() is not None, timeout=10_000)
        assert client.stdout is not None and client.stdout.read() == b"delivered\n"
        assert [os.fsencode(f) for f in received.args[0]] == [folder]
    finally:
        if client.poll() is None:
            client.kill()
        client.wait()
        server.close()


def test_no_server_and_a_silent_server(qtbot: QtBot, tmp_path: Path) -> None:
    name = server_name(tmp_path / "catalog.sqlite")
    assert hand_over(name, []) is Handover.NO_SERVER
    from PySide6.QtNetwork import QLocalServer

    silent = QLocalServer()  # accepts the connection, never answers
    assert silent.listen(name)
    try:
        started = time.monotonic()
        assert hand_over(name, [], timeout_ms=300) is Handover.NO_ANSWER
        assert time.monotonic() - started < 3
    finally:
        silent.close()


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes vanish with their process")
def test_a_socket_file_nobody_listens_on_does_not_stop_a_launch(tmp_path: Path) -> None:
    import socket
    import tempfile

    name = server_name(tmp_path / "catalog.sqlite")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(os.path.join(tempfile.gettempdir(), name))  # bound, never listening: refused
    stale.close()
    assert hand_over(name, []) is Handover.NO_SERVER
    server = InstanceServer(name)
    try:
        assert server.listen()
    finally:
        server.close()


def test_folder_arguments_open_the_app(tmp_path: Path) -> None:
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    args = ["--home", str(tmp_path), str(shoot), "-v"]
    assert split_open_folders(args) == (["--home", str(tmp_path), "-v"], [str(shoot)])
    assert split_open_folders(["collections"]) == (["collections"], [])
    assert split_open_folders(["--home", "import", "import", "x"]) == (
        ["--home", "import", "import", "x"],
        [],
    )
    assert split_open_folders(["no-such-command"]) == (["no-such-command"], [])
    assert split_open_folders([]) == ([], [])
