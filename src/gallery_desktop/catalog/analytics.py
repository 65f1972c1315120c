"""What clients did with a collection, as numbers: downloads over time, the most downloaded and
most favourited media, visitors, per-client activity, store orders and sales. Read-only, over
the tables a pull fills, so it all reads offline.

`collection_id=None` means every live collection. Emails are compared in lower case (the
service's casing varies between endpoints).

Time buckets are in the photographer's local time (this computer's zone, or `tz`): "Tuesday"
means their Tuesday. The engine groups the UTC timestamps into 15-minute slots (every zone's
offset is a whole number of quarter hours), folded here into local days, ISO weeks or calendar
months: right across daylight-saving changes, one row per busy slot into Python, never one per
event. Buckets are zero-filled from the first event's bucket to the last (or `until`).

Orders that are pending, cancelled or refunded are listed but are no sale (no revenue).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Final, Literal, get_args

from sqlalchemy import literal_column, text
from sqlalchemy.engine import Connection

from gallery_desktop.catalog.analytics_buckets import (
    SLOT_SECONDS,
    UNITS,
    Series,
    Unit,
    series_from_slots,
)
from gallery_desktop.catalog.db import Catalog, epoch_seconds, joined_distinct, latest, moment, sql
from gallery_desktop.catalog.order_items import order_items
from gallery_desktop.errors import BadInputError

Kind = Literal["all", "photo", "video"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)

NOT_SALES: Final = ("pending", "cancelled", "canceled", "refunded")  # listed, but no sale
TOP_LIMIT: Final = 20

_SYMBOLS: Final = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    currency: str
    cents: int

    def __str__(self) -> str:
        return format_money(self.cents, self.currency)


@dataclass(frozen=True)
class MediaCount:
    """A photo or video in a top list. `count`: downloads, or favourite-list entries;
    `people`: different emails behind them. Ties share a rank (1, 2, 2, 4)."""

    rank: int
    media_id: int
    file_name: str
    path: str
    kind: str
    collection: str
    count: int
    people: int


@dataclass(frozen=True)
class VisitorRow:
    email: str
    name: str  # the client's name when the visitor is one of the collection's clients
    first_seen: datetime
    last_seen: datetime
    visits: int


@dataclass(frozen=True)
class ClientActivity:
    """Everyone who is a client, or favourited, downloaded or ordered, and what they did."""

    email: str
    name: str
    access: str  # "" for people who are not on the client list
    favourites: int  # different media favourited
    downloads: int
    visits: int
    last_seen: datetime | None  # last access, visit or download, whichever is latest
    orders: int
    spend: tuple[Money, ...] = ()  # per currency, largest first

    @property
    def spend_cents(self) -> int:
        """For sorting: the main currency's amount (one currency per store in practice)."""
        return self.spend[0].cents if self.spend else 0


@dataclass(frozen=True)
class OrderRow:
    order_id: int
    placed_at: datetime
    client_email: str
    client_name: str
    items: int  # pieces (quantities added up)
    items_summary: str  # "2 × Print 8x10, 1 × Canvas 16x20"
    total: Money
    status: str

    @property
    def is_sale(self) -> bool:
        return self.status.lower() not in NOT_SALES


@dataclass(frozen=True)
class Summary:
    downloads: int = 0
    photo_downloads: int = 0
    video_downloads: int = 0
    downloaders: int = 0
    favourites: int = 0  # different media favourited by anyone
    favourite_lists: int = 0
    favouriters: int = 0
    visitors: int = 0
    visits: int = 0
    clients: int = 0
    orders: int = 0  # sales: pending, cancelled and refunded orders left out
    revenue: tuple[Money, ...] = ()
    last_activity: datetime | None = None


@dataclass(frozen=True)
class Analytics:
    """Everything the analytics view shows, read in one transaction (one consistent picture)."""

    collection_id: int | None
    collection_name: str
    summary: Summary
    downloads: dict[Kind, Series]
    top_downloaded: tuple[MediaCount, ...]
    top_favourited: tuple[MediaCount, ...]
    visitors: tuple[VisitorRow, ...]
    clients: tuple[ClientActivity, ...]
    orders: tuple[OrderRow, ...]
    sales: Series
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def format_money(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    amount = f"{whole:,}.{part:02d}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency.upper()}"


def format_spend(spend: Sequence[Money]) -> str:
    return " + ".join(str(m) for m in spend) if spend else "–"


def _scope(collection_id: int | None, alias: str = "") -> str:
    column = f"{alias}.collection_id" if alias else "collection_id"
    if collection_id is None:
        return f"{column} IN (SELECT id FROM collection WHERE deleted_at IS NULL)"
    return f"{column} = :cid"


def _when(value: Any) -> datetime | None:
    """A catalogue timestamp (naive UTC text, or a datetime) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch_slot(conn: Connection, column: str) -> str:
    return f"{sql(conn, epoch_seconds(literal_column(column)))} / {SLOT_SECONDS}"


def _moment(conn: Connection, column: str) -> str:
    """A timestamp column as comparable values on this engine (see db.moment)."""
    return sql(conn, moment(literal_column(column)))


def _latest(conn: Connection, *columns: str) -> str:
    return sql(conn, latest(*(literal_column(c) for c in columns)))


_SALE: Final = f"lower(status) NOT IN ({', '.join(repr(n) for n in NOT_SALES)})"
_IS_SALE: Final = f"CASE WHEN {_SALE} THEN 1 ELSE 0 END"


# -- queries on one connection -----------------------------------------------------------------


def _downloads(
    conn: Connection,
    cid: int | None,
    *,
    unit: Unit | None,
    tz: tzinfo | None,
    until: datetime | None,
) -> dict[Kind, Series]:
    rows = conn.execute(
        text(
            f"SELECT {_epoch_slot(conn, 'occurred_at')} AS slot, count(*) AS n, "
            "sum(CASE WHEN kind = 'photo' THEN 1 ELSE 0 END) AS photos, "
            "sum(CASE WHEN kind = 'video' THEN 1 ELSE 0 END) AS videos "
            f"FROM downloadevent WHERE {_scope(cid)} GROUP BY slot ORDER BY slot"
        ),
        {"cid": cid},
    ).all()
    # One range and unit for every kind: switching photo / video keeps the same axis.
    first = series_from_slots(
        [(int(r.slot), int(r.n)) for r in rows], unit=unit, tz=tz, until=until
    )
    unit = unit or first.unit
    return {
        "all": first,
        "photo": series_from_slots(
            [(int(r.slot), int(r.photos)) for r in rows], unit=unit, tz=tz, until=until
        ),
        "video": series_from_slots(
            [(int(r.slot), int(r.videos)) for r in rows], unit=unit, tz=tz, until=until
        ),
    }


def _top(conn: Connection, cid: int | None, limit: int, *, favourites: bool) -> list[MediaCount]:
    if favourites:  # count: list entries; people: different emails (a list without one: itself)
        source = (
            "favorite f JOIN favoritelist l ON l.id = f.list_id JOIN media m ON m.id = f.media_id "
            f"WHERE {_scope(cid, 'l')}"
        )
        people = "count(DISTINCT coalesce(lower(l.email), 'list ' || l.id))"
    else:
        source = f"downloadevent d JOIN media m ON m.id = d.media_id WHERE {_scope(cid, 'd')}"
        people = "count(DISTINCT lower(d.email))"
    rows = conn.execute(
        text(
            "SELECT t.*, c.name AS collection FROM ("
            f"SELECT m.id, m.path, m.kind, m.collection_id, count(*) AS n, {people} AS people, "
            f"rank() OVER (ORDER BY count(*) DESC, {people} DESC) AS rank FROM {source} "
            "GROUP BY m.id ORDER BY rank, m.path, m.id LIMIT :limit"
            ") t JOIN collection c ON c.id = t.collection_id ORDER BY t.rank, t.path, t.id"
        ),
        {"cid": cid, "limit": limit},
    ).all()
    return [
        MediaCount(
            rank=int(r.rank),
            media_id=int(r.id),
            file_name=posixpath.basename(r.path),
            path=r.path,
            kind=r.kind,
            collection=r.collection,
            count=int(r.n),
            people=int(r.people),
        )
        for r in rows
    ]


def _visitors(conn: Connection, cid: int | None) -> list[VisitorRow]:
    rows = conn.execute(
        text(
            "SELECT lower(v.email) AS email, coalesce(max(nullif(c.name, '')), '') AS name, "
            f"min({_moment(conn, 'v.first_seen')}) AS first_seen, "
            f"max({_moment(conn, 'coalesce(v.last_seen, v.first_seen)')}) AS last_seen, "
            "sum(v.visits) AS visits FROM visitor v LEFT JOIN client c "
            "ON c.collection_id = v.collection_id AND lower(c.email) = lower(v.email) "
            f"WHERE {_scope(cid, 'v')} GROUP BY lower(v.email) ORDER BY last_seen DESC, email"
        ),
        {"cid": cid},
    ).all()
    out = []
    for r in rows:
        first = _when(r.first_seen)
        assert first is not None  # NOT NULL column
        out.append(VisitorRow(r.email, r.name, first, _when(r.last_seen) or first, int(r.visits)))
    return out


def _clients(conn: Connection, cid: int | None) -> list[ClientActivity]:
    s, sl = _scope(cid), _scope(cid, "l")
    rows = conn.execute(
        text(
            "WITH people(e) AS ("
            f"SELECT lower(email) FROM client WHERE {s} "
            f"UNION SELECT lower(email) FROM favoritelist WHERE {s} AND email IS NOT NULL "
            f"UNION SELECT lower(email) FROM downloadevent WHERE {s} AND email IS NOT NULL "
            f"UNION SELECT lower(client_email) FROM storeorder WHERE {s} "
            "AND client_email IS NOT NULL), "
            "c AS (SELECT lower(email) AS e, max(nullif(name, '')) AS name, "
            f"{sql(conn, joined_distinct(literal_column('access_level')))} AS access, "
            f"max({_moment(conn, 'last_accessed')}) AS last "
            f"FROM client WHERE {s} GROUP BY 1), "
            "f AS (SELECT lower(l.email) AS e, count(DISTINCT f.media_id) AS n FROM favoritelist l "
            f"JOIN favorite f ON f.list_id = l.id WHERE {sl} GROUP BY 1), "
            f"d AS (SELECT lower(email) AS e, count(*) AS n, max({_moment(conn, 'occurred_at')}) "
            "AS last "
            f"FROM downloadevent WHERE {s} GROUP BY 1), "
            "v AS (SELECT lower(email) AS e, sum(visits) AS n, "
            f"max({_moment(conn, 'coalesce(last_seen, first_seen)')}) AS last FROM visitor "
            f"WHERE {s} "
            "GROUP BY 1), "
            f"o AS (SELECT lower(client_email) AS e, sum({_IS_SALE}) AS n, "
            f"max(nullif(client_name, '')) AS name FROM storeorder WHERE {s} GROUP BY 1) "
            "SELECT p.e AS email, coalesce(c.name, o.name, '') AS name, "
            "coalesce(c.access, '') AS access, coalesce(f.n, 0) AS favourites, "
            "coalesce(d.n, 0) AS downloads, coalesce(v.n, 0) AS visits, "
            f"{_latest(conn, 'c.last', 'd.last', 'v.last')} AS last_seen, "
            "coalesce(o.n, 0) AS orders "
            "FROM people p LEFT JOIN c ON c.e = p.e LEFT JOIN f ON f.e = p.e "
            "LEFT JOIN d ON d.e = p.e LEFT JOIN v ON v.e = p.e LEFT JOIN o ON o.e = p.e "
            "WHERE p.e <> '' "
            "ORDER BY coalesce(f.n, 0) + coalesce(d.n, 0) + coalesce(o.n, 0) DESC, "
            "last_seen DESC NULLS LAST, email"
        ),
        {"cid": cid},
    ).all()
    spend: dict[str, list[Money]] = {}
    for email, currency, cents in conn.execute(
        text(
            "SELECT lower(client_email), upper(currency), sum(total_cents) FROM storeorder "
            f"WHERE {s} AND client_email IS NOT NULL AND {_SALE} GROUP BY 1, 2 "
            "ORDER BY 3 DESC, 2"
        ),
        {"cid": cid},
    ):
        spend.setdefault(email, []).append(Money(currency, int(cents)))
    return [
        ClientActivity(
            email=r.email,
            name=r.name,
            access=r.access,
            favourites=int(r.favourites),
            downloads=int(r.downloads),
            visits=int(r.visits),
            last_seen=_when(r.last_seen),
            orders=int(r.orders),
            spend=tuple(spend.get(r.email, ())),
        )
        for r in rows
    ]


def _orders(conn: Connection, cid: int | None) -> list[OrderRow]:
    rows = conn.execute(
        text(
            "SELECT o.id, o.placed_at, coalesce(lower(o.client_email), '') AS email, "
            "coalesce(nullif(o.client_name, ''), (SELECT max(nullif(c.name, '')) FROM client c "
            "WHERE c.collection_id = o.collection_id AND lower(c.email) = lower(o.client_email))"
            ", '') AS name, upper(o.currency) AS currency, o.total_cents, o.status, "
            f"o.items_json FROM storeorder o WHERE {_scope(cid, 'o')} "
            f"ORDER BY {_moment(conn, 'o.placed_at')} DESC, o.id DESC"
        ),
        {"cid": cid},
    ).all()
    out = []
    for r in rows:
        placed = _when(r.placed_at)
        assert placed is not None  # NOT NULL column
        items, summary = order_items(r.items_json)
        out.append(
            OrderRow(
                order_id=int(r.id),
                placed_at=placed,
                client_email=r.email,
                client_name=r.name,
                items=items,
                items_summary=summary,
                total=Money(r.currency, int(r.total_cents)),
                status=r.status,
            )
        )
    return out


def _revenue(conn: Connection, cid: int | None) -> tuple[Money, ...]:
    rows = conn.execute(
        text(
            "SELECT upper(currency), sum(total_cents) FROM storeorder "
            f"WHERE {_scope(cid)} AND {_SALE} GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        {"cid": cid},
    ).all()
    return tuple(Money(cur, int(cents)) for cur, cents in rows)


def _sales(
    conn: Connection,
    cid: int | None,
    *,
    currency: str | None,
    unit: Unit | None,
    tz: tzinfo | None,
    until: datetime | None,
) -> Series:
    """Sales in one currency (by default the one that earned most)."""
    if currency is None:
        revenue = _revenue(conn, cid)
        if not revenue:
            return Series(unit or "day")
        currency = revenue[0].currency
    rows = conn.execute(
        text(
            f"SELECT {_epoch_slot(conn, 'placed_at')} AS slot, sum(total_cents) FROM storeorder "
            f"WHERE {_scope(cid)} AND {_SALE} AND upper(currency) = :cur "
            "GROUP BY slot ORDER BY slot"
        ),
        {"cid": cid, "cur": currency.upper()},
    ).all()
    pairs = [(int(slot), int(cents)) for slot, cents in rows]
    return series_from_slots(pairs, unit=unit, tz=tz, until=until, currency=currency.upper())


def _summary(conn: Connection, cid: int | None) -> Summary:
    s, sl = _scope(cid), _scope(cid, "l")
    r = conn.execute(
        text(
            "SELECT "
            f"(SELECT count(*) FROM downloadevent WHERE {s}) AS downloads, "
            f"(SELECT count(*) FROM downloadevent WHERE {s} AND kind = 'photo') AS photos, "
            f"(SELECT count(*) FROM downloadevent WHERE {s} AND kind = 'video') AS videos, "
            f"(SELECT count(DISTINCT lower(email)) FROM downloadevent WHERE {s}) AS downloaders, "
            "(SELECT count(DISTINCT f.media_id) FROM favorite f JOIN favoritelist l "
            f"ON l.id = f.list_id WHERE {sl}) AS favourites, "
            f"(SELECT count(*) FROM favoritelist l WHERE {sl}) AS lists, "
            "(SELECT count(DISTINCT coalesce(lower(l.email), 'list ' || l.id)) FROM favoritelist l "
            f"WHERE {sl} AND EXISTS (SELECT 1 FROM favorite f WHERE f.list_id = l.id)) AS people, "
            f"(SELECT count(DISTINCT lower(email)) FROM visitor WHERE {s}) AS visitors, "
            f"(SELECT coalesce(sum(visits), 0) FROM visitor WHERE {s}) AS visits, "
            f"(SELECT count(DISTINCT lower(email)) FROM client WHERE {s} "
            "AND access_level != 'guest') AS clients, "  # the invited: guests came by the link
            f"(SELECT count(*) FROM storeorder WHERE {s} AND {_SALE}) AS orders, "
            + _latest(
                conn,
                f"(SELECT max({_moment(conn, 'occurred_at')}) FROM downloadevent WHERE {s})",
                f"(SELECT max({_moment(conn, 'coalesce(last_seen, first_seen)')}) "
                f"FROM visitor WHERE {s})",
                f"(SELECT max({_moment(conn, 'last_accessed')}) FROM client WHERE {s})",
                f"(SELECT max({_moment(conn, 'f.chosen_at')}) FROM favorite f "
                f"JOIN favoritelist l ON l.id = f.list_id WHERE {sl})",
                f"(SELECT max({_moment(conn, 'placed_at')}) FROM storeorder WHERE {s})",
            )
            + " AS last"
        ),
        {"cid": cid},
    ).one()
    return Summary(
        downloads=int(r.downloads),
        photo_downloads=int(r.photos),
        video_downloads=int(r.videos),
        downloaders=int(r.downloaders),
        favourites=int(r.favourites),
        favourite_lists=int(r.lists),
        favouriters=int(r.people),
        visitors=int(r.visitors),
        visits=int(r.visits),
        clients=int(r.clients),
        orders=int(r.orders),
        revenue=_revenue(conn, cid),
        last_activity=_when(r.last),
    )


# -- the public reads --------------------------------------------------------------------------


def _check(kind: str = "all", unit: str | None = None) -> None:
    if kind not in KINDS:
        raise BadInputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if unit is not None and unit not in UNITS:
        raise BadInputError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")


@contextmanager
def _snapshot(catalog: Catalog) -> Iterator[Connection]:
    """One read transaction: every query in it sees the same pull (WAL: writers go on)."""
    with catalog.engine.connect() as conn, conn.begin():
        yield conn


def downloads_over_time(
    catalog: Catalog,
    collection_id: int | None,
    *,
    kind: Kind = "all",
    unit: Unit | None = None,
    tz: tzinfo | None = None,
    until: datetime | None = None,
) -> Series:
    """Downloads per local day, week or month (chosen from the span when `unit` is None)."""
    _check(kind, unit)
    with _snapshot(catalog) as conn:
        return _downloads(conn, collection_id, unit=unit, tz=tz, until=until)[kind]


def top_downloaded(
    catalog: Catalog, collection_id: int | None, *, limit: int = TOP_LIMIT
) -> list[MediaCount]:
    """Most downloaded first; ties share a rank and go by path."""
    with _snapshot(catalog) as conn:
        return _top(conn, collection_id, limit, favourites=False)


def top_favourited(
    catalog: Catalog, collection_id: int | None, *, limit: int = TOP_LIMIT
) -> list[MediaCount]:
    """In most favourite lists first (then by more people); ties share a rank."""
    with _snapshot(catalog) as conn:
        return _top(conn, collection_id, limit, favourites=True)


def list_visitors(catalog: Catalog, collection_id: int | None) -> list[VisitorRow]:
    """Everyone who opened the gallery, most recent first."""
    with _snapshot(catalog) as conn:
        return _visitors(conn, collection_id)


def client_activity(catalog: Catalog, collection_id: int | None) -> list[ClientActivity]:
    """Per person: clients, and whoever favourited, downloaded or ordered; most active first."""
    with _snapshot(catalog) as conn:
        return _clients(conn, collection_id)


def store_orders(catalog: Catalog, collection_id: int | None) -> list[OrderRow]:
    """Every order, newest first (pending, cancelled and refunded ones too: `is_sale` tells)."""
    with _snapshot(catalog) as conn:
        return _orders(conn, collection_id)


def sales_over_time(
    catalog: Catalog,
    collection_id: int | None,
    *,
    currency: str | None = None,
    unit: Unit | None = None,
    tz: tzinfo | None = None,
    until: datetime | None = None,
) -> Series:
    """Sales (cents) per bucket in one currency, by default the one that earned most."""
    _check(unit=unit)
    with _snapshot(catalog) as conn:
        return _sales(conn, collection_id, currency=currency, unit=unit, tz=tz, until=until)


def activity_summary(catalog: Catalog, collection_id: int | None) -> Summary:
    with _snapshot(catalog) as conn:
        return _summary(conn, collection_id)


def read_analytics(
    catalog: Catalog,
    collection_id: int | None,
    *,
    unit: Unit | None = None,
    tz: tzinfo | None = None,
    until: datetime | None = None,
    limit: int = TOP_LIMIT,
) -> Analytics:
    """Everything at once, from one consistent read (what the view and the CLI show)."""
    _check(unit=unit)
    with _snapshot(catalog) as conn:
        if collection_id is None:
            name = "All collections"
        else:
            found = conn.execute(
                text("SELECT name FROM collection WHERE id = :cid"), {"cid": collection_id}
            ).scalar()
            if found is None:
                raise BadInputError(f"no collection with id {collection_id}")
            name = str(found)
        return Analytics(
            collection_id=collection_id,
            collection_name=name,
            summary=_summary(conn, collection_id),
            downloads=_downloads(conn, collection_id, unit=unit, tz=tz, until=until),
            top_downloaded=tuple(_top(conn, collection_id, limit, favourites=False)),
            top_favourited=tuple(_top(conn, collection_id, limit, favourites=True)),
            visitors=tuple(_visitors(conn, collection_id)),
            clients=tuple(_clients(conn, collection_id)),
            orders=tuple(_orders(conn, collection_id)),
            sales=_sales(conn, collection_id, currency=None, unit=unit, tz=tz, until=until),
        )
