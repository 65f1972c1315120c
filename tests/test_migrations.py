"""The alembic migration chain: it builds exactly the models' schema, and runs both ways."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlmodel import SQLModel

import gallery_desktop.catalog.models  # noqa: F401  (registers every table on SQLModel.metadata)
from gallery_desktop.catalog.db import MIGRATIONS_DIR, Catalog, head_revision, make_engine


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(tmp_path / "catalog.sqlite")
    try:
        yield eng
    finally:
        eng.dispose()


def _migrate(engine: Engine, direction: str, target: str) -> None:
    """Run alembic on an app connection (env.py refuses to run without one)."""
    cfg = _config()
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")  # as Catalog does: batch ops copy tables
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                getattr(command, direction)(cfg, target)
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def _differences(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, SQLModel.metadata))


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {r[0] for r in rows}


def test_chain_is_linear_with_one_head_and_one_base() -> None:
    script = ScriptDirectory.from_config(_config())
    assert script.get_heads() == [head_revision()]
    assert len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())
    for rev in revisions:
        assert rev.down_revision is None or isinstance(rev.down_revision, str), rev
        assert rev.module.downgrade is not None  # every step can be undone
    assert [r.down_revision for r in revisions].count(None) == 1


def test_upgrade_from_empty_builds_exactly_the_models(engine: Engine) -> None:
    _migrate(engine, "upgrade", "head")
    with engine.connect() as conn:
        assert _differences(conn) == []
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    assert set(SQLModel.metadata.tables) <= _tables(engine)


def test_catalog_on_a_new_file_builds_exactly_the_models(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "catalog.sqlite")
    try:
        with cat.engine.connect() as conn:
            assert _differences(conn) == []
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            assert fk == []
    finally:
        cat.close()


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    _migrate(engine, "upgrade", "head")
    _migrate(engine, "downgrade", "base")
    assert _tables(engine) <= {"alembic_version"}, "downgrade left tables behind"
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is None
    _migrate(engine, "upgrade", "head")
    with engine.connect() as conn:
        assert _differences(conn) == []
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()


def test_catalog_migrates_a_downgraded_file_after_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "catalog.sqlite"
    Catalog(db).close()
    eng = make_engine(db)
    try:
        _migrate(eng, "downgrade", "base")
    finally:
        eng.dispose()
    cat = Catalog(db, backup_dir=tmp_path / "backups")
    try:
        with cat.engine.connect() as conn:
            assert _differences(conn) == []
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        cat.close()
    backups = sorted((tmp_path / "backups").glob("*.sqlite"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    assert "media" not in names  # the backup is the catalogue before the migration


def test_migrations_refuse_to_run_without_an_app_connection() -> None:
    """env.py only runs on a connection handed in by Catalog (no stray alembic CLI runs)."""
    with pytest.raises(RuntimeError, match="through Catalog"):
        command.upgrade(_config(), "head")


def test_schema_comparison_notices_a_difference(engine: Engine) -> None:
    """The comparison above is not vacuous: a missing index or column is reported."""
    _migrate(engine, "upgrade", "head")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_media_taken_at")
        conn.exec_driver_sql("ALTER TABLE media DROP COLUMN label")
    with engine.connect() as conn:
        found = {(d[0], d[2] if d[0] == "add_column" else d[1].name) for d in _differences(conn)}
    assert found == {("add_column", "media"), ("add_index", "ix_media_taken_at")}, found


def test_a_real_0001_catalogue_is_backed_up_and_migrated_with_its_data(tmp_path: Path) -> None:
    """tests/fixtures/catalog-0001.sqlite was written by the first released schema."""
    fixture = Path(__file__).parent / "fixtures" / "catalog-0001.sqlite"
    db = tmp_path / "catalog.sqlite"
    shutil.copyfile(fixture, db)
    catalog = Catalog(db, backup_dir=tmp_path / "backups")
    try:
        with catalog.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
            rows = conn.exec_driver_sql(
                "SELECT path, rating, taken_at FROM media ORDER BY path"
            ).fetchall()
            indexes = {r[1] for r in conn.exec_driver_sql("PRAGMA index_list(media)")}
    finally:
        catalog.close()
    assert rows == [
        ("Ceremony/0.jpg", 2, "2025-06-01T10:00:00"),
        ("Ceremony/1.jpg", 3, "2025-06-02T10:00:00"),
        ("Ceremony/2.jpg", 4, "2025-06-03T10:00:00"),
    ]
    assert {"ix_media_collection_taken", "ix_media_gallery_taken"} <= indexes
    backups = list((tmp_path / "backups").glob("*.sqlite"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)


# -- the same migrations on PostgreSQL ---------------------------------------------------------


def _pg_differences(conn: Connection) -> list[Any]:
    """As `_differences`, less what Alembic sees differently on PostgreSQL: the grid indexes'
    NULLS FIRST (checked by their definition below; SQLite sorts NULLs first anyway)."""
    ignored = {"ix_media_collection_taken", "ix_media_gallery_taken"}

    def nulls_first_index(d: Any) -> bool:
        kind = d[0] if isinstance(d, tuple) else None
        return kind in ("add_index", "remove_index") and d[1].name in ignored

    return [d for d in _differences(conn) if not nulls_first_index(d)]


def test_postgresql_from_empty_builds_exactly_the_models(pg_url: str) -> None:
    cat = Catalog(pg_url)
    try:
        with cat.engine.connect() as conn:
            assert _pg_differences(conn) == []
            indexes = dict(
                conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'media'")
                ).all()
            )
            for name in ("ix_media_collection_taken", "ix_media_gallery_taken"):
                assert "taken_at NULLS FIRST" in indexes[name]
            triggers = conn.execute(
                text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
            ).scalar()
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        cat.close()
    # every SQLite trigger has its PL/pgSQL twin (plus 0008's change feed, PostgreSQL only)
    sqlite_cat = Catalog(Path(tempfile.mkdtemp()) / "catalog.sqlite")
    try:
        with sqlite_cat.engine.connect() as conn:
            sqlite_triggers = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            ).scalar()
    finally:
        sqlite_cat.close()
    assert sqlite_triggers and triggers and triggers > sqlite_triggers


def test_postgresql_downgrades_to_base_and_upgrades_again(pg_url: str) -> None:
    Catalog(pg_url).close()
    engine = create_engine(pg_url)
    try:
        for direction, target in (("downgrade", "base"), ("upgrade", "head")):
            with engine.connect() as conn, conn.begin():
                cfg = _config()
                cfg.attributes["connection"] = conn
                getattr(command, direction)(cfg, target)
        with engine.connect() as conn:
            assert _pg_differences(conn) == []
    finally:
        engine.dispose()
