"""The cover page: every built-in template draws its title where its layout puts it and the
cover photo, cropped around the focal point, where the photo goes; focal_crop in a table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Final

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from corpus import CORPUS
from gallery_desktop.catalog.templates import BUILTINS
from gallery_desktop.media.cover_page import (
    LAYOUTS,
    Box,
    CoverError,
    CoverSpec,
    CoverStyle,
    Palette,
    cover_geometry,
    focal_crop,
    render_cover_page,
)
from gallery_desktop.media.thumbnails import render
from gallery_desktop.media.watermark import parse_colour

STONES: Final = CORPUS / "photos/formats/webp/exiv2-bug1199.webp"  # 1200×800, Stonehenge
CASTLE: Final = CORPUS / "photos/formats/avif/example.avif"  # 800×533, palace garden
SIZE: Final = (800, 500)


@pytest.fixture(scope="module")
def stones() -> Image.Image:
    return render(STONES.read_bytes(), 1600)


@pytest.fixture(scope="module")
def castle() -> Image.Image:
    return render(CASTLE.read_bytes(), 1600)


def _spec(
    style: CoverStyle, title: str = "Anna & Tom", focal: tuple[float, float] = (0.5, 0.5)
) -> CoverSpec:
    return CoverSpec(style, title, "12 June 2026", focal=focal)


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _photo_difference(
    page: Image.Image, photo: Image.Image, style: CoverStyle, focal: tuple[float, float]
) -> float:
    """Mean absolute difference between the page's photo box (outside the title box) and the
    photo cropped around `focal` and scaled to the box."""
    geometry = cover_geometry(style.layout, page.size)
    assert geometry.photo is not None
    box = geometry.photo
    bw, bh = box[2] - box[0], box[3] - box[1]
    crop = focal_crop(photo.size, bw / bh, focal)
    expected = photo.convert("RGB").resize((bw, bh), Image.Resampling.LANCZOS, box=crop)
    mask = Image.new("L", (bw, bh), 255)
    t = geometry.title
    ImageDraw.Draw(mask).rectangle(
        (t[0] - box[0], t[1] - box[1], t[2] - box[0] - 1, t[3] - box[1] - 1), fill=0
    )
    assert mask.getbbox() is not None, "the title box covers the whole photo"
    diff = ImageChops.difference(page.crop(box), expected).convert("L")
    return float(ImageStat.Stat(diff, mask).mean[0])


def _colour_pixels(im: Image.Image, colour: str, tolerance: int = 40) -> int:
    r, g, b = parse_colour(colour)
    data = im.convert("RGB").tobytes()
    return sum(
        1
        for pr, pg, pb in zip(data[0::3], data[1::3], data[2::3], strict=True)
        if abs(pr - r) <= tolerance and abs(pg - g) <= tolerance and abs(pb - b) <= tolerance
    )


BUILTIN_STYLES: Final = [(name, style.cover_style()) for name, style in BUILTINS]


def test_the_built_ins_cover_every_layout() -> None:
    assert {style.layout for _, style in BUILTIN_STYLES} == set(LAYOUTS)
    assert len(LAYOUTS) >= 5


@pytest.mark.parametrize(("name", "style"), BUILTIN_STYLES, ids=[n for n, _ in BUILTIN_STYLES])
@pytest.mark.parametrize("size", [SIZE, (450, 800)], ids=["landscape", "portrait"])
def test_title_is_drawn_in_the_title_box(
    name: str, style: CoverStyle, size: tuple[int, int], stones: Image.Image
) -> None:
    one = render_cover_page(_spec(style, "Anna & Tom"), stones, size)
    other = render_cover_page(_spec(style, "The Whitmore Wedding"), stones, size)
    assert one.size == size and one.mode == "RGB"
    changed = ImageChops.difference(one, other).getbbox()
    geometry = cover_geometry(style.layout, size)
    assert changed is not None, f"{name}: the title is not drawn"
    assert _inside(changed, geometry.title), f"{name}: text at {changed}, box {geometry.title}"
    title_ink = _colour_pixels(one.crop(geometry.title), style.palette().title)
    assert title_ink > 150, f"{name}: hardly any title-coloured pixels in the title box"


@pytest.mark.parametrize(("name", "style"), BUILTIN_STYLES, ids=[n for n, _ in BUILTIN_STYLES])
def test_cover_photo_fills_the_photo_box_around_the_focal_point(
    name: str, style: CoverStyle, stones: Image.Image, castle: Image.Image
) -> None:
    for focal in ((0.5, 0.5), (0.15, 0.8)):
        page = render_cover_page(_spec(style, focal=focal), stones, SIZE)
        assert _photo_difference(page, stones, style, focal) < 3, (name, focal)
        assert _photo_difference(page, castle, style, focal) > 20, (name, focal)


def test_the_focal_point_moves_the_crop(stones: Image.Image) -> None:
    style = CoverStyle("split")  # a tall box on a wide photo: the crop slides sideways
    left = render_cover_page(_spec(style, focal=(0.0, 0.5)), stones, SIZE)
    right = render_cover_page(_spec(style, focal=(1.0, 0.5)), stones, SIZE)
    assert _photo_difference(left, stones, style, (0.0, 0.5)) < 3
    assert _photo_difference(left, stones, style, (1.0, 0.5)) > 10
    assert _photo_difference(right, stones, style, (1.0, 0.5)) < 3


@pytest.mark.parametrize("layout", LAYOUTS)
def test_without_a_photo_a_placeholder_and_still_the_title(layout: str) -> None:
    style = CoverStyle(layout, theme="dark")
    page = render_cover_page(_spec(style), None, SIZE)
    geometry = cover_geometry(layout, SIZE)
    assert geometry.photo is not None
    placeholder = page.crop(geometry.photo)
    background = Image.new("RGB", placeholder.size, parse_colour(style.palette().background))
    assert ImageChops.difference(placeholder, background).getbbox() is not None  # not blank
    other = render_cover_page(_spec(style, "Someone Else"), None, SIZE)
    changed = ImageChops.difference(page, other).getbbox()
    assert changed is not None and _inside(changed, geometry.title)


def test_a_very_long_title_stays_in_its_box(stones: Image.Image) -> None:
    long_title = "The " + " ".join(["Extraordinarily-long-family-name"] * 12) + " Wedding"
    for _name, style in BUILTIN_STYLES:
        page = render_cover_page(_spec(style, long_title), stones, SIZE)
        bare = render_cover_page(_spec(style, ""), stones, SIZE)
        changed = ImageChops.difference(page, bare).getbbox()
        assert changed is not None and _inside(changed, cover_geometry(style.layout, SIZE).title)


def test_rendering_is_deterministic_and_thread_safe(stones: Image.Image) -> None:
    specs = [_spec(style, f"Title {i}") for i, (_n, style) in enumerate(BUILTIN_STYLES)]
    serial = [render_cover_page(s, stones, SIZE).tobytes() for s in specs]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda s: render_cover_page(s, stones, SIZE).tobytes(), specs * 3))
    assert threaded == serial * 3


@pytest.mark.parametrize(
    ("style", "message"),
    [
        (CoverStyle(layout="diagonal"), "cover layout must be one of"),
        (CoverStyle(theme="sepia"), "theme must be one of"),
        (CoverStyle(font="No Such Font 123"), "is not installed"),
        (CoverStyle(colours=Palette("#fff", "nope", "#000", "#000")), "title colour 'nope'"),
    ],
)
def test_a_style_that_cannot_be_drawn_says_why(style: CoverStyle, message: str) -> None:
    with pytest.raises(CoverError, match=message):
        render_cover_page(_spec(style), None, SIZE)


def test_page_size_is_bounded() -> None:
    with pytest.raises(CoverError, match="px a side"):
        render_cover_page(_spec(CoverStyle()), None, (10, 10))


# --- focal_crop ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "aspect", "focal", "box"),
    [
        # same aspect: the whole image, wherever the focal point is
        ((1200, 800), 1.5, (0.5, 0.5), (0, 0, 1200, 800)),
        ((1200, 800), 1.5, (0.0, 1.0), (0, 0, 1200, 800)),
        # a square from a landscape: full height, centred on the point...
        ((1200, 800), 1.0, (0.5, 0.5), (200, 0, 1000, 800)),
        ((1200, 800), 1.0, (0.4, 0.5), (80, 0, 880, 800)),
        # ...and stopped by the edges at the corners
        ((1200, 800), 1.0, (0.0, 0.0), (0, 0, 800, 800)),
        ((1200, 800), 1.0, (1.0, 1.0), (400, 0, 1200, 800)),
        ((1200, 800), 1.0, (0.1, 0.9), (0, 0, 800, 800)),
        # a wide band from a portrait: full width, slides vertically
        ((800, 1200), 2.0, (0.5, 0.5), (0, 400, 800, 800)),
        ((800, 1200), 2.0, (0.5, 0.0), (0, 0, 800, 400)),
        ((800, 1200), 2.0, (0.5, 1.0), (0, 800, 800, 1200)),
        ((800, 1200), 2.0, (0.5, 0.25), (0, 100, 800, 500)),
        # extreme aspects: a 1 px sliver, never empty, never outside
        ((1200, 800), 1000.0, (0.5, 0.5), (0, 400, 1200, 401)),
        ((1200, 800), 0.001, (0.5, 0.5), (600, 0, 601, 800)),
        ((1, 1), 3.0, (0.9, 0.9), (0, 0, 1, 1)),
        # out-of-range and non-finite focal points are pulled in
        ((1200, 800), 1.0, (7.0, -3.0), (400, 0, 1200, 800)),
        ((1200, 800), 1.0, (float("nan"), 0.5), (200, 0, 1000, 800)),
    ],
)
def test_focal_crop(
    image: tuple[int, int], aspect: float, focal: tuple[float, float], box: Box
) -> None:
    got = focal_crop(image, aspect, focal)
    assert got == box
    left, top, right, bottom = got
    assert 0 <= left < right <= image[0] and 0 <= top < bottom <= image[1]


def test_focal_crop_keeps_the_point_centred_when_it_can() -> None:
    for fx in (0.3, 0.45, 0.5, 0.55, 0.7):
        left, _top, right, _bottom = focal_crop((3000, 1000), 1.0, (fx, 0.5))
        assert abs((left + right) / 2 - fx * 3000) <= 1


def test_focal_crop_refuses_nonsense() -> None:
    with pytest.raises(CoverError):
        focal_crop((0, 10), 1.0, (0.5, 0.5))
    with pytest.raises(CoverError):
        focal_crop((10, 10), 0.0, (0.5, 0.5))
