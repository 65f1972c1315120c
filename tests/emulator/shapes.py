"""Rows of the emulator's state turned into the contract's JSON shapes."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

from emulator.state import State


def _expired(expiry_date: str | None) -> bool:
    return expiry_date is not None and date.fromisoformat(expiry_date) < datetime.now(UTC).date()


def collection_summary(state: State, row: sqlite3.Row) -> dict[str, Any]:
    access = json.loads(row["client_access"])
    downloads = json.loads(row["download_settings"])
    counts = state.one(
        "SELECT count(DISTINCT g.id) AS galleries, "
        "count(m.id) FILTER (WHERE m.kind = 'photo') AS photos, "
        "count(m.id) FILTER (WHERE m.kind = 'video') AS videos "
        "FROM galleries g LEFT JOIN media m ON m.gallery_id = g.id WHERE g.collection_id = ?",
        row["id"],
    )
    assert counts is not None
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "event_date": row["event_date"],
        "gallery_count": counts["galleries"],
        "photo_count": counts["photos"],
        "video_count": counts["videos"],
        "client_count": state.scalar(
            "SELECT count(*) FROM clients WHERE collection_id = ?", row["id"]
        ),
        "password_protected": access["password"] is not None,
        "downloadable": bool(downloads["downloadable"]),
        "expiry_date": access["expiry_date"],
        "updated_at": row["updated_at"],
    }


def collection(state: State, row: sqlite3.Row) -> dict[str, Any]:
    return {**collection_summary(state, row), "description": row["description"]}


def collection_edit(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "tags": json.loads(row["tags"]),
        "expiry_reminder_days": json.loads(row["client_access"])["expiry_reminder_days"],
        "languages": json.loads(row["languages"]),
        "watermark": json.loads(row["watermark"]),
    }


def media_paths(root: str, media_id: int) -> dict[str, str]:
    base = f"{root}/_emulator/files/{media_id}"
    return {"path_thumb": f"{base}?size=thumb", "path_large": f"{base}?size=large"}


def media(root: str, row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "gallery_id": row["gallery_id"],
        "kind": row["kind"],
        "filename": row["filename"],
        "size": row["size"],
        "checksum": row["checksum"],
        "client_ref": row["client_ref"],
        "taken_at": row["taken_at"],
        "width": row["width"],
        "height": row["height"],
        **media_paths(root, row["id"]),
        "created_at": row["created_at"],
    }


def gallery_download(state: State, row: sqlite3.Row) -> tuple[dict[str, Any] | None, bool]:
    """(the gallery's download override, whether its downloads are on after it)."""
    override = json.loads(row["download_override"])
    if isinstance(override, dict) and "downloadable" in override:
        return override, bool(override["downloadable"])
    settings = state.scalar(
        "SELECT download_settings FROM collections WHERE id = ?", row["collection_id"]
    )
    return override, bool(json.loads(settings)["downloadable"]) if settings else True


def gallery(state: State, root: str, row: sqlite3.Row) -> dict[str, Any]:
    counts = state.one(
        "SELECT count(*) FILTER (WHERE kind = 'photo') AS photos, "
        "count(*) FILTER (WHERE kind = 'video') AS videos FROM media WHERE gallery_id = ?",
        row["id"],
    )
    assert counts is not None
    override, downloadable = gallery_download(state, row)
    cover = state.scalar(
        "SELECT id FROM media WHERE gallery_id = ? AND kind = 'photo' ORDER BY seq LIMIT 1",
        row["id"],
    )
    return {
        "id": row["id"],
        "collection_id": row["collection_id"],
        "name": row["name"],
        "description": row["description"],
        "position": row["position"],
        "private": bool(row["private"]),
        "download": downloadable,
        "download_override": override,
        "photo_count": counts["photos"],
        "video_count": counts["videos"],
        "cover_photo": None if cover is None else {"media_id": cover, **media_paths(root, cover)},
    }


def upload(state: State, root: str, row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "upload_id": row["id"],
        "offset": row["offset"],
        "size": row["size"],
        "status": row["status"],
    }
    if row["status"] != "pending" and row["media_id"] is not None:
        found = state.media(row["media_id"])
        if found is not None:
            out["media"] = media(root, found)
    return out


def before_show(state: State, root: str, row: sqlite3.Row) -> dict[str, Any]:
    access = json.loads(row["client_access"])
    reason: str | None = None
    if row["status"] != "published":
        reason = row["status"]
    elif _expired(access["expiry_date"]):
        reason = "expired"
    galleries = state.all(
        "SELECT * FROM galleries WHERE collection_id = ? ORDER BY position, seq", row["id"]
    )
    return {
        "visible": reason is None,
        "reason": reason,
        "collection": collection(state, row),
        "galleries": [gallery(state, root, g) for g in galleries],
    }


def before_download_settings(row: sqlite3.Row) -> dict[str, Any]:
    settings = json.loads(row["download_settings"])
    access = json.loads(row["client_access"])
    downloadable = bool(settings["downloadable"]) and not _expired(access["expiry_date"])
    return {
        "downloadable": downloadable,
        "sizes": list(settings["sizes"]) if downloadable else [],
        "pin_required": settings["pin"] is not None,
        "watermarked": bool(settings["watermarked"]) and row["watermark"] != "null",
    }


def client(state: State, row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "email": row["email"],
        "name": row["name"],
        "access_level": row["access_level"],
        "access": row["access"],
        "last_accessed": row["last_accessed"],
        "favorites_count": state.scalar(
            "SELECT count(*) FROM favorite_items i JOIN favorite_lists l ON l.id = i.list_id "
            "WHERE l.client_id = ?",
            row["id"],
        ),
    }


def favorite_list(state: State, row: sqlite3.Row) -> dict[str, Any]:
    items = state.all(
        "SELECT media_id, note, created_at FROM favorite_items WHERE list_id = ? "
        "ORDER BY created_at, media_id",
        row["id"],
    )
    return {
        "id": row["id"],
        "name": row["name"],
        "client_email": row["client_email"],
        "client_name": row["client_name"],
        "created_at": row["created_at"],
        "items": [dict(item) for item in items],
    }


def download(row: sqlite3.Row) -> dict[str, Any]:
    return {
        key: row[key] for key in ("id", "media_id", "client_email", "size", "kind", "downloaded_at")
    }


def visitor(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "visited_at": row["visited_at"]}


def sharing_link(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "media_id": row["media_id"],
        "url": row["url"],
        "expires_at": row["expires_at"],
        "revoked": bool(row["revoked"]),
    }
