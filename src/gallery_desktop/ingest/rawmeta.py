"""Read camera RAW metadata (size, orientation, date, camera, lens, preview) without decoding."""

from __future__ import annotations

import contextlib
import os
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

__all__ = ["RawMetadata", "RawMetadataError", "read_raw_metadata"]

_MAX_READ = 64 << 20  # bytes of the file head used for structure parsing
_MAX_PREVIEW = 64 << 20  # larger "previews" are treated as lies
_MAX_IFDS = 64  # IFDs / CIFF directories visited per file
_MAX_ENTRIES = 1024  # entries per IFD / CIFF directory
_MAX_BOXES = 4096  # ISO-BMFF boxes per nesting level
_MAX_TEXT = 512
_PEEK = 64 << 10
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
_TEXT_TAGS = {
    0x010F: "make",
    0x0110: "model",
    0x9003: "taken_at",
    0xA434: "lens",
    0x013B: "artist",
    0x8298: "copyright",
}
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_PRVW_UUID = bytes.fromhex("eaf42b5e1c984b88b9fbb7dc406e4d16")
_CRW_ROTATION = {90: 6, 180: 3, 270: 8}


class RawMetadataError(ValueError):
    """The file is not a RAW file this module can parse, or its structure is broken."""


@dataclass(frozen=True)
class RawMetadata:
    """Metadata of a RAW file; width/height are the display size (orientation applied)."""

    width: int | None
    height: int | None
    orientation: int | None
    taken_at: str | None
    make: str | None
    model: str | None
    lens: str | None
    preview: bytes | None
    artist: str | None = None
    copyright: str | None = None


@dataclass
class _Found:
    text: dict[str, str] = field(default_factory=dict)
    orientation: int | None = None
    sizes: list[tuple[int, int]] = field(default_factory=list)  # candidate (width, height)
    previews: list[tuple[int, int]] = field(default_factory=list)  # (file offset, length)

    def set_orientation(self, value: int) -> None:
        if self.orientation is None and 0 <= value <= 8:
            self.orientation = value or 1


def _clean(raw: bytes) -> str | None:
    text = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
    return text or None


def _u32(buf: bytes, pos: int, endian: str = ">") -> int:
    if pos < 0 or pos + 4 > len(buf):
        raise RawMetadataError(f"offset {pos} outside the file")
    value: int = struct.unpack_from(endian + "I", buf, pos)[0]
    return value


_Entry = tuple[int, int, int]  # (type, count, absolute value position)


class _Tiff:
    """Bounds-checked TIFF reader; IFD offsets are relative to ``base``."""

    def __init__(self, buf: bytes, base: int, end: int) -> None:
        order = buf[base : base + 2]
        if order not in (b"II", b"MM") or min(end, len(buf)) - base < 8:
            raise RawMetadataError("not a TIFF structure")
        self.endian = "<" if order == b"II" else ">"
        self.buf, self.base, self.end = buf, base, min(end, len(buf))
        if self.unpack("H", base + 2)[0] != 42:
            raise RawMetadataError("bad TIFF magic number")
        self.ifd0: int = self.unpack("I", base + 4)[0]

    def unpack(self, fmt: str, pos: int) -> tuple[int, ...]:
        if pos < self.base or pos + struct.calcsize("=" + fmt) > self.end:
            raise RawMetadataError(f"TIFF offset {pos - self.base} outside the data")
        return struct.unpack_from(self.endian + fmt, self.buf, pos)

    def ifd(self, rel: int) -> tuple[dict[int, _Entry], int]:
        pos = self.base + rel
        (count,) = self.unpack("H", pos)
        count = min(count, (self.end - pos - 2) // 12)
        if not 0 < count <= _MAX_ENTRIES:
            raise RawMetadataError(f"implausible IFD at offset {rel}")
        entries: dict[int, _Entry] = {}
        for i in range(count):
            at = pos + 2 + 12 * i
            tag, typ, n = self.unpack("HHI", at)
            size = _TYPE_SIZES.get(typ, 0) * n
            vpos = at + 8 if size <= 4 else self.base + self.unpack("I", at + 8)[0]
            if size > 0 and vpos + size <= self.end:  # skip entries whose data lies
                entries.setdefault(tag, (typ, n, vpos))
        at = pos + 2 + 12 * count
        nxt = self.unpack("I", at)[0] if at + 4 <= self.end else 0
        return entries, nxt

    def ints(self, entry: _Entry | None, limit: int = 1) -> list[int]:
        if entry is None or entry[0] not in _INT_FORMATS:
            return []
        return list(self.unpack(f"{min(entry[1], limit)}{_INT_FORMATS[entry[0]]}", entry[2]))

    def text(self, entry: _Entry | None) -> str | None:
        if entry is None or entry[0] not in (1, 2, 7):
            return None
        return _clean(self.buf[entry[2] : entry[2] + min(entry[1], _MAX_TEXT)])


def _walk_tiff(tiff: _Tiff, found: _Found) -> None:
    """Visit IFD0, its chain, SubIFDs and the Exif IFD (bounded, cycle-safe)."""
    queue: list[tuple[int, bool]] = [(tiff.ifd0, True)]  # (offset, follow next-IFD link)
    seen: set[int] = set()
    while queue and len(seen) < _MAX_IFDS:
        rel, follow = queue.pop(0)
        if rel == 0 or rel in seen:
            continue
        seen.add(rel)
        try:
            ifd, nxt = tiff.ifd(rel)
        except RawMetadataError:
            if len(seen) == 1:
                raise
            continue
        if follow:
            queue.append((nxt, True))
        queue += [(off, True) for off in tiff.ints(ifd.get(0x014A), 32)]
        queue += [(off, False) for off in tiff.ints(ifd.get(0x8769))]
        _collect(tiff, ifd, found)


def _collect(tiff: _Tiff, ifd: dict[int, _Entry], found: _Found) -> None:
    for tag, name in _TEXT_TAGS.items():
        value = tiff.text(ifd.get(tag))
        if value:
            found.text.setdefault(name, value)
    for orientation in tiff.ints(ifd.get(0x0112)):
        found.set_orientation(orientation)
    main_image = (tiff.ints(ifd.get(0x00FE)) or [0])[0] == 0
    for wtag, htag in ((0x0100, 0x0101), (0xA002, 0xA003)):
        width, height = tiff.ints(ifd.get(wtag)), tiff.ints(ifd.get(htag))
        if width and height and width[0] > 0 and height[0] > 0 and (main_image or wtag > 0x101):
            found.sizes.append((width[0], height[0]))
    offset, length = tiff.ints(ifd.get(0x0201)), tiff.ints(ifd.get(0x0202))
    if offset and length:
        found.previews.append((tiff.base + offset[0], length[0]))
    if tiff.ints(ifd.get(0x0103)) in ([6], [7]):  # JPEG-compressed single strip
        offsets, lengths = tiff.ints(ifd.get(0x0111), 2), tiff.ints(ifd.get(0x0117), 2)
        if len(offsets) == len(lengths) == 1:
            found.previews.append((tiff.base + offsets[0], lengths[0]))


def _boxes(buf: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, end) of the ISO-BMFF boxes in ``buf[start:end]``."""
    pos, end = start, min(end, len(buf))
    for _ in range(_MAX_BOXES):
        if pos < 0 or pos + 8 > end:
            return
        size, kind = struct.unpack_from(">I4s", buf, pos)
        head = 8
        if size == 1 and pos + 16 <= end:
            size, head = struct.unpack_from(">Q", buf, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < head:
            return
        yield kind, pos + head, min(pos + size, end)
        pos += size


def _find(buf: bytes, start: int, end: int, *path: bytes) -> tuple[int, int] | None:
    for kind in path:
        box = next(((s, e) for k, s, e in _boxes(buf, start, end) if k == kind), None)
        if box is None:
            return None
        start, end = box
    return start, end


def _find_uuid(buf: bytes, start: int, end: int, uuid: bytes) -> tuple[int, int] | None:
    boxes = _boxes(buf, start, end)
    return next(
        ((s + 16, e) for k, s, e in boxes if k == b"uuid" and buf[s : s + 16] == uuid), None
    )


def _parse_cr3(buf: bytes, found: _Found) -> None:
    """CR3: moov/uuid(Canon) holds CMT1 (IFD0) and CMT2 (Exif) TIFF blocks and a THMB JPEG."""
    moov = _find(buf, 0, len(buf), b"moov")
    if moov is None:
        raise RawMetadataError("CR3 file without a moov box")
    if canon := _find_uuid(buf, *moov, _CANON_UUID):
        for name in (b"CMT1", b"CMT2"):
            if cmt := _find(buf, *canon, name):
                with contextlib.suppress(RawMetadataError):
                    _walk_tiff(_Tiff(buf, *cmt), found)
        thmb = _find(buf, *canon, b"THMB")
        if thmb and thmb[1] - thmb[0] >= 16:
            found.previews.append((thmb[0] + 16, _u32(buf, thmb[0] + 8)))
    _cr3_track_jpeg(buf, *moov, found)
    prvw_uuid = _find_uuid(buf, 0, len(buf), _PRVW_UUID)
    prvw = _find(buf, prvw_uuid[0] + 8, prvw_uuid[1], b"PRVW") if prvw_uuid else None
    if prvw and prvw[1] - prvw[0] >= 16:
        found.previews.append((prvw[0] + 16, _u32(buf, prvw[0] + 12)))


def _cr3_track_jpeg(buf: bytes, start: int, end: int, found: _Found) -> None:
    """Track 1 of a CR3 holds the full-size JPEG: size from stsz, offset from co64/stco."""
    stbl = _find(buf, start, end, b"trak", b"mdia", b"minf", b"stbl")
    if stbl is None:
        return
    stsz = _find(buf, *stbl, b"stsz")
    co64, stco = _find(buf, *stbl, b"co64"), _find(buf, *stbl, b"stco")
    if stsz is None or stsz[1] - stsz[0] < 12:
        return
    size, count = _u32(buf, stsz[0] + 4), _u32(buf, stsz[0] + 8)
    if size == 0 and count and stsz[1] - stsz[0] >= 16:
        size = _u32(buf, stsz[0] + 12)
    if co64 and co64[1] - co64[0] >= 16:
        found.previews.append((struct.unpack_from(">Q", buf, co64[0] + 8)[0], size))
    elif stco and stco[1] - stco[0] >= 12:
        found.previews.append((_u32(buf, stco[0] + 8), size))


def _parse_crw(buf: bytes, found: _Found) -> None:
    """Canon CIFF: heaps end with the offset of their directory of 10-byte entries."""
    endian = "<" if buf[:2] == b"II" else ">"
    stack = [(_u32(buf, 2, endian), len(buf), 0)]  # (heap start, heap end, depth)
    for _ in range(_MAX_IFDS):
        if not stack:
            return
        start, end, depth = stack.pop()
        if not 0 <= start <= end - 6:
            continue
        pos = start + _u32(buf, end - 4, endian)
        if pos + 2 > end:
            continue
        (count,) = struct.unpack_from(endian + "H", buf, pos)
        for i in range(min(count, _MAX_ENTRIES, (end - pos - 2) // 10)):
            at = pos + 2 + 10 * i
            tag, size, offset = struct.unpack_from(endian + "HII", buf, at)
            if tag & 0xC000 == 0x4000:  # value stored in the entry itself
                vpos, size = at + 2, 8
            elif tag & 0xC000 or start + offset + size > end:
                continue
            else:
                vpos = start + offset
            if tag & 0x3800 in (0x2800, 0x3000):  # sub-directory
                if depth < 8 and vpos != at + 2:
                    stack.append((vpos, vpos + size, depth + 1))
            elif tag & 0x3FFF == 0x080A:
                make, _, model = buf[vpos : vpos + min(size, _MAX_TEXT)].partition(b"\0")
                for name, raw in (("make", make), ("model", model)):
                    if value := _clean(raw):
                        found.text.setdefault(name, value)
            elif tag & 0x3FFF == 0x180E and size >= 4:
                stamp = time.gmtime(_u32(buf, vpos, endian))
                found.text.setdefault("taken_at", time.strftime("%Y:%m:%d %H:%M:%S", stamp))
            elif tag & 0x3FFF == 0x1810 and size >= 16:
                width, height, _, rotation = struct.unpack_from(endian + "IIIi", buf, vpos)
                if width and height:
                    found.sizes.append((width, height))
                if rotation % 360 in _CRW_ROTATION:  # degrees clockwise, as dcraw reads it
                    found.set_orientation(_CRW_ROTATION[rotation % 360])
            elif tag & 0x3FFF in (0x2007, 0x2008):  # JpgFromRaw, ThumbnailImage
                found.previews.append((vpos, size))


def _is_display_jpeg(data: bytes) -> bool:
    """SOI present and no non-baseline/progressive frame (e.g. lossless raw data) in the headers."""
    if data[:2] != b"\xff\xd8":
        return False
    pos = 2
    for _ in range(256):
        if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] == 0xDA:
            return True
        marker = data[pos + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker in (0xC0, 0xC1, 0xC2)
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return True


def _pick_preview(
    fh: BinaryIO, head: bytes, size: int, candidates: list[tuple[int, int]]
) -> bytes | None:
    def read(offset: int, length: int) -> bytes:
        if offset + length <= len(head):
            return head[offset : offset + length]
        fh.seek(offset)
        return fh.read(length)

    for offset, length in sorted(set(candidates), key=lambda c: -c[1])[: 4 * _MAX_IFDS]:
        if offset < 0 or not 4 <= length <= _MAX_PREVIEW or offset + length > size:
            continue
        if _is_display_jpeg(read(offset, min(length, _PEEK))):
            data = read(offset, length)
            if len(data) == length:
                return data
    return None


def _parse(head: bytes) -> _Found:
    found = _Found()
    if head[:4] in (b"II*\0", b"MM\0*"):
        _walk_tiff(_Tiff(head, 0, len(head)), found)
    elif head[4:12] == b"ftypcrx ":
        _parse_cr3(head, found)
    elif head[6:14] == b"HEAPCCDR" and head[:2] in (b"II", b"MM"):
        _parse_crw(head, found)
    elif not head:
        raise RawMetadataError("empty file")
    else:
        raise RawMetadataError("not a supported RAW file (TIFF-based RAW, CR3 or CRW)")
    if not found.text and not found.sizes:
        raise RawMetadataError("no metadata found in RAW file")
    return found


def read_raw_metadata(path: str | os.PathLike[str] | bytes) -> RawMetadata:
    """Read size, orientation, capture time, camera, lens and JPEG preview of a RAW file.

    Raises RawMetadataError for unparsable files; OSError from opening/reading propagates.
    """
    with Path(os.fsdecode(path)).open("rb") as fh:
        head = fh.read(_MAX_READ)
        try:
            found = _parse(head)
            preview = _pick_preview(fh, head, os.fstat(fh.fileno()).st_size, found.previews)
        except (struct.error, IndexError, OverflowError) as exc:  # safety net
            raise RawMetadataError(f"malformed RAW structure: {exc}") from exc
    width, height = max(found.sizes, key=lambda s: s[0] * s[1], default=(None, None))
    if found.orientation in (5, 6, 7, 8):
        width, height = height, width
    return RawMetadata(
        width=width,
        height=height,
        orientation=found.orientation,
        taken_at=found.text.get("taken_at"),
        make=found.text.get("make"),
        model=found.text.get("model"),
        lens=found.text.get("lens"),
        artist=found.text.get("artist"),
        copyright=found.text.get("copyright"),
        preview=preview,
    )
