"""Export presets and the rendition of one file: size, colour, orientation, metadata, watermark.

Pure functions of a file's bytes and the settings: no catalogue, no Qt, safe on any thread.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
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
from gallery_desktop.media.jpeg_segments import JpegStructureError, rewrite_metadata
from gallery_desktop.media.metadata import (
    MetadataPolicy,
    comment_for,
    exif_for,
    exif_from_fields,
    xmp_for,
)
from gallery_desktop.media.raw_develop import raw_source
from gallery_desktop.media.watermark import TokenValues, WatermarkSpec, apply_watermark

__all__ = [
    "JPEG_FORMATS",
    "PRESETS",
    "ExportPreset",
    "ExportSettings",
    "MetadataPolicy",  # defined in media.metadata; part of an export's settings
    "Rendition",
    "VideoPolicy",
    "fit",
    "keeps_file_type",
    "needs_rendering",
    "render_photo",
    "render_raw",
]


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
    metadata: MetadataPolicy | None = None  # None: the preset's default (see `policy`)
    videos: VideoPolicy = VideoPolicy.COPY

    @property
    def policy(self) -> MetadataPolicy:
        """The metadata policy in force: by default ALL for Original (a byte-identical copy)
        and COPYRIGHT for the sized presets."""
        if self.metadata is not None:
            return self.metadata
        return MetadataPolicy.ALL if self.preset.long_edge is None else MetadataPolicy.COPYRIGHT

    @property
    def jpeg_quality(self) -> int:
        return self.quality if self.quality is not None else self.preset.quality


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
    """Original size, no watermark, all metadata kept: a byte-identical copy. Everything
    else is made (an Original without some metadata: see `keeps_file_type`)."""
    return (
        settings.preset.long_edge is not None
        or watermark is not None
        or settings.policy is not MetadataPolicy.ALL
    )


JPEG_FORMATS: Final = ("JPEG", "MPO")


def keeps_file_type(settings: ExportSettings, watermark: WatermarkSpec | None, fmt: str) -> bool:
    """Whether the output is the original's own kind of file: a plain copy, or an Original JPEG
    whose metadata was removed segment by segment (pixels untouched). Otherwise: a new JPEG."""
    if not needs_rendering(settings, watermark):
        return True
    return settings.preset.long_edge is None and watermark is None and fmt in JPEG_FORMATS


def fit(width: int, height: int, long_edge: int | None) -> tuple[int, int]:
    """The size after scaling so the long edge is at most `long_edge` (never enlarged)."""
    if long_edge is None or max(width, height) <= long_edge:
        return width, height
    scale = long_edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


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
    if settings.preset.long_edge is None and watermark is None:
        data = source if isinstance(source, bytes) else source.read()
        stripped = _original_without_metadata(data, settings.policy)
        if stripped is not None:
            return stripped
        source = data
    original, im = _decoded(source, settings.preset.long_edge, orientation)
    return _encode(original, im, settings, watermark, tokens)


def _original_without_metadata(data: bytes, policy: MetadataPolicy) -> Rendition | None:
    """An Original JPEG with only the metadata the policy keeps, its pixels byte for byte as
    they were (orientation stays a tag). None: not a JPEG we can rewrite; render instead."""
    opened = open_image(data)
    if opened.format not in JPEG_FORMATS:
        return None
    im = opened.image
    exif = exif_for(im, policy, im.size, opened.orientation)
    try:
        return Rendition(rewrite_metadata(data, exif), "")
    except JpegStructureError:
        return None


def render_raw(
    path: bytes,
    settings: ExportSettings,
    watermark: WatermarkSpec | None = None,
    tokens: TokenValues | None = None,
) -> Rendition:
    """A RAW file as the preset asks: from the camera's embedded JPEG when it is big enough,
    else developed by LibRaw (camera white balance, sRGB)."""
    if not needs_rendering(settings, watermark):
        return Rendition(None, "")
    source = raw_source(path, settings.preset.long_edge)
    if source.preview is not None:
        _original, im = _decoded(source.preview, settings.preset.long_edge, source.orientation)
    else:
        assert source.developed is not None
        im = source.developed
        size = fit(im.width, im.height, settings.preset.long_edge)
        if size != im.size:
            im = im.resize(size, Image.Resampling.LANCZOS)
    meta = source.meta
    exif = None
    if meta is not None:  # the RAW's own metadata: its preview JPEG usually carries none
        exif = exif_from_fields(
            settings.policy,
            make=meta.make,
            model=meta.model,
            lens=meta.lens,
            taken_at=meta.taken_at,
            artist=meta.artist,
            copyright=meta.copyright,
        )
    return _encode(None, im, settings, watermark, tokens, exif)


def _encode(
    original: Image.Image | None,
    im: Image.Image,
    settings: ExportSettings,
    watermark: WatermarkSpec | None,
    tokens: TokenValues | None,
    exif: bytes | None = None,
) -> Rendition:
    """Watermark, then save as JPEG with the sRGB profile and the metadata the policy keeps
    (`original`: the opened source file, for its metadata; None: use `exif` as given)."""
    if watermark is not None:
        im = apply_watermark(im, watermark, tokens)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": settings.jpeg_quality, "icc_profile": _SRGB_ICC}
    if exif:
        options["exif"] = exif
    if original is not None:
        for key, value in (
            ("exif", exif_for(original, settings.policy, im.size)),
            ("xmp", xmp_for(original, settings.policy)),
            ("comment", comment_for(original, settings.policy)),
        ):
            if value:
                options[key] = value
    im.info = {}  # Pillow falls back to what the picture carried (a comment, XMP): nothing
    if settings.jpeg_quality >= 93:
        options["subsampling"] = 0  # 4:4:4 for the big sizes: no colour bleeding on edges
    try:
        im.save(out, "JPEG", **options)
    except Exception as exc:
        raise DecodeError(f"cannot write the JPEG: {explain(exc)}") from exc
    return Rendition(out.getvalue(), ".jpg")
