"""Changing what clients may do with a collection, by name: `status=published`, `password=…`.

Every value is checked before anything is written; one bad key or value changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import SIZES
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.errors import BadInputError

_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"0", "false", "no", "off"}


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError("use on/off (or true/false, yes/no, 1/0)")


def _status(value: str) -> str:
    v = value.strip().lower()
    if v not in ("draft", "published", "hidden"):
        raise ValueError("use draft, published or hidden")
    return v


def _optional_text(value: str) -> str | None:
    v = value.strip()
    if len(v) > 100:
        raise ValueError("at most 100 characters")
    return v or None  # empty: off


def _date(value: str) -> str | None:
    v = value.strip()
    if not v:
        return None
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise ValueError("use a date like 2027-06-30 (or nothing to remove it)") from None


def _sizes(value: str) -> str:
    chosen = [s.strip().lower().replace("_", "") for s in value.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SIZES]
    if unknown:
        raise ValueError(f"unknown size(s) {', '.join(unknown)}; use {', '.join(SIZES)}")
    return json.dumps([s for s in SIZES if s in chosen])


def _pin(value: str) -> str | None:
    v = value.strip()
    if v and not re.fullmatch(r"\d{4}", v):
        raise ValueError("a download PIN is four digits (or nothing to remove it)")
    return v or None


def _positive_int(value: str) -> int | None:
    v = value.strip()
    if not v:
        return None
    if not v.isdigit() or not 1 <= int(v) <= 10_000:
        raise ValueError("a whole number from 1 to 10000 (or nothing to remove it)")
    return int(v)


def _reminder_days(value: str) -> int | None:
    v = value.strip()
    if not v:
        return None
    if not v.isdigit() or not 1 <= int(v) <= 365:
        raise ValueError("a number of days from 1 to 365 (or nothing for no reminder)")
    return int(v)


@dataclass(frozen=True)
class Setting:
    column: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: Final = {
    "status": Setting("status", _status, "draft | published | hidden"),
    "password": Setting("password", _optional_text, "the client password (empty: none)"),
    "expiry_date": Setting("expiry_date", _date, "YYYY-MM-DD (empty: never expires)"),
    "expiry_reminder_days": Setting(
        "expiry_reminder_days", _reminder_days, "days before expiry to remind clients (1-365)"
    ),
    "downloadable": Setting("downloadable", _bool, "on | off"),
    "download_sizes": Setting("download_sizes_json", _sizes, "comma list of " + ", ".join(SIZES)),
    "download_pin": Setting("download_pin", _pin, "four digits (empty: no PIN)"),
    "download_limit": Setting("download_limit", _positive_int, "downloads per client"),
    "watermarked_downloads": Setting("download_watermarked", _bool, "on | off"),
    "download_single": Setting("download_single", _bool, "on: single photos may be downloaded"),
    "download_bulk": Setting("download_bulk", _bool, "on: galleries may be downloaded as a zip"),
    "client_exclusive": Setting("client_exclusive", _bool, "on: only listed clients"),
    "visitor_email_capture": Setting("visitor_email_capture", _bool, "on | off"),
    "store": Setting("store_enabled", _bool, "on | off"),
}


def read_key_values(
    assignments: Sequence[str], settings: dict[str, Setting], what: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """KEY=VALUE strings → ({column: value}, problems): the caller may add its own problems
    and report them all together."""
    if not assignments:
        raise BadInputError("nothing to set: give KEY=VALUE pairs (see --help for the keys)")
    values: dict[str, Any] = {}
    problems: list[str] = []
    kind = f"{what} " if what else ""
    for item in assignments:
        key, eq, raw = item.partition("=")
        key = key.strip().lower()
        setting = settings.get(key)
        if not eq:
            problems.append(f"{item!r} is not KEY=VALUE")
        elif setting is None:
            problems.append(f"unknown {kind}setting {key!r} (known: {', '.join(settings)})")
        else:
            try:
                values[setting.column] = setting.parse(raw)
            except ValueError as exc:
                problems.append(f"{key}={raw!r}: {exc}")
    return values, problems


def parse_key_values(
    assignments: Sequence[str], settings: dict[str, Setting], what: str
) -> dict[str, Any]:
    """KEY=VALUE strings → {column: value}; every problem is reported together."""
    values, problems = read_key_values(assignments, settings, what)
    if problems:
        raise BadInputError("nothing changed: " + "; ".join(problems))
    return values


def parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    return parse_key_values(assignments, SETTINGS, "collection")


def apply_values(conn: Connection, collection_id: int, values: dict[str, Any]) -> None:
    """Write checked values ({column: value}) inside the caller's transaction."""
    if not values:
        return
    sets = ", ".join(f"{column} = :{column}" for column in values)
    found = conn.execute(
        text(
            f"UPDATE collection SET {sets}, updated_at = :now WHERE id = :c AND deleted_at IS NULL"
        ),
        {**values, "c": collection_id, "now": utcnow().replace(tzinfo=None)},
    )
    if not found.rowcount:
        raise BadInputError(f"no collection with id {collection_id}")


def apply_settings(catalog: Catalog, collection_id: int, assignments: Sequence[str]) -> None:
    values = parse_assignments(assignments)
    with catalog.write_conn() as conn:
        apply_values(conn, collection_id, values)


# -- a gallery's own choices: `inherit` (or nothing) follows the collection -------------------

_INHERIT: Final = object()


def _or_inherit(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_or_inherit(value: str) -> Any:
        if value.strip().lower() in ("", "inherit"):
            return _INHERIT
        return parse(value)

    return parse_or_inherit


def _override_sizes(value: str) -> list[str]:
    return list(json.loads(_sizes(value)))


GALLERY_SETTINGS: Final = {
    "private": Setting("private", _bool, "on: only clients with access see the gallery"),
    "downloadable": Setting(
        "downloadable", _or_inherit(_bool), "on | off | inherit (follow the collection)"
    ),
    "download_sizes": Setting(
        "sizes", _or_inherit(_override_sizes), "comma list of sizes | inherit"
    ),
    "watermarked_downloads": Setting("watermarked", _or_inherit(_bool), "on | off | inherit"),
}


def parse_gallery_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    return parse_key_values(assignments, GALLERY_SETTINGS, "gallery")


def gallery_override(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A gallery's download override after `values` (parsed, `private` left out)."""
    override = dict(current)
    for key, value in values.items():
        if key == "private":
            continue
        if value is _INHERIT:
            override.pop(key, None)
        else:
            override[key] = value
    return override


def apply_gallery_values(conn: Connection, gallery_id: int, values: dict[str, Any]) -> None:
    row = conn.execute(
        text("SELECT download_override_json FROM gallery WHERE id = :g AND deleted_at IS NULL"),
        {"g": gallery_id},
    ).first()
    if row is None:
        raise BadInputError(f"no gallery with id {gallery_id}")
    current = json.loads(row.download_override_json) if row.download_override_json else {}
    override = gallery_override(current, values)
    params: dict[str, Any] = {
        "g": gallery_id,
        "o": json.dumps(override, sort_keys=True) if override else None,
        "now": utcnow().replace(tzinfo=None),
    }
    private = ""
    if "private" in values:
        private, params["p"] = ", private = :p", values["private"]
    conn.execute(
        text(
            f"UPDATE gallery SET download_override_json = :o{private}, updated_at = :now "
            "WHERE id = :g"
        ),
        params,
    )


def apply_gallery_settings(
    catalog: Catalog, collection_id: int, gallery_id: int, assignments: Sequence[str]
) -> None:
    values = parse_gallery_assignments(assignments)
    with catalog.write_conn() as conn:
        owner = conn.execute(
            text("SELECT collection_id FROM gallery WHERE id = :g"), {"g": gallery_id}
        ).scalar()
        if owner != collection_id:
            raise BadInputError(f"gallery {gallery_id} is not in collection {collection_id}")
        apply_gallery_values(conn, gallery_id, values)
