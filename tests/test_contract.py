"""The emulator honours docs/api/gallery-api.yaml: schemathesis generates requests for every
operation from the file, sends them over real HTTP to a live emulator (signed in: cookie and
CSRF header), and checks each answer's status, content type, headers and body against the
file, plus that auth is enforced. Bounded and deterministic: a few derandomized examples per
operation. The file itself is valid OpenAPI 3.1 and covers every path of docs/api/README.md."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import jsonschema_rs
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from emulator.pytest_plugin import EmulatorHandle

DOCS: Final = Path(__file__).resolve().parents[1] / "docs" / "api"
SPEC: Final = DOCS / "gallery-api.yaml"
SUMMARY: Final = DOCS / "README.md"
EXAMPLES_PER_OPERATION: Final = 6
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    positive_data_acceptance,  # valid input (per the file) is never a 400/422
]
UPLOAD_TYPE: Final = "application/offset+octet-stream"

schemathesis.openapi.media_type(UPLOAD_TYPE, st.binary(max_size=64))


@dataclass
class World:
    """A signed-in emulator holding one of everything, and fresh objects for destructive calls.

    Path ids are mostly real ones (so the 200 answers get checked), every fourth one stays as
    generated (so 400/404 answers get checked too)."""

    emulator: EmulatorHandle
    client: httpx.Client
    csrf: str
    account_id: int
    collection_id: int
    gallery_id: int
    upload_id: str
    media_id: int = 0  # a photo of `collection_id`, for bodies that name one
    calls: Counter[str] = field(default_factory=Counter)
    names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def cookie(self) -> str:
        value = self.client.cookies.get("gd_session")
        assert value is not None
        return value

    def fresh_collection(self) -> int:
        response = self.client.post("/collections", json={"name": f"Throwaway {next(self.names)}"})
        response.raise_for_status()
        return int(response.json()["data"]["id"])

    def fresh_gallery(self, collection_id: int | None = None) -> int:
        cid = collection_id or self.fresh_collection()
        response = self.client.post(f"/collections/{cid}/galleries", json={"name": "Set"})
        response.raise_for_status()
        return int(response.json()["data"]["id"])

    def start_upload(self, gallery_id: int, content: bytes) -> str:
        body = {
            "filename": f"IMG_{next(self.names):04d}.jpg",
            "size": len(content),
            "checksum": "sha256:" + hashlib.sha256(content).hexdigest(),
            "kind": "photo",
            "client_ref": hashlib.sha256(b"ref" + content).hexdigest()[:32],
            "taken_at": "2025-06-01T14:03:00",
            "width": 640,
            "height": 427,
        }
        response = self.client.post(f"/galleries/{gallery_id}/uploads", json=body)
        response.raise_for_status()
        return str(response.json()["data"]["upload_id"])

    def upload(self, gallery_id: int, content: bytes) -> dict[str, Any]:
        upload_id = self.start_upload(gallery_id, content)
        response = self.client.patch(
            f"/uploads/{upload_id}",
            content=content,
            headers={"Upload-Offset": "0", "Content-Type": UPLOAD_TYPE},
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data

    def fresh_media(self) -> int:
        content = f"media {next(self.names)}".encode()
        return int(self.upload(self.fresh_gallery(), content)["media"]["id"])

    def fresh_link(self) -> int:
        path = f"/collections/{self.collection_id}/photo_sharing_links"
        response = self.client.post(path, json={"media_id": self.media_id})
        response.raise_for_status()
        return int(response.json()["data"]["id"])

    def prepare(self, case: schemathesis.Case[Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Point the generated case at real objects; answers (headers, cookies) to send."""
        label = f"{case.method.upper()} {case.path}"
        self.calls[label] += 1
        real = self.calls[label] % 4 != 0
        params = case.path_parameters if case.path_parameters is not None else {}
        destructive = case.method.upper() == "DELETE"
        if "collection_id" in params and real:
            params["collection_id"] = self.fresh_collection() if destructive else self.collection_id
        if "gallery_id" in params and real:
            params["gallery_id"] = self.fresh_gallery() if destructive else self.gallery_id
        if "media_id" in params and real:
            params["media_id"] = self.fresh_media()
        if "link_id" in params and real:
            params["link_id"] = self.fresh_link()
        if real and isinstance(case.body, dict):  # media named in a body: one of the collection's
            for name in ("media_id", "cover_media_id"):
                if case.body.get(name) is not None:
                    case.body[name] = self.media_id
        if real and isinstance(case.body, dict) and case.body.get("replaces") is not None:
            # new bytes for existing media: a photo of `gallery_id` (the one made above)
            case.body["replaces"], case.body["kind"] = self.media_id, "photo"
        if "account_id" in params and real:
            params["account_id"] = self.account_id
        if "upload_id" in params and real:
            if case.method.upper() == "PATCH":
                content = f"patch {next(self.names)}".encode()
                params["upload_id"] = self.start_upload(self.gallery_id, content)
                case.body = content
                case.headers["Upload-Offset"] = "0"
            else:
                params["upload_id"] = self.upload_id
        headers = case.headers if case.headers is not None else {}
        if "Idempotency-Key" in headers:  # a key generated twice would be a (valid) mismatch
            headers["Idempotency-Key"] = f"{headers['Idempotency-Key'][:200]}-{next(self.names)}"
        if label == "POST /session" and real:
            case.body = {"email": self.emulator.email, "password": self.emulator.password}
        if label == "DELETE /session":  # sign out a session of its own, not the test's
            other = self.emulator.client()
            return {"X-CSRF-Token": other.headers["x-csrf-token"]}, {
                "gd_session": other.cookies["gd_session"]
            }
        return {"X-CSRF-Token": self.csrf}, {"gd_session": self.cookie}


@pytest.fixture(scope="module")
def world(shared_emulator: EmulatorHandle) -> World:
    shared_emulator.reset()
    client = shared_emulator.client()
    csrf = client.headers["x-csrf-token"]
    account_id = client.get("/data/bootstrap").json()["data"]["account"]["id"]
    made = World(shared_emulator, client, csrf, account_id, 0, 0, "")
    made.collection_id = made.fresh_collection()
    made.gallery_id = made.fresh_gallery(made.collection_id)
    finished = made.upload(made.gallery_id, b"\xff\xd8 a tiny stand-in for a JPEG \xff\xd9")
    made.upload_id = finished["upload_id"]
    made.media_id = int(finished["media"]["id"])
    made.upload(made.gallery_id, b"a second photo")
    shared_emulator.seed(
        made.collection_id, clients=3, favorites=3, downloads=4, starred=1, store_orders=3
    )
    return made


# Loaded at import, so pytest gets one test per operation; the live emulator's URL is given
# per call (schemathesis' fixture-based loader does not work with this pytest).
contract = schemathesis.openapi.from_path(
    SPEC,
    config=schemathesis.Config.from_dict(
        {
            "seed": 20250601,
            "generation": {
                "mode": "positive",
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    ),
)


@contract.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_emulator_answers_as_the_contract_says(case: schemathesis.Case[Any], world: World) -> None:
    headers, cookies = world.prepare(case)
    case.call_and_validate(
        base_url=world.emulator.base_url, headers=headers, cookies=cookies, checks=CHECKS
    )


# -- the file itself ------------------------------------------------------------------------------


def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def test_the_contract_is_valid_openapi_3_1() -> None:
    raw = _spec()
    assert raw["openapi"].startswith("3.1.")
    OPENAPI_31_VALIDATOR.validate(raw)  # the OpenAPI 3.1 meta-schema
    schema = schemathesis.openapi.from_path(SPEC)
    schema.validate()
    results = list(schema.get_all_operations())
    assert [r.err() for r in results if isinstance(r, Err)] == []
    assert len(results) == 39
    for name, component in raw["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(component), name  # each a valid JSON Schema


def test_the_contract_names_the_real_and_the_emulated_server() -> None:
    urls = [server["url"] for server in _spec()["servers"]]
    assert urls == ["https://galleries.pixieset.com/api/v1", "http://127.0.0.1:8765/api/v1"]
    assert not any(path.startswith("/_emulator") for path in _spec()["paths"])


def _shape(path: str) -> str:
    """`/collections/{collection_id}/edit` and `/collections/{id}/edit` are the same path."""
    return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])


def _summary_operations() -> set[tuple[str, str]]:
    """(METHOD, path shape) for every endpoint named in the README's tables; a cell such as
    "`GET /collections/{id}/photo_downloads`, `/gallery_video_downloads`" names two."""
    found: set[tuple[str, str]] = set()
    for line in SUMMARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        method, base = "", ""
        for span in re.findall(r"`([^`]+)`", line.split("|")[1]):
            parts = span.split()
            if parts[0] in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                method, path = parts[0], parts[1]
                base = path.rstrip("/").rsplit("/", 1)[0]
            elif span.startswith("/") and method:
                path = base + span
            else:
                continue  # a query such as `?expand=photos`
            found.add((method, _shape(path)))
    return found


def _contract_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), _shape(path))
        for path, item in _spec()["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_every_endpoint_of_the_summary_is_in_the_contract() -> None:
    declared = _contract_operations()
    listed = _summary_operations()
    assert len(listed) >= 29
    assert sorted(f"{m} {p}" for m, p in listed - declared) == []
    protocol = {
        ("POST", "/session"),
        ("DELETE", "/session"),
        ("POST", "/galleries/{}/uploads"),
        ("GET", "/uploads/{}"),
        ("PATCH", "/uploads/{}"),
        ("GET", "/galleries/{}/media"),
    }
    assert protocol <= declared
    # Nothing in the contract that the summary does not mention.
    assert sorted(f"{m} {p}" for m, p in declared - listed - protocol) == []
