"""What goes wrong around an import: lost caches, full disks, flaky drives, two at once."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from conftest import cli_env, copy_from_corpus
from gallery_desktop import __main__ as entry
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.errors import BusyError
from gallery_desktop.ingest import probe
from gallery_desktop.ingest.importer import ImportProgress, import_folder
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths


def test_lost_thumbnails_are_made_again_by_a_rescan(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    import_folder(catalog, cache, shoot)
    before = {r.path: r.thumbnail for r in list_media(catalog, 1, cache)}
    assert all(before.values())
    shutil.rmtree(cache.root)  # the user cleared the cache, or it was evicted
    assert not any(r.thumbnail for r in list_media(catalog, 1, cache))
    again = import_folder(catalog, cache, shoot)
    assert again.unchanged == len(before)  # no file was probed again...
    after = {r.path: r.thumbnail for r in list_media(catalog, 1, cache)}
    assert after == before  # ...but every thumbnail (photos and the video) is back


def test_an_unwritable_cache_does_not_stop_the_import(
    shoot: Path, catalog: Catalog, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")  # the cache 'folder' is a file: every write fails
    summary = import_folder(catalog, ThumbnailCache(blocked / "thumbnails"), shoot)
    assert summary.new == 5 and summary.errors == 0
    assert summary.thumbnails == 0
    fixed = ThumbnailCache(tmp_path / "fixed")
    import_folder(catalog, fixed, shoot)
    assert all(r.thumbnail for r in list_media(catalog, 1, fixed))


def test_a_passing_read_error_is_retried_but_a_broken_file_is_not(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_from_corpus("bad/truncated/truncated_image.png", shoot / "broken.png")
    real = probe._probe_photo
    flaky = {b"cover.jpg"}

    def failing_once(path: bytes, result: probe.ProbeResult) -> None:
        if os.path.basename(path) in flaky:
            flaky.clear()
            raise OSError(errno.EIO, "Input/output error")
        real(path, result)

    monkeypatch.setattr(probe, "_probe_photo", failing_once)
    first = import_folder(catalog, cache, shoot)
    states = {r.path: (r.state, r.error) for r in list_media(catalog, 1)}
    assert states["cover.jpg"] == ("error", "cannot read the file (Input/output error)")
    assert states["broken.png"][0] == "error"
    assert first.errors == 2
    second = import_folder(catalog, cache, shoot)
    assert second.changed == 1  # cover.jpg was read again; broken.png was not
    states = {r.path: r.state for r in list_media(catalog, 1)}
    assert states["cover.jpg"] == "ok" and states["broken.png"] == "error"


def test_a_second_import_of_the_same_collection_is_refused_while_one_runs(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    started, release = threading.Event(), threading.Event()
    refused: list[BaseException] = []

    def hold(p: ImportProgress) -> None:
        if p.phase == "reading" and not started.is_set():
            started.set()
            release.wait(30)

    worker = threading.Thread(
        target=import_folder, args=(catalog, cache, shoot), kwargs={"progress": hold}
    )
    worker.start()
    assert started.wait(30)
    try:
        import_folder(catalog, cache, shoot)
    except BusyError as exc:
        refused.append(exc)
    finally:
        release.set()
        worker.join(60)
    assert refused and "being imported or re-scanned" in str(refused[0])
    assert len(list_media(catalog, 1)) == 5  # the first import finished normally


def test_catalogue_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cmd = [sys.executable, "-m", "gallery_desktop", "--home", str(home), "collections", "--json"]
    procs = [
        subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _o, err in results]
    assert all(out.strip() == b"[]" for out, _e in results)


def test_cancelled_swap_hands_no_rating_to_the_wrong_photo(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Swap"
    copy_from_corpus("photos/exif/flower.jpg", shoot / "a.jpg")
    copy_from_corpus("photos/exif/Reagan.jpg", shoot / "b.jpg")
    import_folder(catalog, cache, shoot)
    rows = {r.path: r for r in list_media(catalog, 1)}
    hashes = {p: r.content_hash for p, r in rows.items()}
    os.rename(shoot / "a.jpg", shoot / "tmp.jpg")
    os.rename(shoot / "b.jpg", shoot / "a.jpg")
    os.rename(shoot / "tmp.jpg", shoot / "b.jpg")
    cancel = CancelToken()
    import_folder(
        catalog,
        cache,
        shoot,
        cancel=cancel,
        workers=1,
        progress=lambda p: cancel.cancel() if p.phase == "reading" else None,
    )
    # Nothing was matched from half a scan: each row still holds its own photo.
    assert {r.path: r.content_hash for r in list_media(catalog, 1)} == hashes
    import_folder(catalog, cache, shoot)
    after = {r.id: (r.path, r.content_hash) for r in list_media(catalog, 1)}
    assert after == {
        rows["a.jpg"].id: ("b.jpg", hashes["a.jpg"]),
        rows["b.jpg"].id: ("a.jpg", hashes["b.jpg"]),
    }


def test_gui_gets_the_home_however_it_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[AppPaths] = []
    monkeypatch.setattr(
        "gallery_desktop.ui.app.run_app", lambda p, *_folders, **_kw: opened.append(p) or 0
    )
    assert entry.main([f"--home={tmp_path / 'a'}"]) == 0
    assert entry.main(["--home", str(tmp_path / "b")]) == 0
    assert [p.catalog_file for p in opened] == [
        tmp_path / "a" / "catalog.sqlite",
        tmp_path / "b" / "catalog.sqlite",
    ]


def test_libraw_fallback_and_drops_take_names_that_are_not_utf8(tmp_path: Path) -> None:
    odd = os.path.join(bytes(tmp_path), b"raw_\xff.dng")
    copy_from_corpus("raw/IMG_1361.dng", odd)
    meta = probe._raw_metadata_from_libraw(odd)
    assert meta is not None and (meta.width, meta.height) == (3024, 4032)

    from gallery_desktop.ui.dropped_folders import local_folders

    folder = os.path.join(bytes(tmp_path), b"caf\xe9")
    os.mkdir(folder)
    url = QUrl.fromEncoded(b"file://" + bytes(tmp_path).replace(b" ", b"%20") + b"/caf%E9")
    assert local_folders([url]) == [folder]
