"""The lazy grid model: first page at once, the rest appended, catalogue changes row by row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter, MediaView
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.grid_model import PAGE, MediaGridModel, diff_ids
from gallery_desktop.ui.tasks import BackgroundTasks

NOW = "2026-01-01 00:00:00.000000"


def sql(catalog: Catalog, statement: str, *rows: dict[str, Any]) -> None:
    """Write straight to the catalogue, as another process would (the CLI, say)."""
    with catalog.engine.begin() as conn:
        conn.execute(text(statement), list(rows) if rows else {})


def fill(catalog: Catalog, n: int) -> None:
    """n synthetic photos in one collection, one gallery (no files: rows only)."""
    sql(
        catalog,
        "INSERT INTO collection (id, name, description, tags_json, status, downloadable, "
        "download_sizes_json, download_watermarked, visitor_email_capture, "
        "client_exclusive, store_enabled, created_at) "
        "VALUES (1, 'Big', '', '[]', 'draft', FALSE, '[]', FALSE, FALSE, FALSE, FALSE, :now)",
        {"now": NOW},
    )
    sql(
        catalog,
        "INSERT INTO gallery (id, collection_id, name, position, private, created_at) "
        "VALUES (1, 1, 'All', 0, FALSE, :now)",
        {"now": NOW},
    )
    sql(
        catalog,
        "INSERT INTO media (collection_id, gallery_id, kind, rel_path, path, size_bytes, "
        "mtime_ns, rating, state, thumb_state, position, taken_at, created_at, updated_at) "
        "VALUES (1, 1, 'photo', :rel, :path, 1, 1, 0, 'ok', 'none', 0, :taken, :now, :now)",
        *(
            {
                "rel": f"IMG_{i:05d}.jpg".encode(),
                "path": f"IMG_{i:05d}.jpg",
                "taken": f"2025-01-01T{i:08d}",
                "now": NOW,
            }
            for i in range(n)
        ),
    )


_KEEP: list[BackgroundTasks] = []


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot: QtBot) -> Iterator[None]:
    """Workers of a test finish (and deliver) before its model and helpers go away."""
    yield
    for tasks in _KEEP:
        tasks.wait()
    qtbot.wait(10)
    _KEEP.clear()


def model_for(catalog: Catalog, tmp_path: Path) -> MediaGridModel:
    tasks = BackgroundTasks()
    _KEEP.append(tasks)
    return MediaGridModel(catalog, ThumbnailCache(tmp_path / "thumbs"), tasks)


def test_first_page_at_once_then_the_rest_as_inserted_rows(
    catalog: Catalog, tmp_path: Path, qtbot: QtBot, qtmodeltester: Any
) -> None:
    fill(catalog, 2 * PAGE + 50)
    model = model_for(catalog, tmp_path)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.rowsInserted, timeout=10_000):
        model.show(MediaView(1))
        assert model.rowCount() == PAGE and model.loading
    assert model.rowCount() == 2 * PAGE + 50 and not model.loading
    assert resets == [1]  # only the view change itself
    assert model.record(2 * PAGE + 49).path == "IMG_00449.jpg"
    qtmodeltester.check(model, force_py=True)


def test_catalogue_changes_arrive_as_row_updates_inserts_and_removals(
    catalog: Catalog, tmp_path: Path, qtbot: QtBot
) -> None:
    fill(catalog, 30)
    model = model_for(catalog, tmp_path)
    model.show(MediaView(1, where=MediaFilter(sort="name")))
    assert model.record(3).rating == 0
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    later = "2099-01-01 00:00:00.000000"  # "after the model last looked"
    sql(  # another process, say the CLI
        catalog,
        "UPDATE media SET rating = 5, updated_at = :later WHERE path = :path",
        {"later": later, "path": "IMG_00003.jpg"},
    )
    with qtbot.waitSignal(model.dataChanged, timeout=5_000):
        model.catalogue_changed()
    assert model.record(3).rating == 5

    with catalog.engine.begin() as other:
        other.execute(text("DELETE FROM media WHERE path IN ('IMG_00010.jpg', 'IMG_00011.jpg')"))
        other.execute(
            text(
                "INSERT INTO media (collection_id, gallery_id, kind, rel_path, path, size_bytes, "
                "mtime_ns, rating, state, thumb_state, position, created_at, updated_at) "
                "VALUES (1, 1, 'photo', :rel, 'IMG_00020b.jpg', 1, 1, 0, 'ok', 'none', 0, "
                ":now, :now)"
            ),
            {"rel": b"IMG_00020b.jpg", "now": NOW},
        )
    removed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    with qtbot.waitSignal(model.rowsInserted, timeout=5_000):
        model.catalogue_changed()
    assert removed == [(10, 11)] and inserted == [(19, 19)]
    assert resets == []
    names = [model.record(r).path for r in range(model.rowCount())]
    assert names[18:21] == ["IMG_00020.jpg", "IMG_00020b.jpg", "IMG_00021.jpg"]
    assert "IMG_00010.jpg" not in names and len(names) == 29


def test_pictures_for_a_view_no_longer_shown_are_dropped(catalog: Catalog, tmp_path: Path) -> None:
    fill(catalog, 3)
    model = model_for(catalog, tmp_path)
    model.show(MediaView(1))
    old_generation = model._generation
    model.show(MediaView(1, where=MediaFilter(sort="name")))
    stale = QImage(10, 10, QImage.Format.Format_RGB32)
    model._image_loaded(old_generation, 0, model.media_ids([0])[0], stale)
    shown = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert shown is not stale


def test_diff_keeps_rows_or_resets_when_the_order_changed() -> None:
    from array import array

    same = diff_ids([1, 2, 3], array("q", [1, 2, 3]))
    assert not same.reset and not same.removed_runs and not same.inserted_runs
    grown = diff_ids([1, 2, 3], array("q", [0, 1, 2, 5, 3]))
    assert grown.inserted_runs == [(0, 0), (3, 3)] and not grown.reset
    resorted = diff_ids([1, 2, 3], array("q", [3, 2, 1]))
    assert resorted.reset


def test_changes_arriving_while_a_diff_or_the_id_list_is_in_flight_are_not_lost(
    catalog: Catalog, tmp_path: Path, qtbot: QtBot
) -> None:
    total = 2 * PAGE + 50
    fill(catalog, total)
    model = model_for(catalog, tmp_path)
    model.show(MediaView(1, where=MediaFilter(sort="name")))
    assert model.loading
    sql(catalog, "DELETE FROM media WHERE path = 'IMG_00300.jpg'")  # while the list is read
    model.catalogue_changed()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == total - 1, timeout=10_000)
    for name in ("IMG_00001.jpg", "IMG_00002.jpg"):  # two changes, two diffs in flight
        sql(catalog, "DELETE FROM media WHERE path = :name", {"name": name})
        model.catalogue_changed()
    qtbot.waitUntil(lambda: model.rowCount() == total - 3, timeout=10_000)
    shown = {model.record(r).path for r in range(model.rowCount())}
    assert not shown & {"IMG_00001.jpg", "IMG_00002.jpg", "IMG_00300.jpg"}


def test_rows_read_during_a_removal_are_the_new_ones(
    catalog: Catalog, tmp_path: Path, qtbot: QtBot
) -> None:
    fill(catalog, 10)
    model = model_for(catalog, tmp_path)
    model.show(MediaView(1, where=MediaFilter(sort="name")))
    assert model.record(0).path == "IMG_00000.jpg"
    seen: list[str] = []
    model.rowsRemoved.connect(lambda *_a: seen.append(model.record(0).path))
    sql(catalog, "DELETE FROM media WHERE path = 'IMG_00000.jpg'")
    with qtbot.waitSignal(model.rowsRemoved, timeout=5_000):
        model.catalogue_changed()
    assert seen == ["IMG_00001.jpg"]
