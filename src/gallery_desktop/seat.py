"""This workstation's own settings for a catalogue: which catalogue it opens, where the library
roots are mounted here, and the name its edits are recorded under.

A shared catalogue (PostgreSQL) is used by several workstations ("seats") at once; each keeps
this small file (`seat.json` in its config folder) for what differs between them. No Qt here:
the CLI and the app read the same file.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.urls import check_url
from gallery_desktop.errors import CatalogError
from gallery_desktop.paths import AppPaths

try:
    import fcntl
except ImportError:  # Windows: saves are still atomic, just not serialised
    fcntl = None  # type: ignore[assignment]

SEAT_FILE: Final = "seat.json"
CATALOG_URL_ENV: Final = "GALLERY_DESKTOP_CATALOG_URL"
SEAT_NAME_ENV: Final = "GALLERY_DESKTOP_SEAT"


def default_seat_name() -> str:
    return os.environ.get(SEAT_NAME_ENV) or socket.gethostname() or "this workstation"


@dataclass
class Seat:
    """What `seat.json` holds. Unknown keys are kept as they were."""

    path: Path
    catalog_url: str | None = None
    name: str = field(default_factory=default_seat_name)
    roots: dict[str, str] = field(default_factory=dict)  # library root name → mount point here
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self) -> None:
        """Write the file whole (a temp file of its own, then an atomic rename)."""
        data = dict(self.extra)
        data["catalog_url"] = self.catalog_url
        data["seat_name"] = self.name
        data["library_roots"] = dict(sorted(self.roots.items()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def mount_point(self, root: str) -> Path | None:
        """Where the library root `root` is mounted on this seat (None: not mapped here)."""
        where = self.roots.get(root)
        return Path(where).expanduser() if where else None


@contextmanager
def changing_seat(where: AppPaths | Path) -> Iterator[Seat]:
    """Read, change and save seat.json (of these paths, or this file) with no other process
    doing the same in between (the app's preferences and `roots map` in a terminal). Nothing
    is saved if the block raises."""
    path = where if isinstance(where, Path) else where.config_dir / SEAT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a+b") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            seat = read_seat(path)
            yield seat
            seat.save()
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def load_seat(paths: AppPaths) -> Seat:
    return read_seat(paths.config_dir / SEAT_FILE)


def read_seat(path: Path) -> Seat:
    if not path.is_file():
        return Seat(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path} cannot be read ({exc}); fix or remove it") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path} is not a settings file (a JSON object); fix or remove it")
    url = data.pop("catalog_url", None)
    name = data.pop("seat_name", None)
    roots = data.pop("library_roots", None) or {}
    if url is not None and not isinstance(url, str):
        raise CatalogError(f"{path}: catalog_url must be text")
    if not isinstance(roots, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in roots.items()
    ):
        raise CatalogError(f"{path}: library_roots must map names to folders")
    return Seat(
        path,
        catalog_url=url or None,
        name=name if isinstance(name, str) and name else default_seat_name(),
        roots=roots,
        extra=data,
    )


def catalog_location(
    paths: AppPaths, url: str | None = None, seat: Seat | None = None
) -> Path | str:
    """`--catalog-url` wins, then GALLERY_DESKTOP_CATALOG_URL, then this seat's preference
    (`seat`, read from `paths` if not given), then the embedded SQLite file."""
    chosen = url or os.environ.get(CATALOG_URL_ENV) or (seat or load_seat(paths)).catalog_url
    return check_url(chosen) if chosen else paths.catalog_file


def apply_seat(catalog: Catalog, seat: Seat) -> Catalog:
    """Tell an open catalogue this seat's name and where it mounts the library roots."""
    catalog.seat_name = seat.name
    catalog.roots = {
        name: where for name in seat.roots if (where := seat.mount_point(name)) is not None
    }
    return catalog


def open_catalog(paths: AppPaths, url: str | None = None) -> Catalog:
    """The catalogue this seat uses, knowing where this seat mounts the library roots."""
    seat = load_seat(paths)  # read once: a bad file is reported before anything opens
    catalog = Catalog(catalog_location(paths, url, seat), backup_dir=paths.backup_dir)
    return apply_seat(catalog, seat)
