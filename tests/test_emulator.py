"""The Gallery API emulator over real HTTP: auth, CSRF, pagination, validation, idempotency,
the resumable upload, every injectable fault, and state that survives a restart."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from emulator import EmulatorServer
from emulator.pytest_plugin import EmulatorHandle

UPLOAD_TYPE: Final = "application/offset+octet-stream"
TESTS: Final = Path(__file__).resolve().parent


# -- helpers ---------------------------------------------------------------------------------------


def make_collection(client: httpx.Client, name: str = "Smith Wedding", **extra: Any) -> int:
    response = client.post("/collections", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


def make_gallery(client: httpx.Client, collection_id: int, name: str = "Ceremony") -> int:
    response = client.post(f"/collections/{collection_id}/galleries", json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


def photo_bytes(n: int, size: int = 200_000) -> bytes:
    seed = hashlib.sha256(str(n).encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def announce(
    client: httpx.Client, gallery_id: int, content: bytes, *, key: str | None = None, **extra: Any
) -> httpx.Response:
    body = {
        "filename": "IMG_0001.jpg",
        "size": len(content),
        "checksum": "sha256:" + hashlib.sha256(content).hexdigest(),
        "kind": "photo",
        "client_ref": "xxh-" + hashlib.md5(content).hexdigest(),
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/galleries/{gallery_id}/uploads", json=body, headers=headers)


def send(client: httpx.Client, upload_id: str, offset: int, chunk: bytes) -> httpx.Response:
    return client.patch(
        f"/uploads/{upload_id}",
        content=chunk,
        headers={"Upload-Offset": str(offset), "Content-Type": UPLOAD_TYPE},
    )


def upload(client: httpx.Client, gallery_id: int, content: bytes) -> dict[str, Any]:
    started = announce(client, gallery_id, content)
    assert started.status_code == 201, started.text
    finished = send(client, started.json()["data"]["upload_id"], 0, content)
    assert finished.status_code == 200, finished.text
    data: dict[str, Any] = finished.json()["data"]
    return data


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


# -- auth and CSRF ---------------------------------------------------------------------------------


def test_sign_in_sets_an_http_only_cookie_and_answers_a_csrf_token(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client(signed_in=False)
    response = client.post("/session", json={"email": emulator.email, "password": "wrong"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    response = client.post(
        "/session", json={"email": emulator.email, "password": emulator.password}
    )
    assert response.status_code == 200
    assert "HttpOnly" in response.headers["set-cookie"]
    assert response.headers["set-cookie"].startswith("gd_session=")
    data = response.json()["data"]
    assert data["user"]["email"] == emulator.email
    assert len(data["csrf_token"]) >= 16
    assert client.get("/data/bootstrap").status_code == 200


@pytest.mark.parametrize("cookie", [None, "not-a-session"])
def test_without_a_live_session_every_call_is_401_session_expired(
    emulator: EmulatorHandle, cookie: str | None
) -> None:
    client = emulator.client(signed_in=False)
    if cookie:
        client.cookies.set("gd_session", cookie)
    for method, path in [
        ("GET", "/data/bootstrap"),
        ("GET", "/dashboard_listings"),
        ("POST", "/collections"),
        ("DELETE", "/session"),
    ]:
        response = client.request(method, path, json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert error_code(response) == "session_expired"


def test_sessions_expire_after_their_ttl_and_on_demand(emulator: EmulatorHandle) -> None:
    emulator.set_session_ttl(0.5)
    short = emulator.client()
    signed_in = time.monotonic()  # the session ends before signed_in + 0.5
    assert short.get("/data/bootstrap").status_code == 200
    time.sleep(max(0.0, signed_in + 0.6 - time.monotonic()))
    response = short.get("/data/bootstrap")
    assert (response.status_code, error_code(response)) == (401, "session_expired")

    emulator.set_session_ttl(3600)
    client = emulator.client()
    assert client.get("/data/bootstrap").status_code == 200
    assert emulator.expire_sessions() >= 1
    assert client.get("/data/bootstrap").status_code == 401
    emulator.sign_in(client)  # signing in again is the cure
    assert client.get("/data/bootstrap").status_code == 200


def test_sign_out_ends_the_session(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    other = emulator.client()
    assert client.delete("/session").status_code == 204
    assert client.get("/data/bootstrap").status_code == 401
    assert other.get("/data/bootstrap").status_code == 200


def test_writes_need_the_csrf_token_reads_do_not(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    csrf = client.headers.pop("x-csrf-token")
    for token in (None, "wrong"):
        headers = {"X-CSRF-Token": token} if token else {}
        response = client.post("/collections", json={"name": "x"}, headers=headers)
        assert (response.status_code, error_code(response)) == (403, "csrf")
    assert emulator.state()["collections"] == []
    assert client.get("/dashboard_listings").status_code == 200
    response = client.post("/collections", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201


# -- envelope, ids, pagination, validation ---------------------------------------------------------


def test_ids_are_numbers_in_the_real_services_ranges(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    collection_id = make_collection(client)
    gallery_id = make_gallery(client, collection_id)
    media = upload(client, gallery_id, photo_bytes(1))["media"]
    assert len(str(collection_id)) == 8
    assert len(str(gallery_id)) == 9
    assert len(str(media["id"])) == 10
    answer = client.get(f"/collections/{collection_id}").json()
    assert set(answer) == {"data", "meta"}
    assert answer["data"]["gallery_count"] == 1
    assert answer["data"]["photo_count"] == 1
    for bad in ("abc", "12a", "-5"):
        response = client.get(f"/collections/{bad}")
        assert (response.status_code, error_code(response)) == (400, "bad_request")
    response = client.get("/collections/12345678")
    assert (response.status_code, error_code(response)) == (404, "not_found")


def test_lists_are_paged_with_meta(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    made = [make_collection(client, f"Shoot {n}") for n in range(5)]
    first = client.get("/dashboard_listings", params={"per_page": 2}).json()
    assert first["meta"] == {"current_page": 1, "per_page": 2, "total": 5, "total_pages": 3}
    seen = [c["id"] for page in (1, 2, 3) for c in _page(client, page)]
    assert seen == made[::-1]  # newest first, each exactly once
    assert _page(client, 4) == []
    default = client.get("/dashboard_listings").json()["meta"]
    assert (default["per_page"], default["total_pages"]) == (50, 1)
    assert client.get("/dashboard_listings", params={"per_page": 200}).status_code == 200
    for params in ({"per_page": 201}, {"per_page": 0}, {"page": 0}, {"page": "two"}):
        response = client.get("/dashboard_listings", params=params)
        assert (response.status_code, error_code(response)) == (400, "bad_request"), params
        assert response.json()["error"]["fields"]


def _page(client: httpx.Client, page: int) -> list[dict[str, Any]]:
    answer = client.get("/dashboard_listings", params={"page": page, "per_page": 2}).json()
    assert answer["meta"]["current_page"] == page
    data: list[dict[str, Any]] = answer["data"]
    return data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({}, "name"),
        ({"name": "x", "event_date": "2025-02-30"}, "event_date"),
        ({"name": "x", "event_date": "01/06/2025"}, "event_date"),
        ({"name": "x", "status": "archived"}, "status"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": 42}, "name"),
        ({"name": "x" * 256}, "name"),
    ],
)
def test_bad_collections_are_422_naming_the_field(
    emulator: EmulatorHandle, body: dict[str, Any], field: str
) -> None:
    response = emulator.client().post("/collections", json=body)
    assert response.status_code == 422
    assert error_code(response) == "validation"
    assert field in response.json()["error"]["fields"]
    assert emulator.state()["collections"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": -1}, "size"),
        ({"size": "12"}, "size"),
        ({"size": 11 * 1024**3}, "size"),
        ({"checksum": "md5:abc"}, "checksum"),
        ({"kind": "raw"}, "kind"),
        ({"filename": "a/b.jpg"}, "filename"),
        ({"taken_at": "2025-13-01T10:00:00"}, "taken_at"),
        ({"width": 0}, "width"),
    ],
)
def test_bad_uploads_are_422_naming_the_field(
    emulator: EmulatorHandle, change: dict[str, Any], field: str
) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    response = announce(client, gallery_id, b"bytes", **change)
    assert (response.status_code, error_code(response)) == (422, "validation")
    assert field in response.json()["error"]["fields"]


def test_settings_writes_validate_and_merge(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid = make_collection(client)
    bad = client.put(f"/collections/{cid}/download_settings", json={"pin": "12", "sizes": ["xl"]})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"pin", "sizes"}
    ok = client.put(f"/collections/{cid}/download_settings", json={"pin": "1234"})
    assert ok.json()["data"]["pin"] == "1234"
    assert ok.json()["data"]["downloadable"] is True  # untouched fields stay
    assert client.put(f"/collections/{cid}/watermark", json={"opacity": 0.5}).status_code == 422
    mark = client.put(f"/collections/{cid}/watermark", json={"text": "© Jane", "position": "tiled"})
    assert mark.json()["data"]["position"] == "tiled"
    assert mark.json()["data"]["opacity"] == 0.5  # a whole preset: defaults fill the rest
    store = client.put(f"/collections/{cid}/store", json={"currency": "eur"})
    assert store.status_code == 422


# -- idempotency -----------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    headers = {"Idempotency-Key": "6f1c1c2e-9a51-4a3e-8f1e-000000000001"}
    first = client.post("/collections", json={"name": "A", "status": "draft"}, headers=headers)
    again = client.post("/collections", json={"status": "draft", "name": "A"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    state = emulator.state()
    assert len(state["collections"]) == 1
    assert state["idempotency_keys"] == 1

    other = client.post("/collections", json={"name": "B"}, headers=headers)
    assert (other.status_code, error_code(other)) == (422, "idempotency_mismatch")
    assert len(emulator.state()["collections"]) == 1


def test_a_replayed_validation_error_stays_the_same_error(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    headers = {"Idempotency-Key": "k-422"}
    first = client.post("/collections", json={"name": ""}, headers=headers)
    again = client.post("/collections", json={"name": ""}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert first.content == again.content


def test_keys_belong_to_the_account_not_the_session(emulator: EmulatorHandle) -> None:
    one, two = emulator.client(), emulator.client()
    headers = {"Idempotency-Key": "shared"}
    first = one.post("/collections", json={"name": "A"}, headers=headers)
    second = two.post("/collections", json={"name": "A"}, headers=headers)
    assert first.content == second.content
    assert len(emulator.state()["collections"]) == 1


# -- the upload protocol ---------------------------------------------------------------------------


def test_upload_in_chunks_creates_media_with_its_checksum_and_client_ref(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(7, 300_000)
    started = announce(client, gallery_id, content, key="up-1", taken_at="2025-06-01T14:03:00")
    assert started.status_code == 201
    data = started.json()["data"]
    assert (data["offset"], data["status"], data["size"]) == (0, "pending", len(content))
    upload_id = data["upload_id"]
    offset = 0
    for size in (100_000, 100_000, 100_000):
        answer = send(client, upload_id, offset, content[offset : offset + size]).json()["data"]
        offset += size
        assert answer["offset"] == offset
    assert answer["status"] == "created"
    media = answer["media"]
    assert media["checksum"] == "sha256:" + hashlib.sha256(content).hexdigest()
    assert media["client_ref"] == "xxh-" + hashlib.md5(content).hexdigest()
    assert media["taken_at"] == "2025-06-01T14:03:00"
    assert client.get(f"/uploads/{upload_id}").json()["data"]["media"]["id"] == media["id"]
    assert httpx.get(media["path_large"]).content == content  # the bytes really are stored
    stored = emulator.state()["media"]
    assert [(m["id"], m["stored_bytes"]) for m in stored] == [(media["id"], len(content))]


def test_the_same_bytes_again_are_a_duplicate_with_nothing_to_send(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    collection_id = make_collection(client)
    gallery_id = make_gallery(client, collection_id)
    content = photo_bytes(2)
    media = upload(client, gallery_id, content)["media"]
    again = announce(client, gallery_id, content, filename="renamed.jpg")
    assert again.status_code == 200
    assert again.json()["data"] == {"status": "duplicate", "media": media}
    elsewhere = announce(client, make_gallery(client, collection_id, "Other"), content)
    assert elsewhere.status_code == 201  # duplicates are per gallery
    assert len(emulator.state()["media"]) == 1


def test_a_pending_upload_of_the_same_bytes_is_handed_back(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(3)
    first = announce(client, gallery_id, content).json()["data"]
    send(client, first["upload_id"], 0, content[:1000])
    second = announce(client, gallery_id, content).json()["data"]
    assert (second["upload_id"], second["offset"]) == (first["upload_id"], 1000)


def test_a_wrong_offset_is_409_with_the_right_one(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(4)
    upload_id = announce(client, gallery_id, content).json()["data"]["upload_id"]
    send(client, upload_id, 0, content[:5000])
    response = send(client, upload_id, 0, content)
    assert response.status_code == 409
    assert error_code(response) == "conflict"
    assert response.json()["meta"] == {"offset": 5000}
    too_long = send(client, upload_id, 5000, content[5000:] + b"extra")
    assert too_long.status_code == 422
    assert client.get(f"/uploads/{upload_id}").json()["data"]["offset"] == 5000


def test_a_checksum_mismatch_is_422_and_the_upload_starts_over(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(5)
    upload_id = announce(client, gallery_id, content).json()["data"]["upload_id"]
    response = send(client, upload_id, 0, bytes(len(content)))
    assert (response.status_code, error_code(response)) == (422, "checksum_mismatch")
    assert client.get(f"/uploads/{upload_id}").json()["data"]["offset"] == 0
    assert send(client, upload_id, 0, content).json()["data"]["status"] == "created"


def test_an_upload_announce_is_idempotent(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(6)
    first = announce(client, gallery_id, content, key="announce-6")
    again = announce(client, gallery_id, content, key="announce-6")
    assert first.content == again.content
    assert len(emulator.state()["uploads"]) == 1


# -- faults ----------------------------------------------------------------------------------------


def test_a_cut_mid_upload_keeps_what_arrived_and_the_upload_resumes(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(8, 1_000_000)
    upload_id = announce(client, gallery_id, content).json()["data"]["upload_id"]
    emulator.fault(kind="cut", method="PATCH", path="/uploads/", after_bytes=300_000)
    with pytest.raises(httpx.TransportError):
        send(client, upload_id, 0, content)
    status = client.get(f"/uploads/{upload_id}").json()["data"]
    assert (status["offset"], status["status"]) == (300_000, "pending")
    assert emulator.state()["uploads"][0]["stored_bytes"] == 300_000
    finished = send(client, upload_id, 300_000, content[300_000:]).json()["data"]
    assert finished["status"] == "created"
    assert httpx.get(finished["media"]["path_large"]).content == content


def test_a_cut_after_the_whole_body_leaves_the_upload_to_be_finished(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(9, 10_000)
    upload_id = announce(client, gallery_id, content).json()["data"]["upload_id"]
    emulator.fault(kind="cut", method="PATCH", after_bytes=len(content) + 1)
    with pytest.raises(httpx.TransportError):
        send(client, upload_id, 0, content)
    status = client.get(f"/uploads/{upload_id}").json()["data"]
    assert (status["offset"], status["status"]) == (len(content), "pending")
    finished = send(client, upload_id, len(content), b"").json()["data"]  # an empty PATCH ends it
    assert finished["status"] == "created"


def test_a_cut_before_anything_is_read_does_no_work(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    emulator.fault(kind="cut", method="POST", path="/collections$")
    with pytest.raises(httpx.TransportError):
        client.post("/collections", json={"name": "never"})
    assert emulator.state()["collections"] == []
    assert client.post("/collections", json={"name": "now"}).status_code == 201


def test_a_lost_answer_after_a_committed_create_is_replayed_not_redone(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    emulator.fault(kind="lost_answer", method="POST", path="/collections$")
    headers = {"Idempotency-Key": "lost-1"}
    with pytest.raises(httpx.TransportError):
        client.post("/collections", json={"name": "Lost"}, headers=headers)
    created = emulator.state()["collections"]
    assert [c["name"] for c in created] == ["Lost"]  # the work was committed
    retry = client.post("/collections", json={"name": "Lost"}, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["data"]["id"] == created[0]["id"]
    assert len(emulator.state()["collections"]) == 1


def test_a_lost_answer_to_the_last_chunk_is_recovered_from_the_upload(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    gallery_id = make_gallery(client, make_collection(client))
    content = photo_bytes(10)
    upload_id = announce(client, gallery_id, content).json()["data"]["upload_id"]
    emulator.fault(kind="lost_answer", method="PATCH")
    with pytest.raises(httpx.TransportError):
        send(client, upload_id, 0, content)
    status = client.get(f"/uploads/{upload_id}").json()["data"]
    assert status["status"] == "created"
    again = send(client, upload_id, len(content), b"")  # asking again repeats the answer
    assert again.status_code == 200
    assert again.json()["data"] == status
    assert send(client, upload_id, 0, content).status_code == 409
    assert len(emulator.state()["media"]) == 1


def test_429_carries_retry_after_and_does_no_work(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    rule = emulator.fault(kind="status", status=429, retry_after=2, method="POST")
    response = client.post("/collections", json={"name": "later"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert error_code(response) == "rate_limited"
    assert emulator.state()["collections"] == []
    assert client.post("/collections", json={"name": "later"}).status_code == 201  # once only
    assert rule["times"] == 1
    assert emulator.faults() == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_demand(emulator: EmulatorHandle, status: int) -> None:
    client = emulator.client()
    emulator.fault(kind="status", status=status, retry_after=1, path="/dashboard_listings", times=2)
    for _ in range(2):
        response = client.get("/dashboard_listings")
        assert response.status_code == status
        assert error_code(response) == "server_error"
        assert response.headers["retry-after"] == "1"
    assert client.get("/dashboard_listings").status_code == 200


def test_a_proxy_error_page_is_html(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    emulator.fault(kind="status", status=502, body="<html><h1>502 Bad Gateway</h1></html>")
    response = client.get("/data/bootstrap")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")


def test_latency_delays_the_answer_and_trips_client_timeouts(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    emulator.fault(kind="latency", delay=0.3, path="/data/bootstrap", times=2)
    started = time.monotonic()
    assert client.get("/data/bootstrap").status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        client.get("/data/bootstrap", timeout=0.1)


def test_rules_match_method_and_path_and_can_skip(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    emulator.fault(kind="status", status=503, method="GET", path=r"/collections/\d+$", skip=1)
    cid = make_collection(client)
    assert client.get("/dashboard_listings").status_code == 200  # path does not match
    assert client.get(f"/collections/{cid}").status_code == 200  # skipped
    assert client.get(f"/collections/{cid}").status_code == 503
    assert client.get(f"/collections/{cid}").status_code == 200  # times=1 used up
    forever = emulator.fault(kind="status", status=500, path="/photos/starred", times=None)
    for _ in range(3):
        assert client.get("/photos/starred").status_code == 500
    assert emulator.faults()[0]["hits"] == 3
    emulator.clear_faults()
    assert client.get("/photos/starred").status_code == 200
    assert forever["times"] is None


def test_bad_fault_rules_are_refused(emulator: EmulatorHandle) -> None:
    with pytest.raises(AssertionError, match="422"):
        emulator.fault(kind="explode")
    with pytest.raises(AssertionError, match="422"):
        emulator.fault(kind="status", path="(")


def test_faults_never_touch_the_control_endpoints(emulator: EmulatorHandle) -> None:
    emulator.fault(kind="cut", times=None)
    assert emulator.state()["collections"] == []


# -- reads with data, deletes, persistence ---------------------------------------------------------


def test_known_reads_show_seeded_client_activity(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    photos = [upload(client, gid, photo_bytes(20 + n))["media"]["id"] for n in range(4)]
    created = emulator.seed(
        cid,
        clients=[{"email": "ada@example.com", "name": "Ada"}],
        favorites=[{"client_email": "ada@example.com", "name": "Album", "media_ids": photos[:2]}],
        downloads=5,
        visitors=3,
        sharing_links=2,
        starred=1,
        seed=1,
    )
    assert len(created["clients"]) == 1
    clients = client.get(f"/collections/{cid}/clients").json()
    assert clients["data"][0]["email"] == "ada@example.com"
    assert clients["data"][0]["favorites_count"] == 2
    favorites = client.get(f"/collections/{cid}/favorites").json()["data"]
    assert [(f["client_email"], f["name"]) for f in favorites] == [("ada@example.com", "Album")]
    assert sorted(i["media_id"] for i in favorites[0]["items"]) == sorted(photos[:2])
    downloads = client.get(f"/collections/{cid}/downloads/").json()
    assert downloads["meta"]["total"] == 5
    photo_downloads = client.get(f"/collections/{cid}/photo_downloads").json()["meta"]["total"]
    video_downloads = client.get(f"/collections/{cid}/gallery_video_downloads").json()
    assert photo_downloads == 5 and video_downloads["meta"]["total"] == 0
    assert client.get(f"/collections/{cid}/visitor_emails").json()["meta"]["total"] == 3
    links = client.get(f"/collections/{cid}/photo_sharing_links").json()["data"]
    assert len(links) == 2 and all(link["media_id"] in photos for link in links)
    assert [m["id"] for m in client.get("/photos/starred").json()["data"]] == created["starred"]
    gallery = client.get(f"/galleries/{gid}", params={"expand": "photos"}).json()["data"]
    assert [m["id"] for m in gallery["photos"]] == photos
    assert gallery["cover_photo"]["media_id"] == photos[0]
    collection = client.get(f"/collections/{cid}").json()["data"]
    assert collection["client_count"] == 1


def test_before_hooks_are_computed_from_the_stored_settings(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid = make_collection(client)
    show = client.get(f"/collections/{cid}/before_show").json()["data"]
    assert (show["visible"], show["reason"]) == (False, "draft")
    client.put(f"/collections/{cid}/client_access", json={"status": "published", "password": "x"})
    show = client.get(f"/collections/{cid}/before_show").json()["data"]
    assert (show["visible"], show["reason"]) == (True, None)
    assert show["collection"]["password_protected"] is True
    client.put(f"/collections/{cid}/client_access", json={"expiry_date": "2020-01-01"})
    assert client.get(f"/collections/{cid}/before_show").json()["data"]["reason"] == "expired"

    cid = make_collection(client, "Other")
    settings = {"pin": "4321", "watermarked": True, "sizes": ["web_1024"]}
    client.put(f"/collections/{cid}/download_settings", json=settings)
    before = client.get(f"/collections/{cid}/before_download_settings").json()["data"]
    assert before == {
        "downloadable": True,
        "sizes": ["web_1024"],
        "pin_required": True,
        "watermarked": False,  # no watermark preset yet
    }
    client.put(f"/collections/{cid}/watermark", json={"text": "© Jane"})
    before = client.get(f"/collections/{cid}/before_download_settings").json()["data"]
    assert before["watermarked"] is True
    assert client.get(f"/collections/{cid}/edit").json()["data"]["watermark"]["text"] == "© Jane"
    client.put(f"/collections/{cid}/download_settings", json={"downloadable": False})
    before = client.get(f"/collections/{cid}/before_download_settings").json()["data"]
    assert (before["downloadable"], before["sizes"]) == (False, [])
    assert client.get(f"/collections/{cid}").json()["data"]["downloadable"] is False


def test_bootstrap_and_collection_defaults(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    boot = client.get("/data/bootstrap").json()["data"]
    assert boot["user"]["email"] == emulator.email
    assert set(boot) == {"account", "user", "custom_url", "workspace"}
    account = boot["account"]["id"]
    path = f"/collection_defaults/{account}/before_collection_default_settings"
    defaults = client.get(path).json()["data"]
    assert defaults["status"] == "draft"
    assert defaults["download_settings"]["downloadable"] is True
    path = f"/collection_defaults/{account + 1}/before_collection_default_settings"
    assert client.get(path).status_code == 404


def test_deletes_cascade_to_galleries_media_uploads_activity_and_files(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    media = upload(client, gid, photo_bytes(30))["media"]
    half = photo_bytes(31)
    pending = announce(client, gid, half).json()["data"]["upload_id"]
    send(client, pending, 0, half[:100])
    emulator.seed(cid, clients=2, favorites=2, downloads=2, sharing_links=1)
    keep = make_collection(client, "Keep")
    folder = emulator.state_dir
    assert (folder / "media" / str(media["id"])).exists()

    assert client.delete(f"/collections/{cid}").status_code == 204
    state = emulator.state()
    assert [c["id"] for c in state["collections"]] == [keep]
    for table in ("galleries", "media", "uploads", "clients", "favorite_lists", "downloads"):
        assert state[table] == [], table
    assert list((folder / "media").iterdir()) == []
    assert list((folder / "uploads").iterdir()) == []
    assert client.get(f"/galleries/{gid}").status_code == 404
    assert client.get(f"/uploads/{pending}").status_code == 404
    assert client.delete(f"/collections/{cid}").status_code == 404


def test_deleting_media_and_galleries(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    first, second = (upload(client, gid, photo_bytes(40 + n))["media"]["id"] for n in range(2))
    emulator.seed(cid, clients=1, favorites=1, items=2, downloads=0, sharing_links=0, seed=3)
    assert client.delete(f"/media/{first}").status_code == 204
    listed = client.get(f"/galleries/{gid}/media").json()
    assert [m["id"] for m in listed["data"]] == [second]
    items = client.get(f"/collections/{cid}/favorites").json()["data"][0]["items"]
    assert [i["media_id"] for i in items] == [second]
    assert client.delete(f"/galleries/{gid}").status_code == 204
    assert client.get(f"/collections/{cid}").json()["data"]["photo_count"] == 0
    assert emulator.state()["media"] == []


def test_state_survives_a_restart(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cookie, csrf = client.cookies["gd_session"], client.headers["x-csrf-token"]
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    content = photo_bytes(50)
    done = upload(client, gid, content)["media"]
    half = photo_bytes(51)
    pending = announce(client, gid, half, key="persist").json()["data"]["upload_id"]
    send(client, pending, 0, half[:70_000])
    url = emulator.base_url

    emulator.restart()

    assert emulator.base_url == url
    client = emulator.client(signed_in=False)
    client.cookies.set("gd_session", cookie)
    client.headers["X-CSRF-Token"] = csrf
    assert client.get(f"/collections/{cid}").status_code == 200  # the session too
    assert client.get(f"/uploads/{pending}").json()["data"]["offset"] == 70_000
    replay = announce(client, gid, half, key="persist")
    assert replay.headers["idempotent-replayed"] == "true"
    assert send(client, pending, 70_000, half[70_000:]).json()["data"]["status"] == "created"
    assert httpx.get(done["path_large"]).content == content


def test_reset_gives_a_fresh_account(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    make_collection(client)
    emulator.fault(kind="latency", times=None)
    emulator.reset()
    state = emulator.state()
    assert (state["collections"], state["faults"], state["sessions"]) == ([], [], 0)
    assert client.get("/data/bootstrap").status_code == 401
    emulator.sign_in(client)
    assert client.get("/dashboard_listings").json()["meta"]["total"] == 0


# -- running it ------------------------------------------------------------------------------------


def test_the_server_starts_fast_and_stops_without_leaking_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    started = time.monotonic()
    server = EmulatorServer(tmp_path).start()
    assert time.monotonic() - started < 1.0
    with httpx.Client() as client:
        assert client.get(server.base_url + "/data/bootstrap").status_code == 401
    server.stop()
    assert set(threading.enumerate()) == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/data/bootstrap")


def test_python_m_emulator_serves_in_the_foreground_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--state", str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Gallery API emulator: http://127.0.0.1:")
        base = first.split(": ", 1)[1].strip()
        assert base.endswith("/api/v1")
        sign_in = process.stdout.readline() + process.stdout.readline()
        assert "photographer@example.com / emulator" in sign_in
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.post(
                    base + "/session",
                    json={"email": "photographer@example.com", "password": "emulator"},
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 200
        assert (tmp_path / "state" / "emulator.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode in (0, 130)  # stopped by Ctrl-C, without a traceback
    assert "Traceback" not in stderr
