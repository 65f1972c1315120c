"""`gallery-desktop analytics [COLLECTION] [--json] [--by UNIT] [--kind KIND] [--top N]`: what
clients did, read from the local catalogue (works offline; `remote pull` fetches the latest).

Bucket dates are this computer's local days; other times are printed in local time, and in
the JSON as ISO 8601 UTC.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, TextIO, cast

from gallery_desktop.catalog.analytics import (
    KINDS,
    TOP_LIMIT,
    Analytics,
    Kind,
    MediaCount,
    Money,
    format_money,
    format_spend,
    read_analytics,
)
from gallery_desktop.catalog.analytics_buckets import UNITS, Series
from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog

BAR_WIDTH: Final = 30
CELL_WIDTH: Final = 48  # longer cells (order items) are cut with an ellipsis


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "analytics",
        help="what clients did: downloads, favourites, visitors, clients, store orders",
        description="Client activity of a collection (or of every collection), read from the "
        "local catalogue, so it works offline; `remote pull` fetches the latest. Downloads are "
        "counted per local day, week (from Monday) or month, chosen from the span unless --by "
        "says. Pending, cancelled and refunded orders are listed but are no sale.",
    )
    p.add_argument(
        "collection", metavar="COLLECTION", nargs="?", help="id or name (default: every one)"
    )
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--by", choices=UNITS, help="bucket downloads and sales by day, week or month")
    p.add_argument("--kind", choices=KINDS, default="all", help="downloads to chart (default: all)")
    p.add_argument(
        "--top",
        type=int,
        default=TOP_LIMIT,
        metavar="N",
        help=f"length of the top lists (default {TOP_LIMIT})",
    )


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    cid: int | None = None
    if args.collection is not None:
        with catalog.read() as session:
            cid = find_collection(session, args.collection).id
    data = read_analytics(
        catalog, cid, unit=args.by, until=datetime.now(UTC), limit=max(args.top, 0)
    )
    if args.json:
        json.dump(as_json(data, args.kind), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        write_report(data, args.kind, out)
    return 0


# -- JSON ------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _money(items: Sequence[Money]) -> list[dict[str, Any]]:
    return [{"currency": m.currency, "cents": m.cents} for m in items]


def _top(items: Sequence[MediaCount]) -> list[dict[str, Any]]:
    return [
        {
            "rank": t.rank,
            "media_id": t.media_id,
            "file_name": t.file_name,
            "path": t.path,
            "kind": t.kind,
            "collection": t.collection,
            "count": t.count,
            "people": t.people,
        }
        for t in items
    ]


def as_json(data: Analytics, kind: str = "all") -> dict[str, Any]:
    s = data.summary
    everything, photos, videos = (data.downloads[k] for k in ("all", "photo", "video"))
    chosen = data.downloads[cast(Kind, kind)]
    return {
        "collection": {"id": data.collection_id, "name": data.collection_name},
        "read_at": _iso(data.read_at),
        "summary": {
            "downloads": s.downloads,
            "photo_downloads": s.photo_downloads,
            "video_downloads": s.video_downloads,
            "downloaders": s.downloaders,
            "favourites": s.favourites,
            "favourite_lists": s.favourite_lists,
            "favouriters": s.favouriters,
            "visitors": s.visitors,
            "visits": s.visits,
            "clients": s.clients,
            "orders": s.orders,
            "revenue": _money(s.revenue),
            "last_activity": _iso(s.last_activity),
        },
        "downloads": {
            "unit": everything.unit,
            "kind": kind,
            "buckets": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "count": c.value,
                    "photo": ph.value,
                    "video": v.value,
                    "all": p.value,
                }
                for p, c, ph, v in zip(
                    everything.points, chosen.points, photos.points, videos.points, strict=True
                )
            ],
        },
        "top_downloaded": _top(data.top_downloaded),
        "top_favourited": _top(data.top_favourited),
        "visitors": [
            {
                "email": v.email,
                "name": v.name,
                "first_seen": _iso(v.first_seen),
                "last_seen": _iso(v.last_seen),
                "visits": v.visits,
            }
            for v in data.visitors
        ],
        "clients": [
            {
                "email": c.email,
                "name": c.name,
                "access": c.access,
                "favourites": c.favourites,
                "downloads": c.downloads,
                "visits": c.visits,
                "last_seen": _iso(c.last_seen),
                "orders": c.orders,
                "spend": _money(c.spend),
            }
            for c in data.clients
        ],
        "orders": [
            {
                "id": o.order_id,
                "placed_at": _iso(o.placed_at),
                "client_email": o.client_email,
                "client_name": o.client_name,
                "items": o.items,
                "items_summary": o.items_summary,
                "currency": o.total.currency,
                "total_cents": o.total.cents,
                "status": o.status,
                "sale": o.is_sale,
            }
            for o in data.orders
        ],
        "sales": {
            "unit": data.sales.unit,
            "currency": data.sales.currency,
            "buckets": [
                {"start": p.start.isoformat(), "end": p.end.isoformat(), "cents": p.value}
                for p in data.sales.points
            ],
        },
    }


# -- for people ------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"


def _cut(cell: str) -> str:
    return cell if len(cell) <= CELL_WIDTH else cell[: CELL_WIDTH - 1] + "…"


def _table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[str]], right: str) -> None:
    """Columns padded to fit; `right` holds one flag per column ("r" right-aligned, "l" not)."""
    cells = [[_cut(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if right[i] == "r" else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip() + "\n"

    out.write(line(headers))
    for row in cells:
        out.write(line(row))


def _bar(value: int, top: int) -> str:
    return "█" * round(BAR_WIDTH * value / top) if top else ""


def _series(out: TextIO, title: str, series: Series, counted: str, text: Any) -> None:
    top = max((p.value for p in series.points), default=0)
    out.write(f"\n{title}\n")
    rows = [[series.label(p, long=True), text(p.value), _bar(p.value, top)] for p in series.points]
    _table(out, [series.unit, counted, ""], rows, "lrl")


def _top_table(out: TextIO, title: str, items: Sequence[MediaCount], counted: str) -> None:
    out.write(f"\n{title}\n")
    if not items:
        out.write("  none yet\n")
        return
    rows = [[str(t.rank), t.file_name, t.kind, f"{t.count:,}", f"{t.people:,}"] for t in items]
    _table(out, ["#", "file", "kind", counted, "people"], rows, "rllrr")


def write_report(data: Analytics, kind: str, out: TextIO) -> None:
    s = data.summary
    out.write(f"{data.collection_name}: client activity, read from this computer ")
    out.write("(`gallery-desktop remote pull` fetches the latest)\n")
    sales = f"{format_spend(s.revenue)} from {s.orders:,} orders" if s.orders else "none"
    for label, value in (
        (
            "downloads",
            f"{s.downloads:,} ({s.photo_downloads:,} photos, "
            f"{s.video_downloads:,} videos) by {s.downloaders:,} people",
        ),
        (
            "favourites",
            f"{s.favourites:,} photos by {s.favouriters:,} people in {s.favourite_lists:,} lists",
        ),
        ("visitors", f"{s.visitors:,} ({s.visits:,} visits)"),
        ("clients", f"{s.clients:,} invited"),
        ("sales", sales),
        ("last activity", _local(s.last_activity)),
    ):
        out.write(f"  {label:<14} {value}\n")
    series = data.downloads[cast(Kind, kind)]
    noun = "downloads" if kind == "all" else f"{kind} downloads"
    if series.total:
        _series(out, f"{noun.capitalize()} by {series.unit}", series, noun, lambda v: f"{v:,}")
    else:
        out.write(f"\nNo {noun} yet.\n")
    _top_table(out, "Most downloaded", data.top_downloaded, "downloads")
    _top_table(out, "Most favourited", data.top_favourited, "in lists")
    out.write("\nClients\n")
    if data.clients:
        rows = [
            [
                c.name or "-",
                c.email,
                c.access or "-",
                f"{c.favourites:,}",
                f"{c.downloads:,}",
                f"{c.visits:,}",
                _local(c.last_seen),
                f"{c.orders:,}",
                format_spend(c.spend),
            ]
            for c in data.clients
        ]
        headers = [
            "name",
            "email",
            "access",
            "favourites",
            "downloads",
            "visits",
            "last seen",
            "orders",
            "spent",
        ]
        _table(out, headers, rows, "lllrrrlrr")
    else:
        out.write("  none yet\n")
    out.write("\nVisitors\n")
    if data.visitors:
        rows = [
            [v.email, v.name or "-", _local(v.first_seen), _local(v.last_seen), f"{v.visits:,}"]
            for v in data.visitors
        ]
        _table(out, ["email", "client", "first visit", "last visit", "visits"], rows, "llllr")
    else:
        out.write("  none yet\n")
    out.write("\nStore orders\n")
    if not data.orders:
        out.write("  none yet\n")
        return
    rows = [
        [
            _local(o.placed_at),
            o.client_name or o.client_email or "-",
            o.items_summary or "-",
            str(o.total),
            o.status if o.is_sale else f"{o.status} (no sale)",
        ]
        for o in data.orders
    ]
    _table(out, ["placed", "client", "items", "total", "status"], rows, "lllrl")
    currency = data.sales.currency or ""
    _series(
        out,
        f"Sales by {data.sales.unit} ({currency})",
        data.sales,
        "sales",
        lambda v: format_money(v, currency),
    )
