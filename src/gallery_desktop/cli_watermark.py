"""`gallery-desktop watermark ...`: named watermark presets, headless."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from pathlib import Path
from typing import Any, TextIO

from PIL import Image

from gallery_desktop.catalog.collections import find_collection, find_gallery
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watermarks import (
    WatermarkPreset,
    add_watermark,
    delete_watermark,
    get_watermark,
    list_watermarks,
    read_logo,
    set_collection_watermark,
    set_gallery_watermark,
    update_watermark,
)
from gallery_desktop.errors import BadInputError
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.export import PRESETS, ExportSettings, MetadataPolicy, render_photo
from gallery_desktop.media.watermark import LAYOUTS, TokenValues, WatermarkSpec, apply_watermark


def share(text: str) -> float:
    """'4%' or '0.04' → 0.04 (a share of the image)."""
    text = text.strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or a percentage") from exc
    return value


def _spec_options(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    d = WatermarkSpec() if defaults else None

    def default(name: str) -> Any:
        return getattr(d, name) if d is not None else None

    p.add_argument(
        "--text", help="text to draw; tokens: {collection} {client} {date} {year} {filename}"
    )
    p.add_argument("--font", help="font file, or a font name such as DejaVuSans or DejaVuSerif")
    p.add_argument(
        "--size",
        dest="text_scale",
        type=share,
        default=default("text_scale"),
        metavar="SHARE",
        help="text height as a share of the short edge (e.g. 4%%)",
    )
    p.add_argument(
        "--colour",
        "--color",
        dest="colour",
        default=default("colour"),
        help="text colour, e.g. #ffffff or white",
    )
    p.add_argument(
        "--opacity",
        type=share,
        default=default("opacity"),
        metavar="SHARE",
        help="text opacity, 0-1 or a percentage",
    )
    p.add_argument(
        "--shadow",
        action=argparse.BooleanOptionalAction,
        default=default("shadow"),
        help="a soft shadow under the text",
    )
    p.add_argument(
        "--outline",
        action=argparse.BooleanOptionalAction,
        default=default("outline"),
        help="a contrasting outline around the text",
    )
    p.add_argument("--logo", metavar="FILE", help="logo image (PNG with transparency)")
    p.add_argument(
        "--logo-size",
        dest="logo_scale",
        type=share,
        default=default("logo_scale"),
        metavar="SHARE",
        help="logo's long edge as a share of the short edge",
    )
    p.add_argument("--logo-opacity", type=share, default=default("logo_opacity"), metavar="SHARE")
    p.add_argument("--position", choices=LAYOUTS, default=default("position"))
    p.add_argument(
        "--margin",
        type=share,
        default=default("margin"),
        metavar="SHARE",
        help="distance from the edges as a share of the short edge",
    )


def add_parser(sub: Any) -> None:
    wm = sub.add_parser("watermark", help="watermark presets: add, list, show, edit, use")
    wsub = wm.add_subparsers(dest="wm_command", metavar="ACTION", required=True)
    add = wsub.add_parser("add", help="save a new watermark preset")
    add.add_argument("name", metavar="NAME")
    _spec_options(add, defaults=True)

    lst = wsub.add_parser("list", help="list the presets")
    lst.add_argument("--json", action="store_true")

    show = wsub.add_parser("show", help="one preset's settings (and a preview picture)")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true")
    show.add_argument("--preview", metavar="OUT.jpg", help="draw the preset on a photo and save")
    show.add_argument(
        "--on", metavar="PHOTO", help="the photo for --preview (default: a grey 3:2 sample)"
    )

    edit = wsub.add_parser("edit", help="change settings of a preset")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--rename", metavar="NEW")
    edit.add_argument("--no-logo", action="store_true", help="remove the logo")
    _spec_options(edit, defaults=False)

    rm = wsub.add_parser("remove", help="delete a preset (who used it gets none)")
    rm.add_argument("name", metavar="NAME")

    use = wsub.add_parser("use", help="make a preset a collection's default, or a gallery's own")
    use.add_argument("name", metavar="NAME", help="a preset, or 'none'")
    use.add_argument("--collection", required=True, metavar="COLLECTION")
    use.add_argument("--gallery", metavar="GALLERY", help="override for this gallery only")


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    fields = [f.name for f in dataclasses.fields(WatermarkSpec) if f.name != "logo"]
    out = {k: getattr(args, k) for k in fields if getattr(args, k, None) is not None}
    if args.logo:
        out["logo"] = read_logo(args.logo)
    return out


def _describe(p: WatermarkPreset) -> str:
    s = p.spec
    what = []
    if s.text:
        what.append(f"text {s.text!r} {s.text_scale:.1%} {s.colour} at {s.opacity:.0%}")
    if s.logo:
        what.append(
            f"logo {p.logo_path or '(kept in the catalogue)'} {s.logo_scale:.0%} at "
            f"{s.logo_opacity:.0%}"
        )
    return f"{p.id:>4}  {p.name:<24} {s.position:<13} " + "; ".join(what)


def _sample() -> Image.Image:
    """A neutral 3:2 picture with a gradient, to preview a preset without a photo."""
    im = Image.linear_gradient("L").resize((2048, 1365)).convert("RGB")
    return im


def _preview(args: argparse.Namespace, preset: WatermarkPreset, out: TextIO) -> None:
    tokens = TokenValues(collection="Collection", date="2026-01-01", filename="IMG_0001.jpg")
    if args.on:
        try:
            data = Path(args.on).read_bytes()
        except OSError as exc:
            raise BadInputError(f"cannot read {args.on}: {exc.strerror or exc}") from exc
        tokens = dataclasses.replace(tokens, filename=Path(args.on).name)
        settings = ExportSettings(PRESETS["web2048"], metadata=MetadataPolicy.NONE)
        try:
            jpeg = render_photo(data, settings, preset.spec, tokens).data
        except DecodeError as exc:
            raise BadInputError(f"{args.on}: {exc}") from exc
        assert jpeg is not None
    else:
        buf = io.BytesIO()
        apply_watermark(_sample(), preset.spec, tokens).save(buf, "JPEG", quality=90)
        jpeg = buf.getvalue()
    try:
        Path(args.preview).write_bytes(jpeg)
    except OSError as exc:
        raise BadInputError(f"cannot write {args.preview}: {exc.strerror or exc}") from exc
    out.write(f"preview written to {args.preview}\n")


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    action = args.wm_command
    if action == "add":
        changes = _changes(args)
        preset = add_watermark(catalog, args.name, WatermarkSpec(**changes), logo_path=args.logo)
        out.write(f"watermark {preset.name!r} saved (id {preset.id})\n")
    elif action == "list":
        presets = list_watermarks(catalog)
        if args.json:
            json.dump([p.as_dict() for p in presets], out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif not presets:
            out.write("no watermark presets yet: `gallery-desktop watermark add NAME --text ...`\n")
        for p in [] if args.json else presets:
            out.write(_describe(p) + "\n")
    elif action == "show":
        preset = get_watermark(catalog, args.name)
        if args.json:
            json.dump(preset.as_dict(), out, ensure_ascii=False, indent=2)
            out.write("\n")
        else:
            for key, value in preset.as_dict().items():
                out.write(f"{key:>13}: {value}\n")
        if args.preview:
            _preview(args, preset, out)
    elif action == "edit":
        changes = _changes(args)
        if args.no_logo:
            changes["logo"] = None
        preset = update_watermark(
            catalog, args.name, name=args.rename, logo_path=args.logo, **changes
        )
        out.write(f"watermark {preset.name!r} updated\n")
    elif action == "remove":
        out.write(f"watermark {delete_watermark(catalog, args.name)!r} removed\n")
    elif action == "use":
        ref = None if args.name.lower() == "none" else args.name
        with catalog.read() as session:
            collection = find_collection(session, args.collection)
            assert collection.id is not None
            gallery = find_gallery(session, collection.id, args.gallery) if args.gallery else None
        if gallery is not None:
            assert gallery.id is not None
            set_gallery_watermark(catalog, gallery.id, ref)
            chosen = f"watermark {ref}" if ref else "the collection's watermark"
            out.write(f"gallery {gallery.name!r}: {chosen}\n")
        else:
            set_collection_watermark(catalog, collection.id, ref)
            out.write(f"collection {collection.name!r}: watermark {ref or 'none'}\n")
    return 0
