"""The contract's endpoints except uploads: session, the known reads and our writes."""

from __future__ import annotations

import base64
import binascii
import math
import sqlite3
from typing import Any, Final

from starlette.responses import Response

from emulator import delivery, shapes
from emulator.state import DEFAULT_CLIENT_ACCESS, DEFAULT_DOWNLOAD_SETTINGS, DEFAULT_STORE
from emulator.validate import (
    COLOUR_RE,
    CURRENCY_RE,
    PIN_RE,
    ApiError,
    Body,
    not_found,
)
from emulator.web import SESSION_COOKIE, Call, Router, no_content, ok

STATUSES: Final = ("draft", "published", "hidden")
SIZES: Final = ("original", "high", "web_2048", "web_1024", "web_640")
LAYOUTS: Final = (
    "top-left",
    "top",
    "top-right",
    "left",
    "center",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
    "tiled",
    "diagonal",
)
WATERMARK_DEFAULTS: Final[dict[str, Any]] = {
    "name": None,
    "text": None,
    "font": None,
    "text_scale": 0.04,
    "colour": "#ffffff",
    "opacity": 0.5,
    "shadow": True,
    "outline": False,
    "logo": None,
    "logo_scale": 0.2,
    "logo_opacity": 0.8,
    "position": "bottom-right",
    "margin": 0.03,
}
MAX_LOGO_BASE64: Final = 4 * 1024 * 1024


def register(router: Router) -> None:
    """Add every non-upload endpoint of the contract to `router`."""
    _session(router)
    _reads(router)
    _activity(router)
    _collection_writes(router)
    _settings_writes(router)
    _gallery_writes(router)
    delivery.register(router)


# -- helpers ------------------------------------------------------------------------------------


def _collection(call: Call) -> sqlite3.Row:
    row = call.state.collection(call.path_id("collection_id"))
    if row is None:
        raise not_found("collection")
    return row


def _gallery(call: Call) -> sqlite3.Row:
    row = call.state.gallery(call.path_id("gallery_id"))
    if row is None:
        raise not_found("gallery")
    return row


def _expand(call: Call) -> set[str]:
    raw = call.request.query_params.get("expand", "")
    return {part.strip().split(".", 1)[0] for part in raw.split(",") if part.strip()}


# -- session ------------------------------------------------------------------------------------


def _session(router: Router) -> None:
    def sign_in(call: Call) -> Response:
        body = Body(call.body, allowed=("email", "password"), required=("email", "password"))
        body.text("email", max_len=320)
        body.text("password", max_len=1024, blank=True, controls=True)
        fields = body.done()
        signed = call.state.sign_in(fields["email"], fields["password"])
        if signed is None:
            raise ApiError(401, "wrong email or password", code="invalid_credentials")
        user, token, csrf = signed
        response = ok(
            {
                "user": {"id": user["id"], "email": user["email"], "name": user["name"]},
                "csrf_token": csrf,
            }
        )
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=max(1, math.ceil(call.state.session_ttl)),
            path="/",
            httponly=True,
            samesite="lax",
        )
        return response

    def sign_out(call: Call) -> Response:
        call.state.sign_out(call.extra["session"]["token"])
        response = no_content()
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    router.add("POST", "/session", sign_in, auth=False)
    router.add("DELETE", "/session", sign_out)


# -- known reads --------------------------------------------------------------------------------


def _reads(router: Router) -> None:
    @router.get("/data/bootstrap")
    def bootstrap(call: Call) -> Response:
        user = call.user
        assert user is not None
        return ok(
            {
                "account": {"id": user["account_id"], "plan": "pro"},
                "user": {"id": user["id"], "email": user["email"], "name": user["name"]},
                "custom_url": {"subdomain": "emulator", "url": "https://emulator.pixieset.com"},
                "workspace": {"id": user["workspace_id"], "name": "Emulator Studio"},
            }
        )

    @router.get("/dashboard_listings")
    def dashboard(call: Call) -> Response:
        return call.paged(
            "SELECT * FROM collections ORDER BY seq DESC",
            (),
            lambda row: shapes.collection_summary(call.state, row),
        )

    @router.get("/collections/{collection_id}")
    def collection(call: Call) -> Response:
        return ok(shapes.collection(call.state, _collection(call)))

    @router.get("/collections/{collection_id}/edit")
    def collection_edit(call: Call) -> Response:
        return ok(shapes.collection_edit(_collection(call)))

    @router.get("/collections/{collection_id}/galleries")
    def galleries(call: Call) -> Response:
        row = _collection(call)
        return call.paged(
            "SELECT * FROM galleries WHERE collection_id = ? ORDER BY position, seq",
            (row["id"],),
            lambda g: shapes.gallery(call.state, call.root, g),
        )

    @router.get("/galleries/{gallery_id}")
    def gallery(call: Call) -> Response:
        row = _gallery(call)
        data = shapes.gallery(call.state, call.root, row)
        for expand, kind in (("photos", "photo"), ("videos", "video")):
            if expand in _expand(call):
                media = call.state.all(
                    "SELECT * FROM media WHERE gallery_id = ? AND kind = ? ORDER BY seq",
                    row["id"],
                    kind,
                )
                data[expand] = [shapes.media(call.root, m) for m in media]
        return ok(data)

    @router.get("/galleries/{gallery_id}/media")
    def gallery_media(call: Call) -> Response:
        row = _gallery(call)
        return call.paged(
            "SELECT * FROM media WHERE gallery_id = ? ORDER BY seq",
            (row["id"],),
            lambda m: shapes.media(call.root, m),
        )

    @router.get("/collections/{collection_id}/before_show")
    def before_show(call: Call) -> Response:
        return ok(shapes.before_show(call.state, call.root, _collection(call)))

    @router.get("/collections/{collection_id}/before_download_settings")
    def before_download_settings(call: Call) -> Response:
        return ok(shapes.before_download_settings(_collection(call)))

    @router.get("/collection_defaults/{account_id}/before_collection_default_settings")
    def collection_defaults(call: Call) -> Response:
        user = call.user
        assert user is not None
        if call.path_id("account_id") != user["account_id"]:
            raise not_found("account")
        return ok(
            {
                "status": "draft",
                "tags": [],
                "languages": ["en"],
                "client_access": DEFAULT_CLIENT_ACCESS,
                "download_settings": DEFAULT_DOWNLOAD_SETTINGS,
                "watermark": None,
                "store": DEFAULT_STORE,
            }
        )

    @router.get("/photos/starred")
    def starred(call: Call) -> Response:
        return call.paged(
            "SELECT * FROM media WHERE starred = 1 ORDER BY seq",
            (),
            lambda m: shapes.media(call.root, m),
        )


def _activity(router: Router) -> None:
    """What clients did in a collection: all paged, newest first."""

    @router.get("/collections/{collection_id}/clients")
    def clients(call: Call) -> Response:
        cid = _collection(call)["id"]
        return call.paged(
            "SELECT * FROM clients WHERE collection_id = ? ORDER BY seq",
            (cid,),
            lambda row: shapes.client(call.state, row),
        )

    @router.get("/collections/{collection_id}/visitor_emails")
    def visitor_emails(call: Call) -> Response:
        cid = _collection(call)["id"]
        return call.paged(
            "SELECT * FROM visitors WHERE collection_id = ? ORDER BY visited_at DESC, seq DESC",
            (cid,),
            shapes.visitor,
        )

    def downloads_of(kinds: tuple[str, ...]) -> Any:
        def handler(call: Call) -> Response:
            cid = _collection(call)["id"]
            marks = ", ".join("?" for _ in kinds)
            return call.paged(
                f"SELECT * FROM downloads WHERE collection_id = ? AND kind IN ({marks}) "
                "ORDER BY downloaded_at DESC, seq DESC",
                (cid, *kinds),
                shapes.download,
            )

        return handler

    router.add("GET", "/collections/{collection_id}/photo_downloads", downloads_of(("photo",)))
    router.add(
        "GET", "/collections/{collection_id}/gallery_video_downloads", downloads_of(("video",))
    )
    everything = downloads_of(("photo", "video"))
    router.add("GET", "/collections/{collection_id}/downloads/", everything)
    router.add("GET", "/collections/{collection_id}/downloads", everything)

    @router.get("/collections/{collection_id}/photo_sharing_links")
    def sharing_links(call: Call) -> Response:
        cid = _collection(call)["id"]
        return call.paged(
            "SELECT * FROM sharing_links WHERE collection_id = ? ORDER BY seq",
            (cid,),
            shapes.sharing_link,
        )

    @router.get("/collections/{collection_id}/favorites")
    def favorites(call: Call) -> Response:
        cid = _collection(call)["id"]
        return call.paged(
            "SELECT l.*, c.email AS client_email, c.name AS client_name "
            "FROM favorite_lists l JOIN clients c ON c.id = l.client_id "
            "WHERE l.collection_id = ? ORDER BY l.seq",
            (cid,),
            lambda row: shapes.favorite_list(call.state, row),
        )


# -- our writes ---------------------------------------------------------------------------------


def _collection_fields(body: Body) -> dict[str, Any]:
    body.text("name", max_len=255)
    body.text("description", max_len=5000, nullable=True, blank=True)
    body.date("event_date")
    body.choice("status", STATUSES)
    return body.done()


def _collection_writes(router: Router) -> None:
    allowed = ("name", "description", "event_date", "status")

    @router.route("POST", "/collections")
    def create_collection(call: Call) -> Response:
        fields = _collection_fields(Body(call.body, allowed=allowed, required=("name",)))
        with call.state.transaction():
            new_id = call.state.create_collection(fields)
            row = call.state.collection(new_id)
            assert row is not None
            return ok(shapes.collection(call.state, row), status=201)

    @router.route("PUT", "/collections/{collection_id}")
    def update_collection(call: Call) -> Response:
        row = _collection(call)
        fields = _collection_fields(Body(call.body, allowed=allowed))
        with call.state.transaction():
            call.state.update_collection(row["id"], fields)
            updated = call.state.collection(row["id"])
            assert updated is not None
            return ok(shapes.collection(call.state, updated))

    @router.route("DELETE", "/collections/{collection_id}")
    def delete_collection(call: Call) -> Response:
        row = _collection(call)
        with call.state.transaction():
            call.state.delete_collection(row["id"])
        return no_content()


def _settings_writes(router: Router) -> None:
    @router.route("PUT", "/collections/{collection_id}/client_access")
    def client_access(call: Call) -> Response:
        row = _collection(call)
        body = Body(call.body, allowed=tuple(DEFAULT_CLIENT_ACCESS))
        body.text("password", max_len=100, nullable=True)
        body.date("expiry_date")
        body.day_list("expiry_reminder_days")
        body.choice("status", STATUSES)
        body.boolean("client_exclusive")
        body.boolean("visitor_email_capture")
        fields = body.done()
        with call.state.transaction():
            return ok(call.state.merge_setting(row["id"], "client_access", fields))

    @router.route("PUT", "/collections/{collection_id}/download_settings")
    def download_settings(call: Call) -> Response:
        row = _collection(call)
        body = Body(call.body, allowed=tuple(DEFAULT_DOWNLOAD_SETTINGS))
        body.boolean("downloadable")
        body.choices("sizes", SIZES)
        body.pattern("pin", PIN_RE, "four digits", nullable=True)
        body.integer("limit_per_client", 1, 10_000, nullable=True)
        for flag in ("watermarked", "single", "bulk"):
            body.boolean(flag)
        fields = body.done()
        with call.state.transaction():
            return ok(call.state.merge_setting(row["id"], "download_settings", fields))

    @router.route("PUT", "/collections/{collection_id}/watermark")
    def watermark(call: Call) -> Response:
        row = _collection(call)
        preset = None if call.body is None else _watermark(call.body)
        with call.state.transaction():
            call.state.replace_setting(row["id"], "watermark", preset)
        return ok(preset)

    @router.route("PUT", "/collections/{collection_id}/store")
    def store(call: Call) -> Response:
        row = _collection(call)
        body = Body(call.body, allowed=tuple(DEFAULT_STORE))
        body.boolean("enabled")
        body.pattern("currency", CURRENCY_RE, "a three-letter ISO 4217 code such as EUR")
        body.integer("minimum_order_cents", 0, 100_000_000)
        body.text("price_sheet", max_len=100, nullable=True)
        check_products(body)
        fields = body.done()
        with call.state.transaction():
            merged = call.state.merge_setting(row["id"], "store", fields)
            return ok({**DEFAULT_STORE, **merged})


def _watermark(raw: Any) -> dict[str, Any]:
    """A whole preset (missing settings take their defaults); it needs a text, a logo or both."""
    body = Body(raw, allowed=tuple(WATERMARK_DEFAULTS))
    body.text("name", max_len=100, nullable=True)
    body.text("text", max_len=200, nullable=True)
    body.text("font", max_len=200, nullable=True)
    body.number("text_scale", 0.005, 0.5)
    body.pattern("colour", COLOUR_RE, "a colour as #rrggbb")
    body.number("opacity", 0.0, 1.0)
    body.boolean("shadow")
    body.boolean("outline")
    body.text("logo", max_len=MAX_LOGO_BASE64, nullable=True)
    body.number("logo_scale", 0.01, 1.0)
    body.number("logo_opacity", 0.0, 1.0)
    body.choice("position", LAYOUTS)
    body.number("margin", 0.0, 0.25)
    logo = body.clean.get("logo")
    if logo is not None:
        try:
            base64.b64decode(logo, validate=True)
        except (binascii.Error, ValueError):
            body.fail("logo", "must be a base64-encoded PNG")
    if not body.clean.get("text") and not logo and "text" not in body.errors:
        body.fail("text", "a watermark needs a text, a logo or both")
    return {**WATERMARK_DEFAULTS, **body.done()}


def check_products(body: Body) -> None:
    """`products`: the price sheet, `[{name, sizes: [{label, price_cents}]}]`."""
    present, value = body._take("products", False)
    if not present:
        return
    if not isinstance(value, list) or len(value) > 100:
        body.fail("products", "must be a list of at most 100 products")
        return
    clean = []
    for n, raw in enumerate(value):
        product = Body(raw if isinstance(raw, dict) else {}, allowed=("name", "sizes"))
        if not isinstance(raw, dict):
            product.fail("", "must be an object")
        product.text("name", max_len=80)
        sizes = raw.get("sizes") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or "name" not in raw:
            product.fail("name", "is required")
        if not isinstance(sizes, list) or not 1 <= len(sizes) <= 50:
            product.fail("sizes", "must be a list of 1 to 50 sizes")
            sizes = []
        clean_sizes = []
        for m, size in enumerate(sizes):
            one = Body(size if isinstance(size, dict) else {}, allowed=("label", "price_cents"))
            one.text("label", max_len=40)
            one.integer("price_cents", 0, 100_000_000)
            if not isinstance(size, dict) or set(size) != {"label", "price_cents"}:
                one.fail("", "needs a label and a price_cents")
            for name, problems in one.errors.items():
                product.errors.setdefault(f"sizes[{m}].{name}".rstrip("."), []).extend(problems)
            clean_sizes.append(one.clean)
        for name, problems in product.errors.items():
            for problem in problems:
                body.fail(f"products[{n}].{name}".rstrip("."), problem)
        clean.append({"name": product.clean.get("name"), "sizes": clean_sizes})
    if not any(k.startswith("products") for k in body.errors):
        body.clean["products"] = clean


def _gallery_writes(router: Router) -> None:
    allowed = ("name", "position", "private", "download_override")

    def fields_of(call: Call, required: tuple[str, ...]) -> dict[str, Any]:
        body = Body(call.body, allowed=allowed, required=required)
        body.text("name", max_len=255)
        body.integer("position", 0, 10_000)
        body.boolean("private")
        delivery.check_override(body)
        return body.done()

    @router.route("POST", "/collections/{collection_id}/galleries")
    def create_gallery(call: Call) -> Response:
        row = _collection(call)
        fields = fields_of(call, ("name",))
        with call.state.transaction():
            gallery = call.state.gallery(call.state.create_gallery(row["id"], fields))
            assert gallery is not None
            return ok(shapes.gallery(call.state, call.root, gallery), status=201)

    @router.route("PUT", "/galleries/{gallery_id}")
    def update_gallery(call: Call) -> Response:
        row = _gallery(call)
        fields = fields_of(call, ())
        with call.state.transaction():
            call.state.update_gallery(row["id"], fields)
            gallery = call.state.gallery(row["id"])
            assert gallery is not None
            return ok(shapes.gallery(call.state, call.root, gallery))

    @router.route("DELETE", "/galleries/{gallery_id}")
    def delete_gallery(call: Call) -> Response:
        row = _gallery(call)
        with call.state.transaction():
            call.state.delete_gallery(row["id"], row["collection_id"])
        return no_content()

    @router.route("DELETE", "/media/{media_id}")
    def delete_media(call: Call) -> Response:
        row = call.state.media(call.path_id("media_id"))
        if row is None:
            raise not_found("media")
        with call.state.transaction():
            call.state.delete_media(row["id"], call.state.collection_of_gallery(row["gallery_id"]))
        return no_content()
