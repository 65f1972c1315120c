"""The catalogue connection, on either engine: the embedded SQLite file (the default) or a shared
PostgreSQL database (`--catalog-url postgresql+psycopg://…`).

Everything that is spelled differently on the two engines lives here: connection settings,
migrations' trigger DDL, locks between processes and seats, backups, and the few SQL functions
the queries need (`epoch_seconds`, `joined`). The rest of the catalogue code is portable SQL.
"""

from __future__ import annotations

import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer, String
from sqlmodel import Session

from gallery_desktop.catalog.locks import LOCK_SPACE, HeldLocks, collection_lock, try_lock
from gallery_desktop.catalog.postgres import make_pg_engine
from gallery_desktop.catalog.urls import POSTGRESQL, SQLITE, check_url, display_url, is_url
from gallery_desktop.errors import CatalogError

try:
    import fcntl
except ImportError:  # Windows: imports are not locked against each other there (yet)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000
# PostgreSQL's "deadlock detected" and "could not serialize": the transaction may be run again
_CONFLICTS = frozenset({"40P01", "40001"})
T = TypeVar("T")


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


# -- SQLite ------------------------------------------------------------------------------------


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


class CommitCounter:
    """How many commits other connections have made to an SQLite file, read cheaply (SQLite's
    `PRAGMA data_version`, on a read-only connection of its own): what a window polls to
    notice the watcher's, the CLI's or another window's changes."""

    def __init__(self, db_file: Path) -> None:
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            f"{db_file.resolve().as_uri()}?mode=ro", uri=True
        )
        self._last = 0
        self._last = self.read()

    def read(self) -> int:
        """The counter now (the last value read, if the file cannot be read this moment)."""
        if self._conn is None:
            return self._last
        with suppress(sqlite3.Error):
            self._last = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        return self._last

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# -- migrations: trigger DDL for both engines --------------------------------------------------
#
# Migrations write each trigger once, in SQLite's shape (CREATE TRIGGER name AFTER … ON table
# [WHEN condition] BEGIN statements END) with portable SQL inside, plus four pseudo-functions:
# NOW() (UTC wall clock), RANDOM_KEY() (32 hex digits), JSON_OBJECT(k, v, …) (JSON text) and
# JSON_BOOL(column, 'key') (a boolean member of a JSON text column). `trigger_ddl` turns that into
# the statements of the engine at hand: on PostgreSQL a PL/pgSQL function per trigger.

_TRIGGER = re.compile(
    r"^\s*CREATE TRIGGER (?P<name>\w+) (?P<timing>AFTER (?:INSERT|DELETE|UPDATE(?: OF [\w, ]+?)?))"
    r" ON (?P<table>\w+)(?: WHEN (?P<when>.*?))? BEGIN (?P<body>.*) END\s*$",
    re.DOTALL,
)
_JSON_BOOL = re.compile(r"JSON_BOOL\(([\w.]+), '(\w+)'\)")
_JSON_OBJECT = re.compile(r"JSON_OBJECT\(([^()]*)\)")


def portable_sql(sql: str, dialect: str) -> str:
    """Resolve the pseudo-functions above for one engine."""
    if dialect == SQLITE:
        sql = sql.replace("NOW()", "strftime('%Y-%m-%d %H:%M:%S', 'now')")
        sql = sql.replace("RANDOM_KEY()", "lower(hex(randomblob(16)))")
        sql = _JSON_BOOL.sub(r"json_extract(\1, '$.\2')", sql)
        return _JSON_OBJECT.sub(r"json_object(\1)", sql)
    sql = sql.replace("NOW()", "(now() AT TIME ZONE 'UTC')")
    sql = sql.replace("RANDOM_KEY()", "replace(gen_random_uuid()::text, '-', '')")
    sql = _JSON_BOOL.sub(r"(\1::json ->> '\2')::boolean", sql)
    return _JSON_OBJECT.sub(r"json_build_object(\1)::text", sql)


def trigger_ddl(ddl: str, dialect: str) -> list[str]:
    """The statements that create one trigger (written in the migrations' shape) on an engine."""
    ddl = portable_sql(ddl, dialect)
    if dialect == SQLITE:
        return [ddl]
    m = _TRIGGER.match(ddl)
    if m is None:
        raise ValueError(f"not a trigger in the migrations' shape: {ddl[:80]}…")
    name, table, body = m["name"], m["table"], m["body"].strip()
    if m["when"]:
        body = f"IF {m['when']} THEN {body} END IF;"
    return [
        f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$ "
        f"BEGIN {body} RETURN NULL; END $fn$",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {m['timing']} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()",
    ]


def drop_trigger_ddl(name: str, table: str, dialect: str) -> list[str]:
    if dialect == SQLITE:
        return [f"DROP TRIGGER IF EXISTS {name}"]
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}_fn()"]


def create_triggers(conn: Connection, *ddl: str) -> None:
    for one in ddl:
        for statement in trigger_ddl(one, conn.dialect.name):
            conn.exec_driver_sql(statement)


def drop_triggers(conn: Connection, names: dict[str, str]) -> None:
    """Drop triggers by name → table (a name that does not exist is fine)."""
    for name, table in names.items():
        for statement in drop_trigger_ddl(name, table, conn.dialect.name):
            conn.exec_driver_sql(statement)


@contextmanager
def triggers_kept(conn: Connection, table: str) -> Iterator[None]:
    """Around a batch (copy-and-move) change of `table` on SQLite, which drops its triggers:
    they are created again afterwards, as they were. Nothing to do on PostgreSQL."""
    if conn.dialect.name != SQLITE:
        yield
        return
    saved = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        )
    ]
    # Other tables' triggers name this one: the copy's final rename must not check them.
    conn.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
    for sql in saved:
        name = sql.split()[2]
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql(sql)


def saved_triggers(conn: Connection) -> dict[str, tuple[str, str]]:
    """SQLite: every trigger as name → (table, its CREATE statement), to drop them and create
    them again as they were (`create_triggers`). PostgreSQL: {} (triggers are disabled there)."""
    if conn.dialect.name != SQLITE:
        return {}
    rows = conn.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    )
    return {str(name): (str(table), str(sql)) for name, table, sql in rows}


def trigger_table(ddl: str) -> str:
    m = _TRIGGER.match(ddl)
    if m is None:
        raise ValueError(f"not a trigger in the migrations' shape: {ddl[:80]}…")
    return m["table"]


# -- SQL functions spelled differently on the two engines -------------------------------------


class nulls_first(FunctionElement[Any]):  # noqa: N801
    """An ORDER BY term with NULLs before values, as SQLite sorts ascending by default (on
    PostgreSQL the grid's indexes are made NULLS FIRST to match, migration 0007)."""

    inherit_cache = True


@compiles(nulls_first, SQLITE)
def _nulls_first_sqlite(element: nulls_first, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(nulls_first, POSTGRESQL)
def _nulls_first_pg(element: nulls_first, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.clauses, **kw)} NULLS FIRST"


class epoch_seconds(FunctionElement[int]):  # noqa: N801  (used like func.*)
    """Seconds since 1970 of a UTC timestamp column, as an integer."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_seconds, SQLITE)
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, POSTGRESQL)
def _epoch_pg(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(extract(epoch FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


class joined(FunctionElement[str]):  # noqa: N801
    """The text values of a group joined by a separator: joined(expr, ', ')."""

    type = String()
    inherit_cache = True


@compiles(joined, SQLITE)
def _joined_sqlite(element: joined, compiler: SQLCompiler, **kw: Any) -> str:
    expr, sep = list(element.clauses)
    return f"group_concat({compiler.process(expr, **kw)}, {compiler.process(sep, **kw)})"


@compiles(joined, POSTGRESQL)
def _joined_pg(element: joined, compiler: SQLCompiler, **kw: Any) -> str:
    expr, sep = list(element.clauses)
    return (
        f"string_agg(CAST({compiler.process(expr, **kw)} AS TEXT), {compiler.process(sep, **kw)})"
    )


class moment(FunctionElement[datetime]):  # noqa: N801
    """A timestamp column as comparable values: SQLite stores text in more than one spelling
    ("T" or " ", with or without fractions), so datetime() evens them out; PostgreSQL's
    timestamps compare as they are."""

    inherit_cache = True


@compiles(moment, SQLITE)
def _moment_sqlite(element: moment, compiler: SQLCompiler, **kw: Any) -> str:
    return f"datetime({compiler.process(element.clauses, **kw)})"


@compiles(moment, POSTGRESQL)
def _moment_pg(element: moment, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class latest(FunctionElement[datetime]):  # noqa: N801
    """The greatest of several values, NULLs left out (NULL only when all are NULL)."""

    inherit_cache = True


@compiles(latest, SQLITE)
def _latest_sqlite(element: latest, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's many-argument max() is NULL if any argument is: compare with '' instead
    # (every stored value, text or number, sorts after '').
    args = ", ".join(f"coalesce({compiler.process(c, **kw)}, '')" for c in element.clauses)
    return f"nullif(max({args}), '')"


@compiles(latest, POSTGRESQL)
def _latest_pg(element: latest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


class joined_distinct(FunctionElement[str]):  # noqa: N801
    """The different text values of a group, joined by ',' (SQLite's separator)."""

    type = String()
    inherit_cache = True


@compiles(joined_distinct, SQLITE)
def _joined_distinct_sqlite(element: joined_distinct, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(joined_distinct, POSTGRESQL)
def _joined_distinct_pg(element: joined_distinct, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg(DISTINCT CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


def sql(conn: Connection, element: ClauseElement) -> str:
    """One of these functions as SQL text for this connection's engine, to put in a text()
    query: `sql(conn, epoch_seconds(literal_column("occurred_at")))`. Literals are inlined."""
    return str(element.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def integrity_problems(conn: Connection) -> list[str]:
    """What the engine's own check of its storage finds wrong ([] when sound). SQLite checks
    its file (PRAGMA integrity_check); a PostgreSQL server looks after its storage itself, so
    there it is only asked whether the database answers."""
    if conn.dialect.name == SQLITE:
        rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        return [r for r in rows if r != "ok"]
    conn.execute(text("SELECT 1"))
    return []


class Catalog:
    """An open catalogue, migrated to this version's schema.

    `location` is an SQLite file (a Path) or a database URL. Each unit of work takes its own
    session (`read()` or `write()`); ORM objects never leave the thread that loaded them.
    """

    def __init__(self, location: Path | str, *, backup_dir: Path | None = None) -> None:
        if is_url(str(location)) and not isinstance(location, Path):
            self.url = check_url(str(location))
            parsed = make_url(self.url)
            if parsed.get_backend_name() == SQLITE:
                location = Path(str(parsed.database))
        self.dialect = POSTGRESQL if not isinstance(location, Path) else SQLITE
        self.db_file: Path | None = location if isinstance(location, Path) else None
        if self.db_file is not None:
            self.url = f"sqlite:///{self.db_file}"
            self.backup_dir: Path | None = backup_dir or self.db_file.parent / "backups"
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_newer(peek_revision(self.db_file))
            self.engine = make_engine(self.db_file)
        else:
            self.backup_dir = backup_dir
            self.engine = make_pg_engine(self.url)
        # Where this seat mounts each library root (name → folder): set from seat.json by
        # `seat.open_catalog`; a root missing here, or not mounted, is offline on this seat.
        self.roots: dict[str, Path] = {}
        # The name this seat's edits and activity are recorded under (None: the host's name).
        self.seat_name: str | None = None
        try:
            self._open()
        except OperationalError as exc:
            self.engine.dispose()
            raise CatalogError(
                f"cannot reach the catalogue {self.where}: {str(exc.orig).strip()}"
            ) from exc
        except DatabaseError as exc:
            self.engine.dispose()
            raise CatalogError(f"{self.where} is not a usable catalogue: {exc.orig}") from exc
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def shared(self) -> bool:
        """A catalogue other workstations may use at the same time (PostgreSQL)."""
        return self.dialect == POSTGRESQL

    @property
    def where(self) -> str:
        return str(self.db_file) if self.db_file is not None else display_url(self.url)

    def _refuse_newer(self, rev: str | None) -> None:
        if rev is not None and rev not in known_revisions():
            raise CatalogError(
                f"The catalogue {self.where} was written by a newer version of "
                f"gallery-desktop (schema {rev}); this version knows up to {head_revision()}. "
                "Update gallery-desktop to open it. The catalogue was not changed."
            )

    def _open(self) -> None:
        if self.db_file is not None:
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
        if self.db_file is not None and self.backup_dir is not None and self._has_tables():
            backup_file(self.db_file, self.backup_dir, f"before-{head_revision()}")
        self._upgrade()

    def _has_tables(self) -> bool:
        with self.engine.connect() as conn:
            return bool(inspect(conn).get_table_names())

    def _upgrade(self, target: str = "head") -> None:
        if self.dialect == POSTGRESQL:
            self._upgrade_pg(target)
            return
        assert self.db_file is not None
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
        log.info("catalogue %s migrated to %s", self.where, target)

    def _upgrade_pg(self, target: str) -> None:
        # PostgreSQL migrates in one transaction (DDL is transactional there); seats starting
        # at once queue on an advisory lock, and the later ones find the schema current.
        cfg = _alembic_config()
        with self.engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:s, 0)"), {"s": LOCK_SPACE})
            rev = MigrationContext.configure(conn).get_current_revision()
            self._refuse_newer(rev)
            if rev != head_revision():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
        log.info("catalogue %s migrated to %s", self.where, target)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction: BEGIN IMMEDIATE on SQLite, commit on success, rollback
        on error."""
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

    def write_retrying(self, work: Callable[[Connection], T], attempts: int = 5) -> T:
        """`work` in a write transaction, run again if PostgreSQL picks it as the victim of a
        deadlock or a serialisation conflict with another seat (SQLite's writers take turns,
        so there it runs once). `work` must not have effects outside the transaction."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write_conn() as conn:
                    return work(conn)
            except DBAPIError as exc:
                state = getattr(exc.orig, "sqlstate", None)
                if state not in _CONFLICTS or attempt == attempts:
                    raise
                log.info("write conflict (%s) with another seat: attempt %d", state, attempt + 1)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    # -- locks between processes (and, on PostgreSQL, between seats) ---------------------------

    def try_lock(self, name: str) -> AbstractContextManager[bool]:
        """Hold the lock called `name` if nobody else does: yields True, else False at once
        (`locks.try_lock`: a lock file on SQLite, an advisory lock every seat sees on
        PostgreSQL)."""
        return try_lock(self, name)

    def held_locks(self) -> HeldLocks:
        """Locks to hold for a long time (what a watcher follows), all on one connection."""
        return HeldLocks(self)

    def collection_lock(self, collection_id: int, name: str) -> AbstractContextManager[None]:
        """One import or re-scan of a collection at a time, across threads, processes and
        seats: BusyError at once if another one is running (`locks.collection_lock`)."""
        return collection_lock(self, collection_id, name)

    def close(self) -> None:
        self.engine.dispose()
