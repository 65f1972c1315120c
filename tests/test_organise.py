"""Collections and galleries organised in the app: rows change, files on disk never do."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery_desktop.catalog.collections import list_collections, list_galleries
from gallery_desktop.catalog.culling import EditHistory, move_to_gallery
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.organise import (
    create_collection,
    create_gallery,
    delete_collection,
    delete_gallery,
    move_gallery,
    rename_collection,
    rename_gallery,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.ingest.probe import hash_file
from gallery_desktop.media.thumbnails import ThumbnailCache


def galleries(catalog: Catalog, cid: int = 1) -> list[tuple[str, int]]:
    return [(g.name, g.media) for g in list_galleries(catalog, cid)]


def test_create_rename_reorder_galleries(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    import_folder(catalog, cache, shoot)
    assert galleries(catalog) == [("Highlights", 1), ("Ceremony", 2), ("Party", 2)]
    selects = create_gallery(catalog, 1, "  Client   selects ")
    rename_gallery(catalog, selects, "Selects")
    move_gallery(catalog, selects, 0)
    assert [n for n, _ in galleries(catalog)] == ["Selects", "Highlights", "Ceremony", "Party"]
    move_gallery(catalog, selects, 99)
    assert [n for n, _ in galleries(catalog)][-1] == "Selects"
    rename_collection(catalog, 1, "Smith Wedding")
    assert [c.name for c in list_collections(catalog)] == ["Smith Wedding"]
    with pytest.raises(BadInputError, match="needs a name"):
        rename_gallery(catalog, selects, "   ")


def test_moving_photos_between_galleries_survives_a_rescan_and_undoes(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    import_folder(catalog, cache, shoot)
    selects = create_gallery(catalog, 1, "Selects")
    ids = {r.path: r.id for r in list_media(catalog, 1)}
    history = EditHistory(catalog)
    edit = history.apply([ids["Ceremony/a.jpg"], ids["Party/c.jpg"]], "gallery_id", selects)
    assert edit.describe() == "2 items moved to another gallery"
    assert ("Selects", 2) in galleries(catalog)
    import_folder(catalog, cache, shoot)  # the files did not move: the choice stays
    assert ("Selects", 2) in galleries(catalog)
    history.undo()
    assert ("Selects", 0) in galleries(catalog) and ("Ceremony", 2) in galleries(catalog)


def test_photos_cannot_move_to_another_collections_gallery(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    import_folder(catalog, cache, shoot)
    other = create_collection(catalog, "Portfolio")
    target = list_galleries(catalog, other)[0].id
    some = [r.id for r in list_media(catalog, 1)][:1]
    with pytest.raises(BadInputError, match="their own collection"):
        move_to_gallery(catalog, some, target)
    with pytest.raises(BadInputError, match="no gallery with id 999"):
        move_to_gallery(catalog, some, 999)


def test_deleting_removes_rows_never_files(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    before = {p: hash_file(bytes(p)) for p in shoot.rglob("*") if p.is_file()}
    import_folder(catalog, cache, shoot)
    party = next(g.id for g in list_galleries(catalog, 1) if g.name == "Party")
    with pytest.raises(BadInputError, match=r"is the folder .* on disk"):
        delete_gallery(catalog, party)
    empty = create_gallery(catalog, 1, "Empty")
    assert delete_gallery(catalog, empty) == 0
    assert delete_collection(catalog, 1) == 5
    assert list_collections(catalog) == []
    assert {p: hash_file(bytes(p)) for p in shoot.rglob("*") if p.is_file()} == before
    again = import_folder(catalog, cache, shoot)  # the folder can be imported afresh
    assert again.new == 5


def test_gallery_counts_kept_by_triggers_match_a_real_count(
    shoot: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    def truth() -> dict[int, tuple[int, int, int, int, int]]:
        with catalog.engine.connect() as conn:
            counted = {
                r[0]: tuple(r[1:])
                for r in conn.exec_driver_sql(
                    "SELECT g.id, count(m.id), "
                    + ", ".join(
                        f"coalesce(sum(CASE WHEN m.{c} = '{v}' THEN 1 ELSE 0 END), 0)"
                        for c, v in (
                            ("kind", "photo"),
                            ("kind", "video"),
                            ("state", "missing"),
                            ("state", "error"),
                        )
                    )
                    + " FROM gallery g "
                    "LEFT JOIN media m ON m.gallery_id = g.id GROUP BY g.id"
                )
            }
            kept = {
                r[0]: tuple(r[1:])
                for r in conn.exec_driver_sql(
                    "SELECT id, media_count, photo_count, video_count, missing_count, "
                    "error_count FROM gallery"
                )
            }
        assert kept == counted
        return kept

    import_folder(catalog, cache, shoot)
    truth()
    (shoot / "Party" / "c.jpg").unlink()  # missing
    (shoot / "Ceremony" / "bad.jpg").write_bytes(b"not a photo")  # error
    import_folder(catalog, cache, shoot)
    selects = create_gallery(catalog, 1, "Selects")
    ids = [r.id for r in list_media(catalog, 1)][:3]
    move_to_gallery(catalog, ids, selects)
    counts = truth()
    assert counts[selects][0] == 3
    party = next(g.id for g in list_galleries(catalog, 1) if g.name == "Party")
    assert counts[party][3] == 1  # the missing photo is counted as missing
    delete_collection(catalog, 1)
    assert truth() == {}
