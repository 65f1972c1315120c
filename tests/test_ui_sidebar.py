"""The sidebar: organising collections and galleries, and photos dragged onto a gallery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.collections import list_galleries
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.sidebar import Sidebar


@pytest.fixture
def win(qtbot: QtBot, tmp_path: Path, shoot: Path) -> MainWindow:
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings)
    qtbot.addWidget(window)
    window.show()
    window.import_folders([str(shoot)])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    return window


def names(sidebar: Sidebar) -> list[list[str]]:
    out = []
    for i in range(sidebar.topLevelItemCount()):
        top = sidebar.topLevelItem(i)
        assert top is not None
        out.append([top.text(0)] + [top.child(j).text(0) for j in range(top.childCount())])  # type: ignore[union-attr]
    return out


def select(sidebar: Sidebar, text: str) -> None:
    found = sidebar.findItems(text, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    assert len(found) == 1
    sidebar.setCurrentItem(found[0])


def test_galleries_made_renamed_reordered_and_removed(win: MainWindow) -> None:
    sb = win.sidebar
    answers = iter(["Selects", "Client Selects"])
    sb.ask_text = lambda *_a: next(answers)
    select(sb, "Party")
    sb.new_gallery()
    assert names(sb) == [["Wedding", "Highlights", "Ceremony", "Party", "Selects"]]
    select(sb, "Selects")
    sb.rename_selected()
    sb.move_selected(-1)
    assert names(sb) == [["Wedding", "Highlights", "Ceremony", "Client Selects", "Party"]]
    assert win.status_label.text() == "Moved"
    sb.confirm = lambda _q: False
    sb.delete_selected()
    assert "Client Selects" in names(sb)[0]
    sb.confirm = lambda _q: True
    sb.delete_selected()
    assert names(sb) == [["Wedding", "Highlights", "Ceremony", "Party"]]


def test_deleting_a_folder_gallery_is_refused_with_a_message(
    win: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    win.sidebar.confirm = lambda _q: True
    select(win.sidebar, "Party")
    win.sidebar.delete_selected()
    assert shown and "Move them to another gallery first" in shown[0]
    assert "Party" in names(win.sidebar)[0]


def test_photos_dragged_onto_a_gallery_move_there_and_undo_brings_them_back(
    win: MainWindow, qtbot: QtBot
) -> None:
    sb = win.sidebar
    sb.ask_text = lambda *_a: "Selects"
    select(sb, "Wedding")
    sb.new_gallery()
    select(sb, "Ceremony")
    assert win.grid_model.rowCount() == 2
    mime = win.grid_model.mimeData([win.grid_model.index(0), win.grid_model.index(1)])
    target = sb.findItems("Selects", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)[0]
    point = QPointF(sb.visualItemRect(target).center())
    drop = QDropEvent(
        point,
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    sb.dropEvent(drop)
    assert drop.isAccepted()
    counts = {g.name: g.media for g in list_galleries(win.catalog, 1)}
    assert counts["Selects"] == 2 and counts["Ceremony"] == 0
    assert win.status_label.text() == "2 items moved to another gallery"
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    counts = {g.name: g.media for g in list_galleries(win.catalog, 1)}
    assert counts["Selects"] == 0 and counts["Ceremony"] == 2
    assert {r.gallery for r in list_media(win.catalog, 1) if "Ceremony/" in r.path} == {"Ceremony"}


def test_last_view_and_layout_are_remembered(win: MainWindow, qtbot: QtBot) -> None:
    select(win.sidebar, "Party")
    win.filter_bar.sort.setCurrentIndex(win.filter_bar.sort.findData("rating"))
    win.splitter.setSizes([300, 700, 300])
    sizes = win.splitter.sizes()
    win.close()
    again = MainWindow(win.catalog, win.cache, win.settings)
    qtbot.addWidget(again)
    again.show()
    place = again.sidebar.place()
    assert place is not None and place.kind == "gallery"
    assert again.sidebar.selectedItems()[0].text(0) == "Party"
    assert again.filter_bar.sort.currentData() == "rating"
    assert again.grid_model.rowCount() == 2
    restored = again.splitter.sizes()  # side panels keep their widths; the grid takes the rest
    assert (restored[0], restored[2]) == (sizes[0], sizes[2])


def test_sidebar_model_passes_the_model_tester(win: MainWindow, qtmodeltester: Any) -> None:
    qtmodeltester.check(win.sidebar.model())
