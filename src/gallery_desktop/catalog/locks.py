"""Locks between the processes of this machine (SQLite: lock files beside the catalogue) and,
on a shared PostgreSQL catalogue, between workstations (advisory locks the server frees when a
seat's connection ends, a crashed seat's included)."""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

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


def lock_file(catalog: Catalog, name: str) -> Path:
    """The lock file of `name` beside an SQLite catalogue (readable, and unique per name)."""
    assert catalog.db_file is not None
    lock_dir = catalog.db_file.parent / "locks"
    lock_dir.mkdir(exist_ok=True)
    safe = re.sub(r"[^\w.-]", "_", name)[:60]
    return lock_dir / f"{catalog.db_file.stem}-{safe}-{zlib.crc32(name.encode()):08x}.lock"


def _try_flock(f: Any) -> bool:
    """Take the file's exclusive lock if free (True); where there is no flock, always True."""
    if fcntl is not None:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


class HeldLocks:
    """Named locks held until released or closed: PostgreSQL advisory locks on one connection
    of their own (every seat sees them), or lock files kept open (this machine's processes).

    Used by one thread at a time (the watcher's). If the connection is lost, so are its locks
    (the server frees them, and another seat may take them): `verify` notices, forgets them,
    and the next `hold` asks again on a new connection."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._conn: Connection | None = None
        self._files: dict[str, Any] = {}
        self._held: set[str] = set()
        self._closed = False

    @property
    def names(self) -> set[str]:
        return set(self._held)

    def verify(self) -> None:
        """Forget every lock if the connection holding them is gone."""
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("the connection holding the watch locks was lost: %s", exc)
            self._drop_connection()

    def hold(self, name: str) -> bool:
        """True if this holds `name` now (already, or newly); False if someone else does."""
        if self._closed:
            return False
        if name in self._held:
            return True
        if self.catalog.db_file is None:
            got = self._hold_pg(name)
        else:
            f = lock_file(self.catalog, name).open("a+b")
            got = _try_flock(f)
            if got:
                self._files[name] = f
            else:
                f.close()
        if got:
            self._held.add(name)
        return got

    def _hold_pg(self, name: str) -> bool:
        try:
            if self._conn is None:
                self._conn = self.catalog.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            return bool(
                self._conn.execute(
                    text("SELECT pg_try_advisory_lock(:s, :k)"),
                    {"s": LOCK_SPACE, "k": lock_key(name)},
                ).scalar()
            )
        except SQLAlchemyError as exc:
            log.warning("could not ask for the lock %s: %s", name, exc)
            self._drop_connection()
            return False

    def release(self, name: str) -> None:
        if name not in self._held:
            return
        if self._conn is not None:
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:s, :k)"),
                    {"s": LOCK_SPACE, "k": lock_key(name)},
                )
            except SQLAlchemyError as exc:
                log.warning("could not release the lock %s: %s", name, exc)
                self._drop_connection()  # the server frees what the session held
        self._held.discard(name)
        f = self._files.pop(name, None)
        if f is not None:
            f.close()  # closing the file drops its flock

    def _drop_connection(self) -> None:
        """Never back into the pool still holding locks: the connection is thrown away."""
        if self._conn is not None:
            with suppress(SQLAlchemyError):
                self._conn.invalidate()
            with suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        self._held -= {n for n in self._held if n not in self._files}

    def close(self) -> None:
        self._closed = True
        for f in self._files.values():
            f.close()
        self._files.clear()
        if self._conn is not None:
            try:  # the connection goes back to the pool: its session must not keep them
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._conn.close()
                self._conn = None
            except SQLAlchemyError as exc:
                log.warning("could not release the watch locks: %s", exc)
                self._drop_connection()
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
    with lock_file(catalog, name).open("a+b") as f:
        if not _try_flock(f):
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
    except SQLAlchemyError as exc:
        log.warning("the lock's connection was lost before its release: %s", exc)
        with suppress(SQLAlchemyError):
            conn.invalidate()  # not back into the pool still holding it


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
