"""`gallery-desktop favourites COLLECTION ...`: who favourited what (with notes), the favourites'
file names for Lightroom / Capture One, or a folder of copies of their originals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import (
    FavouritedPhoto,
    describe,
    favourite_file_names,
    favourited_photos,
    who_favourited,
)
from gallery_desktop.catalog.media import ANYONE, BY_ALL_CLIENTS, NOT_DOWNLOADED
from gallery_desktop.export.favourite_copies import copy_favourites, whose
from gallery_desktop.export.run import ExportProgress, ExportSummary
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.terminal import ProgressLine


def add_parser(sub: Any) -> None:
    fav = sub.add_parser(
        "favourites",
        help="client favourites pulled from the gallery service: who chose what, their "
        "file names, or copies of their originals",
        description="By default lists the favourited photos with how many clients chose each, "
        "who, in which list, when, and their notes. --names prints the file names (one per "
        "line: Lightroom's Library Filter and Capture One's search take them comma-separated, "
        "e.g. `... --names | paste -sd,`). --copy-to copies the originals, byte for byte, "
        "into a folder outside the collection; nothing there is replaced (clashes get ' (2)').",
    )
    fav.add_argument("collection", metavar="COLLECTION", help="id or name")
    who = fav.add_mutually_exclusive_group()
    who.add_argument("--client", metavar="EMAIL", help="only this client's favourites")
    who.add_argument(
        "--all-clients", action="store_true", help="only photos every client favourited"
    )
    who.add_argument(
        "--not-downloaded",
        action="store_true",
        help="only favourites nobody has downloaded yet",
    )
    what = fav.add_mutually_exclusive_group()
    what.add_argument(
        "--names", action="store_true", help="print the file names (without extension)"
    )
    what.add_argument(
        "--copy-to", metavar="DIR", type=Path, help="copy the originals into this folder"
    )
    fav.add_argument("--json", action="store_true", help="print the result as JSON")
    fav.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)


def _who(args: argparse.Namespace) -> str:
    if args.client:
        return str(args.client).strip().lower()
    if args.all_clients:
        return BY_ALL_CLIENTS
    if args.not_downloaded:
        return NOT_DOWNLOADED
    return ANYONE


class _Progress:
    def __init__(self, stream: TextIO) -> None:
        self.line = ProgressLine(stream)

    def __call__(self, p: ExportProgress) -> None:
        self.line.show("copy", p.done, p.total, p.current)
        if p.done == p.total:
            self.line.clear()


def _dump(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _list(photos: list[FavouritedPhoto], header: str, out: TextIO) -> None:
    out.write(f"{header}\n")
    for p in photos:
        out.write(f"{p.clients:>3} ♥  {p.record.path}")
        out.write(f"  ({p.record.state})\n" if p.record.state != "ok" else "\n")
        for mark in p.favourites:
            out.write(f"        {describe(mark)}\n")


def _copied(s: ExportSummary, out: TextIO) -> None:
    if s.cancelled:
        out.write("copy cancelled: nothing was kept\n")
        return
    out.write(f"copied {len(s.written)} originals ({s.bytes_written / 1e6:.1f} MB) to {s.target}\n")
    if s.failed:
        out.write(f"not copied: {len(s.failed)}\n")
        for media, why in s.failed:
            out.write(f"  {media}: {why}\n")


def run(
    args: argparse.Namespace, catalog: Catalog, out: TextIO, err: TextIO, cancel: CancelToken
) -> int:
    with catalog.read() as session:
        collection = find_collection(session, args.collection)
    assert collection.id is not None
    who = _who(args)
    if args.copy_to is not None:
        summary = copy_favourites(
            catalog,
            collection.id,
            args.copy_to,
            who,
            progress=_Progress(err),
            cancel=cancel,
            workers=args.workers,
        )
        if args.json:
            _dump(summary.as_dict(), out)
        else:
            _copied(summary, out)
        return 0 if summary.ok else 1
    if args.names:
        names = favourite_file_names(catalog, collection.id, who)
        if args.json:
            _dump(names, out)
        else:
            out.writelines(f"{n}\n" for n in names)
        return 0
    photos = favourited_photos(catalog, collection.id, who)
    clients = who_favourited(catalog, collection.id)
    if args.json:
        _dump(
            {
                "collection": {"id": collection.id, "name": collection.name},
                "choice": who,
                "clients": [
                    {"email": c.email, "name": c.name, "lists": c.lists, "photos": c.photos}
                    for c in clients
                ],
                "photos": [p.as_dict() for p in photos],
            },
            out,
        )
        return 0
    if not clients:
        out.write(f"{collection.name}: no client favourites (pull them with `remote pull`)\n")
        return 0
    out.write(f"{collection.name}: favourites of {len(clients)} client(s)\n")
    for c in clients:
        name = f"{c.name} <{c.email}>" if c.name else c.email
        lists = f", {c.lists} lists" if c.lists != 1 else ""
        out.write(f"  {name}: {c.photos} photo(s){lists}\n")
    _list(photos, f"{len(photos)} photo(s), {whose(who)}:", out)
    return 0
