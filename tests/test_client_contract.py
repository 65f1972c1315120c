"""The client honours the OpenAPI file too: every request a full publish, sync and pull makes
is an operation of the contract, with the headers it asks for and a body its schema accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import httpx
import jsonschema_rs
import yaml
from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.organise import rename_collection
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.outbox import link_collection
from gallery_desktop.remote.pull import pull_all
from gallery_desktop.remote.sync import SyncWorker
from test_sync import small_shoot

CONTRACT: Final = Path(__file__).resolve().parents[1] / "docs" / "api" / "gallery-api.yaml"
WRITES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Recording(httpx.HTTPTransport):
    """A real transport that also keeps every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return super().handle_request(request)


def _operations(doc: dict[str, Any]) -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    out = []
    for template, item in doc["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$")
        for method, op in item.items():
            if method.upper() in {"GET", *WRITES}:
                out.append((method.upper(), pattern, op))
    return out


def _body_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    content = (op.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return media.get("schema") if media else None


def test_every_request_is_a_contract_operation_with_a_valid_body(
    emulator: Any, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    doc = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    operations = _operations(doc)
    base_path = httpx.URL(emulator.base_url).path.rstrip("/")
    recording = Recording()
    api = GalleryApi(emulator.base_url, transport=recording)
    api.login(emulator.email, emulator.password)

    shoot = small_shoot(tmp_path / "shoots", photos=3)
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    with catalog.write_conn() as conn:
        conn.execute(
            text(
                "UPDATE collection SET password = 'pw', expiry_date = '2031-05-01', "
                "downloadable = TRUE, download_pin = '1234', store_enabled = TRUE, "
                "cover_media_id = (SELECT min(id) FROM media WHERE kind = 'photo') WHERE id = :c"
            ),
            {"c": cid},
        )
        conn.execute(
            text(
                "INSERT INTO storesettings (collection_id, enabled, currency, "
                "minimum_order_cents, price_sheet_json) VALUES (:c, TRUE, 'EUR', 1000, "
                '\'[{"name": "Print", "sizes": [{"label": "A4", '
                '"price_cents": 900}]}]\')'
            ),
            {"c": cid},
        )
        conn.execute(
            text(
                "INSERT INTO client (collection_id, email, name, access_level, created_at) "
                "VALUES (:c, 'ada@example.com', 'Ada', 'favourite', '2030-01-01 00:00:00')"
            ),
            {"c": cid},
        )
        conn.execute(
            text(
                "UPDATE gallery SET download_override_json = "
                '\'{"watermarked": false, "sizes": ["web640"]}\' WHERE collection_id = :c'
            ),
            {"c": cid},
        )
    link_collection(catalog, cid)
    with catalog.write_conn() as conn:
        conn.execute(
            text(
                "INSERT INTO sharinglink (media_id, token, expires_at, created_at) SELECT "
                "min(id), 'contract-link', '2031-01-01 00:00:00', '2030-01-01 00:00:00' "
                "FROM media WHERE kind = 'photo'"
            )
        )
    worker = SyncWorker(catalog, api, tmp_path / "uploads")
    worker.run_once()
    rename_collection(catalog, cid, "Lake, renamed")
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE sharinglink SET revoked_at = '2030-02-01 00:00:00'"))
    worker.run_once()
    remote_id = emulator.state()["collections"][0]["id"]
    emulator.seed(remote_id, store_orders=2)
    pull_all(catalog, api, emulator.base_url)

    assert len(recording.sent) > 20
    seen_methods = set()
    seen_operations = set()
    for request in recording.sent:
        path = request.url.path.removeprefix(base_path) or "/"
        matches = [op for m, p, op in operations if m == request.method and p.match(path)]
        assert matches, f"{request.method} {path} is not in the contract"
        seen_methods.add(request.method)
        op = matches[0]
        seen_operations.add(op["operationId"])
        if request.method in WRITES and path != "/session":
            assert request.headers.get("X-CSRF-Token"), f"{request.method} {path}: no CSRF"
        if request.method == "POST" and path != "/session":
            assert request.headers.get("Idempotency-Key"), f"POST {path}: no Idempotency-Key"
        schema = _body_schema(op)
        if schema is not None and request.content:
            body = json.loads(request.content)
            validator = jsonschema_rs.validator_for({**schema, "components": doc["components"]})
            errors = [e.message for e in validator.iter_errors(body)]
            assert errors == [], f"{request.method} {path}: {errors} in {body}"
    assert {"GET", "POST", "PUT", "PATCH"} <= seen_methods
    delivery = {
        "replaceClients",
        "updateDesign",
        "updateStore",
        "createGallery",  # with its download_override
        "createSharingLink",
        "updateSharingLink",
        "listStoreOrders",
    }
    assert delivery <= seen_operations, delivery - seen_operations
