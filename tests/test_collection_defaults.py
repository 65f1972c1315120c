"""Collection defaults per shoot type: built-in values, set/get round trips that survive
reopening the catalogue, bad input that changes nothing, and defaults given to a collection
when (and only when) an import creates it, from a real shoot folder of corpus photos."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import text

from conftest import copy_from_corpus
from gallery_desktop.catalog.collection_defaults import (
    BUILTIN_DEFAULTS,
    SHOOT_TYPES,
    ShootDefaults,
    apply_defaults,
    default_shoot_type,
    generate_password,
    get_defaults,
    list_defaults,
    reapply_defaults,
    remove_shoot_type,
    reset_defaults,
    save_defaults,
    set_default_shoot_type,
    set_defaults,
    shoot_type_name,
)
from gallery_desktop.catalog.collection_settings import apply_settings
from gallery_desktop.catalog.collections import collection_for_folder, list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Template
from gallery_desktop.catalog.watermarks import add_watermark, delete_watermark
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder, rescan_collection
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec

WORKERS: Final = 2
PASSWORD: Final = re.compile(r"[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}")
SETTING_COLUMNS: Final = (
    "shoot_type",
    "password",
    "expiry_date",
    "downloadable",
    "download_sizes_json",
    "download_watermarked",
    "visitor_email_capture",
    "store_enabled",
    "watermark_id",
    "template_id",
)


def _shoot(parent: Path, name: str = "Smith Wedding") -> Path:
    folder = parent / name
    copy_from_corpus("photos/exif/flower.jpg", folder / "cover.jpg")
    copy_from_corpus("photos/exif/Reagan.jpg", folder / "Ceremony" / "a.jpg")
    return folder


def _settings(catalog: Catalog, collection_id: int) -> dict[str, Any]:
    with catalog.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT {', '.join(SETTING_COLUMNS)} FROM collection WHERE id = :c"),
            {"c": collection_id},
        ).one()
    return dict(row._mapping)


def _defaults_table(catalog: Catalog) -> list[tuple[Any, ...]]:
    """The table as stored (a fresh connection of its own, on either engine)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM collectiondefaults ORDER BY shoot_type")).all()
    return [tuple(r) for r in rows]


def _add_template(catalog: Catalog, name: str) -> int:
    with catalog.write() as session:
        row = Template(name=name)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


# -- built-ins ------------------------------------------------------------------------------------


def test_every_built_in_shoot_type_has_starting_values(catalog: Catalog) -> None:
    rows = list_defaults(catalog)
    assert [d.shoot_type for d in rows] == list(SHOOT_TYPES)
    assert all(d.builtin and not d.saved for d in rows)
    wedding = get_defaults(catalog, "Wedding")
    assert wedding.password_on and wedding.downloadable and wedding.store_enabled
    assert wedding.expiry_days == 180 and wedding.download_sizes == ("high", "web2048")
    event = get_defaults(catalog, "event")
    assert not event.password_on and event.download_watermarked
    for d in rows:
        assert not d.downloadable or d.download_sizes, d  # downloads on always allow a size


def test_other_is_what_a_collection_starts_with_anyway() -> None:
    plain, other = Collection(name="x"), BUILTIN_DEFAULTS["other"]
    assert other.password_on is (plain.password is not None)
    assert other.expiry_days is None and plain.expiry_date is None
    assert other.downloadable is plain.downloadable
    assert list(other.download_sizes) == json.loads(plain.download_sizes_json)
    assert other.download_watermarked is plain.download_watermarked
    assert other.visitor_email_capture is plain.visitor_email_capture
    assert other.store_enabled is plain.store_enabled


# -- set / get ------------------------------------------------------------------------------------


def test_set_and_get_round_trip_through_the_catalogue_file(tmp_path: Path) -> None:
    db = tmp_path / "home" / "catalog.sqlite"
    first = Catalog(db)
    try:
        wm = add_watermark(first, "Studio", WatermarkSpec(text="© Studio"))
        template_id = _add_template(first, "Ivory")
        saved = set_defaults(
            first,
            " Portrait ",
            [
                "password_on=off",
                "expiry_days=45",
                "download_sizes=web1024,ORIGINAL",
                "watermarked_downloads=yes",
                "visitor_email_capture=on",
                "store=off",
                "watermark=studio",
                f"template={template_id}",
            ],
        )
    finally:
        first.close()
    again = Catalog(db)
    try:
        got = get_defaults(again, "portrait")
    finally:
        again.close()
    assert got == saved
    assert got.saved and got.builtin
    assert (got.password_on, got.expiry_days) == (False, 45)
    assert got.download_sizes == ("original", "web1024")  # in the service's order
    assert got.download_watermarked and got.visitor_email_capture and not got.store_enabled
    assert (got.watermark_id, got.watermark) == (wm.id, "Studio")
    assert (got.template_id, got.template) == (template_id, "Ivory")
    assert got.downloadable  # not mentioned: kept from the built-in values


def test_bad_values_are_all_reported_and_change_nothing(catalog: Catalog) -> None:
    set_defaults(catalog, "wedding", ["expiry_days=30"])
    before = _defaults_table(catalog)
    with pytest.raises(BadInputError) as caught:
        set_defaults(
            catalog,
            "wedding",
            [
                "store=off",  # fine, but must not be written alone
                "expiry_days=0",
                "downloadable=maybe",
                "download_sizes=huge",
                "watermark=nope",
                "colour=red",
                "no-equals",
            ],
        )
    message = str(caught.value)
    assert message.startswith("nothing changed: ")
    for part in (
        "expiry_days='0'",
        "downloadable='maybe'",
        "unknown size(s) huge",
        "no watermark 'nope'",
        "unknown setting 'colour'",
        "'no-equals' is not KEY=VALUE",
    ):
        assert part in message
    assert _defaults_table(catalog) == before
    assert get_defaults(catalog, "wedding").store_enabled


def test_downloads_on_need_a_size(catalog: Catalog) -> None:
    with pytest.raises(BadInputError, match="no download size is allowed"):
        set_defaults(catalog, "wedding", ["download_sizes="])
    with pytest.raises(BadInputError, match="nothing to set"):
        set_defaults(catalog, "wedding", [])
    off = set_defaults(catalog, "wedding", ["downloadable=off", "download_sizes="])
    assert off.download_sizes == () and not off.downloadable
    assert _defaults_table(catalog) != []


def test_save_several_at_once_is_all_or_nothing(catalog: Catalog) -> None:
    good = ShootDefaults("newborn", expiry_days=14)
    bad = ShootDefaults("family", downloadable=True, download_sizes=())
    with pytest.raises(BadInputError, match=r"family: downloads are on"):
        save_defaults(catalog, [good, bad], default_shoot_type="newborn")
    assert _defaults_table(catalog) == []
    assert default_shoot_type(catalog) is None
    save_defaults(catalog, [good], default_shoot_type="newborn")
    assert get_defaults(catalog, "newborn").expiry_days == 14
    assert default_shoot_type(catalog) == "newborn"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("*default:wedding", "use letters"),
        ("wed/ding", "use letters"),
        ("none", "reserved"),
        ("x" * 41, "at most 40"),
    ],
)
def test_custom_shoot_type_names_are_checked(catalog: Catalog, raw: str, problem: str) -> None:
    with pytest.raises(BadInputError, match=problem):
        set_defaults(catalog, raw, ["downloadable=on"])
    assert _defaults_table(catalog) == []


def test_custom_shoot_types_start_from_other_and_can_be_removed(catalog: Catalog) -> None:
    assert shoot_type_name("  Real   Estate ") == "real estate"
    custom = set_defaults(catalog, "Real  Estate", ["expiry_days=never", "downloadable=on"])
    assert not custom.builtin and custom.shoot_type == "real estate"
    assert custom.download_sizes == BUILTIN_DEFAULTS["other"].download_sizes
    assert [d.shoot_type for d in list_defaults(catalog)][-1] == "real estate"
    set_default_shoot_type(catalog, "real estate")
    with pytest.raises(BadInputError, match="no built-in values"):
        reset_defaults(catalog, "real estate")
    with pytest.raises(BadInputError, match="built in"):
        remove_shoot_type(catalog, "wedding")
    remove_shoot_type(catalog, "Real Estate")
    assert default_shoot_type(catalog) is None  # its type went, so did the choice
    with pytest.raises(BadInputError, match="unknown shoot type 'real estate'"):
        get_defaults(catalog, "real estate")
    assert _defaults_table(catalog) == []


def test_reset_brings_the_built_in_values_back(catalog: Catalog) -> None:
    set_defaults(catalog, "event", ["watermarked_downloads=off"])
    assert reset_defaults(catalog, "event") == BUILTIN_DEFAULTS["event"]
    assert not get_defaults(catalog, "event").saved


def test_a_built_in_template_is_found_by_name_in_a_new_catalogue(catalog: Catalog) -> None:
    chosen = set_defaults(catalog, "wedding", ["template=editorial"])
    assert chosen.template == "Editorial" and chosen.template_id is not None
    assert set_defaults(catalog, "wedding", ["template=none"]).template_id is None
    with pytest.raises(BadInputError, match="no template 'Glossy'"):
        set_defaults(catalog, "wedding", ["template=Glossy"])


def test_a_deleted_watermark_leaves_the_defaults_without_one(catalog: Catalog) -> None:
    add_watermark(catalog, "Studio", WatermarkSpec(text="© Studio"))
    set_defaults(catalog, "event", ["watermark=Studio"])
    delete_watermark(catalog, "Studio")
    assert get_defaults(catalog, "event").watermark_id is None


def test_the_default_shoot_type_must_be_known(catalog: Catalog) -> None:
    with pytest.raises(BadInputError, match="not a known shoot type"):
        set_default_shoot_type(catalog, "weding")
    set_default_shoot_type(catalog, "Portrait")
    assert default_shoot_type(catalog) == "portrait"
    assert [d.shoot_type for d in list_defaults(catalog)] == list(SHOOT_TYPES)  # marker hidden
    set_default_shoot_type(catalog, None)
    assert default_shoot_type(catalog) is None


def test_generated_passwords_are_readable_and_differ() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(PASSWORD.fullmatch(p) for p in passwords)


# -- applied to new collections -------------------------------------------------------------------


def test_import_gives_a_new_collection_its_shoot_type_defaults(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    wm = add_watermark(catalog, "Studio", WatermarkSpec(text="© Studio"))
    set_defaults(catalog, "wedding", ["expiry_days=30", "watermark=Studio", "store=off"])
    s = import_folder(
        catalog, cache, _shoot(tmp_path / "shoots"), workers=WORKERS, shoot_type="Wedding"
    )
    assert s.new == 2 and s.errors == 0
    got = _settings(catalog, s.collection_id)
    assert PASSWORD.fullmatch(got.pop("password"))
    assert got == {
        "shoot_type": "wedding",
        "expiry_date": (date.today() + timedelta(days=30)).isoformat(),
        "downloadable": 1,
        "download_sizes_json": '["high", "web2048"]',
        "download_watermarked": 0,
        "visitor_email_capture": 1,
        "store_enabled": 0,
        "watermark_id": wm.id,
        "template_id": None,
    }


def test_defaults_are_not_applied_again_on_re_import_or_rescan(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path / "shoots")
    first = import_folder(catalog, cache, shoot, workers=WORKERS, shoot_type="portrait")
    cid = first.collection_id
    apply_settings(catalog, cid, ["password=chosen-by-me", "downloadable=off", "store=off"])
    chosen = _settings(catalog, cid)
    set_defaults(catalog, "portrait", ["expiry_days=5", "store=on"])
    set_default_shoot_type(catalog, "event")
    copy_from_corpus("photos/exif/smiley2.jpg", shoot / "later.jpg")
    again = import_folder(catalog, cache, shoot, workers=WORKERS, shoot_type="wedding")
    assert (again.collection_id, again.new) == (cid, 1)
    rescan_collection(catalog, cache, cid, workers=WORKERS)
    import_folder(catalog, cache, shoot, workers=WORKERS)  # the default type: not applied either
    assert _settings(catalog, cid) == chosen


def test_the_default_shoot_type_applies_to_imports_without_one(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    untyped = import_folder(catalog, cache, _shoot(tmp_path / "a"), workers=WORKERS)
    assert _settings(catalog, untyped.collection_id)["shoot_type"] is None
    set_default_shoot_type(catalog, "newborn")
    typed = import_folder(catalog, cache, _shoot(tmp_path / "b"), workers=WORKERS)
    got = _settings(catalog, typed.collection_id)
    assert got["shoot_type"] == "newborn" and PASSWORD.fullmatch(got["password"])
    assert got["expiry_date"] == (date.today() + timedelta(days=90)).isoformat()


def test_an_unknown_shoot_type_creates_no_collection(
    catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    with pytest.raises(BadInputError, match="unknown shoot type 'weding'"):
        import_folder(catalog, cache, _shoot(tmp_path), workers=WORKERS, shoot_type="weding")
    assert list_collections(catalog) == []


def test_defaults_are_written_in_the_transaction_that_creates_the_collection(
    catalog: Catalog, tmp_path: Path
) -> None:
    set_defaults(catalog, "boudoir", ["password_on=on"])
    set_default_shoot_type(catalog, "boudoir")
    with catalog.write_conn() as conn:  # the type vanishes behind the service's back
        conn.execute(text("DELETE FROM collectiondefaults WHERE shoot_type = 'boudoir'"))
    with pytest.raises(BadInputError, match="unknown shoot type 'boudoir'"):
        collection_for_folder(catalog, bytes(_shoot(tmp_path)))
    assert list_collections(catalog) == []  # the insert went back with the failed defaults


def test_apply_defaults_computes_the_expiry_from_the_day_given(
    catalog: Catalog, tmp_path: Path
) -> None:
    cid = collection_for_folder(catalog, bytes(_shoot(tmp_path))).id
    assert cid is not None
    assert apply_defaults(catalog, cid, None) is None  # no default type: nothing to apply
    assert apply_defaults(catalog, cid, "event", today=date(2027, 12, 20)) == "event"
    got = _settings(catalog, cid)
    assert got["expiry_date"] == "2028-01-19" and got["password"] is None


def test_reapplying_to_an_existing_collection_keeps_its_password(
    catalog: Catalog, tmp_path: Path
) -> None:
    cid = collection_for_folder(catalog, bytes(_shoot(tmp_path)), shoot_type="event").id
    assert cid is not None
    apply_settings(catalog, cid, ["password=told-the-client"])
    reapply_defaults(catalog, cid, "commercial", today=date(2027, 1, 1))
    got = _settings(catalog, cid)
    assert got["password"] == "told-the-client"
    assert got["shoot_type"] == "commercial" and got["expiry_date"] == "2027-01-31"
    assert json.loads(got["download_sizes_json"]) == ["original", "high"]
    reapply_defaults(catalog, cid, "other")  # a type without a password never removes one
    assert _settings(catalog, cid)["password"] == "told-the-client"
