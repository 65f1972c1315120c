"""Links to single photos a photographer hands out (a client's aunt, a magazine): made here,
with an optional expiry, revoked at any time. The service gives each its address when the
collection is published (the outbox sends them: migration 0006)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import bindparam, text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.errors import BadInputError


@dataclass(frozen=True)
class LinkInfo:
    id: int
    media_id: int
    file_name: str
    url: str | None  # null until the service made it
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active" if self.url else "waiting for sync"

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "media_id": self.media_id,
            "file": self.file_name,
            "url": self.url,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "expires_on": last_day(self.expires_at).isoformat() if self.expires_at else None,
            "state": self.state(now),
        }


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _end_of(day: date | None) -> datetime | None:
    """A link that expires on a day still works that whole day, in this computer's time zone
    (as collections do: `before_show` compares with the local date)."""
    if day is None:
        return None
    if day < date.today():
        raise BadInputError(f"{day.isoformat()} is in the past: choose a later expiry")
    local_end = datetime.combine(day, time(23, 59, 59)).astimezone()  # naive → local zone
    return local_end.astimezone(UTC)


def last_day(moment: datetime) -> date:
    """The local date a link's expiry time falls on (what the photographer chose)."""
    return moment.astimezone().date()


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def list_links(catalog: Catalog, collection_id: int) -> list[LinkInfo]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.id, l.media_id, m.path, l.url, l.expires_at, l.revoked_at, "
                "l.created_at FROM sharinglink l JOIN media m ON m.id = l.media_id "
                "WHERE m.collection_id = :c ORDER BY l.created_at DESC, l.id DESC"
            ),
            {"c": collection_id},
        ).all()
    return [
        LinkInfo(
            int(r.id),
            int(r.media_id),
            str(r.path).rsplit("/", 1)[-1],
            r.url,
            _aware(r.expires_at),
            _aware(r.revoked_at),
            _aware(r.created_at) or utcnow(),
        )
        for r in rows
    ]


def photos_among(catalog: Catalog, media_ids: Sequence[int]) -> list[int]:
    """The photos (not videos, not missing files) among `media_ids`, in their order."""
    if not media_ids:
        return []
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM media WHERE kind = 'photo' AND state = 'ok' AND id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(media_ids)},
        ).all()
    found = {int(r.id) for r in rows}
    return [m for m in media_ids if m in found]


def create_link(catalog: Catalog, media_id: int, expires_on: date | None = None) -> int:
    """A new link to one photo of the catalogue; its id."""
    expires = _end_of(expires_on)
    with catalog.write_conn() as conn:
        kind = conn.execute(
            text("SELECT kind FROM media WHERE id = :m AND state = 'ok'"), {"m": media_id}
        ).scalar()
        if kind is None:
            raise BadInputError("a sharing link needs a photo that is in the catalogue")
        if kind != "photo":
            raise BadInputError("sharing links are for photos, not videos")
        return int(
            conn.execute(
                text(
                    "INSERT INTO sharinglink (media_id, token, expires_at, created_at) "
                    "VALUES (:m, :t, :x, :now) RETURNING id"
                ),
                {
                    "m": media_id,
                    "t": secrets.token_urlsafe(16),
                    "x": _naive(expires),
                    "now": _naive(utcnow()),
                },
            ).scalar_one()
        )


def _update(catalog: Catalog, link_id: int, sets: str, params: dict[str, Any]) -> None:
    with catalog.write_conn() as conn:
        revoked = conn.execute(
            text("SELECT revoked_at FROM sharinglink WHERE id = :l"), {"l": link_id}
        ).first()
        if revoked is None:
            raise BadInputError(f"no sharing link with id {link_id}")
        if revoked.revoked_at is not None:
            raise BadInputError("that link is revoked; make a new one instead")
        conn.execute(text(f"UPDATE sharinglink SET {sets} WHERE id = :l"), {**params, "l": link_id})


def set_link_expiry(catalog: Catalog, link_id: int, expires_on: date | None) -> None:
    _update(catalog, link_id, "expires_at = :x", {"x": _naive(_end_of(expires_on))})


def revoke_link(catalog: Catalog, link_id: int) -> None:
    _update(catalog, link_id, "revoked_at = :r", {"r": _naive(utcnow())})
