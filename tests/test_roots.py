"""Library roots: a collection's folder stored relative to a named root that each seat mounts
where it likes; a root that is not mounted makes its media offline, never missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import InProcessCli, make_shoot
from gallery_desktop.catalog.collections import list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.roots import (
    add_root,
    collection_folder,
    list_roots,
    local_folder,
    locate,
    mounted,
)
from gallery_desktop.catalog.watched import list_watched
from gallery_desktop.errors import BadInputError, RootOfflineError
from gallery_desktop.ingest.importer import import_folder, rescan_collection
from gallery_desktop.media.thumbnails import ThumbnailCache


def _states(catalog: Catalog, cache: ThumbnailCache, cid: int) -> dict[str, str]:
    from gallery_desktop.catalog.media import list_media

    return {r.path: r.state for r in list_media(catalog, cid, cache)}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """The "Archive" root as this seat mounts it, with one shoot in it."""
    mount = tmp_path / "nas" / "archive"
    make_shoot(mount / "2026")
    return mount


def test_a_folder_inside_a_root_is_stored_relative_to_it(
    catalog: Catalog, cache: ThumbnailCache, archive: Path
) -> None:
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": archive}
    summary = import_folder(catalog, cache, archive / "2026" / "Wedding")
    with catalog.read() as session:
        from gallery_desktop.catalog.models import Collection

        stored = session.get(Collection, summary.collection_id)
    assert stored is not None
    assert stored.root_id is not None
    assert stored.folder == b"2026/Wedding"  # nothing of this seat's mount point is stored
    assert collection_folder(catalog, stored) == bytes(archive / "2026" / "Wedding")
    assert summary.new == 5
    [row] = list_collections(catalog)
    assert (row.root, row.offline) == ("Archive", False)


def test_another_seat_finds_the_same_photos_under_its_own_mount_point(
    catalog: Catalog, cache: ThumbnailCache, archive: Path, tmp_path: Path
) -> None:
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": archive}
    cid = import_folder(catalog, cache, archive / "2026" / "Wedding").collection_id
    before = _states(catalog, cache, cid)
    # the second seat mounts the same share elsewhere
    elsewhere = tmp_path / "Volumes" / "archive"
    shutil.copytree(archive, elsewhere)
    shutil.rmtree(archive)
    catalog.roots = {"Archive": elsewhere}
    summary = rescan_collection(catalog, cache, cid)
    assert (summary.unchanged, summary.missing, summary.new) == (5, 0, 0)
    assert _states(catalog, cache, cid) == before


def test_an_unmounted_root_makes_its_media_offline_and_nothing_is_rescanned_or_lost(
    catalog: Catalog, cache: ThumbnailCache, archive: Path, tmp_path: Path
) -> None:
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": archive}
    cid = import_folder(catalog, cache, archive / "2026" / "Wedding").collection_id
    # unmounted: the mount point is left behind, empty
    hidden = tmp_path / "unplugged"
    archive.rename(hidden)
    archive.mkdir()
    assert not mounted(archive)
    assert set(_states(catalog, cache, cid).values()) == {"offline"}
    [row] = list_collections(catalog)
    assert row.offline and row.missing == 0
    with pytest.raises(RootOfflineError, match="offline"):
        rescan_collection(catalog, cache, cid)
    [target] = [t for t in list_watched(catalog) if t.collection_id == cid]
    assert target.offline and not target.enabled  # the watcher leaves it alone
    # it returns: everything is as it was, nothing was marked missing
    archive.rmdir()
    hidden.rename(archive)
    assert set(_states(catalog, cache, cid).values()) == {"ok"}
    summary = rescan_collection(catalog, cache, cid)
    assert (summary.unchanged, summary.missing) == (5, 0)


def test_a_root_this_seat_has_not_mapped_is_offline_with_a_message_saying_how(
    catalog: Catalog, cache: ThumbnailCache, archive: Path
) -> None:
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": archive}
    cid = import_folder(catalog, cache, archive / "2026" / "Wedding").collection_id
    catalog.roots = {}
    with pytest.raises(RootOfflineError, match="roots map 'Archive'"):
        rescan_collection(catalog, cache, cid)
    assert set(_states(catalog, cache, cid).values()) == {"offline"}
    [info] = list_roots(catalog)
    assert (info.name, info.mount, info.online, info.collections) == ("Archive", None, False, 1)


def test_a_shoot_imported_before_its_root_existed_is_not_catalogued_twice(
    catalog: Catalog, cache: ThumbnailCache, archive: Path
) -> None:
    first = import_folder(catalog, cache, archive / "2026" / "Wedding").collection_id
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": archive}
    again = import_folder(catalog, cache, archive / "2026" / "Wedding")
    assert again.collection_id == first and again.new == 0
    assert len(list_collections(catalog)) == 1
    # and a folder around a rooted collection is refused, as for absolute ones
    (archive / "2026" / "Party").mkdir()
    second = import_folder(catalog, cache, archive / "2026" / "Party").collection_id
    catalog.roots = {"Archive": archive}
    with pytest.raises(BadInputError, match="contains the folder"):
        import_folder(catalog, cache, archive / "2026")
    assert second != first


def test_folders_outside_every_root_stay_absolute(catalog: Catalog, tmp_path: Path) -> None:
    add_root(catalog, "Archive")
    catalog.roots = {"Archive": tmp_path / "nas"}
    (tmp_path / "nas").mkdir()
    assert locate(catalog, b"/elsewhere/shoot") == (None, b"/elsewhere/shoot")
    rid, rel = locate(catalog, bytes(tmp_path / "nas" / "a" / "b"))
    assert rid is not None and rel == b"a/b"
    assert local_folder(catalog, b"/elsewhere/shoot", None) == b"/elsewhere/shoot"


def test_the_roots_command_maps_per_seat_and_lists_online_state(
    tmp_path: Path, archive: Path
) -> None:
    seat_a = InProcessCli(tmp_path / "seat-a")
    r = seat_a("roots", "add", "Archive", str(archive))
    assert r.code == 0, r.err
    imported = seat_a("import", str(archive / "2026" / "Wedding"), "--json")
    assert imported.code == 0, imported.err
    listed = seat_a("roots", "--json").json()
    assert listed == [
        {
            "id": listed[0]["id"],
            "name": "Archive",
            "mount": str(archive),
            "online": True,
            "collections": 1,
        }
    ]
    seat_file = json.loads((tmp_path / "seat-a" / "seat.json").read_text())
    assert seat_file["library_roots"] == {"Archive": str(archive)}
    assert seat_a("roots", "map", "Nope", str(archive)).code == 2
    assert seat_a("roots", "remove", "Archive").code == 2  # a collection still uses it
    assert seat_a("roots", "unmap", "Archive").code == 0
    collections = seat_a("collections", "--json").json()
    assert collections[0]["root"] == "Archive" and collections[0]["offline"] is True
    media = seat_a("media", "Wedding", "--json").json()
    assert {m["state"] for m in media} == {"offline"}
    bad = seat_a("rescan", "Wedding")
    assert bad.code != 0 and "not mapped" in bad.err
    checked = seat_a("check")
    assert "offline here" in checked.out and "not found" not in checked.out
    assert seat_a("roots", "map", "Archive", str(archive)).code == 0
    checked = seat_a("check")
    assert checked.code == 0 and "everything is in order" in checked.out, checked.out


def test_a_root_name_must_be_a_name(catalog: Catalog) -> None:
    for bad in ("", "a/b", "x\\y"):
        with pytest.raises(BadInputError):
            add_root(catalog, bad)
