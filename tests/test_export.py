"""The export engine: sizes, colour, orientation, metadata, names, clashes, cancel, originals.

Renditions are read back with Pillow and checked pixel by pixel; runs go through
`run_export` on shoots imported into a catalogue in a tmp dir (originals are copies).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import shutil
import struct
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageOps, ImageStat

from conftest import SHOOT_MEDIA, copy_from_corpus, make_shoot
from corpus import CORPUS, row, rows_in
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter, list_media
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.export.items import NO_WATERMARK, ExportRequest
from gallery_desktop.export.run import ExportProgress, ExportSummary, run_export
from gallery_desktop.export.targets import PART_SUFFIX, FolderTarget, ZipTarget
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.export import (
    PRESETS,
    ExportSettings,
    MetadataPolicy,
    VideoPolicy,
    fit,
    render_photo,
)
from gallery_desktop.media.safe_names import (
    NamePlanner,
    check_pattern,
    expand_pattern,
    safe_component,
)
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec

MARK: Final = WatermarkSpec(text="PROOF", opacity=0.9, text_scale=0.08)
IFD0: Final = ExifTags.IFD.Exif  # the Exif sub-IFD pointer
GPS: Final = ExifTags.IFD.GPSInfo
IFD1: Final = ExifTags.IFD.IFD1
ORIENTATION: Final = 0x0112
MAKER_NOTE: Final = 0x927C
SERIAL_TAGS: Final = {0xA431: "BodySerialNumber", 0xA435: "LensSerialNumber"}
CAMERA_SERIAL: Final = 0xC62F  # IFD0 (DNG) CameraSerialNumber
WINDOWS_DEVICES: Final = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{p}{i}" for p in ("com", "lpt") for i in "123456789¹²³"}
)
SOI: Final = b"\xff\xd8\xff"


# -- helpers -----------------------------------------------------------------------------------


def _settings(preset: str = "web640", **kw: object) -> ExportSettings:
    return ExportSettings(PRESETS[preset], **kw)  # type: ignore[arg-type]


def _render(
    data: bytes,
    preset: str = "web640",
    watermark: WatermarkSpec | None = None,
    metadata: MetadataPolicy = MetadataPolicy.COPYRIGHT,
) -> bytes:
    rendition = render_photo(data, _settings(preset, metadata=metadata), watermark)
    assert rendition.data is not None, "expected a new JPEG, got a copy"
    assert rendition.extension == ".jpg"
    return rendition.data


def _open(jpeg: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(jpeg))
    assert im.format == "JPEG"
    assert im.mode == "RGB"
    return im


def _encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _corpus(rel: str) -> bytes:
    return (CORPUS / rel).read_bytes()


def _sha(path: str | bytes | os.PathLike[str]) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _small(im: Image.Image) -> Image.Image:
    return im.convert("RGB").resize((48, 48), Image.Resampling.BOX)


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(_small(a), _small(b))).mean) / 3


def _profile_description(im: Image.Image) -> str:
    icc = im.info.get("icc_profile")
    assert icc, "no ICC profile embedded"
    return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()


def _assert_srgb_jpeg(jpeg: bytes) -> Image.Image:
    im = _open(jpeg)
    assert "srgb" in _profile_description(im).lower()
    return im


def _segments(jpeg: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every JPEG header segment up to the start of scan."""
    assert jpeg[:2] == b"\xff\xd8"
    pos, out = 2, []
    while pos + 4 <= len(jpeg):
        assert jpeg[pos] == 0xFF, f"not a marker at {pos}"
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            break
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        out.append((marker, jpeg[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return out


def _snapshot(root: Path | bytes, skip: Iterable[bytes] = ()) -> dict[bytes, str]:
    """Every entry under root (bytes paths): files by sha256, folders and links marked."""
    base = os.fsencode(root)
    skipped = set(skip)
    out: dict[bytes, str] = {}
    for dirpath, dirs, files in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_dir, d)) not in skipped]
        for d in dirs:
            out[os.path.normpath(os.path.join(rel_dir, d))] = "<dir>"
        for name in files:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            out[rel] = "<link>" if os.path.islink(full) else _sha(full)
    return out


def _files_under(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )


def _import(catalog: Catalog, cache: ThumbnailCache, folder: Path | bytes) -> int:
    return import_folder(catalog, cache, folder, workers=2).collection_id


def _export(
    catalog: Catalog,
    collection_id: int,
    out: Path,
    preset: str = "web640",
    *,
    watermark: str = NO_WATERMARK,
    metadata: MetadataPolicy | None = None,  # the preset's default
    videos: VideoPolicy = VideoPolicy.COPY,
    **kw: object,
) -> ExportSummary:
    return run_export(
        catalog,
        ExportRequest(collection_id, watermark=watermark),
        _settings(preset, metadata=metadata, videos=videos),
        out,
        workers=2,
        **kw,  # type: ignore[arg-type]
    )


# -- hand-made ICC profiles (to see that a source profile is honoured) --------------------------

D50: Final = (0.9642, 1.0, 0.8249)
SRGB_RED: Final = (0.4361, 0.2225, 0.0139)  # sRGB colorants, D50-adapted (as in sRGB ICC)
SRGB_GREEN: Final = (0.3851, 0.7169, 0.0971)
SRGB_BLUE: Final = (0.1431, 0.0606, 0.7141)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _desc_tag(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (8 + 3 + 67)


def _icc(device: bytes, space: bytes, pcs: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """A minimal ICC v2 profile: header, tag table, tag data (4-byte aligned)."""
    offset = 128 + 4 + 12 * len(tags)
    table, blob = b"", b""
    for sig, data in tags:
        blob += b"\0" * (-(offset + len(blob)) % 4)
        table += sig + struct.pack(">II", offset + len(blob), len(data))
        blob += data
    body = struct.pack(">I", len(tags)) + table + blob
    header = (
        struct.pack(">I", 128 + len(body))
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + device
        + space
        + pcs
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 28
        + b"".join(_s15(v) for v in D50)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + body


def _common_tags(name: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"desc", _desc_tag(name)),
        (b"cprt", b"text\0\0\0\0none\0"),
        (b"wtpt", _xyz_tag(D50)),
    ]


def rgb_swap_profile() -> bytes:
    """An RGB profile whose red channel is sRGB's green and whose green is sRGB's red: a pure
    red pixel in it is pure green in sRGB. Ignoring the profile shows red."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    return _icc(
        b"mntr",
        b"RGB ",
        b"XYZ ",
        [
            *_common_tags("swap red and green"),
            (b"rXYZ", _xyz_tag(SRGB_GREEN)),
            (b"gXYZ", _xyz_tag(SRGB_RED)),
            (b"bXYZ", _xyz_tag(SRGB_BLUE)),
            (b"rTRC", curve),
            (b"gTRC", curve),
            (b"bTRC", curve),
        ],
    )


def cmyk_swap_profile() -> bytes:
    """A CMYK profile (2-point lut16 A2B0 to Lab) where cyan ink makes blue light and yellow
    ink makes red light: naive red (C0 M100 Y100 K0) is blue in sRGB through it."""
    corners = list(itertools.product((0, 1), repeat=4))  # C varies slowest, as the CLUT wants
    srgb = Image.new("RGB", (len(corners), 1))
    for x, (c, m, y, k) in enumerate(corners):
        srgb.putpixel((x, 0), tuple(round(255 * v * (1 - k)) for v in (1 - y, 1 - m, 1 - c)))
    lab = ImageCms.profileToProfile(
        srgb, ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), outputMode="LAB"
    )
    assert lab is not None
    clut = b""
    for x in range(len(corners)):
        lum, a, b = lab.getpixel((x, 0))  # type: ignore[misc]
        clut += struct.pack(">3H", round(lum / 255 * 0xFF00), a * 256, b * 256)
    ident = struct.pack(">2H", 0, 0xFFFF)
    matrix = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    a2b0 = (
        b"mft2\0\0\0\0"
        + bytes([4, 3, 2, 0])
        + matrix
        + struct.pack(">2H", 2, 2)
        + ident * 4
        + clut
        + ident * 3
    )
    return _icc(b"prtr", b"CMYK", b"Lab ", [*_common_tags("swap cyan and yellow"), (b"A2B0", a2b0)])


def test_hand_made_profiles_do_what_the_colour_tests_rely_on() -> None:
    srgb = ImageCms.createProfile("sRGB")
    rgb = ImageCms.ImageCmsProfile(io.BytesIO(rgb_swap_profile()))
    red = Image.new("RGB", (2, 2), (255, 0, 0))
    assert _near(ImageCms.profileToProfile(red, rgb, srgb).getpixel((0, 0)), (0, 255, 0))  # type: ignore[union-attr]
    cmyk = ImageCms.ImageCmsProfile(io.BytesIO(cmyk_swap_profile()))
    ink = Image.new("CMYK", (2, 2), (0, 255, 255, 0))
    out = ImageCms.profileToProfile(ink, cmyk, srgb, outputMode="RGB")
    assert out is not None and _near(out.getpixel((0, 0)), (0, 0, 255))


def _near(pixel: object, want: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(p - w) <= tolerance for p, w in zip(pixel, want, strict=True))


# -- 1. sizes: every preset, never enlarged ---------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "long_edge"),
    [
        (6000, 4000, 2048),
        (4000, 6000, 2048),
        (4608, 1976, 640),
        (3024, 4032, 3600),
        (1800, 1200, 2048),
        (640, 640, 640),
        (641, 1, 640),
        (1, 5000, 1024),
        (150, 91, 3600),
        (5000, 3333, None),
    ],
)
def test_fit_reaches_the_long_edge_keeps_the_aspect_and_never_enlarges(
    width: int, height: int, long_edge: int | None
) -> None:
    w, h = fit(width, height, long_edge)
    assert max(w, h) == min(long_edge or max(width, height), max(width, height))
    assert w >= 1 and h >= 1
    assert (w >= h) == (width >= height)
    if max(width, height) <= (long_edge or max(width, height)):
        assert (w, h) == (width, height)
    else:
        scale = max(w, h) / max(width, height)
        assert abs(min(w, h) - min(width, height) * scale) <= 1


SIZE_PHOTOS: Final = (
    "photos/exif/HMD_Nokia_8.3_5G.jpg",  # 4608x1976 landscape
    "photos/exif/exiv2-bug2565.jpg",  # stored 4032x3024, Orientation 6: 3024x4032 portrait
    "photos/orientation/Portrait_6.jpg",  # stored 1800x1200, Orientation 6
    "photos/exif/flower.jpg",  # 480x360: smaller than every preset
    "photos/formats/png/transparent.png",
)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("rel", SIZE_PHOTOS)
def test_every_preset_gives_the_long_edge_asked_and_never_enlarges(preset: str, rel: str) -> None:
    r = row(rel)
    assert r.expected_width and r.expected_height
    long_edge = PRESETS[preset].long_edge
    # Original is only re-encoded with a watermark (without one it is a copy, see below).
    out = _assert_srgb_jpeg(
        _render(_corpus(rel), preset, MARK if long_edge is None else None, MetadataPolicy.ALL)
    )
    want_long = min(long_edge or 10**9, max(r.expected_width, r.expected_height))
    assert max(out.size) == want_long, out.size
    assert (out.width >= out.height) == (r.expected_width >= r.expected_height)
    scale = want_long / max(r.expected_width, r.expected_height)
    assert abs(min(out.size) - min(r.expected_width, r.expected_height) * scale) <= 1
    assert out.getexif().get(ORIENTATION) in (None, 1)


def test_preset_sizes_are_the_ones_client_galleries_deliver() -> None:
    assert {k: p.long_edge for k, p in PRESETS.items()} == {
        "original": None,
        "high": 3600,
        "web2048": 2048,
        "web1024": 1024,
        "web640": 640,
    }
    for p in PRESETS.values():
        assert 1 <= p.quality <= 100


# -- 1b. orientation baked in ------------------------------------------------------------------

ORIENTED: Final = [
    *(r.path for r in rows_in("photos/orientation")),
    "photos/exif/exiv2-bug2565.jpg",
    "photos/exif/exiv2-canon-eos-300d.jpg",
    "photos/formats/heic/2021-02-13-1929.heic",  # HEIF irot AND EXIF 6: turn once
    "photos/formats/heic/HMD_Nokia_8.3_5G.heif",
]


@pytest.mark.parametrize("rel", ORIENTED)
def test_rotated_photos_come_out_upright_with_the_orientation_tag_reset(rel: str) -> None:
    r = row(rel)
    assert r.expected_width and r.expected_height
    data = _corpus(rel)
    # `all` copies the most metadata, so it is the policy most likely to keep a stale tag.
    jpeg = _render(data, "high", metadata=MetadataPolicy.ALL)
    out = _assert_srgb_jpeg(jpeg)
    want_long = min(3600, max(r.expected_width, r.expected_height))
    scale = want_long / max(r.expected_width, r.expected_height)
    assert max(out.size) == want_long
    assert (out.width >= out.height) == (r.expected_width >= r.expected_height)
    assert abs(min(out.size) - min(r.expected_width, r.expected_height) * scale) <= 1
    assert out.getexif().get(ORIENTATION) in (None, 1)
    xmp = out.info.get("xmp") or b""
    assert not re.search(rb'tiff:Orientation(="|>)\s*[2-8]', xmp), xmp[:200]

    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert upright is not None
    right = _mean_diff(out, upright)
    assert right < 10, f"{rel}: pixels differ from the upright picture by {right:.1f}"
    if rel.endswith((".heic", ".heif")):
        return  # pillow-heif hands out turned pixels: no "as stored" picture to compare with
    stored = Image.open(io.BytesIO(data)).reduce(8)  # as stored in the file, small
    candidates = [stored, *(stored.transpose(t) for t in Image.Transpose)]
    wrong = [c for c in candidates if _mean_diff(c, upright) > 20]
    assert len(wrong) >= 6  # the test photo tells every turn and flip apart
    closest = min(_mean_diff(out, c) for c in wrong)
    assert right * 4 + 10 < closest, f"{rel}: upright {right:.1f} vs a wrong turn {closest:.1f}"


# -- 2. Original: a byte-identical copy, unless a watermark is drawn --------------------------


def test_original_without_watermark_is_a_byte_identical_copy_with_its_extension(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Shoot"
    sources = {
        "Photo.JPG": "photos/exif/exiv2-bug2565.jpg",  # EXIF-rotated: still copied as is
        "scan.png": "photos/formats/png/transparent.png",
        "iphone.HEIC": "photos/formats/heic/IMG_5195.HEIC",
        "film.tiff": "photos/formats/tiff/tiff_16bit_RGB.tiff",
        "clip.mp4": "video/small_video.mp4",
    }
    for name, rel in sources.items():
        copy_from_corpus(rel, shoot / name)
    cid = _import(catalog, cache, shoot)
    for zipped in (False, True):
        out = tmp_path / f"out-{zipped}"
        summary = _export(catalog, cid, out, "original", zip_file=zipped)
        assert summary.ok and not summary.skipped
        assert sorted(summary.written) == sorted(sources)  # names AND extensions kept
        if zipped:
            with zipfile.ZipFile(summary.target or "") as z:
                got = {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()}
        else:
            got = {n: _sha(out / n) for n in summary.written}
        assert got == {n: _sha(CORPUS / rel) for n, rel in sources.items()}


@pytest.mark.parametrize(
    "rel",
    [
        "photos/orientation/Landscape_6.jpg",
        "photos/formats/png/transparent.png",
        "photos/exif/flower.jpg",
    ],
)
def test_original_with_a_watermark_is_a_full_size_jpeg_with_the_mark(rel: str) -> None:
    r = row(rel)
    data = _corpus(rel)
    marked = _assert_srgb_jpeg(_render(data, "original", MARK))
    assert marked.size == (r.expected_width, r.expected_height)
    same_quality = _settings("high", quality=PRESETS["original"].quality)
    clean = _open(render_photo(data, same_quality).data or b"")  # same size, no mark
    assert clean.size == marked.size
    diff = ImageChops.difference(marked, clean).convert("L").point(lambda v: v > 40 and 255)
    box = diff.getbbox()
    assert box is not None, "no watermark drawn"
    assert box[0] > marked.width // 3 and box[1] > marked.height // 3  # default: bottom-right


# -- 3. colour: CMYK, ICC profiles, 16-bit, alpha, palette → sRGB JPEGs -----------------------


def _centre(im: Image.Image, x: float = 0.5, y: float = 0.5) -> tuple[int, ...]:
    px = im.getpixel((int(im.width * x), int(im.height * y)))
    assert isinstance(px, tuple)
    return px


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk_without_a_profile_becomes_the_same_colour_in_srgb(fmt: str) -> None:
    ink = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # naive red
    ink.paste((255, 0, 255, 0), (32, 0, 64, 64))  # naive green on the right
    src = _encode(ink, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    assert Image.open(io.BytesIO(src)).mode == "CMYK"
    out = _assert_srgb_jpeg(_render(src))
    assert _near(_centre(out, 0.25), (255, 0, 0)), _centre(out, 0.25)
    assert _near(_centre(out, 0.75), (0, 255, 0)), _centre(out, 0.75)


def test_corpus_cmyk_jpeg_matches_its_rgb_twin() -> None:
    cmyk = _assert_srgb_jpeg(_render(_corpus("photos/formats/jpeg/pil_sample_cmyk.jpg")))
    rgb = _assert_srgb_jpeg(_render(_corpus("photos/formats/jpeg/pil_sample_rgb.jpg")))
    assert cmyk.size == rgb.size
    assert _mean_diff(cmyk, rgb) < 6
    assert max(hi for _lo, hi in cmyk.getextrema()) > 200  # type: ignore[union-attr]


def test_cmyk_with_an_embedded_profile_is_converted_through_it() -> None:
    ink = Image.new("CMYK", (64, 64), (0, 255, 255, 0))
    src = _encode(ink, "JPEG", quality=95, icc_profile=cmyk_swap_profile())
    out = _assert_srgb_jpeg(_render(src))
    assert _near(_centre(out), (0, 0, 255)), f"profile ignored: {_centre(out)}"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_rgb_with_a_non_srgb_profile_is_converted_to_srgb(fmt: str) -> None:
    src = _encode(Image.new("RGB", (64, 64), (255, 0, 0)), fmt, icc_profile=rgb_swap_profile())
    out = _assert_srgb_jpeg(_render(src))
    assert _near(_centre(out), (0, 255, 0)), f"profile ignored: {_centre(out)}"


def test_corpus_photo_with_a_big_embedded_profile_exports_in_srgb() -> None:
    rel = "photos/formats/jpeg/icc_profile_big.jpg"
    src = Image.open(CORPUS / rel)
    expected = ImageCms.profileToProfile(
        src,
        ImageCms.ImageCmsProfile(io.BytesIO(src.info["icc_profile"])),
        ImageCms.createProfile("sRGB"),
    )
    assert expected is not None
    out = _assert_srgb_jpeg(_render(_corpus(rel)))
    assert _mean_diff(out, expected) < 4


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_grey_gradient_stays_a_full_range_gradient(fmt: str) -> None:
    raw = b"".join(struct.pack("<H", x * 257) for x in range(256)) * 16
    src = Image.frombytes("I;16", (256, 16), raw)
    data = _encode(src, fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = _assert_srgb_jpeg(_render(data))
    line = [out.getpixel((x, 8)) for x in range(256)]
    greys = [p[0] for p in line]  # type: ignore[index]
    assert greys[0] <= 8 and greys[-1] >= 247, (greys[0], greys[-1])
    assert abs(greys[128] - 128) <= 8
    assert all(b >= a - 6 for a, b in itertools.pairwise(greys)), "not monotonic"
    assert all(abs(p[0] - p[1]) <= 6 and abs(p[1] - p[2]) <= 6 for p in line)  # type: ignore[index]


@pytest.mark.parametrize(
    "rel",
    [
        "photos/formats/tiff/tiff_16bit_RGB.tiff",
        "photos/formats/png/basn2c16.png",
        "photos/formats/png/basn0g16.png",
    ],
)
def test_corpus_16_bit_photos_are_neither_clipped_nor_black(rel: str) -> None:
    src = Image.open(CORPUS / rel)
    src.load()
    if src.mode.startswith("I"):  # the reference: the top 8 bits of every sample
        ref = Image.new("L", src.size)
        for y in range(src.height):
            for x in range(src.width):
                ref.putpixel((x, y), int(src.getpixel((x, y))) >> 8)  # type: ignore[arg-type]
    else:
        ref = src.convert("RGB")
    out = _assert_srgb_jpeg(_render(_corpus(rel)))
    assert out.size == src.size
    assert _mean_diff(out, ref) < 6
    lo, hi = ImageStat.Stat(out.convert("L")).extrema[0]
    ref_lo, ref_hi = ImageStat.Stat(ref.convert("L")).extrema[0]
    assert abs(hi - ref_hi) <= 12 and abs(lo - ref_lo) <= 12
    assert len(out.convert("L").getcolors(256) or []) > 16  # a range of tones, not a flat field


def _alpha_cases() -> dict[str, bytes]:
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # black under full transparency
    rgba.paste((200, 20, 20, 255), (32, 0, 64, 64))
    la = Image.new("LA", (64, 64), (0, 0))
    la.paste((60, 255), (32, 0, 64, 64))
    pal = Image.new("P", (64, 64), 0)
    pal.putpalette([0, 0, 0, 200, 20, 20] + [0] * 762)
    pal.paste(1, (32, 0, 64, 64))
    return {
        "rgba-png": _encode(rgba, "PNG"),
        "rgba-webp": _encode(rgba, "WEBP", lossless=True),
        "la-png": _encode(la, "PNG"),
        "palette-png-trns": _encode(pal, "PNG", transparency=0),
        "palette-gif": _encode(pal, "GIF", transparency=0),
    }


ALPHA_CASES: Final = _alpha_cases()


@pytest.mark.parametrize("case", list(ALPHA_CASES))
def test_transparency_is_flattened_on_white(case: str) -> None:
    out = _assert_srgb_jpeg(_render(ALPHA_CASES[case]))
    assert _near(_centre(out, 0.2), (255, 255, 255), 8), f"transparent part: {_centre(out, 0.2)}"
    want = (60, 60, 60) if case.startswith("la") else (200, 20, 20)
    assert _near(_centre(out, 0.8), want, 12), f"opaque part: {_centre(out, 0.8)}"


def test_half_transparent_rgba_with_a_profile_is_blended_then_converted() -> None:
    src = Image.new("RGBA", (64, 64), (255, 0, 0, 128))
    out = _assert_srgb_jpeg(_render(_encode(src, "PNG", icc_profile=rgb_swap_profile())))
    # red at 50% over white is (255, 127, 127) in the source space: greenish in sRGB
    r, g, b = _centre(out)
    assert g > 230 and 90 < r < 190 and 90 < b < 190, (r, g, b)


@pytest.mark.parametrize(
    "rel",
    [
        "photos/formats/png/transparent.png",
        "photos/formats/png/basn6a08.png",
        "photos/formats/png/basn6a16.png",
        "photos/formats/png/tbbn3p08.png",
        "photos/formats/gif/transparent.gif",
        "photos/formats/webp/transparent.webp",
    ],
)
def test_corpus_transparent_photos_are_flattened_on_white(rel: str) -> None:
    src = Image.open(CORPUS / rel).convert("RGBA")
    out = _assert_srgb_jpeg(_render(_corpus(rel)))
    assert out.size == src.size
    clear, solid = [], []
    for y in range(0, src.height, 3):
        for x in range(0, src.width, 3):
            r, g, b, a = src.getpixel((x, y))  # type: ignore[misc]
            if a == 0:
                clear.append(out.getpixel((x, y)))
            elif a == 255:
                solid.append((out.getpixel((x, y)), (r, g, b)))
    assert clear, "the sample has no transparent pixel"
    assert sum(min(p) for p in clear) / len(clear) > 235  # type: ignore[arg-type]
    if solid:
        err = sum(
            sum(abs(o - s) for o, s in zip(px, want, strict=True))  # type: ignore[arg-type]
            for px, want in solid
        ) / (3 * len(solid))
        assert err < 20


# -- 4. metadata policy, read back from the outputs -------------------------------------------

XMP_WITH_GPS: Final = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'tiff:Orientation="6" exif:GPSLatitude="52,22.0N" exif:GPSLongitude="4,53.0E"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _tagged_jpeg(comment: bytes | None = None) -> bytes:
    """A camera-like JPEG: author, copyright, camera, date, GPS, maker note, serial numbers,
    Orientation 6 and XMP with a location (and a JPEG comment if asked)."""
    ex = Image.Exif()
    ex[0x010F] = "Canon"
    ex[0x0110] = "EOS R5"
    ex[0x013B] = "Jane Doe"
    ex[0x8298] = "(c) 2024 Jane Doe"
    ex[ORIENTATION] = 6
    ex[CAMERA_SERIAL] = "CSN-424242"
    sub = ex.get_ifd(IFD0)
    sub[0x9003] = "2024:05:06 07:08:09"
    sub[0x829A] = 0.004
    sub[0xA431] = "BODY-424242"
    sub[0xA435] = "LENS-424242"
    sub[MAKER_NOTE] = b"MAKERNOTE-424242"
    gps = ex.get_ifd(GPS)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 22.0, 1.0), "E", (4.0, 53.0, 2.0)
    im = Image.new("RGB", (300, 200), (200, 30, 30))
    extra = {"comment": comment} if comment else {}
    return _encode(im, "JPEG", exif=ex.tobytes(), xmp=XMP_WITH_GPS, **extra)


@pytest.mark.parametrize("policy", list(MetadataPolicy))
def test_metadata_policy_on_a_fully_tagged_photo(policy: MetadataPolicy) -> None:
    jpeg = _render(_tagged_jpeg(), "web640", MARK, policy)
    out = _assert_srgb_jpeg(jpeg)
    assert out.size == (200, 300)  # upright
    exif = out.getexif()
    sub = exif.get_ifd(IFD0)
    gps = exif.get_ifd(GPS)
    xmp = out.info.get("xmp") or b""
    assert exif.get(ORIENTATION) in (None, 1)
    assert not exif.get_ifd(IFD1)
    if policy is MetadataPolicy.ALL:
        assert exif[0x8298] == "(c) 2024 Jane Doe" and exif[0x013B] == "Jane Doe"
        assert gps.get(2) == (52.0, 22.0, 1.0) and gps.get(1) == "N"
        assert sub.get(0x9003) == "2024:05:06 07:08:09"
        assert b"GPSLatitude" in xmp and b'tiff:Orientation="1"' in xmp
    elif policy is MetadataPolicy.COPYRIGHT:
        assert exif.get(0x8298) == "(c) 2024 Jane Doe"
        assert exif.get(0x013B) == "Jane Doe"
        assert (exif.get(0x010F), exif.get(0x0110)) == ("Canon", "EOS R5")
        assert sub.get(0x9003) == "2024:05:06 07:08:09"
        assert GPS not in exif and not gps, "GPS kept"
        assert MAKER_NOTE not in sub, "maker note kept"
        assert not set(SERIAL_TAGS) & set(sub) and CAMERA_SERIAL not in exif, "serials kept"
        for secret in (b"424242", b"GPSLatitude", b"52,22"):
            assert secret not in jpeg, f"{secret!r} leaked"
    else:
        assert not exif and not xmp
        assert b"424242" not in jpeg and b"Jane Doe" not in jpeg and b"Canon" not in jpeg


def test_strip_all_leaves_only_the_picture_and_its_srgb_profile() -> None:
    jpeg = _render(
        _tagged_jpeg(b"Serial 424242, shot at 12 Home St"), "web640", MARK, MetadataPolicy.NONE
    )
    app_or_comment = [
        (hex(m), p[:12]) for m, p in _segments(jpeg) if 0xE0 <= m <= 0xEF or m == 0xFE
    ]  # APPn and COM
    allowed = [
        (m, p)
        for m, p in app_or_comment
        if (m == "0xe0" and p.startswith(b"JFIF")) or (m == "0xe2" and p.startswith(b"ICC_"))
    ]
    assert app_or_comment == allowed, f"metadata segments left: {app_or_comment}"
    assert b"424242" not in jpeg


def test_copyright_policy_drops_a_jpeg_comment() -> None:
    """A comment is free text (cameras and tools put serials and notes there): not author,
    copyright, date or camera, so `copyright` does not keep it."""
    jpeg = _render(_tagged_jpeg(b"Serial 424242, shot at 12 Home St"), "web640", MARK)
    assert not [p for m, p in _segments(jpeg) if m == 0xFE], "JPEG comment (COM) kept"


def _exif_with_utf8_text(fields: dict[int, str]) -> bytes:
    """EXIF whose ASCII tags hold UTF-8 bytes, as Lightroom and many cameras write them
    (Pillow itself would write '?' for every non-ASCII character)."""
    ex = Image.Exif()
    placeholders = {}
    for i, (tag, text) in enumerate(fields.items()):
        raw = text.encode("utf-8")
        stub = bytes([0x41 + i]) * len(raw)  # same byte length: offsets stay right
        ex[tag] = stub.decode("ascii")
        placeholders[stub] = raw
    data = ex.tobytes()
    for stub, raw in placeholders.items():
        assert data.count(stub) == 1
        data = data.replace(stub, raw)
    return data


@pytest.mark.parametrize("policy", [MetadataPolicy.ALL, MetadataPolicy.COPYRIGHT])
def test_non_ascii_author_and_copyright_are_kept_byte_for_byte(policy: MetadataPolicy) -> None:
    fields = {0x013B: "José Müller", 0x8298: "© 2024 José Müller, Zürich"}
    src = _encode(Image.new("RGB", (64, 48), "grey"), "JPEG", exif=_exif_with_utf8_text(fields))
    assert all(text.encode("utf-8") in src for text in fields.values())
    jpeg = _render(src, "web640", None, policy)
    for text in fields.values():
        assert text.encode("utf-8") in jpeg, f"{text!r} was not kept as written"


@pytest.mark.parametrize("policy", [MetadataPolicy.ALL, MetadataPolicy.COPYRIGHT])
@pytest.mark.parametrize("rel", ["photos/exif/Reagan.jpg", "photos/formats/tiff/Reagan.tiff"])
def test_corpus_artist_is_kept_unchanged(rel: str, policy: MetadataPolicy) -> None:
    src = Image.open(CORPUS / rel).getexif()
    assert src.get(0x013B), "the corpus photo was expected to name its artist"
    out = _open(_render(_corpus(rel), "web640", None, policy)).getexif()
    assert out.get(0x013B) == src.get(0x013B)


GPS_PHOTOS: Final = (
    "photos/exif/exif_gps.jpg",
    "photos/exif/FurnaceCreekInn.jpg",
    "photos/exif/exiv2-bug2565.jpg",
    "photos/formats/tiff/Reagan.tiff",
    "photos/formats/tiff/ifd_tag_type.tiff",  # FLIR: CameraSerialNumber too
    "photos/formats/webp/exiv2-bug1199.webp",
    "photos/formats/heic/IMG_5195.HEIC",
)


@pytest.mark.parametrize("policy", list(MetadataPolicy))
@pytest.mark.parametrize("rel", GPS_PHOTOS)
def test_corpus_gps_and_camera_fields_follow_the_policy(rel: str, policy: MetadataPolicy) -> None:
    src = Image.open(CORPUS / rel).getexif()
    src_gps = src.get_ifd(GPS)
    src_sub = src.get_ifd(IFD0)
    assert src_gps, f"{rel} was expected to carry GPS"
    out = _assert_srgb_jpeg(_render(_corpus(rel), "web640", None, policy))
    exif = out.getexif()
    sub, gps = exif.get_ifd(IFD0), exif.get_ifd(GPS)
    assert exif.get(ORIENTATION) in (None, 1)
    assert not exif.get_ifd(IFD1)
    if policy is MetadataPolicy.NONE:
        assert not exif and not out.info.get("xmp")
        return
    for tag in (0x010F, 0x0110):  # Make, Model (Artist: see test_corpus_artist_...)
        assert exif.get(tag) == src.get(tag), ExifTags.TAGS[tag]
    assert sub.get(0x9003) == src_sub.get(0x9003)  # DateTimeOriginal
    if policy is MetadataPolicy.ALL:
        assert gps.get(2) == src_gps.get(2) and gps.get(4) == src_gps.get(4)
    else:
        assert not gps and GPS not in exif
        assert MAKER_NOTE not in sub
        assert not set(SERIAL_TAGS) & set(sub) and CAMERA_SERIAL not in exif
        assert not out.info.get("xmp")  # XMP can carry the location


# Tags that describe how a TIFF stores its pixels: meaningless (and stale) in a JPEG's EXIF.
TIFF_STRUCTURE: Final = {
    0x0100: "ImageWidth",
    0x0101: "ImageLength",
    0x0102: "BitsPerSample",
    0x0103: "Compression",
    0x0106: "PhotometricInterpretation",
    0x0111: "StripOffsets",
    0x0115: "SamplesPerPixel",
    0x0116: "RowsPerStrip",
    0x0117: "StripByteCounts",
    0x011C: "PlanarConfiguration",
    0x0152: "ExtraSamples",
    0x8773: "InterColorProfile",  # the source's (non-sRGB) profile, again, inside EXIF
}


@pytest.mark.parametrize(
    "rel", ["photos/formats/tiff/Reagan.tiff", "photos/formats/tiff/ifd_tag_type.tiff"]
)
def test_keep_all_does_not_copy_tiff_pixel_layout_tags_into_the_jpeg(rel: str) -> None:
    out = _open(_render(_corpus(rel), "web640", None, MetadataPolicy.ALL)).getexif()
    assert out.get(0x010F), "camera make expected to be kept"
    stale = sorted(TIFF_STRUCTURE[t] for t in set(out) & set(TIFF_STRUCTURE))
    assert not stale, f"TIFF layout tags in the JPEG's EXIF: {stale}"


# Corpus photos with an EXIF thumbnail (IFD1) and/or a preview in their maker notes.
PREVIEW_PHOTOS: Final = (
    "photos/exif/exiv2-bug2565.jpg",
    "photos/exif/Reagan.jpg",
    "photos/exif/exiv2-canon-eos-300d.jpg",
    "photos/exif/exiv2-nikon-d70.jpg",
    "photos/exif/exiv2-bug1114.jpg",
    "photos/exif/flower.jpg",
    "photos/formats/jpeg/exiv2-bug876.jpg",
    "photos/formats/webp/exiv2-bug1199.webp",
    "photos/formats/mpo/frozenpond.mpo",
)


@pytest.mark.parametrize("policy", list(MetadataPolicy))
@pytest.mark.parametrize("rel", PREVIEW_PHOTOS)
def test_no_policy_lets_an_embedded_clean_preview_past_the_watermark(
    rel: str, policy: MetadataPolicy
) -> None:
    data = _corpus(rel)
    has_thumb = bool(Image.open(io.BytesIO(data)).getexif().get_ifd(IFD1))
    assert has_thumb or data.count(SOI) > 1, f"{rel}: no embedded picture to test with"
    jpeg = _render(data, "web640", MARK, policy)
    out = _open(jpeg)
    assert not out.getexif().get_ifd(IFD1), "EXIF thumbnail (IFD1) kept"
    embedded = jpeg.count(SOI) - 1
    assert embedded == 0, (
        f"{rel} --metadata {policy.value}: {embedded} embedded JPEG(s) in the output "
        f"(first at byte {jpeg.find(SOI, 2)}): a clean preview travels with the watermarked photo"
    )


# -- 5. names: unit tests of the planner, then hostile names on disk ---------------------------


def _name_problems(name: str) -> list[str]:
    """What makes one exported relative path unsafe on Linux, macOS or Windows, in a folder or
    a zip (empty: nothing)."""
    problems = []
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        problems.append("not relative")
    if "\\" in name:
        problems.append("backslash")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            problems.append(f"component {part!r}")
            continue
        if part.startswith("."):
            problems.append("hidden (dot) component")
        if part != part.rstrip(" ."):
            problems.append("trailing dot or space")
        if set(part) & set('<>:"|?*'):
            problems.append("character not allowed on Windows")
        controls = [c for c in part if unicodedata.category(c) == "Cc"]
        if controls:
            problems.append(f"control character(s) {controls!r}")
        if part.split(".", 1)[0].rstrip(" ").casefold() in WINDOWS_DEVICES:
            problems.append("reserved device name")
        if len(part.encode("utf-8", "surrogatepass")) > 255:
            problems.append("component longer than 255 bytes")
    return problems


def _assert_portable_path(name: str, *, seen: set[str] | None = None) -> None:
    problems = _name_problems(name)
    assert not problems, f"{name!r}: {problems}"
    if seen is not None:
        key = unicodedata.normalize("NFC", name).casefold()
        assert key not in seen, f"{name!r} clashes with another name (case/normalisation)"
        seen.add(key)


HOSTILE: Final = [
    "..jpg",
    "..",
    ".",
    "",
    " .hidden.jpg",
    "  ..jpg",
    "CON.jpg",
    "aux.JPG",
    "con .jpg",
    "Lpt1.tar.jpg",
    "COM¹.jpg",
    "a:b.jpg",
    "new\nline.jpg",
    "tab\there.jpg",
    "back\\slash.jpg",
    "C:\\Windows\\x.jpg",
    "/etc/passwd",
    "../../escape.jpg",
    "x\x85y.jpg",
    "del\x7f.jpg",
    "é" * 123 + ".jpg",  # 250 bytes of UTF-8
    unicodedata.normalize("NFD", "café.jpg"),
    "café.jpg",
    "Photo.JPG",
    "photo.jpg",
    "trailing.",
    'q?<>|*".jpg',
]


C1_CONTROL: Final = "csi\x9b31m.jpg"  # U+009B: an 8-bit CSI, starts a terminal escape


@pytest.mark.parametrize(
    "name", [*HOSTILE, C1_CONTROL], ids=[repr(n)[:30] for n in [*HOSTILE, C1_CONTROL]]
)
def test_safe_component_makes_a_portable_name(name: str) -> None:
    safe = safe_component(name)
    _assert_portable_path(safe)
    assert "/" not in safe
    assert safe == unicodedata.normalize("NFC", safe)


def test_safe_component_keeps_an_extension_when_shortening() -> None:
    long = safe_component("é" * 123 + ".jpg")
    assert long.endswith(".jpg") and len(long.encode()) <= 255
    assert safe_component("IMG_0001.CR3") == "IMG_0001.CR3"  # ordinary names untouched
    assert safe_component("Ceremony – first dance.jpg") == "Ceremony – first dance.jpg"


def test_safe_component_accepts_names_decoded_from_non_utf8_bytes() -> None:
    """On Linux os.listdir/os.fsdecode give lone surrogates for non-UTF-8 bytes."""
    name = os.fsdecode(b"caf\xe9.jpg")
    safe = safe_component(name)
    safe.encode("utf-8")  # a name that can be written anywhere
    _assert_portable_path(safe)


def test_name_planner_hands_out_unique_contained_names() -> None:
    planner = NamePlanner()
    seen: set[str] = set()
    folders = [["Ceremony"], ["ceremony"], [".."], ["CON"], ["a/b"], ["C:"], [""]]
    for folder in folders:
        for name in [*HOSTILE, *HOSTILE]:
            got = planner.reserve(folder, name)
            _assert_portable_path(got, seen=seen)
    assert len(seen) == len(folders) * 2 * len(HOSTILE)


def test_name_planner_suffixes_clashes_and_respects_what_exists() -> None:
    existing = {"party/a.jpg", "party/a (2).jpg"}  # on a case-insensitive disk
    planner = NamePlanner(lambda rel: rel.casefold() in existing)
    assert planner.reserve(["Party"], "a.jpg") == "Party/a (3).jpg"
    assert planner.reserve(["Party"], "A.JPG") == "Party/A (4).JPG"
    assert planner.reserve(["Party"], "b.jpg") == "Party/b.jpg"
    assert planner.reserve(["Party"], "B.jpg") == "Party/B (2).jpg"
    assert planner.reserve([], "b.jpg") == "b.jpg"


def test_naming_patterns() -> None:
    values = {"stem": "IMG_1", "gallery": "Party", "index": "007", "date": "2024-05-06"}
    assert expand_pattern("{gallery}-{index}-{stem}", values) == "Party-007-IMG_1"
    assert expand_pattern("{stem}{nope}", values) == "IMG_1{nope}"
    assert check_pattern("{stem}") is None and check_pattern("{date}_{index}") is None
    for bad in ("", "   ", "fixed", "{date}", "{stem}{nope}"):
        assert check_pattern(bad), bad


# Hostile names on disk, as bytes (Linux allows anything but '/' and NUL).
HOSTILE_FILES: Final = [
    b" .hidden.jpg",
    b"  ..jpg",
    b"CON.jpg",
    b"aux.JPG",
    b"a:b.jpg",
    b"new\nline.jpg",
    b"tab\there.jpg",
    b"back\\slash.jpg",
    b"C:evil.jpg",
    b"csi\xc2\x9b31m.jpg",  # U+009B, a C1 control character
    ("é" * 123 + ".jpg").encode(),  # 250 bytes
    unicodedata.normalize("NFD", "café.jpg").encode(),
    "café.jpg".encode(),
    b"Photo.JPG",
    b"photo.jpg",
    b"caf\xe9.jpg",  # Latin-1: not UTF-8
    b"caf\xe8.jpg",
    b"\xff\xfe.jpg",
    b"dots...jpg",
]
HOSTILE_FOLDERS: Final = [b"", b"CON/", b"Gal\\lery/", b"x:y /"]


def _hostile_shoot(parent: Path) -> bytes:
    shoot = os.path.join(os.fsencode(parent), b"..\\evil:shoot")
    for folder in HOSTILE_FOLDERS:
        for name in HOSTILE_FILES:
            path = os.path.join(shoot, folder + name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            copy_from_corpus("photos/exif/exiv2-sony-dsc-w7.jpg", path)
    return shoot


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_hostile_file_names_cannot_escape_or_clash(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, zipped: bool
) -> None:
    shoot = _hostile_shoot(tmp_path / "shoots")
    cid = _import(catalog, cache, shoot)
    exports = tmp_path / "exports"
    out = exports / "out"
    out.mkdir(parents=True)
    before = _snapshot(tmp_path, skip=[b"home", b"exports/out"])

    summary = _export(catalog, cid, out, "web640", zip_file=zipped)

    assert summary.ok, summary.failed
    total = len(HOSTILE_FILES) * len(HOSTILE_FOLDERS)
    assert len(summary.written) == total, "media dropped"
    assert _snapshot(tmp_path, skip=[b"home", b"exports/out"]) == before, "written outside"
    if zipped:
        target = Path(summary.target or "")
        assert target.parent == out.resolve() and target.suffix == ".zip"
        _assert_portable_path(target.name)
        assert os.listdir(out) == [target.name], "part files or strays next to the zip"
        with zipfile.ZipFile(target) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            assert z.testzip() is None
            for info in infos:
                if not info.filename.isascii():
                    assert info.flag_bits & 0x800, "non-ASCII name not marked UTF-8"
            z.extractall(tmp_path / "unzipped")
        assert sorted(names) == sorted(summary.written)
        assert len(_files_under(tmp_path / "unzipped")) == total
    else:
        names = _files_under(out)
        assert sorted(names) == sorted(summary.written)
    problems = {n: _name_problems(n) for n in names}
    bad = "\n".join(f"{n!r}: {', '.join(p)}" for n, p in sorted(problems.items()) if p)
    assert not bad, f"unsafe names:\n{bad}"
    keys = {unicodedata.normalize("NFC", n).casefold() for n in names}
    assert len(keys) == len(names), "names that clash on case-insensitive disks"


def test_a_jpeg_rendition_always_ends_in_jpg(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    """Names whose stem cleans away to nothing or to dots still give `something.jpg`."""
    shoot = tmp_path / "Shoot"
    for name in ("  ..jpg", " .jpg", "_.jpg", "x. .jpg", "IMG_1.JPG"):
        copy_from_corpus("photos/exif/exiv2-sony-dsc-w7.jpg", shoot / name)
    cid = _import(catalog, cache, shoot)
    out = tmp_path / "out"
    summary = _export(catalog, cid, out, "web640")
    assert summary.ok and len(summary.written) == 5
    no_ext = [n for n in summary.written if not n.endswith(".jpg")]
    assert not no_ext, f"JPEG renditions without .jpg: {no_ext}"
    for name in summary.written:
        _assert_portable_path(name)


# -- 6. clashes: never overwrite --------------------------------------------------------------


def _with_suffix(name: str, n: int) -> str:
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    new = f"{stem} ({n}){dot}{ext}" if dot else f"{base} ({n})"
    return f"{folder}/{new}" if folder else new


@pytest.mark.parametrize("preset", ["web640", "original"])
def test_exporting_twice_into_one_folder_keeps_both_runs(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, preset: str
) -> None:
    cid = _import(catalog, cache, make_shoot(tmp_path / "shoots"))
    out = tmp_path / "out"
    first = _export(catalog, cid, out, preset)
    after_first = _snapshot(out)
    second = _export(catalog, cid, out, preset)
    assert first.ok and second.ok
    assert {_with_suffix(n, 2) for n in first.written} == set(second.written)
    after_second = _snapshot(out)
    for rel, digest in after_first.items():
        assert after_second[rel] == digest, f"{rel!r} was overwritten"
    assert len(_files_under(out)) == 2 * len(first.written)


def test_a_zip_never_replaces_an_earlier_zip(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _import(catalog, cache, make_shoot(tmp_path / "shoots"))
    out = tmp_path / "out"
    one = _export(catalog, cid, out, "web640", zip_file=True)
    digest = _sha(one.target or "")
    two = _export(catalog, cid, out, "web640", zip_file=True)
    assert one.target != two.target
    assert _sha(one.target or "") == digest
    assert sorted(os.listdir(out)) == sorted(
        [Path(one.target or "").name, Path(two.target or "").name]
    )


def test_files_already_in_the_target_are_left_alone(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    cid = _import(catalog, cache, make_shoot(tmp_path / "shoots"))
    out = tmp_path / "out"
    (out / "Highlights").mkdir(parents=True)
    (out / "Highlights" / "cover.jpg").write_bytes(b"the client's own file")
    (out / "Party").mkdir()
    (out / "Party" / "C.JPG").write_bytes(b"mine too")
    summary = _export(catalog, cid, out, "web640")
    assert (out / "Highlights" / "cover.jpg").read_bytes() == b"the client's own file"
    assert (out / "Party" / "C.JPG").read_bytes() == b"mine too"
    assert "Highlights/cover (2).jpg" in summary.written
    assert _open((out / "Highlights" / "cover (2).jpg").read_bytes()).size == (480, 360)


def test_same_stem_different_formats_get_distinct_names(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Shoot"
    copy_from_corpus("photos/exif/flower.jpg", shoot / "a.jpg")
    copy_from_corpus("photos/formats/png/transparent.png", shoot / "a.png")
    copy_from_corpus("photos/formats/webp/flower2.webp", shoot / "A.webp")
    cid = _import(catalog, cache, shoot)

    out = tmp_path / "web"
    summary = _export(catalog, cid, out, "web640")
    assert summary.ok and len(summary.written) == 3
    assert len({n.casefold() for n in summary.written}) == 3
    outputs = [_open((out / n).read_bytes()) for n in summary.written]
    sizes = sorted(im.size for im in outputs)
    assert sizes == sorted([(480, 360), (200, 150), (300, 225)]), "one output replaced another"

    copies = _export(catalog, cid, tmp_path / "orig", "original")
    assert sorted(copies.written) == ["A.webp", "a.jpg", "a.png"]


def test_a_file_that_appears_after_planning_is_not_overwritten(tmp_path: Path) -> None:
    """Between choosing a name and writing, someone else may create that file (another
    export, a sync tool): the folder target takes the next free name instead."""
    out = tmp_path / "out"
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"video bytes")
    target = FolderTarget(out)
    photo = target.planner.reserve(["Party"], "a.jpg")
    video = target.planner.reserve(["Party"], "clip.mp4")
    (out / "Party").mkdir()
    (out / photo).write_bytes(b"someone else's photo")
    (out / video).write_bytes(b"someone else's video")
    got_photo = target.put(photo, b"our photo", None)
    got_video = target.put(video, None, os.fsencode(source))
    target.commit()
    assert (out / photo).read_bytes() == b"someone else's photo"
    assert (out / video).read_bytes() == b"someone else's video"
    assert got_photo != photo and (out / got_photo).read_bytes() == b"our photo"
    assert got_video != video and (out / got_video).read_bytes() == b"video bytes"
    assert not [n for n in _files_under(out) if PART_SUFFIX in n]


def test_a_zip_that_appears_before_commit_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = ZipTarget(out, "Wedding - Web")
    target.put("a.jpg", b"ours", None)
    (out / "Wedding - Web.zip").write_bytes(b"someone else's zip")
    final = target.commit()
    assert (out / "Wedding - Web.zip").read_bytes() == b"someone else's zip"
    assert final != out / "Wedding - Web.zip"
    with zipfile.ZipFile(final) as z:
        assert z.read("a.jpg") == b"ours"
    assert sorted(os.listdir(out)) == sorted(["Wedding - Web.zip", final.name])


def test_a_file_named_like_a_gallery_folder_is_a_clash_to_resolve(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    """A plain file called "Party" in the target: Party's photos go elsewhere, nothing is
    replaced, and the export does not stop."""
    cid = _import(catalog, cache, shoot)
    out = tmp_path / "out"
    out.mkdir()
    (out / "Party").write_bytes(b"a file, not a folder")
    summary = _export(catalog, cid, out, "web640")
    assert (out / "Party").read_bytes() == b"a file, not a folder"
    assert summary.ok and len(summary.written) == len(SHOOT_MEDIA)
    assert sorted(summary.written) == sorted(n for n in _files_under(out) if n != "Party")


# -- 7. cancel and failure leave nothing behind ------------------------------------------------


def _busy_shoot(parent: Path, n: int = 24) -> Path:
    shoot = parent / "Busy"
    for i in range(n):
        copy_from_corpus("photos/orientation/Landscape_6.jpg", shoot / f"IMG_{i:04}.jpg")
    copy_from_corpus("video/small_video.mp4", shoot / "clip.mp4")
    return shoot


def _prefilled(out: Path) -> None:
    (out / "older export").mkdir(parents=True)
    (out / "older export" / "IMG_0001.jpg").write_bytes(b"earlier")
    (out / "IMG_0002.jpg").write_bytes(b"someone's file")
    (out / "notes.txt").write_text("keep me")


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_cancel_takes_back_everything_this_run_wrote(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, zipped: bool
) -> None:
    cid = _import(catalog, cache, _busy_shoot(tmp_path / "shoots"))
    out = tmp_path / "out"
    _prefilled(out)
    before = _snapshot(out)
    token = CancelToken()
    seen: list[ExportProgress] = []

    def progress(p: ExportProgress) -> None:
        seen.append(p)
        if p.done >= 3:
            token.cancel()

    summary = _export(catalog, cid, out, "web640", zip_file=zipped, progress=progress, cancel=token)

    assert summary.cancelled and not summary.ok
    assert seen[-1].done < seen[-1].total, "the run finished before the cancel took effect"
    assert summary.written == []
    assert _snapshot(out) == before
    assert not [p for p in _files_under(out) if PART_SUFFIX in p or p.endswith(".zip")]


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_an_error_mid_run_also_takes_back_everything(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, zipped: bool
) -> None:
    cid = _import(catalog, cache, _busy_shoot(tmp_path / "shoots"))
    out = tmp_path / "out"
    _prefilled(out)
    before = _snapshot(out)

    def progress(p: ExportProgress) -> None:
        if p.done == 5:
            raise KeyboardInterrupt  # a second Ctrl-C, or a crash in the caller

    with pytest.raises(KeyboardInterrupt):
        _export(catalog, cid, out, "web640", zip_file=zipped, progress=progress)
    assert _snapshot(out) == before


# -- 8. originals are never touched ------------------------------------------------------------


def _stat_all(root: Path) -> dict[bytes, tuple[str, int, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            full = os.path.join(dirpath, name)
            st = os.stat(full)
            out[full] = (_sha(full), st.st_mtime_ns, st.st_size)
    return out


def test_full_corpus_export_never_touches_an_original(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    """The whole corpus (photos, videos, RAW, broken files and bombs) exported watermarked and
    as originals: not one original changes, by content or by date."""
    shoot = tmp_path / "Corpus"
    for folder in ("photos", "video", "raw", "bad"):
        shutil.copytree(CORPUS / folder, shoot / folder)  # copy2: mtimes kept
    for dirpath, _dirs, _files in os.walk(shoot):
        os.chmod(dirpath, 0o755)  # writable copies: a stray write would succeed
    for dirpath, _dirs, files in os.walk(os.fsencode(shoot)):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
    originals = _stat_all(shoot)
    cid = _import(catalog, cache, shoot)
    add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF {filename}", opacity=0.6))
    assert _stat_all(shoot) == originals  # importing only reads
    records = list_media(catalog, cid)
    catalogued = {m.path: m.state for m in records}
    assert len(catalogued) > 100

    marked = _export(catalog, cid, tmp_path / "web", "web2048", watermark="Proof")
    assert not marked.skipped and not marked.cancelled
    assert len(marked.written) + len(marked.failed) == len(catalogued)  # none dropped
    failed = {media for media, _why in marked.failed}
    # only broken files, and RAW test files whose pixel data and previews were stripped
    assert all(p.startswith(("bad/", "raw/")) for p in failed), failed
    assert all(catalogued[p] == "ok" for p in catalogued if p.startswith(("photos/", "video/")))
    assert not failed & {p for p in catalogued if p.startswith(("photos/", "video/"))}
    assert marked.clean_videos == sum(1 for m in records if m.kind == "video")

    copies = _export(catalog, cid, tmp_path / "zips", "original", zip_file=True)
    assert copies.ok and len(copies.written) == len(catalogued)  # broken files copy fine
    with zipfile.ZipFile(copies.target or "") as z:
        zipped = sorted(hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist())
    by_path = {os.fsdecode(k): v for k, v in originals.items()}
    expected = sorted(
        by_path[str(shoot / os.fsdecode(os.fsencode(p)))][0]
        for p in catalogued
        if str(shoot / p) in by_path
    )
    assert len(expected) >= len(catalogued) - 5  # paths with undecodable bytes aside
    assert set(expected) <= set(zipped)

    assert _stat_all(shoot) == originals, "an original changed (content or mtime)"
    # ... and nothing was added to the shoot (no part files, no sidecars)


@pytest.mark.parametrize("preset", ["web640", "original"])
def test_exporting_into_the_shoot_folder_itself_is_refused(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path, preset: str
) -> None:
    """Exports inside a collection's folder would be catalogued as new photos at the next
    scan (a watched folder does it at once): refused before anything is written."""
    cid = _import(catalog, cache, shoot)
    originals = _stat_all(shoot)
    for inside in (shoot, shoot / "Party", shoot / "Party" / "web"):
        with pytest.raises(BadInputError, match="inside collection 'Wedding'"):
            run_export(
                catalog, ExportRequest(cid, gallery_folders=False), _settings(preset), inside
            )
    assert _stat_all(shoot) == originals
    assert not (shoot / "Party" / "web").exists()
    # a zip is not media: it may go into the shoot folder, and never replaces anything
    summary = run_export(
        catalog, ExportRequest(cid), _settings(preset), shoot / "Party", zip_file=True
    )
    assert summary.ok and summary.target is not None
    after = _stat_all(shoot)
    assert {k: v for k, v in after.items() if k in originals} == originals
    assert len(after) == len(originals) + 1


def test_raw_files_are_copied_as_originals_or_rendered_from_their_preview(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shutil.copytree(CORPUS / "raw", tmp_path / "Raw")
    cid = _import(catalog, cache, tmp_path / "Raw")
    raws = sorted(os.listdir(tmp_path / "Raw"))
    copies = _export(catalog, cid, tmp_path / "orig", "original")
    assert sorted(copies.written) == raws
    assert all(_sha(tmp_path / "orig" / n) == _sha(tmp_path / "Raw" / n) for n in raws)
    web = _export(catalog, cid, tmp_path / "web", "web640")
    assert len(web.written) + len(web.failed) == len(raws)  # none dropped
    assert all(why.strip() for _m, why in web.failed)
    for name in web.written:
        assert name.endswith(".jpg")
        assert max(_open((tmp_path / "web" / name).read_bytes()).size) <= 640


def test_a_selection_or_a_filter_exports_only_what_it_names(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    ids = {r.path: r.id for r in list_media(catalog, cid)}
    chosen = [ids["Party/c.jpg"], ids["cover.jpg"]]
    picked = run_export(
        catalog, ExportRequest(cid, media_ids=chosen), _settings(), tmp_path / "sel", workers=2
    )
    assert sorted(picked.written) == ["c.jpg", "cover.jpg"]
    photos = run_export(
        catalog,
        ExportRequest(cid, where=MediaFilter(kind="photo")),
        _settings(),
        tmp_path / "photos",
        workers=2,
    )
    assert len(photos.written) == 4 and not any(n.endswith(".mp4") for n in photos.written)
    assert not photos.skipped  # filtered out is not "skipped"


def test_progress_runs_from_zero_to_the_total(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    seen: list[ExportProgress] = []
    summary = _export(catalog, cid, tmp_path / "out", progress=seen.append)
    assert [p.done for p in seen] == list(range(len(SHOOT_MEDIA) + 1))
    assert {p.total for p in seen} == {len(SHOOT_MEDIA)}
    assert len(summary.written) == len(SHOOT_MEDIA)


# -- 9. videos: copied or skipped, never dropped -----------------------------------------------


def test_videos_are_copied_byte_identical_by_default(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    for zipped in (False, True):
        out = tmp_path / f"out-{zipped}"
        summary = _export(catalog, cid, out, "web640", zip_file=zipped)
        assert "Party/clip.mp4" in summary.written and not summary.skipped
        if zipped:
            with zipfile.ZipFile(summary.target or "") as z:
                data = z.read("Party/clip.mp4")
        else:
            data = (out / "Party" / "clip.mp4").read_bytes()
        assert data == (shoot / "Party" / "clip.mp4").read_bytes()


def test_skipped_videos_are_listed_not_dropped(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    summary = _export(catalog, cid, tmp_path / "out", "web640", videos=VideoPolicy.SKIP)
    assert not any(n.endswith(".mp4") for n in summary.written)
    assert len(summary.written) == 4
    assert [m for m, _why in summary.skipped] == ["Party/clip.mp4"]
    assert "video" in summary.skipped[0][1]
    assert summary.ok  # skipping on purpose is not a failure


def test_a_watermarked_export_counts_videos_copied_clean(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    marked = _export(catalog, cid, tmp_path / "a", "web640", watermark="Proof")
    assert marked.clean_videos == 1 and marked.watermark == "Proof"
    clean = _export(catalog, cid, tmp_path / "b", "web640")
    assert clean.clean_videos == 0


# -- 10. bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["web640", "original"])
def test_a_file_gone_since_import_fails_with_a_reason_and_the_rest_is_exported(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path, preset: str
) -> None:
    cid = _import(catalog, cache, shoot)
    (shoot / "Ceremony" / "a.jpg").unlink()
    (shoot / "Party" / "clip.mp4").unlink()
    out = tmp_path / "out"
    summary = _export(catalog, cid, out, preset)
    problems = dict(summary.failed + summary.skipped)
    assert set(problems) == {"Ceremony/a.jpg", "Party/clip.mp4"}
    assert all("missing" in why for why in problems.values()), problems
    assert sorted(summary.written) == sorted(_files_under(out))
    assert len(summary.written) == 3
    assert not summary.ok


@pytest.mark.parametrize(
    ("rel", "words"),
    [
        ("bad/truncated/truncated_jpeg.jpg", "truncated"),
        ("bad/zero_byte/empty.jpg", ""),
        ("bad/corrupt_header/table.jpg", ""),
        ("bad/bombs/hopper_ihdr_65535x65535.png", "too large"),
        ("bad/bombs/decompression_bomb.gif", "too large"),
    ],
)
def test_a_broken_image_fails_with_a_reason_and_the_rest_is_exported(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path, rel: str, words: str
) -> None:
    name = "broken" + Path(rel).suffix
    copy_from_corpus(rel, shoot / "Party" / name)
    cid = _import(catalog, cache, shoot)
    out = tmp_path / "out"
    summary = _export(catalog, cid, out, "web640")
    failed = dict(summary.failed)
    assert set(failed) == {f"Party/{name}"}, summary.failed
    reason = failed[f"Party/{name}"]
    assert reason.strip() and "\n" not in reason and "Traceback" not in reason
    assert words in reason.lower()
    assert len(summary.written) == 5 and not summary.ok
    assert sorted(_files_under(out)) == sorted(summary.written)


def test_a_photo_with_the_wrong_extension_exports_by_its_content(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    copy_from_corpus("bad/wrong_extension/hopper_png_data.jpg", shoot / "Party" / "png.jpg")
    copy_from_corpus("bad/wrong_extension/flower2_jpeg_data.png", shoot / "Party" / "jpg.png")
    cid = _import(catalog, cache, shoot)
    summary = _export(catalog, cid, tmp_path / "out", "web640")
    assert summary.ok, summary.failed
    assert {"Party/png.jpg", "Party/jpg.jpg"} <= set(summary.written)


def test_a_target_that_is_a_file_is_refused_before_anything_is_written(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:

    cid = _import(catalog, cache, shoot)
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"x")
    for out in (blocker, blocker / "sub"):
        with pytest.raises(BadInputError):
            _export(catalog, cid, out, "web640")
    assert blocker.read_bytes() == b"x"


def test_run_export_refuses_a_bad_pattern_before_writing(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:

    cid = _import(catalog, cache, shoot)
    for pattern in ("", "fixed", "{nope}{stem}"):
        with pytest.raises(UserFacingError):
            _export(catalog, cid, tmp_path / "out", "web640", pattern=pattern)
    assert not (tmp_path / "out").exists()


def test_naming_pattern_tokens_in_a_run(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, shoot: Path
) -> None:
    cid = _import(catalog, cache, shoot)
    out = tmp_path / "out"
    summary = _export(catalog, cid, out, "web640", pattern="{gallery}_{index}_{stem}")
    assert summary.ok
    bases = sorted(n.rsplit("/", 1)[-1] for n in summary.written)
    assert len(bases) == 5
    for base in bases:
        assert re.fullmatch(
            r"(Highlights|Ceremony|Party)_\d{3}_(cover|a|b|c|clip)\.(jpg|mp4)", base
        )
    assert sorted(b.split("_")[1] for b in bases) == ["001", "002", "003", "004", "005"]
