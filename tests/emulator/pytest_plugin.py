"""Fixtures serving the emulator over real HTTP on a free loopback port.

`emulator` (function scope): a fresh server and state folder per test. `shared_emulator`
(session scope): one server for many tests; call `.reset()` when a test needs a clean slate.
Both yield an `EmulatorHandle`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.server import EmulatorServer
from emulator.state import EMAIL, PASSWORD
from emulator.web import CSRF_HEADER

CONTROL_TIMEOUT = 10.0


class EmulatorHandle:
    """A running emulator as a test drives it: its URLs, the sign-in, and the control API."""

    email: str = EMAIL
    password: str = PASSWORD

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self._control = httpx.Client(base_url=server.root_url, timeout=CONTROL_TIMEOUT)
        self._clients: list[httpx.Client] = []

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/api/v1`: what the app's `--server` takes."""
        return self.server.base_url

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` (the control endpoints live under `/_emulator`)."""
        return self.server.root_url

    @property
    def state_dir(self) -> Path:
        return self.server.state_dir

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._control.request(method, f"/_emulator{path}", json=body)
        if response.status_code != 200:
            raise AssertionError(
                f"{method} /_emulator{path}: {response.status_code} {response.text}"
            )
        return response.json()["data"]

    def state(self) -> dict[str, Any]:
        """Everything the emulator holds (GET /_emulator/state)."""
        data: dict[str, Any] = self._call("GET", "/state")
        return data

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule, e.g. `fault(kind="status", status=429, retry_after=1,
        path="/uploads")` (see `emulator.faults`). Answers the rule as stored, with its `id`."""
        added: list[dict[str, Any]] = self._call("POST", "/faults", rule)
        return added[0]

    def faults(self) -> list[dict[str, Any]]:
        """The rules still in force (with `hits` and the `times` left)."""
        rules: list[dict[str, Any]] = self._call("GET", "/faults")
        return rules

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def seed(self, collection_id: int, **spec: Any) -> dict[str, list[int]]:
        """Client activity for a collection: `clients`, `favorites`, `items`, `downloads`,
        `visitors`, `sharing_links`, `starred`, `store_orders` (counts, or lists for
        clients/favorites/store_orders),
        `seed`. Answers the ids created by kind."""
        created: dict[str, list[int]] = self._call(
            "POST", "/seed", {"collection_id": collection_id, **spec}
        )
        return created

    def reset(self, *, keep_sessions: bool = False) -> None:
        """Back to a fresh account: no collections, uploads, keys, faults (nor sessions)."""
        self._call("POST", "/reset", {"keep_sessions": keep_sessions})

    def expire_sessions(self) -> int:
        """Every current session answers 401 `session_expired` from now on."""
        return int(self._call("POST", "/sessions/expire")["expired"])

    def set_session_ttl(self, seconds: float) -> None:
        """Lifetime of sessions signed in from now on."""
        self._call("POST", "/config", {"session_ttl": seconds})

    def restart(self) -> None:
        """Stop the server and serve the same state folder again, on the same port."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._control.close()
        self.server.restart()
        self._control = httpx.Client(base_url=self.server.root_url, timeout=CONTROL_TIMEOUT)

    def sign_in(self, client: httpx.Client) -> str:
        """Sign `client` (based at `base_url`) in: it keeps the cookie and sends the CSRF
        token on every request from now on. Answers the CSRF token."""
        response = client.post("/session", json={"email": self.email, "password": self.password})
        response.raise_for_status()
        csrf: str = response.json()["data"]["csrf_token"]
        client.headers[CSRF_HEADER] = csrf
        return csrf

    def client(self, *, signed_in: bool = True, **kwargs: Any) -> httpx.Client:
        """An httpx client based at `base_url` (closed with the fixture), signed in by default."""
        kwargs.setdefault("timeout", CONTROL_TIMEOUT)
        client = httpx.Client(base_url=self.base_url, **kwargs)
        self._clients.append(client)
        if signed_in:
            self.sign_in(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._control.close()


@pytest.fixture
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """A fresh emulator (own state folder, own free port) for one test."""
    server = EmulatorServer(tmp_path_factory.mktemp("emulator-state")).start()
    handle = EmulatorHandle(server)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


@pytest.fixture(scope="session")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """One emulator for the whole run; tests that need a clean slate call `.reset()`."""
    server = EmulatorServer(tmp_path_factory.mktemp("emulator-shared")).start()
    handle = EmulatorHandle(server)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()
