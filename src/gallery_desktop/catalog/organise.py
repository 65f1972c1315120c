"""Organising collections and galleries: create, rename, reorder, delete (catalogue rows only).

Deleting never touches a file on disk. A gallery that is a folder on disk with photos in it
cannot be deleted (the next re-scan would bring them back): its photos are moved first.
"""

from __future__ import annotations

import os

from sqlmodel import col, select

from gallery_desktop.catalog.collections import DEFAULT_GALLERY_NAME, display_name
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery, Media, utcnow
from gallery_desktop.catalog.roots import collection_folder
from gallery_desktop.errors import BadInputError


def _name(name: str, what: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise BadInputError(f"a {what} needs a name")
    if len(clean) > 200:
        raise BadInputError(f"a {what} name is at most 200 characters")
    return clean


def create_collection(catalog: Catalog, name: str) -> int:
    """A collection made in the app, not from a folder (photos are moved into it)."""
    with catalog.write() as session:
        collection = Collection(name=_name(name, "collection"))
        session.add(collection)
        session.flush()
        assert collection.id is not None
        session.add(Gallery(collection_id=collection.id, name=DEFAULT_GALLERY_NAME, position=0))
        return collection.id


def _rename(
    catalog: Catalog, table: type[Collection] | type[Gallery], ident: int, name: str
) -> None:
    what = table.__name__.lower()
    with catalog.write() as session:
        found = session.get(table, ident)
        if found is None:
            raise BadInputError(f"no {what} with id {ident}")
        found.name = _name(name, what)
        found.updated_at = utcnow()
        session.add(found)


def rename_collection(catalog: Catalog, collection_id: int, name: str) -> None:
    _rename(catalog, Collection, collection_id, name)


def delete_collection(catalog: Catalog, collection_id: int) -> int:
    """Remove a collection and everything catalogued in it; returns how many media rows went.
    The folder and its files stay on disk; importing the folder again starts afresh."""
    with catalog.write() as session:
        found = session.get(Collection, collection_id)
        if found is None:
            raise BadInputError(f"no collection with id {collection_id}")
        count = len(
            session.exec(select(Media.id).where(col(Media.collection_id) == collection_id)).all()
        )
        session.delete(found)  # galleries, media, clients, watch settings: ON DELETE CASCADE
    return count


def create_gallery(catalog: Catalog, collection_id: int, name: str) -> int:
    with catalog.write() as session:
        if session.get(Collection, collection_id) is None:
            raise BadInputError(f"no collection with id {collection_id}")
        positions = session.exec(
            select(Gallery.position).where(col(Gallery.collection_id) == collection_id)
        ).all()
        gallery = Gallery(
            collection_id=collection_id,
            name=_name(name, "gallery"),
            position=max(positions, default=-1) + 1,
        )
        session.add(gallery)
        session.flush()
        assert gallery.id is not None
        return gallery.id


def rename_gallery(catalog: Catalog, gallery_id: int, name: str) -> None:
    _rename(catalog, Gallery, gallery_id, name)


def move_gallery(catalog: Catalog, gallery_id: int, position: int) -> None:
    """Put a gallery at `position` (0 = first) among its collection's galleries."""
    with catalog.write() as session:
        found = session.get(Gallery, gallery_id)
        if found is None:
            raise BadInputError(f"no gallery with id {gallery_id}")
        siblings = list(
            session.exec(
                select(Gallery)
                .where(col(Gallery.collection_id) == found.collection_id)
                .order_by(col(Gallery.position), col(Gallery.id))
            )
        )
        siblings.remove(found)
        siblings.insert(max(0, min(position, len(siblings))), found)
        for i, gallery in enumerate(siblings):
            if gallery.position != i:
                gallery.position = i
                session.add(gallery)


def delete_gallery(catalog: Catalog, gallery_id: int) -> int:
    """Remove a gallery and its media rows; returns how many went. Refused for a gallery that
    is a folder on disk with media in it (they would be catalogued again at the next scan)."""
    with catalog.write() as session:
        found = session.get(Gallery, gallery_id)
        if found is None:
            raise BadInputError(f"no gallery with id {gallery_id}")
        media = session.exec(select(Media.id).where(col(Media.gallery_id) == gallery_id)).all()
        collection = session.get(Collection, found.collection_id)
        # in an offline library root: the folder may well be there (refused, to be safe)
        base = collection_folder(catalog, collection) if collection is not None else None
        on_disk = (
            base is not None
            and found.folder is not None
            and os.path.isdir(os.path.join(base, found.folder))
        )
        if media and on_disk:
            assert base is not None and found.folder is not None
            raise BadInputError(
                f"gallery {found.name!r} is the folder "
                f"{display_name(os.path.join(base, found.folder))} on disk: its "
                "photos would come back at the next re-scan. Move them to another gallery "
                "first, or remove the folder on disk"
            )
        session.delete(found)
        return len(media)
