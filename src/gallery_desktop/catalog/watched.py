"""Which folders the watch service follows: each collection's folder, and shoots folders.

A shoots folder (a watch root without a collection) is where the photographer puts new shoots:
every first-level folder that appears in it is imported as a collection of its own.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

from sqlmodel import col, select

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, WatchedFolder, utcnow
from gallery_desktop.catalog.roots import local_folder, root_names
from gallery_desktop.errors import BadInputError, RootOfflineError


@dataclass(frozen=True)
class WatchTarget:
    id: int
    path: bytes
    collection_id: int | None  # None: a shoots folder
    name: str
    enabled: bool
    polling: bool
    offline: bool = False  # its library root is not mounted on this seat: not watched now
    root: str | None = None  # the library root it is in
    root_id: int | None = None

    @property
    def lock_name(self) -> str:
        """Who watches it: one seat per library root, else per collection or shoots folder."""
        if self.root_id is not None:  # the id: a renamed root is still the same lock
            return f"watch-root-{self.root_id}"
        if self.collection_id is not None:
            return f"watch-collection-{self.collection_id}"
        return f"watch-folder-{zlib.crc32(self.path):08x}"

    @property
    def is_shoots_folder(self) -> bool:
        return self.collection_id is None


def list_watched(catalog: Catalog) -> list[WatchTarget]:
    """Every watch target, collections first. A collection without a row is watched (the
    default), so its row is made here (the only write, and only then: the watcher asks every
    few seconds while something is offline or watched by another seat)."""
    rows, live = _watch_rows(catalog)
    have = {w.collection_id for w in rows if w.collection_id is not None}
    missing = [c for c in live if c.id not in have and c.folder is not None]
    if missing:
        with catalog.write() as session:
            made = set(
                session.exec(
                    select(WatchedFolder.collection_id).where(
                        col(WatchedFolder.collection_id).in_([c.id for c in missing])
                    )
                ).all()
            )
            for c in missing:
                if c.id not in made and c.folder is not None:
                    session.add(WatchedFolder(collection_id=c.id, path=c.folder))
        rows, live = _watch_rows(catalog)
    names = {c.id: c.name for c in live}
    roots = root_names(catalog)
    online: dict[str, bool] = {}  # a root's mount point is looked at once per call
    # Folders in a library root are where this seat mounts it (None: offline here).
    where = {c.id: _here(catalog, c, roots, online) for c in live}
    root_of = {c.id: c.root_id for c in live if c.root_id is not None}
    out = [
        WatchTarget(
            id=w.id,
            path=(where.get(w.collection_id) or w.path) if w.collection_id else w.path,
            collection_id=w.collection_id,
            name=(names.get(w.collection_id) if w.collection_id else None)
            or display_name(os.path.basename(w.path) or w.path),
            enabled=w.enabled and not (w.collection_id and where.get(w.collection_id) is None),
            polling=w.polling,
            offline=bool(w.collection_id) and where.get(w.collection_id) is None,
            root=roots.get(root_of[w.collection_id]) if w.collection_id in root_of else None,
            root_id=root_of.get(w.collection_id),
        )
        for w in rows
        if w.id is not None and (w.collection_id is None or w.collection_id in names)
    ]
    return sorted(out, key=lambda t: (t.is_shoots_folder, t.name.lower()))


def _watch_rows(catalog: Catalog) -> tuple[list[WatchedFolder], list[Collection]]:
    with catalog.read() as session:
        rows = list(session.exec(select(WatchedFolder)).all())
        live = list(
            session.exec(
                select(Collection).where(
                    col(Collection.deleted_at).is_(None), col(Collection.folder).is_not(None)
                )
            ).all()
        )
    return rows, live


def _here(
    catalog: Catalog, c: Collection, roots: dict[int, str], online: dict[str, bool]
) -> bytes | None:
    """Where a collection's folder is on this seat (None: its library root is offline)."""
    try:
        return local_folder(catalog, c.folder, c.root_id, names=roots, online=online)
    except RootOfflineError:
        return None


def set_collection_watched(catalog: Catalog, collection_id: int, enabled: bool) -> None:
    list_watched(catalog)  # makes the collection's row if it has none yet
    with catalog.write() as session:
        row = session.exec(
            select(WatchedFolder).where(col(WatchedFolder.collection_id) == collection_id)
        ).first()
        if row is None:
            raise BadInputError(f"collection {collection_id} has no folder to watch")
        row.enabled = enabled
        session.add(row)


def add_shoots_folder(catalog: Catalog, folder: str | bytes, *, polling: bool = False) -> None:
    raw = os.path.realpath(os.path.expanduser(os.fsencode(folder)))
    if not os.path.isdir(raw):
        raise BadInputError(f"not a folder: {display_name(raw)}")
    with catalog.write() as session:
        found = session.exec(select(WatchedFolder).where(col(WatchedFolder.path) == raw)).first()
        if found is not None:
            found.enabled = True
            session.add(found)
            return
        session.add(WatchedFolder(collection_id=None, path=raw, polling=polling))


def remove_shoots_folder(catalog: Catalog, folder: str | bytes) -> None:
    raw = os.path.realpath(os.path.expanduser(os.fsencode(folder)))
    with catalog.write() as session:
        found = session.exec(
            select(WatchedFolder).where(
                col(WatchedFolder.path) == raw, col(WatchedFolder.collection_id).is_(None)
            )
        ).first()
        if found is None:
            raise BadInputError(f"{display_name(raw)} is not a watched shoots folder")
        session.delete(found)


def mark_scanned(catalog: Catalog, target_id: int) -> None:
    with catalog.write() as session:
        row = session.get(WatchedFolder, target_id)
        if row is not None:
            row.last_scan_at = utcnow()
            session.add(row)


def catalogued_folders(catalog: Catalog) -> list[tuple[str, bytes]]:
    """("collection 'X'" or "the shoots folder 'Y'", path) of every folder whose contents
    become catalogue entries: collection folders and the shoots folders watched for new shoots.
    Read-only (unlike `list_watched`)."""
    with catalog.read() as session:
        collections = session.exec(
            select(Collection).where(
                col(Collection.deleted_at).is_(None), col(Collection.folder).is_not(None)
            )
        ).all()
        roots = session.exec(
            select(WatchedFolder.path).where(
                col(WatchedFolder.collection_id).is_(None), col(WatchedFolder.enabled)
            )
        ).all()
    names, online = root_names(catalog), dict[str, bool]()
    out = []
    for c in collections:
        # not mounted here (None): nothing can be written into it either
        if folder := _here(catalog, c, names, online):
            out.append((f"collection {c.name!r}", folder))
    out += [(f"the shoots folder {display_name(path)!r}", path) for path in roots]
    return out
