"""`gallery-desktop cover COLLECTION --out FILE.png` and `gallery-desktop templates`: the
client's cover page drawn offline, and the templates there are."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.templates import cover_spec, get_template, list_templates, read_design
from gallery_desktop.errors import BadInputError
from gallery_desktop.media.cover_page import (
    DEFAULT_SIZE,
    MAX_PAGE_EDGE,
    MIN_PAGE_EDGE,
    CoverError,
    load_cover_photo,
    render_cover_page,
)
from gallery_desktop.media.thumbnails import ThumbnailCache

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def page_size(text: str) -> tuple[int, int]:
    """'1600x1000' → (1600, 1000)."""
    w, sep, h = text.lower().replace("×", "x").partition("x")
    try:
        size = int(w), int(h)
    except ValueError:
        size = (0, 0)
    if not sep or not all(MIN_PAGE_EDGE <= v <= MAX_PAGE_EDGE for v in size):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a page size: use WIDTHxHEIGHT, {MIN_PAGE_EDGE} to "
            f"{MAX_PAGE_EDGE} px a side (e.g. 1600x1000)"
        )
    return size


def add_parser(sub: Any) -> None:
    cover = sub.add_parser(
        "cover",
        help="draw a collection's cover page as its client will see it",
        description="Draws the cover page from the collection's template (or --template, "
        "nothing saved), its cover photo and focal point, title and date.",
    )
    cover.add_argument("collection", metavar="COLLECTION", help="id or name")
    cover.add_argument("--out", required=True, metavar="FILE.png", help=".png, .jpg or .webp")
    cover.add_argument("--template", metavar="NAME", help="draw with this template instead")
    cover.add_argument(
        "--size",
        type=page_size,
        default=DEFAULT_SIZE,
        metavar="WxH",
        help=f"page size in pixels (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})",
    )
    templates = sub.add_parser("templates", help="list the cover and display templates")
    templates.add_argument("--json", action="store_true", help="print as JSON")


def run(
    args: argparse.Namespace, catalog: Catalog, out: TextIO, cache: ThumbnailCache | None = None
) -> int:
    if args.command == "templates":
        return _templates(args, catalog, out)
    if args.command == "cover":
        return _cover(args, catalog, out, cache)
    raise AssertionError(args.command)


def _templates(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    records = list_templates(catalog)
    if args.json:
        json.dump([r.as_dict() for r in records], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in records:
        s = r.style
        out.write(
            f"{r.id:>4}  {r.name:<24} {'built-in' if r.builtin else 'yours':<8}  "
            f"cover {s.cover_layout}, {s.title_font} title; {s.theme}; grid {s.grid_style}, "
            f"{s.thumbnail_size} thumbnails, {s.grid_spacing} spacing\n"
        )
    return 0


def _cover(
    args: argparse.Namespace, catalog: Catalog, out: TextIO, cache: ThumbnailCache | None
) -> int:
    target = Path(args.out)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise BadInputError(f"{args.out}: write the cover as .png, .jpg or .webp")
    if not target.parent.is_dir():
        raise BadInputError(f"{args.out}: the folder {target.parent} does not exist")
    with catalog.read() as session:
        collection = find_collection(session, args.collection)
    assert collection.id is not None
    template = get_template(catalog, args.template) if args.template else None
    spec = cover_spec(catalog, collection.id, template.id if template else None)
    name = template.name if template else _template_name(catalog, collection.id)
    photo = load_cover_photo(spec, 2 * max(args.size), cache)
    try:
        page = render_cover_page(spec, photo, args.size)
    except CoverError as exc:
        raise BadInputError(f"cannot draw this cover: {exc}") from exc
    partial = target.with_name(f".{target.name}.partial")
    try:
        page.save(partial, fmt, **({"quality": 92} if fmt != "PNG" else {}))
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BadInputError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    what = "cover photo" if photo is not None else "no cover photo yet"
    out.write(
        f"cover of {collection.name!r} ({name}, {what}, {args.size[0]}×{args.size[1]}) "
        f"written to {target}\n"
    )
    return 0


def _template_name(catalog: Catalog, collection_id: int) -> str:
    design = read_design(catalog, collection_id)
    return get_template(catalog, design.template_id).name
