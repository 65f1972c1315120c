"""Favourites in the grid and the inspector: a heart badge with the number of clients per photo,
a tooltip with who and their notes, read with the grid's pages (never while painting)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot
from sqlalchemy import event
from sqlalchemy import text as sql

from conftest import make_shoot
from favourite_helpers import add_favourites, chosen_on, shoot_with_favourites
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import FavouriteMark, favourites_version
from gallery_desktop.catalog.media import MediaView
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.grid_delegate import (
    BADGE_COLOUR,
    BADGE_MARGIN,
    MediaCellDelegate,
    badge_font,
    badge_rect,
)
from gallery_desktop.ui.grid_model import MediaGridModel
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.tasks import BackgroundTasks

GRAB = Path("/tmp/favourite_badges.png")
Count = MediaGridModel.FavouriteCountRole


class Statements:
    """Every SQL statement run through the catalogue's engine while counting."""

    def __init__(self, catalog: Catalog) -> None:
        self.seen: list[str] = []
        event.listen(catalog.engine, "before_cursor_execute", self._seen)
        self.engine = catalog.engine

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.seen.append(statement)

    def favourites(self) -> int:
        return sum("FROM favorite f" in s for s in self.seen)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def statements(catalog: Catalog) -> Iterator[Statements]:
    counter = Statements(catalog)
    yield counter
    counter.close()


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[BackgroundTasks]:
    """Workers of a test finish (and deliver) before its model and helpers go away."""
    helper = BackgroundTasks()
    yield helper
    helper.wait()
    qtbot.wait(10)
    helper.close()


def _row(model: MediaGridModel, media_id: int) -> int:
    row = model.row_of(media_id)
    assert row is not None
    return row


def test_counts_marks_and_tooltips_come_with_the_page(
    tmp_path: Path,
    catalog: Catalog,
    cache: ThumbnailCache,
    qtbot: QtBot,
    qtmodeltester: Any,
    statements: Statements,
    tasks: BackgroundTasks,
) -> None:
    _shoot, cid, ids = shoot_with_favourites(tmp_path, catalog, cache)
    model = MediaGridModel(catalog, cache, tasks)
    model.show(MediaView(cid))
    qtmodeltester.check(model)
    counts = {name: model.data(model.index(_row(model, mid)), Count) for name, mid in ids.items()}
    assert counts == {"a": 1, "b": 2, "c": 2, "cover": 0}
    assert statements.favourites() == 1  # five rows, one page: one favourites query

    marks = model.data(model.index(_row(model, ids["b"])), MediaGridModel.FavouritesRole)
    assert all(isinstance(m, FavouriteMark) for m in marks)
    assert [(m.email, m.name, m.note) for m in marks] == [
        ("bob@example.com", "Bob Stone", "our favourite!"),
        ("ann@example.com", "Ann Lee", "crop tighter please"),
    ]
    tip = model.data(model.index(_row(model, ids["b"])), Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines()[0] == "Ceremony/deep/er/b.jpg"
    assert "♥ favourited by 2 clients:" in tip
    assert f"Bob Stone <bob@example.com> (Favourites, {chosen_on(1)}): “our favourite!”" in tip
    assert "“crop tighter please”" in tip and "“our favourite!”" in tip
    cover_tip = model.data(model.index(_row(model, ids["cover"])), Qt.ItemDataRole.ToolTipRole)
    assert "favourited" not in cover_tip

    # Asked again (every paint asks): no query, the page has them.
    before = len(statements.seen)
    for _ in range(3):
        for r in range(model.rowCount()):
            model.data(model.index(r), Count)
            model.data(model.index(r), Qt.ItemDataRole.ToolTipRole)
    assert len(statements.seen) == before


def test_a_pull_of_new_favourites_updates_the_badges_in_place(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, qtbot: QtBot, tasks: BackgroundTasks
) -> None:
    _shoot, cid, ids = shoot_with_favourites(tmp_path, catalog, cache)
    model = MediaGridModel(catalog, cache, tasks)
    model.show(MediaView(cid))
    cover = model.index(_row(model, ids["cover"]))
    assert model.data(cover, Count) == 0
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    # Favourites only: the media rows (and their updated_at) stay as they were.
    add_favourites(catalog, cid, {"cat@example.com": [(ids["cover"], "for the wall")]})
    with qtbot.waitSignal(model.dataChanged, timeout=5_000) as changed:
        model.catalogue_changed()
    first, last = changed.args[0], changed.args[1]
    assert first.row() <= cover.row() <= last.row()
    assert model.data(cover, Count) == 1
    assert "for the wall" in model.data(cover, Qt.ItemDataRole.ToolTipRole)
    tasks.wait()
    qtbot.wait(10)
    assert resets == []


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> Iterator[tuple[MainWindow, dict[str, int]]]:
    _shoot, _cid, ids = shoot_with_favourites(tmp_path, catalog, cache)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, cache, settings)
    # What main_window.py needs to paint badges (one line there: see the report).
    win.grid.setItemDelegate(MediaCellDelegate(win.grid))
    qtbot.addWidget(win)
    win.resize(1400, 800)
    win.show()
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 5, timeout=10_000)
    yield win, ids


def _pink(image: QImage, x0: int, y0: int, x1: int, y1: int) -> int:
    """Pixels close to the badge's colour in a rectangle of a grab."""
    want = BADGE_COLOUR
    n = 0
    for y in range(max(y0, 0), min(y1, image.height())):
        for x in range(max(x0, 0), min(x1, image.width())):
            c = QColor(image.pixel(x, y))
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) < 40 and (
                abs(c.blue() - want.blue()) < 30
            ):
                n += 1
    return n


def test_badges_are_painted_on_favourited_photos_without_queries(
    window: tuple[MainWindow, dict[str, int]], qtbot: QtBot, statements: Statements
) -> None:
    win, ids = window
    model, grid = win.grid_model, win.grid

    def pictures_loaded() -> None:
        for r in range(model.rowCount()):
            if model.record(r).kind == "photo":
                shown = model.data(model.index(r), Qt.ItemDataRole.DecorationRole)
                assert shown is not model.loading_picture

    qtbot.waitUntil(pictures_loaded, timeout=10_000)
    grid.viewport().repaint()
    statements.seen.clear()
    image = grid.viewport().grab().toImage()  # paints every cell again
    assert statements.seen == []  # painting badges asks the catalogue nothing
    image.save(str(GRAB))

    delegate = grid.itemDelegate()
    assert isinstance(delegate, MediaCellDelegate)
    font = badge_font(grid.font())
    for name, mid in ids.items():
        index = model.index(_row(model, mid))
        option = QStyleOptionViewItem()
        grid.initViewItemOption(option)
        option.rect = grid.visualRect(index)
        picture = delegate.picture_rect(option, index)
        count = model.data(index, Count)
        badge = badge_rect(picture, count or 1, font).toRect()
        assert picture.contains(badge), name  # on the picture, in its top right corner
        assert badge.top() - picture.top() == picture.right() - badge.right() == BADGE_MARGIN
        pink = _pink(image, badge.left(), badge.top(), badge.right() + 1, badge.bottom() + 1)
        area = badge.width() * badge.height()
        if count:
            assert pink > area // 2, (name, pink, area)  # the pill, less its heart and digit
        else:
            assert pink < area // 20, (name, pink, area)


def test_the_inspector_lists_who_favourited_the_current_photo(
    window: tuple[MainWindow, dict[str, int]],
) -> None:
    win, ids = window
    win.grid.setCurrentIndex(win.grid_model.index(_row(win.grid_model, ids["b"])))
    text = win.inspector.values["favourites"].text()
    lines = text.splitlines()
    assert lines[0] == "♥ 2 clients"
    assert lines[1:] == [
        "",
        "Bob Stone <bob@example.com>",
        f"Favourites, {chosen_on(1)}",
        "“our favourite!”",
        "",
        "Ann Lee <ann@example.com>",
        f"Favourites, {chosen_on(2)}",
        "“crop tighter please”",
    ]
    win.grid.setCurrentIndex(win.grid_model.index(_row(win.grid_model, ids["cover"])))
    assert win.inspector.values["favourites"].text() == "—"


def test_the_favourites_version_follows_content_not_ids(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    """A pull replaces a list's rows whole and SQLite can hand out the same ids again: a swap
    of photo, or an edited note, must still change the version the grid watches."""
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "s"), workers=1).collection_id
    with catalog.write_conn() as conn:
        a, b = [r[0] for r in conn.execute(sql("SELECT id FROM media ORDER BY id LIMIT 2"))]
        conn.execute(
            sql(
                "INSERT INTO favoritelist (id, collection_id, name, email, created_at) "
                "VALUES (1, :c, 'Favourites', 'ada@example.com', '2027-01-01')"
            ),
            {"c": cid},
        )
    versions = []

    def replace_with(media_id: int, note: str | None) -> None:
        with catalog.write_conn() as conn:
            conn.execute(sql("DELETE FROM favorite WHERE list_id = 1"))
            conn.execute(
                sql(
                    "INSERT INTO favorite (id, list_id, media_id, note, chosen_at) "
                    "VALUES (1, 1, :m, :n, '2027-01-01')"
                ),
                {"m": media_id, "n": note},
            )
        versions.append(favourites_version(catalog))

    replace_with(a, "love it")
    replace_with(b, "love it")  # same id, another photo
    replace_with(b, "this one instead")  # same id, same photo, another note
    replace_with(b, "this one instead")  # nothing changed
    assert versions[0] != versions[1] != versions[2]
    assert versions[2] == versions[3]
