"""Client favourites pulled from the remote: who chose what (with their notes), as badges,
filters and file-name lists."""

from __future__ import annotations

import os
import posixpath
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, bindparam, literal_column, text

from gallery_desktop.catalog.db import Catalog, joined, sql
from gallery_desktop.catalog.media import ANYONE, MediaFilter, MediaRecord, list_media

CHUNK = 900  # ids per query: under SQLite's parameter limit
_US = literal_column(":us", String())  # the notes' separator (char 31), bound as a parameter


@dataclass(frozen=True)
class FavouritesOf:
    email: str
    name: str
    lists: int
    photos: int


def who_favourited(catalog: Catalog, collection_id: int) -> list[FavouritesOf]:
    """The clients with favourites in a collection, most favourites first."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.email, coalesce(max(c.name), '') AS name, "
                "count(DISTINCT l.id) AS lists, count(DISTINCT f.media_id) AS photos "
                "FROM favoritelist l LEFT JOIN favorite f ON f.list_id = l.id "
                "LEFT JOIN client c ON c.id = l.client_id "
                "WHERE l.collection_id = :c AND l.email IS NOT NULL "
                "GROUP BY l.email ORDER BY photos DESC, l.email"
            ),
            {"c": collection_id},
        ).all()
    return [FavouritesOf(r.email, r.name, int(r.lists), int(r.photos)) for r in rows]


def favourite_file_names(
    catalog: Catalog, collection_id: int, email: str = ANYONE, *, with_extension: bool = False
) -> list[str]:
    """The favourites' file names, once each, in capture order: paste into Lightroom's or
    Capture One's text filter (stems match originals whatever their extension). `email` is a
    client's, or one of the smart choices (ANYONE, NOT_DOWNLOADED, BY_ALL_CLIENTS)."""
    names: list[str] = []
    for record in list_media(catalog, collection_id, where=MediaFilter(favourited_by=email)):
        name = posixpath.basename(record.path)
        name = name if with_extension else os.path.splitext(name)[0]
        if name not in names:
            names.append(name)
    return names


@dataclass(frozen=True)
class FavouriteMark:
    """One photo in one client's favourite list: who, which list, when, and their note."""

    media_id: int
    list_id: int
    email: str | None  # None: a visitor's list without an email
    name: str  # the client's name when the service told us, else ""
    list_name: str
    chosen_at: datetime | None
    note: str | None

    @property
    def who(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or "a visitor"

    @property
    def client_key(self) -> str:
        """Tells clients apart: their email, or the list itself for a visitor's."""
        return self.email or f"list {self.list_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "list": self.list_name,
            "chosen_at": self.chosen_at.isoformat() if self.chosen_at else None,
            "note": self.note,
        }


def client_count(marks: Sequence[FavouriteMark]) -> int:
    """How many clients favourited a photo (two lists of one client count once)."""
    return len({m.client_key for m in marks})


def _when(value: object) -> datetime | None:
    """A stored time (naive UTC text) as an aware UTC datetime."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def favourites_of(
    catalog: Catalog, media_ids: Sequence[int]
) -> dict[int, tuple[FavouriteMark, ...]]:
    """The favourites of these media, in the order they were chosen; media nobody favourited
    are left out. One query per CHUNK ids (the grid asks once per page of rows)."""
    found: dict[int, list[FavouriteMark]] = {}
    ids = list(media_ids)
    with catalog.engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = conn.execute(
                text(
                    "SELECT f.media_id, l.id, l.email, coalesce(c.name, ''), l.name, "
                    "f.chosen_at, f.note FROM favorite f JOIN favoritelist l ON l.id = f.list_id "
                    "LEFT JOIN client c ON c.id = l.client_id WHERE f.media_id IN :ids "
                    "ORDER BY f.chosen_at NULLS FIRST, l.email NULLS FIRST, f.id"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": chunk},
            ).all()
            for media_id, list_id, email, name, list_name, chosen_at, note in rows:
                found.setdefault(media_id, []).append(
                    FavouriteMark(
                        media_id=media_id,
                        list_id=list_id,
                        email=email,
                        name=name,
                        list_name=list_name or "Favourites",
                        chosen_at=_when(chosen_at),
                        note=note or None,
                    )
                )
    return {media_id: tuple(marks) for media_id, marks in found.items()}


def favourites_version(catalog: Catalog) -> tuple[int, ...]:
    """Changes whenever a pull adds, removes or replaces favourites, or edits a note. Content,
    not ids: a pull replaces a list's rows whole and SQLite may hand out the same ids again.
    Cheap enough to ask at every catalogue change (one pass over two small tables)."""
    with catalog.engine.connect() as conn:
        key = "(CAST(list_id AS DOUBLE PRECISION) * 1000003 + media_id)"  # floats: no overflow
        notes_joined = sql(conn, joined(literal_column("media_id || ':' || note"), _US))
        row = conn.execute(
            text(
                f"SELECT count(*), coalesce(sum({key}), 0), "
                f"coalesce(sum({key} * (media_id % 9973 + 1)), 0), {notes_joined} FROM favorite"
            ),
            {"us": "\x1f"},
        ).one()
        names_joined = sql(conn, joined(literal_column("id || ':' || coalesce(email, '')"), " "))
        lists = conn.execute(
            text(f"SELECT count(*), coalesce(sum(id), 0), {names_joined} FROM favoritelist")
        ).one()
    notes = zlib.crc32(str(row[3] or "").encode())
    names = zlib.crc32(str(lists[2] or "").encode())
    return (int(row[0]), int(row[1]), int(row[2]), notes, int(lists[0]), int(lists[1]), names)


@dataclass(frozen=True)
class FavouredMedia(MediaRecord):
    """A media record with its favourites, as the grid hands it to the inspector."""

    favourites: tuple[FavouriteMark, ...] = ()


def with_favourites(
    records: Sequence[MediaRecord], marks: dict[int, tuple[FavouriteMark, ...]]
) -> list[MediaRecord]:
    """The records, those with favourites as FavouredMedia (the others unchanged, no copy)."""
    return [
        FavouredMedia(**{**vars(r), "favourites": marks[r.id]}) if r.id in marks else r
        for r in records
    ]


def favourites_in(rec: MediaRecord) -> tuple[FavouriteMark, ...]:
    return rec.favourites if isinstance(rec, FavouredMedia) else ()


@dataclass(frozen=True)
class FavouritedPhoto:
    """A row of the favourites listing: a photo and every favourite of it."""

    record: MediaRecord
    favourites: tuple[FavouriteMark, ...]

    @property
    def clients(self) -> int:
        return client_count(self.favourites)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.record.id,
            "path": self.record.path,
            "gallery": self.record.gallery,
            "state": self.record.state,
            "clients": self.clients,
            "favourites": [m.as_dict() for m in self.favourites],
        }


def favourited_photos(
    catalog: Catalog, collection_id: int, who: str = ANYONE
) -> list[FavouritedPhoto]:
    """The photos a client (or one of the smart choices) favourited, in capture order, each
    with all of its favourites (who, which list, when, notes)."""
    records = list_media(catalog, collection_id, where=MediaFilter(favourited_by=who))
    marks = favourites_of(catalog, [r.id for r in records])
    return [FavouritedPhoto(r, marks.get(r.id, ())) for r in records]


def list_and_time(mark: FavouriteMark) -> str:
    """Which list, and when it was chosen (local time): "Favourites, 2026-02-01 10:00"."""
    when = mark.chosen_at.astimezone().strftime("%Y-%m-%d %H:%M") if mark.chosen_at else ""
    return ", ".join(p for p in (mark.list_name, when) if p)


def describe(mark: FavouriteMark) -> str:
    """One line for a tooltip or the CLI: who, which list, when, and the note."""
    note = f": “{mark.note}”" if mark.note else ""
    return f"{mark.who} ({list_and_time(mark)}){note}"
