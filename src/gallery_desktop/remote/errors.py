"""What can go wrong when talking to the gallery service, in words the user can read.

Every failure of the remote client is a `RemoteError` (a `UserFacingError`: shown as a message,
never as a crash report). Each one says whether trying again later can help (`retryable`) and,
when the server said so, how long to wait first (`retry_after`, seconds), so the sync engine can
back off without knowing HTTP:

| what happened                                | error              | retryable |
|----------------------------------------------|--------------------|-----------|
| 401: no session, or it expired               | `SessionExpired`   | no        |
| 401 on sign-in: wrong email or password      | `LoginFailed`      | no        |
| 403: not allowed, or a write without CSRF    | `Forbidden`        | no        |
| 404                                          | `NotFound`         | no        |
| 409 (an upload offset mismatch: `OffsetConflict`) | `Conflict`    | no (offset: yes) |
| 422 (with `fields`)                          | `ValidationFailed` | no        |
| 408                                          | `RemoteError`      | yes       |
| 429 (with `Retry-After`)                     | `RateLimited`      | yes       |
| 5xx (503 may carry `Retry-After`)            | `ServerError`      | yes (not 501/505) |
| refused, reset, timed out, cut               | `NetworkError`     | yes       |
| any other 4xx                                | `RemoteError`      | no        |
| a 2xx answer that is not the contract's JSON | `UnexpectedAnswer` | no        |

No message or attribute here ever holds a cookie, a CSRF token or a password.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any, ClassVar, Final

import httpx

from gallery_desktop.errors import UserFacingError

SERVICE: Final = "the gallery service"
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
_MAX_SERVER_TEXT: Final = 300


class RemoteError(UserFacingError):
    """The gallery service could not do what was asked; `str(err)` says why, for the user."""

    #: Whether the same request may succeed later (the sync engine backs off and retries).
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The HTTP status, when there was an answer.
        self.status = status
        #: The contract's machine-readable `error.code` (`validation`, `checksum_mismatch`, …).
        self.code = code
        self.retryable = self.default_retryable if retryable is None else retryable
        #: Seconds the server asked us to wait before trying again (None: not said).
        self.retry_after = retry_after


class BadServerUrl(RemoteError):  # noqa: N818 (the contract's names)
    """The server address cannot be used (not https, or not a URL at all)."""


class SessionExpired(RemoteError):  # noqa: N818 (the contract's names)
    """401: the session cookie is missing, unknown or expired."""

    MESSAGE: ClassVar[str] = f"your session with {SERVICE} has expired: sign in again"

    def __init__(self, message: str | None = None, *, status: int | None = 401) -> None:
        super().__init__(message or self.MESSAGE, status=status, code="session_expired")


class NotSignedIn(SessionExpired):
    """No session at all: the account was never signed in here (or signed out)."""

    MESSAGE: ClassVar[str] = f"you are not signed in to {SERVICE}: sign in first"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE, status=None)


class LoginFailed(RemoteError):  # noqa: N818 (the contract's names)
    """Sign-in refused: the email or the password is wrong."""

    def __init__(self, detail: str | None = None) -> None:
        message = f"{SERVICE} did not accept this email and password"
        super().__init__(f"{message} ({detail})" if detail else message, status=401)


class Forbidden(RemoteError):  # noqa: N818 (the contract's names)
    """403: signed in, but not allowed (or a write without the right CSRF token)."""


class NotFound(RemoteError):  # noqa: N818 (the contract's names)
    """404: the object is not (or no longer) on the server."""


class ValidationFailed(RemoteError):  # noqa: N818 (the contract's names)
    """422: the server refused the data; `fields` maps each field to what is wrong with it."""

    def __init__(
        self, message: str, fields: Mapping[str, list[str]] | None = None, *, code: str | None
    ) -> None:
        super().__init__(message, status=422, code=code)
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}


class Conflict(RemoteError):  # noqa: N818 (the contract's names)
    """409: the request clashes with the server's state."""


class OffsetConflict(Conflict):
    """409 on an upload chunk: the server holds `offset` bytes; continue from there."""

    default_retryable = True

    def __init__(self, offset: int) -> None:
        super().__init__(
            f"{SERVICE} has {offset} bytes of this upload: continue from there",
            status=409,
            code="conflict",
        )
        self.offset = offset


class RateLimited(RemoteError):  # noqa: N818 (the contract's names)
    """429: too many requests; wait `retry_after` seconds (when said) and try again."""

    default_retryable = True

    def __init__(self, retry_after: float | None, *, message: str | None = None) -> None:
        wait = f"; try again in {_seconds(retry_after)}" if retry_after is not None else ""
        super().__init__(
            message or f"{SERVICE} is receiving too many requests{wait}",
            status=429,
            code="rate_limited",
            retry_after=retry_after,
        )


class ServerError(RemoteError):
    """5xx: the service has a problem of its own; usually worth trying again later."""

    default_retryable = True

    def __init__(
        self,
        retry_after: float | None = None,
        *,
        status: int = 500,
        message: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        wait = f"; try again in {_seconds(retry_after)}" if retry_after is not None else ""
        super().__init__(
            message or f"{SERVICE} has a problem (HTTP {status}){wait}",
            status=status,
            code="server_error",
            retryable=retryable,
            retry_after=retry_after,
        )


class NetworkError(RemoteError):
    """No answer: refused, reset, timed out or cut. Always worth trying again.

    `maybe_committed` is true when the request may have reached the server before the answer
    was lost (a write retried then needs its idempotency key to stay single)."""

    default_retryable = True

    def __init__(self, reason: str, *, maybe_committed: bool = False) -> None:
        super().__init__(f"cannot reach {SERVICE} ({reason})")
        self.reason = reason
        self.maybe_committed = maybe_committed


class UnexpectedAnswer(RemoteError):  # noqa: N818 (the contract's names)
    """A 2xx (or error) answer that is not the contract's JSON envelope."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP-date; None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _seconds(value: float) -> str:
    if value < 1:
        return "a moment"
    if value < 120:
        return f"{round(value)} s"
    return f"{round(value / 60)} min"


# -- from HTTP to these errors ------------------------------------------------------------


def _clean(text: Any) -> str:
    """Server-sent text made safe to show: one line, no control characters, bounded."""
    if not isinstance(text, str):
        return ""
    line: str = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= _MAX_SERVER_TEXT else line[: _MAX_SERVER_TEXT - 1] + "…"


def server_error_fields(
    response: httpx.Response,
) -> tuple[str | None, str, dict[str, list[str]], dict[str, Any]]:
    """The contract's error body: (code, message, fields, meta); empty when absent."""
    try:
        body = response.json()
    except ValueError:
        return None, "", {}, {}
    if not isinstance(body, dict):
        return None, "", {}, {}
    error = body.get("error")
    meta = body.get("meta")
    meta = dict(meta) if isinstance(meta, dict) else {}
    if not isinstance(error, dict):
        return None, "", {}, meta
    code = error.get("code") if isinstance(error.get("code"), str) else None
    fields: dict[str, list[str]] = {}
    raw_fields = error.get("fields")
    if isinstance(raw_fields, dict):
        for name, problems in raw_fields.items():
            items = problems if isinstance(problems, list) else [problems]
            fields[_clean(str(name))] = [_clean(str(p)) for p in items]
    return code, _clean(error.get("message")), fields, meta


def error_for_response(response: httpx.Response) -> RemoteError:
    status = response.status_code
    code, message, fields, meta = server_error_fields(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    said = f": {message}" if message else ""
    if status == 401:
        return SessionExpired()
    if status == 403:
        if code == "csrf":
            return Forbidden(
                f"{SERVICE} refused a change: the session's security token is missing or "
                "wrong; sign in again",
                status=403,
                code=code,
            )
        return Forbidden(f"{SERVICE} does not allow this{said}", status=403, code=code)
    if status == 404:
        return NotFound(f"not found on {SERVICE}{said}", status=404, code=code)
    if status == 409:
        offset = meta.get("offset")
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return OffsetConflict(offset)
        return Conflict(f"{SERVICE} refused a conflicting change{said}", status=409, code=code)
    if status == 422:
        if fields:
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        else:
            detail = message or "invalid data"
        return ValidationFailed(f"{SERVICE} refused the data ({detail})", fields, code=code)
    if status == 429:
        return RateLimited(retry_after)
    if status == 408:
        return RemoteError(
            f"{SERVICE} timed out waiting for the request", status=408, code=code, retryable=True
        )
    if 500 <= status <= 599:
        return ServerError(retry_after, status=status, retryable=status not in (501, 505))
    if 300 <= status <= 399:
        return UnexpectedAnswer(
            f"{SERVICE} answered with a redirect (HTTP {status})", status=status
        )
    if 400 <= status <= 499:
        return RemoteError(
            f"{SERVICE} refused the request (HTTP {status}){said}", status=status, code=code
        )
    return UnexpectedAnswer(f"{SERVICE} sent an unexpected answer (HTTP {status})", status=status)


def network_error(error: httpx.TransportError, *, write: bool) -> NetworkError:
    """Why no answer came, in words; and whether a write may have been done anyway."""
    text = str(error).lower()
    before_sending = isinstance(
        error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )
    if isinstance(error, httpx.ConnectTimeout):
        reason = "connecting timed out"
    elif isinstance(error, httpx.ReadTimeout):
        reason = "no answer in time"
    elif isinstance(error, httpx.WriteTimeout):
        reason = "sending timed out"
    elif isinstance(error, httpx.PoolTimeout):
        reason = "no free connection in time"
    elif isinstance(error, httpx.ConnectError):
        if "certificate" in text or "ssl" in text or "tls" in text:
            reason = "its security certificate could not be verified"
        elif "refused" in text:
            reason = "connection refused"
        elif "name" in text or "resolution" in text or "getaddrinfo" in text:
            reason = "server name not found"
        elif "unreachable" in text:
            reason = "network unreachable"
        else:
            reason = "cannot connect"
    elif isinstance(error, httpx.RemoteProtocolError):
        reason = "connection cut before the answer"
    elif isinstance(error, httpx.ReadError):
        reason = "connection reset" if "reset" in text else "connection lost while receiving"
    elif isinstance(error, httpx.WriteError):
        reason = "connection reset" if "reset" in text else "connection lost while sending"
    elif isinstance(error, httpx.ProxyError):
        reason = "the proxy failed"
    else:
        reason = "network error"
    return NetworkError(reason, maybe_committed=write and not before_sending)
