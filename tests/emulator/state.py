"""The emulator's persistent state: one SQLite file plus the uploaded bytes, in a state folder.

Everything survives a restart (sessions, idempotency keys, half-finished uploads). All access
happens on the server's event-loop thread; a handler's work is one transaction.
"""

from __future__ import annotations

import json
import random
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from emulator.schema import ADDED_COLUMNS, SCHEMA, TABLES

EMAIL: Final = "photographer@example.com"
PASSWORD: Final = "emulator"
DEFAULT_SESSION_TTL: Final = 14 * 24 * 3600.0
IDEMPOTENCY_TTL: Final = 24 * 3600.0

# Real-looking id ranges: collections ~8 digits, galleries ~9, media ~10 (inclusive bounds).
ID_RANGES: Final[dict[str, tuple[int, int]]] = {
    "collections": (10_000_000, 99_999_999),
    "galleries": (100_000_000, 999_999_999),
    "media": (1_000_000_000, 9_999_999_999),
    "clients": (1_000_000, 9_999_999),
    "favorite_lists": (1_000_000, 9_999_999),
    "downloads": (100_000_000, 999_999_999),
    "visitors": (10_000_000, 99_999_999),
    "sharing_links": (10_000_000, 99_999_999),
    "store_orders": (10_000_000, 99_999_999),
    "users": (1_000_000, 9_999_999),
}

DEFAULT_CLIENT_ACCESS: Final[dict[str, Any]] = {
    "password": None,
    "expiry_date": None,
    "expiry_reminder_days": [],
    "status": "draft",
    "client_exclusive": False,
    "visitor_email_capture": False,
}
DEFAULT_DOWNLOAD_SETTINGS: Final[dict[str, Any]] = {
    "downloadable": True,
    "sizes": ["original", "web_2048"],
    "pin": None,
    "limit_per_client": None,
    "watermarked": False,
    "single": True,
    "bulk": True,
}
DEFAULT_STORE: Final[dict[str, Any]] = {
    "enabled": False,
    "currency": "USD",
    "minimum_order_cents": 0,
    "price_sheet": None,
    "products": [],
}
DEFAULT_DESIGN: Final[dict[str, Any]] = {
    "cover_layout": "centre",
    "title_font": "serif",
    "colours": {},
    "grid_style": "vertical",
    "thumbnail_size": "regular",
    "grid_spacing": "regular",
    "theme": "light",
    "cover_media_id": None,
    "cover_focal_x": 0.5,
    "cover_focal_y": 0.5,
}


def now_iso(at: float | None = None) -> str:
    """UTC, second precision, `Z` suffix: the one timestamp format the emulator writes."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class State:
    """The SQLite catalogue of the emulated service and the folder holding uploaded bytes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts_dir.mkdir(exist_ok=True)
        self.media_dir.mkdir(exist_ok=True)
        self.db = sqlite3.connect(
            self.folder / "emulator.sqlite3", isolation_level=None, check_same_thread=False
        )
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        for table, column, declaration in ADDED_COLUMNS:
            have = {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        self.random = random.SystemRandom()
        with self.transaction():
            self._ensure_account()

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def parts_dir(self) -> Path:
        return self.folder / "uploads"

    @property
    def media_dir(self) -> Path:
        return self.folder / "media"

    def part_path(self, upload_id: str) -> Path:
        return self.parts_dir / f"{upload_id}.part"

    def media_path(self, media_id: int) -> Path:
        return self.media_dir / str(media_id)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one)."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return list(self.db.execute(sql, args).fetchall())

    def scalar(self, sql: str, *args: Any) -> Any:
        row = self.db.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def new_id(self, table: str) -> int:
        low, high = ID_RANGES[table]
        while True:
            candidate = self.random.randint(low, high)
            if self.one(f"SELECT 1 FROM {table} WHERE id = ?", candidate) is None:
                return candidate

    def next_seq(self) -> int:
        value = int(self.meta("seq", "0")) + 1
        self.set_meta("seq", str(value))
        return value

    def meta(self, key: str, default: str) -> str:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", key)
        return default if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- account and sessions -----------------------------------------------------------------

    def _ensure_account(self) -> None:
        if self.one("SELECT 1 FROM users WHERE email = ?", EMAIL) is not None:
            return
        self.db.execute(
            "INSERT INTO users (id, email, password, name, account_id, workspace_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                self.new_id("users"),
                EMAIL,
                PASSWORD,
                "Emulated Photographer",
                self.random.randint(1_000_000, 9_999_999),
                self.random.randint(1_000_000, 9_999_999),
            ),
        )

    def user(self) -> sqlite3.Row:
        row = self.one("SELECT * FROM users WHERE email = ?", EMAIL)
        assert row is not None
        return row

    @property
    def session_ttl(self) -> float:
        return float(self.meta("session_ttl", str(DEFAULT_SESSION_TTL)))

    def sign_in(self, email: str, password: str) -> tuple[sqlite3.Row, str, str] | None:
        """(user, session token, CSRF token) for right credentials, else None."""
        user = self.one("SELECT * FROM users WHERE lower(email) = lower(?)", email)
        if user is None or not secrets.compare_digest(user["password"], password):
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self.transaction():
            self.db.execute(
                "INSERT INTO sessions (token, user_id, csrf, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (token, user["id"], csrf, now, now + self.session_ttl),
            )
        return user, token, csrf

    def session(self, token: str | None) -> sqlite3.Row | None:
        """The live session for a cookie value; an expired one is removed and gives None."""
        if not token:
            return None
        row = self.one("SELECT * FROM sessions WHERE token = ?", token)
        if row is None:
            return None
        if row["expires_at"] <= time.time():
            with self.transaction():
                self.db.execute("DELETE FROM sessions WHERE token = ?", (token,))
            return None
        return row

    def sign_out(self, token: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM sessions WHERE token = ?", (token,))

    def expire_sessions(self) -> int:
        with self.transaction():
            return self.db.execute("UPDATE sessions SET expires_at = 0").rowcount

    # -- idempotency ----------------------------------------------------------------------------

    def idempotent_answer(self, user_id: int, key: str) -> sqlite3.Row | None:
        row = self.one("SELECT * FROM idempotency WHERE user_id = ? AND key = ?", user_id, key)
        if row is not None and row["created_at"] + IDEMPOTENCY_TTL <= time.time():
            with self.transaction():
                self.db.execute(
                    "DELETE FROM idempotency WHERE user_id = ? AND key = ?", (user_id, key)
                )
            return None
        return row

    def remember_answer(
        self, user_id: int, key: str, fingerprint: str, status: int, body: bytes, ctype: str
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO idempotency "
            "(user_id, key, fingerprint, status, body, content_type, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, key, fingerprint, status, body, ctype, time.time()),
        )

    # -- collections and galleries --------------------------------------------------------------

    def collection(self, collection_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM collections WHERE id = ?", collection_id)

    def gallery(self, gallery_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM galleries WHERE id = ?", gallery_id)

    def media(self, media_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM media WHERE id = ?", media_id)

    def upload(self, upload_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM uploads WHERE id = ?", upload_id)

    def touch_collection(self, collection_id: int) -> None:
        self.db.execute(
            "UPDATE collections SET updated_at = ? WHERE id = ?", (now_iso(), collection_id)
        )

    def create_collection(self, fields: dict[str, Any]) -> int:
        new_id, stamp = self.new_id("collections"), now_iso()
        access = {**DEFAULT_CLIENT_ACCESS, "status": fields.get("status") or "draft"}
        self.db.execute(
            "INSERT INTO collections (id, seq, name, description, event_date, status, "
            "client_access, download_settings, store, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_id,
                self.next_seq(),
                fields["name"],
                fields.get("description") or "",
                fields.get("event_date"),
                access["status"],
                json.dumps(access),
                json.dumps(DEFAULT_DOWNLOAD_SETTINGS),
                json.dumps(DEFAULT_STORE),
                stamp,
                stamp,
            ),
        )
        return new_id

    def update_collection(self, collection_id: int, fields: dict[str, Any]) -> None:
        for column in ("name", "description", "event_date", "status"):
            if column in fields:
                value = fields[column]
                if column == "description" and value is None:
                    value = ""
                self.db.execute(
                    f"UPDATE collections SET {column} = ? WHERE id = ?", (value, collection_id)
                )
        if "status" in fields:
            self.merge_setting(collection_id, "client_access", {"status": fields["status"]})
        self.touch_collection(collection_id)

    def setting(self, row: sqlite3.Row, column: str) -> Any:
        return json.loads(row[column])

    def merge_setting(self, collection_id: int, column: str, changes: dict[str, Any]) -> Any:
        row = self.collection(collection_id)
        assert row is not None
        merged = {**json.loads(row[column]), **changes}
        self.db.execute(
            f"UPDATE collections SET {column} = ? WHERE id = ?", (json.dumps(merged), collection_id)
        )
        if column == "client_access" and "status" in changes:
            self.db.execute(
                "UPDATE collections SET status = ? WHERE id = ?", (changes["status"], collection_id)
            )
        self.touch_collection(collection_id)
        return merged

    def replace_setting(self, collection_id: int, column: str, value: Any) -> None:
        self.db.execute(
            f"UPDATE collections SET {column} = ? WHERE id = ?", (json.dumps(value), collection_id)
        )
        self.touch_collection(collection_id)

    def create_gallery(self, collection_id: int, fields: dict[str, Any]) -> int:
        new_id, stamp = self.new_id("galleries"), now_iso()
        position = fields.get("position")
        if position is None:
            position = self.scalar(
                "SELECT count(*) FROM galleries WHERE collection_id = ?", collection_id
            )
        self.db.execute(
            "INSERT INTO galleries (id, seq, collection_id, name, position, private, "
            "download_override, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_id,
                self.next_seq(),
                collection_id,
                fields["name"],
                position,
                int(bool(fields.get("private", False))),
                json.dumps(fields.get("download_override")),
                stamp,
                stamp,
            ),
        )
        self.touch_collection(collection_id)
        return new_id

    def update_gallery(self, gallery_id: int, fields: dict[str, Any]) -> None:
        for column in ("name", "position", "private", "download_override"):
            if column in fields:
                value = fields[column]
                if column == "private":
                    value = int(value)
                elif column == "download_override":
                    value = json.dumps(value)
                self.db.execute(
                    f"UPDATE galleries SET {column} = ?, updated_at = ? WHERE id = ?",
                    (value, now_iso(), gallery_id),
                )
        gallery = self.gallery(gallery_id)
        assert gallery is not None
        self.touch_collection(gallery["collection_id"])

    # -- deletes (rows cascade in SQLite; the files follow) -----------------------------------

    def delete_collection(self, collection_id: int) -> None:
        where = "gallery_id IN (SELECT id FROM galleries WHERE collection_id = ?)"
        self._delete_files(where, collection_id)
        self.db.execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def delete_gallery(self, gallery_id: int, collection_id: int) -> None:
        self._delete_files("gallery_id = ?", gallery_id)
        self.db.execute("DELETE FROM galleries WHERE id = ?", (gallery_id,))
        self.touch_collection(collection_id)

    def delete_media(self, media_id: int, collection_id: int) -> None:
        self.db.execute("DELETE FROM media WHERE id = ?", (media_id,))
        self.media_path(media_id).unlink(missing_ok=True)
        self.touch_collection(collection_id)

    def _delete_files(self, where: str, arg: int) -> None:
        for row in self.all(f"SELECT id FROM media WHERE {where}", arg):
            self.media_path(row["id"]).unlink(missing_ok=True)
        for row in self.all(f"SELECT id FROM uploads WHERE {where}", arg):
            self.part_path(row["id"]).unlink(missing_ok=True)

    def collection_of_gallery(self, gallery_id: int) -> int:
        return int(self.scalar("SELECT collection_id FROM galleries WHERE id = ?", gallery_id))

    # -- uploads ----------------------------------------------------------------------------

    def media_by_checksum(self, gallery_id: int, checksum: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM media WHERE gallery_id = ? AND checksum = ? ORDER BY seq LIMIT 1",
            gallery_id,
            checksum,
        )

    def pending_upload(
        self, gallery_id: int, checksum: str, replaces: int | None = None
    ) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM uploads WHERE gallery_id = ? AND checksum = ? AND status = 'pending' "
            "AND replaces IS ? ORDER BY seq LIMIT 1",
            gallery_id,
            checksum,
            replaces,
        )

    def create_upload(self, gallery_id: int, fields: dict[str, Any]) -> str:
        upload_id, stamp = "up" + secrets.token_hex(15), now_iso()
        self.db.execute(
            "INSERT INTO uploads (id, seq, gallery_id, filename, size, checksum, kind, "
            "client_ref, taken_at, width, height, offset, status, replaces, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?, ?, ?)",
            (
                upload_id,
                self.next_seq(),
                gallery_id,
                fields["filename"],
                fields["size"],
                fields["checksum"],
                fields["kind"],
                fields["client_ref"],
                fields.get("taken_at"),
                fields.get("width"),
                fields.get("height"),
                fields.get("replaces"),
                stamp,
                stamp,
            ),
        )
        self.part_path(upload_id).write_bytes(b"")
        return upload_id

    def set_upload_offset(self, upload_id: str, offset: int) -> None:
        self.db.execute(
            "UPDATE uploads SET offset = ?, updated_at = ? WHERE id = ?",
            (offset, now_iso(), upload_id),
        )

    def finish_upload(self, upload: sqlite3.Row, status: str, media_id: int) -> None:
        self.db.execute(
            "UPDATE uploads SET status = ?, media_id = ?, updated_at = ? WHERE id = ?",
            (status, media_id, now_iso(), upload["id"]),
        )

    def create_media_from(self, upload: sqlite3.Row) -> int:
        """Turn a complete, verified upload into media; its bytes move to the media folder."""
        media_id = self.new_id("media")
        self.db.execute(
            "INSERT INTO media (id, seq, gallery_id, kind, filename, size, checksum, client_ref, "
            "taken_at, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                media_id,
                self.next_seq(),
                upload["gallery_id"],
                upload["kind"],
                upload["filename"],
                upload["size"],
                upload["checksum"],
                upload["client_ref"],
                upload["taken_at"],
                upload["width"],
                upload["height"],
                now_iso(),
            ),
        )
        self.finish_upload(upload, "created", media_id)
        self.touch_collection(self.collection_of_gallery(upload["gallery_id"]))
        return media_id

    def replace_media_from(self, upload: sqlite3.Row, media_id: int) -> None:
        """A complete upload with `replaces`: the media keeps its id (and all that points at
        it) and takes the upload's bytes and file fields."""
        self.set_media_file(media_id, int(upload["gallery_id"]), dict(upload))
        self.finish_upload(upload, "created", media_id)

    def set_media_file(self, media_id: int, gallery_id: int, fields: dict[str, Any]) -> None:
        """The file fields of media whose bytes were replaced (or sent again unchanged)."""
        self.db.execute(
            "UPDATE media SET filename = ?, size = ?, checksum = ?, client_ref = ?, "
            "taken_at = ?, width = ?, height = ? WHERE id = ?",
            (
                fields["filename"],
                fields["size"],
                fields["checksum"],
                fields["client_ref"],
                fields.get("taken_at"),
                fields.get("width"),
                fields.get("height"),
                media_id,
            ),
        )
        self.touch_collection(self.collection_of_gallery(gallery_id))

    def replaced_media(self, upload: sqlite3.Row) -> sqlite3.Row | None:
        """The media an upload replaces, while it is still in the upload's gallery."""
        if upload["replaces"] is None:
            return None
        return self.one(
            "SELECT * FROM media WHERE id = ? AND gallery_id = ?",
            upload["replaces"],
            upload["gallery_id"],
        )

    # -- whole-state operations -----------------------------------------------------------------

    def reset(self, *, keep_sessions: bool = False) -> None:
        """Back to a fresh account: no collections, uploads, keys (nor sessions, by default)."""
        with self.transaction():
            for table in TABLES:
                if table in ("users", "meta") or (keep_sessions and table == "sessions"):
                    continue
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key != 'session_ttl'")
        for folder in (self.parts_dir, self.media_dir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()

    def counts(self) -> dict[str, int]:
        return {
            table: int(self.scalar(f"SELECT count(*) FROM {table}"))
            for table in TABLES
            if table != "meta"
        }
