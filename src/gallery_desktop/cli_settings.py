"""`gallery-desktop settings COLLECTION [--json]` and its changes:

settings COLLECTION set KEY=VALUE ...                 the collection's client settings
settings COLLECTION set --gallery NAME KEY=VALUE ...  a gallery's own choices
settings COLLECTION client add EMAIL [--name N] [--access view|favourite|download]
settings COLLECTION client remove EMAIL
settings COLLECTION store [--currency EUR] [--minimum 25] [--product "Print: 8x10=25"]...
settings COLLECTION link add FILE [--expires DATE] | link expire ID [DATE] | link revoke ID
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date
from typing import Any, TextIO

from sqlalchemy import text

from gallery_desktop.catalog.client_experience import client_experience
from gallery_desktop.catalog.clients import ClientEntry, list_clients, remove_client, upsert_client
from gallery_desktop.catalog.collection_settings import (
    GALLERY_SETTINGS,
    SETTINGS,
    apply_gallery_settings,
    apply_settings,
)
from gallery_desktop.catalog.collections import find_collection, find_gallery
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import (
    before_download_settings,
    before_show,
    read_settings,
)
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.sharing_links import (
    create_link,
    list_links,
    revoke_link,
    set_link_expiry,
)
from gallery_desktop.catalog.store import format_money, parse_money, parse_price_list, read_store
from gallery_desktop.catalog.store import save_store as write_store
from gallery_desktop.errors import BadInputError

ACTIONS = ("set", "gallery", "client", "store", "link")


def add_parser(sub: Any) -> None:
    keys = "\n".join(f"  {k:<22} {s.help}" for k, s in SETTINGS.items())
    gallery_keys = "\n".join(f"  {k:<22} {s.help}" for k, s in GALLERY_SETTINGS.items())
    p = sub.add_parser(
        "settings",
        help="what clients may do with a collection: show, or `set KEY=VALUE ...`",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Prints the collection's client settings and what a client will "
        "experience (before_show, before_download_settings). With `set`, changes settings; "
        "a bad key or value is an error and changes nothing.\n\n"
        "  settings COLLECTION set KEY=VALUE ...\n"
        "  settings COLLECTION gallery NAME KEY=VALUE ...\n"
        "  settings COLLECTION client add EMAIL [--name NAME] [--access LEVEL]\n"
        "  settings COLLECTION client remove EMAIL\n"
        "  settings COLLECTION store [--currency EUR] [--minimum 25.00] "
        "[--product 'Print: 8x10=25, 11x14=40' ...]\n"
        "  settings COLLECTION link add FILE [--expires YYYY-MM-DD]\n"
        "  settings COLLECTION link expire ID [YYYY-MM-DD] | link revoke ID\n\n"
        f"keys:\n{keys}\n\ngallery keys:\n{gallery_keys}",
    )
    p.add_argument("collection", metavar="COLLECTION", help="id or name")
    p.add_argument("action", nargs="?", choices=ACTIONS, help="what to change")
    p.add_argument("assignments", nargs="*", metavar="ARG", help="KEY=VALUE, or the action's")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--name", default="", help="client add: the client's name")
    p.add_argument(
        "--access",
        default="view",
        choices=["view", "favourite", "download"],
        help="client add: what the client may do (default view)",
    )
    p.add_argument("--currency", help="store: ISO 4217 code such as EUR")
    p.add_argument("--minimum", help="store: minimum order amount, e.g. 25.00 (0: none)")
    p.add_argument(
        "--product",
        action="append",
        metavar="'NAME: SIZE=PRICE, ...'",
        help="store: a product of the price sheet (repeat; replaces the sheet)",
    )
    p.add_argument("--expires", metavar="YYYY-MM-DD", help="link add: last day the link works")


def report(catalog: Catalog, collection_id: int) -> dict[str, Any]:
    s = read_settings(catalog, collection_id)
    today = date.today()
    store = read_store(catalog, collection_id)
    clients = list_clients(catalog, collection_id)
    now = utcnow()
    return {
        "collection": s.name,
        "settings": {
            "status": s.status,
            "password": bool(s.password),
            "expiry_date": s.expiry_date,
            "expiry_reminder_days": s.reminder_days,
            "downloadable": s.downloadable,
            "download_sizes": list(s.sizes),
            "download_pin": bool(s.pin),
            "download_limit": s.limit,
            "download_single": s.single,
            "download_bulk": s.bulk,
            "watermarked_downloads": s.watermarked,
            "client_exclusive": s.client_exclusive,
            "visitor_email_capture": s.visitor_email_capture,
            "store": store.enabled,
        },
        "before_show": before_show(s, today).as_dict(),
        "before_download_settings": before_download_settings(s, today).as_dict(),
        "galleries": [
            {
                "id": g.id,
                "name": g.name,
                "private": g.private,
                "override": g.override,
                "before_download_settings": before_download_settings(
                    s, today, gallery_id=g.id
                ).as_dict(),
            }
            for g in s.galleries
        ],
        "clients": [
            {
                **c.as_dict(),
                "before_download_settings": before_download_settings(
                    s, today, client=c.email
                ).as_dict(),
            }
            for c in clients
        ],
        "store": {
            "enabled": store.enabled,
            "currency": store.currency,
            "minimum_order_cents": store.minimum_order_cents,
            "price_sheet": store.price_sheet(),
        },
        "sharing_links": [link.as_dict(now) for link in list_links(catalog, collection_id)],
        "experience": [
            {"kind": x.kind, "text": x.text}
            for x in client_experience(
                s, today, store=store, client_names={c.email: c.name for c in clients}
            )
        ],
    }


def _one(args: argparse.Namespace, what: str, count: int = 1) -> list[str]:
    got: list[str] = args.assignments[1:]
    if len(got) < count or len(got) > count + (what == "link expire"):
        raise BadInputError(f"usage: settings COLLECTION {what} … (see --help)")
    return got


def _client(args: argparse.Namespace, catalog: Catalog, cid: int) -> None:
    verb = args.assignments[0] if args.assignments else ""
    if verb == "add":
        (email,) = _one(args, "client add EMAIL")
        upsert_client(catalog, cid, ClientEntry(email, args.name, args.access))
    elif verb == "remove":
        (email,) = _one(args, "client remove EMAIL")
        remove_client(catalog, cid, email)
    else:
        raise BadInputError("use `client add EMAIL [--name N] [--access …]` or `client remove`")


def _store(args: argparse.Namespace, catalog: Catalog, cid: int) -> None:
    if args.assignments:
        raise BadInputError("store takes options: --currency, --minimum, --product")
    store = read_store(catalog, cid)
    if args.currency is not None:
        store = replace(store, currency=args.currency)
    if args.minimum is not None:
        try:
            store = replace(store, minimum_order_cents=parse_money(args.minimum))
        except ValueError as exc:
            raise BadInputError(f"--minimum: {exc}") from None
    if args.product:
        store = replace(store, products=parse_price_list(args.product))
    write_store(catalog, cid, store)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{value!r} is not a date like 2027-06-30") from None


def _link_id(value: str) -> int:
    if not value.isdigit():
        raise BadInputError(f"{value!r} is not a link id (`settings COLLECTION` lists them)")
    return int(value)


def _media_named(catalog: Catalog, cid: int, ref: str) -> int:
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM media WHERE collection_id = :c AND state = 'ok' AND "
                "(path = :r OR path LIKE :tail ESCAPE '\\' OR CAST(id AS TEXT) = :r)"
            ),
            {
                "c": cid,
                "r": ref,
                "tail": "%/" + ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),
            },
        ).all()
    if len(rows) != 1:
        raise BadInputError(
            f"no photo {ref!r} in this collection" if not rows else f"several files are {ref!r}"
        )
    return int(rows[0].id)


def _link(args: argparse.Namespace, catalog: Catalog, cid: int) -> None:
    verb = args.assignments[0] if args.assignments else ""
    if verb == "add":
        (ref,) = _one(args, "link add FILE")
        create_link(
            catalog, _media_named(catalog, cid, ref), _day(args.expires) if args.expires else None
        )
    elif verb == "expire":
        got = _one(args, "link expire ID [DATE]")
        set_link_expiry(catalog, _link_id(got[0]), _day(got[1]) if len(got) > 1 else None)
    elif verb == "revoke":
        (ref,) = _one(args, "link revoke ID")
        revoke_link(catalog, _link_id(ref))
    else:
        raise BadInputError("use `link add FILE`, `link expire ID [DATE]` or `link revoke ID`")


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    with catalog.read() as session:
        collection = find_collection(session, args.collection)
        cid = collection.id
        assert cid is not None
        if args.action == "gallery":
            if not args.assignments:
                raise BadInputError("usage: settings COLLECTION gallery NAME KEY=VALUE ...")
            found = find_gallery(session, cid, args.assignments[0]).id
            assert found is not None
            gallery_id: int = found
    if args.action == "set":
        apply_settings(catalog, cid, args.assignments)
    elif args.action == "gallery":
        apply_gallery_settings(catalog, cid, gallery_id, args.assignments[1:])
    elif args.action == "client":
        _client(args, catalog, cid)
    elif args.action == "store":
        _store(args, catalog, cid)
    elif args.action == "link":
        _link(args, catalog, cid)
    elif args.assignments:
        raise BadInputError("to change settings: settings COLLECTION set KEY=VALUE ...")
    data = report(catalog, cid)
    if args.json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    _print(data, out)
    return 0


def _print(data: dict[str, Any], out: TextIO) -> None:
    show, dl = data["before_show"], data["before_download_settings"]
    out.write(f"{data['collection']}\n")
    for key, value in data["settings"].items():
        out.write(f"  {key:<22} {value}\n")
    out.write(f"clients will {'see' if show['visible'] else 'NOT see'} it: {show['reason']}\n")
    sizes = ", ".join(dl["sizes"]) or "-"
    out.write(
        f"downloads: {'yes' if dl['downloadable'] else 'no'} ({dl['reason']}); sizes {sizes}; "
        f"PIN {'required' if dl['pin_required'] else 'not asked'}; "
        f"{'watermarked' if dl['watermarked'] else 'clean'}\n"
    )
    for c in data["clients"]:
        out.write(f"client {c['email']} ({c['name'] or 'no name'}): {c['access']}\n")
    store = data["store"]
    for product in store["price_sheet"]:
        prices = ", ".join(
            f"{s['label']} {format_money(s['price_cents'], store['currency'])}"
            for s in product["sizes"]
        )
        out.write(f"price {product['name']}: {prices}\n")
    for link in data["sharing_links"]:
        out.write(f"link {link['id']} {link['file']}: {link['state']} {link['url'] or ''}\n")
    marks = {"ok": "✓", "no": "✗", "info": "•"}
    out.write("\nwhat your client will experience:\n")
    for sentence in data["experience"]:
        out.write(f"{marks[sentence['kind']]} {sentence['text']}\n")
