"""Fixtures for a real PostgreSQL server (see `pg_server.PostgresServer`).

`pg_server` (session scope): one private server for the whole run, started on first use.
`pg_url` (function scope): a fresh, empty database owned by the non-superuser `gallery`
role, as a SQLAlchemy URL; dropped after the test.

Without the server binaries these fixtures fail (never skip): the PostgreSQL tests are part
of the suite, and a missing `postgresql` package is a broken machine, not an optional extra.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Final

import psycopg
import pytest

from pg_server import PostgresServer

_DB_COUNTER: Final = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    problem: str | None = None
    try:
        server.start()
    except (RuntimeError, OSError, psycopg.Error) as exc:
        problem = str(exc)
    if problem is not None:  # failed outside `except`: one message, no chained traceback
        pytest.fail(f"could not start the test PostgreSQL server: {problem}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    name = f"t_{next(_DB_COUNTER)}_{os.getpid()}"
    pg_server.create_database(name)
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)
