"""Two seats on one PostgreSQL catalogue: what seat A commits reaches seat B's grid within a
second, as row updates and inserts (never a model reset), through `CatalogueChanges`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from conftest import open_test_catalog
from gallery_desktop.catalog import culling
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaView
from gallery_desktop.catalog.models import Collection
from gallery_desktop.catalog.seats import set_seat
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.changes import CatalogueChanges
from gallery_desktop.ui.grid_model import MediaGridModel
from gallery_desktop.ui.tasks import BackgroundTasks
from test_seats import fill

_KEEP: list[object] = []  # Qt objects outlive their test (as in test_grid_model)
LIMIT = 1.0  # seconds from seat A's commit to seat B's model


@pytest.fixture
def seats(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Catalog, Catalog]]:
    a = set_seat(open_test_catalog(request, "postgresql", tmp_path / "home"), "seat-a")
    b = set_seat(Catalog(a.url), "seat-b")
    try:
        yield a, b
    finally:
        b.close()
        a.close()


def wire(changes: CatalogueChanges, model: MediaGridModel) -> None:
    """What the main window does with a change (MainWindow.__init__ and _catalogue_changed),
    grid part: the media the feed names are read again (whatever the seats' clocks say), and
    the id list is diffed (inserts and removals)."""
    changes.media_changed.connect(model.media_changed)
    changes.changed.connect(model.catalogue_changed)


def test_edits_imports_and_new_collections_of_one_seat_reach_the_other_within_a_second(
    seats: tuple[Catalog, Catalog], tmp_path: Path, qtbot: QtBot
) -> None:
    a, b = seats
    ids = fill(a, 20)
    tasks = BackgroundTasks()
    model = MediaGridModel(b, ThumbnailCache(tmp_path / "thumbs"), tasks)
    model.show(MediaView(1))
    assert model.rowCount() == 20
    changes = CatalogueChanges(b)
    try:
        assert changes.listening
        wire(changes, model)
        resets: list[int] = []
        model.modelReset.connect(lambda: resets.append(1))
        row = model.row_of(ids[3])
        assert row is not None and model.record(row).rating == 0

        # rating, pick, label
        for field, value in (("rating", 5), ("pick", "picked"), ("label", "green")):
            started = time.monotonic()
            with qtbot.waitSignal(model.dataChanged, timeout=int(LIMIT * 1000)):
                culling.set_field(a, [ids[3]], field, value)
            assert getattr(model.record(row), field) == value
            assert time.monotonic() - started < LIMIT

        # a new collection: the sidebar's signal
        started = time.monotonic()
        with qtbot.waitSignal(changes.changed, timeout=int(LIMIT * 1000)), a.write() as session:
            session.add(Collection(name="Second shoot", folder=b"/shoots/Second"))
        assert time.monotonic() - started < LIMIT
        with b.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM collection"))}
        assert "Second shoot" in names

        # an import: new rows appear as inserted rows
        started = time.monotonic()
        with qtbot.waitSignal(model.rowsInserted, timeout=int(LIMIT * 1000)):
            fill(a, 3, first=100)
        assert time.monotonic() - started < LIMIT
        assert model.rowCount() == 23
        assert resets == []
    finally:
        changes.close()
        tasks.wait()
        qtbot.wait(50)  # deliveries of the workers land before anything goes away
        _KEEP.append((tasks, model, changes))


def test_the_status_bar_says_what_another_seat_is_importing(
    qtbot: QtBot, seats: tuple[Catalog, Catalog], tmp_path: Path
) -> None:
    pg_catalog, seat_b = seats
    from PySide6.QtWidgets import QStatusBar

    from gallery_desktop.catalog.collections import collection_for_folder
    from gallery_desktop.catalog.seats import collection_activity, publish_activity
    from gallery_desktop.ui.changes import CatalogueChanges
    from gallery_desktop.ui.seat_activity import SeatActivityLabel

    set_seat(pg_catalog, "Studio-1")
    set_seat(seat_b, "Retouch-2")
    shoot = tmp_path / "Wedding"
    shoot.mkdir()
    cid = collection_for_folder(pg_catalog, bytes(shoot)).id
    assert cid is not None
    bar = QStatusBar()
    qtbot.addWidget(bar)
    changes = CatalogueChanges(pg_catalog, bar)
    label = SeatActivityLabel(pg_catalog, changes, bar)
    assert label.text() == ""
    publish_activity(seat_b, collection_activity(cid), "Retouch-2", "reading", 120, 480)
    qtbot.waitUntil(
        lambda: "Retouch-2 is importing 'Wedding' (120/480)" in label.text(), timeout=2000
    )
    # this seat's own work is not reported to itself; a finished import leaves the bar
    publish_activity(seat_b, collection_activity(cid), "Retouch-2", "done", 480, 480)
    qtbot.waitUntil(lambda: label.text() == "", timeout=2000)
    changes.close()
