"""A watermark preset drawn onto an image: one pure Pillow function for export, upload and preview.

Sizes are shares of the image's short edge, so a mark looks the same on a 640 px web copy, the
1600 px preview in the editor and a 6000 px original, and the same on landscape and portrait.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from PIL import Image, ImageColor, ImageDraw, ImageFilter, ImageFont

from gallery_desktop.paths import resource

ANCHORS: Final = (
    "top-left",
    "top",
    "top-right",
    "left",
    "center",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
)
LAYOUTS: Final = (*ANCHORS, "tiled", "diagonal")
TOKENS: Final = ("collection", "client", "date", "year", "filename")

# Bounds that keep a preset sensible (and a typo from drawing a 40000 px font).
TEXT_SCALE_RANGE: Final = (0.005, 0.5)
LOGO_SCALE_RANGE: Final = (0.01, 1.0)
MARGIN_RANGE: Final = (0.0, 0.25)
MAX_TEXT_LENGTH: Final = 200
MAX_LOGO_PIXELS: Final = 25_000_000

_TOKEN_RE: Final = re.compile(r"\{(\w+)\}")
_FONT_SUFFIXES: Final = (".ttf", ".otf", ".ttc")


class WatermarkError(ValueError):
    """A preset that cannot be drawn; the message says which setting and why."""


@dataclass(frozen=True)
class WatermarkSpec:
    """What to draw and where. Plain data: no catalogue, no Qt, safe to share between threads."""

    text: str | None = None
    font: str | None = None  # a font file, or a font's name (file stem) in resources/the system
    text_scale: float = 0.04  # font size as a share of the image's short edge
    colour: str = "#ffffff"
    opacity: float = 0.5
    shadow: bool = True
    outline: bool = False
    logo: bytes | None = field(default=None, repr=False)  # PNG (alpha honoured)
    logo_scale: float = 0.2  # the logo's long edge as a share of the image's short edge
    logo_opacity: float = 0.8
    position: str = "bottom-right"  # an anchor, "tiled" or "diagonal"
    margin: float = 0.03  # distance from the edges, a share of the short edge

    def problems(self) -> list[str]:
        """Everything wrong with this preset, in words (empty: it can be drawn)."""
        out: list[str] = []
        if not (self.text and self.text.strip()) and not self.logo:
            out.append("a watermark needs a text, a logo or both")
        if self.text and len(self.text) > MAX_TEXT_LENGTH:
            out.append(f"the text is longer than {MAX_TEXT_LENGTH} characters")
        if self.position not in LAYOUTS:
            out.append(f"position must be one of: {', '.join(LAYOUTS)} (not {self.position!r})")
        for name, value, (lo, hi) in (
            ("text size", self.text_scale, TEXT_SCALE_RANGE),
            ("logo size", self.logo_scale, LOGO_SCALE_RANGE),
            ("margin", self.margin, MARGIN_RANGE),
            ("text opacity", self.opacity, (0.0, 1.0)),
            ("logo opacity", self.logo_opacity, (0.0, 1.0)),
        ):
            if not (math.isfinite(value) and lo <= value <= hi):
                out.append(f"{name} must be between {lo:g} and {hi:g} (not {value:g})")
        try:
            parse_colour(self.colour)
        except WatermarkError as exc:
            out.append(str(exc))
        if self.logo:
            try:
                logo_image(self.logo)
            except WatermarkError as exc:
                out.append(str(exc))
        if self.text and self.font:
            try:
                path = find_font(self.font)
                if path is not None:
                    _font(self.font, 12)  # a file that is there but is not a font
            except WatermarkError as exc:
                out.append(str(exc))
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise WatermarkError("; ".join(problems))


@dataclass(frozen=True)
class TokenValues:
    """What `{collection}`, `{client}`, `{date}`, `{year}` and `{filename}` stand for."""

    collection: str = ""
    client: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD); `{year}` is taken from it
    filename: str = ""


def expand_tokens(text: str, values: TokenValues) -> str:
    """Replace the known tokens; anything else in braces stays as typed (no format() tricks)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "year":
            return values.date[:4]
        if name in TOKENS:
            return str(getattr(values, name))
        return m.group(0)

    return _TOKEN_RE.sub(one, text)


def parse_colour(value: str) -> tuple[int, int, int]:
    try:
        rgb = ImageColor.getrgb(value)
    except (ValueError, AttributeError) as exc:
        raise WatermarkError(
            f"colour {value!r} is not a colour (use e.g. #ffffff or white)"
        ) from exc
    return rgb[0], rgb[1], rgb[2]


# --- fonts ---------------------------------------------------------------------------------

DEFAULT_FONT: Final = "DejaVuSans"


def _font_dirs() -> Iterator[Path]:
    shipped = resource("fonts")
    if isinstance(shipped, Path):  # a checkout, a wheel or a one-folder bundle: real files
        yield shipped
    home = Path.home()
    if sys.platform == "win32":
        yield Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        yield home / "AppData/Local/Microsoft/Windows/Fonts"
    elif sys.platform == "darwin":
        yield from (Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts")
    else:
        yield from (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
        yield from (home / ".local/share/fonts", home / ".fonts")


def _font_key(name: str) -> str:
    """'Playfair Display', 'playfair-display' and 'PlayfairDisplay' are the same font."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


@functools.cache
def available_fonts() -> dict[str, Path]:
    """Font name (file stem) → file, from our resources first, then the system's."""
    found: dict[str, Path] = {}
    for top in _font_dirs():
        if not top.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(top):
            for name in sorted(names):
                if name.lower().endswith(_FONT_SUFFIXES):
                    found.setdefault(Path(name).stem, Path(dirpath) / name)
    return found


def find_font(font: str | None) -> Path | None:
    """The file for a font setting: a path, or a name matched loosely ('Playfair Display' finds
    PlayfairDisplay-Regular.ttf). None means the default font. Raises if nothing matches."""
    fonts = available_fonts()
    if font:
        as_path = Path(font).expanduser()
        if as_path.suffix.lower() in _FONT_SUFFIXES and as_path.is_file():
            return as_path
        key = _font_key(as_path.stem if as_path.suffix.lower() in _FONT_SUFFIXES else font)
        by_key = {_font_key(stem): path for stem, path in reversed(fonts.items())}
        for candidate in (key, key + "regular", key + "book"):
            if candidate in by_key:
                return by_key[candidate]
        raise WatermarkError(f"font {font!r} is not installed (choose another font)")
    return fonts.get(DEFAULT_FONT)


# FreeType faces are not safe to share between threads: each thread loads its own.
_local = threading.local()


def _font(font: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    cache: dict[tuple[str | None, int], ImageFont.FreeTypeFont | ImageFont.ImageFont]
    cache = _local.__dict__.setdefault("fonts", {})
    key = (font, size)
    if key not in cache:
        path = find_font(font)
        if path is None:
            cache[key] = ImageFont.load_default(size)
        else:
            try:
                cache[key] = ImageFont.truetype(str(path), size)
            except OSError as exc:
                raise WatermarkError(f"font file {path} cannot be read ({exc})") from exc
        if len(cache) > 64:
            cache.pop(next(iter(cache)))
    return cache[key]


# --- the mark ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def logo_image(data: bytes) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=("PNG", "WEBP", "GIF", "JPEG", "TIFF"))
        if im.width * im.height > MAX_LOGO_PIXELS:
            raise WatermarkError(f"the logo is too large ({im.width}×{im.height} pixels)")
        im.load()
    except WatermarkError:
        raise
    except Exception as exc:
        raise WatermarkError(f"the logo is not a readable image ({exc})") from exc
    return im.convert("RGBA")


def _with_opacity(layer: Image.Image, opacity: float) -> Image.Image:
    if opacity >= 1.0:
        return layer
    alpha = layer.getchannel("A").point(lambda a: round(a * opacity))
    out = layer.copy()
    out.putalpha(alpha)
    return out


def _text_layer(spec: WatermarkSpec, text: str, short_edge: int) -> Image.Image:
    size = max(6, round(spec.text_scale * short_edge))
    font = _font(spec.font, size)
    rgb = parse_colour(spec.colour)
    dark = sum(rgb) < 3 * 128
    contrast = (255, 255, 255) if dark else (0, 0, 0)
    stroke = max(1, round(size * 0.06)) if spec.outline else 0
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    pad = round(size * 0.25) if spec.shadow else 0
    w, h = int(right - left) + 2 * pad + 1, int(bottom - top) + 2 * pad + 1
    layer = Image.new("RGBA", (w, h), (*contrast, 0))
    origin = (pad - left, pad - top)
    if spec.shadow:
        shadow = Image.new("L", (w, h), 0)
        offset = max(1, round(size * 0.05))
        ImageDraw.Draw(shadow).text(
            (origin[0] + offset, origin[1] + offset),
            text,
            font=font,
            fill=160,
            stroke_width=stroke,
        )
        shadow = shadow.filter(ImageFilter.GaussianBlur(max(1.0, size * 0.06)))
        layer.putalpha(shadow)
    ImageDraw.Draw(layer).text(
        origin,
        text,
        font=font,
        fill=(*rgb, 255),
        stroke_width=stroke,
        stroke_fill=(*contrast, 255),
    )
    return _with_opacity(layer, spec.opacity)


def _logo_layer(spec: WatermarkSpec, short_edge: int) -> Image.Image:
    assert spec.logo is not None
    logo = logo_image(spec.logo)
    target = max(1, round(spec.logo_scale * short_edge))
    scale = target / max(logo.size)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    return _with_opacity(logo.resize(size, Image.Resampling.LANCZOS), spec.logo_opacity)


def _alignment(position: str) -> str:
    """How logo and text line up in a mark: with the edge the mark sits against."""
    if position.endswith("left"):
        return "left"
    if position.endswith("right"):
        return "right"
    return "center"


def render_mark(spec: WatermarkSpec, short_edge: int, tokens: TokenValues) -> Image.Image:
    """The mark alone (RGBA) for an image whose short edge is `short_edge` pixels.

    With both, the logo sits above the text, lined up with the edge the mark is anchored to."""
    text = expand_tokens(spec.text, tokens).strip() if spec.text else ""
    parts = []
    if spec.logo:
        parts.append(_logo_layer(spec, short_edge))
    if text:
        parts.append(_text_layer(spec, text, short_edge))
    if not parts:
        if spec.text:
            raise WatermarkError(
                f"its text {spec.text!r} comes out empty here (its tokens have no value)"
            )
        raise WatermarkError("a watermark needs a text, a logo or both")
    gap = round(0.2 * spec.text_scale * short_edge) if len(parts) > 1 else 0
    width = max(p.width for p in parts)
    height = sum(p.height for p in parts) + gap * (len(parts) - 1)
    mark = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    y = 0
    align = _alignment(spec.position)
    for part in parts:
        x = {"left": 0, "center": (width - part.width) // 2, "right": width - part.width}[align]
        mark.alpha_composite(part, (x, y))
        y += part.height + gap
    box = mark.getchannel("A").getbbox()  # no invisible padding: margins measure the mark
    return mark.crop(box) if box else mark


def anchor_box(
    position: str, size: tuple[int, int], mark: tuple[int, int], margin: float
) -> tuple[int, int]:
    """Top-left corner of a mark at one of the nine anchors, `margin` × short edge in."""
    (w, h), (mw, mh) = size, mark
    m = round(margin * min(w, h))
    vertical, _, horizontal = position.partition("-") if "-" in position else (position, "", "")
    if position in ("left", "right"):
        vertical, horizontal = "center", position
    elif position in ("top", "bottom"):
        vertical, horizontal = position, "center"
    elif position == "center":
        vertical = horizontal = "center"
    x = {"left": m, "center": (w - mw) // 2, "right": w - mw - m}[horizontal]
    y = {"top": m, "center": (h - mh) // 2, "bottom": h - mh - m}[vertical]
    return x, y


def _paste(image: Image.Image, mark: Image.Image, xy: tuple[int, int]) -> None:
    """Blend the mark in where it lands (only its own region is touched: cheap on 24 MP)."""
    image.paste(mark, xy, mark)


def _tile(image: Image.Image, mark: Image.Image, short_edge: int) -> None:
    """Staggered rows of marks over the whole picture, a mark's size apart."""
    step_x = mark.width + max(mark.width // 2, short_edge // 10)
    step_y = mark.height + max(mark.height * 2, short_edge // 8)
    for row, y in enumerate(range(step_y // 4 - mark.height // 2, image.height, step_y)):
        shift = (step_x // 2) * (row % 2)
        for x in range(-mark.width + shift, image.width, step_x):
            _paste(image, mark, (x, y))


def apply_watermark(
    image: Image.Image, spec: WatermarkSpec, tokens: TokenValues | None = None
) -> Image.Image:
    """Return `image` (RGB, upright) with the watermark drawn on; the input is not changed."""
    out = image.convert("RGB") if image.mode != "RGB" else image.copy()
    short_edge = min(out.size)
    mark = render_mark(spec, short_edge, tokens or TokenValues())
    if spec.position == "tiled":
        _tile(out, mark, short_edge)
    elif spec.position == "diagonal":
        angle = math.degrees(math.atan2(out.height, out.width))
        turned = mark.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        _paste(out, turned, ((out.width - turned.width) // 2, (out.height - turned.height) // 2))
    else:
        _paste(out, mark, anchor_box(spec.position, out.size, mark.size, spec.margin))
    return out
