"""Favourites as a folder of copies: byte-identical originals, never overwriting, never inside a
collection, missing originals reported, cancel takes everything back, originals untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from conftest import copy_from_corpus
from favourite_helpers import add_favourites, fingerprints, shoot_with_favourites
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import ANYONE, BY_ALL_CLIENTS, NOT_DOWNLOADED, list_media
from gallery_desktop.errors import BadInputError
from gallery_desktop.export.favourite_copies import copy_favourites
from gallery_desktop.export.run import ExportProgress
from gallery_desktop.export.targets import PART_SUFFIX
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.favourite_copy_dialog import FavouriteCopyDialog
from gallery_desktop.ui.main_window import MainWindow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_copies_are_byte_identical_flat_and_originals_untouched(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot, cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    before = fingerprints(shoot)
    out = tmp_path / "for the album"
    summary = copy_favourites(catalog, cid, out, "bob@example.com", workers=2)
    assert summary.ok and summary.failed == [] and summary.skipped == []
    assert sorted(summary.written) == ["b.jpg", "c.jpg"]  # flat, under their own names
    assert sorted(p.name for p in out.iterdir()) == ["b.jpg", "c.jpg"]
    assert _sha(out / "b.jpg") == _sha(shoot / "Ceremony/deep/er/b.jpg")
    assert _sha(out / "c.jpg") == _sha(shoot / "Party/c.jpg")
    # A copy keeps its original's modification time (Lightroom sorts by it).
    assert (out / "c.jpg").stat().st_mtime_ns == (shoot / "Party/c.jpg").stat().st_mtime_ns
    assert summary.bytes_written == sum(p.stat().st_size for p in out.iterdir())

    anyone = copy_favourites(catalog, cid, tmp_path / "anyone", ANYONE)
    assert sorted(anyone.written) == ["a.jpg", "b.jpg", "c.jpg"]
    both = copy_favourites(catalog, cid, tmp_path / "both", BY_ALL_CLIENTS)
    assert sorted(both.written) == ["b.jpg", "c.jpg"]
    assert fingerprints(shoot) == before  # sha256 and mtime of every original


def test_name_clashes_get_a_number_and_nothing_is_overwritten(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot, cid, ids = shoot_with_favourites(tmp_path, catalog, cache)
    # A second a.jpg, in another gallery, favourited too.
    copy_from_corpus("photos/exif/exiv2-sony-dsc-w7.jpg", shoot / "Party" / "a.jpg")
    import_folder(catalog, cache, shoot, workers=1)
    other = next(m.id for m in list_media(catalog, cid) if m.path == "Party/a.jpg")
    add_favourites(catalog, cid, {"cat@example.com": [(ids["a"], None), (other, None)]})
    before = fingerprints(shoot)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"the retoucher's file, not ours")
    summary = copy_favourites(catalog, cid, out, "cat@example.com")
    assert summary.ok
    assert sorted(summary.written) == ["a (2).jpg", "a (3).jpg"]
    assert (out / "a.jpg").read_bytes() == b"the retoucher's file, not ours"
    copied = {_sha(out / "a (2).jpg"), _sha(out / "a (3).jpg")}
    assert copied == {_sha(shoot / "Ceremony/a.jpg"), _sha(shoot / "Party/a.jpg")}
    # The same favourites again: new numbers, the first copies stay as they are.
    again = copy_favourites(catalog, cid, out, "cat@example.com")
    assert sorted(again.written) == ["a (4).jpg", "a (5).jpg"]
    assert len(list(out.iterdir())) == 5
    assert fingerprints(shoot) == before


def test_a_folder_inside_the_collection_is_refused(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot, cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    before = fingerprints(shoot)
    for inside in (shoot, shoot / "Favourites", shoot / "Party" / "picks"):
        with pytest.raises(
            BadInputError, match=r"inside collection 'Wedding' .*: copies there would be catalogued"
        ):
            copy_favourites(catalog, cid, inside)
    assert fingerprints(shoot) == before  # not even the folder was made
    assert not (shoot / "Favourites").exists()


def test_a_missing_original_is_reported_and_the_rest_copied(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot, cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    moved = tmp_path / "moved-away.jpg"
    shutil.move(shoot / "Ceremony/deep/er/b.jpg", moved)  # gone since the last scan
    out = tmp_path / "out"
    summary = copy_favourites(catalog, cid, out, ANYONE)
    assert not summary.ok and not summary.cancelled
    assert summary.failed == [("Ceremony/deep/er/b.jpg", "the file is missing on disk")]
    assert sorted(summary.written) == ["a.jpg", "c.jpg"]
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "c.jpg"]  # no part file left
    assert (
        _sha(out / "a.jpg") == hashlib.sha256((shoot / "Ceremony/a.jpg").read_bytes()).hexdigest()
    )


def test_cancel_takes_back_everything_it_wrote(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot, cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    before = fingerprints(shoot)
    out = tmp_path / "new" / "folder"
    cancel = CancelToken()
    seen: list[ExportProgress] = []

    def progress(p: ExportProgress) -> None:
        seen.append(p)
        if p.done == 1:  # one copy written: stop now
            cancel.cancel()

    summary = copy_favourites(
        catalog, cid, out, ANYONE, progress=progress, cancel=cancel, workers=1
    )
    assert summary.cancelled and summary.written == [] and summary.target is None
    assert seen[0] == ExportProgress(0, 3) and any(p.done == 1 for p in seen)
    assert not out.exists() and not out.parent.exists()  # the folders it made go too
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))
    assert fingerprints(shoot) == before

    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    cancel = CancelToken()
    cancel.cancel()
    summary = copy_favourites(catalog, cid, kept, ANYONE, cancel=cancel, workers=1)
    assert summary.cancelled
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]  # what was there stays


def test_no_favourites_is_a_clear_answer(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    _shoot, cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    with pytest.raises(BadInputError, match=r"no favourites of zoe@example\.com"):
        copy_favourites(catalog, cid, tmp_path / "out", "zoe@example.com")
    # Every favourite was downloaded: nothing left for "not downloaded".
    with catalog.write_conn() as conn:
        conn.execute(
            text(
                "INSERT INTO downloadevent (collection_id, media_id, kind, occurred_at) "
                "SELECT :c, media_id, 'photo', CURRENT_TIMESTAMP FROM favorite"
            ),
            {"c": cid},
        )
    with pytest.raises(BadInputError, match="not downloaded"):
        copy_favourites(catalog, cid, tmp_path / "out", NOT_DOWNLOADED)
    assert not (tmp_path / "out").exists()


# -- the filter bar's menu action ---------------------------------------------------------------


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> tuple[MainWindow, Path]:
    shoot, _cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, cache, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 5, timeout=10_000)
    return win, shoot


def _copy_from_menu(
    qtbot: QtBot, win: MainWindow, monkeypatch: pytest.MonkeyPatch, folder: Path
) -> FavouriteCopyDialog:
    asked: list[str] = []

    def choose(_parent: object, caption: str, _start: str = "", *_a: object) -> str:
        asked.append(caption)
        return str(folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", choose)
    bar = win.filter_bar
    assert bar.copy_names.isVisible() and bar.copy_files_action.isEnabled()
    assert bar.copy_files_action in bar.copy_names.menu().actions()
    bar.copy_files_action.trigger()
    assert asked == ["Copy the favourites' originals into"]
    dialogs = bar.findChildren(FavouriteCopyDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.isVisible() and dialog.close_button.text() == "Cancel"
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    return dialog


def test_copy_favourites_to_a_folder_from_the_filter_bar(
    window: tuple[MainWindow, Path], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    win, shoot = window
    before = fingerprints(shoot)
    bar = win.filter_bar
    bar.favourites.setCurrentIndex(bar.favourites.findData("bob@example.com"))
    out = tmp_path / "Bob's picks"
    dialog = _copy_from_menu(qtbot, win, monkeypatch, out)
    assert dialog.summary is not None and dialog.summary.ok
    assert sorted(p.name for p in out.iterdir()) == ["b.jpg", "c.jpg"]
    assert _sha(out / "b.jpg") == _sha(shoot / "Ceremony/deep/er/b.jpg")
    assert dialog.status.text() == "Done."
    assert dialog.report.toPlainText().startswith("Copied 2 originals (")
    assert dialog.show_button.isVisible() and dialog.close_button.text() == "Close"
    dialog.close_button.click()
    qtbot.waitUntil(lambda: not bar.findChildren(FavouriteCopyDialog), timeout=5_000)

    # Nobody chosen: anyone's favourites; the same folder again: nothing replaced.
    bar.favourites.setCurrentIndex(0)
    dialog = _copy_from_menu(qtbot, win, monkeypatch, out)
    assert dialog.summary is not None
    assert sorted(dialog.summary.written) == ["a.jpg", "b (2).jpg", "c (2).jpg"]
    assert len(list(out.iterdir())) == 5
    dialog.reject()
    assert fingerprints(shoot) == before


def test_a_refused_folder_is_said_in_the_dialog(
    window: tuple[MainWindow, Path], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    win, shoot = window
    before = fingerprints(shoot)
    dialog = _copy_from_menu(qtbot, win, monkeypatch, shoot / "Favourites")
    assert dialog.summary is None
    assert "inside" in dialog.report.toPlainText()
    assert dialog.status.text() == "Nothing was copied."
    assert not dialog.show_button.isVisible()
    assert not (shoot / "Favourites").exists() and fingerprints(shoot) == before
    dialog.reject()


def test_no_folder_chosen_copies_nothing(
    window: tuple[MainWindow, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    win, _shoot = window
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a: "")
    win.filter_bar.copy_files_action.trigger()
    assert win.filter_bar.findChildren(FavouriteCopyDialog) == []
