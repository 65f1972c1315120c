"""Raw reads for the hot paths (100k–1M rows), on either engine's driver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

SQLITE = "sqlite"

# -- raw reads for the hot paths (100k–1M rows) -----------------------------------------------
#
# SQLAlchemy's Row objects cost ~10x a DB-API tuple at this size, so the importer, the grid's id
# list and similar bulk reads go to the driver's cursor. Queries are written with `:name`
# parameters, which sqlite3 takes as they are; psycopg gets them as `%(name)s`. Rows come back
# as the driver makes them: bytes for blobs/bytea on both, but timestamps are text on SQLite
# and datetime on PostgreSQL, booleans 0/1 on SQLite and bool on PostgreSQL.

_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def driver_sql(sql: str, dialect: str) -> str:
    """`sql` with `:name` parameters in the driver's own style (literal `%` escaped for
    psycopg). `::type` casts are left alone; do not put `:word` inside string literals."""
    if dialect == SQLITE:
        return sql
    return _NAMED_PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


@contextmanager
def raw_cursor(conn: Connection, query: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
    """Run a SELECT on the DB-API connection under `conn` and yield its cursor (fetchmany and
    fetchall give plain tuples). `query` is SQL text with `:name` parameters, or a SQLAlchemy
    statement (compiled for this engine; its values go to the driver without type processing,
    so keep them to ints, text and bytes)."""
    dialect = conn.dialect.name
    if isinstance(query, str):
        sql: str = driver_sql(query, dialect)
        args: Any = dict(params or {})
    else:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        sql = str(compiled)
        if compiled.positiontup is not None:
            args = [compiled.params[name] for name in compiled.positiontup]
        else:
            args = dict(compiled.params)
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(sql, args)
        yield cursor
    finally:
        cursor.close()


def raw_rows(conn: Connection, query: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """All rows of a SELECT as plain tuples (see `raw_cursor`)."""
    with raw_cursor(conn, query, params) as cursor:
        return list(cursor.fetchall())
