"""before_show and before_download_settings as local rules: table-driven over every override,
plus the `settings` CLI that prints them and changes settings all-or-nothing."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import InProcessCli, make_shoot
from gallery_desktop.catalog.collection_settings import apply_settings
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import (
    DeliverySettings,
    GalleryRules,
    before_download_settings,
    before_show,
    read_settings,
)
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.outbox import link_collection
from test_sync import _drain, _worker, signed_in

TODAY = date(2027, 3, 1)
G1 = GalleryRules(1, "Ceremony", private=False, photos=10)
G2 = GalleryRules(2, "Family", private=True, photos=5)
BASE = DeliverySettings(
    name="Smith Wedding",
    status="published",
    password=None,
    expiry_date=None,
    downloadable=True,
    sizes=("original", "web2048"),
    pin=None,
    watermarked=False,
    client_exclusive=False,
    galleries=(G1, G2),
    clients={"ann@example.com": "download", "bob@example.com": "view"},
)


@pytest.mark.parametrize(
    ("change", "visible", "words"),
    [
        ({}, True, "anyone with the link"),
        ({"password": "pw"}, True, "enter the password"),
        ({"status": "draft"}, False, "draft"),
        ({"status": "hidden"}, False, "hidden"),
        ({"expiry_date": "2027-02-28"}, False, "expired on 2027-02-28"),
        ({"expiry_date": "2027-03-01"}, True, "anyone"),  # the last day still counts
        ({"expiry_date": "2027-02-28", "status": "draft"}, False, "draft"),  # first reason
        ({"galleries": (replace(G1, photos=0), replace(G2, photos=0))}, False, "no photos"),
        ({"galleries": (replace(G1, private=True), G2)}, False, "private"),
        ({"galleries": (replace(G1, photos=0), G2)}, False, "private"),
        ({"galleries": ()}, False, "no photos"),
    ],
)
def test_before_show(change: dict[str, object], visible: bool, words: str) -> None:
    verdict = before_show(replace(BASE, **change), TODAY)  # type: ignore[arg-type]
    assert verdict.visible is visible and words in verdict.reason


COLLECTION_ON = (True, False)
OVERRIDES = (
    None,
    {"downloadable": True},
    {"downloadable": False},
    {"sizes": ["web640"], "watermarked": True},
)
CLIENTS = (None, "ann@example.com", "bob@example.com", "stranger@example.com")
EXCLUSIVE = (False, True)
PINS = (None, "1234")


@pytest.mark.parametrize(
    ("on", "override", "client", "exclusive", "pin"),
    list(itertools.product(COLLECTION_ON, OVERRIDES, CLIENTS, EXCLUSIVE, PINS)),
)
def test_before_download_settings_every_override_combination(
    on: bool,
    override: dict[str, object] | None,
    client: str | None,
    exclusive: bool,
    pin: str | None,
) -> None:
    gallery = replace(G1, override=override or {})
    s = replace(BASE, downloadable=on, client_exclusive=exclusive, pin=pin, galleries=(gallery, G2))
    verdict = before_download_settings(s, TODAY, gallery_id=1, client=client)
    # the expected answer, worked out independently of the implementation's order
    allowed = (
        on if not override or "downloadable" not in override else bool(override["downloadable"])
    )
    level = BASE.clients.get(client) if client else None
    if level is None and exclusive:  # guests and strangers are kept out
        allowed = False
    if level is not None and level != "download":
        allowed = False
    sizes = tuple(override["sizes"]) if override and "sizes" in override else BASE.sizes
    watermarked = bool(override.get("watermarked")) if override else False
    assert verdict.downloadable is allowed
    assert verdict.sizes == (sizes if allowed else ())
    assert verdict.pin_required is bool(allowed and pin)
    assert verdict.watermarked is watermarked
    assert verdict.reason


def test_nothing_downloads_from_a_collection_clients_cannot_see() -> None:
    s = replace(BASE, status="hidden")
    verdict = before_download_settings(s, TODAY, client="ann@example.com")
    assert not verdict.downloadable and "cannot see" in verdict.reason


def test_no_allowed_size_means_no_download() -> None:
    verdict = before_download_settings(replace(BASE, sizes=()), TODAY)
    assert not verdict.downloadable and "no download size" in verdict.reason


# -- the CLI ---------------------------------------------------------------------------------


def _imported(cli: InProcessCli, tmp_path: Path) -> None:
    assert cli("import", str(make_shoot(tmp_path / "shoots"))).code == 0


def test_settings_json_has_the_verdicts(cli: InProcessCli, tmp_path: Path) -> None:
    _imported(cli, tmp_path)
    data = cli("settings", "Wedding", "--json").json()
    assert data["before_show"] == {
        "visible": False,
        "reason": "it is a draft: publish it to show it to clients",
    }
    assert set(data["before_download_settings"]) >= {
        "downloadable",
        "sizes",
        "pin_required",
        "watermarked",
    }


def test_settings_set_changes_what_clients_get(cli: InProcessCli, tmp_path: Path) -> None:
    _imported(cli, tmp_path)
    r = cli(
        "settings",
        "Wedding",
        "set",
        "status=published",
        "password=pw",
        "expiry_date=2099-12-31",
        "downloadable=on",
        "download_sizes=web2048,web640",
        "download_pin=4321",
        "watermarked_downloads=yes",
        "--json",
    )
    data = r.json()
    assert data["settings"]["status"] == "published" and data["settings"]["password"] is True
    assert data["before_show"]["visible"] is True
    dl = data["before_download_settings"]
    assert dl == {
        "downloadable": True,
        "sizes": ["web2048", "web640"],
        "pin_required": True,
        "watermarked": True,
        "single": True,
        "bulk": True,
        "reason": "downloads are on",
    }
    text_out = cli("settings", "Wedding").out
    assert "clients will see it" in text_out and "PIN required" in text_out


@pytest.mark.parametrize(
    "bad",
    [
        ["colour=red"],
        ["status=public"],
        ["expiry_date=31/12/2027"],
        ["download_sizes=web2048,poster"],
        ["download_pin=12"],
        ["downloadable=maybe"],
        ["status"],
        ["status=published", "downloadable=sometimes"],  # one bad value: nothing changes
    ],
)
def test_a_bad_key_or_value_is_a_clear_error_and_changes_nothing(
    cli: InProcessCli, tmp_path: Path, bad: list[str]
) -> None:
    _imported(cli, tmp_path)
    before = cli("settings", "Wedding", "--json").json()
    r = cli("settings", "Wedding", "set", *bad)
    assert r.code == 2 and "nothing changed" in r.err and "Traceback" not in r.err
    assert cli("settings", "Wedding", "--json").json() == before


def test_settings_help_lists_the_keys(cli: InProcessCli) -> None:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli("settings", "--help")
    for key in (
        "status",
        "password",
        "expiry_date",
        "downloadable",
        "download_sizes",
        "download_pin",
        "watermarked_downloads",
    ):
        assert key in out.getvalue()


def test_settings_round_trip_through_the_emulator(
    emulator: object, tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    """Settings made locally reach the service as they are, and the service's own before_*
    checks agree with the local rules."""
    emu: Any = emulator
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    apply_settings(
        catalog,
        cid,
        [
            "status=published",
            "password=pw",
            "expiry_date=2099-12-31",
            "downloadable=on",
            "download_sizes=original,web2048",
            "download_pin=4321",
            "watermarked_downloads=off",
        ],
    )
    link_collection(catalog, cid)
    api = signed_in(emu)
    _drain(_worker(catalog, api, tmp_path))
    (remote,) = emu.state()["collections"]
    access, downloads = remote["client_access"], remote["download_settings"]
    assert (remote["status"], access["password"], access["expiry_date"]) == (
        "published",
        "pw",
        "2099-12-31",
    )
    assert downloads["downloadable"] is True and downloads["pin"] == "4321"
    assert sorted(downloads["sizes"]) == ["original", "web_2048"]
    local = read_settings(catalog, cid)
    shown = api.before_show(remote["id"])
    assert bool(shown["visible"]) is before_show(local, date.today()).visible is True
    allowed = api.before_download_settings(remote["id"])
    verdict = before_download_settings(local, date.today())
    assert bool(allowed["downloadable"]) is verdict.downloadable is True
    assert bool(allowed["pin_required"]) is verdict.pin_required is True

    apply_settings(catalog, cid, ["status=hidden"])
    _drain(_worker(catalog, api, tmp_path))
    assert emu.state()["collections"][0]["status"] == "hidden"
    assert bool(api.before_show(remote["id"])["visible"]) is False
    assert before_show(read_settings(catalog, cid), date.today()).visible is False
