"""Collections and their galleries: finding, creating, listing with counts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from gallery_desktop.catalog.collection_defaults import apply_defaults, check_shoot_type
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery, WatchedFolder, utcnow
from gallery_desktop.catalog.roots import locate, offline_roots, root_names
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
    root: str | None = None  # the library root its folder is in
    offline: bool = False  # that root is not mounted on this seat


@dataclass(frozen=True)
class GallerySummary:
    id: int
    collection_id: int
    name: str
    media: int
    position: int


def list_galleries(catalog: Catalog, collection_id: int) -> list[GallerySummary]:
    """Galleries in order, with their media counts (kept by triggers: no counting here)."""
    with catalog.read() as session:
        rows = session.exec(
            select(Gallery)
            .where(col(Gallery.collection_id) == collection_id, col(Gallery.deleted_at).is_(None))
            .order_by(col(Gallery.position), col(Gallery.name))
        )
        return [
            GallerySummary(g.id, collection_id, g.name, g.media_count, g.position)
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
    rows = session.exec(select(Collection).where(live, col(Collection.name) == ref)).all()
    if not rows:
        rows = session.exec(
            select(Collection).where(live, func.lower(col(Collection.name)) == ref.lower())
        ).all()
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        ids = ", ".join(str(c.id) for c in rows)
        raise BadInputError(f"several collections are named {ref!r} (ids {ids}); use the id")
    raise BadInputError(
        f"no collection {ref!r}; `gallery-desktop collections` lists what the catalogue has"
    )


def _on_this_seat(catalog: Catalog, names: dict[int, str], c: Collection) -> bytes | None:
    """A collection's folder as this seat sees it (None: no folder, or its root is offline)."""
    if c.folder is None or c.root_id is None:
        return c.folder
    mount = catalog.roots.get(names.get(c.root_id, ""))
    if mount is None:
        return None
    return os.path.join(os.path.realpath(os.fsencode(mount)), c.folder)


def _refuse_overlap(catalog: Catalog, session: Session, folder: bytes) -> None:
    """A folder inside (or around) another collection's folder would catalogue files twice.

    Compared as this seat sees the folders (a collection in a library root under its mount
    point here; one whose root is not mapped here cannot be compared)."""
    names = root_names(catalog)
    for other in session.exec(select(Collection).where(col(Collection.folder).is_not(None))):
        theirs = _on_this_seat(catalog, names, other)
        if theirs is None or theirs == folder or other.deleted_at is not None:
            continue
        if folder.startswith(theirs.rstrip(b"/") + b"/"):
            raise BadInputError(
                f"{display_name(folder)} is inside the folder of collection {other.name!r} "
                f"({other.folder_display}); its photos are already catalogued there. "
                f"Re-scan that collection instead: gallery-desktop rescan {other.id}"
            )
        if theirs.startswith(folder.rstrip(b"/") + b"/"):
            raise BadInputError(
                f"{display_name(folder)} contains the folder of collection {other.name!r} "
                f"({other.folder_display}); importing it would catalogue those photos twice"
            )


def collection_for_folder(
    catalog: Catalog, folder: bytes, *, shoot_type: str | None = None
) -> Collection:
    """The collection made from this folder, creating it (named after the folder) if new.

    A new collection starts from the defaults of `shoot_type` (None: the catalogue's default
    shoot type, if one is chosen); an existing one keeps its settings.
    Raises BadInputError if the folder is inside or around another collection's folder, or
    the shoot type is unknown.
    """
    shown = display_name(folder)
    root_id, stored = locate(catalog, folder)  # inside a library root: stored relative to it
    with catalog.write() as session:
        if shoot_type is not None:
            shoot_type = check_shoot_type(session.connection(), shoot_type)  # a typo: refused
        found = (
            session.exec(
                select(Collection).where(
                    col(Collection.folder) == stored, col(Collection.root_id) == root_id
                )
            ).first()
            if root_id is not None
            else None
        )
        if found is None:  # stored as it is (outside every root, or made before its root was)
            found = session.exec(
                select(Collection).where(
                    col(Collection.folder) == folder, col(Collection.root_id).is_(None)
                )
            ).first()
        if found is not None:
            if found.deleted_at is not None:
                found.deleted_at = None
                found.updated_at = utcnow()
                session.add(found)
            return found
        _refuse_overlap(catalog, session, folder)
        collection = Collection(
            name=display_name(os.path.basename(folder.rstrip(b"/")) or folder),
            folder=stored,
            folder_display=shown,
            root_id=root_id,
        )
        session.add(collection)
        session.flush()
        session.add(WatchedFolder(collection_id=collection.id, path=stored))  # watched by default
        assert collection.id is not None
        if apply_defaults(session.connection(), collection.id, shoot_type) is not None:
            session.refresh(collection)
        return collection


def ensure_galleries(catalog: Catalog, collection_id: int, folders: set[bytes]) -> dict[bytes, int]:
    """Gallery ids for first-level folders (b'' is the root's default gallery), made as needed.

    New galleries are placed after the existing ones, in name order.
    """
    with catalog.read() as session:
        known_now = {
            g.folder: g.id
            for g in session.exec(
                select(Gallery).where(col(Gallery.collection_id) == collection_id)
            )
            if g.folder is not None and g.id is not None
        }
    if folders <= known_now.keys():
        return known_now  # the usual re-scan: nothing to write
    with catalog.write() as session:
        existing = session.exec(
            select(Gallery).where(col(Gallery.collection_id) == collection_id)
        ).all()
        known: dict[bytes, int] = {
            g.folder: g.id for g in existing if g.folder is not None and g.id is not None
        }
        next_pos = max((g.position for g in existing), default=-1) + 1
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
    names = root_names(catalog)
    offline = offline_roots(catalog) if names else set()
    with catalog.read() as session:
        counts: dict[int, tuple[int, int, int, int, int]] = {}
        for cid, n, photos, videos, missing, errors in session.connection().execute(
            text(
                "SELECT collection_id, sum(media_count), sum(photo_count), sum(video_count), "
                "sum(missing_count), sum(error_count) FROM gallery GROUP BY collection_id"
            )
        ):
            counts[cid] = (n, photos or 0, videos or 0, missing or 0, errors or 0)
        galleries: dict[int, int] = {
            cid: n
            for cid, n in session.exec(
                select(col(Gallery.collection_id), func.count())
                .where(col(Gallery.deleted_at).is_(None))
                .group_by(col(Gallery.collection_id))
            ).all()
        }
        out = []
        for c in session.exec(
            select(Collection)
            .where(col(Collection.deleted_at).is_(None))
            .order_by(col(Collection.id))
        ):
            assert c.id is not None
            n, photos, videos, missing, errors = counts.get(c.id, (0, 0, 0, 0, 0))
            out.append(
                CollectionSummary(
                    id=c.id,
                    name=c.name,
                    folder=c.folder_display,
                    galleries=galleries.get(c.id, 0),
                    media=n,
                    photos=photos,
                    videos=videos,
                    missing=missing,
                    errors=errors,
                    status=c.status,
                    root=names.get(c.root_id) if c.root_id is not None else None,
                    offline=c.root_id in offline,
                )
            )
        return out


def find_gallery(session: Session, collection_id: int, ref: str) -> Gallery:
    """A gallery of a collection by id or by name (exact, then case-insensitive)."""
    ref = ref.strip()
    live = (col(Gallery.collection_id) == collection_id, col(Gallery.deleted_at).is_(None))
    if ref.isdigit():
        found = session.get(Gallery, int(ref))
        if found is not None and found.collection_id == collection_id and not found.deleted_at:
            return found
    rows = session.exec(select(Gallery).where(*live, col(Gallery.name) == ref)).all()
    if not rows:
        rows = session.exec(
            select(Gallery).where(*live, func.lower(col(Gallery.name)) == ref.lower())
        ).all()
    if len(rows) == 1:
        return rows[0]
    names = ", ".join(
        repr(g.name)
        for g in session.exec(select(Gallery).where(*live).order_by(col(Gallery.position)))
    )
    if rows:
        raise BadInputError(f"several galleries are named {ref!r}; use the id")
    raise BadInputError(f"no gallery {ref!r} in this collection (it has: {names or 'none'})")
