"""One file → the facts the catalogue keeps about it, or a readable reason it has none.

Probing is cheap (headers, EXIF, the embedded preview); full decoding for thumbnails happens
later, in `gallery_desktop.media.thumbnails`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import IO, Final

import xxhash

from gallery_desktop.ingest import rawmeta
from gallery_desktop.ingest.exif import ExifFacts, camera_name, parse_capture_time
from gallery_desktop.ingest.filetypes import UNSUPPORTED_EXTENSIONS, FileClass, extension, sniff
from gallery_desktop.media.decode import DecodeError, explain, open_image
from gallery_desktop.media.thumbnails import ThumbSize, encode_jpeg, oriented_jpeg, render
from gallery_desktop.media.video import VideoError, probe_video

log = logging.getLogger(__name__)

# Photos up to this size are read into memory once (hash + decode from the same bytes);
# bigger files are hashed in chunks and decoded from disk.
READ_WHOLE_LIMIT: Final = 512 * 1024**2
# Photos up to this size get their grid thumbnail while being probed (decoding them costs
# less than a second pass over the file); bigger ones get it in the thumbnail pass.
INLINE_RENDER_LIMIT: Final = 1024**2
CHUNK: Final = 4 * 1024**2


# Errors that say nothing about the file's content (a flaky drive, a permission later fixed,
# a busy machine): a re-scan tries such files again even when their size and mtime are the same.
PASSING_ERRORS: Final = ("permission denied", "cannot read the file", "not enough memory")


def is_passing_error(error: str | None) -> bool:
    return bool(error) and str(error).startswith(PASSING_ERRORS)


@dataclass
class ProbeResult:
    """What was learned about one file. `error` set means the file is catalogued as `error`."""

    kind: str
    size_bytes: int
    mtime_ns: int
    content_hash: str | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    taken_at: str | None = None
    camera: str | None = None
    lens: str | None = None
    duration: float | None = None
    error: str | None = None
    # Ready-made JPEGs for the thumbnail cache: the camera's preview (shown at once), and for
    # videos and raw files the grid thumbnail itself (no second pass needed).
    thumbnails: dict[ThumbSize, bytes] = field(default_factory=dict)
    needs_render: bool = False


def hash_bytes(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def hash_file(path: bytes | str) -> str:
    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def probe_file(path: bytes, file_class: FileClass, size: int, mtime_ns: int) -> ProbeResult:
    """Never raises for bad content: every failure becomes `error` on the result."""
    kind = "video" if file_class is FileClass.VIDEO else "photo"
    result = ProbeResult(kind=kind, size_bytes=size, mtime_ns=mtime_ns)
    try:
        if size == 0:
            result.error = "empty file (0 bytes): the copy failed or the card was damaged"
            return result
        if file_class is FileClass.UNSUPPORTED:
            result.content_hash = hash_file(path)
            ext = extension(os.path.basename(path))
            result.format = ext.lstrip(".").upper()
            result.error = f"unsupported file type: {UNSUPPORTED_EXTENSIONS.get(ext, ext)}"
            return result
        with open(path, "rb") as f:
            head = f.read(64)
        file_class = sniff(head) or file_class
        if file_class is FileClass.VIDEO:
            _probe_video(path, result)
        elif file_class is FileClass.RAW:
            _probe_raw(path, result)
        else:
            _probe_photo(path, result)
    except PermissionError:
        result.error = "permission denied: the file cannot be read"
    except OSError as exc:
        result.error = f"cannot read the file ({exc.strerror or exc})"
    except MemoryError:
        result.error = "not enough memory to read this file"
    except Exception as exc:  # a parser bug must cost one file, not the import
        log.exception("unexpected failure probing %r", path)
        result.error = explain(exc)
    return result


def _probe_photo(path: bytes, result: ProbeResult) -> None:
    result.kind = "photo"
    small = result.size_bytes <= INLINE_RENDER_LIMIT
    with open(path, "rb") as f:
        if result.size_bytes <= READ_WHOLE_LIMIT:
            data = f.read()
            result.content_hash = hash_bytes(data)
            _read_photo(data, path, result, want_placeholder=not small)
        else:  # giants: hash in chunks, read the headers from disk
            data = b""
            result.content_hash = hash_file(path)
            _read_photo(f, path, result, want_placeholder=True)
    if result.error is not None:
        return
    if small:  # cheap to decode: make the grid thumbnail now, from the bytes in hand
        try:
            result.thumbnails[ThumbSize.GRID] = encode_jpeg(render(data, int(ThumbSize.GRID)))
        except DecodeError as exc:
            result.error = str(exc)
    else:
        result.needs_render = True  # a later pass, so the grid fills first


def _read_photo(
    source: bytes | IO[bytes], path: bytes, result: ProbeResult, *, want_placeholder: bool
) -> None:
    try:
        opened = open_image(source)
    except DecodeError as exc:
        result.error = str(exc)
        return
    with opened.image as im:
        result.format = opened.format
        result.width, result.height = opened.width, opened.height
        result.orientation = opened.orientation
        facts = ExifFacts(im)
        result.taken_at = facts.taken_at()
        result.camera = facts.camera()
        result.lens = facts.lens()
        embedded = facts.embedded_thumbnail() if want_placeholder else None
    if embedded:
        try:
            result.thumbnails[ThumbSize.EMBEDDED] = oriented_jpeg(embedded, opened.orientation)
        except DecodeError:
            log.info("unusable embedded thumbnail in %r", path)


def _probe_video(path: bytes, result: ProbeResult) -> None:
    result.kind = "video"
    result.content_hash = hash_file(path)
    result.format = extension(os.path.basename(path)).lstrip(".").upper() or "VIDEO"
    try:
        facts = probe_video(os.fsdecode(path), int(ThumbSize.GRID))
    except VideoError as exc:
        result.error = str(exc)
        return
    result.width, result.height, result.duration = facts.width, facts.height, facts.duration
    if facts.frame is not None:
        result.thumbnails[ThumbSize.GRID] = encode_jpeg(facts.frame)
    else:
        log.info("no thumbnail for video %r: %s", path, facts.frame_error)


def _probe_raw(path: bytes, result: ProbeResult) -> None:
    result.content_hash = hash_file(path)
    result.format = extension(os.path.basename(path)).lstrip(".").upper()
    meta: rawmeta.RawMetadata | None
    try:
        meta = rawmeta.read_raw_metadata(path)
    except rawmeta.RawMetadataError as exc:
        meta = _raw_metadata_from_libraw(path)
        if meta is None:
            result.error = f"cannot read this raw file: {exc}"
            return
    result.width, result.height = meta.width, meta.height
    result.orientation = meta.orientation or 1
    result.taken_at = parse_capture_time(meta.taken_at)
    result.camera = camera_name(meta.make, meta.model)
    result.lens = meta.lens
    if meta.preview:
        try:
            grid = oriented_jpeg(meta.preview, result.orientation, int(ThumbSize.GRID))
            result.thumbnails[ThumbSize.GRID] = grid
        except DecodeError as exc:
            log.info("unusable raw preview in %r: %s", path, exc)


def _raw_metadata_from_libraw(path: bytes) -> rawmeta.RawMetadata | None:
    """For RAW formats our parser does not know (ORF, RW2, RAF, ...): size and preview."""
    import rawpy  # imported here: LibRaw is only needed for these rarer formats

    try:
        with open(path, "rb") as f, rawpy.imread(f) as raw:  # a file object: any name works
            sizes = raw.sizes
            orientation = {0: 1, 3: 3, 5: 8, 6: 6}.get(int(sizes.flip), 1)
            w, h = int(sizes.width), int(sizes.height)
            if orientation in (6, 8):
                w, h = h, w
            preview: bytes | None = None
            try:
                thumb = raw.extract_thumb()
                if thumb.format == rawpy.ThumbFormat.JPEG:
                    preview = bytes(thumb.data)
            except (rawpy.LibRawError, ValueError):
                preview = None
    except (rawpy.LibRawError, OSError, ValueError):
        return None
    return rawmeta.RawMetadata(
        width=w,
        height=h,
        orientation=orientation,
        taken_at=None,
        make=None,
        model=None,
        lens=None,
        preview=preview,
    )
