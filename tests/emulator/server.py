"""Running the emulator: in a background thread (tests) or in the foreground (`python -m`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Final

import uvicorn

from emulator.app import Emulator, create_app
from emulator.faults import TrackingH11Protocol
from emulator.web import API_PREFIX

STARTUP_TIMEOUT: Final = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), bound before the server starts: no races."""
    # IPPROTO_TCP spelled out: asyncio only disables Nagle (TCP_NODELAY) on sockets that say
    # so, and without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(emulator: Emulator, log_level: str, *, own_logging: bool) -> uvicorn.Config:
    """`own_logging`: uvicorn sets up its log handlers (foreground); else records propagate
    to whoever configured logging (pytest captures them)."""
    return uvicorn.Config(
        emulator.app,
        log_config=uvicorn.config.LOGGING_CONFIG if own_logging else None,
        http=TrackingH11Protocol,
        loop="asyncio",
        lifespan="off",
        log_level=log_level,
        access_log=log_level == "info",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that stops the moment it is asked (not at its next 0.1 s tick)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if not self.should_exit:
            await self._stop.wait()

    def request_stop(self) -> None:
        self.should_exit = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)


class EmulatorServer:
    """The emulator on a loopback port, served from a background thread."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state_dir = Path(state_dir)
        self.host = host
        self.port = port
        self.emulator: Emulator | None = None
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("the emulator is running already")
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.emulator = create_app(self.state_dir)
        server = _ThreadServer(_config(self.emulator, "warning", own_logging=False))
        self._server, self._error = server, None

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported by start() or stop()
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.request_stop()
        if thread is not None:
            thread.join(timeout=STARTUP_TIMEOUT)
            if thread.is_alive():
                raise RuntimeError("the emulator's server thread did not stop")
        if self.emulator is not None:
            self.emulator.close()
        self._server = self._thread = self.emulator = None

    def restart(self) -> None:
        """Stop, then serve the same state folder again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(sock: socket.socket, state_dir: Path, log_level: str = "info") -> None:
    """Serve on a bound socket in the foreground until Ctrl-C (uvicorn handles the signals)."""
    emulator = create_app(state_dir)
    try:
        uvicorn.Server(_config(emulator, log_level, own_logging=True)).run(sockets=[sock])
    finally:
        sock.close()
        emulator.close()
