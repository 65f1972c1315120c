"""The catalogue connection: pragmas, migrations, the newer-schema guard and backups."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from gallery_desktop.errors import BusyError, CatalogError

try:
    import fcntl
except ImportError:  # Windows: imports are not locked against each other there (yet)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's BEGIN (not pysqlite's implicit one) delimit transactions, so that
    # writers can take BEGIN IMMEDIATE and readers never hold a stale snapshot.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _on_begin(conn: Any) -> None:
    immediate = conn.info.get("begin_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(db_file: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_file}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def backup_file(db_file: Path, backup_dir: Path, label: str) -> Path:
    """Copy the catalogue with SQLite's online backup API (safe while others read)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{db_file.stem}-{label}-{stamp}.sqlite"
    src = sqlite3.connect(str(db_file))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.info("catalogue backed up to %s", target)
    return target


def peek_revision(db_file: Path) -> str | None:
    """The schema revision of a catalogue file, read without writing a single byte to it."""
    if not db_file.exists() or db_file.stat().st_size == 0:
        return None
    try:
        con = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CatalogError(f"{db_file} cannot be opened: {exc}") from exc
    try:
        has_table = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has_table:
            return None
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"{db_file} is not a usable catalogue: {exc}") from exc
    finally:
        con.close()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Catalog:
    """An open catalogue file, migrated to this version's schema.

    Each unit of work takes its own session (`read()` or `write()`); ORM objects never
    leave the thread that loaded them.
    """

    def __init__(self, db_file: Path, *, backup_dir: Path | None = None) -> None:
        self.db_file = db_file
        self.backup_dir = backup_dir or db_file.parent / "backups"
        db_file.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_newer(peek_revision(db_file))
        self.engine = make_engine(db_file)
        try:
            self._open()
        except DatabaseError as exc:
            self.engine.dispose()
            raise CatalogError(f"{db_file} is not a usable catalogue: {exc.orig}") from exc
        except BaseException:
            self.engine.dispose()
            raise

    def _refuse_newer(self, rev: str | None) -> None:
        if rev is not None and rev not in known_revisions():
            raise CatalogError(
                f"The catalogue {self.db_file} was written by a newer version of "
                f"gallery-desktop (schema {rev}); this version knows up to {head_revision()}. "
                "Update gallery-desktop to open it. The catalogue was not changed."
            )

    def _open(self) -> None:
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            mode = raw.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode and str(mode[0]).lower() != "wal":
                log.warning("catalogue journal mode is %s, not WAL", mode[0])
        rev = current_revision(self.engine)
        if rev == head_revision():
            return
        self._refuse_newer(rev)  # written by a newer version since we peeked
        if self._has_tables():
            backup_file(self.db_file, self.backup_dir, f"before-{head_revision()}")
        self._upgrade()

    def _has_tables(self) -> bool:
        with self.engine.connect() as conn:
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type='table'"
            ).scalar()
        return bool(n)

    def _upgrade(self, target: str = "head") -> None:
        cfg = _alembic_config()
        with self.engine.connect() as conn:
            # Batch migrations copy tables; with foreign keys on, dropping the old copy would
            # cascade. The pragma only changes outside a transaction, so switch it here.
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys = OFF")
            conn.info["begin_immediate"] = True  # two processes starting at once: one waits
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, target)
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise CatalogError(f"migration left broken references: {broken[:5]}")
            finally:
                conn.info["begin_immediate"] = False
                raw.execute("PRAGMA foreign_keys = ON")
        log.info("catalogue %s migrated to %s", self.db_file, target)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction: BEGIN IMMEDIATE, commit on success, rollback on error."""
        with self.engine.connect() as conn:
            conn.info["begin_immediate"] = True
            try:
                with Session(bind=conn, expire_on_commit=False) as session:
                    yield session
                    session.commit()
            finally:
                conn.info["begin_immediate"] = False

    @contextmanager
    def write_conn(self) -> Iterator[Connection]:
        """Like `write`, for SQLAlchemy Core batches (the importer's hot path)."""
        with self.engine.connect() as conn:
            conn.info["begin_immediate"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info["begin_immediate"] = False

    @contextmanager
    def collection_lock(self, collection_id: int, name: str) -> Iterator[None]:
        """One import or re-scan of a collection at a time, across threads and processes.

        Raises BusyError at once if another one is running (the GUI, the CLI or the watcher).
        """
        lock_dir = self.db_file.parent / "locks"
        lock_dir.mkdir(exist_ok=True)
        path = lock_dir / f"{self.db_file.stem}-collection-{collection_id}.lock"
        with path.open("a+b") as f:
            if fcntl is not None:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise BusyError(
                        f"collection {name!r} is being imported or re-scanned right now "
                        "(in another window or process); try again when that has finished"
                    ) from None
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self.engine.dispose()
