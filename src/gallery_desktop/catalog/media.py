"""Media rows as the CLI and the views see them."""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from gallery_desktop.catalog.db import Catalog, nulls_first
from gallery_desktop.catalog.models import (
    Collection,
    DownloadEvent,
    Favorite,
    FavoriteList,
    Gallery,
    Media,
)
from gallery_desktop.catalog.raw import raw_cursor
from gallery_desktop.catalog.roots import OFFLINE, local_folder, offline_collections
from gallery_desktop.errors import RootOfflineError
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize


@dataclass(frozen=True)
class MediaRecord:
    id: int
    gallery_id: int
    gallery: str
    path: str
    kind: str
    format: str | None
    state: str
    error: str | None
    width: int | None
    height: int | None
    orientation: int | None
    taken_at: str | None
    camera: str | None
    lens: str | None
    duration: float | None
    content_hash: str | None
    size_bytes: int
    rating: int
    pick: str | None
    label: str | None
    thumbnail: str | None  # the 256 px grid thumbnail
    placeholder: str | None  # the camera's small embedded preview, shown until there is one

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ANYONE = "*"  # MediaFilter.favourited_by: favourited by any client
NOT_DOWNLOADED = "*not-downloaded"  # favourited by someone, downloaded by no one
BY_ALL_CLIENTS = "*all-clients"  # favourited by every client who made favourites here


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally."""
    for special in ("\\", "%", "_"):
        text = text.replace(special, "\\" + special)
    return f"%{text}%"


@dataclass(frozen=True)
class MediaFilter:
    """What the filter bar asks for. The defaults show everything, by capture time."""

    min_rating: int = 0
    flag: str | None = None  # "picked", "rejected", "unflagged", or None for any
    label: str | None = None
    kind: str | None = None  # "photo" | "video"
    state: str | None = None  # "ok" | "missing" | "error"
    needs_attention: bool = False  # missing or error
    text: str = ""  # part of the file's path, any case
    favourited_by: str | None = None  # a client's email (pulled from the remote), or ANYONE
    sort: str = "taken"

    def _favourites(self, query: Any) -> Any:
        chosen = select(Favorite.media_id).join(
            FavoriteList, col(FavoriteList.id) == col(Favorite.list_id)
        )
        who = self.favourited_by or ANYONE
        if who == BY_ALL_CLIENTS:
            fans = (
                select(func.count(func.distinct(FavoriteList.email)))
                .select_from(Favorite)
                .join(FavoriteList, col(FavoriteList.id) == col(Favorite.list_id))
                .where(col(Favorite.media_id) == col(Media.id))
                .scalar_subquery()
            )
            clients = (
                select(func.count(func.distinct(FavoriteList.email)))
                .where(
                    col(FavoriteList.collection_id) == col(Media.collection_id),
                    col(FavoriteList.email).is_not(None),
                )
                .scalar_subquery()
            )
            return query.where(fans == clients, clients > 0)
        if who not in (ANYONE, NOT_DOWNLOADED):
            chosen = chosen.where(col(FavoriteList.email) == who.lower())
        query = query.where(col(Media.id).in_(chosen))
        if who == NOT_DOWNLOADED:
            downloaded = select(DownloadEvent.media_id).where(
                col(DownloadEvent.media_id).is_not(None)
            )
            query = query.where(col(Media.id).not_in(downloaded))
        return query

    def apply(self, query: Any) -> Any:
        if self.min_rating:
            query = query.where(col(Media.rating) >= self.min_rating)
        if self.flag == "unflagged":
            query = query.where(col(Media.pick).is_(None))
        elif self.flag:
            query = query.where(col(Media.pick) == self.flag)
        if self.label:
            query = query.where(col(Media.label) == self.label)
        if self.kind:
            query = query.where(col(Media.kind) == self.kind)
        if self.state:
            query = query.where(col(Media.state) == self.state)
        if self.needs_attention:
            query = query.where(col(Media.state).in_(("missing", "error")))
        if self.favourited_by:
            query = self._favourites(query)
        if self.text.strip():
            query = query.where(col(Media.path).ilike(_contains(self.text.strip()), escape="\\"))
        if self.sort == "name":
            return query.order_by(col(Media.path))
        if self.sort == "rating":
            return query.order_by(
                col(Media.rating).desc(), nulls_first(col(Media.taken_at)), col(Media.path)
            )
        # Capture time across galleries: served by the (collection|gallery, taken_at, path)
        # indexes, so the first page of a huge view needs no sort.
        # Undated media come first on both engines.
        return query.order_by(nulls_first(col(Media.taken_at)), col(Media.path))


@dataclass(frozen=True)
class MediaView:
    """Which media a grid shows: a collection, one gallery, or (collection None) everything."""

    collection_id: int | None
    gallery_id: int | None = None
    where: MediaFilter = MediaFilter()

    def query(self, *columns: Any) -> Any:
        query = select(*columns).join(Gallery, col(Gallery.id) == col(Media.gallery_id))
        if self.collection_id is not None:
            query = query.where(col(Media.collection_id) == self.collection_id)
        if self.gallery_id is not None:
            query = query.where(col(Media.gallery_id) == self.gallery_id)
        return self.where.apply(query)


def media_ids(catalog: Catalog, view: MediaView, limit: int | None = None) -> array[int]:
    """The ids a view shows, in order, as a compact array (8 bytes a row: 8 MB for 1M).

    Read with the driver's cursor: SQLAlchemy's row objects cost ten times as much here."""
    query = view.query(col(Media.id))
    if limit is not None:
        query = query.limit(limit)
    ids: array[int] = array("q")
    with catalog.engine.connect() as conn, raw_cursor(conn, query) as cursor:
        while batch := cursor.fetchmany(10_000):
            ids.extend(r[0] for r in batch)
    return ids


def media_records(
    catalog: Catalog, ids: Sequence[int], cache: ThumbnailCache | None = None
) -> list[MediaRecord]:
    """The records of these media, in the order given (ids that no longer exist are left out)."""
    if not ids:
        return []
    query = (
        select(Media, col(Gallery.name))
        .join(Gallery, col(Gallery.id) == col(Media.gallery_id))
        .where(col(Media.id).in_(list(ids)))
    )
    with catalog.read() as session:
        rows = session.exec(query).all()
    offline = offline_collections(catalog)
    found = {m.id: _record(m, name, cache, m.collection_id in offline) for m, name in rows}
    return [found[i] for i in ids if i in found]


def list_media(
    catalog: Catalog,
    collection_id: int | None,
    cache: ThumbnailCache | None = None,
    *,
    gallery_id: int | None = None,
    where: MediaFilter | None = None,
) -> list[MediaRecord]:
    """Media rows of a collection (or one gallery, or with None every collection) that pass
    the filter, in its order (by default: capture time, then path)."""
    view = MediaView(collection_id, gallery_id, where or MediaFilter())
    with catalog.read() as session:
        rows = session.exec(view.query(Media, col(Gallery.name))).all()
    offline = offline_collections(catalog)
    return [_record(m, name, cache, m.collection_id in offline) for m, name in rows]


def _record(
    m: Media, gallery_name: str, cache: ThumbnailCache | None, offline: bool = False
) -> MediaRecord:
    """A media's record; in a library root that is offline on this seat, `ok` and `missing`
    media show as `offline` (what is stored stays as it is)."""
    thumb = placeholder = None
    if cache is not None and m.content_hash:
        grid = cache.get(m.content_hash, ThumbSize.GRID)  # get() marks it recently used
        embedded = None if grid else cache.get(m.content_hash, ThumbSize.EMBEDDED)
        thumb = str(grid) if grid else None
        placeholder = str(embedded) if embedded else None
    assert m.id is not None
    return MediaRecord(
        id=m.id,
        gallery_id=m.gallery_id,
        gallery=gallery_name,
        path=m.path,
        kind=m.kind,
        format=m.format,
        state=OFFLINE if offline and m.state in ("ok", "missing") else m.state,
        error=m.error,
        width=m.width,
        height=m.height,
        orientation=m.orientation,
        taken_at=m.taken_at,
        camera=m.camera,
        lens=m.lens,
        duration=m.duration,
        content_hash=m.content_hash,
        size_bytes=m.size_bytes,
        rating=m.rating,
        pick=m.pick,
        label=m.label,
        thumbnail=thumb,
        placeholder=placeholder,
    )


def media_file(catalog: Catalog, media_id: int) -> bytes | None:
    """Where a media's file is on disk (collection folder + its path), or None (no folder,
    or its library root is offline on this seat)."""
    query = (
        select(col(Collection.folder), col(Media.rel_path), col(Collection.root_id))
        .join(Collection, col(Collection.id) == col(Media.collection_id))
        .where(col(Media.id) == media_id)
    )
    with catalog.read() as session:
        row = session.exec(query).first()
    if row is None or row[0] is None:
        return None
    try:
        folder = local_folder(catalog, bytes(row[0]), row[2])
    except RootOfflineError:
        return None
    assert folder is not None
    return os.path.join(folder, bytes(row[1]))
