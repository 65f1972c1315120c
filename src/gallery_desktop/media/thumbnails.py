"""Thumbnails and previews: rendering, and the content-addressed disk cache they live in."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import threading
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import IO, Final

from PIL import Image

from gallery_desktop.media.decode import (
    DecodeError,
    apply_orientation,
    explain,
    open_image,
    to_rgb,
    to_srgb,
)

log = logging.getLogger(__name__)

DEFAULT_CACHE_CAP_BYTES: Final = 2 * 1024**3
JPEG_QUALITY: Final = 85


class ThumbSize(IntEnum):
    """Long-edge sizes in pixels. EMBEDDED is the camera's own preview, kept as it was."""

    EMBEDDED = 0
    GRID = 256
    PREVIEW = 1600


def _finish(im: Image.Image, orientation: int, icc: bytes | None) -> Image.Image:
    im = apply_orientation(im, orientation)
    return to_rgb(to_srgb(im, icc))


def draft_box(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The box to hand JPEG `draft` so it decodes at 1/2, 1/4 or 1/8 scale.

    It must have the image's aspect ratio: a square box makes libjpeg keep a larger scale
    (6000×4000 with (512, 512) decodes at 1/4, not 1/8). Twice the target size keeps the
    final LANCZOS resize as sharp as Pillow's own `reducing_gap=2`.
    """
    scale = 2 * long_edge / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def render(data: bytes | IO[bytes], long_edge: int) -> Image.Image:
    """Decode just enough of an image to make an sRGB RGB picture of `long_edge` pixels.

    Orientation is applied after the resize (fewer pixels to turn).
    """
    opened = open_image(data)
    im = opened.image
    icc = im.info.get("icc_profile")
    try:
        if max(im.size) > 2 * long_edge:
            im.draft(None, draft_box(im.width, im.height, long_edge))
        if im.mode == "P" or (im.mode in ("I;16", "I;16B", "I;16L", "I")):
            im = to_rgb(im)  # palette/16-bit cannot be resampled well as they are
        im.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS, reducing_gap=2.0)
        im.load()  # thumbnail() does not decode an image already small enough
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(explain(exc)) from exc
    return _finish(im, opened.orientation, icc if isinstance(icc, bytes) else None)


def encode_jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    return buf.getvalue()


def oriented_jpeg(data: bytes, orientation: int, long_edge: int | None = None) -> bytes:
    """Re-encode a small embedded JPEG preview upright (and no larger than `long_edge`)."""
    try:
        im: Image.Image = Image.open(io.BytesIO(data), formats=("JPEG",))
        if long_edge:
            im.thumbnail((long_edge, long_edge))
        im.load()
        return encode_jpeg(_finish(im, orientation, im.info.get("icc_profile")))
    except Exception as exc:
        raise DecodeError(explain(exc)) from exc


@dataclass(frozen=True)
class ThumbnailCache:
    """Files named by content hash and size, so moves and renames never invalidate them.

    Least-recently-used eviction uses each file's mtime, which `get` refreshes.
    """

    root: Path
    cap_bytes: int = DEFAULT_CACHE_CAP_BYTES

    def path_for(self, content_hash: str, size: ThumbSize) -> Path:
        return self.root / str(int(size)) / content_hash[:2] / f"{content_hash}.jpg"

    def get(self, content_hash: str | None, size: ThumbSize) -> Path | None:
        if not content_hash:
            return None
        p = self.path_for(content_hash, size)
        try:
            os.utime(p)
        except OSError:
            return None
        return p

    def has(self, content_hash: str, size: ThumbSize) -> bool:
        return self.path_for(content_hash, size).is_file()

    def put(self, content_hash: str, size: ThumbSize, jpeg: bytes) -> Path:
        """Write atomically: a reader never sees half a thumbnail."""
        target = self.path_for(content_hash, size)
        tmp = f"{target.parent}/.tmp-{os.getpid()}-{threading.get_ident()}-{target.name}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:  # first thumbnail in this shard
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(jpeg)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return target

    def hashes(self, size: ThumbSize) -> set[str]:
        """Content hashes with a picture of `size` in the cache (one listing, no stat calls)."""
        found: set[str] = set()
        top = os.path.join(self.root, str(int(size)))
        try:
            shards = [e.path for e in os.scandir(top) if e.is_dir()]
        except OSError:
            return found
        for shard in shards:
            try:
                with os.scandir(shard) as it:
                    found.update(e.name[:-4] for e in it if e.name.endswith(".jpg"))
            except OSError:
                continue
        return found

    def best(self, content_hash: str | None) -> Path | None:
        """The best picture we have right now: grid thumbnail, else the embedded preview."""
        for size in (ThumbSize.GRID, ThumbSize.EMBEDDED):
            p = self.get(content_hash, size)
            if p is not None:
                return p
        return None

    def usage(self) -> tuple[int, int]:
        files = total = 0
        for entry in self._entries():
            files += 1
            total += entry[1]
        return files, total

    def _entries(self) -> list[tuple[float, int, str]]:
        out: list[tuple[float, int, str]] = []
        if not self.root.is_dir():
            return out
        for dirpath, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".tmp-"):
                    continue  # being written by someone right now
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                out.append((st.st_mtime, st.st_size, full))
        return out

    def trim(self) -> int:
        """Delete least-recently-used files until the cache fits its cap; returns bytes freed."""
        entries = self._entries()
        total = sum(size for _m, size, _p in entries)
        if total <= self.cap_bytes:
            return 0
        freed = 0
        for _mtime, size, full in sorted(entries):
            if total - freed <= self.cap_bytes:
                break
            try:
                os.unlink(full)
            except OSError:
                continue
            freed += size
        log.info("thumbnail cache trimmed by %d bytes", freed)
        return freed
