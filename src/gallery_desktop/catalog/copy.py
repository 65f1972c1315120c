"""Copy a whole catalogue into another, empty one: SQLite ↔ PostgreSQL, or file to file.

The target is opened (and so migrated to this version's schema) like any catalogue, must hold
no rows, and is filled in one transaction: every table in foreign-key order, primary keys kept,
with the target's triggers suspended so that nothing is counted twice (gallery counts) or
queued for sync (outbox rows): both are copied as they are. Before the commit, every table's
row count and a hash of its rows (in primary-key order, values normalised across the engines)
are compared with the source's; any difference rolls the copy back.

No Qt here; the CLI (`gallery-desktop catalog copy --to URL`) is a thin shell around `copy_catalog`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, String, Table, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

from gallery_desktop.catalog import models  # noqa: F401  (registers the tables)
from gallery_desktop.catalog.db import Catalog, create_triggers, drop_triggers, saved_triggers
from gallery_desktop.catalog.urls import POSTGRESQL, check_url, is_url
from gallery_desktop.errors import BadInputError, CatalogError

BATCH_ROWS: Final = 2000
VERSION_TABLE: Final = "alembic_version"

# (table, rows copied so far in it, rows copied so far in all, rows in all)
Progress = Callable[[str, int, int, int], None]


class VerificationError(CatalogError):
    """The copy differs from the source (it was rolled back)."""


@dataclass
class TableCopy:
    name: str
    rows: int
    sha256: str


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[TableCopy] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "tables": {t.name: {"rows": t.rows, "sha256": t.sha256} for t in self.tables},
            "verified": True,
        }


# -- where the target is ------------------------------------------------------------------------


def target_location(target: str) -> Path | str:
    """`--to`: a PostgreSQL URL, an SQLite URL (sqlite:////abs/path.sqlite) or a plain path."""
    if not target.strip():
        raise BadInputError("--to needs a catalogue: postgresql+psycopg://… or an SQLite file")
    if is_url(target):
        try:
            url = check_url(target)
        except CatalogError as exc:
            raise BadInputError(str(exc)) from None
        parsed = make_url(url)
        if parsed.get_backend_name() != POSTGRESQL:
            return Path(str(parsed.database)).expanduser().absolute()
        return url
    return Path(target).expanduser().absolute()


def _identity(location: Path | str) -> tuple[str, ...]:
    """What names one database, however it is spelled."""
    if isinstance(location, Path):
        return ("sqlite", str(location.resolve()))
    u = make_url(location)
    return ("pg", (u.host or "localhost").lower(), str(u.port or 5432), u.database or "")


def _source_location(source: Catalog) -> Path | str:
    return source.db_file if source.db_file is not None else source.url


def same_catalogue(source: Catalog, target: Path | str) -> bool:
    a, b = _source_location(source), target
    if isinstance(a, Path) and isinstance(b, Path) and a.exists() and b.exists():
        return a.resolve().samefile(b.resolve())
    return _identity(a) == _identity(b)


def open_target(source: Catalog, target: str) -> Catalog:
    """The target catalogue, opened (migrated) — after refusing the source itself."""
    location = target_location(target)
    if same_catalogue(source, location):
        raise BadInputError(f"{source.where} cannot be copied onto itself: --to names it")
    if isinstance(location, Path) and location.is_dir():
        raise BadInputError(f"{location} is a folder: give the new catalogue file's name")
    try:
        return Catalog(location)
    except CatalogError as exc:  # one line: the driver's messages run over several
        raise BadInputError(" ".join(str(exc).split())) from None


# -- hashing rows the same way on both engines -------------------------------------------------


def normalise(value: Any) -> Any:
    """A value as both engines give it back: bytes, int for bool, naive UTC ISO time, float repr."""
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    return repr(value)  # floats (repr is exact), and anything else as Python spells it


class RowHash:
    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.rows = 0

    def add(self, row: Sequence[Any]) -> None:
        self._h.update(repr(tuple(normalise(v) for v in row)).encode("utf-8", "surrogateescape"))
        self._h.update(b"\n")
        self.rows += 1

    def hexdigest(self) -> str:
        return self._h.hexdigest()


# -- reading -----------------------------------------------------------------------------------


def copied_tables() -> list[Table]:
    """Every catalogue table, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name != VERSION_TABLE]


def _ordered(table: Table, dialect: str) -> Any:
    keys: list[ColumnElement[Any]] = []
    for col in table.primary_key.columns:
        # Text keys sort by code point on both engines (SQLite's BINARY, PostgreSQL's "C").
        keys.append(
            col.collate("C") if dialect == POSTGRESQL and isinstance(col.type, String) else col
        )
    return select(table).order_by(*keys)


def _batches(conn: Connection, table: Table, batch: int) -> Iterator[Sequence[Any]]:
    result = conn.execution_options(yield_per=batch).execute(_ordered(table, conn.dialect.name))
    yield from result.partitions()


def _count(conn: Connection, table: Table | str) -> int:
    if isinstance(table, str):
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def table_hash(conn: Connection, table: Table, batch: int = BATCH_ROWS) -> TableCopy:
    h = RowHash()
    for part in _batches(conn, table, batch):
        for row in part:
            h.add(row)
    return TableCopy(table.name, h.rows, h.hexdigest())


def catalogue_hashes(catalog: Catalog) -> list[TableCopy]:
    """Every table's row count and hash (for checks and tests)."""
    with catalog.engine.connect() as conn, conn.begin():
        return [table_hash(conn, t) for t in copied_tables()]


def nonempty_tables(conn: Connection) -> list[str]:
    names = [n for n in inspect(conn).get_table_names() if n != VERSION_TABLE]
    return [n for n in sorted(names) if _count(conn, n)]


# -- the copy ----------------------------------------------------------------------------------


def _suspend_triggers(conn: Connection, tables: Iterable[Table]) -> dict[str, tuple[str, str]]:
    """Stop the target's triggers for this transaction; returns what `_resume_triggers` needs."""
    if conn.dialect.name == POSTGRESQL:
        for t in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{t.name}" DISABLE TRIGGER USER')
        return {}
    saved = saved_triggers(conn)
    drop_triggers(conn, {name: table for name, (table, _sql) in saved.items()})
    return saved


def _resume_triggers(
    conn: Connection, tables: Iterable[Table], saved: dict[str, tuple[str, str]]
) -> None:
    if conn.dialect.name == POSTGRESQL:
        for t in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{t.name}" ENABLE TRIGGER USER')
        return
    create_triggers(conn, *(sql for _table, sql in saved.values()))


def _reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: the next id of each table follows the copied ones (else inserts collide)."""
    if conn.dialect.name != POSTGRESQL:
        return
    for t in tables:
        if "id" not in t.c or not t.c.id.primary_key:
            continue
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), coalesce(max(id), 1), "
            f'max(id) IS NOT NULL) FROM "{t.name}"'
        )


def copy_catalog(
    source: Catalog,
    target: Catalog,
    *,
    batch: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy `source` into the empty `target` in one transaction, verified before the commit.

    BadInputError: the target is not empty (nothing changed). VerificationError: a table
    differs after the copy (rolled back). CatalogError: the target refused a row (rolled back).
    """
    started = time.monotonic()
    report = CopyReport(source.where, target.where)
    tables = copied_tables()
    src = source.engine.connect()
    if source.dialect == POSTGRESQL:  # one snapshot for counting, copying and hashing
        src = src.execution_options(isolation_level="REPEATABLE READ")
    try:
        with src.begin(), target.write_conn() as dst:
            busy = nonempty_tables(dst)
            if busy:
                raise BadInputError(
                    f"the target {target.where} is not empty ({', '.join(busy[:5])}"
                    f"{', …' if len(busy) > 5 else ''} hold rows): copy only into a new, empty "
                    "catalogue. Nothing was changed."
                )
            totals = {t.name: _count(src, t) for t in tables}
            total = sum(totals.values())
            saved = _suspend_triggers(dst, tables)
            copied = 0
            source_hashes: dict[str, TableCopy] = {}
            for t in tables:
                h = RowHash()
                keys = [c.key for c in t.columns]
                try:
                    for part in _batches(src, t, batch):
                        rows = []
                        for row in part:
                            h.add(row)
                            rows.append(dict(zip(keys, row, strict=True)))
                        dst.execute(insert(t), rows)
                        copied += len(rows)
                        if progress is not None:
                            progress(t.name, h.rows, copied, total)
                except DBAPIError as exc:
                    raise CatalogError(
                        f"copying table {t.name} into {target.where} failed: "
                        f"{str(exc.orig).strip().splitlines()[0]}; nothing was copied"
                    ) from exc
                source_hashes[t.name] = TableCopy(t.name, h.rows, h.hexdigest())
            _resume_triggers(dst, tables, saved)
            _reset_sequences(dst, tables)
            for t in tables:
                want = source_hashes[t.name]
                got = table_hash(dst, t, batch)
                if want.rows != totals[t.name] or got.rows != want.rows:
                    raise VerificationError(
                        f"table {t.name}: {want.rows} rows read from the source "
                        f"({totals[t.name]} counted), {got.rows} in the copy; the copy was "
                        "rolled back"
                    )
                if got.sha256 != want.sha256:
                    raise VerificationError(
                        f"table {t.name}: the copy's rows differ from the source's (sha256 "
                        f"{got.sha256[:12]} ≠ {want.sha256[:12]}); the copy was rolled back"
                    )
                report.tables.append(want)
    finally:
        src.close()
    report.seconds = time.monotonic() - started
    return report
