"""Export presets and the rendition of one file: size, colour, orientation, metadata, watermark.

Pure functions of a file's bytes and the settings: no catalogue, no Qt, safe on any thread.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import IO, Final

from PIL import Image, ImageCms

from gallery_desktop.media.decode import (
    DecodeError,
    apply_orientation,
    explain,
    open_image,
    to_rgb,
    to_srgb,
)
from gallery_desktop.media.watermark import TokenValues, WatermarkSpec, apply_watermark


class MetadataPolicy(StrEnum):
    ALL = "all"  # every EXIF/XMP field (orientation reset, embedded thumbnail dropped)
    COPYRIGHT = "copyright"  # author, copyright, capture date, camera and exposure; no GPS
    NONE = "none"  # nothing but the sRGB colour profile


class VideoPolicy(StrEnum):
    COPY = "copy"
    SKIP = "skip"


@dataclass(frozen=True)
class ExportPreset:
    """What a client gallery delivers: a size (None = full size) and the JPEG quality."""

    key: str
    label: str
    long_edge: int | None
    quality: int


PRESETS: Final = {
    p.key: p
    for p in (
        ExportPreset("original", "Original", None, 95),
        ExportPreset("high", "High resolution (3600 px)", 3600, 92),
        ExportPreset("web2048", "Web 2048 px", 2048, 90),
        ExportPreset("web1024", "Web 1024 px", 1024, 88),
        ExportPreset("web640", "Web 640 px", 640, 85),
    )
}


@dataclass(frozen=True)
class ExportSettings:
    preset: ExportPreset = PRESETS["web2048"]
    quality: int | None = None  # None: the preset's
    metadata: MetadataPolicy = MetadataPolicy.COPYRIGHT
    videos: VideoPolicy = VideoPolicy.COPY

    @property
    def jpeg_quality(self) -> int:
        return self.quality if self.quality is not None else self.preset.quality

    def with_preset(self, key: str) -> ExportSettings:
        return replace(self, preset=PRESETS[key])


# EXIF tags kept by the COPYRIGHT policy (IFD0, then the Exif sub-IFD).
_IFD0_KEEP: Final = frozenset(
    {
        0x010E,  # ImageDescription
        0x010F,  # Make
        0x0110,  # Model
        0x0131,  # Software
        0x0132,  # DateTime
        0x013B,  # Artist
        0x8298,  # Copyright
    }
)
_EXIF_KEEP: Final = frozenset(
    {
        0x829A,  # ExposureTime
        0x829D,  # FNumber
        0x8822,  # ExposureProgram
        0x8827,  # ISO
        0x9003,  # DateTimeOriginal
        0x9004,  # DateTimeDigitized
        0x9010,  # OffsetTime
        0x9011,  # OffsetTimeOriginal
        0x9201,  # ShutterSpeedValue
        0x9202,  # ApertureValue
        0x9204,  # ExposureBiasValue
        0x9207,  # MeteringMode
        0x9209,  # Flash
        0x920A,  # FocalLength
        0xA405,  # FocalLengthIn35mmFilm
        0xA433,  # LensMake
        0xA434,  # LensModel
    }
)
_EXIF_IFD: Final = 0x8769
_GPS_IFD: Final = 0x8825
_INTEROP_IFD: Final = 0xA005
_ORIENTATION: Final = 0x0112
_XMP_ORIENTATION: Final = re.compile(
    rb"(tiff:Orientation=\"|<tiff:Orientation>)\s*\d\s*(\"|</tiff:Orientation>)"
)
_SRGB_ICC: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@dataclass(frozen=True)
class Rendition:
    """What goes into the target for one media: new JPEG bytes, or the original copied as is."""

    data: bytes | None  # None: copy the source file unchanged
    extension: str  # ".jpg" for renditions; the original's for copies

    @property
    def is_copy(self) -> bool:
        return self.data is None


def needs_rendering(settings: ExportSettings, watermark: WatermarkSpec | None) -> bool:
    """Original size without a watermark is a byte-identical copy; everything else is made."""
    return settings.preset.long_edge is not None or watermark is not None


def fit(width: int, height: int, long_edge: int | None) -> tuple[int, int]:
    """The size after scaling so the long edge is at most `long_edge` (never enlarged)."""
    if long_edge is None or max(width, height) <= long_edge:
        return width, height
    scale = long_edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _exif_bytes(source: Image.Image, policy: MetadataPolicy) -> bytes | None:
    if policy is MetadataPolicy.NONE:
        return None
    src = source.getexif()
    if not src:
        return None
    out = Image.Exif()
    if policy is MetadataPolicy.ALL:
        for tag, value in src.items():
            if tag not in (_EXIF_IFD, _GPS_IFD):
                out[tag] = value
        for ifd in (_EXIF_IFD, _GPS_IFD):
            sub = {k: v for k, v in src.get_ifd(ifd).items() if k != _INTEROP_IFD}
            if sub:
                out.get_ifd(ifd).update(sub)
    else:
        for tag in _IFD0_KEEP & set(src):
            out[tag] = src[tag]
        sub = {k: v for k, v in src.get_ifd(_EXIF_IFD).items() if k in _EXIF_KEEP}
        if sub:
            out.get_ifd(_EXIF_IFD).update(sub)
    out[_ORIENTATION] = 1  # the pixels are upright now
    try:
        return out.tobytes()
    except Exception:  # a tag Pillow cannot write back: keep what certainly can be
        if policy is MetadataPolicy.ALL:
            return _exif_bytes(source, MetadataPolicy.COPYRIGHT)
        return None


def _xmp(source: Image.Image, policy: MetadataPolicy) -> bytes | None:
    """XMP goes along only with ALL (it can carry location); its orientation is reset too."""
    if policy is not MetadataPolicy.ALL:
        return None
    xmp = source.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if not isinstance(xmp, bytes) or not xmp:
        return None
    return _XMP_ORIENTATION.sub(rb"\g<1>1\g<2>", xmp)


def draft_box_for(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """An aspect-correct `draft` box at the final size: libjpeg picks the largest 1/2, 1/4 or
    1/8 scale that still covers it (a square box would lose the scaling)."""
    scale = long_edge / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _decoded(
    source: bytes | IO[bytes], long_edge: int | None, orientation: int | None = None
) -> tuple[Image.Image, Image.Image]:
    """(the opened file, for its metadata; the upright sRGB RGB picture at the export size)."""
    opened = open_image(source)
    turn = opened.orientation if orientation is None else orientation
    im = original = opened.image
    icc = im.info.get("icc_profile")
    try:
        if long_edge is not None and max(im.size) > long_edge:
            im.draft(None, draft_box_for(im.width, im.height, long_edge))
        im.load()
        if im.mode == "P" or im.mode.startswith("I") or im.mode in ("F", "1"):
            im = to_rgb(im)  # palette, 16-bit and float cannot be resampled as they are
        size = fit(im.width, im.height, long_edge)
        if size != im.size:
            im = im.resize(size, Image.Resampling.LANCZOS)
        if im.mode != "CMYK":
            im = to_rgb(im)  # alpha flattened on white first: profiles apply to RGB/CMYK only
        im = to_rgb(to_srgb(im, icc if isinstance(icc, bytes) else None))
        im = apply_orientation(im, turn)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(explain(exc)) from exc
    return original, im


def render_photo(
    source: bytes | IO[bytes],
    settings: ExportSettings,
    watermark: WatermarkSpec | None = None,
    tokens: TokenValues | None = None,
    orientation: int | None = None,
) -> Rendition:
    """One photo as the preset asks: a byte-identical copy (Original, no watermark) or a new
    sRGB JPEG, upright, at most the preset's size, watermarked if asked, metadata per policy.

    `orientation` overrides the file's own (a RAW file's preview is turned by the RAW's)."""
    if not needs_rendering(settings, watermark):
        return Rendition(None, "")
    original, im = _decoded(source, settings.preset.long_edge, orientation)
    if watermark is not None:
        im = apply_watermark(im, watermark, tokens)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": settings.jpeg_quality, "icc_profile": _SRGB_ICC}
    exif = _exif_bytes(original, settings.metadata)
    if exif:
        options["exif"] = exif
    xmp = _xmp(original, settings.metadata)
    if xmp:
        options["xmp"] = xmp
    if settings.jpeg_quality >= 93:
        options["subsampling"] = 0  # 4:4:4 for the big sizes: no colour bleeding on edges
    try:
        im.save(out, "JPEG", **options)
    except Exception as exc:
        raise DecodeError(f"cannot write the JPEG: {explain(exc)}") from exc
    return Rendition(out.getvalue(), ".jpg")
