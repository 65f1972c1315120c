"""Collections and their galleries: finding, creating, listing with counts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery, Media, MediaState, utcnow
from gallery_desktop.errors import BadInputError

DEFAULT_GALLERY_NAME = "Highlights"


def display_name(raw: bytes) -> str:
    """A file or folder name for people: undecodable bytes shown as \\xNN escapes."""
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class CollectionSummary:
    id: int
    name: str
    folder: str | None
    galleries: int
    media: int
    photos: int
    videos: int
    missing: int
    errors: int
    status: str


@dataclass(frozen=True)
class GallerySummary:
    id: int
    collection_id: int
    name: str
    media: int
    position: int


def list_galleries(catalog: Catalog, collection_id: int) -> list[GallerySummary]:
    with catalog.read() as session:
        counts = dict(
            session.exec(
                select(Media.gallery_id, func.count())
                .where(Media.collection_id == collection_id)
                .group_by(Media.gallery_id)
            ).all()
        )
        rows = session.exec(
            select(Gallery)
            .where(Gallery.collection_id == collection_id, col(Gallery.deleted_at).is_(None))
            .order_by(Gallery.position, Gallery.name)
        ).scalars()
        return [
            GallerySummary(g.id, collection_id, g.name, int(counts.get(g.id, 0)), g.position)
            for g in rows
            if g.id is not None
        ]


def find_collection(session: Session, ref: str) -> Collection:
    """A collection by id ("12") or by name (exact, then case-insensitive)."""
    ref = ref.strip()
    if ref.isdigit():
        found = session.get(Collection, int(ref))
        if found is not None and found.deleted_at is None:
            return found
    live = col(Collection.deleted_at).is_(None)
    rows = session.exec(select(Collection).where(live, Collection.name == ref)).scalars().all()
    if not rows:
        rows = (
            session.exec(
                select(Collection).where(live, func.lower(Collection.name) == ref.lower())
            )
            .scalars()
            .all()
        )
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        ids = ", ".join(str(c.id) for c in rows)
        raise BadInputError(f"several collections are named {ref!r} (ids {ids}); use the id")
    raise BadInputError(
        f"no collection {ref!r}; `gallery-desktop collections` lists what the catalogue has"
    )


def collection_for_folder(catalog: Catalog, folder: bytes) -> Collection:
    """The collection made from this folder, creating it (named after the folder) if new."""
    with catalog.write() as session:
        found = session.exec(select(Collection).where(Collection.folder == folder)).scalar()
        if found is not None:
            if found.deleted_at is not None:
                found.deleted_at = None
                found.updated_at = utcnow()
                session.add(found)
            return found
        shown = display_name(folder)
        collection = Collection(
            name=display_name(os.path.basename(folder.rstrip(b"/")) or folder),
            folder=folder,
            folder_display=shown,
        )
        session.add(collection)
        session.flush()
        return collection


def ensure_galleries(catalog: Catalog, collection_id: int, folders: set[bytes]) -> dict[bytes, int]:
    """Gallery ids for first-level folders (b'' is the root's default gallery), made as needed.

    New galleries are placed after the existing ones, in name order.
    """
    with catalog.write() as session:
        rows = session.exec(
            select(Gallery.folder, Gallery.id, Gallery.position).where(
                Gallery.collection_id == collection_id
            )
        ).all()
        known: dict[bytes, int] = {r[0]: r[1] for r in rows if r[0] is not None}
        next_pos = max((r[2] for r in rows), default=-1) + 1
        for folder in sorted(folders - known.keys(), key=lambda f: (f != b"", f.lower())):
            name = display_name(folder) if folder else DEFAULT_GALLERY_NAME
            gallery = Gallery(
                collection_id=collection_id, name=name, folder=folder, position=next_pos
            )
            next_pos += 1
            session.add(gallery)
            session.flush()
            assert gallery.id is not None
            known[folder] = gallery.id
        return known


def list_collections(catalog: Catalog) -> list[CollectionSummary]:
    with catalog.read() as session:
        counts = {
            row[0]: row[1:]
            for row in session.exec(
                select(
                    Media.collection_id,
                    func.count(),
                    func.sum(Media.kind == "photo"),
                    func.sum(Media.kind == "video"),
                    func.sum(Media.state == MediaState.MISSING.value),
                    func.sum(Media.state == MediaState.ERROR.value),
                ).group_by(Media.collection_id)
            ).all()
        }
        galleries = dict(
            session.exec(
                select(Gallery.collection_id, func.count()).group_by(Gallery.collection_id)
            ).all()
        )
        out = []
        for c in session.exec(
            select(Collection).where(col(Collection.deleted_at).is_(None)).order_by(Collection.id)
        ).scalars():
            assert c.id is not None
            n, photos, videos, missing, errors = counts.get(c.id, (0, 0, 0, 0, 0))
            out.append(
                CollectionSummary(
                    id=c.id,
                    name=c.name,
                    folder=c.folder_display,
                    galleries=int(galleries.get(c.id, 0)),
                    media=int(n or 0),
                    photos=int(photos or 0),
                    videos=int(videos or 0),
                    missing=int(missing or 0),
                    errors=int(errors or 0),
                    status=c.status,
                )
            )
        return out
