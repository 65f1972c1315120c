"""Culling and sorting: stars, picks, colour labels and the gallery of many photos at once,
with undo and redo."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, bindparam, insert, select, text, update

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import ColourLabel, FieldEdit, Media, Pick, utcnow
from gallery_desktop.catalog.seats import seat_of
from gallery_desktop.errors import BadInputError

MEDIA = Media.__table__  # type: ignore[attr-defined]
FIELDEDIT = FieldEdit.__table__  # type: ignore[attr-defined]
HISTORY_LIMIT: Final = 500

CullValue = int | str | None


def check_value(field_name: str, value: CullValue) -> CullValue:
    """The value, if it is one the field can hold; BadInputError saying what is allowed."""
    if field_name == "rating":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 5:
            return value
        raise BadInputError(f"a rating is 0 to 5 stars, not {value!r}")
    if field_name == "pick":
        if value is None or value in {p.value for p in Pick}:
            return value
        raise BadInputError(f"a pick is 'picked', 'rejected' or none, not {value!r}")
    if field_name == "label":
        if value is None or value in {c.value for c in ColourLabel}:
            return value
        colours = ", ".join(c.value for c in ColourLabel)
        raise BadInputError(f"a colour label is one of {colours} or none, not {value!r}")
    if field_name == "gallery_id":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise BadInputError(f"not a gallery: {value!r}")
    raise BadInputError(f"{field_name!r} is not something culling sets")


@dataclass(frozen=True)
class Edit:
    """One thing the photographer did: `field` set to `value` on some media, and what each
    had before (so it can be undone exactly, even when the values differed)."""

    field: str
    value: CullValue
    before: dict[int, CullValue]

    @property
    def media_ids(self) -> list[int]:
        return list(self.before)

    def describe(self) -> str:
        n = len(self.before)
        if self.field == "gallery_id":
            return f"{n} {'item' if n == 1 else 'items'} moved to another gallery"
        what = {
            "rating": f"{self.value} stars" if self.value else "no stars",
            "pick": {"picked": "picked", "rejected": "rejected"}.get(str(self.value), "unflagged"),
            "label": f"label {self.value}" if self.value else "no label",
        }[self.field]
        return f"{what} on {n} {'item' if n == 1 else 'items'}"


def _text(value: CullValue) -> str | None:
    return None if value is None else str(value)


def _write(
    catalog: Catalog, field_name: str, values: dict[int, CullValue], seat: str | None = None
) -> None:
    """Set one field of some media, and nothing else: a seat never writes back another seat's
    stale row, so edits of different fields all survive, and of the same field the last commit
    wins. Each change is recorded in `fieldedit` (in commit order) in the same transaction."""
    if not values:
        return
    now = utcnow()
    who = seat or seat_of(catalog)
    ids = sorted(values)
    catalog.write_retrying(lambda conn: _write_in(conn, field_name, values, ids, who, now))


def _write_in(
    conn: Connection,
    field_name: str,
    values: dict[int, CullValue],
    ids: list[int],
    who: str,
    now: datetime,
) -> None:
    # Lock the rows (PostgreSQL; SQLite's BEGIN IMMEDIATE already has the whole file) and
    # read what they hold now: a concurrent edit of this field commits before or after us.
    before = {
        r[0]: r[1]
        for r in conn.execute(
            select(MEDIA.c.id, MEDIA.c[field_name])
            .where(MEDIA.c.id.in_(ids))
            .order_by(MEDIA.c.id)
            .with_for_update()
        )
    }
    conn.execute(
        update(MEDIA)
        .where(MEDIA.c.id == bindparam("_id"))
        .values({field_name: bindparam("_value"), "updated_at": bindparam("_now")}),
        [{"_id": mid, "_value": values[mid], "_now": now} for mid in ids if mid in before],
    )
    rows = [
        {
            "media_id": mid,
            "field": field_name,
            "value": _text(values[mid]),
            "previous": _text(before[mid]),
            "seat": who,
            "edited_at": now,
        }
        for mid in ids
        if mid in before
    ]
    if rows:
        conn.execute(insert(FIELDEDIT), rows)


@dataclass(frozen=True)
class FieldEditRecord:
    """One recorded edit of one field of a photo: by which seat, when, from what to what."""

    id: int
    field: str
    value: str | None
    previous: str | None
    seat: str
    edited_at: datetime


def edit_history(
    catalog: Catalog, media_id: int, field_name: str | None = None
) -> list[FieldEditRecord]:
    """Every recorded culling edit of a photo (of one field, if given), in commit order: what
    the inspector shows as "who changed this"."""
    query = select(
        FIELDEDIT.c.id,
        FIELDEDIT.c.field,
        FIELDEDIT.c.value,
        FIELDEDIT.c.previous,
        FIELDEDIT.c.seat,
        FIELDEDIT.c.edited_at,
    ).where(FIELDEDIT.c.media_id == media_id)
    if field_name is not None:
        query = query.where(FIELDEDIT.c.field == field_name)
    with catalog.engine.connect() as conn:
        rows = conn.execute(query.order_by(FIELDEDIT.c.id)).all()
    return [FieldEditRecord(*r) for r in rows]


def set_field(
    catalog: Catalog, media_ids: Iterable[int], field_name: str, value: CullValue
) -> Edit:
    """Set one culling field on many media in one transaction; returns the Edit made."""
    value = check_value(field_name, value)
    ids = sorted(set(media_ids))
    if not ids:
        raise BadInputError("nothing selected")
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            MEDIA.select()
            .with_only_columns(MEDIA.c.id, MEDIA.c[field_name])
            .where(MEDIA.c.id.in_(ids))
        ).all()
    before: dict[int, CullValue] = {r[0]: r[1] for r in rows}
    if len(before) != len(ids):
        gone = sorted(set(ids) - set(before))
        raise BadInputError(f"no media with id {', '.join(map(str, gone[:5]))}")
    if field_name == "gallery_id":
        _check_same_collection(catalog, ids, int(value))  # type: ignore[arg-type]
    _write(catalog, field_name, dict.fromkeys(ids, value))
    return Edit(field_name, value, before)


def _check_same_collection(catalog: Catalog, ids: list[int], gallery_id: int) -> None:
    with catalog.engine.connect() as conn:
        target = conn.execute(
            text("SELECT collection_id FROM gallery WHERE id = :g"), {"g": gallery_id}
        ).first()
        if target is None:
            raise BadInputError(f"no gallery with id {gallery_id}")
        others = conn.execute(
            MEDIA.select()
            .with_only_columns(MEDIA.c.id)
            .where(MEDIA.c.id.in_(ids), MEDIA.c.collection_id != target[0])
        ).all()
    if others:
        raise BadInputError("photos can only move between galleries of their own collection")


def move_to_gallery(catalog: Catalog, media_ids: Iterable[int], gallery_id: int) -> Edit:
    return set_field(catalog, media_ids, "gallery_id", gallery_id)


def undo(catalog: Catalog, edit: Edit) -> None:
    _write(catalog, edit.field, edit.before)


def redo(catalog: Catalog, edit: Edit) -> None:
    _write(catalog, edit.field, dict.fromkeys(edit.before, edit.value))


@dataclass
class EditHistory:
    """Undo and redo for every culling edit of a session (most recent last)."""

    catalog: Catalog
    done: list[Edit] = field(default_factory=list)
    undone: list[Edit] = field(default_factory=list)

    def apply(self, media_ids: Iterable[int], field_name: str, value: CullValue) -> Edit:
        edit = set_field(self.catalog, media_ids, field_name, value)
        self.done.append(edit)
        del self.done[:-HISTORY_LIMIT]
        self.undone.clear()
        return edit

    def undo(self) -> Edit | None:
        if not self.done:
            return None
        edit = self.done.pop()
        undo(self.catalog, edit)
        self.undone.append(edit)
        return edit

    def redo(self) -> Edit | None:
        if not self.undone:
            return None
        edit = self.undone.pop()
        redo(self.catalog, edit)
        self.done.append(edit)
        return edit
