"""`gallery-desktop catalog copy --to URL`: a whole catalogue into a new, empty one (SQLite ↔
PostgreSQL), verified by counts and hashes, without firing the target's triggers."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

from conftest import InProcessCli, copy_from_corpus, make_shoot, run_cli, set_culling
from gallery_desktop.catalog import copy as catalog_copy
from gallery_desktop.catalog.clients import ClientEntry, set_clients
from gallery_desktop.catalog.copy import TableCopy, catalogue_hashes
from gallery_desktop.catalog.db import Catalog, saved_triggers
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.models import Gallery, Media, SyncOp
from gallery_desktop.catalog.organise import rename_collection
from gallery_desktop.catalog.watermarks import add_watermark, set_collection_watermark
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.remote.outbox import link_collection

ODD_NAME = b"Party/caf\xe9-\xff.jpg"  # not UTF-8: stored as bytes, must survive bytea
# Migration 0001 made media.mtime_ns an INTEGER, which is 32 bits on PostgreSQL: today's
# mtimes in nanoseconds do not fit there (imports into PostgreSQL fail the same way). Until the
# schema widens it, these tests give their shoot files mtimes that fit.
SMALL_MTIME_NS = 1_500_000_000


def _shoot(parent: Path, name: str = "Wedding", *, odd: bool = False) -> Path:
    shoot = make_shoot(parent, name)
    if odd:
        copy_from_corpus("photos/exif/flower.jpg", bytes(shoot) + b"/" + ODD_NAME)
    for p in shoot.rglob("*"):
        os.utime(p, ns=(SMALL_MTIME_NS, SMALL_MTIME_NS))
    return shoot


def _logo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (16, 8), (200, 30, 30, 128)).save(buf, "PNG")
    return buf.getvalue()


def _by_id(record: dict[str, Any]) -> int:
    return int(record["id"])


def _hashes(location: Path | str) -> dict[str, tuple[int, str]]:
    cat = Catalog(location)
    try:
        return {t.name: (t.rows, t.sha256) for t in catalogue_hashes(cat)}
    finally:
        cat.close()


def _scalar(location: Path | str, sql: Any) -> Any:
    cat = Catalog(location)
    try:
        with cat.engine.connect() as conn:
            return conn.execute(sql).scalar_one()
    finally:
        cat.close()


def _gallery_counts(location: Path | str) -> list[tuple[int, int, int, int]]:
    cat = Catalog(location)
    try:
        with cat.engine.connect() as conn:
            rows = conn.execute(
                select(
                    col(Gallery.id),
                    col(Gallery.media_count),
                    col(Gallery.photo_count),
                    col(Gallery.video_count),
                ).order_by(col(Gallery.id))
            ).all()
            return [(int(r[0] or 0), r[1], r[2], r[3]) for r in rows]
    finally:
        cat.close()


@pytest.fixture
def cli(tmp_path: Path) -> InProcessCli:
    """The copy's source is the SQLite file of a home (the catalogue a studio starts from)."""
    return InProcessCli(tmp_path / "home")


@pytest.fixture
def source(tmp_path: Path, cli: InProcessCli) -> InProcessCli:
    """A catalogue with a bit of everything: an imported shoot (one file name not UTF-8),
    culling, a watermark preset with its logo, clients, and a synced (linked) collection."""
    shoot = _shoot(tmp_path / "shoots", odd=True)
    r = cli("import", str(shoot))
    assert r.code == 0, r.err
    cat = Catalog(cli.paths.catalog_file)
    try:
        media = list_media(cat, 1)
        assert len(media) == 6
        ids = [m.id for m in media]
        set_culling(cat, ids[0], rating=4, pick=None, label=None)
        set_culling(cat, ids[1], rating=5, pick="picked", label="red")
        set_culling(cat, ids[2], rating=1, pick="rejected", label=None)
        add_watermark(cat, "Studio", WatermarkSpec(text="© Studio", logo=_logo()))
        set_collection_watermark(cat, 1, "Studio")
        set_clients(
            cat, 1, [ClientEntry("ann@example.com", "Ann"), ClientEntry("bob@example.org", "Bob")]
        )
        assert link_collection(cat, 1) > 0
        rename_collection(cat, 1, "Smith Wedding")  # a change queued by the outbox triggers
    finally:
        cat.close()
    return cli


def _copy(cli: InProcessCli, *args: str) -> dict[str, Any]:
    r = cli(*args, "--json")
    assert r.code == 0, r.err
    data: dict[str, Any] = r.json()
    return data


def test_sqlite_to_postgresql_to_sqlite_round_trip(
    source: InProcessCli, pg_url: str, tmp_path: Path
) -> None:
    src_file = source.paths.catalog_file
    want = _hashes(src_file)
    assert want["syncop"][0] > 0 and want["client"][0] == 2 and want["watermark"][0] == 1
    syncops = want["syncop"][0]
    counts = _gallery_counts(src_file)

    started = time.monotonic()
    to_pg = _copy(source, "catalog", "copy", "--to", pg_url)
    first = time.monotonic() - started
    assert to_pg["verified"] is True
    assert to_pg["source"] == str(src_file)
    assert to_pg["target"] == pg_url
    assert {k: (v["rows"], v["sha256"]) for k, v in to_pg["tables"].items()} == want
    assert _hashes(pg_url) == want

    back = tmp_path / "back" / "catalog.sqlite"
    back_url = f"sqlite:///{back}"
    to_sqlite = _copy(source, "--catalog-url", pg_url, "catalog", "copy", "--to", back_url)
    assert {k: (v["rows"], v["sha256"]) for k, v in to_sqlite["tables"].items()} == want
    assert _hashes(back) == want
    print(f"copy of {sum(n for n, _h in want.values())} rows into PostgreSQL: {first:.2f} s")

    # The copies read the same as the original.
    for cmd in (("collections", "--json"), ("media", "1", "--json")):
        expected = source(*cmd).json()
        assert source("--catalog-url", back_url, *cmd).json() == expected
        # The same records from PostgreSQL; `media` sorts by capture time, and the engines
        # put the video's NULL taken_at at opposite ends: compare in id order there.
        from_pg = source("--catalog-url", pg_url, *cmd).json()
        assert sorted(from_pg, key=_by_id) == sorted(expected, key=_by_id)

    # No trigger fired during the copies: counts not doubled, nothing new queued.
    assert _gallery_counts(pg_url) == counts == _gallery_counts(back)
    assert sum(c[1] for c in counts) == 6
    for where in (pg_url, back):
        assert _scalar(where, select(func.count()).select_from(SyncOp)) == syncops
    # Non-UTF-8 file names came back byte for byte.
    for where in (pg_url, back):
        assert _scalar(where, select(func.count()).where(col(Media.rel_path) == ODD_NAME)) == 1
    # The SQLite copy has every trigger back.
    cats = [Catalog(src_file), Catalog(back)]
    try:
        names = []
        for cat in cats:
            with cat.engine.connect() as conn:
                names.append(sorted(saved_triggers(conn)))
        assert names[0] == names[1] and len(names[0]) > 10
    finally:
        for cat in cats:
            cat.close()


@pytest.mark.parametrize("target", ["postgresql", "sqlite"])
def test_the_copy_takes_new_rows_and_its_triggers_work(
    source: InProcessCli, tmp_path: Path, target: str, request: pytest.FixtureRequest
) -> None:
    pg_url = str(request.getfixturevalue("pg_url")) if target == "postgresql" else ""
    url: Path | str = pg_url or tmp_path / "copy.sqlite"
    _copy(source, "catalog", "copy", "--to", str(url))
    before = _hashes(url)
    # New ids follow the copied ones (PostgreSQL's sequences were moved on)…
    opened = pg_url or f"sqlite:///{url}"
    r = source("--catalog-url", opened, "import", str(_shoot(tmp_path / "more", "Party")))
    assert r.code == 0, r.err
    after = _hashes(url)
    assert after["collection"][0] == before["collection"][0] + 1
    assert after["media"][0] == before["media"][0] + 5
    counts = _gallery_counts(url)
    assert sum(c[1] for c in counts) == 11  # …and the count triggers run again
    cat = Catalog(url)
    try:
        syncops = before["syncop"][0]
        rename_collection(cat, 1, "Smith & Jones Wedding")  # the outbox triggers too
        with cat.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(SyncOp)).scalar_one() > syncops
        with cat.engine.begin() as conn:
            new_id = conn.execute(
                insert(SyncOp).values(
                    entity="collection",
                    entity_id=1,
                    op="test",
                    idempotency_key="k-new",
                    created_at=datetime.now(UTC),
                )
            ).inserted_primary_key
        assert new_id is not None and new_id[0] > before["syncop"][0]
    finally:
        cat.close()


def test_a_target_with_rows_is_refused_and_left_unchanged(
    source: InProcessCli, pg_url: str, tmp_path: Path
) -> None:
    _copy(source, "catalog", "copy", "--to", pg_url)
    pg_before = _hashes(pg_url)
    r = source("catalog", "copy", "--to", pg_url)
    assert r.code == 2
    assert "not empty" in r.err and r.err.count("\n") == 1 and r.out == ""
    assert _hashes(pg_url) == pg_before

    other = InProcessCli(tmp_path / "other-home")
    assert other("import", str(_shoot(tmp_path / "o", "Other"))).code == 0
    file_before = _hashes(other.paths.catalog_file)
    r = source("catalog", "copy", "--to", f"sqlite:///{other.paths.catalog_file}")
    assert r.code == 2 and "not empty" in r.err
    assert _hashes(other.paths.catalog_file) == file_before


def test_a_catalogue_is_not_copied_onto_itself(source: InProcessCli, pg_url: str) -> None:
    me = source.paths.catalog_file
    for to in (str(me), f"sqlite:///{me}", str(me.parent / ".." / me.parent.name / me.name)):
        r = source("catalog", "copy", "--to", to)
        assert r.code == 2 and "onto itself" in r.err, (to, r.err)
    r = source("--catalog-url", pg_url, "catalog", "copy", "--to", pg_url)
    assert r.code == 2 and "onto itself" in r.err


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("mysql://user@host/db", "not supported"),
        ("postgresql+psycopg://gallery@127.0.0.1:1", "no database"),
        ("postgresql+asyncpg://gallery@127.0.0.1/x", "psycopg"),
        ("sqlite://", "needs a file"),
        ("postgresql+psycopg://gallery:s3cret@127.0.0.1:1/nowhere", "cannot reach"),
    ],
)
def test_bad_targets_are_one_line_and_exit_2(source: InProcessCli, to: str, words: str) -> None:
    r = source("catalog", "copy", "--to", to)
    assert r.code == 2, r.err
    assert words in r.err and r.err.count("\n") == 1 and r.out == ""
    assert "s3cret" not in r.err


def test_a_failed_verification_rolls_back(
    source: InProcessCli, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = catalog_copy.table_hash

    def corrupted(conn: Any, table: Any, batch: int = 2000) -> TableCopy:
        got = real(conn, table, batch)
        return TableCopy(got.name, got.rows, "0" * 64) if table.name == "media" else got

    monkeypatch.setattr(catalog_copy, "table_hash", corrupted)
    for url in (pg_url, tmp_path / "t.sqlite"):
        r = source("catalog", "copy", "--to", str(url))
        assert r.code == 1 and "table media" in r.err and "rolled back" in r.err, r.err
        assert all(rows == 0 for rows, _h in _hashes(url).values())
    cat = Catalog(tmp_path / "t.sqlite")
    try:
        with cat.engine.connect() as conn:  # the dropped triggers came back with the rollback
            assert len(saved_triggers(conn)) > 10
    finally:
        cat.close()


def test_a_password_in_the_url_is_never_printed(source: InProcessCli, pg_url: str) -> None:
    with_password = make_url(pg_url).set(password="s3cret").render_as_string(hide_password=False)
    r = source("catalog", "copy", "--to", with_password)
    assert r.code == 0, r.err
    assert "s3cret" not in r.out + r.err and "***" in r.out
    r = source("--catalog-url", with_password, "catalog", "copy", "--to", pg_url, "--json")
    assert r.code == 2 and "s3cret" not in r.out + r.err


def test_a_bigger_catalogue_in_batches_as_a_real_process(
    source: InProcessCli, pg_url: str, tmp_path: Path
) -> None:
    cat = Catalog(source.paths.catalog_file)
    n = 20_000
    try:
        with cat.write_conn() as conn:
            conn.execute(
                insert(Media),
                [
                    {
                        "collection_id": 1,
                        "gallery_id": 1 + i % 3,
                        "rel_path": f"bulk/{i:06d}.jpg".encode() + b"\x80",
                        "path": f"bulk/{i:06d}.jpg",
                        "size_bytes": i * 1000,
                        "duration": i / 7 if i % 5 == 0 else None,
                        "rating": i % 6,
                        "taken_at": "2024-05-01T12:00:00",
                    }
                    for i in range(n)
                ],
            )
    finally:
        cat.close()
    want = _hashes(source.paths.catalog_file)
    total = sum(rows for rows, _h in want.values())
    started = time.monotonic()
    proc = run_cli(source.home, "catalog", "copy", "--to", pg_url, "--batch-rows", "700")
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert f"total: {total} rows" in out and "verified" in out
    assert proc.stderr == b""  # progress only on a terminal
    assert _hashes(pg_url) == want
    started = time.monotonic()
    back = tmp_path / "back.sqlite"
    proc = run_cli(source.home, "--catalog-url", pg_url, "catalog", "copy", "--to", str(back))
    assert proc.returncode == 0, proc.stderr.decode()
    print(
        f"copy of {total} rows: into PostgreSQL {seconds:.1f} s (a process), "
        f"back to SQLite {time.monotonic() - started:.1f} s"
    )
    assert _hashes(back) == want
    assert json.loads(
        source("--catalog-url", f"sqlite:///{back}", "collections", "--json").out
    ) == (source("collections", "--json").json())


def test_a_row_the_target_cannot_hold_rolls_everything_back(
    source: InProcessCli, pg_url: str
) -> None:
    cat = Catalog(source.paths.catalog_file)
    try:
        with cat.write_conn() as conn:  # SQLite keeps a NUL in text; PostgreSQL cannot
            conn.execute(text("UPDATE media SET camera = 'Cam' || char(0) || 'era' WHERE id = 2"))
    finally:
        cat.close()
    r = source("catalog", "copy", "--to", pg_url)
    assert r.code == 1 and "table media" in r.err and r.err.count("\n") == 1, r.err
    assert all(rows == 0 for rows, _h in _hashes(pg_url).values())


def test_progress_counts_every_row(source: InProcessCli, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int, int]] = []
    src, dst = Catalog(source.paths.catalog_file), Catalog(tmp_path / "p.sqlite")
    try:
        report = catalog_copy.copy_catalog(src, dst, batch=2, progress=lambda *a: seen.append(a))
    finally:
        src.close()
        dst.close()
    assert seen[-1][2] == seen[-1][3] == report.rows > 0
    assert [s[2] for s in seen] == sorted(s[2] for s in seen)
    assert {s[0] for s in seen} >= {"media", "gallery", "syncop", "client", "watermark"}
