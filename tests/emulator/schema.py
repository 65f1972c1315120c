"""The emulator's SQLite tables (its state folder's `emulator.sqlite3`)."""

from __future__ import annotations

from typing import Final

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
    name TEXT NOT NULL, account_id INTEGER NOT NULL, workspace_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
    csrf TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', event_date TEXT, status TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]', languages TEXT NOT NULL DEFAULT '["en"]',
    client_access TEXT NOT NULL, download_settings TEXT NOT NULL,
    watermark TEXT NOT NULL DEFAULT 'null', store TEXT NOT NULL,
    design TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS galleries (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL,
    private INTEGER NOT NULL DEFAULT 0, download INTEGER NOT NULL DEFAULT 1,
    download_override TEXT NOT NULL DEFAULT 'null',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    gallery_id INTEGER NOT NULL REFERENCES galleries ON DELETE CASCADE,
    kind TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,
    checksum TEXT NOT NULL, client_ref TEXT NOT NULL, taken_at TEXT,
    width INTEGER, height INTEGER, starred INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS media_by_checksum ON media (gallery_id, checksum);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
    gallery_id INTEGER NOT NULL REFERENCES galleries ON DELETE CASCADE,
    filename TEXT NOT NULL, size INTEGER NOT NULL, checksum TEXT NOT NULL, kind TEXT NOT NULL,
    client_ref TEXT NOT NULL, taken_at TEXT, width INTEGER, height INTEGER,
    offset INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, replaces INTEGER,
    media_id INTEGER REFERENCES media ON DELETE SET NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    user_id INTEGER NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, body BLOB NOT NULL, content_type TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (user_id, key)
);
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    email TEXT NOT NULL, name TEXT NOT NULL, access_level TEXT NOT NULL, last_accessed TEXT,
    access TEXT NOT NULL DEFAULT 'view'
);
CREATE TABLE IF NOT EXISTS favorite_lists (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients ON DELETE CASCADE,
    name TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS favorite_items (
    list_id INTEGER NOT NULL REFERENCES favorite_lists ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media ON DELETE CASCADE,
    note TEXT, created_at TEXT NOT NULL, PRIMARY KEY (list_id, media_id)
);
CREATE TABLE IF NOT EXISTS downloads (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media ON DELETE CASCADE,
    client_email TEXT NOT NULL, size TEXT NOT NULL, kind TEXT NOT NULL, downloaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visitors (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    email TEXT NOT NULL, visited_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sharing_links (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media ON DELETE CASCADE,
    url TEXT NOT NULL, expires_at TEXT, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS store_orders (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections ON DELETE CASCADE,
    client_email TEXT NOT NULL, client_name TEXT NOT NULL, created_at TEXT NOT NULL,
    currency TEXT NOT NULL, total_cents INTEGER NOT NULL, status TEXT NOT NULL,
    items TEXT NOT NULL
);
"""
# Columns added after the first release: a state folder made before them gets them on open.
ADDED_COLUMNS: Final = (
    ("collections", "design", "TEXT NOT NULL DEFAULT '{}'"),
    ("galleries", "download_override", "TEXT NOT NULL DEFAULT 'null'"),
    ("clients", "access", "TEXT NOT NULL DEFAULT 'view'"),
    ("uploads", "replaces", "INTEGER"),
)
TABLES: Final = (
    "store_orders",
    "sharing_links",
    "visitors",
    "downloads",
    "favorite_items",
    "favorite_lists",
    "clients",
    "idempotency",
    "uploads",
    "media",
    "galleries",
    "collections",
    "sessions",
    "users",
    "meta",
)
