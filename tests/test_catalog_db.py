"""The catalogue file: pragmas, the newer-schema guard, backups before migrating, bad files."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from gallery_desktop.catalog.collections import collection_for_folder, ensure_galleries
from gallery_desktop.catalog.db import Catalog, head_revision
from gallery_desktop.catalog.models import Collection, Media
from gallery_desktop.errors import CatalogError

FUTURE_REVISION = "9999_from_the_future"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _revision(db_file: Path) -> str | None:
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])


def _tables(db_file: Path) -> set[str]:
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.sqlite")) if folder.is_dir() else []


# -- connection settings -------------------------------------------------------------------------


def test_every_connection_uses_wal_foreign_keys_and_a_busy_timeout(
    sqlite_catalog: Catalog,
) -> None:
    # SQLite only: these are the embedded file's connection pragmas (a server has none).
    catalog = sqlite_catalog
    for _ in range(2):  # a fresh pooled connection each time
        with catalog.engine.connect() as conn:
            assert str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    with catalog.read() as session:
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    catalog.engine.dispose()
    with catalog.write_conn() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(catalog: Catalog) -> None:
    with pytest.raises(IntegrityError), catalog.write() as session:
        session.add(Media(collection_id=999, gallery_id=999, rel_path=b"x.jpg", path="x.jpg"))
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM media").scalar() == 0


def test_deleting_a_collection_cascades(catalog: Catalog, tmp_path: Path) -> None:
    col = collection_for_folder(catalog, bytes(tmp_path))
    assert col.id is not None
    gid = ensure_galleries(catalog, col.id, {b""})[b""]
    with catalog.write() as session:
        session.add(Media(collection_id=col.id, gallery_id=gid, rel_path=b"a.jpg", path="a.jpg"))
    with catalog.write() as session:
        found = session.get(Collection, col.id)
        assert found is not None
        session.delete(found)
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM media").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM gallery").scalar() == 0


def test_write_rolls_back_on_error(catalog: Catalog) -> None:
    with pytest.raises(RuntimeError), catalog.write() as session:
        session.add(Collection(name="half", folder=b"/nowhere"))
        session.flush()
        raise RuntimeError("boom")
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM collection").scalar() == 0


def test_a_second_writer_waits_instead_of_failing(tmp_path: Path) -> None:
    """Two catalogue objects on one file (GUI + CLI): the busy timeout serialises writers."""
    db = tmp_path / "catalog.sqlite"
    first, second = Catalog(db), Catalog(db)
    holding = threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with first.write() as session:
                session.add(Collection(name="first", folder=b"/a"))
                session.flush()
                holding.set()
                time.sleep(0.4)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            holding.set()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(10)
        with second.write() as session:
            session.add(Collection(name="second", folder=b"/b"))
    finally:
        t.join()
        first.close()
        second.close()
    assert not errors
    con = sqlite3.connect(db)
    try:
        names = sorted(r[0] for r in con.execute("SELECT name FROM collection"))
    finally:
        con.close()
    assert names == ["first", "second"]


# -- opening files that are not (this version's) catalogues ---------------------------------------


def _stamp_wal_catalogue(db: Path, revision: str) -> None:
    Catalog(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _stamp_plain_sqlite(db: Path, revision: str) -> None:
    con = sqlite3.connect(db)  # default rollback journal, as any SQLite tool writes it
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    con.execute("CREATE TABLE media (id INTEGER PRIMARY KEY, future_column TEXT)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    "make", [_stamp_wal_catalogue, _stamp_plain_sqlite], ids=["wal-catalogue", "rollback-journal"]
)
def test_newer_schema_is_refused_and_the_file_left_untouched(
    tmp_path: Path, make: Callable[[Path, str], None]
) -> None:
    db = tmp_path / "catalog.sqlite"
    make(db, FUTURE_REVISION)
    before = _sha(db)
    with pytest.raises(CatalogError, match="newer version") as info:
        Catalog(db, backup_dir=tmp_path / "backups")
    assert FUTURE_REVISION in str(info.value)
    assert _sha(db) == before, "the catalogue file was modified"
    assert _revision(db) == FUTURE_REVISION
    assert _backups(tmp_path / "backups") == []


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not a catalogue\n" * 50, bytes(range(256)) * 16],
    ids=["text", "binary"],
)
def test_a_file_that_is_not_sqlite_is_a_catalog_error(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "catalog.sqlite"
    db.write_bytes(content)
    with pytest.raises(CatalogError, match="not a usable catalogue"):
        Catalog(db)
    assert db.read_bytes() == content


# -- backups before migrating ----------------------------------------------------------------


def test_fresh_catalogue_is_at_head_without_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "catalog.sqlite"
    Catalog(db, backup_dir=tmp_path / "backups").close()
    assert _revision(db) == head_revision()
    Catalog(db, backup_dir=tmp_path / "backups").close()  # reopening: nothing to migrate
    assert _backups(tmp_path / "backups") == []


def _unrelated_table(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('keep me')")
    con.commit()
    con.close()


def _empty_alembic_version(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('keep me')")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    "make", [_unrelated_table, _empty_alembic_version], ids=["unrelated-table", "at-base"]
)
def test_existing_catalogue_not_at_head_is_backed_up_then_migrated(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    db = tmp_path / "catalog.sqlite"
    make(db)
    original_tables = _tables(db)
    cat = Catalog(db, backup_dir=tmp_path / "backups")
    cat.close()
    (backup,) = _backups(tmp_path / "backups")
    assert _tables(backup) == original_tables  # the copy is the catalogue as it was
    con = sqlite3.connect(backup)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT body FROM notes").fetchall() == [("keep me",)]
    finally:
        con.close()
    assert _revision(db) == head_revision()
    assert {"collection", "gallery", "media", "notes"} <= _tables(db)
