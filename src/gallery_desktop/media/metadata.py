"""What metadata an exported JPEG carries: keep all, keep copyright (no location), or none.

Whatever the policy, nothing that holds a picture goes along (the EXIF thumbnail, maker-note
previews, XMP thumbnails): it would show the clean photo past the watermark. Nor do tags that
describe the source file's pixel layout, which would be wrong for the new JPEG.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from PIL import Image


class MetadataPolicy(StrEnum):
    ALL = "all"  # every descriptive EXIF/XMP field (orientation reset, no embedded pictures)
    COPYRIGHT = "copyright"  # author, copyright, capture date, camera and exposure; no GPS
    NONE = "none"  # nothing but the sRGB colour profile


EXIF_IFD: Final = 0x8769
GPS_IFD: Final = 0x8825
ORIENTATION: Final = 0x0112

# Kept by COPYRIGHT: IFD0, then the Exif sub-IFD.
COPYRIGHT_IFD0: Final = frozenset(
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
COPYRIGHT_EXIF: Final = frozenset(
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
# Never copied, even by ALL: the source file's structure, pictures, and private blobs.
_STRUCTURE_IFD0: Final = frozenset(
    {
        0x00FE,
        0x00FF,  # NewSubfileType, SubfileType
        0x0100,
        0x0101,
        0x0102,
        0x0103,  # ImageWidth, ImageLength, BitsPerSample, Compression
        0x0106,
        0x010A,
        0x0111,
        0x0115,  # Photometric, FillOrder, StripOffsets, SamplesPerPixel
        0x0116,
        0x0117,
        0x011C,
        0x013D,  # RowsPerStrip, StripByteCounts, Planar, Predictor
        0x0140,
        0x0142,
        0x0143,
        0x0144,  # ColorMap, TileWidth, TileLength, TileOffsets
        0x0145,
        0x014A,
        0x0152,
        0x0153,  # TileByteCounts, SubIFDs, ExtraSamples, SampleFormat
        0x0201,
        0x0202,
        0x0211,
        0x0212,  # JPEGInterchangeFormat(+Length), YCbCr coefficients
        0x0213,
        0x02BC,  # YCbCrPositioning, XMP (sent as XMP, cleaned)
        0x83BB,
        0x8649,  # IPTC, Photoshop image resources (can hold a thumbnail)
        0x8773,
        0x935C,  # InterColorProfile (the source's: ours is sRGB), ImageSourceData
        0xC612,
        0xC613,
        0xC614,
        0xC634,  # DNG version/backward/model, DNGPrivateData
        0x927C,
        0xA005,  # MakerNote, Interoperability IFD
    }
)
_STRUCTURE_EXIF: Final = frozenset(
    {
        0x927C,  # MakerNote: often carries a full-size preview of the clean photo
        0xA005,  # Interoperability IFD
        0xA002,
        0xA003,  # PixelX/YDimension: the source's size, not the JPEG's
        0xA420,  # ImageUniqueID of the original file
    }
)
_SERIALS: Final = frozenset({0xA430, 0xA431, 0xA435})  # owner name, body and lens serials
_XMP_ORIENTATION: Final = re.compile(
    rb"(tiff:Orientation=\"|<tiff:Orientation>)\s*\d\s*(\"|</tiff:Orientation>)"
)
# XMP can carry base64 pictures: xmp:Thumbnails (Lightroom, Bridge) and xmpGImg:image.
_XMP_PICTURES: Final = (
    re.compile(rb"<xmp:Thumbnails\b.*?</xmp:Thumbnails>", re.DOTALL),
    re.compile(rb"<xmp:Thumbnails\b[^>]*/>"),
    re.compile(rb"\s(?:xmpGImg|xapGImg):image=\"[^\"]*\""),
    re.compile(rb"<(xmpGImg|xapGImg):image>.*?</\1:image>", re.DOTALL),
)


def _raw(value: object) -> object:
    """Text as its own bytes: Pillow reads EXIF text as Latin-1 and would write '?' for what
    is not ASCII (`© José` → `?? Jos?`); bytes go back exactly as the camera or Lightroom
    wrote them."""
    if isinstance(value, str) and not value.isascii():
        return value.encode("latin-1", "replace")
    return value  # ASCII text stays text: Pillow writes it with its proper ASCII type


def exif_for(
    source: Image.Image, policy: MetadataPolicy, size: tuple[int, int], orientation: int = 1
) -> bytes | None:
    """The EXIF block for an export of `source` at `size`, per policy (None: no EXIF).

    `orientation`: what the exported pixels still need (1 when they were turned upright; the
    original's value when they are the original's own, untouched)."""
    src = source.getexif()
    out = Image.Exif()
    if policy is MetadataPolicy.NONE or not src:
        if orientation == 1:
            return None
        out[ORIENTATION] = orientation  # not metadata: without it the photo shows sideways
        return out.tobytes()
    exif_ifd = src.get_ifd(EXIF_IFD)
    if policy is MetadataPolicy.ALL:
        ifd0 = {k: v for k, v in src.items() if k not in _STRUCTURE_IFD0 | {EXIF_IFD, GPS_IFD}}
        sub = {k: v for k, v in exif_ifd.items() if k not in _STRUCTURE_EXIF}
        gps = dict(src.get_ifd(GPS_IFD))
    else:
        ifd0 = {k: src[k] for k in COPYRIGHT_IFD0 & set(src)}
        sub = {k: v for k, v in exif_ifd.items() if k in COPYRIGHT_EXIF}
        gps = {}
    sub = {k: v for k, v in sub.items() if k not in _SERIALS or policy is MetadataPolicy.ALL}
    for tag, value in ifd0.items():
        out[tag] = _raw(value)
    if sub:
        if {0xA002, 0xA003} & set(exif_ifd):
            sub[0xA002], sub[0xA003] = size  # the JPEG's own size, where the camera said one
        out.get_ifd(EXIF_IFD).update({k: _raw(v) for k, v in sub.items()})
    if gps:
        out.get_ifd(GPS_IFD).update({k: _raw(v) for k, v in gps.items()})
    out[ORIENTATION] = orientation
    try:
        return out.tobytes()
    except Exception:  # a tag Pillow cannot write back: keep what certainly can be
        if policy is MetadataPolicy.ALL:
            return exif_for(source, MetadataPolicy.COPYRIGHT, size, orientation)
        return exif_for(source, MetadataPolicy.NONE, size, orientation)


def xmp_for(source: Image.Image, policy: MetadataPolicy) -> bytes | None:
    """XMP goes along only with ALL (it can carry location), without pictures, upright."""
    if policy is not MetadataPolicy.ALL:
        return None
    xmp = source.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if not isinstance(xmp, bytes) or not xmp:
        return None
    for pattern in _XMP_PICTURES:
        xmp = pattern.sub(b"", xmp)
    return _XMP_ORIENTATION.sub(rb"\g<1>1\g<2>", xmp)


def comment_for(source: Image.Image, policy: MetadataPolicy) -> bytes | None:
    """A JPEG comment (COM segment) is kept by ALL only: it can say anything."""
    comment = source.info.get("comment")
    if policy is not MetadataPolicy.ALL or not comment:
        return None
    return comment if isinstance(comment, bytes) else str(comment).encode("utf-8")


def exif_from_fields(
    policy: MetadataPolicy,
    *,
    make: str | None = None,
    model: str | None = None,
    lens: str | None = None,
    taken_at: str | None = None,  # EXIF style: "YYYY:MM:DD HH:MM:SS"
    artist: str | None = None,
    copyright: str | None = None,
) -> bytes | None:
    """EXIF for a picture whose source Pillow cannot read (a RAW file): the fields we parsed
    ourselves. None of them is location, so ALL and COPYRIGHT give the same."""
    if policy is MetadataPolicy.NONE:
        return None
    out = Image.Exif()
    for tag, value in ((0x010F, make), (0x0110, model), (0x013B, artist), (0x8298, copyright)):
        if value:
            out[tag] = _raw(value)
    sub = {tag: _raw(v) for tag, v in ((0x9003, taken_at), (0xA434, lens)) if v}
    if sub:
        out.get_ifd(EXIF_IFD).update(sub)
    if not out:
        return None
    out[ORIENTATION] = 1
    return out.tobytes()
