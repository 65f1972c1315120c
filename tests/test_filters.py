"""Filtering and sorting what the grid shows: in the catalogue, and from the filter bar."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.culling import set_field
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter, MediaView, list_media, media_file, media_ids
from gallery_desktop.catalog.raw import raw_rows
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.sidebar import count_of


@pytest.fixture
def culled(shoot: Path, catalog: Catalog, cache: ThumbnailCache) -> dict[str, int]:
    shutil.copyfile(shoot / "cover.jpg", shoot / "Party" / "100%_done.jpg")
    (shoot / "Ceremony" / "a.jpg").unlink()
    import_folder(catalog, cache, shoot)
    ids = {r.path: r.id for r in list_media(catalog, 1)}
    set_field(catalog, [ids["cover.jpg"], ids["Party/c.jpg"]], "rating", 4)
    set_field(catalog, [ids["Party/c.jpg"]], "rating", 5)
    set_field(catalog, [ids["cover.jpg"]], "pick", "picked")
    set_field(catalog, [ids["Party/c.jpg"]], "pick", "rejected")
    set_field(catalog, [ids["Ceremony/deep/er/b.jpg"]], "label", "green")
    return ids


def shown(catalog: Catalog, **kw: object) -> list[str]:
    return [r.path for r in list_media(catalog, 1, where=MediaFilter(**kw))]  # type: ignore[arg-type]


def test_each_filter_keeps_what_it_names(catalog: Catalog, culled: dict[str, int]) -> None:
    assert shown(catalog, min_rating=4, sort="name") == ["Party/c.jpg", "cover.jpg"]
    assert shown(catalog, flag="picked") == ["cover.jpg"]
    assert shown(catalog, flag="rejected") == ["Party/c.jpg"]
    assert sorted(shown(catalog, flag="unflagged")) == [
        "Ceremony/deep/er/b.jpg",
        "Party/100%_done.jpg",
        "Party/clip.mp4",
    ]
    assert shown(catalog, label="green") == ["Ceremony/deep/er/b.jpg"]
    assert shown(catalog, kind="video") == ["Party/clip.mp4"]
    assert shown(catalog, text="CLIP") == ["Party/clip.mp4"]  # any case
    assert shown(catalog, text="100%") == ["Party/100%_done.jpg"]  # % is a letter here
    assert shown(catalog, text="%_d") == ["Party/100%_done.jpg"]
    assert shown(catalog, text="1_0") == []  # _ is a letter too, not "any one character"
    assert shown(catalog, text="%") == ["Party/100%_done.jpg"]
    assert shown(catalog, state="missing") == []


def test_the_grid_ids_and_raw_reads_agree_with_the_filters_on_both_engines(
    catalog: Catalog, culled: dict[str, int]
) -> None:
    """media_ids and raw_rows (the driver's cursor, for the hot paths) on either engine:
    `:name` parameters, a literal %, bytes paths and the same order as list_media."""
    where = MediaFilter(text="%", sort="name")
    assert [r.id for r in list_media(catalog, 1, where=where)] == list(
        media_ids(catalog, MediaView(1, where=where))
    )
    every = MediaView(1, where=MediaFilter(sort="name"))
    assert list(media_ids(catalog, every, limit=2)) == list(media_ids(catalog, every))[:2]
    with catalog.engine.connect() as conn:
        rows = raw_rows(
            conn,
            "SELECT rel_path, rating FROM media WHERE collection_id = :c "
            "AND path LIKE '%100!%%' ESCAPE '!' ORDER BY path",
            {"c": 1},
        )
    assert [(bytes(p), r) for p, r in rows] == [(b"Party/100%_done.jpg", 0)]
    assert media_file(catalog, culled["cover.jpg"]) is not None


def test_needs_attention_spans_collections_and_sorting(
    catalog: Catalog, culled: dict[str, int], tmp_path: Path, cache: ThumbnailCache
) -> None:
    other = tmp_path / "Other"
    other.mkdir()
    (other / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    import_folder(catalog, cache, other)
    found = list_media(catalog, None, where=MediaFilter(needs_attention=True))
    assert [r.path for r in found] == ["broken.jpg"]
    by_rating = shown(catalog, sort="rating")
    assert by_rating[:2] == ["Party/c.jpg", "cover.jpg"]


def test_filter_bar_filters_the_grid_and_sidebar_flags_problems(
    qtbot: QtBot, tmp_path: Path, shoot: Path
) -> None:
    (shoot / "Party" / "broken.jpg").write_bytes(b"not a photo at all")
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings)
    qtbot.addWidget(win)
    win.import_folders([str(shoot)])
    qtbot.waitUntil(lambda: not win.importing, timeout=30_000)
    attention = win.sidebar.topLevelItem(0)
    assert attention is not None and (attention.text(0), count_of(attention)) == (
        "Needs attention",
        "1",
    )
    assert win.grid_model.rowCount() == 6  # the collection is selected, not the problems
    win.filter_bar.kind.setCurrentIndex(win.filter_bar.kind.findData("video"))
    assert [win.grid_model.record(r).path for r in range(win.grid_model.rowCount())] == [
        "Party/clip.mp4"
    ]
    win.filter_bar.kind.setCurrentIndex(0)
    win.filter_bar.text.setText("broken")
    assert win.grid_model.rowCount() == 1
    win.filter_bar.text.setText("")
    win.sidebar.setCurrentItem(attention)
    assert [win.grid_model.record(r).state for r in range(win.grid_model.rowCount())] == ["error"]
