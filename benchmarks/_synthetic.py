"""Synthetic inputs for the benchmarks, cached in `benchmarks/.cache/` between runs.

- `ensure_photo_set(n)`: n camera-like 24 MP JPEGs (6000×4000, quality 90, 5-8 MB each) with
  EXIF (Make, Model, Orientation, DateTimeOriginal) and a 160×120 JPEG thumbnail in IFD1. The
  EXIF block is written here with `struct`, so the benchmarks need nothing beyond Pillow.
- `ensure_file_tree(files, folders)`: a big tree of tiny valid JPEGs, for re-scan timing.

Cache folders are named after the generator version and the sizes, so changing a generator
(bump its version) or a size never reuses stale files.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths

CACHE_DIR: Final = Path(__file__).resolve().parent / ".cache"

PHOTO_GENERATOR_VERSION: Final = 2
TREE_GENERATOR_VERSION: Final = 1
PHOTO_SEED_BASE: Final = 1_000_003

PHOTO_SIZE: Final = (6000, 4000)
PHOTO_QUALITY: Final = 90
EXIF_THUMB_SIZE: Final = (160, 120)

CAMERAS: Final = (
    ("Canon", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON Z 6_2"),
    ("SONY", "ILCE-7M4"),
    ("FUJIFILM", "X-T4"),
)
# Mostly landscape-as-shot, with the rotations a camera writes for portrait frames.
ORIENTATIONS: Final = (1, 1, 1, 6, 1, 1, 8, 3)
FIRST_SHOT: Final = datetime(2024, 6, 15, 14, 0, 0)


def log(message: str) -> None:
    """Progress and setup notes go to stderr; results go to stdout."""
    print(message, file=sys.stderr, flush=True)


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


# -- EXIF (TIFF inside an APP1 segment), written by hand ---------------------------------------

ASCII: Final = 2
SHORT: Final = 3
LONG: Final = 4

TAG_COMPRESSION: Final = 0x0103
TAG_MAKE: Final = 0x010F
TAG_MODEL: Final = 0x0110
TAG_ORIENTATION: Final = 0x0112
TAG_THUMB_OFFSET: Final = 0x0201
TAG_THUMB_LENGTH: Final = 0x0202
TAG_EXIF_IFD: Final = 0x8769
TAG_EXIF_VERSION: Final = 0x9000
TAG_DATETIME_ORIGINAL: Final = 0x9003

UNDEFINED: Final = 7


@dataclass(frozen=True)
class _Entry:
    tag: int
    type: int
    count: int
    value: bytes  # already packed little-endian; <= 4 bytes go inline


def _ascii(tag: int, text: str) -> _Entry:
    raw = text.encode("ascii") + b"\x00"
    return _Entry(tag, ASCII, len(raw), raw)


def _short(tag: int, value: int) -> _Entry:
    return _Entry(tag, SHORT, 1, struct.pack("<H", value))


def _long(tag: int, value: int) -> _Entry:
    return _Entry(tag, LONG, 1, struct.pack("<I", value))


def _ifd_size(entries: Sequence[_Entry]) -> int:
    """Bytes an IFD takes: count, entries, next-IFD pointer, then its out-of-line values."""
    extra = sum(len(e.value) + len(e.value) % 2 for e in entries if len(e.value) > 4)
    return 2 + 12 * len(entries) + 4 + extra


def _ifd_bytes(start: int, entries: Sequence[_Entry], next_ifd: int) -> bytes:
    """An IFD placed at TIFF offset `start` (even), its long values right after it."""
    entries = sorted(entries, key=lambda e: e.tag)
    data_at = start + 2 + 12 * len(entries) + 4
    table = [struct.pack("<H", len(entries))]
    data: list[bytes] = []
    for e in entries:
        if len(e.value) <= 4:
            field = e.value.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", data_at)
            padded = e.value + b"\x00" * (len(e.value) % 2)
            data.append(padded)
            data_at += len(padded)
        table.append(struct.pack("<HHI", e.tag, e.type, e.count) + field)
    table.append(struct.pack("<I", next_ifd))
    out = b"".join(table + data)
    assert len(out) == _ifd_size(entries)
    return out


def build_exif(
    make: str, model: str, taken: datetime, orientation: int, thumbnail_jpeg: bytes
) -> bytes:
    """APP1 payload: b'Exif\\0\\0' + little-endian TIFF with IFD0, the Exif IFD and IFD1."""
    # Pointer values are LONGs stored inline, so every IFD's size is known before its offsets.
    ifd0 = [
        _ascii(TAG_MAKE, make),
        _ascii(TAG_MODEL, model),
        _short(TAG_ORIENTATION, orientation),
        _long(TAG_EXIF_IFD, 0),
    ]
    exif_ifd = [
        _Entry(TAG_EXIF_VERSION, UNDEFINED, 4, b"0232"),
        _ascii(TAG_DATETIME_ORIGINAL, taken.strftime("%Y:%m:%d %H:%M:%S")),
    ]
    ifd1 = [_short(TAG_COMPRESSION, 6), _long(TAG_THUMB_OFFSET, 0), _long(TAG_THUMB_LENGTH, 0)]
    ifd0_at = 8
    exif_at = ifd0_at + _ifd_size(ifd0)
    ifd1_at = exif_at + _ifd_size(exif_ifd)
    thumb_at = ifd1_at + _ifd_size(ifd1)
    ifd0[3] = _long(TAG_EXIF_IFD, exif_at)
    ifd1[1] = _long(TAG_THUMB_OFFSET, thumb_at)
    ifd1[2] = _long(TAG_THUMB_LENGTH, len(thumbnail_jpeg))
    tiff = b"".join(
        (
            b"II*\x00" + struct.pack("<I", ifd0_at),
            _ifd_bytes(ifd0_at, ifd0, ifd1_at),
            _ifd_bytes(exif_at, exif_ifd, 0),
            _ifd_bytes(ifd1_at, ifd1, 0),
            thumbnail_jpeg,
        )
    )
    payload = b"Exif\x00\x00" + tiff
    if len(payload) > 65533:
        raise ValueError(f"EXIF block too big for one APP1 segment ({len(payload)} bytes)")
    return payload


# -- photo-like 24 MP JPEGs ---------------------------------------------------------------------


def photo_like(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """Smooth colour gradients (sky, walls) with grainy, textured patches (foliage, fabric).

    Tuned so that quality-90 JPEGs of 6000×4000 come out at 5-8 MB, like camera files.
    """
    rnd = random.Random(seed)
    w, h = size

    def noise(nw: int, nh: int) -> Image.Image:
        return Image.frombytes("L", (nw, nh), rnd.randbytes(nw * nh))

    corners = Image.new("RGB", (6, 4))
    corners.putdata(
        [(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(24)]
    )
    base = corners.resize(size, Image.Resampling.BICUBIC)
    mid = Image.merge(
        "RGB",
        [noise(w // 6, h // 6).resize(size, Image.Resampling.BILINEAR) for _ in range(3)],
    )
    grain_l = noise(w, h)
    grain = Image.merge("RGB", (grain_l, grain_l, grain_l))

    small = Image.new("L", (w // 20, h // 20), 0)
    draw = ImageDraw.Draw(small)
    for _ in range(rnd.randint(4, 8)):
        x, y, r = rnd.randrange(w // 20), rnd.randrange(h // 20), rnd.randint(20, 80)
        draw.ellipse((x - r, y - r * 0.7, x + r, y + r * 0.7), fill=255)
    mask = small.resize(size, Image.Resampling.BILINEAR)

    smooth = Image.blend(Image.blend(base, mid, 0.08), grain, 0.04)
    busy = Image.blend(Image.blend(base, mid, 0.25), grain, 0.10)
    return Image.composite(busy, smooth, mask)


def exif_thumbnail(im: Image.Image) -> bytes:
    """A camera-style 160×120 JPEG: the frame letterboxed in black."""
    small = im.reduce(max(1, min(im.width // 400, im.height // 400)))
    small.thumbnail(EXIF_THUMB_SIZE, Image.Resampling.BICUBIC)
    tw, th = EXIF_THUMB_SIZE
    box = Image.new("RGB", EXIF_THUMB_SIZE, (0, 0, 0))
    box.paste(small, ((tw - small.width) // 2, (th - small.height) // 2))
    buf = io.BytesIO()
    box.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def photo_name(index: int) -> str:
    return f"IMG_{index + 1:05d}.jpg"


def write_photo(folder: Path, index: int) -> int:
    """Generate photo `index` into `folder` atomically; returns its size in bytes."""
    im = photo_like(PHOTO_SEED_BASE + index)
    make, model = CAMERAS[index % len(CAMERAS)]
    exif = build_exif(
        make,
        model,
        FIRST_SHOT + timedelta(seconds=7 * index),
        ORIENTATIONS[index % len(ORIENTATIONS)],
        exif_thumbnail(im),
    )
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=PHOTO_QUALITY, exif=exif)
    target = folder / photo_name(index)
    tmp = target.with_name(f".tmp-{target.name}")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(target)
    return len(buf.getvalue())


def _write_photo_job(args: tuple[str, int]) -> int:
    return write_photo(Path(args[0]), args[1])


def photo_set_dir(n: int) -> Path:
    return CACHE_DIR / f"photos-g{PHOTO_GENERATOR_VERSION}-n{n}"


def ensure_photo_set(n: int, workers: int | None = None) -> list[Path]:
    """The n photos (generated now if missing), all in one folder that holds nothing else."""
    folder = photo_set_dir(n) / "shoot"
    folder.mkdir(parents=True, exist_ok=True)
    for stray in folder.glob(".tmp-*"):  # left by an interrupted run
        stray.unlink()
    paths = [folder / photo_name(i) for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not p.is_file()]
    if missing:
        workers = workers or cpu_count()
        log(
            f"generating {len(missing)} synthetic 24 MP JPEGs into {folder} "
            f"on {workers} processes (cached for later runs)..."
        )
        started = time.perf_counter()
        jobs = [(str(folder), i) for i in missing]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, _size in enumerate(pool.map(_write_photo_job, jobs), 1):
                if done % 25 == 0 or done == len(jobs):
                    log(f"  {done}/{len(jobs)} ({time.perf_counter() - started:.0f} s)")
    return paths


# -- a big tree of tiny files -------------------------------------------------------------------


def tiny_jpeg() -> bytes:
    im = Image.linear_gradient("L").resize((16, 16)).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after SOI: still valid, different content hash."""
    raw = text.encode("ascii")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(raw) + 2) + raw + jpeg[2:]


def tree_dir(files: int, folders: int, identical: bool) -> Path:
    kind = "same" if identical else "unique"
    return CACHE_DIR / f"tree-g{TREE_GENERATOR_VERSION}-{files}f-{folders}d-{kind}"


def ensure_file_tree(files: int, folders: int, *, identical: bool = False) -> Path:
    """`files` tiny JPEGs named IMG_xxxxx.jpg spread over `folders` first-level folders.

    By default each file gets a distinct JPEG comment, so every file has its own content hash
    (and its own thumbnail), as in a real catalogue; `identical` writes byte-identical copies.
    """
    base = tree_dir(files, folders, identical)
    root = base / "tree"
    done_marker = base / "complete.json"
    if done_marker.is_file() and root.is_dir():
        return root
    log(f"writing {files} tiny JPEGs into {folders} folders under {root} (cached)...")
    started = time.perf_counter()
    if root.exists():
        shutil.rmtree(root)
    jpeg = tiny_jpeg()
    per_folder = -(-files // folders)
    for f in range(folders):
        sub = root / f"folder_{f:03d}"
        sub.mkdir(parents=True)
        for i in range(f * per_folder, min(files, (f + 1) * per_folder)):
            name = f"IMG_{i:05d}.jpg"
            (sub / name).write_bytes(jpeg if identical else with_comment(jpeg, name))
    done_marker.write_text(
        json.dumps({"files": files, "folders": folders, "identical": identical}) + "\n"
    )
    log(f"  done in {time.perf_counter() - started:.1f} s")
    return root


# -- helpers shared by both benchmarks ----------------------------------------------------------


@contextmanager
def fresh_home(prefix: str) -> Iterator[tuple[Catalog, ThumbnailCache]]:
    """A brand-new catalogue and thumbnail cache in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        paths = AppPaths.at_home(tmp).ensure()
        catalog = Catalog(paths.catalog_file, backup_dir=paths.backup_dir)
        try:
            yield catalog, ThumbnailCache(paths.thumbnail_dir)
        finally:
            catalog.close()


def read_all(paths: Sequence[Path]) -> int:
    """Read every file once (into the page cache); returns the bytes read."""
    total = 0
    for p in paths:
        with p.open("rb") as f:
            while chunk := f.read(8 * 1024**2):
                total += len(chunk)
    return total
