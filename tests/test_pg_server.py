"""The test PostgreSQL server itself: real, loopback-only, unprivileged app role, no leftovers."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import psycopg
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

import pg_server as pg_server_module
from pg_server import APP_ROLE, OS_USER, PostgresServer

# Database names seen by `test_pg_url_databases_are_distinct`, across its parametrised runs.
_SEEN_DATABASES: list[str] = []


def _expected_owner() -> str:
    return OS_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def test_server_is_real_postgresql(pg_server: PostgresServer) -> None:
    with pg_server.admin_connect() as conn:
        row = conn.execute("SELECT version(), current_setting('server_version_num')").fetchone()
    assert row is not None
    version, version_num = row
    assert version.startswith("PostgreSQL ")
    assert int(version_num) >= 130000  # DROP DATABASE ... WITH (FORCE)


def test_server_listens_on_loopback_only(pg_server: PostgresServer) -> None:
    with pg_server.admin_connect() as conn:
        listen = conn.execute("SHOW listen_addresses").fetchone()
        addr = conn.execute("SELECT host(inet_server_addr())").fetchone()
    assert listen == ("127.0.0.1",)
    assert addr == ("127.0.0.1",)


def test_cluster_belongs_to_postgres_user_when_root(pg_server: PostgresServer) -> None:
    owner = _expected_owner()
    assert pwd.getpwuid(os.stat(pg_server.data_dir).st_uid).pw_name == owner
    assert pg_server.pid is not None
    assert pwd.getpwuid(os.stat(f"/proc/{pg_server.pid}").st_uid).pw_name == owner


def test_app_role_is_not_superuser(pg_server: PostgresServer) -> None:
    with pg_server.admin_connect() as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcanlogin, rolcreatedb FROM pg_roles WHERE rolname = %s",
            (APP_ROLE,),
        ).fetchone()
    assert row == (False, True, True)


def test_pg_url_is_empty_owned_and_writable(pg_url: str) -> None:
    url = make_url(pg_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.username == APP_ROLE
    assert url.host == "127.0.0.1"
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            who = conn.execute(
                sqlalchemy.text(
                    "SELECT current_user, pg_get_userbyid(datdba), usesuper"
                    " FROM pg_database, pg_user"
                    " WHERE datname = current_database() AND usename = current_user"
                )
            ).one()
            assert tuple(who) == (APP_ROLE, APP_ROLE, False)
            assert sqlalchemy.inspect(conn).get_table_names() == []
            conn.execute(sqlalchemy.text("CREATE TABLE probe (id integer PRIMARY KEY)"))
            conn.execute(sqlalchemy.text("INSERT INTO probe VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT id FROM probe")).scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("run", [1, 2])
def test_pg_url_databases_are_distinct(pg_server: PostgresServer, pg_url: str, run: int) -> None:
    name = make_url(pg_url).database
    assert name is not None
    assert name not in _SEEN_DATABASES
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        # Empty, whatever the other run wrote into its own database.
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE marker (run integer)")
    with pg_server.admin_connect() as admin:
        existing = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
    assert name in existing
    # Databases of earlier tests were dropped in their teardown.
    assert existing.isdisjoint(_SEEN_DATABASES)
    _SEEN_DATABASES.append(name)


def test_create_database_from_template(pg_server: PostgresServer) -> None:
    pg_server.create_database("tmpl_src")
    try:
        with psycopg.connect(pg_server.url("tmpl_src").replace("+psycopg", "")) as conn:
            conn.execute("CREATE TABLE seeded (id integer)")
        pg_server.create_database("tmpl_copy", template="tmpl_src")
        copy_url = pg_server.url("tmpl_copy").replace("+psycopg", "")
        with psycopg.connect(copy_url, autocommit=True) as conn:
            owner = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
            ).fetchone()
            assert owner == (APP_ROLE,)
            assert conn.execute("SELECT count(*) FROM seeded").fetchone() == (0,)
            # drop_database disconnects this session rather than failing on it.
            pg_server.drop_database("tmpl_copy")
            with pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT 1")
    finally:
        pg_server.drop_database("tmpl_copy")
        pg_server.drop_database("tmpl_src")
    with pg_server.admin_connect() as admin:
        left = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tmpl_%'"
        ).fetchall()
    assert left == []


def test_own_server_stops_without_leftovers() -> None:
    server = PostgresServer()
    with server:
        assert server.is_running()
        pid, base, port = server.pid, server.base_dir, server.port
        assert pid is not None and base is not None and port is not None
        assert base.is_dir()
        with server.admin_connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not server.is_running()
    assert not pg_server_module._alive(pid)
    assert not base.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=3)
    server.stop()  # idempotent


def test_missing_binaries_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pg_server_module, "DEBIAN_BINDIRS", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    server = PostgresServer()
    with pytest.raises(RuntimeError, match=r"`postgresql` package.*make system-deps"):
        server.start()
    assert server.base_dir is None


def test_start_retries_when_the_port_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, pg_server_module.free_port()])
        monkeypatch.setattr(pg_server_module, "free_port", lambda: next(ports))
        with PostgresServer() as server:
            assert server.port != taken
            with server.admin_connect() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
