"""Client favourites in the grid: by client, by anyone, favourited but not downloaded,
favourited by every client; and as file names for Lightroom / Capture One."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from conftest import make_shoot
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import favourite_file_names, who_favourited
from gallery_desktop.catalog.media import (
    ANYONE,
    BY_ALL_CLIENTS,
    NOT_DOWNLOADED,
    MediaFilter,
    list_media,
)
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache


def _favourites(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> tuple[int, dict[str, int]]:
    """Ann favourites a, b, c; Bob favourites b, c; c was downloaded."""
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    ids = {m.path: m.id for m in list_media(catalog, cid)}
    a, b, c = ids["Ceremony/a.jpg"], ids["Ceremony/deep/er/b.jpg"], ids["Party/c.jpg"]
    with catalog.write_conn() as conn:
        for email, chosen in (("ann@example.com", (a, b, c)), ("bob@example.com", (b, c))):
            lid = conn.execute(
                text(
                    "INSERT INTO favoritelist (collection_id, name, email, created_at) "
                    "VALUES (:c, 'Favourites', :e, CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"c": cid, "e": email},
            ).scalar()
            for mid in chosen:
                conn.execute(
                    text(
                        "INSERT INTO favorite (list_id, media_id, chosen_at) "
                        "VALUES (:l, :m, CURRENT_TIMESTAMP)"
                    ),
                    {"l": lid, "m": mid},
                )
        conn.execute(
            text(
                "INSERT INTO downloadevent (collection_id, media_id, kind, occurred_at) "
                "VALUES (:c, :m, 'photo', CURRENT_TIMESTAMP)"
            ),
            {"c": cid, "m": c},
        )
    return cid, {"a": a, "b": b, "c": c}


def _paths(catalog: Catalog, cid: int, who: str) -> set[str]:
    return {m.path for m in list_media(catalog, cid, where=MediaFilter(favourited_by=who))}


def test_favourite_filters(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> None:
    cid, _ids = _favourites(tmp_path, catalog, cache)
    a, b, c = "Ceremony/a.jpg", "Ceremony/deep/er/b.jpg", "Party/c.jpg"
    assert _paths(catalog, cid, "ann@example.com") == {a, b, c}
    assert _paths(catalog, cid, "BOB@example.com") == {b, c}  # emails match in any case
    assert _paths(catalog, cid, ANYONE) == {a, b, c}
    assert _paths(catalog, cid, NOT_DOWNLOADED) == {a, b}
    assert _paths(catalog, cid, BY_ALL_CLIENTS) == {b, c}
    assert [(f.email, f.photos) for f in who_favourited(catalog, cid)] == [
        ("ann@example.com", 3),
        ("bob@example.com", 2),
    ]


def test_favourites_as_file_names(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> None:
    cid, _ids = _favourites(tmp_path, catalog, cache)
    names = favourite_file_names(catalog, cid, "bob@example.com")
    assert sorted(names) == ["b", "c"] and len(names) == 2  # stems, once each
    assert set(favourite_file_names(catalog, cid, NOT_DOWNLOADED, with_extension=True)) == {
        "a.jpg",
        "b.jpg",
    }


def test_no_favourites_means_nothing_for_every_choice(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    for who in (ANYONE, NOT_DOWNLOADED, BY_ALL_CLIENTS, "ann@example.com"):
        assert _paths(catalog, cid, who) == set()
