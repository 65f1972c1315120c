"""`gallery-desktop favourites`: who favourited what, the file names, a folder of copies.

Run through `cli_favourites.add_parser` on a parser of its own (the command is wired into
cli.py separately), on a real catalogue and real corpus photos."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import pytest

from favourite_helpers import chosen_on, fingerprints, shoot_with_favourites
from gallery_desktop import cli_favourites
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.thumbnails import ThumbnailCache


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gallery-desktop")
    cli_favourites.add_parser(parser.add_subparsers(dest="command"))
    return parser


def favourites(catalog: Catalog, *argv: str) -> tuple[int, str, str]:
    args = _parser().parse_args(["favourites", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = cli_favourites.run(args, catalog, out, err, CancelToken())
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def shoot(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> Path:
    folder, _cid, _ids = shoot_with_favourites(tmp_path, catalog, cache)
    return folder


def test_lists_who_favourited_what_with_counts_and_notes(catalog: Catalog, shoot: Path) -> None:
    code, out, _err = favourites(catalog, "Wedding")
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == [
        "Wedding: favourites of 2 client(s)",
        "  Ann Lee <ann@example.com>: 3 photo(s)",
        "  Bob Stone <bob@example.com>: 2 photo(s)",
        "3 photo(s), favourites:",
    ]
    assert "  2 ♥  Ceremony/deep/er/b.jpg" in lines
    b = lines.index("  2 ♥  Ceremony/deep/er/b.jpg")
    assert lines[b + 1 : b + 3] == [
        f"        Bob Stone <bob@example.com> (Favourites, {chosen_on(1)}): “our favourite!”",
        f"        Ann Lee <ann@example.com> (Favourites, {chosen_on(2)}): “crop tighter please”",
    ]
    assert "  1 ♥  Ceremony/a.jpg" in lines

    code, out, _err = favourites(catalog, "Wedding", "--client", "BOB@example.com", "--json")
    data = json.loads(out)
    assert code == 0 and data["choice"] == "bob@example.com"
    by_path = {p["path"]: p for p in data["photos"]}
    assert set(by_path) == {"Ceremony/deep/er/b.jpg", "Party/c.jpg"}
    assert by_path["Ceremony/deep/er/b.jpg"]["clients"] == 2
    notes = [f["note"] for f in by_path["Ceremony/deep/er/b.jpg"]["favourites"]]
    assert notes == ["our favourite!", "crop tighter please"]
    assert by_path["Party/c.jpg"]["favourites"][0]["chosen_at"] == "2026-02-02T10:00:00+00:00"
    assert [c["email"] for c in data["clients"]] == ["ann@example.com", "bob@example.com"]

    _code, out, _err = favourites(catalog, "Wedding", "--all-clients", "--json")
    assert {p["path"] for p in json.loads(out)["photos"]} == {
        "Ceremony/deep/er/b.jpg",
        "Party/c.jpg",
    }


def test_names_for_lightroom_and_capture_one(catalog: Catalog, shoot: Path) -> None:
    code, out, _err = favourites(catalog, "Wedding", "--names")
    assert code == 0 and sorted(out.splitlines()) == ["a", "b", "c"]
    _code, out, _err = favourites(catalog, "wedding", "--client", "bob@example.com", "--names")
    assert sorted(out.splitlines()) == ["b", "c"]  # the collection's name in any case
    with catalog.write_conn() as conn:
        conn.exec_driver_sql(
            "INSERT INTO downloadevent (collection_id, media_id, kind, occurred_at) "
            "SELECT m.collection_id, m.id, 'photo', CURRENT_TIMESTAMP FROM media m "
            "WHERE m.path = 'Party/c.jpg'"
        )
    _code, out, _err = favourites(catalog, "Wedding", "--not-downloaded", "--names", "--json")
    assert sorted(json.loads(out)) == ["a", "b"]


def test_copy_to_a_folder(catalog: Catalog, shoot: Path, tmp_path: Path) -> None:
    before = fingerprints(shoot)
    out_dir = tmp_path / "album"
    code, out, _err = favourites(catalog, "Wedding", "--copy-to", str(out_dir))
    assert code == 0
    assert out.startswith("copied 3 originals (") and str(out_dir) in out
    for name, original in (
        ("a.jpg", "Ceremony/a.jpg"),
        ("b.jpg", "Ceremony/deep/er/b.jpg"),
        ("c.jpg", "Party/c.jpg"),
    ):
        digest = hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((shoot / original).read_bytes()).hexdigest()
    code, out, _err = favourites(
        catalog, "Wedding", "--client", "bob@example.com", "--copy-to", str(out_dir), "--json"
    )
    summary = json.loads(out)
    assert code == 0 and sorted(summary["files"]) == ["b (2).jpg", "c (2).jpg"]
    assert fingerprints(shoot) == before

    # A missing original: reported, the rest copied, exit status 1.
    (shoot / "Party/c.jpg").unlink()
    code, out, _err = favourites(catalog, "Wedding", "--copy-to", str(tmp_path / "again"))
    assert code == 1
    assert "not copied: 1" in out and "Party/c.jpg: the file is missing on disk" in out
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == ["a.jpg", "b.jpg"]


def test_refusals(catalog: Catalog, shoot: Path) -> None:
    with pytest.raises(BadInputError, match="inside"):
        favourites(catalog, "Wedding", "--copy-to", str(shoot / "picks"))
    with pytest.raises(BadInputError, match="no collection"):
        favourites(catalog, "Nope")
    parser = _parser()
    for clash in (
        ["--names", "--copy-to", "x"],
        ["--client", "a@b.c", "--all-clients"],
        ["--all-clients", "--not-downloaded"],
    ):
        with pytest.raises(SystemExit):
            parser.parse_args(["favourites", "Wedding", *clash])


def test_a_collection_without_favourites(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path, shoot: Path
) -> None:
    with catalog.write_conn() as conn:
        conn.exec_driver_sql("DELETE FROM favorite")
        conn.exec_driver_sql("DELETE FROM favoritelist")
    code, out, _err = favourites(catalog, "Wedding")
    assert code == 0 and out == "Wedding: no client favourites (pull them with `remote pull`)\n"
    _code, out, _err = favourites(catalog, "Wedding", "--names")
    assert out == ""
    with pytest.raises(BadInputError, match="no favourites"):
        favourites(catalog, "Wedding", "--copy-to", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
