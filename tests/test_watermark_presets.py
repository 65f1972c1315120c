"""Watermark presets in the catalogue: saved, reused, chosen per collection and gallery; CLI."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from conftest import InProcessCli, make_shoot
from gallery_desktop.catalog.db import Catalog, make_engine
from gallery_desktop.catalog.models import Collection, Gallery
from gallery_desktop.catalog.watermarks import (
    add_watermark,
    delete_watermark,
    effective_watermarks,
    get_watermark,
    list_watermarks,
    read_logo,
    set_collection_watermark,
    set_gallery_watermark,
    update_watermark,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.media.watermark import WatermarkSpec
from test_migrations import _migrate


def _logo_file(path: Path, mode: str = "RGBA") -> Path:
    im = Image.new(mode, (120, 60), (200, 10, 10, 128) if mode == "RGBA" else (200, 10, 10))
    im.save(path)
    return path


def _collection(catalog: Catalog, galleries: tuple[str, ...] = ("Ceremony", "Party")) -> int:
    with catalog.write() as session:
        c = Collection(name="Smith Wedding")
        session.add(c)
        session.flush()
        assert c.id is not None
        for i, name in enumerate(galleries):
            session.add(Gallery(collection_id=c.id, name=name, position=i))
        return c.id


def _gallery_ids(catalog: Catalog, collection_id: int) -> dict[str, int]:
    with catalog.read() as session:
        rows = session.exec(
            text("SELECT name, id FROM gallery WHERE collection_id = :c").bindparams(
                c=collection_id
            )
        ).all()
    return {name: gid for name, gid in rows}


def test_a_preset_round_trips_every_setting(catalog: Catalog, tmp_path: Path) -> None:
    logo = read_logo(_logo_file(tmp_path / "logo.png"))
    spec = WatermarkSpec(
        text="© {year} Lumen",
        font="DejaVuSerif",
        text_scale=0.06,
        colour="#112233",
        opacity=0.7,
        shadow=False,
        outline=True,
        logo=logo,
        logo_scale=0.15,
        logo_opacity=0.6,
        position="tiled",
        margin=0.02,
    )
    saved = add_watermark(catalog, "Lumen proof", spec, logo_path=str(tmp_path / "logo.png"))
    again = get_watermark(catalog, "lumen PROOF")  # names are found case-insensitively
    assert again.spec == spec and again.id == saved.id
    assert [p.name for p in list_watermarks(catalog)] == ["Lumen proof"]


def test_the_logo_lives_in_the_catalogue_not_on_disk(catalog: Catalog, tmp_path: Path) -> None:
    path = _logo_file(tmp_path / "logo.png")
    add_watermark(catalog, "Logo", WatermarkSpec(logo=read_logo(path)), logo_path=str(path))
    path.unlink()
    spec = get_watermark(catalog, "Logo").spec
    assert spec.logo is not None
    assert Image.open(io.BytesIO(spec.logo)).size == (120, 60)
    assert spec.problems() == []


def test_logos_of_any_readable_format_become_rgba_png(tmp_path: Path) -> None:
    for mode, name in (("RGB", "logo.jpg"), ("RGBA", "logo.webp"), ("RGBA", "logo.png")):
        data = read_logo(_logo_file(tmp_path / name, mode))
        im = Image.open(io.BytesIO(data))
        assert im.format == "PNG" and im.mode == "RGBA"


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "not a readable image"), (b"%PDF-1.4 not an image", "not a readable image")],
)
def test_bad_logo_files_are_refused_clearly(tmp_path: Path, content: bytes, words: str) -> None:
    bad = tmp_path / "logo.png"
    bad.write_bytes(content)
    with pytest.raises(BadInputError, match=words):
        read_logo(bad)
    with pytest.raises(BadInputError, match="cannot read logo"):
        read_logo(tmp_path / "missing.png")


def test_invalid_presets_and_duplicate_names_change_nothing(catalog: Catalog) -> None:
    add_watermark(catalog, "Studio", WatermarkSpec(text="Studio"))
    with pytest.raises(BadInputError, match="exists already"):
        add_watermark(catalog, "  STUDIO ", WatermarkSpec(text="Other"))
    with pytest.raises(BadInputError, match="position must be one of"):
        add_watermark(catalog, "Bad", WatermarkSpec(text="x", position="nowhere"))
    with pytest.raises(BadInputError, match="needs a name"):
        add_watermark(catalog, "   ", WatermarkSpec(text="x"))
    with pytest.raises(BadInputError, match="text size"):
        update_watermark(catalog, "Studio", text_scale=9.0)
    with pytest.raises(BadInputError, match="unknown watermark setting"):
        update_watermark(catalog, "Studio", sparkle=True)
    assert [(p.name, p.spec) for p in list_watermarks(catalog)] == [
        ("Studio", WatermarkSpec(text="Studio"))
    ]


def test_update_rename_and_remove_the_logo(catalog: Catalog, tmp_path: Path) -> None:
    logo = read_logo(_logo_file(tmp_path / "logo.png"))
    add_watermark(catalog, "A", WatermarkSpec(text="A", logo=logo), logo_path="logo.png")
    p = update_watermark(catalog, "A", name="B", position="top-left", opacity=0.9)
    assert (p.name, p.spec.position, p.spec.opacity, p.spec.logo) == ("B", "top-left", 0.9, logo)
    p = update_watermark(catalog, "B", logo=None)
    assert p.spec.logo is None and p.logo_path is None
    with pytest.raises(BadInputError, match="needs a text, a logo or both"):
        update_watermark(catalog, "B", text=None)


def test_gallery_overrides_the_collection_default(catalog: Catalog) -> None:
    cid = _collection(catalog)
    galleries = _gallery_ids(catalog, cid)
    add_watermark(catalog, "Default", WatermarkSpec(text="Default"))
    add_watermark(catalog, "Party", WatermarkSpec(text="Party"))
    assert effective_watermarks(catalog, cid) == dict.fromkeys(galleries.values())
    set_collection_watermark(catalog, cid, "Default")
    set_gallery_watermark(catalog, galleries["Party"], "Party")
    chosen = {gid: p.name if p else None for gid, p in effective_watermarks(catalog, cid).items()}
    assert chosen == {galleries["Ceremony"]: "Default", galleries["Party"]: "Party"}
    set_gallery_watermark(catalog, galleries["Party"], None)  # back to the collection's
    chosen = {gid: p.name if p else None for gid, p in effective_watermarks(catalog, cid).items()}
    assert chosen == {galleries["Ceremony"]: "Default", galleries["Party"]: "Default"}


def test_deleting_a_preset_in_use_falls_back_to_none(catalog: Catalog) -> None:
    cid = _collection(catalog)
    galleries = _gallery_ids(catalog, cid)
    add_watermark(catalog, "Gone", WatermarkSpec(text="Gone"))
    set_collection_watermark(catalog, cid, "Gone")
    set_gallery_watermark(catalog, galleries["Party"], "Gone")
    delete_watermark(catalog, "Gone")
    assert set(effective_watermarks(catalog, cid).values()) == {None}
    with catalog.read() as session:
        coll = session.get(Collection, cid)
        assert coll is not None and coll.watermark_id is None
    with pytest.raises(BadInputError, match="no watermark 'Gone'"):
        get_watermark(catalog, "Gone")


def test_migration_0004_turns_tiled_presets_into_the_tiled_layout(tmp_path: Path) -> None:
    """A catalogue from before 0004 with a tiled preset keeps it tiled after the upgrade."""
    path = tmp_path / "catalog.sqlite"
    engine = make_engine(path)
    _migrate(engine, "upgrade", "0003")  # the schema as it was before 0004
    engine.dispose()
    con = sqlite3.connect(path)
    con.executescript(
        """
        INSERT INTO watermark (name, text, text_scale, colour, opacity, shadow, logo_scale,
            logo_opacity, position, margin, tiled, created_at)
        VALUES ('Old tiled', 'PROOF', 0.04, '#ffffff', 0.5, 1, 0.2, 0.8, 'center', 0.03, 1,
            '2026-01-01 00:00:00.000000'),
            ('Old corner', 'C', 0.04, '#ffffff', 0.5, 1, 0.2, 0.8, 'top-left', 0.03, 0,
            '2026-01-01 00:00:00.000000');
        """
    )
    con.commit()
    con.close()
    catalog = Catalog(path, backup_dir=tmp_path / "backups")
    try:
        positions = {p.name: p.spec.position for p in list_watermarks(catalog)}
        assert positions == {"Old tiled": "tiled", "Old corner": "top-left"}
        assert all(not p.spec.outline for p in list_watermarks(catalog))
    finally:
        catalog.close()


# -- CLI ----------------------------------------------------------------------------------


def test_cli_add_list_show_edit_use_remove(cli: InProcessCli, tmp_path: Path) -> None:
    logo = _logo_file(tmp_path / "logo.png")
    shoot = make_shoot(tmp_path / "shoots")
    assert cli("import", str(shoot)).code == 0
    r = cli(
        "watermark",
        "add",
        "Studio",
        "--text",
        "© {year} Studio",
        "--size",
        "5%",
        "--opacity",
        "0.6",
        "--logo",
        str(logo),
        "--position",
        "bottom-left",
        "--outline",
    )
    assert r.code == 0, r.err
    listed = cli("watermark", "list", "--json").json()
    assert len(listed) == 1
    row = listed[0]
    assert (row["name"], row["text"], row["text_scale"], row["opacity"]) == (
        "Studio",
        "© {year} Studio",
        0.05,
        0.6,
    )
    assert (row["position"], row["outline"], row["logo"]) == ("bottom-left", True, str(logo))
    assert row["logo_bytes"] > 0
    shown = cli("watermark", "show", "studio", "--json").json()
    assert shown == row
    r = cli("watermark", "edit", "Studio", "--position", "tiled", "--no-logo", "--rename", "Proof")
    assert r.code == 0, r.err
    shown = cli("watermark", "show", "Proof", "--json").json()
    assert (shown["position"], shown["logo"], shown["text"]) == ("tiled", None, "© {year} Studio")
    assert cli("watermark", "use", "Proof", "--collection", "Wedding").code == 0
    assert (
        cli("watermark", "use", "Proof", "--collection", "Wedding", "--gallery", "Party").code == 0
    )
    catalog = cli.open_catalog()
    try:
        with catalog.read() as session:
            coll = session.exec(text("SELECT watermark_id FROM collection")).one()
            assert coll[0] == shown["id"]
    finally:
        catalog.close()
    assert cli("watermark", "remove", "Proof").code == 0
    assert cli("watermark", "list", "--json").json() == []


def test_cli_preview_draws_the_preset_on_a_photo(cli: InProcessCli, tmp_path: Path) -> None:
    from corpus import CORPUS

    assert (
        cli(
            "watermark",
            "add",
            "P",
            "--text",
            "PROOF",
            "--position",
            "center",
            "--size",
            "10%",
            "--opacity",
            "1",
        ).code
        == 0
    )
    out = tmp_path / "preview.jpg"
    photo = CORPUS / "photos" / "orientation" / "Portrait_6.jpg"
    r = cli("watermark", "show", "P", "--preview", str(out), "--on", str(photo))
    assert r.code == 0, r.err
    im = Image.open(out)
    assert im.height > im.width  # upright portrait
    sample = tmp_path / "sample.jpg"
    assert cli("watermark", "show", "P", "--preview", str(sample)).code == 0
    assert Image.open(sample).size == (2048, 1365)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "X"], "needs a text, a logo or both"),
        (["add", "X", "--text", "t", "--colour", "blurple"], "is not a colour"),
        (["add", "X", "--text", "t", "--size", "80%"], "text size must be between"),
        (["add", "X", "--logo", "/nonexistent/logo.png"], "cannot read logo"),
        (["show", "Nope"], "no watermark 'Nope'"),
        (["use", "Nope", "--collection", "Nope"], "no collection"),
    ],
)
def test_cli_bad_input_is_one_clear_line(cli: InProcessCli, args: list[str], words: str) -> None:
    r = cli("watermark", *args)
    assert r.code == 2
    assert words in r.err and "Traceback" not in r.err
    assert r.err.count("\n") == 1
