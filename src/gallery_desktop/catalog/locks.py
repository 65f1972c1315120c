"""Locks between the processes of this machine (SQLite: lock files beside the catalogue) and,
on a shared PostgreSQL catalogue, between workstations (advisory locks the server frees when a
seat's connection ends, a crashed seat's included)."""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from gallery_desktop.errors import BusyError

if TYPE_CHECKING:
    from gallery_desktop.catalog.db import Catalog

try:
    import fcntl
except ImportError:  # Windows: processes are not locked against each other there (yet)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# pg_advisory_lock's first key: "gd" (gallery-desktop); the second names what is locked.
LOCK_SPACE = 0x6764


def lock_key(name: str) -> int:
    """A stable 31-bit key for an advisory lock's name (the same on every seat)."""
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


class HeldLocks:
    """Named locks held until released or closed: PostgreSQL advisory locks on one connection
    of their own (every seat sees them), or lock files kept open (this machine's processes).

    Used by one thread at a time (the watcher's)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._conn: Connection | None = None
        self._files: dict[str, Any] = {}
        self._held: set[str] = set()

    @property
    def names(self) -> set[str]:
        return set(self._held)

    def hold(self, name: str) -> bool:
        """True if this holds `name` now (already, or newly); False if someone else does."""
        if name in self._held:
            return True
        if self.catalog.db_file is None:
            if self._conn is None:
                self._conn = self.catalog.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            got = bool(
                self._conn.execute(
                    text("SELECT pg_try_advisory_lock(:s, :k)"),
                    {"s": LOCK_SPACE, "k": lock_key(name)},
                ).scalar()
            )
        else:
            lock_dir = self.catalog.db_file.parent / "locks"
            lock_dir.mkdir(exist_ok=True)
            safe = re.sub(r"[^\w.-]", "_", name)
            f = (lock_dir / f"{self.catalog.db_file.stem}-{safe}.lock").open("a+b")
            got = True
            if fcntl is not None:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    got = False
            if got:
                self._files[name] = f
            else:
                f.close()
        if got:
            self._held.add(name)
        return got

    def release(self, name: str) -> None:
        if name not in self._held:
            return
        self._held.discard(name)
        if self._conn is not None:
            self._conn.execute(
                text("SELECT pg_advisory_unlock(:s, :k)"), {"s": LOCK_SPACE, "k": lock_key(name)}
            )
        f = self._files.pop(name, None)
        if f is not None:
            f.close()  # closing the file drops its flock

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()
        if self._conn is not None:
            try:  # the connection goes back to the pool: its session must not keep them
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            except DBAPIError as exc:  # gone with the connection anyway
                log.warning("could not release the watch locks: %s", exc)
                self._conn.invalidate()
            self._conn.close()
            self._conn = None
        self._held.clear()


@contextmanager
def try_lock(catalog: Catalog, name: str) -> Iterator[bool]:
    """Hold the lock called `name` if nobody else does: yields True, else False at once.

    SQLite: a lock file beside the catalogue (processes of this machine). PostgreSQL: an
    advisory lock held by a connection of ours (every seat of the catalogue).
    """
    if catalog.db_file is None:
        with catalog.engine.connect() as conn:
            key = lock_key(name)
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:s, :k)"), {"s": LOCK_SPACE, "k": key}
                ).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    _unlock(conn, key)
        return
    lock_dir = catalog.db_file.parent / "locks"
    lock_dir.mkdir(exist_ok=True)
    safe = re.sub(r"[^\w.-]", "_", name)
    with (lock_dir / f"{catalog.db_file.stem}-{safe}.lock").open("a+b") as f:
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
        try:
            yield True
        finally:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _unlock(conn: Connection, key: int) -> None:
    """Let go of an advisory lock; if the connection is gone, so is the lock (the server drops
    a session's locks with it), and the work done under it stands."""
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:s, :k)"), {"s": LOCK_SPACE, "k": key})
        conn.commit()
    except DBAPIError as exc:
        log.warning("the lock's connection was lost before its release: %s", exc)


@contextmanager
def collection_lock(catalog: Catalog, collection_id: int, name: str) -> Iterator[None]:
    """One import or re-scan of a collection at a time, across threads, processes and seats.

    Raises BusyError at once if another one is running (the GUI, the CLI, the watcher, or
    another workstation of a shared catalogue)."""
    with try_lock(catalog, f"collection-{collection_id}") as got:
        if not got:
            raise BusyError(
                f"collection {name!r} is being imported or re-scanned right now "
                "(in another window, process or workstation); try again when that has "
                "finished"
            )
        yield
