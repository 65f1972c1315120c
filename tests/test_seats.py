"""Several seats on one catalogue: the change feed, last writer wins per field (recorded), seats'
activity, one importer and one outbox drainer at a time, and two processes editing at once."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from conftest import SRC, make_shoot, open_test_catalog
from gallery_desktop.catalog import culling
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery
from gallery_desktop.catalog.seats import (
    RESYNC,
    Change,
    ChangeListener,
    activities,
    changed_media,
    collection_activity,
    publish_activity,
    seat_of,
    set_seat,
)
from gallery_desktop.errors import BusyError
from gallery_desktop.ingest.importer import ImportProgress, import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.queue import OutboxQueue

NOW = "2025-06-01 12:00:00"


def fill(catalog: Catalog, n: int, first: int = 0) -> list[int]:
    """n media rows (no files) in collection 1, gallery 1 (both made if missing)."""
    with catalog.write() as session:
        if session.get(Collection, 1) is None:  # the first of each: id 1 (from the sequence)
            shoot = Collection(name="Shoot", folder=b"/shoots/Shoot")
            session.add(shoot)
            session.flush()
            session.add(Gallery(collection_id=shoot.id, name="Highlights"))
    with catalog.write_conn() as conn:
        conn.execute(
            text(
                "INSERT INTO media (collection_id, gallery_id, kind, rel_path, path, size_bytes, "
                "mtime_ns, rating, state, thumb_state, position, created_at, updated_at) "
                "VALUES (1, 1, 'photo', :rel, :path, 1, 1, 0, 'ok', 'none', 0, :now, :now)"
            ),
            [
                {"rel": f"IMG_{i:05d}.jpg".encode(), "path": f"IMG_{i:05d}.jpg", "now": NOW}
                for i in range(first, first + n)
            ],
        )
        rows = conn.execute(text("SELECT id FROM media ORDER BY id")).all()
    return [r[0] for r in rows][first : first + n]


def culling_of(catalog: Catalog, media_id: int) -> tuple[int, str | None, str | None]:
    with catalog.engine.connect() as conn:
        r = conn.execute(
            text("SELECT rating, pick, label FROM media WHERE id = :i"), {"i": media_id}
        ).one()
    return r[0], r[1], r[2]


@pytest.fixture
def pg_catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    cat = open_test_catalog(request, "postgresql", tmp_path / "home")
    try:
        yield cat
    finally:
        cat.close()


@pytest.fixture
def seat_b(pg_catalog: Catalog) -> Iterator[Catalog]:
    """A second seat on the same PostgreSQL database."""
    other = set_seat(Catalog(pg_catalog.url), "seat-b")
    set_seat(pg_catalog, "seat-a")
    try:
        yield other
    finally:
        other.close()


class Heard:
    def __init__(self) -> None:
        self.batches: list[list[Change]] = []
        self.event = threading.Event()

    def __call__(self, batch: list[Change]) -> None:
        self.batches.append(batch)
        self.event.set()

    def wait_for(self, pred: object, timeout: float = 5.0) -> list[Change]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flat = [c for b in self.batches for c in b]
            if pred(flat):  # type: ignore[operator]
                return flat
            self.event.wait(0.05)
            self.event.clear()
        raise AssertionError(f"not heard in {timeout} s: {self.batches}")


# -- the change feed ---------------------------------------------------------------------------


def test_the_feed_exists_only_on_postgresql(catalog: Catalog) -> None:
    with catalog.engine.connect() as conn:
        if catalog.shared:
            n = conn.execute(
                text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'gd_notify_%'")
            ).scalar()
            assert n and n >= 9  # media, gallery, collection × insert, update, delete
        else:
            n = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'gd_notify_%'")
            ).scalar()
            assert n == 0


def test_commits_of_one_seat_are_heard_by_another_with_their_ids(
    pg_catalog: Catalog, seat_b: Catalog
) -> None:
    ids = fill(pg_catalog, 3)
    heard = Heard()
    listener = ChangeListener(seat_b.url, heard).start()
    try:
        assert listener.listening
        started = time.monotonic()
        culling.set_field(pg_catalog, ids[:2], "rating", 4)
        flat = heard.wait_for(lambda cs: any(c.table == "media" and c.op == "update" for c in cs))
        assert time.monotonic() - started < 1.0
        assert changed_media(flat) == frozenset(ids[:2])
        assert any(c.table == "fieldedit" for c in flat) is False  # only what windows show

        fill(pg_catalog, 250, first=10)
        time.sleep(0.3)
        heard.batches.clear()
        with pg_catalog.write_conn() as conn:  # one statement, more rows than a payload names
            conn.execute(text("UPDATE media SET label = 'red'"))
        flat = heard.wait_for(lambda cs: any(c.table == "media" and c.op == "update" for c in cs))
        assert changed_media(flat) is None
    finally:
        listener.stop()


def test_the_listener_reconnects_and_says_to_look_again(pg_catalog: Catalog) -> None:
    ids = fill(pg_catalog, 1)
    heard = Heard()
    listener = ChangeListener(pg_catalog.url, heard).start()
    try:
        listener.drop_connection()
        heard.wait_for(lambda cs: RESYNC in cs, timeout=10)
        assert listener.reconnects == 1
        heard.batches.clear()
        culling.set_field(pg_catalog, ids, "pick", "picked")
        heard.wait_for(lambda cs: changed_media(cs) == frozenset(ids))
    finally:
        listener.stop()
    assert not listener._thread or not listener._thread.is_alive()  # stoppable


# -- last writer wins per field, recorded ------------------------------------------------------


def test_each_edit_writes_only_its_field_and_is_recorded(catalog: Catalog) -> None:
    (mid,) = fill(catalog, 1)
    set_seat(catalog, "front-desk")
    culling.set_field(catalog, [mid], "rating", 3)
    culling.set_field(catalog, [mid], "label", "red")
    history = culling.edit_history(catalog, mid)
    assert [(h.field, h.value, h.previous, h.seat) for h in history] == [
        ("rating", "3", "0", "front-desk"),
        ("label", "red", None, "front-desk"),
    ]
    assert [h.field for h in culling.edit_history(catalog, mid, "label")] == ["label"]


def test_concurrent_writers_of_different_fields_both_survive_same_field_last_wins(
    catalog: Catalog,
) -> None:
    (mid,) = fill(catalog, 1)
    other = Catalog(catalog.url if catalog.shared else catalog.db_file)  # type: ignore[arg-type]
    set_seat(catalog, "seat-a")
    set_seat(other, "seat-b")
    try:
        barrier = threading.Barrier(2)

        def edit(cat: Catalog, field: str, values: list[object]) -> None:
            barrier.wait()
            for v in values:
                culling.set_field(cat, [mid], field, v)  # type: ignore[arg-type]

        threads = [
            threading.Thread(target=edit, args=(catalog, "rating", [1, 2, 3, 4, 5])),
            threading.Thread(target=edit, args=(other, "pick", ["rejected", "picked"])),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert culling_of(catalog, mid)[:2] == (5, "picked")

        # The same field from both seats: the later commit wins, both are recorded in order.
        culling.set_field(catalog, [mid], "label", "red")
        culling.set_field(other, [mid], "label", "blue")
        labels = culling.edit_history(catalog, mid, "label")
        assert [(h.value, h.previous, h.seat) for h in labels] == [
            ("red", None, "seat-a"),
            ("blue", "red", "seat-b"),
        ]
        assert culling_of(other, mid)[2] == "blue"
        assert len(culling.edit_history(catalog, mid)) == 5 + 2 + 2
    finally:
        other.close()


def test_the_seat_name_defaults_to_the_workstations(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GALLERY_DESKTOP_SEAT", "studio-3")
    assert seat_of(catalog) == "studio-3"


EDITOR = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gallery_desktop.catalog import culling
    from gallery_desktop.catalog.db import Catalog
    from gallery_desktop.catalog.seats import set_seat

    url, seat, field, mid, n = sys.argv[1:6]
    cat = set_seat(Catalog(url if "://" in url else Path(url)), seat)
    values = (
        [i % 6 for i in range(int(n))] if field == "rating"
        else [("picked", "rejected")[i % 2] for i in range(int(n))] if field == "pick"
        else [("red", "green", "blue")[i % 3] for i in range(int(n))]
    )
    for v in values:
        culling.set_field(cat, [int(mid)], field, v)
    cat.close()
    """
)


def test_two_processes_editing_one_media_lose_nothing(catalog: Catalog) -> None:
    (mid,) = fill(catalog, 1)
    n = 40
    location = catalog.url if catalog.shared else str(catalog.db_file)
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EDITOR, location, f"seat-{field}", field, str(mid), str(n)],
            env=env,
            stderr=subprocess.PIPE,
        )
        for field in ("rating", "pick", "label")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    history = culling.edit_history(catalog, mid)
    assert len(history) == 3 * n
    lasts = (
        (n - 1) % 6,
        ("picked", "rejected")[(n - 1) % 2],
        ("red", "green", "blue")[(n - 1) % 3],
    )
    for field, last in zip(("rating", "pick", "label"), lasts, strict=True):
        mine = [h for h in history if h.field == field]
        assert len(mine) == n and {h.seat for h in mine} == {f"seat-{field}"}
        # each recorded edit starts from the one before it: nothing was overwritten unseen
        assert all(b.previous == a.value for a, b in itertools.pairwise(mine))
        assert mine[-1].value == str(last)
    rating, pick, label = culling_of(catalog, mid)
    assert (rating, pick, label) == lasts


# -- seats' activity and locks -----------------------------------------------------------------


def test_activity_is_throttled_and_stale_rows_are_ignored(catalog: Catalog) -> None:
    assert publish_activity(catalog, "collection-1", "seat-a", "reading", 0, 100)
    assert not publish_activity(catalog, "collection-1", "seat-a", "reading", 1, 100)
    assert publish_activity(catalog, "collection-1", "seat-a", "thumbnails", 1, 100)
    time.sleep(0.55)
    assert publish_activity(catalog, "collection-1", "seat-a", "thumbnails", 50, 100)
    (a,) = activities(catalog)
    assert (a.name, a.seat, a.phase, a.done, a.total) == (
        "collection-1",
        "seat-a",
        "thumbnails",
        50,
        100,
    )
    with catalog.write_conn() as conn:
        conn.execute(text("UPDATE seatactivity SET updated_at = '2001-01-01 00:00:00'"))
    assert activities(catalog) == []


def test_an_import_on_one_seat_shows_its_progress_and_locks_out_the_other(
    pg_catalog: Catalog, seat_b: Catalog, tmp_path: Path
) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    seen: list[tuple[str, int, int]] = []
    busy: list[str] = []

    def inner(p: ImportProgress) -> None:
        if p.phase != "reading" or busy:
            return
        (act,) = activities(seat_b)  # the importer publishes its own progress
        seen.append((act.seat, act.done, act.total))
        with seat_b.engine.connect() as conn:
            cid = conn.execute(text("SELECT id FROM collection")).scalar_one()
        try:
            with seat_b.collection_lock(cid, "Wedding"):
                busy.append("not busy!")
        except BusyError as exc:
            busy.append(str(exc))

    set_seat(pg_catalog, "seat-a")
    summary = import_folder(
        pg_catalog, ThumbnailCache(tmp_path / "thumbs"), shoot, progress=inner, workers=1
    )
    assert summary.collection_id
    assert seen and seen[0][0] == "seat-a"
    assert busy and "being imported" in busy[0]
    (done,) = activities(seat_b)
    assert done.name == collection_activity(summary.collection_id)
    assert done.phase == "done" and done.seat == "seat-a"
    with seat_b.collection_lock(summary.collection_id, "Wedding"):
        pass  # free again afterwards


def test_one_seat_drains_the_outbox_at_a_time(pg_catalog: Catalog, seat_b: Catalog) -> None:
    with OutboxQueue(pg_catalog).drain_lock() as first:
        assert first
        with OutboxQueue(seat_b).drain_lock() as second:
            assert not second
    with OutboxQueue(seat_b).drain_lock() as second:
        assert second


def test_the_drain_lock_works_on_sqlite_too(sqlite_catalog: Catalog) -> None:
    other = Catalog(sqlite_catalog.db_file)  # type: ignore[arg-type]
    try:
        with OutboxQueue(sqlite_catalog).drain_lock() as first:
            assert first
            with OutboxQueue(other).drain_lock() as second:
                assert not second
    finally:
        other.close()


def test_a_move_that_deadlocks_with_another_seats_batch_is_run_again(
    pg_catalog: Catalog, seat_b: Catalog
) -> None:
    """Seat A's batch marks a photo of gallery 1 missing (locking gallery 1's counts), seat B
    moves a photo of gallery 2 into gallery 1 (waits), then A touches gallery 2: PostgreSQL
    breaks the deadlock by failing one of them, and that one is run again."""
    ids = fill(pg_catalog, 2)
    with pg_catalog.write() as session:
        session.add(Gallery(collection_id=1, name="Party"))
    with pg_catalog.write_conn() as conn:
        conn.execute(text("UPDATE media SET gallery_id = 2 WHERE id = :i"), {"i": ids[1]})
    moved: list[BaseException | None] = []

    def move() -> None:
        try:
            culling.move_to_gallery(seat_b, [ids[1]], 1)
            moved.append(None)
        except BaseException as exc:  # reported below
            moved.append(exc)

    def batch(conn: Connection) -> None:
        conn.execute(text("UPDATE media SET state = 'missing' WHERE id = :i"), {"i": ids[0]})
        if not mover.is_alive() and not moved:
            mover.start()
            time.sleep(0.5)  # B now waits for gallery 1
        conn.execute(text("UPDATE media SET state = 'missing' WHERE id = :i"), {"i": ids[1]})

    mover = threading.Thread(target=move)
    pg_catalog.write_retrying(batch)
    mover.join(timeout=30)
    assert moved == [None]
    with pg_catalog.engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT id, media_count FROM gallery")).all())
        assert (
            conn.execute(text("SELECT gallery_id FROM media WHERE id = :i"), {"i": ids[1]}).scalar()
            == 1
        )
    assert counts == {1: 2, 2: 0}  # the counts the triggers keep agree with the rows


def test_one_seat_watches_a_library_root_and_another_takes_over_when_it_stops(
    pg_catalog: Catalog, seat_b: Catalog, tmp_path: Path
) -> None:
    from gallery_desktop.catalog.roots import add_root
    from gallery_desktop.ingest import watcher as watcher_module
    from gallery_desktop.ingest.watcher import WatchService, WatchTimings

    archive = tmp_path / "archive"
    shoot = make_shoot(archive)
    add_root(pg_catalog, "Archive")
    for seat in (pg_catalog, seat_b):
        seat.roots = {"Archive": archive}
    cache = ThumbnailCache(tmp_path / "thumbs")
    import_folder(pg_catalog, cache, shoot)
    timings = WatchTimings(settle=0.2, debounce=0.1, max_delay=1.0, poll_interval=0.5)
    lines: list[str] = []
    first = WatchService(pg_catalog, cache, timings=timings)
    second = WatchService(seat_b, cache, timings=timings, report=lines.append)
    first.start()
    try:
        second.start()
        assert [t.root for t in first.watched()] == ["Archive"]
        assert second.watched() == [] and second.elsewhere == {bytes(shoot)}
        assert any("watched by another workstation" in line for line in lines)
    finally:
        first.stop()
    try:
        original = watcher_module.TAKE_OVER_SECONDS
        deadline = time.monotonic() + original + 10
        while not second.watched() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [t.root for t in second.watched()] == ["Archive"]  # taken over
        assert second.elsewhere == set()
    finally:
        second.stop()


def test_held_locks_with_similar_names_are_different_locks(sqlite_catalog: Catalog) -> None:
    """Lock files are named after a readable form plus a hash: "A B" and "A_B" differ."""
    mine, other = sqlite_catalog.held_locks(), Catalog(sqlite_catalog.db_file).held_locks()  # type: ignore[arg-type]
    try:
        assert mine.hold("watch-root-A B") and mine.hold("watch-root-A_B")
        assert not other.hold("watch-root-A B") and not other.hold("watch-root-A_B")
        mine.release("watch-root-A B")
        assert other.hold("watch-root-A B") and not other.hold("watch-root-A_B")
    finally:
        mine.close()
        other.close()
        other.catalog.close()


def test_locks_lost_with_their_connection_are_forgotten_and_asked_for_again(
    pg_catalog: Catalog, seat_b: Catalog, pg_server: Any
) -> None:
    held = pg_catalog.held_locks()
    try:
        assert held.hold("watch-root-1")
        with pg_server.admin_connect() as admin:  # the server drops seat A's lock connection
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted"
            )
        with seat_b.try_lock("watch-root-1") as got:
            assert got  # the server freed it: another seat may take it now
        held.verify()
        assert held.names == set()  # no longer believed held
        assert held.hold("watch-root-1")  # asked again, on a new connection
        with seat_b.try_lock("watch-root-1") as got:
            assert not got
    finally:
        held.close()
    with seat_b.try_lock("watch-root-1") as got:
        assert got  # closing let go of it
