"""The main window: a folder dropped on it is imported in the background and shown."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.grid_model import THUMB_BOX
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.sidebar import count_of

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# Qt 6 deprecates the QPoint constructor of QDragEnterEvent but offers no QPointF one.
pytestmark = pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings)
    qtbot.addWidget(win)
    win.show()
    return win


def _shoot(tmp_path: Path) -> Path:
    shoot = tmp_path / "Smith Wedding"
    (shoot / "Ceremony").mkdir(parents=True)
    (shoot / "Getting Ready").mkdir()
    shutil.copy(CORPUS / "photos/orientation/Portrait_6.jpg", shoot / "Ceremony" / "a.jpg")
    shutil.copy(CORPUS / "photos/exif/flower.jpg", shoot / "Ceremony" / "b.jpg")
    shutil.copy(CORPUS / "photos/exif/Reagan.jpg", shoot / "Getting Ready" / "c.jpg")
    shutil.copy(CORPUS / "bad/truncated/truncated_jpeg.jpg", shoot / "Getting Ready" / "d.jpg")
    return shoot


def _collection_item(win: MainWindow, name: str) -> QTreeWidgetItem:
    items = [win.sidebar.topLevelItem(i) for i in range(win.sidebar.topLevelItemCount())]
    found = [it for it in items if it is not None and it.text(0) == name]
    assert len(found) == 1, [it.text(0) for it in items if it is not None]
    return found[0]


def _drag_enter(win: MainWindow, path: Path) -> tuple[QMimeData, QDragEnterEvent]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dragEnterEvent(enter)
    return mime, enter


def _drop(win: MainWindow, folder: Path) -> None:
    mime, enter = _drag_enter(win, folder)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(drop)


def test_dropped_folder_is_imported_and_shown(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path)
    _drop(window, shoot)
    assert window.importing  # the import runs in the background, the window stays live
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)

    top = _collection_item(window, "Smith Wedding")
    assert count_of(top) == "4"
    # The truncated photo is flagged on its own, above the collections.
    attention = window.sidebar.topLevelItem(0)
    assert attention is not None and attention.text(0) == "Needs attention"
    assert count_of(attention) == "1"
    galleries = sorted((top.child(i).text(0), count_of(top.child(i))) for i in range(2))
    assert galleries == [("Ceremony", "2"), ("Getting Ready", "2")]
    # The collection is selected: the grid shows all four, the broken one flagged.
    assert window.grid_model.rowCount() == 4
    states = sorted(window.grid_model.record(r).state for r in range(4))
    assert states == ["error", "ok", "ok", "ok"]
    ok_rows = [r for r in range(4) if window.grid_model.record(r).state == "ok"]
    model = window.grid_model

    def pictures_loaded() -> None:  # thumbnails are read by workers, then shown
        for r in ok_rows:
            shown = model.data(model.index(r), Qt.ItemDataRole.DecorationRole)
            assert shown is not model.loading_picture

    qtbot.waitUntil(pictures_loaded, timeout=10_000)
    for r in ok_rows:
        rec = window.grid_model.record(r)
        assert rec.width is not None and rec.height is not None
        image = window.grid_model.data(window.grid_model.index(r), Qt.ItemDataRole.DecorationRole)
        # Thumbnails (256 px files) are shown in the grid's box; small photos never blown up.
        assert rec.thumbnail is not None
        assert max(QImage(rec.thumbnail).width(), QImage(rec.thumbnail).height()) == min(
            256, max(rec.width, rec.height)
        )
        assert max(image.width(), image.height()) == min(THUMB_BOX, max(rec.width, rec.height))
        # ...and upright: the thumbnail has the photo's oriented aspect.
        assert (image.width() >= image.height()) == (rec.width >= rec.height)
    assert "Imported" in window.status_label.text()


def test_dropping_a_file_is_refused(window: MainWindow, tmp_path: Path) -> None:
    f = tmp_path / "x.jpg"
    shutil.copy(CORPUS / "photos/exif/flower.jpg", f)
    _mime, enter = _drag_enter(window, f)
    assert not enter.isAccepted()


def test_cancel_keeps_a_consistent_catalogue(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path)
    window.import_folders([str(shoot)])
    window.cancel_import()
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    catalog = window.catalog
    # Whatever was catalogued before the cancel is complete; a second import finishes the job.
    window.import_folders([str(shoot)])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    rows = list_media(catalog, 1)
    assert sorted(r.path for r in rows) == [
        "Ceremony/a.jpg",
        "Ceremony/b.jpg",
        "Getting Ready/c.jpg",
        "Getting Ready/d.jpg",
    ]


def test_watched_folder_changes_show_up_by_themselves(qtbot: QtBot, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings, watch=True)
    qtbot.addWidget(win)
    win.show()
    shoot = _shoot(tmp_path)
    _drop(win, shoot)
    qtbot.waitUntil(lambda: not win.importing, timeout=30_000)
    assert count_of(_collection_item(win, "Smith Wedding")) == "4"
    (shoot / "Party").mkdir()
    shutil.copy(CORPUS / "photos/exif/smiley2.jpg", shoot / "Party" / "e.jpg")

    def counted() -> None:
        assert count_of(_collection_item(win, "Smith Wedding")) == "5"
        assert "Smith Wedding: 1 new" in win.status_label.text()

    qtbot.waitUntil(counted, timeout=30_000)  # settle period (3 s) + a re-scan
    top = _collection_item(win, "Smith Wedding")
    names = {top.child(i).text(0) for i in range(top.childCount())}
    assert names == {"Ceremony", "Getting Ready", "Party"}
    win.close()
    assert win.watcher is None


def _ratings(win: MainWindow) -> dict[str, tuple[int, str | None, str | None]]:
    rows = list_media(win.catalog, 1)
    return {r.path.rsplit("/", 1)[-1]: (r.rating, r.pick, r.label) for r in rows}


def test_keyboard_culling_changes_the_catalogue_and_undo_restores_it(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.import_folders([str(_shoot(tmp_path))])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    grid = window.grid
    grid.setFocus()
    grid.selectAll()
    qtbot.keyClick(grid, Qt.Key.Key_3)
    assert {v[0] for v in _ratings(window).values()} == {3}
    first = window.grid_model.index(0)
    grid.setCurrentIndex(first)  # one item selected now
    qtbot.keyClick(grid, Qt.Key.Key_5)
    qtbot.keyClick(grid, Qt.Key.Key_P)
    qtbot.keyClick(grid, Qt.Key.Key_6)
    name = window.grid_model.record(0).path.rsplit("/", 1)[-1]
    assert _ratings(window)[name] == (5, "picked", "red")
    shown = window.grid_model.data(first, Qt.ItemDataRole.DisplayRole)
    assert "★★★★★" in shown and "picked" in shown and "red" in shown
    qtbot.keyClick(grid, Qt.Key.Key_X)
    assert _ratings(window)[name][1] == "rejected"
    for _ in range(4):  # reject, label, pick, 5 stars
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _ratings(window)[name] == (3, None, None)
    assert "★★★☆☆" in window.grid_model.data(first, Qt.ItemDataRole.DisplayRole)
    qtbot.keyClick(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert _ratings(window)[name] == (5, None, None)
    assert window.status_label.text() == "Redone: 5 stars on 1 item"


def test_grid_model_passes_the_model_tester(
    window: MainWindow, qtbot: QtBot, qtmodeltester: Any, tmp_path: Path
) -> None:
    window.import_folders([str(_shoot(tmp_path))])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    assert window.grid_model.rowCount() == 4
    qtmodeltester.check(window.grid_model, force_py=True)


def test_loupe_inspector_and_keys(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    shoot = tmp_path / "Big"
    shoot.mkdir()
    shutil.copy(CORPUS / "photos/exif/exiv2-bug2565.jpg", shoot / "1.jpg")  # 3024×4032 upright
    shutil.copy(CORPUS / "photos/exif/flower.jpg", shoot / "2.jpg")
    shutil.copy(CORPUS / "video/sample_640x360.mov", shoot / "3.mov")
    window.import_folders([str(shoot)])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    window.filter_bar.sort.setCurrentIndex(window.filter_bar.sort.findData("name"))
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.grid_model.index(0))
    assert window.inspector.values["camera"].text() == "samsung SM-G930V"
    assert window.inspector.values["size"].text() == "3024 × 4032 px"

    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    assert window.views.currentWidget() is window.loupe
    qtbot.waitUntil(lambda: not window.loupe.loading, timeout=30_000)
    fitted = window.loupe.shown_size()
    viewport = window.loupe.scroller.viewport().size()
    assert fitted.height() <= viewport.height() and fitted.width() <= viewport.width()
    assert fitted.height() > fitted.width()  # upright: portrait

    qtbot.keyClick(window.loupe, Qt.Key.Key_Z)  # 100 %: every pixel of the photo
    qtbot.waitUntil(lambda: not window.loupe.loading, timeout=30_000)
    assert (window.loupe.shown_size().width(), window.loupe.shown_size().height()) == (3024, 4032)
    qtbot.keyClick(window.loupe, Qt.Key.Key_Z)

    qtbot.keyClick(window.loupe, Qt.Key.Key_Right)
    assert window.current_record() is not None
    assert window.current_record().path == "2.jpg"  # type: ignore[union-attr]
    qtbot.keyClick(window.loupe, Qt.Key.Key_4)  # culling works in the loupe too
    assert window.grid_model.record(1).rating == 4
    qtbot.keyClick(window.loupe, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: not window.loupe.loading, timeout=30_000)
    assert "video 0:13" in window.loupe.caption.text()
    assert not window.loupe.shown_size().isEmpty()  # the video's frame
    qtbot.keyClick(window.loupe, Qt.Key.Key_G)
    assert window.views.currentWidget() is window.grid


def test_compare_shows_the_selection_side_by_side_and_culls_the_picked_one(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.import_folders([str(_shoot(tmp_path))])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    grid = window.grid
    grid.setFocus()
    grid.setCurrentIndex(window.grid_model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_C)  # one item: nothing to compare
    assert window.views.currentWidget() is grid
    assert "two or more" in window.status_label.text()
    grid.selectAll()
    qtbot.keyClick(grid, Qt.Key.Key_C)
    assert window.views.currentWidget() is window.compare
    assert len(window.compare.panes) == 4
    qtbot.waitUntil(lambda: not window.compare.loading, timeout=30_000)
    ok = [
        p
        for p in window.compare.panes
        if p.media_id
        in {
            window.grid_model.record(r).id
            for r in range(4)
            if window.grid_model.record(r).state == "ok"
        }
    ]
    assert all(not p.picture.pixmap().isNull() for p in ok)
    picked = window.compare.panes[2]
    qtbot.mouseClick(picked, Qt.MouseButton.LeftButton)
    qtbot.keyClick(window.compare, Qt.Key.Key_5)
    ratings = {window.grid_model.record(r).id: window.grid_model.record(r).rating for r in range(4)}
    assert ratings[picked.media_id] == 5
    assert sum(ratings.values()) == 5  # only the picked one
    assert "★★★★★" in picked.caption.text()
    qtbot.keyClick(window.compare, Qt.Key.Key_G)
    assert window.views.currentWidget() is grid
