"""The people a collection is shared with, and what each may do: view, favourite, download.

The list is edited as a whole (the settings dialog, `settings … client`), checked first, and
written in the caller's transaction; the outbox triggers (migration 0006) send it on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import AccessLevel, utcnow
from gallery_desktop.errors import BadInputError

ACCESS_LEVELS: Final = tuple(a.value for a in AccessLevel)
# Someone who came by the link, pulled from the service: not on the photographer's list
# (never pushed, never listed here), kept for their name and activity.
GUEST: Final = "guest"
MAX_CLIENTS: Final = 500
# Deliberately loose: one @, a dot in the domain, no spaces. The service sends the mail.
# No control characters either (the service refuses them, and one bad address would block
# the whole settings push).
_EMAIL = re.compile(
    r"[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s.\x00-\x1f\x7f-\x9f]+"
)


@dataclass(frozen=True)
class ClientEntry:
    email: str
    name: str = ""
    access: str = AccessLevel.VIEW.value

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "access": self.access}


def check_entry(entry: ClientEntry) -> ClientEntry:
    """The entry cleaned (email lower-cased, spaces trimmed), or a clear error."""
    email = entry.email.strip().lower()
    name = " ".join(entry.name.split())
    access = entry.access.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise BadInputError(f"{entry.email.strip() or 'an empty address'!r} is not an email")
    if len(name) > 200:
        raise BadInputError(f"the name for {email} is longer than 200 characters")
    if access not in ACCESS_LEVELS:
        raise BadInputError(f"access {entry.access!r} for {email}: use {', '.join(ACCESS_LEVELS)}")
    return ClientEntry(email, name, access)


def check_entries(entries: Sequence[ClientEntry]) -> list[ClientEntry]:
    problems: list[str] = []
    cleaned: list[ClientEntry] = []
    seen: set[str] = set()
    for entry in entries:
        try:
            ok = check_entry(entry)
        except BadInputError as exc:
            problems.append(str(exc))
            continue
        if ok.email in seen:
            problems.append(f"{ok.email} is listed twice")
        seen.add(ok.email)
        cleaned.append(ok)
    if len(cleaned) > MAX_CLIENTS:
        problems.append(f"at most {MAX_CLIENTS} clients per collection")
    if problems:
        raise BadInputError("clients not saved: " + "; ".join(problems))
    return cleaned


def list_clients(catalog: Catalog, collection_id: int) -> list[ClientEntry]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT email, name, access_level FROM client WHERE collection_id = :c "
                "AND access_level != 'guest' ORDER BY lower(name) NULLS FIRST, email"
            ),
            {"c": collection_id},
        ).all()
    return [ClientEntry(r.email, r.name or "", r.access_level) for r in rows]


def replace_clients(conn: Connection, collection_id: int, entries: Sequence[ClientEntry]) -> None:
    """Make the collection's list exactly `entries` (checked), in the caller's transaction.
    Unchanged clients keep their row (and what was pulled for them: last visit, favourites);
    a guest who is listed becomes a client of the list (the same row)."""
    wanted = {e.email: e for e in check_entries(entries)}
    current = {
        str(r.email).lower(): r
        for r in conn.execute(
            text("SELECT id, email, name, access_level FROM client WHERE collection_id = :c"),
            {"c": collection_id},
        )
    }
    for email, gone in current.items():
        if email not in wanted and gone.access_level != GUEST:  # guests are not the list's
            conn.execute(text("DELETE FROM client WHERE id = :id"), {"id": gone.id})
    for email, entry in wanted.items():
        row = current.get(email)
        if row is None:
            conn.execute(
                text(
                    "INSERT INTO client (collection_id, email, name, access_level, created_at) "
                    "VALUES (:c, :e, :n, :a, :now)"
                ),
                {
                    "c": collection_id,
                    "e": email,
                    "n": entry.name,
                    "a": entry.access,
                    "now": utcnow().replace(tzinfo=None),
                },
            )
        elif (row.name or "", row.access_level) != (entry.name, entry.access):
            conn.execute(
                text("UPDATE client SET name = :n, access_level = :a WHERE id = :id"),
                {"n": entry.name, "a": entry.access, "id": row.id},
            )


def set_clients(catalog: Catalog, collection_id: int, entries: Sequence[ClientEntry]) -> None:
    with catalog.write_conn() as conn:
        replace_clients(conn, collection_id, entries)


def upsert_client(catalog: Catalog, collection_id: int, entry: ClientEntry) -> None:
    """Add a client, or change one's name and access."""
    entry = check_entry(entry)
    kept = [c for c in list_clients(catalog, collection_id) if c.email != entry.email]
    set_clients(catalog, collection_id, [*kept, entry])


def remove_client(catalog: Catalog, collection_id: int, email: str) -> None:
    email = email.strip().lower()
    current = list_clients(catalog, collection_id)
    if not any(c.email == email for c in current):
        raise BadInputError(f"{email} is not a client of this collection")
    set_clients(catalog, collection_id, [c for c in current if c.email != email])
