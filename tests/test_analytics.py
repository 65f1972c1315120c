"""Analytics over the pulled tables: downloads bucketed by local day / week / month (edges, zero
fill, photo / video), top downloaded and favourited media (ties), visitors, per-client activity,
store orders and sales; each against rows written to a real catalogue file (the run from the
emulator through a real pull is in test_analytics_pull.py)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from gallery_desktop.catalog.analytics import (
    Money,
    activity_summary,
    client_activity,
    downloads_over_time,
    format_money,
    list_visitors,
    read_analytics,
    sales_over_time,
    store_orders,
    top_downloaded,
    top_favourited,
)
from gallery_desktop.catalog.analytics_buckets import bucket_label, choose_unit, next_bucket
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import (
    Client,
    Collection,
    DownloadEvent,
    Favorite,
    FavoriteList,
    Gallery,
    Media,
    StoreOrder,
    Visitor,
    utcnow,
)
from gallery_desktop.errors import BadInputError


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Activity:
    """Writes client activity straight into a catalogue, as a pull would leave it."""

    catalog: Catalog
    media: dict[str, int] = field(default_factory=dict)

    def collection(self, name: str = "Smith Wedding", *, paths: tuple[str, ...] = ()) -> int:
        with self.catalog.write() as s:
            c = Collection(name=name)
            s.add(c)
            s.flush()
            g = Gallery(collection_id=c.id, name="Ceremony")
            s.add(g)
            s.flush()
            for path in paths:
                kind = "video" if path.endswith(".mp4") else "photo"
                m = Media(
                    collection_id=c.id,
                    gallery_id=g.id,
                    rel_path=path.encode(),
                    path=path,
                    kind=kind,
                )
                s.add(m)
                s.flush()
                assert m.id is not None
                self.media[path] = m.id
            assert c.id is not None
            return c.id

    def client(
        self,
        cid: int,
        email: str,
        name: str = "",
        access: str = "view",
        last: datetime | None = None,
    ) -> None:
        with self.catalog.write() as s:
            s.add(
                Client(
                    collection_id=cid,
                    email=email,
                    name=name,
                    access_level=access,
                    last_accessed=last,
                )
            )

    def download(self, cid: int, path: str, email: str | None, at: datetime) -> None:
        kind = "video" if path.endswith(".mp4") else "photo"
        with self.catalog.write() as s:
            s.add(
                DownloadEvent(
                    collection_id=cid,
                    media_id=self.media[path],
                    email=email,
                    kind=kind,
                    occurred_at=at,
                )
            )

    def favourites(self, cid: int, email: str | None, paths: list[str], name: str = "") -> None:
        with self.catalog.write() as s:
            lst = FavoriteList(collection_id=cid, email=email, name=name or "Favourites")
            s.add(lst)
            s.flush()
            for path in paths:
                s.add(Favorite(list_id=lst.id, media_id=self.media[path]))

    def visitor(
        self, cid: int, email: str, first: datetime, last: datetime | None = None, visits: int = 1
    ) -> None:
        with self.catalog.write() as s:
            s.add(
                Visitor(
                    collection_id=cid, email=email, first_seen=first, last_seen=last, visits=visits
                )
            )

    def order(
        self,
        cid: int,
        email: str | None,
        at: datetime,
        items: Any,
        *,
        name: str | None = None,
        currency: str = "EUR",
        status: str = "paid",
    ) -> None:
        raw = items if isinstance(items, str) else json.dumps(items)
        total = (
            0 if isinstance(items, str) else sum(i["quantity"] * i["price_cents"] for i in items)
        )
        with self.catalog.write() as s:
            s.add(
                StoreOrder(
                    collection_id=cid,
                    client_email=email,
                    client_name=name,
                    placed_at=at,
                    currency=currency,
                    total_cents=total,
                    items_json=raw,
                    status=status,
                )
            )


def item(product: str, size: str, quantity: int, price_cents: int) -> dict[str, Any]:
    return {
        "media_id": None,
        "product": product,
        "size": size,
        "quantity": quantity,
        "price_cents": price_cents,
    }


PATHS = ("Ceremony/a.jpg", "Ceremony/b.jpg", "Ceremony/c.jpg", "Party/clip.mp4")
A, B, C, CLIP = PATHS


@pytest.fixture
def act(catalog: Catalog) -> Activity:
    return Activity(catalog)


def values(series: Any) -> list[tuple[date, int]]:
    return [(p.start, p.value) for p in series.points]


# -- downloads over time -----------------------------------------------------------------------


def test_days_zero_filled_and_split_at_midnight(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    act.download(cid, A, "ann@example.com", utc(2025, 3, 3, 0, 0, 0))
    act.download(cid, B, "ann@example.com", utc(2025, 3, 3, 23, 59, 59))
    act.download(cid, CLIP, "ann@example.com", utc(2025, 3, 5, 0, 0, 0))
    series = downloads_over_time(catalog, cid, tz=UTC)
    assert series.unit == "day"
    assert values(series) == [(date(2025, 3, 3), 2), (date(2025, 3, 4), 0), (date(2025, 3, 5), 1)]
    assert [p.end for p in series.points][-1] == date(2025, 3, 6)
    # photo / video keep the same axis (a bucket with no video is there, at 0)
    photos = downloads_over_time(catalog, cid, kind="photo", tz=UTC)
    videos = downloads_over_time(catalog, cid, kind="video", tz=UTC)
    assert [v for _d, v in values(photos)] == [2, 0, 0]
    assert [v for _d, v in values(videos)] == [0, 0, 1]
    # `until` carries the zero fill on to today
    later = downloads_over_time(catalog, cid, tz=UTC, until=utc(2025, 3, 8, 12))
    assert values(later)[-3:] == [
        (date(2025, 3, 6), 0),
        (date(2025, 3, 7), 0),
        (date(2025, 3, 8), 0),
    ]


def test_weeks_start_on_monday_and_months_on_the_first(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    act.download(cid, A, None, utc(2025, 3, 9, 23, 59, 59))  # a Sunday
    act.download(cid, A, None, utc(2025, 3, 10, 0, 0, 0))  # the Monday after
    weeks = downloads_over_time(catalog, cid, unit="week", tz=UTC)
    assert values(weeks) == [(date(2025, 3, 3), 1), (date(2025, 3, 10), 1)]
    act.download(cid, B, None, utc(2025, 1, 31, 23, 59, 59))
    act.download(cid, B, None, utc(2025, 2, 1, 0, 0, 0))
    months = downloads_over_time(catalog, cid, unit="month", tz=UTC)
    assert values(months) == [(date(2025, 1, 1), 1), (date(2025, 2, 1), 1), (date(2025, 3, 1), 2)]
    assert next_bucket(date(2024, 12, 1), "month") == date(2025, 1, 1)
    assert [bucket_label("month", date(2025, 2, 1)), bucket_label("day", date(2025, 3, 9))] == [
        "Feb 2025",
        "9 Mar",
    ]
    assert bucket_label("day", date(2025, 3, 9), long=True) == "Sun 9 Mar 2025"
    assert bucket_label("week", date(2025, 3, 3), long=True) == "Week of 3 Mar 2025"


def test_buckets_are_local_days_across_offsets_and_daylight_saving(
    act: Activity, catalog: Catalog
) -> None:
    cid = act.collection(paths=PATHS)
    act.download(cid, A, None, utc(2025, 3, 30, 22, 30))  # Paris: 31 Mar 00:30 (summer time)
    act.download(cid, A, None, utc(2025, 3, 29, 22, 30))  # Paris: 29 Mar 23:30 (winter time)
    paris = downloads_over_time(catalog, cid, tz=ZoneInfo("Europe/Paris"))
    assert values(paris) == [(date(2025, 3, 29), 1), (date(2025, 3, 30), 0), (date(2025, 3, 31), 1)]
    in_utc = downloads_over_time(catalog, cid, tz=UTC)
    assert values(in_utc) == [(date(2025, 3, 29), 1), (date(2025, 3, 30), 1)]
    # Kathmandu is UTC+5:45: the quarter-hour slots still put each event on its own day
    act.download(cid, B, None, utc(2025, 4, 2, 18, 14))  # 2 Apr 23:59 there
    act.download(cid, B, None, utc(2025, 4, 2, 18, 15))  # 3 Apr 00:00 there
    nepal = downloads_over_time(catalog, cid, tz=ZoneInfo("Asia/Kathmandu"))
    assert values(nepal)[-2:] == [(date(2025, 4, 2), 1), (date(2025, 4, 3), 1)]


def test_the_unit_follows_the_span(act: Activity, catalog: Catalog) -> None:
    assert choose_unit(date(2025, 1, 1), date(2025, 3, 4)) == "day"  # 62 days
    assert choose_unit(date(2025, 1, 1), date(2025, 3, 5)) == "week"
    assert choose_unit(date(2025, 1, 1), date(2026, 1, 7)) == "week"  # 371 days
    assert choose_unit(date(2025, 1, 1), date(2026, 1, 8)) == "month"
    cid = act.collection(paths=PATHS)
    act.download(cid, A, None, utc(2025, 1, 15, 12))
    act.download(cid, A, None, utc(2025, 8, 20, 12))
    series = downloads_over_time(catalog, cid, tz=UTC)
    assert series.unit == "week" and series.total == 2
    assert all(p.start.weekday() == 0 for p in series.points)
    assert downloads_over_time(catalog, cid, tz=UTC, until=utc(2026, 6, 1)).unit == "month"
    by_day = downloads_over_time(catalog, cid, unit="day", tz=UTC)
    assert len(by_day.points) == (date(2025, 8, 20) - date(2025, 1, 15)).days + 1


def test_bad_kind_or_unit_is_a_clear_error(act: Activity, catalog: Catalog) -> None:
    cid = act.collection()
    with pytest.raises(BadInputError, match="kind"):
        downloads_over_time(catalog, cid, kind="zip")  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="unit"):
        sales_over_time(catalog, cid, unit="year")  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="no collection"):
        read_analytics(catalog, cid + 100)


# -- top lists ---------------------------------------------------------------------------------


def test_top_downloaded_ties_share_a_rank_and_go_by_path(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    at = utc(2025, 3, 3, 12)
    for path, email in [
        (A, "ann@example.com"),
        (A, "ANN@example.com"),  # the same person, however the service spelled it
        (A, "bob@example.com"),
        (CLIP, "ann@example.com"),
        (CLIP, "bob@example.com"),
        (B, "ann@example.com"),
        (B, "bob@example.com"),
        (C, None),
    ]:
        act.download(cid, path, email, at)
    top = top_downloaded(catalog, cid)
    assert [(t.rank, t.file_name, t.kind, t.count, t.people) for t in top] == [
        (1, "a.jpg", "photo", 3, 2),
        (2, "b.jpg", "photo", 2, 2),
        (2, "clip.mp4", "video", 2, 2),
        (4, "c.jpg", "photo", 1, 0),
    ]
    assert top[0].media_id == act.media[A] and top[0].collection == "Smith Wedding"
    assert [t.file_name for t in top_downloaded(catalog, cid, limit=2)] == ["a.jpg", "b.jpg"]


def test_top_favourited_counts_lists_and_people(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    act.favourites(cid, "ann@example.com", [A, B, C])
    act.favourites(cid, "ann@example.com", [A], name="Album")
    act.favourites(cid, "bob@example.com", [B, A])
    act.favourites(cid, None, [C])  # a list without an email is someone too
    top = top_favourited(catalog, cid)
    assert [(t.rank, t.file_name, t.count, t.people) for t in top] == [
        (1, "a.jpg", 3, 2),
        (2, "b.jpg", 2, 2),
        (2, "c.jpg", 2, 2),
    ]


# -- visitors and clients ----------------------------------------------------------------------


def test_visitors_newest_first_with_client_names(act: Activity, catalog: Catalog) -> None:
    cid = act.collection()
    act.client(cid, "ann@example.com", "Ann Smith")
    act.visitor(cid, "ann@example.com", utc(2025, 3, 1), utc(2025, 3, 9), visits=4)
    act.visitor(cid, "guest@example.com", utc(2025, 3, 5))  # never came back: last = first
    rows = list_visitors(catalog, cid)
    assert [(v.email, v.name, v.visits) for v in rows] == [
        ("ann@example.com", "Ann Smith", 4),
        ("guest@example.com", "", 1),
    ]
    assert rows[0].first_seen == utc(2025, 3, 1) and rows[0].last_seen == utc(2025, 3, 9)
    assert rows[1].last_seen == rows[1].first_seen == utc(2025, 3, 5)


def test_client_activity_joins_everything_per_person(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    act.client(cid, "ann@example.com", "Ann Smith", "download", last=utc(2025, 3, 2))
    act.client(cid, "bob@example.com", "Bob Jones", "favourite", last=utc(2025, 3, 1))
    act.client(cid, "cy@example.com", "Cy Quiet")  # invited, did nothing
    act.favourites(cid, "ann@example.com", [A, B])
    act.favourites(cid, "ann@example.com", [A], name="Album")  # a, b: two different photos
    act.download(cid, A, "Ann@Example.com", utc(2025, 3, 4, 8))
    act.download(cid, CLIP, "ann@example.com", utc(2025, 3, 6, 8))
    act.download(cid, B, None, utc(2025, 3, 6, 9))  # anonymous: nobody's
    act.visitor(cid, "bob@example.com", utc(2025, 3, 1), utc(2025, 3, 8), visits=3)
    act.order(cid, "ann@example.com", utc(2025, 3, 7), [item("Print", "8x10", 2, 1500)])
    act.order(cid, "ann@example.com", utc(2025, 3, 8), [item("Canvas", "16x20", 1, 9900)])
    act.order(
        cid, "ann@example.com", utc(2025, 3, 9), [item("Print", "5x7", 1, 800)], status="refunded"
    )
    act.order(cid, "dee@example.com", utc(2025, 3, 9), [item("Album", "", 1, 25000)], name="Dee")
    people = {p.email: p for p in client_activity(catalog, cid)}
    assert set(people) == {
        "ann@example.com",
        "bob@example.com",
        "cy@example.com",
        "dee@example.com",
    }
    ann, bob, cy, dee = (people[e] for e in sorted(people))
    assert (ann.name, ann.access, ann.favourites, ann.downloads, ann.orders) == (
        "Ann Smith",
        "download",
        2,
        2,
        2,
    )
    assert ann.spend == (Money("EUR", 12900),) and ann.spend_cents == 12900
    assert ann.last_seen == utc(2025, 3, 6, 8)  # her last download, after her last access
    assert (bob.visits, bob.downloads, bob.last_seen) == (3, 0, utc(2025, 3, 8))
    assert (cy.favourites, cy.downloads, cy.orders, cy.spend, cy.last_seen) == (0, 0, 0, (), None)
    assert (dee.name, dee.access, dee.orders, dee.spend_cents) == ("Dee", "", 1, 25000)
    order = [p.email for p in client_activity(catalog, cid)]
    assert order[0] == "ann@example.com" and order[-1] == "cy@example.com"  # most active first


# -- the store ---------------------------------------------------------------------------------


def test_orders_items_totals_and_sales(act: Activity, catalog: Catalog) -> None:
    cid = act.collection()
    act.client(cid, "ann@example.com", "Ann Smith")
    act.order(
        cid,
        "ann@example.com",
        utc(2025, 3, 3, 10),
        [item("Print", "8x10", 2, 1500), item("Canvas", "16x20", 1, 9900)],
    )
    act.order(
        cid, "bob@example.com", utc(2025, 3, 5, 10), [item("Print", "5x7", 3, 800)], name="Bob"
    )
    act.order(
        cid,
        "bob@example.com",
        utc(2025, 3, 5, 11),
        [item("Print", "5x7", 1, 800)],
        status="cancelled",
    )
    act.order(cid, "eve@example.com", utc(2025, 3, 5, 12), "{not json", name="Eve")
    act.order(
        cid, "fay@example.com", utc(2025, 3, 5, 13), [item("Album", "", 1, 9000)], status="pending"
    )
    act.order(
        cid, "usd@example.com", utc(2025, 3, 4, 9), [item("Print", "4x6", 1, 500)], currency="usd"
    )
    orders = store_orders(catalog, cid)
    assert [(o.client_email, o.items, o.total.cents, o.is_sale) for o in orders] == [
        ("fay@example.com", 1, 9000, False),  # not paid yet
        ("eve@example.com", 0, 0, True),
        ("bob@example.com", 1, 800, False),
        ("bob@example.com", 3, 2400, True),
        ("usd@example.com", 1, 500, True),
        ("ann@example.com", 3, 12900, True),
    ]
    assert orders[0].items_summary == "1 × Album"  # no size, no trailing space
    ann = orders[-1]
    assert ann.client_name == "Ann Smith"  # from the client list when the order has no name
    assert ann.items_summary == "2 × Print 8x10, 1 × Canvas 16x20"
    assert str(ann.total) == "€129.00" and ann.placed_at == utc(2025, 3, 3, 10)
    sales = sales_over_time(catalog, cid, tz=UTC)
    assert sales.currency == "EUR"  # the currency that earned most
    assert values(sales) == [
        (date(2025, 3, 3), 12900),
        (date(2025, 3, 4), 0),
        (date(2025, 3, 5), 2400),
    ]
    assert values(sales_over_time(catalog, cid, currency="USD", tz=UTC)) == [
        (date(2025, 3, 4), 500)
    ]
    summary = activity_summary(catalog, cid)
    assert summary.orders == 4  # the cancelled and the pending one are no sale
    assert summary.revenue == (Money("EUR", 15300), Money("USD", 500))


def test_money_reads_as_money() -> None:
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(5, "usd") == "$0.05"
    assert format_money(-250, "GBP") == "-£2.50"
    assert format_money(1000, "SEK") == "10.00 SEK"


# -- summary, scope, nothing at all ------------------------------------------------------------


def test_an_empty_collection_reads_as_nothing(act: Activity, catalog: Catalog) -> None:
    cid = act.collection(paths=PATHS)
    data = read_analytics(catalog, cid)
    assert data.collection_name == "Smith Wedding"
    assert all(s.points == () for s in data.downloads.values())
    assert data.sales.points == () and data.sales.currency is None
    assert data.top_downloaded == data.top_favourited == data.visitors == ()
    assert data.clients == data.orders == ()
    s = data.summary
    assert (s.downloads, s.favourites, s.visitors, s.clients, s.orders, s.revenue) == (
        0,
        0,
        0,
        0,
        0,
        (),
    )
    assert s.last_activity is None


def test_summary_and_every_collection_at_once(act: Activity, catalog: Catalog) -> None:
    one = act.collection("One", paths=PATHS)
    act.client(one, "ann@example.com", "Ann", last=utc(2025, 3, 1))
    act.download(one, A, "ann@example.com", utc(2025, 3, 2))
    act.download(one, CLIP, "ann@example.com", utc(2025, 3, 3))
    act.favourites(one, "ann@example.com", [A, B])
    act.favourites(one, "bob@example.com", [B])
    act.favourites(one, "ann@example.com", [], name="Empty")
    act.visitor(one, "ann@example.com", utc(2025, 3, 1), utc(2025, 3, 4), visits=2)
    two = act.collection("Two", paths=("x.jpg",))
    act.download(two, "x.jpg", "zed@example.com", utc(2025, 4, 1))
    act.visitor(two, "ann@example.com", utc(2025, 4, 2), visits=1)
    gone = act.collection("Gone", paths=("y.jpg",))
    act.download(gone, "y.jpg", "old@example.com", utc(2025, 4, 3))
    with catalog.write() as s:
        row = s.get(Collection, gone)
        assert row is not None
        row.deleted_at = utcnow()
    s1 = activity_summary(catalog, one)
    assert (s1.downloads, s1.photo_downloads, s1.video_downloads, s1.downloaders) == (2, 1, 1, 1)
    assert (s1.favourites, s1.favourite_lists, s1.favouriters) == (2, 3, 2)
    assert (s1.visitors, s1.visits, s1.clients) == (1, 2, 1)
    assert s1.last_activity is not None and s1.last_activity >= utc(2025, 3, 4)
    every = read_analytics(catalog, None, tz=UTC)
    assert every.collection_name == "All collections"
    assert (every.summary.downloads, every.summary.visitors, every.summary.visits) == (3, 1, 3)
    assert every.downloads["all"].total == 3  # the deleted collection is left out
    assert {t.collection for t in every.top_downloaded} == {"One", "Two"}
    assert [v.visits for v in every.visitors] == [3]  # one person across collections


def test_a_year_of_downloads_is_counted_in_sqlite(act: Activity, catalog: Catalog) -> None:
    """50,000 downloads over a year: every one counted, read well within a second or two."""
    cid = act.collection(paths=PATHS)
    start = utc(2024, 1, 1)
    rows = [
        {
            "c": cid,
            "m": act.media[PATHS[i % 4]],
            "k": "video" if i % 4 == 3 else "photo",
            "e": f"p{i % 300}@example.com",
            "at": (start + timedelta(minutes=11 * i)).replace(tzinfo=None),
        }
        for i in range(50_000)
    ]
    with catalog.write_conn() as conn:
        conn.execute(
            text(
                "INSERT INTO downloadevent (collection_id, media_id, kind, email, occurred_at) "
                "VALUES (:c, :m, :k, :e, :at)"
            ),
            rows,
        )
    began = time.perf_counter()
    data = read_analytics(catalog, cid, tz=UTC)
    elapsed = time.perf_counter() - began
    assert data.downloads["all"].unit == "month" and data.downloads["all"].total == 50_000
    assert data.downloads["video"].total == 12_500
    assert data.summary.downloaders == 300 and len(data.clients) == 300
    assert elapsed < 5.0, elapsed  # generous: a shared test machine
