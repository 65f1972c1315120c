"""Client delivery settings beyond the verdicts: the per-client list, the store's price sheet,
sharing links, a gallery's own choices, single/bulk downloads and the plain-language summary
— each through its service and through `settings` on the command line, on a real catalogue."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import InProcessCli, make_shoot
from gallery_desktop.catalog.client_experience import NO, OK, client_experience
from gallery_desktop.catalog.clients import ClientEntry, list_clients, set_clients
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import (
    DeliverySettings,
    GalleryRules,
    before_download_settings,
)
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.sharing_links import (
    create_link,
    last_day,
    list_links,
    revoke_link,
    set_link_expiry,
)
from gallery_desktop.catalog.store import (
    PriceSize,
    Product,
    Store,
    check_store,
    format_money,
    parse_money,
    read_store,
    save_store,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.remote.outbox import link_collection, queued

TODAY = date(2027, 3, 1)


@pytest.fixture
def wedding(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> int:
    return import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id


def _media_id(catalog: Catalog, cid: int, name: str) -> int:
    with catalog.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM media WHERE collection_id = :c AND path LIKE :p"),
                {"c": cid, "p": f"%{name}"},
            ).scalar_one()
        )


# -- clients ----------------------------------------------------------------------------------


def test_the_client_list_is_replaced_whole_and_keeps_unchanged_rows(
    catalog: Catalog, wedding: int
) -> None:
    set_clients(
        catalog,
        wedding,
        [ClientEntry(" Ann@Example.com ", "Ann  Smith", "download"), ClientEntry("bob@ex.org")],
    )
    assert list_clients(catalog, wedding) == [
        ClientEntry("bob@ex.org", "", "view"),
        ClientEntry("ann@example.com", "Ann Smith", "download"),
    ]
    with catalog.engine.connect() as conn:
        ann_row = conn.execute(
            text("SELECT id FROM client WHERE email = 'ann@example.com'")
        ).scalar()
    set_clients(catalog, wedding, [ClientEntry("ann@example.com", "Ann Smith", "favourite")])
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, email, access_level FROM client")).all()
    assert [(r.id, r.email, r.access_level) for r in rows] == [
        (ann_row, "ann@example.com", "favourite")
    ]


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ([ClientEntry("not-an-email")], "is not an email"),
        ([ClientEntry("")], "an empty address"),
        ([ClientEntry("a\x9cb@example.com")], "is not an email"),
        ([ClientEntry("a@b.co", access="owner")], "use view, favourite, download"),
        ([ClientEntry("a@b.co"), ClientEntry("A@B.co")], "listed twice"),
        ([ClientEntry("a@b.co", name="x" * 201)], "longer than 200"),
    ],
)
def test_a_bad_client_list_changes_nothing(
    catalog: Catalog, wedding: int, entries: list[ClientEntry], words: str
) -> None:
    set_clients(catalog, wedding, [ClientEntry("keep@example.com")])
    with pytest.raises(BadInputError, match=words):
        set_clients(catalog, wedding, [ClientEntry("new@example.com"), *entries])
    assert list_clients(catalog, wedding) == [ClientEntry("keep@example.com")]


def test_editing_clients_of_a_published_collection_queues_its_settings(
    catalog: Catalog, wedding: int
) -> None:
    link_collection(catalog, wedding)
    before = len(queued(catalog))
    set_clients(catalog, wedding, [ClientEntry("ann@example.com", access="download")])
    set_clients(catalog, wedding, [ClientEntry("ann@example.com", access="download")])  # same
    set_clients(catalog, wedding, [])
    settings_ops = [o for o in queued(catalog)[before:] if o.op == "settings"]
    assert len(settings_ops) == 2  # the insert and the delete; an unchanged list queues nothing


# -- store --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("12.50", 1250), ("12,5", 1250), ("€ 12", 1200), ("0", 0), ("1 000.00", 100000), ("0.05", 5)],
)
def test_money_is_read_in_cents(typed: str, cents: int) -> None:
    assert parse_money(typed) == cents


@pytest.mark.parametrize(
    "typed", ["", "abc", "-1", "1.234", "nan", "2000000", "1,000", "1.000,50", "1e30", "inf", "12."]
)
def test_money_that_is_not_a_price_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_money(typed)


def test_format_money() -> None:
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(500, "SEK") == "5.00 SEK"


PRINT = Product("Fine art print", (PriceSize("8×10", 2500), PriceSize("11×14", 4000)))


def test_the_store_round_trips(catalog: Catalog, wedding: int) -> None:
    store = Store(True, "gbp", 3000, (PRINT, Product(" Canvas ", (PriceSize("20×30", 12000),))))
    save_store(catalog, wedding, store)
    back = read_store(catalog, wedding)
    assert back == replace(
        store, currency="GBP", products=(PRINT, Product("Canvas", (PriceSize("20×30", 12000),)))
    )
    save_store(catalog, wedding, replace(back, enabled=False))
    assert read_store(catalog, wedding).enabled is False
    assert read_store(catalog, wedding).products == back.products  # the sheet is kept


@pytest.mark.parametrize(
    ("store", "words"),
    [
        (Store(True, "EUR", 0, ()), "needs at least one product"),
        (Store(False, "XYZ", 0, (PRINT,)), "currency"),
        (Store(False, "EUR", -1, (PRINT,)), "minimum order"),
        (Store(False, "EUR", 0, (PRINT, PRINT)), "listed twice"),
        (Store(False, "EUR", 0, (Product("", (PriceSize("a", 1),)),)), "needs a name"),
        (Store(False, "EUR", 0, (Product("Print", ()),)), "no size and price"),
        (
            Store(False, "EUR", 0, (Product("P", (PriceSize("A4", 1), PriceSize("a4", 2))),)),
            "size 'a4' is listed twice",
        ),
    ],
)
def test_a_bad_store_is_refused(store: Store, words: str) -> None:
    with pytest.raises(BadInputError, match=words):
        check_store(store)


# -- sharing links ------------------------------------------------------------------------------


def test_sharing_links_are_made_expire_and_are_revoked(catalog: Catalog, wedding: int) -> None:
    photo = _media_id(catalog, wedding, "a.jpg")
    first = create_link(catalog, photo, date.today() + timedelta(days=7))
    second = create_link(catalog, photo)
    now = utcnow()
    links = {link.id: link for link in list_links(catalog, wedding)}
    assert links[first].file_name == "a.jpg" and links[first].state(now) == "waiting for sync"
    assert links[first].expires_at is not None
    assert last_day(links[first].expires_at) == date.today() + timedelta(days=7)
    assert links[second].expires_at is None
    revoke_link(catalog, second)
    set_link_expiry(catalog, first, None)
    links = {link.id: link for link in list_links(catalog, wedding)}
    assert links[second].state(now) == "revoked" and links[first].expires_at is None
    with pytest.raises(BadInputError, match="revoked"):
        set_link_expiry(catalog, second, date.today())
    assert links[first].state(now + timedelta(days=3650)) == "waiting for sync"


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo", "UTC"])
def test_a_link_works_until_the_end_of_its_last_local_day(
    catalog: Catalog, wedding: int, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        day = date.today() + timedelta(days=3)
        link = create_link(catalog, _media_id(catalog, wedding, "a.jpg"), day)
        (info,) = [x for x in list_links(catalog, wedding) if x.id == link]
        assert info.expires_at is not None
        local_end = info.expires_at.astimezone()
        assert (local_end.date(), local_end.hour, local_end.minute) == (day, 23, 59)
        assert info.state(info.expires_at - timedelta(seconds=1)) == "waiting for sync"
        assert info.state(info.expires_at + timedelta(seconds=1)) == "expired"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_sharing_links_refuse_videos_past_days_and_unknown_photos(
    catalog: Catalog, wedding: int
) -> None:
    with pytest.raises(BadInputError, match="not videos"):
        create_link(catalog, _media_id(catalog, wedding, "clip.mp4"))
    with pytest.raises(BadInputError, match="in the past"):
        create_link(catalog, _media_id(catalog, wedding, "a.jpg"), date.today() - timedelta(1))
    with pytest.raises(BadInputError, match="needs a photo"):
        create_link(catalog, 999_999)
    assert list_links(catalog, wedding) == []


def test_a_link_of_a_published_collection_is_queued(catalog: Catalog, wedding: int) -> None:
    link_collection(catalog, wedding)
    link = create_link(catalog, _media_id(catalog, wedding, "a.jpg"))
    revoke_link(catalog, link)
    ops = [(o.entity, o.entity_id, o.op) for o in queued(catalog) if o.entity == "sharing_link"]
    assert ops == [("sharing_link", link, "create"), ("sharing_link", link, "update")]


# -- the plain-language summary ----------------------------------------------------------------

GALLERY = GalleryRules(1, "Ceremony", private=False, photos=10)
SETTINGS = DeliverySettings(
    name="Smith Wedding",
    status="published",
    password="pw",
    expiry_date="2027-06-30",
    downloadable=True,
    sizes=("original", "web2048"),
    pin="1234",
    watermarked=True,
    client_exclusive=False,
    galleries=(GALLERY, GalleryRules(2, "Family", private=True, photos=3)),
    clients={"ann@example.com": "download", "bob@example.com": "favourite"},
    reminder_days=7,
)


def _texts(s: DeliverySettings, store: Store | None = None) -> list[tuple[str, str]]:
    names = {"ann@example.com": "Ann"}
    return [(x.kind, x.text) for x in client_experience(s, TODAY, store=store, client_names=names)]


def test_the_summary_says_what_a_client_will_experience() -> None:
    said = _texts(SETTINGS, Store(True, "EUR", 2500, (PRINT,)))
    assert said[0] == (
        OK,
        "Clients can see this collection: visible to clients who enter the password.",
    )
    words = "\n".join(t for _, t in said)
    assert "Anyone with the link and the password can open it." in words
    assert "expires on 2027-06-30; clients are reminded 7 days before" in words
    assert (
        OK,
        "Guests can download Original, Web 2048 px: one photo at a time and as a zip, "
        "watermarked, after entering the download PIN.",
    ) in said
    assert (
        NO,
        "bob@example.com can view and favourite, not download.",
    ) in said
    assert any(t.startswith("Ann (ann@example.com) can download") for _, t in said)
    assert "“Family” is private" in words
    assert (OK, "Clients can order prints: 1 product from €25.00, minimum order €25.00.") in said


@pytest.mark.parametrize(
    ("change", "first"),
    [
        ({"status": "draft"}, "Clients cannot see it: it is a draft"),
        ({"expiry_date": "2027-02-01"}, "Clients cannot see it: it expired on 2027-02-01"),
        ({"password": None}, "Clients can see this collection: visible to anyone with the link"),
    ],
)
def test_the_summary_starts_with_whether_clients_see_it(
    change: dict[str, object], first: str
) -> None:
    said = _texts(replace(SETTINGS, **change))  # type: ignore[arg-type]
    assert said[0][1].startswith(first)
    if not first.startswith("Clients can see"):
        assert not any("can download" in t for _, t in said)


def test_the_summary_names_galleries_that_differ() -> None:
    galleries = (replace(GALLERY, override={"downloadable": False}), SETTINGS.galleries[1])
    said = _texts(replace(SETTINGS, galleries=galleries))
    assert (NO, "In “Ceremony” downloads are off.") in said


@pytest.mark.parametrize(
    ("single", "bulk", "downloadable"),
    [(True, True, True), (True, False, True), (False, True, True), (False, False, False)],
)
def test_single_and_bulk_downloads(single: bool, bulk: bool, downloadable: bool) -> None:
    verdict = before_download_settings(replace(SETTINGS, single=single, bulk=bulk), TODAY)
    assert verdict.downloadable is downloadable
    assert (verdict.single, verdict.bulk) == ((single, bulk) if downloadable else (False, False))


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def imported(cli: InProcessCli, tmp_path: Path) -> InProcessCli:
    assert cli("import", str(make_shoot(tmp_path / "shoots"))).code == 0
    return cli


def test_cli_clients(imported: InProcessCli) -> None:
    cli = imported
    r = cli(
        "settings",
        "Wedding",
        "client",
        "add",
        "Ann@Example.com",
        "--name",
        "Ann",
        "--access",
        "download",
    )
    assert r.code == 0, r.err
    assert "client ann@example.com (Ann): download" in r.out
    data = cli("settings", "Wedding", "--json").json()
    assert data["clients"][0]["email"] == "ann@example.com"
    bad = cli("settings", "Wedding", "client", "add", "nope")
    assert bad.code == 2 and "is not an email" in bad.err
    assert cli("settings", "Wedding", "client", "remove", "ann@example.com").code == 0
    gone = cli("settings", "Wedding", "client", "remove", "ann@example.com")
    assert gone.code == 2 and "not a client" in gone.err


def test_cli_store(imported: InProcessCli) -> None:
    cli = imported
    r = cli(
        "settings",
        "Wedding",
        "store",
        "--currency",
        "usd",
        "--minimum",
        "20",
        "--product",
        "Print: 8x10=25, 11x14=40.50",
        "--product",
        "Canvas: 20x30=120",
        "--json",
    )
    assert r.code == 0, r.err
    store = r.json()["store"]
    assert store["currency"] == "USD" and store["minimum_order_cents"] == 2000
    assert store["price_sheet"][0] == {
        "name": "Print",
        "sizes": [{"label": "8x10", "price_cents": 2500}, {"label": "11x14", "price_cents": 4050}],
    }
    on = cli("settings", "Wedding", "set", "store=on", "--json").json()
    assert on["settings"]["store"] is True
    bad = cli("settings", "Wedding", "store", "--product", "Print: 8x10=lots")
    assert bad.code == 2 and "not an amount" in bad.err
    assert cli("settings", "Wedding", "--json").json()["store"] == store | {"enabled": True}


def test_cli_gallery_override(imported: InProcessCli) -> None:
    cli = imported
    cli("settings", "Wedding", "set", "status=published", "downloadable=on")
    r = cli(
        "settings",
        "Wedding",
        "gallery",
        "party",
        "downloadable=off",
        "private=on",
        "--json",
    )
    assert r.code == 0, r.err
    party = next(g for g in r.json()["galleries"] if g["name"] == "Party")
    assert party["private"] is True and party["override"] == {"downloadable": False}
    assert party["before_download_settings"]["downloadable"] is False
    r = cli("settings", "Wedding", "gallery", "Party", "downloadable=inherit", "--json")
    party = next(g for g in r.json()["galleries"] if g["name"] == "Party")
    assert party["override"] == {} and party["before_download_settings"]["downloadable"] is True
    bad = cli("settings", "Wedding", "gallery", "Party", "password=x")
    assert bad.code == 2 and "unknown gallery setting 'password'" in bad.err
    missing = cli("settings", "Wedding", "gallery", "Nope", "private=on")
    assert missing.code == 2 and "no gallery 'Nope'" in missing.err


def test_cli_links(imported: InProcessCli) -> None:
    cli = imported
    day = (date.today() + timedelta(days=30)).isoformat()
    r = cli("settings", "Wedding", "link", "add", "a.jpg", "--expires", day, "--json")
    assert r.code == 0, r.err
    (link,) = r.json()["sharing_links"]
    assert link["file"] == "a.jpg" and link["expires_on"] == day
    assert cli("settings", "Wedding", "link", "revoke", str(link["id"])).code == 0
    assert cli("settings", "Wedding", "--json").json()["sharing_links"][0]["state"] == "revoked"
    bad = cli("settings", "Wedding", "link", "add", "nothing.jpg")
    assert bad.code == 2 and "no photo 'nothing.jpg'" in bad.err


def test_cli_prints_the_summary(imported: InProcessCli) -> None:
    out = imported("settings", "Wedding").out
    assert "what your client will experience:" in out
    assert "✗ Clients cannot see it: it is a draft" in out
    data = imported("settings", "Wedding", "--json").json()
    assert json.dumps(data["experience"]).count("draft") == 1


def test_the_delivery_commands_are_registered(imported: InProcessCli, tmp_path: Path) -> None:
    """Through `main_cli`, as a photographer types them (each module tests its own options)."""
    cli = imported
    assert cli("templates").code == 0
    cover = tmp_path / "cover.png"
    r = cli("cover", "Wedding", "--out", str(cover))
    assert r.code == 0, r.err
    assert cover.read_bytes().startswith(b"\x89PNG")
    r = cli("analytics", "Wedding", "--json")
    assert r.code == 0, r.err
    assert isinstance(r.json(), dict)
    r = cli("favourites", "Wedding", "--json")
    assert r.code == 0, r.err
    assert cli("defaults", "wedding", "--json").code == 0
    bad = cli("favourites", "No Such Shoot")
    assert bad.code == 2 and "No Such Shoot" in bad.err
