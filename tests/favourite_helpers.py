"""Client favourites written the way a pull writes them (clients, lists, favourites with notes),
for the badge, copy and CLI tests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from conftest import make_shoot
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache

CLIENT_NAMES = {"ann@example.com": "Ann Lee", "bob@example.com": "Bob Stone"}


def chosen_on(day: int) -> str:
    """How the n-th favourite of a list (day n, 10:00 UTC) is shown: in local time."""
    return datetime(2026, 2, day, 10, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def add_favourites(
    catalog: Catalog,
    collection_id: int,
    chosen: Mapping[str, Sequence[tuple[int, str | None]]],
    *,
    list_name: str = "Favourites",
) -> None:
    """`chosen`: email → (media id, note) of one list each; clients get their names."""
    with catalog.write_conn() as conn:
        for email, items in chosen.items():
            client = conn.execute(
                text(
                    "INSERT INTO client (collection_id, email, name, access_level, created_at) "
                    "VALUES (:c, :e, :n, 'favourite', CURRENT_TIMESTAMP) "
                    "ON CONFLICT (collection_id, email) DO UPDATE SET name = excluded.name "
                    "RETURNING id"
                ),
                {"c": collection_id, "e": email, "n": CLIENT_NAMES.get(email, "")},
            ).scalar()
            lid = conn.execute(
                text(
                    "INSERT INTO favoritelist (collection_id, client_id, name, email, created_at) "
                    "VALUES (:c, :cl, :n, :e, CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"c": collection_id, "cl": client, "n": list_name, "e": email},
            ).scalar()
            for n, (mid, note) in enumerate(items):
                conn.execute(
                    text(
                        "INSERT INTO favorite (list_id, media_id, note, chosen_at) "
                        "VALUES (:l, :m, :note, :at)"
                    ),
                    {"l": lid, "m": mid, "note": note, "at": f"2026-02-0{n + 1} 10:00:00.000000"},
                )


def shoot_with_favourites(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> tuple[Path, int, dict[str, int]]:
    """The shoot of `make_shoot`: Ann favourites a, b (with a note) and c; Bob b and c."""
    shoot = make_shoot(tmp_path / "shoots")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    ids = {m.path: m.id for m in list_media(catalog, cid)}
    a, b, c = ids["Ceremony/a.jpg"], ids["Ceremony/deep/er/b.jpg"], ids["Party/c.jpg"]
    add_favourites(
        catalog,
        cid,
        {
            "ann@example.com": [(a, None), (b, "crop tighter please"), (c, None)],
            "bob@example.com": [(b, "our favourite!"), (c, None)],
        },
    )
    return shoot, cid, {"a": a, "b": b, "c": c, "cover": ids["cover.jpg"]}


def fingerprints(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder`: sha256 and mtime (ns), by relative path."""
    out: dict[str, tuple[str, int]] = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(folder))] = (digest, path.stat().st_mtime_ns)
    return out
