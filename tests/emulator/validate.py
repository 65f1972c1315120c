"""Errors in the contract's envelope, and the checks that turn bad input into 400/422 answers."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Final

from starlette.responses import JSONResponse, Response

MAX_ID: Final = 2**63 - 1
MAX_UPLOAD_SIZE: Final = 10 * 1024**3
CHECKSUM_RE: Final = re.compile(r"sha256:[0-9a-f]{64}")
DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?"
)
CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")
COLOUR_RE: Final = re.compile(r"#[0-9a-fA-F]{6}")
PIN_RE: Final = re.compile(r"\d{4}")
CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b-\x1f]")

ERROR_CODES: Final = {
    400: "bad_request",
    401: "session_expired",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation",
    429: "rate_limited",
}


def code_for(status: int) -> str:
    return ERROR_CODES.get(status, "server_error" if status >= 500 else "error")


class ApiError(Exception):
    """An error answer: `{"error": {code, message, fields?}, "meta"?}` with its status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or code_for(status)
        self.message = message
        self.fields = fields
        self.meta = meta
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        out: dict[str, Any] = {"error": error}
        if self.meta is not None:
            out["meta"] = self.meta
        return out

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def parse_id(raw: str, name: str) -> int:
    """A numeric id from the path: not a number is a 400; a number beyond any id is a 404."""
    if not raw.isascii() or not raw.isdigit():
        raise ApiError(400, f"{name} must be a number", fields={name: ["must be a number"]})
    value = int(raw)
    if value == 0 or value > MAX_ID:
        raise not_found(name.removesuffix("_id").replace("_", " "))
    return value


def query_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(
            400,
            f"{name} must be a whole number from {low} to {high}",
            fields={name: [f"must be a whole number from {low} to {high}"]},
        )
    return int(raw)


class Body:
    """Checks one JSON object field by field; `done()` raises a 422 listing every problem."""

    def __init__(
        self, body: Any, *, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> None:
        if not isinstance(body, dict):
            raise ApiError(
                422, "the body must be a JSON object", fields={"body": ["not an object"]}
            )
        self.body: dict[str, Any] = body
        self.errors: dict[str, list[str]] = {}
        self.clean: dict[str, Any] = {}
        for name in body:
            if name not in allowed:
                self.fail(name, "unknown field")
        for name in required:
            if name not in body:
                self.fail(name, "is required")

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def done(self) -> dict[str, Any]:
        if self.errors:
            names = ", ".join(sorted(self.errors))
            raise ApiError(422, f"invalid fields: {names}", fields=self.errors)
        return self.clean

    def _take(self, name: str, nullable: bool) -> tuple[bool, Any]:
        """(present and not null, value); a null where none is allowed is an error."""
        if name not in self.body:
            return False, None
        value = self.body[name]
        if value is None:
            if nullable:
                self.clean[name] = None
            else:
                self.fail(name, "must not be null")
            return False, None
        return True, value

    def text(
        self,
        name: str,
        *,
        max_len: int,
        nullable: bool = False,
        blank: bool = False,
        controls: bool = False,
    ) -> None:
        """A string; unless `blank`, not only spaces (and kept stripped); unless `controls`,
        without control characters other than tab and newline."""
        present, value = self._take(name, nullable)
        if not present:
            return
        if not isinstance(value, str):
            self.fail(name, "must be a string")
        elif not blank and not value.strip():
            self.fail(name, "must not be empty")
        elif len(value) > max_len:
            self.fail(name, f"must be at most {max_len} characters")
        elif not controls and CONTROL_RE.search(value):
            self.fail(name, "must not contain control characters (tab and newline are fine)")
        else:
            self.clean[name] = value.strip() if not blank else value

    def boolean(self, name: str) -> None:
        present, value = self._take(name, False)
        if present:
            if isinstance(value, bool):
                self.clean[name] = value
            else:
                self.fail(name, "must be true or false")

    def integer(self, name: str, low: int, high: int, *, nullable: bool = False) -> None:
        present, value = self._take(name, nullable)
        if not present:
            return
        whole = _whole(value)
        if whole is None:
            self.fail(name, "must be a whole number")
        elif not low <= whole <= high:
            self.fail(name, f"must be from {low} to {high}")
        else:
            self.clean[name] = whole

    def number(self, name: str, low: float, high: float) -> None:
        present, value = self._take(name, False)
        if not present:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(name, "must be a number")
        elif not (math.isfinite(value) and low <= value <= high):
            self.fail(name, f"must be from {low:g} to {high:g}")
        else:
            self.clean[name] = value

    def choice(self, name: str, options: tuple[str, ...], *, nullable: bool = False) -> None:
        present, value = self._take(name, nullable)
        if present:
            if value in options:
                self.clean[name] = value
            else:
                self.fail(name, f"must be one of: {', '.join(options)}")

    def pattern(
        self, name: str, regex: re.Pattern[str], what: str, *, nullable: bool = False
    ) -> None:
        present, value = self._take(name, nullable)
        if present:
            if isinstance(value, str) and regex.fullmatch(value):
                self.clean[name] = value
            else:
                self.fail(name, f"must be {what}")

    def date(self, name: str, *, nullable: bool = True) -> None:
        present, value = self._take(name, nullable)
        if not present:
            return
        try:
            if not (isinstance(value, str) and DATE_RE.fullmatch(value)):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            self.fail(name, "must be a real date as YYYY-MM-DD")
        else:
            self.clean[name] = value

    def datetime(self, name: str, *, nullable: bool = True) -> None:
        present, value = self._take(name, nullable)
        if not present:
            return
        try:
            if not (isinstance(value, str) and DATETIME_RE.fullmatch(value)):
                raise ValueError(value)
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(name, "must be a real date and time as YYYY-MM-DDTHH:MM:SS[.ffffff][offset]")
        else:
            self.clean[name] = value

    def choices(self, name: str, options: tuple[str, ...]) -> None:
        present, value = self._take(name, False)
        if not present:
            return
        if (
            not isinstance(value, list)
            or any(item not in options for item in value)
            or len(set(value)) != len(value)
        ):
            self.fail(name, f"must be a list of distinct values from: {', '.join(options)}")
        else:
            self.clean[name] = value

    def day_list(self, name: str) -> None:
        present, value = self._take(name, False)
        if not present:
            return
        days = [_whole(v) for v in value] if isinstance(value, list) else [None]
        if (
            len(days) > 5
            or any(d is None or not 1 <= d <= 365 for d in days)
            or len(set(days)) != len(days)
        ):
            self.fail(name, "must be up to 5 distinct whole numbers of days from 1 to 365")
        else:
            self.clean[name] = sorted((d for d in days if d is not None), reverse=True)


def _whole(value: Any) -> int | None:
    """A JSON integer (JSON Schema counts 3.0 as one too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
