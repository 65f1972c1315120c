"""The machinery every contract endpoint shares: session auth, CSRF on writes, JSON bodies,
Idempotency-Key replay, the `{data, meta}` envelope and page-based pagination."""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.state import State
from emulator.validate import ApiError, parse_id, query_int

API_PREFIX: Final = "/api/v1"
SESSION_COOKIE: Final = "gd_session"
CSRF_HEADER: Final = "x-csrf-token"
IDEMPOTENCY_HEADER: Final = "idempotency-key"
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PER_PAGE: Final = 50
MAX_PER_PAGE: Final = 200
MAX_JSON_BODY: Final = 1024 * 1024


def ok(data: Any, meta: dict[str, Any] | None = None, status: int = 200) -> Response:
    return JSONResponse({"data": data, "meta": meta or {}}, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


@dataclass
class Page:
    number: int
    size: int

    def meta(self, total: int) -> dict[str, int]:
        return {
            "current_page": self.number,
            "per_page": self.size,
            "total": total,
            "total_pages": max(1, math.ceil(total / self.size)),
        }


@dataclass
class Call:
    """One request as a handler sees it: the state, the signed-in user, the parsed body."""

    request: Request
    state: State
    user: sqlite3.Row | None = None
    body: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """The server's root URL as the client addressed it (no trailing slash)."""
        return str(self.request.base_url).rstrip("/")

    def path_id(self, name: str) -> int:
        return parse_id(self.request.path_params[name], name)

    def page(self) -> Page:
        query = self.request.query_params
        return Page(
            number=query_int(query.get("page"), "page", 1, 1, 1_000_000),
            size=query_int(query.get("per_page"), "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        )

    def paged(
        self, sql: str, args: tuple[Any, ...], shape: Callable[[sqlite3.Row], Any]
    ) -> Response:
        """`sql` selects every row in order; the answer holds the asked page plus its meta."""
        page = self.page()
        total = int(self.state.scalar(f"SELECT count(*) FROM ({sql})", *args))
        rows = self.state.all(
            f"{sql} LIMIT ? OFFSET ?", *args, page.size, (page.number - 1) * page.size
        )
        return ok([shape(row) for row in rows], page.meta(total))


SyncHandler = Callable[[Call], Response]
AsyncHandler = Callable[[Call], Awaitable[Response]]
Handler = SyncHandler | AsyncHandler


class Router:
    """Collects the contract's routes; each is wrapped with auth, CSRF and idempotency."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.routes: list[Route] = []

    def add(
        self, method: str, path: str, handler: Handler, *, auth: bool = True, json_body: bool = True
    ) -> None:
        if method == "POST" and inspect.iscoroutinefunction(handler):
            # Idempotency relies on it: check, work and remember happen without a pause.
            raise TypeError(f"POST handlers must be synchronous: {handler!r}")

        async def endpoint(request: Request) -> Response:
            try:
                return await self._dispatch(request, method, handler, auth, json_body)
            except ApiError as error:
                return error.response()
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is listening any more

        endpoint.__name__ = getattr(handler, "__name__", "endpoint")
        self.routes.append(Route(API_PREFIX + path, endpoint, methods=[method]))

    def route(
        self, method: str, path: str, *, auth: bool = True, json_body: bool = True
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, path, handler, auth=auth, json_body=json_body)
            return handler

        return register

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("GET", path)

    async def _dispatch(
        self, request: Request, method: str, handler: Handler, auth: bool, json_body: bool
    ) -> Response:
        call = Call(request=request, state=self.state)
        if auth:
            session = self.state.session(request.cookies.get(SESSION_COOKIE))
            if session is None:
                raise ApiError(401, "no session, or it expired: sign in again")
            call.extra["session"] = session
            call.user = self.state.one("SELECT * FROM users WHERE id = ?", session["user_id"])
            if method in WRITE_METHODS and not _csrf_ok(request, session["csrf"]):
                raise ApiError(403, "missing or wrong X-CSRF-Token", code="csrf")
        raw = b""
        if method in WRITE_METHODS and json_body:
            raw = await request.body()
            call.body = _parse_json(raw)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if method == "POST" and key is not None and call.user is not None:
            return self._idempotent(call, handler, key, raw)
        return await _run(handler, call)

    def _idempotent(self, call: Call, handler: Handler, key: str, raw: bytes) -> Response:
        if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise ApiError(
                400,
                "Idempotency-Key must be 1 to 255 printable ASCII characters",
                fields={"Idempotency-Key": ["must be 1 to 255 printable ASCII characters"]},
            )
        assert call.user is not None
        user_id: int = call.user["id"]
        fingerprint = _fingerprint(call.request, raw)
        # No await from here on: POST handlers are synchronous, so a retry racing the first
        # request cannot slip between the look-up, the work and remembering the answer.
        stored = self.state.idempotent_answer(user_id, key)
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                raise ApiError(
                    422,
                    "this Idempotency-Key was used with another request",
                    code="idempotency_mismatch",
                )
            return Response(
                bytes(stored["body"]),
                status_code=stored["status"],
                media_type=stored["content_type"],
                headers={"Idempotent-Replayed": "true"},
            )
        with self.state.transaction():  # the work and its remembered answer commit together
            self.state.db.execute("SAVEPOINT work")
            try:
                response = handler(call)
            except ApiError as error:  # an error answer is remembered, half-done work is not
                self.state.db.execute("ROLLBACK TO work")
                response = error.response()
            self.state.db.execute("RELEASE work")
            assert isinstance(response, Response)
            if response.status_code < 500:
                self.state.remember_answer(
                    user_id,
                    key,
                    fingerprint,
                    response.status_code,
                    bytes(response.body),
                    response.headers.get("content-type", "application/json"),
                )
        return response


async def _run(handler: Handler, call: Call) -> Response:
    result = handler(call)
    if inspect.isawaitable(result):
        return await result
    assert isinstance(result, Response)
    return result


def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    return sent is not None and secrets.compare_digest(sent.encode(), expected.encode())


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    if len(raw) > MAX_JSON_BODY:
        raise ApiError(400, "the JSON body is larger than 1 MiB")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


def _fingerprint(request: Request, raw: bytes) -> str:
    """Method, path and body (canonical JSON when it parses, so key order doesn't matter)."""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        body = raw
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()
