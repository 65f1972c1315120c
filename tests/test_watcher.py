"""The watch service on real folders: after every change, the catalogue equals the disk."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from watchdog.observers.polling import PollingObserver

from conftest import cli_env
from corpus import CORPUS
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.watched import add_shoots_folder, set_collection_watched
from gallery_desktop.ingest import watcher
from gallery_desktop.ingest.importer import ImportSummary, import_folder
from gallery_desktop.ingest.probe import hash_file
from gallery_desktop.ingest.scan import scan_tree
from gallery_desktop.ingest.watcher import WatchService, WatchTimings, filesystem_type
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize

FAST = WatchTimings(settle=0.6, debounce=0.2, max_delay=2.0, poll_interval=0.5)
SMALL = CORPUS / "photos/exif/Reagan.jpg"


class Watch:
    """A running WatchService plus what it reported and scanned."""

    def __init__(self, catalog: Catalog, cache: ThumbnailCache, **kw: object) -> None:
        self.lines: list[str] = []
        self.summaries: list[ImportSummary] = []
        self.service = WatchService(
            catalog,
            cache,
            timings=FAST,
            report=self.lines.append,
            on_scan=self.summaries.append,
            **kw,  # type: ignore[arg-type]
        )
        self.service.start()


@pytest.fixture
def start_watch(catalog: Catalog, cache: ThumbnailCache) -> Iterator[Callable[..., Watch]]:
    running: list[Watch] = []

    def start(**kw: object) -> Watch:
        w = Watch(catalog, cache, **kw)
        running.append(w)
        return w

    yield start
    for w in running:
        w.service.stop()


def disk_state(root: Path) -> dict[bytes, str]:
    root_b = os.fsencode(root)
    return {
        e.rel_path: hash_file(os.path.join(root_b, e.rel_path)) for e in scan_tree(root_b).entries
    }


def catalogue_state(catalog: Catalog, collection_id: int) -> dict[bytes, str | None]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT rel_path, content_hash FROM media WHERE collection_id = :c "
                "AND state != 'missing'"
            ),
            {"c": collection_id},
        ).fetchall()
    return {r[0]: r[1] for r in rows}


def wait_in_step(
    catalog: Catalog, root: Path, watch: Watch, collection_id: int = 1, timeout: float = 30
) -> float:
    """Wait until the catalogue equals the disk (and nothing is pending); seconds waited."""
    start = time.monotonic()
    while True:
        disk = disk_state(root)
        cat = catalogue_state(catalog, collection_id)
        if cat == disk and watch.service.idle:
            with catalog.engine.connect() as conn:
                dupes = conn.exec_driver_sql(
                    "SELECT count(*) - count(DISTINCT rel_path) FROM media"
                ).scalar()
            assert dupes == 0
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            missing = set(disk) - set(cat)
            extra = set(cat) - set(disk)
            wrong = {p for p in set(disk) & set(cat) if disk[p] != cat[p]}
            raise AssertionError(
                f"not in step after {timeout} s: {len(missing)} not catalogued "
                f"{sorted(missing)[:5]}, {len(extra)} extra {sorted(extra)[:5]}, "
                f"{len(wrong)} with old content; reports: {watch.lines[-10:]}"
            )
        time.sleep(0.1)


def rows_by_path(catalog: Catalog) -> dict[str, tuple[int, str, int, str | None]]:
    return {r.path: (r.id, r.state, r.rating, r.gallery) for r in list_media(catalog, 1)}


def rate(catalog: Catalog, path: str, stars: int) -> int:
    rid = rows_by_path(catalog)[path][0]
    with catalog.engine.begin() as conn:
        conn.execute(text("UPDATE media SET rating = :r WHERE id = :id"), {"r": stars, "id": rid})
    return rid


@pytest.fixture
def shoot_dir(tmp_path: Path) -> Path:
    shoot = tmp_path / "Wedding"
    (shoot / "Ceremony").mkdir(parents=True)
    (shoot / "Party").mkdir()
    shutil.copyfile(CORPUS / "photos/exif/flower.jpg", shoot / "Ceremony" / "a.jpg")
    shutil.copyfile(SMALL, shoot / "Party" / "b.jpg")
    return shoot


def test_burst_copy_of_thousands_of_files_into_nested_folders(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch()
    data = SMALL.read_bytes()
    n = 0
    for card in range(4):
        for folder in range(5):
            target = shoot_dir / f"Card {card}" / f"DCIM/{100 + folder}CANON"
            target.mkdir(parents=True)
            for i in range(100):
                # Each file distinct (a trailing byte pattern), as a camera's would be.
                (target / f"IMG_{card}{folder}{i:03d}.jpg").write_bytes(data + n.to_bytes(4))
                n += 1
    assert n == 2000
    waited = wait_in_step(catalog, shoot_dir, watch, timeout=90)
    rows = list_media(catalog, 1, cache)
    assert len(rows) == 2002
    assert {r.gallery for r in rows} == {"Ceremony", "Party", *(f"Card {c}" for c in range(4))}
    assert all(r.thumbnail for r in rows if r.path.startswith("Card"))
    assert waited < 60


def test_a_file_growing_for_seconds_is_imported_once_complete(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch()
    big = (CORPUS / "photos/exif/HMD_Nokia_8.3_5G.jpg").read_bytes()
    target = shoot_dir / "Party" / "big.jpg"
    chunks = [big[i : i + len(big) // 12 + 1] for i in range(0, len(big), len(big) // 12 + 1)]
    with target.open("wb") as f:
        for chunk in chunks:  # ~3 s of writing, a pause shorter than the settle period
            f.write(chunk)
            f.flush()
            time.sleep(0.25)
    wait_in_step(catalog, shoot_dir, watch)
    touched = [s for s in watch.summaries if s.new or s.changed]
    assert sum(s.new for s in touched) == 1 and sum(s.changed for s in touched) == 0
    row = next(r for r in list_media(catalog, 1, cache) if r.path == "Party/big.jpg")
    assert row.state == "ok" and (row.width, row.height) == (4608, 1976)
    assert row.content_hash == hash_file(bytes(target))
    assert row.thumbnail == str(cache.path_for(row.content_hash, ThumbSize.GRID))


def test_atomic_save_keeps_the_row_and_its_rating(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    rid = rate(catalog, "Ceremony/a.jpg", 5)
    watch = start_watch()
    # An editor's save: write a hidden temporary file, then rename it over the original.
    tmp = shoot_dir / "Ceremony" / ".a.jpg.sb-1234"
    shutil.copyfile(CORPUS / "photos/exif/exiv2-gc.jpg", tmp)
    os.replace(tmp, shoot_dir / "Ceremony" / "a.jpg")
    # Another: keep a backup with a tilde, write the new file under the old name.
    os.replace(shoot_dir / "Party" / "b.jpg", shoot_dir / "Party" / "b.jpg~")
    shutil.copyfile(CORPUS / "photos/exif/smiley2.jpg", shoot_dir / "Party" / "b.jpg")
    wait_in_step(catalog, shoot_dir, watch)
    rows = rows_by_path(catalog)
    assert rows["Ceremony/a.jpg"][:3] == (rid, "ok", 5)
    assert len(rows) == 2


def test_folder_renames_and_moves_keep_ratings(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    (shoot_dir / "Ceremony" / "Vows").mkdir()
    shutil.copyfile(CORPUS / "photos/exif/smiley2.jpg", shoot_dir / "Ceremony" / "Vows" / "v.jpg")
    import_folder(catalog, cache, shoot_dir)
    a = rate(catalog, "Ceremony/a.jpg", 4)
    v = rate(catalog, "Ceremony/Vows/v.jpg", 3)
    watch = start_watch()
    os.rename(shoot_dir / "Ceremony", shoot_dir / "Church")
    wait_in_step(catalog, shoot_dir, watch)
    os.rename(shoot_dir / "Church" / "Vows", shoot_dir / "Party" / "Vows")
    wait_in_step(catalog, shoot_dir, watch)
    rows = rows_by_path(catalog)
    assert rows["Church/a.jpg"] == (a, "ok", 4, "Church")
    assert rows["Party/Vows/v.jpg"] == (v, "ok", 3, "Party")
    assert len(rows) == 3


def test_delete_then_restore(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    rid = rate(catalog, "Party/b.jpg", 2)
    watch = start_watch()
    kept = (shoot_dir / "Party" / "b.jpg").read_bytes()
    (shoot_dir / "Party" / "b.jpg").unlink()
    wait_in_step(catalog, shoot_dir, watch)
    assert rows_by_path(catalog)["Party/b.jpg"] == (rid, "missing", 2, "Party")
    (shoot_dir / "Party" / "b.jpg").write_bytes(kept)
    wait_in_step(catalog, shoot_dir, watch)
    assert rows_by_path(catalog)["Party/b.jpg"] == (rid, "ok", 2, "Party")


def test_changes_made_while_stopped_are_caught_up_at_start(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    a = rate(catalog, "Ceremony/a.jpg", 5)
    first = start_watch()
    wait_in_step(catalog, shoot_dir, first)
    first.service.stop()
    os.rename(shoot_dir / "Ceremony" / "a.jpg", shoot_dir / "Ceremony" / "a-renamed.jpg")
    (shoot_dir / "Party" / "b.jpg").unlink()
    shutil.copyfile(CORPUS / "photos/exif/smiley2.jpg", shoot_dir / "Party" / "new.jpg")
    time.sleep(FAST.settle)  # (the catch-up scan would otherwise wait for them to settle)
    second = start_watch()
    wait_in_step(catalog, shoot_dir, second)
    rows = rows_by_path(catalog)
    assert rows["Ceremony/a-renamed.jpg"][:3] == (a, "ok", 5)
    assert rows["Party/b.jpg"][1] == "missing"
    assert rows["Party/new.jpg"][1] == "ok"


def test_polling_mode_follows_the_disk_too(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch(force_polling=True)
    (shoot_dir / "Getting Ready").mkdir()
    for i in range(20):
        shutil.copyfile(SMALL, shoot_dir / "Getting Ready" / f"{i}.jpg")
    (shoot_dir / "Ceremony" / "a.jpg").unlink()
    wait_in_step(catalog, shoot_dir, watch)
    assert {r.gallery for r in list_media(catalog, 1)} >= {"Getting Ready"}


def test_a_dead_observer_falls_back_to_polling_with_a_message(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch()
    wait_in_step(catalog, shoot_dir, watch)
    for observer in watch.service._observers.values():
        for emitter in observer.emitters:
            emitter.stop()  # as if inotify had failed under it
    deadline = time.monotonic() + 10
    while not any("watcher stopped" in line for line in watch.lines):
        assert time.monotonic() < deadline, watch.lines
        time.sleep(0.1)
    shutil.copyfile(SMALL, shoot_dir / "Party" / "after.jpg")
    wait_in_step(catalog, shoot_dir, watch)


def test_lost_events_cost_a_full_rescan_and_a_message(
    shoot_dir: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch()
    wait_in_step(catalog, shoot_dir, watch)
    scans = watch.service.scans
    logging.getLogger("watchdog.observers.inotify").warning(
        "Inotify queue overflowed; reconciling recursive watches below %r", str(shoot_dir)
    )
    deadline = time.monotonic() + 10
    while watch.service.scans == scans:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert any("overflowed: re-scanning" in line for line in watch.lines)


def test_turned_off_collections_are_not_watched_and_shoots_folders_grow(
    tmp_path: Path,
    shoot_dir: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    start_watch: Callable[..., Watch],
) -> None:
    import_folder(catalog, cache, shoot_dir)
    set_collection_watched(catalog, 1, False)
    shoots = tmp_path / "Shoots"
    shoots.mkdir()
    add_shoots_folder(catalog, str(shoots))
    watch = start_watch()
    assert [t.name for t in watch.service.watched()] == ["Shoots"]
    shutil.copyfile(SMALL, shoot_dir / "Party" / "unwatched.jpg")
    (shoots / "Smith Portraits" / "Studio").mkdir(parents=True)
    shutil.copyfile(SMALL, shoots / "Smith Portraits" / "Studio" / "1.jpg")
    wait_in_step(catalog, shoots / "Smith Portraits", watch, collection_id=2)
    assert any("new shoot 'Smith Portraits'" in line for line in watch.lines)
    # Later changes inside the new shoot are followed too.
    shutil.copyfile(SMALL, shoots / "Smith Portraits" / "Studio" / "2.jpg")
    wait_in_step(catalog, shoots / "Smith Portraits", watch, collection_id=2)
    assert "Party/unwatched.jpg" not in rows_by_path(catalog)


def test_filesystem_type_is_read_from_the_mount_table(tmp_path: Path) -> None:
    assert filesystem_type(os.fsencode(tmp_path)) not in (None, "")
    assert filesystem_type(b"/proc/self") == "proc"


def test_cli_watch_follows_changes_serves_readers_and_stops_on_sigterm(tmp_path: Path) -> None:
    shoot = tmp_path / "Shoot"
    (shoot / "A").mkdir(parents=True)
    shutil.copyfile(SMALL, shoot / "A" / "first.jpg")
    home = tmp_path / "home"
    base = [sys.executable, "-m", "gallery_desktop", "--home", str(home)]
    proc = subprocess.Popen(
        [*base, "watch", "--settle", "0.5", str(shoot)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.5)
        (shoot / "B").mkdir()
        for i in range(40):
            shutil.copyfile(SMALL, shoot / "B" / f"{i}.jpg")
        deadline = time.monotonic() + 30
        reads = 0
        while True:  # other processes read while the watcher writes: never "locked"
            done = subprocess.run(
                [*base, "media", "Shoot", "--json"], env=cli_env(), capture_output=True
            )
            assert done.returncode == 0, done.stderr
            reads += 1
            if done.stdout.count(b'"state": "ok"') == 41:
                break
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"watching Shoot" in out and b"Shoot: 40 new" in out and out.endswith(b"stopped\n")
    assert reads >= 1


def test_cli_watch_settings(tmp_path: Path, shoot_dir: Path) -> None:
    home = tmp_path / "home"
    base = [sys.executable, "-m", "gallery_desktop", "--home", str(home)]

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*base, *args], env=cli_env(), capture_output=True, timeout=60)

    assert run("import", str(shoot_dir)).returncode == 0
    shoots = tmp_path / "Shoots"
    shoots.mkdir()
    listed = run("watch", "--off", "Wedding", "--add-shoots-folder", str(shoots))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.decode().splitlines()
    assert any(ln.startswith("Wedding") and "not watched" in ln for ln in lines)
    assert any(ln.startswith("Shoots") and "shoots folder" in ln for ln in lines)
    again = run("watch", "--on", "Wedding", "--remove-shoots-folder", str(shoots))
    assert [ln.split()[0] for ln in again.stdout.decode().splitlines()] == ["Wedding"]
    assert b"not watched" not in again.stdout
    bad = run("watch", "--off", "Nope")
    assert bad.returncode == 2 and b"no collection 'Nope'" in bad.stderr
    nothing = subprocess.run(
        [sys.executable, "-m", "gallery_desktop", "--home", str(tmp_path / "empty"), "watch"],
        env=cli_env(),
        capture_output=True,
        timeout=60,
    )
    assert nothing.returncode == 2 and b"nothing to watch" in nothing.stderr


def test_network_folders_are_polled(
    shoot_dir: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    start_watch: Callable[..., Watch],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_folder(catalog, cache, shoot_dir)
    monkeypatch.setattr(watcher, "filesystem_type", lambda _p: "fuse.sshfs")
    watch = start_watch()
    observers = list(watch.service._observers.values())
    assert len(observers) == 1 and isinstance(observers[0], PollingObserver)
    shutil.copyfile(SMALL, shoot_dir / "Party" / "remote.jpg")
    wait_in_step(catalog, shoot_dir, watch)


def test_the_inotify_watch_limit_falls_back_to_polling_with_a_message(
    shoot_dir: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    start_watch: Callable[..., Watch],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_folder(catalog, cache, shoot_dir)

    def refuse(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher.Observer, "schedule", refuse)
    watch = start_watch()
    assert any("inotify watch limit reached" in ln and "every" in ln for ln in watch.lines)
    assert all(isinstance(o, PollingObserver) for o in watch.service._observers.values())
    shutil.copyfile(SMALL, shoot_dir / "Party" / "late.jpg")
    wait_in_step(catalog, shoot_dir, watch)


def test_a_turned_off_shoot_inside_a_shoots_folder_stays_off(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, start_watch: Callable[..., Watch]
) -> None:
    shoots = tmp_path / "Shoots"
    (shoots / "Quiet").mkdir(parents=True)
    shutil.copyfile(SMALL, shoots / "Quiet" / "1.jpg")
    import_folder(catalog, cache, shoots / "Quiet")
    set_collection_watched(catalog, 1, False)
    add_shoots_folder(catalog, str(shoots))
    watch = start_watch()
    shutil.copyfile(CORPUS / "photos/exif/smiley2.jpg", shoots / "Quiet" / "2.jpg")
    time.sleep(FAST.settle + 1.5)
    assert watch.service.idle
    assert not any("Quiet" in line for line in watch.lines), watch.lines
    assert "2.jpg" not in rows_by_path(catalog)


def test_a_failing_step_is_reported_and_the_watching_goes_on(
    shoot_dir: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    start_watch: Callable[..., Watch],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_folder(catalog, cache, shoot_dir)
    watch = start_watch()
    wait_in_step(catalog, shoot_dir, watch)

    def broken(_catalog: Catalog) -> list[object]:
        raise RuntimeError("catalogue unavailable")

    monkeypatch.setattr(watcher, "list_watched", broken)
    watch.service.reload()
    deadline = time.monotonic() + 10
    while not any("reloading the watch settings failed" in ln for ln in watch.lines):
        assert time.monotonic() < deadline, watch.lines
        time.sleep(0.05)
    monkeypatch.undo()
    shutil.copyfile(SMALL, shoot_dir / "Party" / "still.jpg")
    wait_in_step(catalog, shoot_dir, watch)  # the worker is alive and still following


def test_stopping_cuts_a_long_scan_short_and_leaves_the_catalogue_sound(
    shoot_dir: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    start_watch: Callable[..., Watch],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gallery_desktop.catalog.check import check_catalog
    from gallery_desktop.ingest import importer

    import_folder(catalog, cache, shoot_dir)
    real = importer.probe_file

    def slow(*args: object) -> object:
        time.sleep(0.05)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "probe_file", slow)
    (shoot_dir / "Card").mkdir()
    data = SMALL.read_bytes()
    for i in range(300):  # ~8 s of (slowed) reading
        (shoot_dir / "Card" / f"{i}.jpg").write_bytes(data + i.to_bytes(4))
    time.sleep(FAST.settle + 0.2)
    watch = start_watch()
    deadline = time.monotonic() + 10
    while watch.service.idle:  # wait until the catch-up scan is under way
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.5)
    started = time.monotonic()
    watch.service.stop()
    assert time.monotonic() - started < 5
    report = check_catalog(catalog)
    assert report.catalogue_ok
    assert len(list_media(catalog, 1)) < 302  # it did stop part-way
