"""Metadata removed from a JPEG without touching its pixels: the compressed picture is copied
segment by segment, so an "Original" stays the original photo, only without location etc."""

from __future__ import annotations

import struct
from typing import Final

_SOI: Final = b"\xff\xd8"
_EOI: Final = b"\xff\xd9"
_SOS: Final = 0xDA
_APP1: Final = 0xE1
_APP2: Final = 0xE2
_APP14: Final = 0xEE  # Adobe: says how to read CMYK/YCCK colours; part of the picture
_COM: Final = 0xFE


class JpegStructureError(ValueError):
    """Not a JPEG we can rewrite safely (the caller renders it instead)."""


def _keep(marker: int, body: bytes) -> bool:
    """Picture segments stay; metadata goes (EXIF/XMP, IPTC, comments, MPF, vendor blocks)."""
    if marker == 0xE0:  # APP0: JFIF/JFXX density (a JFXX thumbnail is rare but a picture)
        return body.startswith(b"JFIF\0")
    if marker == _APP2:
        return body.startswith(b"ICC_PROFILE\0")
    if marker == _APP14:
        return True
    return not (0xE1 <= marker <= 0xEF or marker == _COM)


def rewrite_metadata(data: bytes, exif: bytes | None) -> bytes:
    """`data` with every metadata segment removed and `exif` (an APP1 body starting with
    b"Exif\\0\\0", or None) put in their place. Trailing data after the picture (MPO second
    images, phone vendor trailers: often full-size previews) goes too."""
    if not data.startswith(_SOI):
        raise JpegStructureError("not a JPEG")
    if exif and len(exif) > 65533:
        raise JpegStructureError("EXIF block too large for one JPEG segment")
    out = [_SOI]
    pos = 2
    inserted = False
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise JpegStructureError("damaged JPEG structure")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise JpegStructureError("damaged JPEG segment")
        body = data[pos + 4 : end]
        keep = _keep(marker, body)
        if not inserted and exif and marker != 0xE0:
            out.append(b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif)
            inserted = True
        if marker == _SOS:
            eoi = data.find(_EOI, end)  # 0xFF in the entropy-coded data is always stuffed
            if eoi < 0:
                raise JpegStructureError("JPEG has no end marker (truncated?)")
            out.append(data[pos : eoi + 2])
            return b"".join(out)
        if keep:
            out.append(data[pos:end])
        pos = end
