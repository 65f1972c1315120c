"""`gallery-desktop defaults [SHOOT_TYPE] [--json]`, `... SHOOT_TYPE set KEY=VALUE ...`,
`reset`, `remove`, `apply COLLECTION`, and `--default-type TYPE` for new collections."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from gallery_desktop.catalog.collection_defaults import (
    DEFAULT_SETTINGS,
    SHOOT_TYPES,
    ShootDefaults,
    default_shoot_type,
    get_defaults,
    list_defaults,
    reapply_defaults,
    remove_shoot_type,
    reset_defaults,
    set_default_shoot_type,
    set_defaults,
)
from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError


def add_parser(sub: Any) -> None:
    keys = "\n".join(f"  {k:<22} {s.help}" for k, s in DEFAULT_SETTINGS.items())
    p = sub.add_parser(
        "defaults",
        help="what new collections start with, per shoot type: show, or `set KEY=VALUE ...`",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Prints the collection defaults of every shoot type (or of one). A new "
        "collection starts from its shoot type's defaults (`import FOLDER --shoot-type TYPE`; "
        "without one, the default shoot type chosen with --default-type). Existing "
        "collections are never changed, except by `apply`.\n\n"
        "  SHOOT_TYPE set KEY=VALUE ...  change defaults (a new name adds a custom type); a bad "
        "key or value\n                               is an error and changes nothing\n"
        "  SHOOT_TYPE reset              a built-in type back to its built-in values\n"
        "  SHOOT_TYPE remove             remove a custom type\n"
        "  SHOOT_TYPE apply COLLECTION   give an existing collection these defaults (its "
        "password is kept)\n\n"
        f"built-in shoot types: {', '.join(SHOOT_TYPES)}\n\nkeys:\n{keys}",
    )
    p.add_argument("shoot_type", nargs="?", metavar="SHOOT_TYPE")
    p.add_argument("action", nargs="?", choices=["set", "reset", "remove", "apply"])
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE")
    p.add_argument(
        "--default-type",
        metavar="TYPE",
        help="the shoot type of new collections imported without one (none: no type)",
    )
    p.add_argument("--json", action="store_true", help="print as JSON")


def _on(value: bool) -> str:
    return "on" if value else "off"


def _line(d: ShootDefaults, default: str | None) -> str:
    kind = "built in" if d.builtin else "custom"
    if d.builtin and d.saved:
        kind += ", changed"
    mark = "  (new collections without a type)" if d.shoot_type == default else ""
    sizes = ", ".join(d.download_sizes) or "none"
    downloads = f"{sizes}{', watermarked' if d.download_watermarked else ''}"
    return (
        f"{d.shoot_type}  [{kind}]{mark}\n"
        f"  password {'required' if d.password_on else 'off'}; "
        f"expires {f'after {d.expiry_days} days' if d.expiry_days else 'never'}; "
        f"downloads {downloads if d.downloadable else 'off'}; "
        f"visitor emails {_on(d.visitor_email_capture)}; store {_on(d.store_enabled)}; "
        f"watermark {d.watermark or '-'}; template {d.template or '-'}\n"
    )


def _apply(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    if len(args.assignments) != 1:
        raise BadInputError("apply needs one collection: defaults SHOOT_TYPE apply COLLECTION")
    with catalog.read() as session:
        collection = find_collection(session, args.assignments[0])
    assert collection.id is not None
    d = reapply_defaults(catalog, collection.id, args.shoot_type)
    if args.json:
        json.dump({"collection": collection.name, **d.as_dict()}, out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(f"{collection.name!r} now has the defaults of {d.shoot_type}\n")
    return 0


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    if args.action is not None and args.shoot_type is None:
        raise BadInputError(f"which shoot type? defaults SHOOT_TYPE {args.action} ...")
    if args.assignments and args.action not in ("set", "apply"):
        raise BadInputError("to change defaults: defaults SHOOT_TYPE set KEY=VALUE ...")
    if args.default_type is not None:
        chosen = args.default_type.strip()
        set_default_shoot_type(catalog, None if chosen.lower() == "none" else chosen)
    if args.action == "apply":
        return _apply(args, catalog, out)
    if args.action == "set":
        set_defaults(catalog, args.shoot_type, args.assignments)
    elif args.action == "reset":
        reset_defaults(catalog, args.shoot_type)
    elif args.action == "remove":
        remove_shoot_type(catalog, args.shoot_type)
        out.write(f"removed shoot type {args.shoot_type.strip().lower()!r}\n")
        return 0
    default = default_shoot_type(catalog)
    if args.shoot_type is not None:
        d = get_defaults(catalog, args.shoot_type)
        if args.json:
            data: Any = {**d.as_dict(), "default_for_new": d.shoot_type == default}
        else:
            out.write(_line(d, default))
            return 0
    else:
        rows = list_defaults(catalog)
        if args.json:
            data = {"default_shoot_type": default, "shoot_types": [d.as_dict() for d in rows]}
        else:
            out.write(f"new collections without a shoot type: {default or 'no defaults'}\n")
            out.writelines(_line(d, default) for d in rows)
            return 0
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0
