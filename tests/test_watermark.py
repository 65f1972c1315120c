"""The watermark renderer, checked pixel by pixel: where the mark lands, how big, how strong."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps

from corpus import CORPUS
from gallery_desktop.media.export import PRESETS, ExportSettings, MetadataPolicy, render_photo
from gallery_desktop.media.watermark import (
    ANCHORS,
    TokenValues,
    WatermarkError,
    WatermarkSpec,
    apply_watermark,
    expand_tokens,
    find_font,
    render_mark,
)

GREY = (128, 128, 128)
RED = (255, 0, 0)


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _square_logo(side: int = 200, colour: tuple[int, int, int] = RED) -> bytes:
    """A fully opaque square: its footprint in a diff is exactly the logo's box."""
    return _png(Image.new("RGBA", (side, side), (*colour, 255)))


def _diff_box(before: Image.Image, after: Image.Image, threshold: int = 8) -> tuple[int, ...]:
    diff = ImageChops.difference(before.convert("RGB"), after.convert("RGB")).convert("L")
    box = diff.point(lambda v: 255 if v > threshold else 0).getbbox()
    assert box is not None, "the watermark changed no pixel"
    return box


def _logo_spec(position: str, **kw: object) -> WatermarkSpec:
    base: dict[str, object] = {
        "logo": _square_logo(),
        "logo_scale": 0.1,
        "logo_opacity": 1.0,
        "position": position,
        "margin": 0.05,
    }
    base.update(kw)
    return WatermarkSpec(**base)  # type: ignore[arg-type]


# Where each anchor puts a mark of size (mw, mh) on a (w, h) image with margin m.
def _expected_box(position: str, w: int, h: int, mw: int, mh: int, m: int) -> tuple[int, int]:
    col = "left" if position.endswith("left") else "right" if position.endswith("right") else "mid"
    row = (
        "top"
        if position.startswith("top")
        else "bottom"
        if position.startswith("bottom")
        else "mid"
    )
    x = {"left": m, "mid": (w - mw) // 2, "right": w - mw - m}[col]
    y = {"top": m, "mid": (h - mh) // 2, "bottom": h - mh - m}[row]
    return x, y


@pytest.mark.parametrize("size", [(1200, 800), (800, 1200)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("position", ANCHORS)
def test_logo_lands_at_its_anchor_with_margin_and_scale(
    position: str, size: tuple[int, int]
) -> None:
    image = Image.new("RGB", size, GREY)
    out = apply_watermark(image, _logo_spec(position))
    short = min(size)
    side = round(0.1 * short)  # logo long edge = 10 % of the short edge
    margin = round(0.05 * short)
    x, y = _expected_box(position, *size, side, side, margin)
    assert _diff_box(image, out) == (x, y, x + side, y + side)


@pytest.mark.parametrize("opacity", [0.25, 0.5, 0.8, 1.0])
def test_logo_opacity_blends_by_the_share_asked(opacity: float) -> None:
    image = Image.new("RGB", (1000, 1000), GREY)
    out = apply_watermark(image, _logo_spec("center", logo_opacity=opacity))
    r, g, b = out.getpixel((500, 500))  # type: ignore[misc]
    assert r == pytest.approx(128 + (255 - 128) * opacity, abs=2)
    assert g == pytest.approx(128 * (1 - opacity), abs=2)
    assert b == pytest.approx(128 * (1 - opacity), abs=2)


def test_logo_with_alpha_leaves_its_transparent_parts_clear() -> None:
    logo = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((50, 50, 149, 149), fill=(0, 0, 255, 255))
    image = Image.new("RGB", (1000, 1000), GREY)
    spec = WatermarkSpec(logo=_png(logo), logo_scale=0.2, logo_opacity=1.0, position="center")
    out = apply_watermark(image, spec)
    # logo is 200 px at the centre: its opaque middle half is 100 px, transparent border clear
    box = _diff_box(image, out)
    assert box == (450, 450, 550, 550)


def test_text_height_follows_the_short_edge_share() -> None:
    for size in ((2000, 1000), (1000, 2000), (4000, 3000)):
        image = Image.new("RGB", size, GREY)
        spec = WatermarkSpec(text="HIX", text_scale=0.05, shadow=False, opacity=1.0)
        _left, top, _right, bottom = _diff_box(image, apply_watermark(image, spec))
        font_px = 0.05 * min(size)
        # capital letters are about 0.73 of the font size in DejaVu Sans
        assert 0.6 * font_px <= bottom - top <= 0.85 * font_px, (size, bottom - top)


def test_text_is_drawn_in_its_colour_and_opacity() -> None:
    image = Image.new("RGB", (1000, 1000), (0, 0, 0))
    spec = WatermarkSpec(
        text="█████",
        text_scale=0.2,
        colour="#00ff00",
        opacity=0.5,
        shadow=False,
        position="center",
    )
    out = apply_watermark(image, spec)
    box = _diff_box(image, out)
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    assert out.getpixel((cx, cy)) == pytest.approx((0, 128, 0), abs=2)  # type: ignore[arg-type]


def test_shadow_and_outline_darken_around_light_text() -> None:
    image = Image.new("RGB", (1200, 800), (255, 255, 255))
    plain = apply_watermark(image, WatermarkSpec(text="Studio", shadow=False, opacity=1.0))
    # white on white: without help the text is invisible
    assert ImageChops.difference(image, plain).getbbox() is None
    for spec in (
        WatermarkSpec(text="Studio", shadow=True, opacity=1.0),
        WatermarkSpec(text="Studio", shadow=False, outline=True, opacity=1.0),
    ):
        out = apply_watermark(image, spec)
        darkest = out.convert("L").getextrema()[0]
        assert darkest < 160, spec


def test_tiled_covers_every_quadrant() -> None:
    image = Image.new("RGB", (1600, 1000), GREY)
    out = apply_watermark(image, WatermarkSpec(text="PROOF", position="tiled", opacity=0.6))
    diff = ImageChops.difference(image, out).convert("L").point(lambda v: 255 if v > 8 else 0)
    w, h = image.size
    for box in (
        (0, 0, w // 2, h // 2),
        (w // 2, 0, w, h // 2),
        (0, h // 2, w // 2, h),
        (w // 2, h // 2, w, h),
    ):
        assert diff.crop(box).getbbox() is not None, box


def test_diagonal_runs_from_bottom_left_to_top_right() -> None:
    image = Image.new("RGB", (1500, 1000), GREY)
    spec = WatermarkSpec(
        text="PROOF · NOT FOR PRINT",
        text_scale=0.12,
        position="diagonal",
        opacity=0.8,
        shadow=False,
    )
    out = apply_watermark(image, spec)
    diff = ImageChops.difference(image, out).convert("L").point(lambda v: 255 if v > 8 else 0)

    def marked(cx: float, cy: float) -> bool:
        x, y = int(cx * 1500), int(cy * 1000)
        return diff.crop((x - 60, y - 60, x + 60, y + 60)).getbbox() is not None

    assert marked(0.5, 0.5)
    assert marked(0.35, 0.6) and marked(0.65, 0.4)  # along the rising diagonal
    assert not marked(0.15, 0.15) and not marked(0.85, 0.85)  # off it: the other corners


def test_logo_and_text_together_stack_logo_above_text() -> None:
    image = Image.new("RGB", (1200, 800), GREY)
    spec = WatermarkSpec(
        text="Studio",
        logo=_square_logo(),
        logo_scale=0.1,
        position="center",
        shadow=False,
        opacity=1.0,
        logo_opacity=1.0,
    )
    mark = render_mark(spec, 800, TokenValues())
    alpha = mark.getchannel("A")
    top_half = alpha.crop((0, 0, mark.width, 80)).getbbox()
    assert top_half is not None and mark.height > 80 + 0.6 * 0.04 * 800
    out = apply_watermark(image, spec)
    # the red square sits above the (white) text
    box = _diff_box(image, out)
    assert out.getpixel(((box[0] + box[2]) // 2, box[1] + 5)) == RED


def test_the_input_image_is_not_changed() -> None:
    image = Image.new("RGB", (600, 400), GREY)
    before = image.tobytes()
    apply_watermark(image, _logo_spec("center"))
    assert image.tobytes() == before


def test_tokens_are_filled_and_unknown_braces_kept_literally() -> None:
    values = TokenValues(
        collection="Smith Wedding", client="Ann", date="2026-06-01", filename="IMG_1.jpg"
    )
    text = "© {year} {collection} for {client} · {filename} {date} {nope} {0.__class__} {"
    assert expand_tokens(text, values) == (
        "© 2026 Smith Wedding for Ann · IMG_1.jpg 2026-06-01 {nope} {0.__class__} {"
    )


def test_filename_token_changes_the_drawn_text() -> None:
    image = Image.new("RGB", (1200, 800), GREY)
    spec = WatermarkSpec(text="{filename}", shadow=False, opacity=1.0)
    a = apply_watermark(image, spec, TokenValues(filename="A.jpg"))
    b = apply_watermark(image, spec, TokenValues(filename="WWWWWWWWWW.jpg"))
    assert _diff_box(image, b)[0] < _diff_box(image, a)[0]  # longer text reaches further left


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (WatermarkSpec(), "text, a logo or both"),
        (WatermarkSpec(text="x", position="middle"), "position must be one of"),
        (WatermarkSpec(text="x", text_scale=2.0), "text size must be between"),
        (WatermarkSpec(text="x", opacity=float("nan")), "text opacity must be between"),
        (WatermarkSpec(text="x", colour="not-a-colour"), "is not a colour"),
        (WatermarkSpec(text="x", font="NoSuchFontAnywhere"), "is not installed"),
        (WatermarkSpec(logo=b"not a png"), "logo is not a readable image"),
        (WatermarkSpec(text="x" * 201), "longer than 200"),
    ],
)
def test_problems_are_explained(spec: WatermarkSpec, words: str) -> None:
    problems = "; ".join(spec.problems())
    assert words in problems
    with pytest.raises(WatermarkError, match=words.split()[0]):
        spec.check()


def test_shipped_font_is_found_by_name_and_system_fonts_by_path() -> None:
    shipped = find_font("DejaVuSerif")
    assert shipped is not None and shipped.name == "DejaVuSerif.ttf"
    assert find_font(None) is not None  # the default ships with the app
    assert find_font(str(shipped)) == shipped
    assert find_font("dejavu serif") == find_font("DejaVu-Serif") == shipped  # loose names
    assert find_font("DejaVu Sans") == find_font(None)  # "Regular"/"Book" may be left out


def test_rendering_is_the_same_from_many_threads() -> None:
    image = Image.new("RGB", (900, 600), GREY)
    spec = WatermarkSpec(text="© {year} Studio", logo=_square_logo(), position="bottom-left")
    expected = apply_watermark(image, spec, TokenValues(date="2026-01-01")).tobytes()
    results: list[bytes] = []

    def work() -> None:
        for _ in range(5):
            results.append(apply_watermark(image, spec, TokenValues(date="2026-01-01")).tobytes())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r == expected for r in results)


@pytest.mark.parametrize(
    "name",
    ["Landscape_1.jpg", "Landscape_6.jpg", "Landscape_8.jpg", "Portrait_3.jpg", "Portrait_5.jpg"],
)
def test_mark_lands_bottom_right_of_the_upright_corpus_photo(name: str) -> None:
    """EXIF-rotated photos: the mark goes where the viewer sees bottom-right, not the sensor."""
    data = (CORPUS / "photos" / "orientation" / name).read_bytes()
    settings = ExportSettings(PRESETS["web1024"], metadata=MetadataPolicy.NONE)
    clean = render_photo(data, settings).data
    marked = render_photo(data, settings, _logo_spec("bottom-right", logo_opacity=1.0)).data
    assert clean is not None and marked is not None
    a, b = Image.open(io.BytesIO(clean)), Image.open(io.BytesIO(marked))
    upright = ImageOps.exif_transpose(Image.open(CORPUS / "photos" / "orientation" / name))
    assert a.size == b.size and (a.width > a.height) == (upright.width > upright.height)
    left, top, right, bottom = _diff_box(a, b, threshold=40)
    short = min(a.size)
    side, margin = round(0.1 * short), round(0.05 * short)
    assert abs(right - (a.width - margin)) <= 2 and abs(bottom - (a.height - margin)) <= 2
    assert abs((right - left) - side) <= 2 and abs((bottom - top) - side) <= 2


def test_preview_and_export_sizes_agree(tmp_path: Path) -> None:
    """WYSIWYG: the mark covers the same share of a 1600 px preview and a 4000 px export."""
    spec = WatermarkSpec(text="Studio Lumen", text_scale=0.05, shadow=False, opacity=1.0)
    shares = []
    for size in ((1600, 1067), (4000, 2667)):
        image = Image.new("RGB", size, GREY)
        left, top, right, bottom = _diff_box(image, apply_watermark(image, spec))
        shares.append(((right - left) / size[0], (bottom - top) / size[1]))
    assert shares[0] == pytest.approx(shares[1], abs=0.004)
