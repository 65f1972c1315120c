"""One app window per catalogue: a second launch hands its folders to the first and exits.

The first instance listens on a local socket (a Unix socket, a named pipe on Windows) whose
name is derived from the user and the catalogue path, so two different `--home` catalogues
run side by side. The second launch sends one JSON line and waits for a one-line answer:

    {"activate": true, "folders": ["<base64 of os.fsencode(absolute path)>", ...]}
    {"ok": true}

Folders travel as bytes (base64) so that names that are not UTF-8 arrive unchanged.
"""

from __future__ import annotations

import base64
import binascii
import enum
import getpass
import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_MS = 3000
MAX_MESSAGE_BYTES = 1024 * 1024  # a few thousand folder paths; anything bigger is not ours


def private_dir() -> Path | None:
    """A folder only this user can enter, for the socket and its lock: $XDG_RUNTIME_DIR, else
    a 0700 folder of ours in the temp dir. None on Windows (named pipes are per session) or
    when neither is private (then the bare name is used, as Qt would)."""
    if os.name == "nt":
        return None
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = [Path(runtime)] if runtime else []
    candidates.append(Path(tempfile.gettempdir()) / f"gallery-desktop-{uid}")
    for folder in candidates:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            st = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077:
            return folder
        log.warning("%s is not private to this user: the single-instance socket avoids it", folder)
    return None


def server_name(catalog: Path | str, folder: Path | None = None) -> str:
    """The socket for one user and one catalogue (a file, or a shared catalogue's URL): a path
    in `private_dir()` (another user cannot sit on it), short enough for a Unix socket path."""
    uid = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    where = catalog if isinstance(catalog, str) else os.path.realpath(catalog)
    key = uid.encode() + b"\0" + os.fsencode(where)
    name = "gallery-desktop-" + hashlib.sha256(key).hexdigest()[:24]
    folder = folder if folder is not None else private_dir()
    return str(folder / name) if folder is not None else name


def startup_lock(name: str) -> QLockFile:
    """Held from the first look for a running instance until the window listens, so two
    launches at once cannot both become the first. A crashed holder's lock is stale (PID)."""
    path = name if os.path.isabs(name) else os.path.join(QDir.tempPath(), name)
    lock = QLockFile(path + ".lock")
    lock.setStaleLockTime(10 * 60 * 1000)  # a start-up (migrating a big catalogue) may be slow
    return lock


def encode_message(folders: Sequence[str | bytes]) -> bytes:
    encoded = [base64.b64encode(os.fsencode(os.path.abspath(f))).decode("ascii") for f in folders]
    return json.dumps({"activate": True, "folders": encoded}).encode("ascii") + b"\n"


def decode_message(line: bytes) -> list[str]:
    """The folders of a message (as `str` with the bytes kept, like `sys.argv`); ValueError if
    the line is not a message."""
    try:
        message = json.loads(line)
        if not isinstance(message, dict) or message.get("activate") is not True:
            raise ValueError("not an activate message")
        folders = message.get("folders", [])
        if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
            raise ValueError("folders must be a list of strings")
        out = [os.fsdecode(base64.b64decode(f, validate=True)) for f in folders]
    except (json.JSONDecodeError, UnicodeDecodeError, binascii.Error, RecursionError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc
    if any("\0" in f or not os.path.isabs(f) for f in out):
        raise ValueError("folders must be absolute paths without NUL bytes")
    return out


class Handover(enum.Enum):
    DELIVERED = "delivered"  # the first instance has the folders: this launch is done
    NO_SERVER = "no server"  # nobody listens (or a stale socket): this launch is the first
    NO_ANSWER = "no answer"  # somebody listens but did not answer in time


def hand_over(
    name: str, folders: Sequence[str | bytes], timeout_ms: int = ANSWER_TIMEOUT_MS
) -> Handover:
    """Pass `folders` to the instance listening on `name` and wait for its answer (blocking)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        log.debug("no running instance on %s: %s", name, sock.errorString())
        return Handover.NO_SERVER
    try:
        sock.write(encode_message(folders))
        while sock.bytesToWrite() > 0:  # already written (or partly), so wait only if needed
            if not sock.waitForBytesWritten(timeout_ms):
                return Handover.NO_ANSWER
        answer = bytes(sock.readAll().data())  # it may be here already
        while b"\n" not in answer:
            if not sock.waitForReadyRead(timeout_ms):
                answer += bytes(sock.readAll().data())  # arrived along with the hang-up
                if b"\n" in answer:
                    break
                return Handover.NO_ANSWER
            answer += bytes(sock.readAll().data())
        try:
            ok = json.loads(answer.split(b"\n", 1)[0]).get("ok") is True
        except (json.JSONDecodeError, AttributeError):
            ok = False
        return Handover.DELIVERED if ok else Handover.NO_ANSWER
    finally:
        sock.abort()


class InstanceServer(QObject):
    """Listens for later launches; `activated(folders)` fires on the GUI thread for each."""

    activated = Signal(object)  # list[str]; `object` so that Qt never converts the strings

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; a socket left behind by a crashed instance is removed first."""
        if self._server.listen(self.name):
            return True
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            log.info("removing a stale single-instance socket %s", self.name)
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                return True
        log.warning("cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._buffers.pop(s, None))
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._read(sock)

    def _read(self, sock: QLocalSocket) -> None:
        if sock not in self._buffers:
            return
        data = self._buffers[sock] + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                log.warning("single-instance message too long; dropped")
                self._buffers.pop(sock, None)
                sock.abort()
            else:
                self._buffers[sock] = data
            return
        self._buffers.pop(sock, None)
        try:
            folders = decode_message(data.split(b"\n", 1)[0])
        except ValueError as exc:
            log.warning("unreadable single-instance message: %s", exc)
            sock.write(b'{"ok": false}\n')
            sock.flush()
            sock.disconnectFromServer()
            return
        sock.write(b'{"ok": true}\n')
        sock.flush()
        sock.disconnectFromServer()
        log.info("another launch handed over %d folder(s)", len(folders))
        self.activated.emit(folders)
