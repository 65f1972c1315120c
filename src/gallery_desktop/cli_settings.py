"""`gallery-desktop settings COLLECTION [--json]` and `... set KEY=VALUE ...`."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any, TextIO

from gallery_desktop.catalog.collection_settings import SETTINGS, apply_settings
from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import (
    before_download_settings,
    before_show,
    read_settings,
)
from gallery_desktop.errors import BadInputError


def add_parser(sub: Any) -> None:
    keys = "\n".join(f"  {k:<22} {s.help}" for k, s in SETTINGS.items())
    p = sub.add_parser(
        "settings",
        help="what clients may do with a collection: show, or `set KEY=VALUE ...`",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Prints the collection's client settings and what a client will "
        "experience (before_show, before_download_settings). With `set`, changes settings; "
        "a bad key or value is an error and changes nothing.\n\nkeys:\n" + keys,
    )
    p.add_argument("collection", metavar="COLLECTION", help="id or name")
    p.add_argument("action", nargs="?", choices=["set"], help="set KEY=VALUE ...")
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true", help="print as JSON")


def report(catalog: Catalog, collection_id: int) -> dict[str, Any]:
    s = read_settings(catalog, collection_id)
    today = date.today()
    return {
        "collection": s.name,
        "settings": {
            "status": s.status,
            "password": bool(s.password),
            "expiry_date": s.expiry_date,
            "downloadable": s.downloadable,
            "download_sizes": list(s.sizes),
            "download_pin": bool(s.pin),
            "watermarked_downloads": s.watermarked,
            "client_exclusive": s.client_exclusive,
        },
        "before_show": before_show(s, today).as_dict(),
        "before_download_settings": before_download_settings(s, today).as_dict(),
        "galleries": [
            {
                "id": g.id,
                "name": g.name,
                "private": g.private,
                "before_download_settings": before_download_settings(
                    s, today, gallery_id=g.id
                ).as_dict(),
            }
            for g in s.galleries
        ],
    }


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    with catalog.read() as session:
        collection = find_collection(session, args.collection)
    assert collection.id is not None
    if args.action == "set":
        apply_settings(catalog, collection.id, args.assignments)
    elif args.assignments:
        raise BadInputError("to change settings: settings COLLECTION set KEY=VALUE ...")
    data = report(catalog, collection.id)
    if args.json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
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
    return 0
