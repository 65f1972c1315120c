"""Emulator-only control endpoints under /_emulator (never part of the contract, no auth).

- `POST /_emulator/reset` (`{"keep_sessions": false}`): a fresh account, no faults.
- `GET /_emulator/state`: everything, for assertions.
- `GET|POST|DELETE /_emulator/faults`: list, add (one rule or a list), clear.
- `POST /_emulator/seed`: client activity for a collection (see `seed.py`).
- `POST /_emulator/sessions/expire`: every session is expired from now on.
- `POST /_emulator/config` (`{"session_ttl": seconds}`): lifetime of new sessions.
- `GET /_emulator/files/{media_id}`: the stored bytes of a media (its `path_*` URLs).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from emulator.faults import FaultBook
from emulator.seed import seed_activity
from emulator.state import DEFAULT_DESIGN, DEFAULT_STORE, State
from emulator.validate import ApiError

PREFIX = "/_emulator"


def _ok(data: Any) -> Response:
    return JSONResponse({"data": data, "meta": {}})


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


def snapshot(state: State, book: FaultBook) -> dict[str, Any]:
    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(row) for row in state.all(sql)]

    collections = rows("SELECT * FROM collections ORDER BY seq")
    for item in collections:
        for column in ("tags", "languages", "client_access", "download_settings"):
            item[column] = json.loads(item[column])
        item["watermark"] = json.loads(item["watermark"])
        item["store"] = {**DEFAULT_STORE, **json.loads(item["store"])}
        item["design"] = {**DEFAULT_DESIGN, **json.loads(item["design"])}
    galleries = rows("SELECT * FROM galleries ORDER BY seq")
    for item in galleries:
        item["download_override"] = json.loads(item["download_override"])
    orders = rows("SELECT * FROM store_orders ORDER BY seq")
    for item in orders:
        item["items"] = json.loads(item["items"])
    media = rows("SELECT * FROM media ORDER BY seq")
    for item in media:
        path = state.media_path(item["id"])
        item["stored_bytes"] = path.stat().st_size if path.exists() else None
        item["starred"] = bool(item["starred"])
    uploads = rows("SELECT * FROM uploads ORDER BY seq")
    for item in uploads:
        item["upload_id"] = item.pop("id")
        part = state.part_path(item["upload_id"])
        item["stored_bytes"] = part.stat().st_size if part.exists() else None
    return {
        "collections": collections,
        "galleries": galleries,
        "media": media,
        "uploads": uploads,
        "clients": rows("SELECT * FROM clients ORDER BY seq"),
        "favorite_lists": rows("SELECT * FROM favorite_lists ORDER BY seq"),
        "favorite_items": rows("SELECT * FROM favorite_items ORDER BY list_id, media_id"),
        "downloads": rows("SELECT * FROM downloads ORDER BY seq"),
        "visitors": rows("SELECT * FROM visitors ORDER BY seq"),
        "sharing_links": rows("SELECT * FROM sharing_links ORDER BY seq"),
        "store_orders": orders,
        "idempotency_keys": state.scalar("SELECT count(*) FROM idempotency"),
        "sessions": state.scalar("SELECT count(*) FROM sessions"),
        "session_ttl": state.session_ttl,
        "counts": state.counts(),
        "faults": [rule.public() for rule in book.rules],
        "state_dir": str(state.folder),
    }


Endpoint = Callable[[Request], Awaitable[Response]]


def routes(state: State, book: FaultBook) -> list[Route]:
    def guarded(endpoint: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except ApiError as error:
                return error.response()

        return run

    async def reset(request: Request) -> Response:
        body = await _json(request)
        keep = bool(body.get("keep_sessions", False)) if isinstance(body, dict) else False
        state.reset(keep_sessions=keep)
        book.clear()
        return _ok({"reset": True})

    async def get_state(request: Request) -> Response:
        return _ok(snapshot(state, book))

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            added = book.add(await _json(request))
            return _ok([rule.public() for rule in added])
        if request.method == "DELETE":
            book.clear()
        return _ok([rule.public() for rule in book.rules])

    async def seed(request: Request) -> Response:
        return _ok(seed_activity(state, await _json(request)))

    async def expire_sessions(request: Request) -> Response:
        return _ok({"expired": state.expire_sessions()})

    async def config(request: Request) -> Response:
        body = await _json(request)
        ttl = body.get("session_ttl") if isinstance(body, dict) else None
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            raise ApiError(422, "session_ttl: seconds > 0", fields={"session_ttl": ["> 0"]})
        with state.transaction():
            state.set_meta("session_ttl", str(float(ttl)))
        return _ok({"session_ttl": state.session_ttl})

    async def files(request: Request) -> Response:
        raw = request.path_params["media_id"]
        path = state.media_path(int(raw)) if raw.isdigit() else None
        if path is None or not path.exists():
            raise ApiError(404, "no stored bytes for that media")
        return FileResponse(path, media_type="application/octet-stream")

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/reset", reset, ["POST"]),
        ("/state", get_state, ["GET"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/seed", seed, ["POST"]),
        ("/sessions/expire", expire_sessions, ["POST"]),
        ("/config", config, ["POST"]),
        ("/files/{media_id}", files, ["GET"]),
    ]
    return [Route(PREFIX + path, guarded(fn), methods=methods) for path, fn, methods in table]
