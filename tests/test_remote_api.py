"""The Gallery API client against the emulator over real HTTP on loopback (no mocked HTTP):
sign-in, the envelope, pages, error mapping, faults, uploads and idempotency."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import ipaddress
import logging
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from gallery_desktop.remote.api import USER_AGENT, GalleryApi, check_base_url
from gallery_desktop.remote.credentials import SessionSecrets
from gallery_desktop.remote.errors import (
    BadServerUrl,
    Forbidden,
    LoginFailed,
    NetworkError,
    NotFound,
    NotSignedIn,
    OffsetConflict,
    RateLimited,
    RemoteError,
    ServerError,
    SessionExpired,
    ValidationFailed,
    parse_retry_after,
)

SIGN_IN_AGAIN = "your session with the gallery service has expired: sign in again"


@pytest.fixture
def api(emulator: Any) -> Iterator[GalleryApi]:
    with GalleryApi(emulator.base_url, timeout=10) as client:
        client.login(emulator.email, emulator.password)
        yield client


def new_collection(api: GalleryApi, name: str = "Wedding") -> dict[str, Any]:
    return api.create_collection({"name": name}, str(uuid.uuid4()))


def new_gallery(api: GalleryApi, name: str = "Ceremony") -> tuple[int, int]:
    cid = int(new_collection(api)["id"])
    gallery = api.create_gallery(cid, {"name": name}, str(uuid.uuid4()))
    return cid, int(gallery["id"])


def upload_meta(content: bytes, name: str = "a.jpg") -> dict[str, Any]:
    return {
        "filename": name,
        "size": len(content),
        "checksum": "sha256:" + hashlib.sha256(content).hexdigest(),
        "kind": "photo",
        "client_ref": hashlib.sha256(b"original:" + content).hexdigest(),
        "width": 640,
        "height": 480,
    }


def secret_strings(secrets: SessionSecrets) -> tuple[str, str]:
    return secrets.cookie, secrets.csrf_token


# -- sign-in and the session ---------------------------------------------------------------


def test_login_gives_the_session_and_it_works_in_a_new_client(emulator: Any) -> None:
    with GalleryApi(emulator.base_url, timeout=10) as first:
        secrets = first.login(emulator.email, emulator.password)
        assert secrets.cookie and secrets.csrf_token
        assert "***" in repr(secrets) and secrets.cookie not in repr(secrets)
        assert first.user is not None and first.user["email"] == emulator.email
    # The kept secrets are all a new process needs.
    with GalleryApi(emulator.base_url, secrets, timeout=10) as later:
        boot = later.bootstrap()
        assert boot["user"]["email"] == emulator.email
        assert {"account", "user", "workspace"} <= set(boot)


def test_a_wrong_password_is_a_login_failure(emulator: Any) -> None:
    with GalleryApi(emulator.base_url, timeout=10) as client, pytest.raises(LoginFailed) as e:
        client.login(emulator.email, "not the password")
    assert "email and password" in str(e.value) and not e.value.retryable
    assert not client.signed_in


def test_an_unknown_or_expired_session_means_sign_in_again(emulator: Any, api: GalleryApi) -> None:
    assert api.secrets is not None
    forged = SessionSecrets("no-such-session", api.secrets.csrf_token)
    with GalleryApi(emulator.base_url, forged, timeout=10) as client:
        with pytest.raises(SessionExpired) as e:
            client.bootstrap()
        assert str(e.value) == SIGN_IN_AGAIN
        assert e.value.status == 401 and not e.value.retryable
    # After signing out, the same session is expired everywhere.
    kept = api.secrets
    api.logout()
    assert not api.signed_in
    with GalleryApi(emulator.base_url, kept, timeout=10) as client, pytest.raises(SessionExpired):
        list(client.dashboard_listings())
    # A session that runs out on the server says the same.
    with GalleryApi(emulator.base_url, timeout=10) as client:
        client.login(emulator.email, emulator.password)
        client.bootstrap()
        assert emulator.expire_sessions() >= 1
        with pytest.raises(SessionExpired, match="^" + SIGN_IN_AGAIN + "$"):
            client.bootstrap()
    with pytest.raises(NotSignedIn, match="sign in"):
        api.bootstrap()
    api.logout()  # signing out twice is fine


def test_a_write_without_the_csrf_token_is_forbidden(emulator: Any, api: GalleryApi) -> None:
    assert api.secrets is not None
    for token in ("wrong-token", ""):
        with GalleryApi(
            emulator.base_url, SessionSecrets(api.secrets.cookie, token), timeout=10
        ) as client:
            client.bootstrap()  # reads need no token
            with pytest.raises(Forbidden) as e:
                client.create_collection({"name": "No token"}, str(uuid.uuid4()))
            assert e.value.status == 403 and e.value.code == "csrf"
            assert not e.value.retryable and "sign in again" in str(e.value)
    assert all(c["name"] != "No token" for c in emulator.state()["collections"])


# -- envelope, pages, validation -----------------------------------------------------------


def test_pages_walk_every_page(emulator: Any, api: GalleryApi) -> None:
    made = {int(new_collection(api, f"Shoot {i}")["id"]) for i in range(7)}
    items, meta = api.page("/dashboard_listings", per_page=3)
    assert len(items) == 3 and meta["current_page"] == 1 and meta["total_pages"] >= 3
    listed = [int(c["id"]) for c in api.dashboard_listings(per_page=3)]
    assert len(listed) == len(set(listed)) == meta["total"]
    assert made <= set(listed)
    assert set(listed) == {int(c["id"]) for c in emulator.state()["collections"]}
    # The generic call and the typed helper agree, at any page size.
    assert [int(c["id"]) for c in api.pages("/dashboard_listings", per_page=200)] == listed


def test_validation_errors_name_the_fields(api: GalleryApi) -> None:
    with pytest.raises(ValidationFailed) as e:
        api.create_collection({"name": ""}, str(uuid.uuid4()))
    assert e.value.status == 422 and "name" in e.value.fields and e.value.fields["name"]
    assert "name" in str(e.value) and not e.value.retryable


def test_not_found_and_bad_parameters_are_permanent(api: GalleryApi) -> None:
    with pytest.raises(NotFound) as e:
        api.collection(99999999)
    assert e.value.status == 404 and not e.value.retryable
    api.delete_collection(99999999, missing_ok=True)  # already gone counts as deleted
    with pytest.raises(RemoteError) as bad:
        api.get("/dashboard_listings", {"page": "first"})
    assert bad.value.status == 400 and not bad.value.retryable
    assert "page" in str(bad.value)


# -- faults --------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after(emulator: Any, api: GalleryApi) -> None:
    emulator.fault(
        method="GET", path=r"/data/bootstrap$", kind="status", status=429, retry_after=3, times=1
    )
    with pytest.raises(RateLimited) as e:
        api.bootstrap()
    assert e.value.retryable and e.value.retry_after == 3.0 and e.value.status == 429
    assert "too many requests" in str(e.value)
    api.bootstrap()  # once only


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_retryable_server_error(emulator: Any, api: GalleryApi, status: int) -> None:
    emulator.fault(method="GET", path=r"/data/bootstrap$", kind="status", status=status, times=1)
    with pytest.raises(ServerError) as e:
        api.bootstrap()
    assert e.value.retryable and e.value.status == status
    assert f"HTTP {status}" in str(e.value)
    api.bootstrap()


def test_a_proxy_error_page_is_a_server_error(emulator: Any, api: GalleryApi) -> None:
    emulator.fault(
        method="GET",
        path=r"/data/bootstrap$",
        kind="status",
        status=502,
        body="<html><body>Bad Gateway</body></html>",
        times=1,
    )
    with pytest.raises(ServerError) as e:
        api.bootstrap()
    assert e.value.retryable and e.value.status == 502 and "<html>" not in str(e.value)


def test_503_passes_on_its_retry_after(emulator: Any, api: GalleryApi) -> None:
    emulator.fault(
        method="GET", path=r"/data/bootstrap$", kind="status", status=503, retry_after=5, times=1
    )
    with pytest.raises(ServerError) as e:
        api.bootstrap()
    assert e.value.retryable and e.value.retry_after == 5.0


def test_a_cut_connection_is_a_retryable_network_error(emulator: Any, api: GalleryApi) -> None:
    emulator.fault(method="GET", path=r"/data/bootstrap$", kind="cut", times=1)
    with pytest.raises(NetworkError) as e:
        api.bootstrap()
    assert e.value.retryable and str(e.value).startswith("cannot reach the gallery service (")
    api.bootstrap()


def test_latency_beyond_the_timeout_is_a_network_error(emulator: Any) -> None:
    with GalleryApi(emulator.base_url, timeout=0.5) as client:
        client.login(emulator.email, emulator.password)
        emulator.fault(method="GET", path=r"/data/bootstrap$", kind="latency", delay=2, times=1)
        with pytest.raises(NetworkError) as e:
            client.bootstrap()
        assert e.value.retryable and "no answer in time" in str(e.value)


def test_a_closed_port_is_a_network_error() -> None:
    client = GalleryApi("http://127.0.0.1:9/api/v1", SessionSecrets("c", "t"), timeout=5)
    with client, pytest.raises(NetworkError) as e:
        client.bootstrap()
    assert e.value.retryable and not e.value.maybe_committed


def test_a_lost_answer_retried_with_the_same_key_makes_one_object(
    emulator: Any, api: GalleryApi
) -> None:
    before = len(emulator.state()["collections"])
    key = str(uuid.uuid4())
    emulator.fault(method="POST", path=r"/collections$", kind="lost_answer", times=1)
    with pytest.raises(NetworkError) as e:
        api.create_collection({"name": "Lost answer"}, key)
    assert e.value.retryable and e.value.maybe_committed
    assert len(emulator.state()["collections"]) == before + 1  # the server did the work
    first = api.create_collection({"name": "Lost answer"}, key)
    again = api.create_collection({"name": "Lost answer"}, key)
    assert first["id"] == again["id"]
    names = [c["name"] for c in emulator.state()["collections"]]
    assert names.count("Lost answer") == 1
    # The same key with another body is refused, not silently replayed.
    with pytest.raises(ValidationFailed) as mismatch:
        api.create_collection({"name": "Something else"}, key)
    assert mismatch.value.code == "idempotency_mismatch"


# -- upload --------------------------------------------------------------------------------


def test_upload_start_status_chunks_offset_conflict_and_duplicate(
    emulator: Any, api: GalleryApi
) -> None:
    _cid, gid = new_gallery(api)
    content = bytes(range(256)) * 400  # 100 KiB
    meta = upload_meta(content)
    key = str(uuid.uuid4())
    started = api.start_upload(gid, meta, key)
    assert started["status"] == "pending" and started["offset"] == 0
    upload_id = started["upload_id"]
    assert api.upload_status(upload_id)["offset"] == 0
    # The same start again (a retry) is the same upload.
    assert api.start_upload(gid, meta, key)["upload_id"] == upload_id

    answer = api.send_chunk(upload_id, 0, content[:30_000])
    assert answer["status"] == "pending" and answer["offset"] == 30_000
    assert api.upload_status(upload_id)["offset"] == 30_000
    with pytest.raises(OffsetConflict) as e:  # as if a chunk had been lost on the way
        api.send_chunk(upload_id, 60_000, content[60_000:])
    assert e.value.offset == 30_000 and e.value.status == 409 and e.value.retryable
    done = api.send_chunk(upload_id, e.value.offset, content[e.value.offset :])
    assert done["status"] == "created"
    media = done["media"]
    assert media["checksum"] == meta["checksum"] and media["size"] == len(content)
    assert [int(m["id"]) for m in api.gallery_media(gid)] == [int(media["id"])]

    # The same file again, under a new key: a duplicate, nothing to send.
    dup = api.start_upload(gid, upload_meta(content, "copy.jpg"), str(uuid.uuid4()))
    assert dup["status"] == "duplicate" and int(dup["media"]["id"]) == int(media["id"])
    assert len([m for m in emulator.state()["media"] if int(m["gallery_id"]) == gid]) == 1


def test_an_upload_cut_midway_resumes_from_the_servers_offset(
    emulator: Any, api: GalleryApi
) -> None:
    _cid, gid = new_gallery(api)
    content = hashlib.sha256(b"seed").digest() * 8192  # 256 KiB
    emulator.fault(method="PATCH", path=r"/uploads/", kind="cut", after_bytes=50_000, times=1)
    started = api.start_upload(gid, upload_meta(content), str(uuid.uuid4()))
    with pytest.raises(NetworkError) as e:
        api.send_chunk(started["upload_id"], 0, content)
    assert e.value.retryable
    offset = int(api.upload_status(started["upload_id"])["offset"])
    assert 0 <= offset < len(content)
    done = api.send_chunk(started["upload_id"], offset, content[offset:])
    assert done["status"] == "created"
    assert done["media"]["checksum"] == "sha256:" + hashlib.sha256(content).hexdigest()


def test_upload_bytes_runs_the_whole_protocol(emulator: Any, api: GalleryApi) -> None:
    _cid, gid = new_gallery(api)
    content = b"\xff\xd8" + bytes(70_000) + b"\xff\xd9"
    key = str(uuid.uuid4())
    # The last chunk is stored but its answer is lost: the media exists, we do not know it.
    emulator.fault(method="PATCH", path=r"/uploads/", kind="lost_answer", skip=4, times=1)
    with pytest.raises(NetworkError) as e:
        api.upload_bytes(gid, upload_meta(content), key, content, chunk_size=16_384)
    assert e.value.maybe_committed
    assert len(emulator.state()["media"]) == 1
    # Re-running the same operation (same key) converges on that media.
    done = api.upload_bytes(gid, upload_meta(content), key, content, chunk_size=16_384)
    assert done["status"] == "created"
    again = api.upload_bytes(gid, upload_meta(content), key, content, chunk_size=16_384)
    assert int(again["media"]["id"]) == int(done["media"]["id"])
    assert len([m for m in emulator.state()["media"] if int(m["gallery_id"]) == gid]) == 1


def test_a_wrong_checksum_is_refused_when_the_last_byte_arrives(api: GalleryApi) -> None:
    _cid, gid = new_gallery(api)
    content = b"x" * 5000
    meta = upload_meta(content) | {"checksum": "sha256:" + "0" * 64}
    started = api.start_upload(gid, meta, str(uuid.uuid4()))
    with pytest.raises(ValidationFailed) as e:
        api.send_chunk(started["upload_id"], 0, content)
    assert e.value.code == "checksum_mismatch"
    assert int(api.upload_status(started["upload_id"])["offset"]) == 0


# -- every operation of the contract -------------------------------------------------------


def test_every_typed_helper_speaks_the_contract(emulator: Any, api: GalleryApi) -> None:
    cid = int(new_collection(api, "Every call")["id"])
    assert api.collection(cid)["name"] == "Every call"
    assert api.update_collection(cid, {"name": "Renamed", "description": "d"})["name"] == "Renamed"
    assert isinstance(api.collection_edit(cid), dict)
    api.put_client_access(
        cid,
        {
            "password": "secret",
            "expiry_date": None,
            "expiry_reminder_days": [7],
            "status": "published",
            "client_exclusive": False,
            "visitor_email_capture": True,
        },
    )
    api.put_download_settings(
        cid,
        {
            "downloadable": True,
            "sizes": ["original", "web_2048"],
            "pin": None,
            "limit_per_client": None,
            "watermarked": False,
            "single": True,
            "bulk": True,
        },
    )
    preset = {"text": "© Studio", "position": "bottom-right", "opacity": 0.5}
    answered = api.put_watermark(cid, preset)
    assert answered is not None and answered["text"] == "© Studio"
    assert api.put_watermark(cid, None) is None
    api.put_store(
        cid, {"enabled": False, "currency": "EUR", "minimum_order_cents": 0, "price_sheet": None}
    )
    gallery = api.create_gallery(cid, {"name": "Ceremony", "position": 1}, str(uuid.uuid4()))
    gid = int(gallery["id"])
    assert api.update_gallery(gid, {"private": True})["private"] is True
    assert [int(g["id"]) for g in api.galleries(cid)] == [gid]
    content = b"photo" * 1000
    media = api.upload_bytes(gid, upload_meta(content), str(uuid.uuid4()), content)["media"]
    assert int(api.gallery(gid, expand="photos")["id"]) == gid
    assert api.before_show(cid)["collection"]["id"] == cid
    assert isinstance(api.before_download_settings(cid)["downloadable"], bool)
    defaults = api.collection_defaults(api.bootstrap()["account"]["id"])
    assert defaults["download_settings"]["sizes"]
    for listing in (
        api.clients(cid),
        api.visitor_emails(cid),
        api.photo_downloads(cid),
        api.gallery_video_downloads(cid),
        api.downloads(cid),
        api.photo_sharing_links(cid),
        api.favorites(cid),
        api.starred(),
    ):
        assert all(isinstance(item, dict) for item in listing)

    api.delete_media(int(media["id"]))
    api.delete_media(int(media["id"]), missing_ok=True)
    api.delete_gallery(gid)
    with pytest.raises(NotFound):
        api.gallery(gid)
    api.delete_collection(cid)
    assert cid not in {int(c["id"]) for c in emulator.state()["collections"]}


# -- what never leaves the client ----------------------------------------------------------


def test_secrets_never_reach_the_logs_or_error_messages(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[RemoteError] = []
    with GalleryApi(emulator.base_url, timeout=10) as client:
        secrets = client.login(emulator.email, emulator.password)
        client.bootstrap()
        new_collection(client, "Logged")
        emulator.fault(method="GET", path=r"/data/bootstrap$", kind="cut", times=1)
        for call in (client.bootstrap, lambda: client.create_collection({"name": ""})):
            try:
                call()
            except RemoteError as e:
                errors.append(e)
        client.logout()
    assert len(errors) == 2
    text = caplog.text + "".join(f"{e} {e!r} {vars(e)}" for e in errors) + repr(client)
    for secret in (*secret_strings(secrets), emulator.password):
        assert secret not in text
    assert "/data/bootstrap" in caplog.text  # the client does log its requests


def test_what_goes_on_the_wire(recording_server: tuple[str, list[Recorded]]) -> None:
    """Headers as a server sees them: who we are, the session only as the cookie, the CSRF
    token only on writes, the idempotency key on POSTs, nothing secret on the sign-in."""
    url, seen = recording_server
    with GalleryApi(url, timeout=5) as client:
        secrets = client.login("me@example.com", "pw")
        client.get("/data/bootstrap")
        client.post("/collections", {"name": "x"}, idempotency_key="key-1")
        client.put("/collections/1", {"name": "y"})
        client.delete("/collections/1")
        client.login("me@example.com", "pw")
    login, read, post, put, delete, login_again = seen
    assert "cookie" not in login_again.headers  # nothing was collected from Set-Cookie
    for request in seen:
        assert request.headers["user-agent"] == USER_AGENT
        assert request.headers["user-agent"].startswith("gallery-desktop/")
        assert request.headers["accept"] == "application/json"
    assert "cookie" not in login.headers and "x-csrf-token" not in login.headers
    assert login.body == b'{"email":"me@example.com","password":"pw"}'
    for request in (read, post, put, delete):
        # Only the session cookie: the other cookie the server set is not kept or sent.
        assert request.headers["cookie"] == f"gd_session={secrets.cookie}"
    assert "x-csrf-token" not in read.headers
    for request in (post, put, delete):
        assert request.headers["x-csrf-token"] == secrets.csrf_token
    assert post.headers["idempotency-key"] == "key-1"
    assert "idempotency-key" not in put.headers
    assert [r.path for r in seen] == [
        "/api/v1/session",
        "/api/v1/data/bootstrap",
        "/api/v1/collections",
        "/api/v1/collections/1",
        "/api/v1/collections/1",
        "/api/v1/session",
    ]


# -- the address and TLS -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://galleries.pixieset.com/api/v1",
        "http://192.168.1.20:8765/api/v1",
        "http://127.0.0.2/api/v1",
        "http://localhost.example.com/api/v1",
    ],
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(BadServerUrl) as e:
        GalleryApi(url)
    assert "refusing plain http://" in str(e.value) and "https://" in str(e.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://galleries.example.com/api/v1",
        "galleries.example.com/api/v1",
        "https://user:pass@galleries.example.com/api/v1",
        "",
    ],
)
def test_unusable_addresses_are_refused(url: str) -> None:
    with pytest.raises(BadServerUrl):
        GalleryApi(url)


def test_https_and_loopback_http_are_accepted() -> None:
    for url in (
        "https://galleries.pixieset.com/api/v1",
        "http://127.0.0.1:8765/api/v1",
        "http://localhost:8765/api/v1/",
        "http://[::1]:8765/api/v1",
    ):
        assert str(check_base_url(url)).rstrip("/").endswith("/api/v1")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[Recorded]]]:
    """A plain HTTP server on loopback that records each request and answers like the
    contract (a sign-in sets the session cookie and one more cookie)."""
    seen: list[Recorded] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen.append(Recorded(self.command, self.path, headers, body))
            self.send_response(201 if self.command == "POST" else 200)
            if self.path.endswith("/session"):
                self.send_header("Set-Cookie", "gd_session=abc123; Path=/; HttpOnly")
                self.send_header("Set-Cookie", "tracking=xyz; Path=/")
                payload = b'{"data": {"user": {"id": 1}, "csrf_token": "tok456"}, "meta": {}}'
            else:
                self.send_header("Set-Cookie", "other=1; Path=/")
                payload = b'{"data": {"id": 1}, "meta": {}}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 (the stdlib's names)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A real HTTPS server on loopback whose certificate no authority signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": {}, "meta": {}}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/api/v1", requests
    finally:
        server.shutdown()
        server.server_close()


def test_an_unverifiable_certificate_is_refused(self_signed_https: tuple[str, list[str]]) -> None:
    url, requests = self_signed_https
    client = GalleryApi(url, SessionSecrets("cookie", "token"), timeout=5)
    with client, pytest.raises(NetworkError) as e:
        client.bootstrap()
    assert "certificate" in str(e.value)
    assert requests == []  # nothing, and so no cookie, reached the server


# -- Retry-After ---------------------------------------------------------------------------


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(" 1.5 ", now=now) == 1.5
    assert parse_retry_after("-3", now=now) == 0.0
    later = dt.datetime.fromtimestamp(now + 90, dt.UTC)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=now) == 90.0
    earlier = dt.datetime.fromtimestamp(now - 90, dt.UTC)
    assert parse_retry_after(format_datetime(earlier, usegmt=True), now=now) == 0.0
    for bad in (None, "", "soon", "nan"):
        assert parse_retry_after(bad, now=now) is None
