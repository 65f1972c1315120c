"""Reading capture facts from EXIF and XMP: capture time, camera, lens, embedded preview."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Final

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

TAG_MAKE: Final = 0x010F
TAG_MODEL: Final = 0x0110
TAG_DATETIME_ORIGINAL: Final = 0x9003
TAG_DATETIME_DIGITIZED: Final = 0x9004
TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
TAG_LENS_MODEL: Final = 0xA434
TAG_THUMB_OFFSET: Final = 0x0201
TAG_THUMB_LENGTH: Final = 0x0202

_EXIF_DATE = re.compile(
    r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.\d+)?\s*(Z|[+\-]\d{2}:?\d{2})?"
)
# Capture-time properties in XMP, most trusted first. xmp:CreateDate is left out on purpose:
# editors set it to when a document was made, not when the photo was taken.
_XMP_DATE_TAGS: Final = (b"exif:DateTimeOriginal", b"photoshop:DateCreated")
_XMP_VALUE: Final = rb"\s*(?:=\s*[\"']|>)\s*([^\"'<]{1,80})"
_OFFSET = re.compile(r"^\s*([+\-])(\d{2}):?(\d{2})\s*$")


def clean_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", " ").strip()
    return text or None


def parse_capture_time(value: object, offset: object = None) -> str | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (or an XMP date) → ISO 8601; junk and zero dates → None."""
    text = clean_text(value)
    if text is None:
        return None
    m = _EXIF_DATE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, zone = m.groups()
    try:
        datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        return None
    iso = f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    off = clean_text(offset)
    om = _OFFSET.match(off) if off else None
    if om:
        iso += f"{om.group(1)}{om.group(2)}:{om.group(3)}"
    elif zone == "Z":
        iso += "+00:00"
    elif zone:
        iso += f"{zone[:3]}:{zone[-2:]}"
    return iso


def camera_name(make: object, model: object) -> str | None:
    """Make + model without the repetition: 'NIKON CORPORATION' + 'NIKON D70' → 'NIKON D70'."""
    mk, md = clean_text(make), clean_text(model)
    if not md:
        return mk
    if mk and not md.lower().startswith(mk.split()[0].lower()):
        return f"{mk} {md}"
    return md


def xmp_value(xmp: bytes | None, tag: bytes) -> str | None:
    """A simple XMP property, written as an attribute or as an element."""
    if not xmp:
        return None
    m = re.search(re.escape(tag) + _XMP_VALUE, xmp)
    return clean_text(m.group(1)) if m else None


def xmp_capture_time(xmp: bytes | None) -> str | None:
    for tag in _XMP_DATE_TAGS:
        found = parse_capture_time(xmp_value(xmp, tag))
        if found:
            return found
    return None


class ExifFacts:
    """Facts from a Pillow image's EXIF (and XMP), each read defensively."""

    def __init__(self, im: Image.Image) -> None:
        try:
            self.exif = im.getexif()
            self.sub = self.exif.get_ifd(ExifTags.IFD.Exif)
        except Exception as exc:  # malformed EXIF must not lose the photo
            log.warning("unreadable EXIF: %s", exc)
            self.exif, self.sub = Image.Exif(), {}
        self._im = im

    def taken_at(self) -> str | None:
        found = parse_capture_time(
            self.sub.get(TAG_DATETIME_ORIGINAL), self.sub.get(TAG_OFFSET_TIME_ORIGINAL)
        )
        if found:
            return found
        found = xmp_capture_time(self._xmp())
        if found:
            return found
        return parse_capture_time(self.sub.get(TAG_DATETIME_DIGITIZED))

    def _xmp(self) -> bytes | None:
        xmp = self._im.info.get("xmp")
        return xmp if isinstance(xmp, bytes) else None

    def camera(self) -> str | None:
        found = camera_name(self.exif.get(TAG_MAKE), self.exif.get(TAG_MODEL))
        if found:
            return found
        xmp = self._xmp()
        return camera_name(xmp_value(xmp, b"tiff:Make"), xmp_value(xmp, b"tiff:Model"))

    def lens(self) -> str | None:
        return clean_text(self.sub.get(TAG_LENS_MODEL))

    def embedded_thumbnail(self) -> bytes | None:
        """The JPEG in EXIF IFD1 (typically 160×120), if the file carries one intact."""
        raw = self._im.info.get("exif")
        if not isinstance(raw, bytes):
            return None
        try:
            ifd1 = self.exif.get_ifd(ExifTags.IFD.IFD1)
        except Exception:
            return None
        offset, length = ifd1.get(TAG_THUMB_OFFSET), ifd1.get(TAG_THUMB_LENGTH)
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            return None
        base = 6 if raw.startswith(b"Exif\x00\x00") else 0
        data = raw[base + offset : base + offset + length]
        if len(data) != length or not data.startswith(b"\xff\xd8"):
            return None
        return data
