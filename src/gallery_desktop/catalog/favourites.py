"""Client favourites pulled from the remote: who chose what, as filters and file-name lists."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import ANYONE, MediaFilter, list_media


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
