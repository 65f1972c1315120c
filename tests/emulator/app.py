"""The emulator as one ASGI application: the contract under /api/v1, control under /_emulator,
faults wrapped around it all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emulator import api, control, uploads
from emulator.faults import FaultBook, FaultMiddleware
from emulator.state import State
from emulator.validate import ApiError
from emulator.web import API_PREFIX, Router


@dataclass
class Emulator:
    """The state, the fault rules and the ASGI app serving them."""

    state: State
    faults: FaultBook
    app: Any  # the ASGI callable (faults around Starlette)

    def close(self) -> None:
        self.state.close()


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    messages = {404: "no such endpoint", 405: "method not allowed here"}
    return ApiError(status, messages.get(status, f"emulator bug: {exc!r}")).response()


def create_app(state_dir: Path) -> Emulator:
    """The emulator over the state in `state_dir` (created if new, reopened if not)."""
    state = State(state_dir)
    book = FaultBook()
    router = Router(state)
    api.register(router)
    uploads.register(router)
    starlette = Starlette(
        routes=[*router.routes, *control.routes(state, book)],
        exception_handlers={404: _http_error, 405: _http_error, Exception: _http_error},
    )
    starlette.router.redirect_slashes = False
    return Emulator(state=state, faults=book, app=FaultMiddleware(starlette, book, API_PREFIX))
