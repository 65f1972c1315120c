"""`gallery-desktop roots`: the library roots of the catalogue and where this seat mounts them.

roots [list] [--json]          every root: where it is mounted here, online or offline
roots add NAME DIR             a new root, mounted at DIR on this seat
roots map NAME DIR             where an existing root is mounted on this seat
roots unmap NAME               forget this seat's mount point (its collections go offline)
roots remove NAME              a root no collection uses any more
roots move COLLECTION --to NAME  store a collection's folder relative to a root
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.roots import (
    add_root,
    check_root_name,
    list_roots,
    move_to_root,
    remove_root,
    root_names,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.paths import AppPaths
from gallery_desktop.seat import changing_seat


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "roots",
        help="library roots: named places shoots live, mounted differently on each workstation",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
    )
    p.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=["list", "add", "map", "unmap", "remove", "move"],
    )
    p.add_argument("name", nargs="?", metavar="NAME|COLLECTION")
    p.add_argument("folder", nargs="?", metavar="DIR")
    p.add_argument("--to", metavar="ROOT", help="with move: the root to store the folder in")
    p.add_argument("--json", action="store_true", help="print as JSON")


def _mount_dir(folder: str | None) -> Path:
    if not folder:
        raise BadInputError("give the folder where the root is mounted on this workstation")
    where = Path(os.path.realpath(os.path.expanduser(folder)))
    if not where.is_dir():
        raise BadInputError(f"not a folder: {folder}")
    return where


def run(args: argparse.Namespace, catalog: Catalog, paths: AppPaths, out: TextIO) -> int:
    if args.action in ("add", "map", "unmap", "remove") and not args.name:
        raise BadInputError(f"roots {args.action} needs the root's NAME")
    if args.action == "add":
        name = check_root_name(args.name)
        where = _mount_dir(args.folder)
        add_root(catalog, name)
        with changing_seat(paths) as seat:
            seat.roots[name] = str(where)
        catalog.roots[name] = where
        out.write(f"library root {name!r} added; mounted here at {where}\n")
    elif args.action == "map":
        if args.name not in root_names(catalog).values():
            raise BadInputError(f"no library root {args.name!r}; `roots add` makes one")
        where = _mount_dir(args.folder)
        with changing_seat(paths) as seat:
            seat.roots[args.name] = str(where)
        catalog.roots[args.name] = where
        out.write(f"library root {args.name!r} is mounted here at {where}\n")
    elif args.action == "unmap":
        with changing_seat(paths) as seat:
            if seat.roots.pop(args.name, None) is None:
                raise BadInputError(f"library root {args.name!r} is not mapped on this workstation")
        catalog.roots.pop(args.name, None)
        out.write(f"library root {args.name!r} is no longer mapped here\n")
    elif args.action == "remove":
        remove_root(catalog, args.name)
        with changing_seat(paths) as seat:
            seat.roots.pop(args.name, None)
        out.write(f"library root {args.name!r} removed\n")
    elif args.action == "move":
        if not args.name or not args.to:
            raise BadInputError("roots move COLLECTION --to ROOT")
        with catalog.read() as session:
            collection = find_collection(session, args.name)
        assert collection.id is not None
        rel = move_to_root(catalog, collection.id, args.to)
        out.write(
            f"collection {collection.name!r} is now in {args.to!r} at "
            f"{rel.decode('utf-8', 'backslashreplace')}\n"
        )
    roots = list_roots(catalog)
    if args.json:
        json.dump([r.as_dict() for r in roots], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.action == "list":
        if not roots:
            out.write("no library roots: `roots add NAME DIR` makes one\n")
        for r in roots:
            state = "online" if r.online else "OFFLINE"
            out.write(
                f"{r.name:<20} {state:<8} {r.collections:>4} collections  "
                f"{r.mount or '(not mapped on this workstation)'}\n"
            )
    return 0
