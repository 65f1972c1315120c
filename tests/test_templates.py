"""Templates in a real catalogue: built-ins made once and kept, custom ones checked, a
collection's template, cover and focal point, and its cover page drawn from the catalogue
(also by the CLI module)."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from sqlmodel import col, select

from corpus import CORPUS
from gallery_desktop import cli_cover
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, list_media
from gallery_desktop.catalog.models import Collection, Media, Template
from gallery_desktop.catalog.templates import (
    BUILTIN_NAMES,
    Design,
    copy_template,
    cover_spec,
    create_template,
    delete_template,
    ensure_builtin_templates,
    format_event_date,
    get_template,
    list_templates,
    make_style,
    read_design,
    save_design,
    set_cover,
    update_template,
    use_template,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.cover_page import cover_geometry, load_cover_photo, render_cover_page
from gallery_desktop.media.thumbnails import ThumbnailCache


@pytest.fixture
def shoot(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> dict[str, MediaRecord]:
    folder = tmp_path / "Smith Wedding"
    (folder / "Ceremony").mkdir(parents=True)
    shutil.copy(CORPUS / "photos/formats/webp/exiv2-bug1199.webp", folder / "Ceremony/stones.webp")
    shutil.copy(CORPUS / "photos/orientation/Landscape_6.jpg", folder / "Ceremony/sideways.jpg")
    shutil.copy(CORPUS / "video/small_video.mp4", folder / "clip.mp4")
    summary = import_folder(catalog, cache, folder)
    assert summary.errors == 0
    with catalog.write() as session:
        c = session.get(Collection, summary.collection_id)
        assert c is not None
        c.event_date = "2026-06-12"
        session.add(c)
    return {r.path: r for r in list_media(catalog, summary.collection_id, cache)}


def _cid(shoot: dict[str, MediaRecord], catalog: Catalog) -> int:
    with catalog.read() as session:
        m = session.get(Media, next(iter(shoot.values())).id)
        assert m is not None
        return m.collection_id


def test_built_ins_are_made_once_and_survive(catalog: Catalog) -> None:
    create_template(catalog, "Mine")  # on a catalogue that already has a template of its own
    assert ensure_builtin_templates(catalog) == 0
    names = [t.name for t in list_templates(catalog)]
    assert names == [*BUILTIN_NAMES, "Mine"]
    assert [t.builtin for t in list_templates(catalog)] == [True] * len(BUILTIN_NAMES) + [False]
    for name in BUILTIN_NAMES:
        with pytest.raises(BadInputError, match="built in and cannot be deleted"):
            delete_template(catalog, name.lower())
        with pytest.raises(BadInputError, match="copy it"):
            update_template(catalog, name, theme="dark")
    with catalog.write() as session:  # another version removed one: it comes back, alone
        row = session.exec(select(Template).where(col(Template.name) == "Split")).one()
        session.delete(row)
    assert ensure_builtin_templates(catalog) == 1
    assert len(list_templates(catalog)) == len(BUILTIN_NAMES) + 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * 61, "at most 60"),
        ("1234", "only digits"),
        ("classic", "built-in template's name"),
        ("MINE", "exists already"),
    ],
)
def test_template_names_are_checked(catalog: Catalog, name: str, message: str) -> None:
    create_template(catalog, "Mine")
    with pytest.raises(BadInputError, match=message):
        create_template(catalog, name)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cover_layout": "diagonal"}, "cover layout must be one of"),
        ({"grid_style": "masonry"}, "grid style must be one of"),
        ({"thumbnail_size": "huge"}, "thumbnail size must be one of"),
        ({"grid_spacing": "none"}, "grid spacing must be one of"),
        ({"theme": "sepia"}, "theme must be one of"),
        ({"title_font": "No Such Font 123"}, "not installed"),
        ({"colours": {"title": "bright"}}, "title colour 'bright'"),
        ({"colours": {"glow": "#fff"}}, "unknown colour"),
        ({"sparkle": True}, "unknown template setting"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    catalog: Catalog, changes: dict[str, object], message: str
) -> None:
    mine = copy_template(catalog, "Classic", "Mine")
    with pytest.raises(BadInputError, match=message):
        update_template(catalog, "Mine", **changes)
    with pytest.raises(BadInputError, match=message):
        copy_template(catalog, "Classic", "Other", **changes)
    assert get_template(catalog, mine.id) == mine
    assert [t.name for t in list_templates(catalog)][-1] == "Mine"


def test_custom_templates_copy_update_rename_delete(catalog: Catalog) -> None:
    classic = get_template(catalog, "Classic")
    mine = copy_template(catalog, "classic", "Mine", theme="dark", colours={"title": "#ff0000"})
    assert mine.style.cover_layout == classic.style.cover_layout
    assert mine.style.palette().title == "#ff0000"
    assert mine.style.palette().accent == classic.style.palette().accent
    changed = update_template(catalog, str(mine.id), name="Mine, darker", grid_spacing="wide")
    assert (changed.name, changed.style.grid_spacing, changed.style.theme) == (
        "Mine, darker",
        "wide",
        "dark",
    )
    with pytest.raises(BadInputError, match="built-in"):
        update_template(catalog, mine.id, name="Minimal")
    assert delete_template(catalog, "mine, DARKER") == "Mine, darker"
    with pytest.raises(BadInputError, match="no template 'Mine, darker'"):
        get_template(catalog, "Mine, darker")


def test_collection_template_cover_and_focal(
    catalog: Catalog, shoot: dict[str, MediaRecord]
) -> None:
    cid = _cid(shoot, catalog)
    stones, video = shoot["Ceremony/stones.webp"], shoot["clip.mp4"]
    assert read_design(catalog, cid).template_id == get_template(catalog, "Classic").id
    use_template(catalog, cid, "split")
    set_cover(catalog, cid, stones.id, 0.25, 1.0000000001)  # a click's rounding is pulled in
    design = read_design(catalog, cid)
    assert design.template_id == get_template(catalog, "Split").id
    assert (design.cover_media_id, design.focal) == (stones.id, (0.25, 1.0))
    with pytest.raises(BadInputError, match="a cover must be a photo"):
        set_cover(catalog, cid, video.id)
    with pytest.raises(BadInputError, match="from 0 to 1"):
        set_cover(catalog, cid, stones.id, 1.5, 0.5)
    with pytest.raises(BadInputError, match="a number from 0 to 1"):
        set_cover(catalog, cid, stones.id, float("nan"), 0.5)
    with pytest.raises(BadInputError, match="is not in collection"):
        set_cover(catalog, cid, 987654)
    with pytest.raises(BadInputError, match="no template"):
        use_template(catalog, cid, "Nope")
    with pytest.raises(BadInputError, match="no collection"):
        use_template(catalog, 987654, "Classic")
    assert read_design(catalog, cid) == design  # refused changes changed nothing
    with catalog.write() as session:  # a photo that went missing cannot become the cover
        m = session.get(Media, shoot["Ceremony/sideways.jpg"].id)
        assert m is not None
        m.state = "missing"
        session.add(m)
    with pytest.raises(BadInputError, match="is missing"):
        set_cover(catalog, cid, shoot["Ceremony/sideways.jpg"].id)
    mine = copy_template(catalog, "Band", "Mine")
    use_template(catalog, cid, mine.id)
    delete_template(catalog, "Mine")  # its collections fall back to Classic
    assert read_design(catalog, cid).template_id == get_template(catalog, "Classic").id


def test_saving_a_changed_built_in_makes_a_copy(
    catalog: Catalog, shoot: dict[str, MediaRecord]
) -> None:
    cid = _cid(shoot, catalog)
    saved = read_design(catalog, cid)
    same = save_design(catalog, cid, saved)
    assert same.name == "Classic" and same.builtin
    darker = Design(saved.template_id, make_style(saved.style, theme="dark"), None, (0.3, 0.6))
    copy = save_design(catalog, cid, darker)
    assert (copy.name, copy.builtin, copy.style.theme) == ("Classic – Smith Wedding", False, "dark")
    assert get_template(catalog, "Classic").style.theme == "light"  # the built-in is untouched
    again = save_design(
        catalog, cid, Design(copy.id, make_style(copy.style, theme="light"), None, (0.5, 0.5))
    )
    assert again.id == copy.id and again.style.theme == "light"  # its own copy is updated
    other = save_design(catalog, cid, Design(saved.template_id, darker.style, None, (0.5, 0.5)))
    assert other.name == "Classic – Smith Wedding 2"
    with pytest.raises(BadInputError, match="a cover must be a photo"):
        save_design(catalog, cid, Design(copy.id, copy.style, shoot["clip.mp4"].id, (0.5, 0.5)))


def test_format_event_date() -> None:
    assert format_event_date("2026-06-12") == "12 June 2026"
    assert format_event_date("2026-01-01T10:00:00") == "1 January 2026"
    assert format_event_date("summer 2026") == "summer 2026"
    assert format_event_date(None) == ""


@pytest.mark.parametrize("template", BUILTIN_NAMES)
def test_cover_page_from_the_catalogue_for_every_template(
    catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord], template: str
) -> None:
    """The cover photo (stored sideways: turned upright) and the title, read from the catalogue."""
    cid = _cid(shoot, catalog)
    sideways = shoot["Ceremony/sideways.jpg"]
    use_template(catalog, cid, template)
    set_cover(catalog, cid, sideways.id, 0.5, 0.5)
    spec = cover_spec(catalog, cid)
    assert (spec.title, spec.subtitle, spec.focal) == ("Smith Wedding", "12 June 2026", (0.5, 0.5))
    photo = load_cover_photo(spec, 1600, cache)
    assert photo is not None and photo.width > photo.height  # upright: a landscape
    page = render_cover_page(spec, photo, (800, 500))
    geometry = cover_geometry(spec.style.layout, (800, 500))
    blank = render_cover_page(spec, None, (800, 500))
    assert geometry.photo is not None
    assert ImageChops.difference(page, blank).getbbox() is not None
    renamed = render_cover_page(dataclasses.replace(spec, title="Jones"), photo, (800, 500))
    changed = ImageChops.difference(page, renamed).getbbox()
    assert changed is not None
    t = geometry.title
    assert t[0] <= changed[0] and t[1] <= changed[1] and changed[2] <= t[2] and changed[3] <= t[3]


def _cli(catalog: Catalog, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    cli_cover.add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    return cli_cover.run(parser.parse_args(list(argv)), catalog, out), out.getvalue()


def test_cli_templates_and_cover(
    tmp_path: Path, catalog: Catalog, shoot: dict[str, MediaRecord]
) -> None:
    code, text = _cli(catalog, "templates")
    assert code == 0 and all(name in text for name in BUILTIN_NAMES)
    code, text = _cli(catalog, "templates", "--json")
    assert [t["name"] for t in json.loads(text)] == list(BUILTIN_NAMES)
    set_cover(catalog, _cid(shoot, catalog), shoot["Ceremony/stones.webp"].id)
    out = tmp_path / "cover.png"
    code, text = _cli(
        catalog,
        "cover",
        "smith wedding",
        "--out",
        str(out),
        "--template",
        "Frame",
        "--size",
        "900x600",
    )
    assert code == 0 and "Frame" in text and "written to" in text
    with Image.open(out) as im:
        assert im.size == (900, 600)
    assert (
        read_design(catalog, _cid(shoot, catalog)).template_id
        == get_template(catalog, "Classic").id
    )
    with pytest.raises(BadInputError, match=r"\.png, \.jpg or \.webp"):
        _cli(catalog, "cover", "Smith Wedding", "--out", str(tmp_path / "cover.gif"))
    with pytest.raises(BadInputError, match="does not exist"):
        _cli(catalog, "cover", "Smith Wedding", "--out", str(tmp_path / "nope" / "c.png"))
    with pytest.raises(SystemExit):
        _cli(catalog, "cover", "Smith Wedding", "--out", str(out), "--size", "10x10")
