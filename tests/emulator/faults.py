"""Faults injected at the HTTP level, on demand, for requests under /api/v1.

A rule (`POST /_emulator/faults`) matches a method and a path regex and then, for `times`
matching requests (after letting `skip` through):

- `latency`: waits `delay` seconds, then answers normally.
- `status`: answers `status` (429, 500, 503, ...) in the error envelope, with `Retry-After`
  when `retry_after` is set (or `body` as text/html, like a proxy's error page); no work done.
- `cut`: drops the TCP connection mid-request: with `after_bytes` set, the handler first gets
  that many body bytes (an upload stores them, so its offset moves), then the client hangs up
  on it (a shorter body is cut at its end, before the handler learns it ended; a handler that
  reads no body runs to its end); without, the connection is dropped before anything is
  read. Nothing is answered.
- `lost_answer`: the request is handled and committed, then the connection is dropped
  without an answer.

Every kind waits `delay` seconds first when set. The client sees a closed socket (a network
error), not a flag in JSON: the server aborts the real transport (see `TrackingH11Protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from uvicorn.protocols.http.h11_impl import H11Protocol

from emulator.validate import ApiError, code_for

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any
ASGIApp = Any

KINDS: Final = ("latency", "status", "cut", "lost_answer")
PROTECTED_PREFIX: Final = "/_emulator"

# Live connections of every emulator in this process, by (server address, client address): the
# ASGI scope names both, so a fault can find the socket under a request and cut it.
_TRANSPORTS: dict[tuple[tuple[Any, ...], tuple[Any, ...]], asyncio.Transport] = {}


class TrackingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering each connection's transport so faults can drop it."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.server is not None and self.client is not None:
            _TRANSPORTS[(tuple(self.server), tuple(self.client))] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.server is not None and self.client is not None:
            _TRANSPORTS.pop((tuple(self.server), tuple(self.client)), None)
        super().connection_lost(exc)


def _abort(scope: Scope) -> None:
    server, client = scope.get("server"), scope.get("client")
    transport = _TRANSPORTS.get((tuple(server or ()), tuple(client or ())))
    if transport is None:
        raise RuntimeError("fault injection needs the emulator's own server (TrackingH11Protocol)")
    transport.abort()  # no FIN handshake, no answer: a reset connection


@dataclass
class FaultRule:
    kind: str
    method: str | None = None
    path: str | None = None
    status: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    times: int | None = 1  # None: every matching request, until cleared
    skip: int = 0
    after_bytes: int | None = None
    body: str | None = None
    id: int = 0
    hits: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self._regex is None or self._regex.search(path) is not None

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("_regex")
        return out


def parse_rule(raw: Any, rule_id: int) -> FaultRule:
    """A rule from JSON; a bad one is a 422 naming the field."""
    if not isinstance(raw, dict):
        raise ApiError(422, "a fault rule is a JSON object", fields={"rule": ["not an object"]})
    errors: dict[str, list[str]] = {}
    known = {f for f in FaultRule.__dataclass_fields__ if f not in ("id", "hits", "_regex")}
    for name in sorted(set(raw) - known):
        errors[name] = ["unknown field"]
    kind = raw.get("kind")
    if kind not in KINDS:
        errors["kind"] = [f"must be one of: {', '.join(KINDS)}"]

    def number(name: str, low: float, integer: bool = True, nullable: bool = False) -> Any:
        value = raw.get(name)
        if value is None and nullable:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not isinstance(value, int | float) or value < low:
            errors[name] = [f"must be a {'whole ' if integer else ''}number >= {low}"]
        return value

    rule = FaultRule(kind=str(kind))
    if "method" in raw:
        if not isinstance(raw["method"], str):
            errors["method"] = ["must be an HTTP method"]
        else:
            rule.method = raw["method"].upper()
    if "path" in raw:
        try:
            rule.path = str(raw["path"])
            rule._regex = re.compile(rule.path)
        except re.error as exc:
            errors["path"] = [f"not a regular expression: {exc}"]
    if "status" in raw:
        rule.status = number("status", 400)
        if isinstance(rule.status, int) and rule.status > 599:
            errors["status"] = ["must be an HTTP error status"]
    if "retry_after" in raw:
        rule.retry_after = number("retry_after", 0, nullable=True)
    if "delay" in raw:
        rule.delay = number("delay", 0, integer=False)
    elif kind == "latency":
        rule.delay = 0.2
    if "times" in raw:
        rule.times = number("times", 1, nullable=True)
    if "skip" in raw:
        rule.skip = number("skip", 0)
    if "after_bytes" in raw:
        rule.after_bytes = number("after_bytes", 0, nullable=True)
    if "body" in raw:
        if raw["body"] is not None and not isinstance(raw["body"], str):
            errors["body"] = ["must be text"]
        rule.body = raw["body"]
    if errors:
        raise ApiError(422, "bad fault rule", fields=errors)
    rule.id = rule_id
    return rule


class FaultBook:
    """The rules in force, first match wins; a rule leaves once it has fired `times` times."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, raw: Any) -> list[FaultRule]:
        batch = raw if isinstance(raw, list) else [raw]
        rules = [parse_rule(item, next(self._ids)) for item in batch]
        self.rules.extend(rules)
        return rules

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
            return rule
        return None


class FaultMiddleware:
    """Outermost ASGI layer: applies the first matching rule to each API request."""

    def __init__(self, app: ASGIApp, book: FaultBook, prefix: str) -> None:
        self.app = app
        self.book = book
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        rule = self.book.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.kind == "latency":
            await self.app(scope, receive, send)
        elif rule.kind == "status":
            await _drain(receive)
            await _answer(send, rule)
        elif rule.kind == "cut":
            await self._cut(scope, receive, rule.after_bytes)
        else:
            await self._lose_answer(scope, receive)

    async def _cut(self, scope: Scope, receive: Receive, after_bytes: int | None) -> None:
        if after_bytes is None:
            _abort(scope)
            await _until_disconnected(receive)
            return
        taken = 0
        hung_up = ended = False

        async def partial_receive() -> Message:
            nonlocal taken, hung_up, ended
            if not hung_up and (taken >= after_bytes or ended):
                hung_up = True
                _abort(scope)
                await _until_disconnected(receive)
            if hung_up:
                return {"type": "http.disconnect"}
            message: Message = await receive()
            if message["type"] != "http.request":
                hung_up = True
                return message
            ended = not message.get("more_body", False)
            chunk = message.get("body", b"")[: after_bytes - taken]
            taken += len(chunk)
            # Never tell the handler the body ended: to it, the client vanished mid-request.
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def swallow(message: Message) -> None:
            return None

        with contextlib.suppress(Exception):
            await self.app(scope, partial_receive, swallow)
        if not hung_up:
            _abort(scope)
            await _until_disconnected(receive)

    async def _lose_answer(self, scope: Scope, receive: Receive) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)  # the work is done and committed...
        _abort(scope)  # ...and the answer never leaves
        await _until_disconnected(receive)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _until_disconnected(receive: Receive) -> None:
    """Let the server notice the aborted connection, so it does not answer on it."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass


async def _answer(send: Send, rule: FaultRule) -> None:
    headers = []
    if rule.retry_after is not None:
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    if rule.body is not None:
        payload = rule.body.encode()
        headers.append((b"content-type", b"text/html; charset=utf-8"))
    else:
        error = {"code": code_for(rule.status), "message": f"injected fault: {rule.status}"}
        payload = json.dumps({"error": error}).encode()
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": rule.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
