"""Client delivery endpoints: the per-client list, the design, a gallery's download override,
photo sharing links, and the store's orders (reads)."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any, Final

from starlette.responses import Response

from emulator import shapes
from emulator.state import DEFAULT_DESIGN, State
from emulator.validate import COLOUR_RE, Body, not_found
from emulator.web import Call, Router, ok

ACCESS: Final = ("view", "favourite", "download")
SIZES: Final = ("original", "high", "web_2048", "web_1024", "web_640")
MAX_CLIENTS: Final = 500
EMAIL_RE: Final = re.compile(
    r"[^@ \x00-\x1f\x7f-\x9f]+@[^@ \x00-\x1f\x7f-\x9f]+\.[^@ .\x00-\x1f\x7f-\x9f]+"
)
COLOUR_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,40}")
STYLE_FIELDS: Final = (
    "cover_layout",
    "title_font",
    "grid_style",
    "thumbnail_size",
    "grid_spacing",
    "theme",
)
OVERRIDE_KEYS: Final = ("downloadable", "sizes", "watermarked")


def register(router: Router) -> None:
    _clients(router)
    _design(router)
    _sharing_links(router)
    _store_orders(router)


def _collection(call: Call) -> sqlite3.Row:
    row = call.state.collection(call.path_id("collection_id"))
    if row is None:
        raise not_found("collection")
    return row


def in_collection(state: State, media_id: int, collection_id: int) -> bool:
    return (
        state.one(
            "SELECT 1 FROM media m JOIN galleries g ON g.id = m.gallery_id "
            "WHERE m.id = ? AND g.collection_id = ?",
            media_id,
            collection_id,
        )
        is not None
    )


def _media_id(body: Body, name: str, state: State, collection_id: int, nullable: bool) -> None:
    """A media id in the body: a number naming a photo or video of this collection."""
    body.integer(name, 1, 2**63 - 1, nullable=nullable)
    value = body.clean.get(name)
    if value is not None and not in_collection(state, value, collection_id):
        body.clean.pop(name)
        body.fail(name, "names no photo or video of this collection")


# -- the per-client list ------------------------------------------------------------------------


def _client_entries(raw: Any) -> list[dict[str, str]]:
    """`{clients: [{email, name?, access}]}` checked; an email listed twice: the last counts."""
    body = Body(raw, allowed=("clients",), required=("clients",))
    entries = body.body.get("clients")
    out: dict[str, dict[str, str]] = {}
    if "clients" in body.body and (not isinstance(entries, list) or len(entries) > MAX_CLIENTS):
        body.fail("clients", f"must be a list of at most {MAX_CLIENTS} clients")
    elif isinstance(entries, list):
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict):
                body.fail(f"clients[{n}]", "must be an object")
                continue
            one = Body(entry, allowed=("email", "name", "access"), required=("email", "access"))
            one.pattern("email", EMAIL_RE, "an email address", nullable=False)
            one.text("name", max_len=255, blank=True)
            one.choice("access", ACCESS)
            email = one.clean.get("email")
            if isinstance(email, str) and len(email) > 320:
                one.fail("email", "must be at most 320 characters")
            for name, problems in one.errors.items():
                for problem in problems:
                    body.fail(f"clients[{n}].{name}", problem)
            if not one.errors:
                key = one.clean["email"].lower()
                out.pop(key, None)  # the last entry counts, in its own place
                out[key] = {
                    "email": one.clean["email"],
                    "name": one.clean.get("name", ""),
                    "access": one.clean["access"],
                }
    body.done()
    return list(out.values())


def replace_clients(state: State, collection_id: int, entries: list[dict[str, str]]) -> None:
    """The list becomes the collection's clients: listed ones are added or updated (matched by
    email, ignoring case: they keep id, last visit and favourites); the other exclusive ones
    are removed. Guests (who came by the link) left out stay: they are not on the list."""
    existing = {
        str(row["email"]).lower(): row
        for row in state.all("SELECT * FROM clients WHERE collection_id = ?", collection_id)
    }
    for entry in entries:
        row = existing.pop(entry["email"].lower(), None)
        if row is None:
            state.db.execute(
                "INSERT INTO clients (id, seq, collection_id, email, name, access_level, "
                "last_accessed, access) VALUES (?, ?, ?, ?, ?, 'exclusive', NULL, ?)",
                (
                    state.new_id("clients"),
                    state.next_seq(),
                    collection_id,
                    entry["email"],
                    entry["name"],
                    entry["access"],
                ),
            )
        else:
            state.db.execute(
                "UPDATE clients SET email = ?, name = ?, access = ?, access_level = 'exclusive' "
                "WHERE id = ?",
                (entry["email"], entry["name"], entry["access"], row["id"]),
            )
    for row in existing.values():
        if row["access_level"] == "exclusive":
            state.db.execute("DELETE FROM clients WHERE id = ?", (row["id"],))
    state.touch_collection(collection_id)


def _clients(router: Router) -> None:
    @router.route("PUT", "/collections/{collection_id}/clients")
    def put_clients(call: Call) -> Response:
        row = _collection(call)
        entries = _client_entries(call.body)
        with call.state.transaction():
            replace_clients(call.state, row["id"], entries)
            clients = call.state.all(
                "SELECT * FROM clients WHERE collection_id = ? ORDER BY seq", row["id"]
            )
            return ok({"clients": [shapes.client(call.state, c) for c in clients]})


# -- the design ---------------------------------------------------------------------------------


def design_of(state: State, row: sqlite3.Row) -> dict[str, Any]:
    """The collection's design with defaults filled in; a cover deleted since reads as null."""
    design = {**DEFAULT_DESIGN, **json.loads(row["design"])}
    cover = design["cover_media_id"]
    if cover is not None and not in_collection(state, cover, row["id"]):
        design["cover_media_id"] = None
    return design


def _colours(body: Body) -> None:
    present, value = body._take("colours", False)
    if not present:
        return
    if (
        not isinstance(value, dict)
        or len(value) > 16
        or not all(COLOUR_NAME_RE.fullmatch(k) for k in value)
        or not all(isinstance(v, str) and COLOUR_RE.fullmatch(v) for v in value.values())
    ):
        body.fail("colours", "must map up to 16 names (A-Z, a-z, 0-9, _ or -) to #rrggbb colours")
    else:
        body.clean["colours"] = {k: v.lower() for k, v in value.items()}


def _design(router: Router) -> None:
    @router.route("PUT", "/collections/{collection_id}/design")
    def put_design(call: Call) -> Response:
        row = _collection(call)
        body = Body(call.body, allowed=tuple(DEFAULT_DESIGN))
        for name in STYLE_FIELDS:
            body.text(name, max_len=40)
        _colours(body)
        _media_id(body, "cover_media_id", call.state, row["id"], nullable=True)
        body.number("cover_focal_x", 0.0, 1.0)
        body.number("cover_focal_y", 0.0, 1.0)
        fields = body.done()
        with call.state.transaction():
            merged = {**json.loads(row["design"]), **fields}
            call.state.db.execute(
                "UPDATE collections SET design = ? WHERE id = ?", (json.dumps(merged), row["id"])
            )
            call.state.touch_collection(row["id"])
            updated = call.state.collection(row["id"])
            assert updated is not None
            return ok(design_of(call.state, updated))


# -- a gallery's download override ---------------------------------------------------------------


def check_override(body: Body) -> None:
    """`download_override`: `{downloadable?, sizes?, watermarked?}` or null (`{}` is null)."""
    present, value = body._take("download_override", True)
    if not present:
        return
    if not isinstance(value, dict):
        body.fail("download_override", "must be an object or null")
        return
    inner = Body(value, allowed=OVERRIDE_KEYS)
    inner.boolean("downloadable")
    inner.choices("sizes", SIZES)
    inner.boolean("watermarked")
    for name, problems in inner.errors.items():
        for problem in problems:
            body.fail(f"download_override.{name}", problem)
    if not inner.errors:
        body.clean["download_override"] = inner.clean or None


# -- sharing links ------------------------------------------------------------------------------


def _expiry(body: Body) -> None:
    """`expires_at` as stored and answered: in UTC with `Z` (without an offset: UTC already)."""
    body.datetime("expires_at")
    value = body.clean.get("expires_at")
    if value is None:
        return
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        body.clean.pop("expires_at")
        body.fail("expires_at", "is out of range once in UTC")
        return
    spec = "microseconds" if moment.microsecond else "seconds"
    body.clean["expires_at"] = moment.isoformat(timespec=spec) + "Z"


def _link(call: Call) -> sqlite3.Row:
    row = call.state.one("SELECT * FROM sharing_links WHERE id = ?", call.path_id("link_id"))
    if row is None:
        raise not_found("sharing link")
    return row


def _sharing_links(router: Router) -> None:
    @router.route("POST", "/collections/{collection_id}/photo_sharing_links")
    def create_link(call: Call) -> Response:
        row = _collection(call)
        body = Body(call.body, allowed=("media_id", "expires_at"), required=("media_id",))
        _media_id(body, "media_id", call.state, row["id"], nullable=False)
        _expiry(body)
        fields = body.done()
        with call.state.transaction():
            link_id = call.state.new_id("sharing_links")
            call.state.db.execute(
                "INSERT INTO sharing_links (id, seq, collection_id, media_id, url, expires_at, "
                "revoked) VALUES (?, ?, ?, ?, ?, ?, 0)",
                (
                    link_id,
                    call.state.next_seq(),
                    row["id"],
                    fields["media_id"],
                    f"https://emulator.pixieset.com/s/{secrets.token_urlsafe(9)}",
                    fields.get("expires_at"),
                ),
            )
            call.state.touch_collection(row["id"])
            made = call.state.one("SELECT * FROM sharing_links WHERE id = ?", link_id)
            assert made is not None
            return ok(shapes.sharing_link(made), status=201)

    @router.route("PUT", "/photo_sharing_links/{link_id}")
    def update_link(call: Call) -> Response:
        row = _link(call)
        body = Body(call.body, allowed=("expires_at", "revoked"))
        _expiry(body)
        body.boolean("revoked")
        fields = body.done()
        with call.state.transaction():
            if "expires_at" in fields:
                call.state.db.execute(
                    "UPDATE sharing_links SET expires_at = ? WHERE id = ?",
                    (fields["expires_at"], row["id"]),
                )
            if "revoked" in fields:
                call.state.db.execute(
                    "UPDATE sharing_links SET revoked = ? WHERE id = ?",
                    (int(fields["revoked"]), row["id"]),
                )
            call.state.touch_collection(row["collection_id"])
            updated = call.state.one("SELECT * FROM sharing_links WHERE id = ?", row["id"])
            assert updated is not None
            return ok(shapes.sharing_link(updated))


# -- store orders -------------------------------------------------------------------------------


def store_order(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client_email": row["client_email"],
        "client_name": row["client_name"],
        "created_at": row["created_at"],
        "currency": row["currency"],
        "total_cents": row["total_cents"],
        "status": row["status"],
        "items": json.loads(row["items"]),
    }


def _store_orders(router: Router) -> None:
    @router.get("/collections/{collection_id}/store_orders")
    def store_orders(call: Call) -> Response:
        cid = _collection(call)["id"]
        return call.paged(
            "SELECT * FROM store_orders WHERE collection_id = ? ORDER BY created_at DESC, seq DESC",
            (cid,),
            store_order,
        )
