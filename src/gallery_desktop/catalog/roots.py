"""Library roots: named places shoots live ("Archive"), mounted at a different folder on each
workstation. A collection under a root stores its folder relative to it, so the same catalogue
finds the same photos at `/mnt/nas/archive/…` on one seat and `Z:\\archive\\…` on another.

A root that this seat has not mapped, or that is not mounted (its folder is missing or empty), is
*offline* here: its media show as `offline` (not `missing`), and nothing is re-scanned, watched
or marked until it returns. Where each seat mounts a root is the seat's own business
(`seat.json`); the catalogue holds only the names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, LibraryRoot
from gallery_desktop.errors import BadInputError, RootOfflineError

OFFLINE = "offline"


@dataclass(frozen=True)
class RootInfo:
    id: int
    name: str
    mount: Path | None  # where this seat mounts it (None: not mapped here)
    online: bool
    collections: int

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "mount": str(self.mount) if self.mount else None,
            "online": self.online,
            "collections": self.collections,
        }


def mounted(folder: Path | None) -> bool:
    """Whether a root's mount point holds anything: an unmounted share usually leaves an empty
    folder (or none) behind, and an empty root has nothing to scan either way."""
    if folder is None:
        return False
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def check_root_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c in name for c in "/\\\0"):
        raise BadInputError(
            f"{name!r} cannot name a library root: use a short name without slashes"
        )
    return name


def add_root(catalog: Catalog, name: str) -> int:
    """Make the root `name` known to the catalogue (every seat sees it); returns its id."""
    name = check_root_name(name)
    with catalog.write() as session:
        found = session.exec(select(LibraryRoot).where(col(LibraryRoot.name) == name)).first()
        if found is not None:
            assert found.id is not None
            return found.id
        root = LibraryRoot(name=name)
        session.add(root)
        session.flush()
        assert root.id is not None
        return root.id


def remove_root(catalog: Catalog, name: str) -> None:
    with catalog.write() as session:
        found = session.exec(select(LibraryRoot).where(col(LibraryRoot.name) == name)).first()
        if found is None:
            raise BadInputError(f"no library root {name!r}")
        used = session.exec(
            select(func.count()).select_from(Collection).where(col(Collection.root_id) == found.id)
        ).one()
        if used:
            raise BadInputError(f"library root {name!r} still holds {used} collection(s); it stays")
        session.delete(found)


def list_roots(catalog: Catalog) -> list[RootInfo]:
    with catalog.read() as session:
        rows = session.exec(
            select(LibraryRoot.id, LibraryRoot.name, func.count(col(Collection.id)))
            .join(Collection, col(Collection.root_id) == col(LibraryRoot.id), isouter=True)
            .group_by(col(LibraryRoot.id), col(LibraryRoot.name))
            .order_by(col(LibraryRoot.name))
        ).all()
    out = []
    for rid, name, n in rows:
        assert rid is not None
        mount = catalog.roots.get(name)
        out.append(RootInfo(rid, name, mount, mounted(mount), int(n)))
    return out


def root_names(catalog: Catalog) -> dict[int, str]:
    with catalog.read() as session:
        return {r.id: r.name for r in session.exec(select(LibraryRoot)).all() if r.id is not None}


def offline_roots(catalog: Catalog) -> set[int]:
    """The ids of the roots that are offline on this seat."""
    return {
        rid for rid, name in root_names(catalog).items() if not mounted(catalog.roots.get(name))
    }


def offline_collections(catalog: Catalog) -> set[int]:
    """The collections whose library root is offline on this seat (their media show as
    `offline`)."""
    with catalog.read() as session:
        rows = session.exec(
            select(Collection.id, LibraryRoot.name).join(
                LibraryRoot, col(LibraryRoot.id) == col(Collection.root_id)
            )
        ).all()
    online: dict[str, bool] = {}
    out = set()
    for cid, name in rows:
        if name not in online:
            online[name] = mounted(catalog.roots.get(name))
        if not online[name] and cid is not None:
            out.add(cid)
    return out


def locate(catalog: Catalog, folder: bytes) -> tuple[int | None, bytes]:
    """How the catalogue stores an absolute folder: (root id, path relative to it) when it
    lies inside a root this seat mounts, else (None, the folder as it is)."""
    names = {name: rid for rid, name in root_names(catalog).items()}
    for name, mount in sorted(catalog.roots.items(), key=lambda kv: -len(str(kv[1]))):
        if name not in names:
            continue
        base = os.path.realpath(os.fsencode(mount)).rstrip(b"/")
        if folder.startswith(base + b"/"):
            return names[name], folder[len(base) + 1 :]
    return None, folder


def local_folder(
    catalog: Catalog,
    folder: bytes | None,
    root_id: int | None,
    *,
    names: dict[int, str] | None = None,
    online: dict[str, bool] | None = None,
) -> bytes | None:
    """Where a collection's folder is on this seat (None: it has no folder).

    Raises RootOfflineError when its library root is not mapped or not mounted here. Callers
    resolving many collections pass the root `names` (read once) and an `online` dict that
    keeps each mount point's look (one directory read per root, not per collection)."""
    if folder is None or root_id is None:
        return folder
    name = (names if names is not None else root_names(catalog)).get(root_id)
    if name is None:  # the root row is gone: cannot be (a foreign key refuses it)
        raise RootOfflineError(f"library root {root_id} is unknown")
    mount = catalog.roots.get(name)
    if mount is None:
        raise RootOfflineError(
            f"the library root {name!r} is not mapped on this workstation: "
            f"gallery-desktop roots map {name!r} FOLDER tells where it is mounted here"
        )
    if online is None:
        online = {}
    if name not in online:
        online[name] = mounted(mount)
    if not online[name]:
        raise RootOfflineError(
            f"the library root {name!r} is offline: nothing is mounted at {mount}; "
            "its collections are left as they are until it returns"
        )
    return os.path.join(os.fsencode(mount), folder)


def collection_folder(catalog: Catalog, collection: Collection) -> bytes | None:
    return local_folder(catalog, collection.folder, collection.root_id)


def move_to_root(catalog: Catalog, collection_id: int, root: str) -> bytes:
    """Store a collection's (absolute) folder relative to `root`, which this seat must mount
    around it. Returns the relative folder."""
    with catalog.write() as session:
        collection = session.get(Collection, collection_id)
        if collection is None or collection.folder is None:
            raise BadInputError(f"collection {collection_id} has no folder on disk")
        if collection.root_id is not None:
            raise BadInputError(f"collection {collection.name!r} is in a library root already")
        found = session.exec(select(LibraryRoot).where(col(LibraryRoot.name) == root)).first()
        if found is None:
            raise BadInputError(f"no library root {root!r}; add it first: roots add {root!r} DIR")
        mount = catalog.roots.get(root)
        if mount is None:
            raise BadInputError(f"library root {root!r} is not mapped on this workstation")
        base = os.path.realpath(os.fsencode(mount)).rstrip(b"/")
        if not collection.folder.startswith(base + b"/"):
            raise BadInputError(
                f"the folder of {collection.name!r} ({collection.folder_display}) is not "
                f"inside {mount}, where {root!r} is mounted here"
            )
        collection.folder = collection.folder[len(base) + 1 :]
        collection.root_id = found.id
        session.add(collection)
        return collection.folder
