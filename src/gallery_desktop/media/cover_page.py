"""The client's cover page drawn from a template: one pure Pillow function for the preview in the
collection's design tab and for `gallery-desktop cover`.

Every size is a share of the page, so a 1200 px preview and a 2400 px export look the same. The
cover photo is cropped around its focal point (`focal_crop`); text only ever lands inside the
layout's title box (`cover_geometry`), so what lies outside it is the photo, untouched.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from gallery_desktop.media.decode import DecodeError, to_rgb
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize, render
from gallery_desktop.media.watermark import WatermarkError, find_font, parse_colour

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom excluded)
RGB = tuple[int, int, int]

# centre: title centred over a full-bleed photo; left: title bottom-left over it; split: photo on
# one side, title on the other; frame: photo inset with a keyline, title below; band: photo
# above a solid band holding the title; minimal: the title first, a small photo below.
LAYOUTS: Final = ("centre", "left", "split", "frame", "band", "minimal")
# Generic names for the fonts that ship with the app; any installed font's name works too.
TITLE_FONTS: Final = {"serif": "DejaVuSerif", "sans": "DejaVuSans", "sans-bold": "DejaVuSans-Bold"}
THEMES: Final = ("light", "dark")
COLOUR_KEYS: Final = ("background", "title", "subtitle", "accent")
DEFAULT_SIZE: Final = (1600, 1000)
MAX_TITLE_LENGTH: Final = 200
MIN_PAGE_EDGE: Final = 64
MAX_PAGE_EDGE: Final = 8000


class CoverError(ValueError):
    """A cover style that cannot be drawn; the message says which setting and why."""


@dataclass(frozen=True)
class Palette:
    background: str
    title: str
    subtitle: str
    accent: str


THEME_PALETTES: Final = {
    "light": Palette("#f5f2ed", "#24211d", "#7a7268", "#b0946a"),
    "dark": Palette("#161616", "#f3efe8", "#a59e94", "#c4a676"),
}


@dataclass(frozen=True)
class CoverStyle:
    """How the cover looks. Plain data: no catalogue, no Qt, safe to share between threads."""

    layout: str = "centre"
    font: str = "serif"  # a generic name (TITLE_FONTS), an installed font's name, or a file
    theme: str = "light"
    colours: Palette | None = None  # None: the theme's own

    def palette(self) -> Palette:
        return self.colours or THEME_PALETTES.get(self.theme, THEME_PALETTES["light"])

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.layout not in LAYOUTS:
            out.append(f"cover layout must be one of: {', '.join(LAYOUTS)} (not {self.layout!r})")
        if self.theme not in THEMES:
            out.append(f"theme must be one of: {', '.join(THEMES)} (not {self.theme!r})")
        for key in COLOUR_KEYS:
            value = getattr(self.palette(), key)
            try:
                parse_colour(value)
            except WatermarkError:
                out.append(f"{key} colour {value!r} is not a colour (use e.g. #1d1b18 or white)")
        try:
            _font_file(self.font)
        except CoverError as exc:
            out.append(str(exc))
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise CoverError("; ".join(problems))


@dataclass(frozen=True)
class CoverSpec:
    """Everything the cover page shows: the style, the words, and which photo where."""

    style: CoverStyle
    title: str
    subtitle: str = ""  # the event date, as it should read
    photo_path: bytes | None = None  # the cover photo's file (None: no cover chosen)
    photo_hash: str | None = None  # its content hash (a RAW file's picture is in the cache)
    focal: tuple[float, float] = (0.5, 0.5)  # shares of the photo's width and height


@dataclass(frozen=True)
class CoverGeometry:
    photo: Box | None  # where the cropped cover photo is drawn
    title: Box  # where the title, the date and their scrim are drawn (and nothing else)
    overlay: bool  # the title sits on the photo


def _box(x0: float, y0: float, x1: float, y1: float) -> Box:
    return round(x0), round(y0), round(x1), round(y1)


def cover_geometry(layout: str, size: tuple[int, int]) -> CoverGeometry:
    """Where the photo and the title go on a page of `size` (landscape or portrait)."""
    w, h = size
    portrait = h > w
    short = min(w, h)
    if layout == "centre":
        return CoverGeometry((0, 0, w, h), _box(w * 0.08, h * 0.26, w * 0.92, h * 0.74), True)
    if layout == "left":
        right = 0.9 if portrait else 0.66
        return CoverGeometry((0, 0, w, h), _box(w * 0.04, h * 0.5, w * right, h * 0.96), True)
    if layout == "split":
        if portrait:
            cut = round(h * 0.6)
            return CoverGeometry((0, 0, w, cut), _box(w * 0.08, cut, w * 0.92, h), False)
        cut = round(w * 0.58)
        return CoverGeometry((0, 0, cut, h), _box(cut + w * 0.03, 0, w * 0.97, h), False)
    if layout == "frame":
        m = round(short * 0.06)
        bottom = round(h * (0.8 if portrait else 0.75))
        return CoverGeometry(
            (m, m, w - m, bottom), _box(m, bottom + m * 0.4, w - m, h - m * 0.4), False
        )
    if layout == "band":
        cut = round(h * (0.72 if portrait else 0.76))
        return CoverGeometry((0, 0, w, cut), _box(w * 0.05, cut, w * 0.95, h), False)
    if layout == "minimal":
        title = _box(w * 0.08, h * 0.05, w * 0.92, h * 0.3)
        if portrait:
            pw, ph = w * 0.72, h * 0.5
        else:
            ph = h * 0.56
            pw = min(ph * 1.5, w * 0.84)
        left, top = (w - pw) / 2, h * 0.34
        return CoverGeometry(_box(left, top, left + pw, top + ph), title, False)
    raise CoverError(f"cover layout must be one of: {', '.join(LAYOUTS)} (not {layout!r})")


def focal_crop(
    image_size: tuple[int, int], target_aspect: float, focal: tuple[float, float]
) -> Box:
    """The largest box of `target_aspect` (width / height) in the image that keeps the focal
    point (shares of width and height) as near its centre as the image's edges allow."""
    iw, ih = image_size
    if iw < 1 or ih < 1 or not (math.isfinite(target_aspect) and target_aspect > 0):
        raise CoverError(f"cannot crop a {iw}×{ih} image to aspect {target_aspect}")
    if iw / ih > target_aspect:
        cw, ch = max(1, min(iw, round(ih * target_aspect))), ih
    else:
        cw, ch = iw, max(1, min(ih, round(iw / target_aspect)))
    fx, fy = (min(1.0, max(0.0, v)) if math.isfinite(v) else 0.5 for v in focal)
    left = min(max(round(fx * iw - cw / 2), 0), iw - cw)
    top = min(max(round(fy * ih - ch / 2), 0), ih - ch)
    return left, top, left + cw, top + ch


# --- fonts ---------------------------------------------------------------------------------


@functools.cache
def _font_file(font: str) -> Path | None:
    try:
        return find_font(TITLE_FONTS.get(font, font))
    except WatermarkError as exc:
        raise CoverError(f"title font {font!r} is not installed (choose another font)") from exc


_local = threading.local()  # FreeType faces are not shared between threads


def _font(font: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont | ImageFont.ImageFont]
    cache = _local.__dict__.setdefault("fonts", {})
    key = (font, size)
    if key not in cache:
        path = _font_file(font)
        try:
            cache[key] = (
                ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
            )
        except OSError as exc:
            raise CoverError(f"font file {path} cannot be read ({exc})") from exc
        if len(cache) > 96:
            cache.pop(next(iter(cache)))
    return cache[key]


# --- text ----------------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _width(text: str, font: Font, tracking: float) -> float:
    if not tracking:
        return float(font.getlength(text))
    return sum(float(font.getlength(ch)) for ch in text) + tracking * max(0, len(text) - 1)


def _draw_line(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: Font,
    fill: RGB | int,
    tracking: float,
) -> None:
    """`text` with its left end at x and its baseline at y; letter-spaced when tracking > 0."""
    x, y = xy
    if not tracking:
        draw.text((x, y), text, font=font, fill=fill, anchor="ls")
        return
    for ch in text:
        draw.text((x, y), ch, font=font, fill=fill, anchor="ls")
        x += float(font.getlength(ch)) + tracking


def _wrap(words: list[str], font: Font, width: float, tracking: float) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and _width(f"{lines[-1]} {word}", font, tracking) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _ellipsize(text: str, font: Font, width: float, tracking: float) -> str:
    while text and _width(text + "…", font, tracking) > width:
        text = text[:-1].rstrip()
    return text + "…"


@dataclass(frozen=True)
class _Type:
    """A layout's typography: sizes are shares of the page's short edge."""

    title_size: float
    max_lines: int
    align: str  # "center" or "left"
    vertical: str  # "center", "bottom" or "top": where the block sits in the title box
    upper: bool = False  # the title in capitals, letter-spaced
    rule: bool = True  # a short accent line between title and date
    date_above: bool = False
    pad: float = 0.04  # space kept free around the text, a share of the short edge


TYPE: Final = {
    "centre": _Type(0.115, 2, "center", "center", pad=0.07),
    "left": _Type(0.1, 2, "left", "bottom", rule=False, date_above=True, pad=0.06),
    "split": _Type(0.085, 3, "center", "center", pad=0.035),
    "frame": _Type(0.07, 2, "center", "center", pad=0.012),
    "band": _Type(0.06, 1, "left", "center", upper=True, rule=False, pad=0.025),
    "minimal": _Type(0.085, 2, "center", "center", pad=0.01),
}


@dataclass(frozen=True)
class _Block:
    font: Font
    size: int
    lines: list[str]
    tracking: float


def _lines(words: list[str], font: Font, width: float, tracking: float) -> list[str] | None:
    """The words in as few lines as fit `width`, balanced (no lone last word); None if a word
    alone is wider."""
    lines = _wrap(words, font, width, tracking)
    if any(_width(x, font, tracking) > width for x in lines):
        return None
    lo, hi = 0.0, width  # the narrowest measure that still needs no more lines
    for _ in range(10):
        mid = (lo + hi) / 2
        trial = _wrap(words, font, mid, tracking)
        ok = len(trial) <= len(lines) and all(_width(x, font, tracking) <= mid for x in trial)
        lo, hi = (lo, mid) if ok else (mid, hi)
    return _wrap(words, font, hi, tracking)


def _fit_title(title: str, t: _Type, font: str, short: int, width: float, height: float) -> _Block:
    """The title in as few lines as read well: one line if it fits at 70 % of the layout's size,
    else more lines, shrinking down to a third of the size, and cut short (…) past that."""
    words = title.split() or [""]
    top = max(8, round(t.title_size * short))
    for n in range(1, t.max_lines + 1):
        floor = max(8, round(top * (0.7 if n < t.max_lines else 0.33)))
        size = top
        while True:
            f = _font(font, size)
            tracking = size * 0.12 if t.upper else 0.0
            lines = _lines(words, f, width, tracking)
            if lines is not None and len(lines) <= n and size * 1.18 * len(lines) <= height:
                return _Block(f, size, lines, tracking)
            if size <= floor:
                break
            size = max(floor, round(size * 0.94))
    f = _font(font, floor)
    tracking = floor * 0.12 if t.upper else 0.0
    lines = _wrap(words, f, width, tracking)
    kept = lines[: t.max_lines]
    rest = " ".join(lines[t.max_lines :])
    if rest or _width(kept[-1], f, tracking) > width:
        kept[-1] = _ellipsize(f"{kept[-1]} {rest}".strip(), f, width, tracking)
    kept = [
        _ellipsize(x, f, width, tracking) if _width(x, f, tracking) > width else x for x in kept
    ]
    return _Block(f, floor, kept, tracking)


def _draw_text(
    page: Image.Image, geometry: CoverGeometry, spec: CoverSpec, palette: Palette, t: _Type
) -> None:
    x0, y0, x1, y1 = geometry.title
    w, h = page.size
    short = min(w, h)
    pad = max(2, round(t.pad * short))
    inner_w, inner_h = x1 - x0 - 2 * pad, y1 - y0 - 2 * pad
    if inner_w < 4 or inner_h < 4:
        return
    title = " ".join(spec.title.split())[:MAX_TITLE_LENGTH]
    title = title.upper() if t.upper else title
    subtitle = " ".join(spec.subtitle.split()).upper()
    sub_size = max(7, round(short * 0.025))
    sub_font = _font(spec.style.font if spec.style.font != "serif" else "sans", sub_size)
    sub_tracking = sub_size * 0.22
    sub_h = round(sub_size * 1.9) if subtitle else 0
    rule_h = round(short * 0.045) if t.rule and subtitle else 0
    block = _fit_title(title, t, spec.style.font, short, inner_w, inner_h - sub_h - rule_h)
    line_h = round(block.size * 1.18)
    ascent, descent = (
        block.font.getmetrics()
        if isinstance(block.font, ImageFont.FreeTypeFont)
        else (block.size, 0)
    )
    title_h = ascent + descent + line_h * (len(block.lines) - 1)
    total = title_h + rule_h + sub_h
    top: float
    if t.vertical == "bottom":
        top = y1 - pad - total
    elif t.vertical == "top":
        top = y0 + pad
    else:
        top = y0 + (y1 - y0 - total) / 2

    def x_for(text_w: float) -> float:
        return x0 + pad if t.align == "left" else x0 + (x1 - x0 - text_w) / 2

    # What goes where: (baseline y, text, font, colour key, tracking); then the rule.
    items: list[tuple[float, str, Font, str, float]] = []
    y = top
    if subtitle and t.date_above:
        items.append((y + sub_size, subtitle, sub_font, "subtitle", sub_tracking))
        y += sub_h
    for i, line in enumerate(block.lines):
        items.append((y + ascent + i * line_h, line, block.font, "title", block.tracking))
    y += title_h
    rule: Box | None = None
    if rule_h:
        rw, rt = round(short * 0.05), max(1, round(short * 0.0025))
        rx = x_for(rw)
        ry = round(y + rule_h / 2 - rt / 2)
        rule = (round(rx), ry, round(rx) + rw, ry + rt)
        y += rule_h
    if subtitle and not t.date_above:
        items.append((y + sub_h * 0.72, subtitle, sub_font, "subtitle", sub_tracking))

    if geometry.overlay:
        _scrim(page, geometry.title, items, x_for, parse_colour(palette.title), short)
    draw = ImageDraw.Draw(page)
    for base, text, font, key, tracking in items:
        colour = parse_colour(getattr(palette, key))
        _draw_line(draw, (x_for(_width(text, font, tracking)), base), text, font, colour, tracking)
    if rule is not None:
        draw.rectangle(
            (rule[0], rule[1], rule[2] - 1, rule[3] - 1), fill=parse_colour(palette.accent)
        )


def _scrim(
    page: Image.Image,
    box: Box,
    items: list[tuple[float, str, Font, str, float]],
    x_for: Callable[[float], float],
    title_rgb: RGB,
    short: int,
) -> None:
    """A soft shade behind text on a photo (dark under light text, light under dark), and a
    close shadow under the letters; both fade out before the title box's edges."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    glow = Image.new("L", (bw, bh), 0)
    letters = Image.new("L", (bw, bh), 0)
    gd, ld = ImageDraw.Draw(glow), ImageDraw.Draw(letters)
    for base, text, font, _key, tracking in items:
        x = float(x_for(_width(text, font, tracking))) - box[0]
        y = base - box[1]
        left, top, _right, bottom = font.getbbox(text, anchor="ls")
        grow = short * 0.02
        gd.rectangle(
            (
                x + left - grow,
                y + top - grow,
                x + _width(text, font, tracking) + grow,
                y + bottom + grow,
            ),
            fill=255,
        )
        _draw_line(ld, (x + short * 0.002, y + short * 0.003), text, font, 255, tracking)
    glow = glow.filter(ImageFilter.GaussianBlur(short * 0.03)).point(lambda v: v * 50 // 100)
    feather = short * 0.03
    window = Image.new("L", (bw, bh), 0)
    ImageDraw.Draw(window).rectangle(
        (2 * feather, 2 * feather, bw - 2 * feather, bh - 2 * feather), fill=255
    )
    glow = ImageChops.multiply(glow, window.filter(ImageFilter.GaussianBlur(feather * 0.7)))
    letters = letters.filter(ImageFilter.GaussianBlur(max(1.0, short * 0.004))).point(
        lambda v: v * 55 // 100
    )
    light_text = sum(title_rgb) > 3 * 140
    tone = Image.new("RGB", (bw, bh), (0, 0, 0) if light_text else (255, 255, 255))
    region = page.crop(box)
    page.paste(Image.composite(tone, region, ImageChops.lighter(glow, letters)), box)


# --- the page ------------------------------------------------------------------------------


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _placeholder(page: Image.Image, box: Box, palette: Palette, overlay: bool) -> None:
    """No cover chosen yet: a quiet gradient in the template's colours (and, where no title sits
    on it, a small picture sign), so the page still reads as a cover."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    accent, title = parse_colour(palette.accent), parse_colour(palette.title)
    ground = parse_colour(palette.background)
    if overlay and sum(title) > 3 * 140:  # light text goes on a deep tone
        start, end = _mix(accent, (30, 28, 26), 0.72), _mix(accent, (14, 13, 12), 0.9)
    else:
        start, end = _mix(ground, accent, 0.3), _mix(ground, accent, 0.08)
    down = Image.linear_gradient("L").resize((bw, bh))
    across = Image.linear_gradient("L").rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    ramp = ImageChops.add(down, across.resize((bw, bh)), scale=2.0)  # top-left → bottom-right
    page.paste(
        Image.composite(Image.new("RGB", (bw, bh), end), Image.new("RGB", (bw, bh), start), ramp),
        box,
    )
    if overlay:
        return
    draw = ImageDraw.Draw(page)
    ink = _mix(start, parse_colour(palette.subtitle), 0.55)
    s = min(bw, bh) * 0.16
    cx, cy = box[0] + bw / 2, box[1] + bh / 2
    stroke = max(1, round(s * 0.035))
    draw.rounded_rectangle(
        (cx - s, cy - s * 0.72, cx + s, cy + s * 0.72), radius=s * 0.1, outline=ink, width=stroke
    )
    draw.line(
        [
            (cx - s * 0.8, cy + s * 0.5),
            (cx - s * 0.25, cy - s * 0.1),
            (cx + s * 0.1, cy + s * 0.25),
            (cx + s * 0.35, cy + s * 0.02),
            (cx + s * 0.8, cy + s * 0.5),
        ],
        fill=ink,
        width=stroke,
        joint="curve",
    )
    r = s * 0.13
    draw.ellipse(
        (cx + s * 0.35 - r, cy - s * 0.38 - r, cx + s * 0.35 + r, cy - s * 0.38 + r),
        outline=ink,
        width=stroke,
    )


def _paste_photo(
    page: Image.Image, box: Box, photo: Image.Image, focal: tuple[float, float]
) -> None:
    bw, bh = box[2] - box[0], box[3] - box[1]
    crop = focal_crop(photo.size, bw / bh, focal)
    page.paste(photo.resize((bw, bh), Image.Resampling.LANCZOS, box=crop), box[:2])


def render_cover_page(
    spec: CoverSpec, photo: Image.Image | None, size: tuple[int, int] = DEFAULT_SIZE
) -> Image.Image:
    """The cover page as the client will first see it (RGB, `size`): the photo cropped around
    its focal point, the title and the date in the template's font and colours."""
    w, h = size
    if not (MIN_PAGE_EDGE <= w <= MAX_PAGE_EDGE and MIN_PAGE_EDGE <= h <= MAX_PAGE_EDGE):
        raise CoverError(
            f"a cover page is {MIN_PAGE_EDGE} to {MAX_PAGE_EDGE} px a side (not {w}×{h})"
        )
    spec.style.check()
    palette = spec.style.palette()
    geometry = cover_geometry(spec.style.layout, size)
    page = Image.new("RGB", size, parse_colour(palette.background))
    if geometry.photo is not None:
        if photo is None:
            _placeholder(page, geometry.photo, palette, geometry.overlay)
        else:
            _paste_photo(page, geometry.photo, to_rgb(photo), spec.focal)
    if spec.style.layout == "frame" and geometry.photo is not None:
        _keyline(page, geometry.photo, palette, min(size))
    _draw_text(page, geometry, spec, palette, TYPE[spec.style.layout])
    return page


def _keyline(page: Image.Image, photo: Box, palette: Palette, short: int) -> None:
    """A thin accent line around the inset photo, a little away from it."""
    gap = max(2, round(short * 0.012))
    width = max(1, round(short * 0.0018))
    x0, y0, x1, y1 = photo
    ImageDraw.Draw(page).rectangle(
        (x0 - gap, y0 - gap, x1 - 1 + gap, y1 - 1 + gap),
        outline=parse_colour(palette.accent),
        width=width,
    )


def load_cover_photo(
    spec: CoverSpec, long_edge: int, cache: ThumbnailCache | None = None
) -> Image.Image | None:
    """The cover photo, upright and sRGB, about `long_edge` px (decoded at the scale needed);
    a RAW or undecodable file falls back to its cached picture; None when there is none."""
    if spec.photo_path is None:
        return None
    try:
        with open(spec.photo_path, "rb") as f:
            return render(f, long_edge)
    except (OSError, DecodeError):
        pass
    if cache is None or spec.photo_hash is None:
        return None
    for picture in (cache.get(spec.photo_hash, ThumbSize.PREVIEW), cache.best(spec.photo_hash)):
        if picture is not None:
            try:
                with Image.open(picture) as im:
                    return to_rgb(im.convert("RGB"))
            except OSError:
                continue
    return None
