"""Culling on many items at once, with undo and redo that restore exactly what was there."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery_desktop.catalog.culling import EditHistory, set_field
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache


def culling(catalog: Catalog) -> dict[str, tuple[int, str | None, str | None]]:
    return {r.path: (r.rating, r.pick, r.label) for r in list_media(catalog, 1)}


@pytest.fixture
def ids(shoot: Path, catalog: Catalog, cache: ThumbnailCache) -> dict[str, int]:
    import_folder(catalog, cache, shoot)
    return {r.path: r.id for r in list_media(catalog, 1)}


def test_edits_apply_to_every_selected_item_and_undo_restores_each_value(
    catalog: Catalog, ids: dict[str, int]
) -> None:
    history = EditHistory(catalog)
    history.apply([ids["cover.jpg"]], "rating", 5)
    history.apply([ids["Ceremony/a.jpg"]], "rating", 2)
    start = culling(catalog)
    everything = list(ids.values())
    edit = history.apply(everything, "rating", 3)
    assert edit.describe() == "3 stars on 5 items"
    assert {v[0] for v in culling(catalog).values()} == {3}
    history.apply(everything, "pick", "picked")
    history.apply(everything[:2], "label", "red")
    assert history.undo() is not None  # label
    assert history.undo() is not None  # pick
    assert history.undo() is not None  # rating
    assert culling(catalog) == start  # 5, 2 and 0 stars again, each its own
    assert history.redo() is not None
    assert {v[0] for v in culling(catalog).values()} == {3}
    history.apply(everything, "rating", 1)
    assert history.redo() is None  # a new edit ends the redo chain


def test_undo_and_redo_on_an_empty_history_do_nothing(catalog: Catalog) -> None:
    history = EditHistory(catalog)
    assert history.undo() is None and history.redo() is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rating", 6, "0 to 5 stars"),
        ("rating", True, "0 to 5 stars"),
        ("pick", "maybe", "'picked', 'rejected' or none"),
        ("label", "pink", "colour label is one of red"),
        ("path", "x", "not something culling sets"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    catalog: Catalog, ids: dict[str, int], field: str, value: object, message: str
) -> None:
    before = culling(catalog)
    with pytest.raises(BadInputError, match=message):
        set_field(catalog, ids.values(), field, value)  # type: ignore[arg-type]
    assert culling(catalog) == before


def test_unknown_ids_are_refused(catalog: Catalog, ids: dict[str, int]) -> None:
    with pytest.raises(BadInputError, match="no media with id 999"):
        set_field(catalog, [999, *ids.values()], "rating", 1)
    with pytest.raises(BadInputError, match="nothing selected"):
        set_field(catalog, [], "rating", 1)
