"""The HTTP client of the Gallery API: the one adapter between the app and the remote service.

The contract is `docs/api/gallery-api.yaml` (summary: `docs/api/README.md`). Everything the
real service might spell differently (paths, the session cookie's name, header and paging
parameter names) is in `Endpoints`, so its real shapes can be dropped in there without touching
the rest of the app.

What this client guarantees
- TLS certificates are always verified; there is no switch to turn that off. Plain ``http://``
  is accepted only for this computer (127.0.0.1, localhost, ::1: the emulator); any other
  plain-http address is refused with `BadServerUrl`.
- Every request has connect/read/write/pool timeouts (`timeout` seconds each).
- Answers are unwrapped from the ``{data, meta}`` envelope; lists are walked page by page.
- Every failure is a `RemoteError` with a message for the user and `retryable`/`retry_after`
  for the sync engine (see `remote/errors.py`). The client itself never retries: a caller that
  retries a POST passes the same `idempotency_key` so the server replays its first answer.
- The session cookie, the CSRF token and the password are never logged, and never part of an
  error message or a repr. (httpcore's debug lines print raw headers, Set-Cookie included:
  its logger is held at WARNING; httpx's request lines, URLs only, are left to INFO-level
  noise control.)
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final, Literal

import httpx

from gallery_desktop import __version__
from gallery_desktop.remote.credentials import SessionSecrets
from gallery_desktop.remote.endpoints import DEFAULT_ENDPOINTS, Endpoints, Id
from gallery_desktop.remote.errors import (
    SERVICE,
    BadServerUrl,
    LoginFailed,
    NotFound,
    NotSignedIn,
    OffsetConflict,
    SessionExpired,
    UnexpectedAnswer,
    error_for_response,
    network_error,
    server_error_fields,
)

log = logging.getLogger(__name__)

# httpcore's debug lines print raw headers (the session's Set-Cookie among them): never on.
logging.getLogger("httpcore").setLevel(logging.WARNING)
# httpx says "HTTP Request: GET <url> 200" at INFO for every call; our own DEBUG line suffices.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)

JSON = dict[str, Any]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

REAL_BASE_URL: Final = "https://galleries.pixieset.com/api/v1"
USER_AGENT: Final = f"gallery-desktop/{__version__}"
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_base_url(base_url: str) -> httpx.URL:
    """The base URL if it is safe to send a session to; `BadServerUrl` (with why) if not."""
    text = base_url.strip()
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise BadServerUrl(f"{text!r} is not a web address (https://…)") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise BadServerUrl(f"{text!r} is not a web address (https://…)")
    if url.userinfo:
        raise BadServerUrl("the server address must not contain a user name or password")
    if url.query or url.fragment:
        raise BadServerUrl("the server address must not contain a query (?…) or fragment (#…)")
    if url.scheme == "http" and url.host not in LOOPBACK_HOSTS:
        raise BadServerUrl(
            f"refusing plain http:// to {url.host}: the session would travel unencrypted; use "
            "https:// (plain http is only accepted for this computer: 127.0.0.1, localhost, ::1)"
        )
    return url.copy_with(path=url.path.rstrip("/") or "/")


class GalleryApi:
    """A signed-in (or signing-in) connection to one gallery service.

    `secrets` are the saved session (from `CredentialStore`), or None until `login`.
    `transport` is for tests and connection tuning only; the client never builds one that
    skips certificate checks. Use as a context manager, or call `close()`.
    """

    def __init__(
        self,
        base_url: str,
        secrets: SessionSecrets | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        endpoints: Endpoints = DEFAULT_ENDPOINTS,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.base_url: Final = str(check_base_url(base_url))
        self.endpoints: Final = endpoints
        self.timeout: Final = float(timeout)
        self._secrets = secrets
        #: The signed-in user as the sign-in answer described it (None before `login`).
        self.user: JSON | None = None
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout),
            verify=True,
            follow_redirects=False,
            transport=transport,
            # The session lives in `secrets`; a jar that refuses every cookie keeps httpx
            # from collecting (and later sending) whatever else a server sets.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "X-Requested-With": "XMLHttpRequest",
            },
        )

    def __repr__(self) -> str:
        state = "signed in" if self._secrets else "signed out"
        return f"GalleryApi({self.base_url!r}, {state})"

    # -- lifetime and session ------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GalleryApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def secrets(self) -> SessionSecrets | None:
        return self._secrets

    @secrets.setter
    def secrets(self, value: SessionSecrets | None) -> None:
        self._secrets = value

    @property
    def signed_in(self) -> bool:
        return self._secrets is not None

    def login(self, email: str, password: str) -> SessionSecrets:
        """Sign in; the session is then used by every call and returned to be kept."""
        response = self._send(
            "POST", self.endpoints.session, json={"email": email, "password": password}, auth=False
        )
        if response.status_code in (401, 403):
            raise LoginFailed(server_error_fields(response)[1] or None)
        data = _object(self._unwrap(response)[0])
        csrf = data.get("csrf_token")
        cookie = _cookie_from(response, self.endpoints.session_cookie)
        if not isinstance(csrf, str) or not csrf or not cookie:
            raise UnexpectedAnswer(f"{SERVICE} signed in but sent no session: cannot continue")
        user = data.get("user")
        self.user = dict(user) if isinstance(user, Mapping) else None
        self._secrets = SessionSecrets(cookie=cookie, csrf_token=csrf)
        log.info("signed in to %s", self.base_url)
        return self._secrets

    def logout(self) -> None:
        """Sign out on the server (an already expired session is fine) and forget the session."""
        if self._secrets is None:
            return
        try:
            self._call("DELETE", self.endpoints.session)
        except SessionExpired:
            pass
        finally:
            self._secrets = None
            self.user = None
        log.info("signed out of %s", self.base_url)

    # -- generic calls -------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params)[0]

    def post(self, path: str, json: Any = None, idempotency_key: str | None = None) -> Any:
        return self._call("POST", path, json=json, idempotency_key=idempotency_key)[0]

    def put(self, path: str, json: Any = None) -> Any:
        return self._call("PUT", path, json=json)[0]

    def delete(self, path: str, *, missing_ok: bool = False) -> Any:
        """DELETE; with `missing_ok`, an object already gone (404) counts as deleted."""
        try:
            return self._call("DELETE", path)[0]
        except NotFound:
            if missing_ok:
                return None
            raise

    def page(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[list[JSON], JSON]:
        """One page of a list: its items and the page `meta`."""
        query = dict(params or {})
        query[self.endpoints.page_param] = page
        query[self.endpoints.per_page_param] = max(1, min(per_page, self.endpoints.max_per_page))
        data, meta = self._call("GET", path, params=query)
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise UnexpectedAnswer(f"{SERVICE} sent a list this app does not understand")
        return data, meta

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, per_page: int = 200
    ) -> Iterator[JSON]:
        """Every item of a paged list, fetching page after page as the iteration goes."""
        number = 1
        while True:
            items, meta = self.page(path, params, page=number, per_page=per_page)
            yield from items
            last = _last_page(meta)
            if not items or (last is not None and number >= last):
                return
            if last is None and len(items) < _int(meta.get("per_page"), per_page):
                return  # no page count given: a short page is the last one
            number += 1

    # -- reads ---------------------------------------------------------------------------------

    def bootstrap(self) -> JSON:
        """Account, user, custom URL and workspace."""
        return _object(self.get(self.endpoints.bootstrap))

    def dashboard_listings(self, per_page: int = 200) -> Iterator[JSON]:
        """The photographer's collections."""
        return self.pages(self.endpoints.dashboard_listings, per_page=per_page)

    def collection(self, collection_id: Id, *, expand: str | None = None) -> JSON:
        params = {"expand": expand} if expand else None
        return _object(self.get(self._p("collection", collection_id), params))

    def collection_edit(self, collection_id: Id) -> JSON:
        return _object(self.get(self._p("collection_edit", collection_id)))

    def galleries(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("collection_galleries", collection_id), per_page=per_page)

    def gallery(self, gallery_id: Id, *, expand: str | None = None) -> JSON:
        params = {"expand": expand} if expand else None
        return _object(self.get(self._p("gallery", gallery_id), params))

    def gallery_media(self, gallery_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("gallery_media", gallery_id), per_page=per_page)

    def before_show(self, collection_id: Id) -> JSON:
        return _object(self.get(self._p("before_show", collection_id)))

    def before_download_settings(self, collection_id: Id) -> JSON:
        return _object(self.get(self._p("before_download_settings", collection_id)))

    def collection_defaults(self, account_id: Id) -> JSON:
        """What a new collection starts with (`account_id`: bootstrap's `account.id`)."""
        return _object(self.get(self._p("collection_defaults", account_id)))

    def clients(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("clients", collection_id), per_page=per_page)

    def visitor_emails(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("visitor_emails", collection_id), per_page=per_page)

    def photo_downloads(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("photo_downloads", collection_id), per_page=per_page)

    def gallery_video_downloads(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("gallery_video_downloads", collection_id), per_page=per_page)

    def downloads(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("downloads", collection_id), per_page=per_page)

    def photo_sharing_links(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self._p("photo_sharing_links", collection_id), per_page=per_page)

    def favorites(self, collection_id: Id, per_page: int = 200) -> Iterator[JSON]:
        """Client favourite lists: who, when, and the items."""
        return self.pages(self._p("favorites", collection_id), per_page=per_page)

    def starred(self, per_page: int = 200) -> Iterator[JSON]:
        return self.pages(self.endpoints.starred, per_page=per_page)

    # -- writes --------------------------------------------------------------------------------

    def create_collection(
        self, fields: Mapping[str, Any], idempotency_key: str | None = None
    ) -> JSON:
        """POST a collection. Pass the same key when retrying; None makes a fresh one."""
        return _object(self.post(self.endpoints.collections, dict(fields), _key(idempotency_key)))

    def update_collection(self, collection_id: Id, fields: Mapping[str, Any]) -> JSON:
        return _object(self.put(self._p("collection", collection_id), dict(fields)))

    def delete_collection(self, collection_id: Id, *, missing_ok: bool = False) -> None:
        self.delete(self._p("collection", collection_id), missing_ok=missing_ok)

    def put_client_access(self, collection_id: Id, settings: Mapping[str, Any]) -> JSON:
        return _object(self.put(self._p("client_access", collection_id), dict(settings)))

    def put_download_settings(self, collection_id: Id, settings: Mapping[str, Any]) -> JSON:
        return _object(self.put(self._p("download_settings", collection_id), dict(settings)))

    def put_watermark(self, collection_id: Id, preset: Mapping[str, Any] | None) -> JSON | None:
        """The collection's watermark preset, or None for no watermark; answers the preset."""
        body = None if preset is None else dict(preset)
        answer = self.put(self._p("watermark", collection_id), body)
        return None if answer is None else _object(answer)

    def put_store(self, collection_id: Id, settings: Mapping[str, Any]) -> JSON:
        return _object(self.put(self._p("store", collection_id), dict(settings)))

    def create_gallery(
        self, collection_id: Id, fields: Mapping[str, Any], idempotency_key: str | None = None
    ) -> JSON:
        path = self._p("collection_galleries", collection_id)
        return _object(self.post(path, dict(fields), _key(idempotency_key)))

    def update_gallery(self, gallery_id: Id, fields: Mapping[str, Any]) -> JSON:
        return _object(self.put(self._p("gallery", gallery_id), dict(fields)))

    def delete_gallery(self, gallery_id: Id, *, missing_ok: bool = False) -> None:
        self.delete(self._p("gallery", gallery_id), missing_ok=missing_ok)

    def delete_media(self, media_id: Id, *, missing_ok: bool = False) -> None:
        self.delete(self._p("media", media_id), missing_ok=missing_ok)

    # -- upload: idempotent and resumable ------------------------------------------------------

    def start_upload(self, gallery_id: Id, meta: Mapping[str, Any], key: str) -> JSON:
        """Announce a file: `{status: "pending", upload_id, offset, size}` (send it), or
        `{status: "duplicate", media}` (the gallery has it already: nothing to send).

        `meta`: `{filename, size, checksum: "sha256:<hex>", kind, client_ref, ...}`; `key` is
        the upload's idempotency key, the same on every retry."""
        if not key:
            raise ValueError("an upload needs its idempotency key")
        answer = _object(self.post(self._p("gallery_uploads", gallery_id), dict(meta), key))
        if answer.get("status") not in ("pending", "duplicate", "created"):
            raise UnexpectedAnswer(f"{SERVICE} answered an upload with an unknown status")
        return answer

    def upload_status(self, upload_id: Id) -> JSON:
        """`{upload_id, offset, size, status}`: how many bytes the server holds."""
        return _object(self.get(self._p("upload", upload_id)))

    def send_chunk(self, upload_id: Id, offset: int, data: bytes | bytearray | memoryview) -> JSON:
        """Send bytes from `offset`: `{status: "pending", offset}` (more to send) or
        `{status: "created", media}`. `OffsetConflict(offset)` when the server holds another
        offset (continue from `err.offset`); `ValidationFailed` with code `checksum_mismatch`
        when the whole file arrived but its checksum is wrong (start again at 0)."""
        if offset < 0:
            raise ValueError("an upload offset is never negative")
        headers = {
            self.endpoints.upload_offset_header: str(offset),
            "Content-Type": self.endpoints.upload_content_type,
        }
        data, _ = self._call(
            "PATCH", self._p("upload", upload_id), content=bytes(data), headers=headers
        )
        return _object(data)

    def upload_bytes(
        self,
        gallery_id: Id,
        meta: Mapping[str, Any],
        key: str,
        content: bytes,
        *,
        chunk_size: int = 8 * 1024 * 1024,
    ) -> JSON:
        """The whole protocol for one file in memory: start (or find the duplicate), then send
        the chunks, resuming from the server's offset. The final answer: `status` `created` or
        `duplicate`, with `media`."""
        answer = self.start_upload(gallery_id, meta, key)
        if answer.get("status") != "pending":
            return answer
        upload_id = answer["upload_id"]
        offset = _int(answer.get("offset"), 0)
        conflicts = 0
        while True:
            try:
                answer = self.send_chunk(upload_id, offset, content[offset : offset + chunk_size])
            except OffsetConflict as e:
                conflicts += 1
                if conflicts > 3:
                    raise
                offset = e.offset
                if offset >= len(content):  # all there already: ask how it ended
                    status = self.upload_status(upload_id)
                    if status.get("status") != "pending":
                        return status
                continue
            if answer.get("status") != "pending":
                return answer
            offset = _int(answer.get("offset"), offset)

    # -- the plumbing --------------------------------------------------------------------------

    def _p(self, name: str, ident: Id) -> str:
        template = getattr(self.endpoints, name)
        assert isinstance(template, str)
        return self.endpoints.path(template, ident)

    def _call(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Any, JSON]:
        """One authenticated request: the answer's `data` and `meta`, or a RemoteError."""
        response = self._send(
            method,
            path,
            params=params,
            json=json,
            content=content,
            headers=headers,
            idempotency_key=idempotency_key,
        )
        return self._unwrap(response)

    def _send(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        send_headers = dict(headers or {})
        if auth:
            secrets = self._secrets
            if secrets is None:
                raise NotSignedIn()
            send_headers["Cookie"] = f"{self.endpoints.session_cookie}={secrets.cookie}"
            if method in WRITE_METHODS:
                send_headers[self.endpoints.csrf_header] = secrets.csrf_token
        if idempotency_key:
            send_headers[self.endpoints.idempotency_header] = idempotency_key
        started = time.monotonic()
        try:
            response = self._client.request(
                method,
                path,
                params=dict(params) if params else None,
                json=json,
                content=content,
                headers=send_headers,
            )
        except httpx.TransportError as e:
            log.info("%s %s failed: %s", method, path, type(e).__name__)
            raise network_error(e, write=method in WRITE_METHODS) from e
        except httpx.HTTPError as e:  # decoding, redirects and the like
            raise UnexpectedAnswer(f"{SERVICE} sent an unreadable answer") from e
        log.debug(
            "%s %s -> %d (%.0f ms)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _unwrap(self, response: httpx.Response) -> tuple[Any, JSON]:
        status = response.status_code
        if not 200 <= status < 300:
            raise error_for_response(response)
        if status == 204 or not response.content:
            return None, {}
        try:
            body = response.json()
        except ValueError:
            raise UnexpectedAnswer(f"{SERVICE} sent an answer that is not JSON") from None
        if not isinstance(body, dict) or "data" not in body:
            raise UnexpectedAnswer(f"{SERVICE} sent an answer this app does not understand")
        meta = body.get("meta")
        return body["data"], dict(meta) if isinstance(meta, dict) else {}


# -- helpers -----------------------------------------------------------------------------------


def _key(idempotency_key: str | None) -> str:
    return idempotency_key or str(uuid.uuid4())


def _object(data: Any) -> JSON:
    if not isinstance(data, dict):
        raise UnexpectedAnswer(f"{SERVICE} sent an answer this app does not understand")
    return data


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _last_page(meta: Mapping[str, Any]) -> int | None:
    for name in ("total_pages", "last_page"):
        value = meta.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    total, per_page = meta.get("total"), meta.get("per_page")
    if isinstance(total, int) and isinstance(per_page, int) and per_page > 0:
        return -(-total // per_page)
    return None


def _cookie_from(response: httpx.Response, name: str) -> str | None:
    """The value the answer's Set-Cookie headers give `name` (no cookie-jar policy involved)."""
    found: str | None = None
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if name in jar and jar[name].value:
            found = jar[name].value
    return found
