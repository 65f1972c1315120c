"""Tests for gallery_desktop.ingest.rawmeta (RAW metadata without pixel decoding)."""

from __future__ import annotations

import io
import os
import random
import struct
import time
from pathlib import Path

import pytest

from gallery_desktop.ingest.rawmeta import RawMetadata, RawMetadataError, read_raw_metadata

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

# A tiny marker-valid baseline JPEG (SOI, SOF0, EOI) and a lossless one (SOF3, i.e. raw data).
BASELINE_JPEG = b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xd9"
LOSSLESS_JPEG = b"\xff\xd8\xff\xc3\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xd9" * 4

EXPECTED = [
    # file, width, height (after orientation), orientation, DateTimeOriginal, make, model
    ("raw/CanonRaw.cr2", 3456, 2304, 1, "2005:08:03 18:59:18", "Canon", "Canon EOS 350D DIGITAL"),
    ("raw/Nikon.nef", 3040, 2014, 1, "2004:06:09 16:02:35", "NIKON CORPORATION", "NIKON D70"),
    ("raw/DNG.dng", 3516, 2328, 1, "2005:08:03 18:59:18", "Canon", "Canon EOS 350D DIGITAL"),
    ("raw/IMG_1361.dng", 3024, 4032, 6, "2020:12:29 14:24:45", "Apple", "iPhone 12 Pro"),
    ("raw/Canon-R6-pruned.CR3", 3408, 2272, 1, "2021:05:12 12:21:21", "Canon", "Canon EOS R6"),
    (
        "raw/exiv2-canon-powershot-s40.crw",
        *(2272, 1704, None, "2005:04:23 17:54:36", "Canon", "Canon PowerShot S40"),
    ),
]


def _timed(path: str | os.PathLike[str] | bytes) -> tuple[RawMetadata | RawMetadataError, float]:
    start = time.perf_counter()
    try:
        result: RawMetadata | RawMetadataError = read_raw_metadata(path)
    except RawMetadataError as exc:
        result = exc
    return result, time.perf_counter() - start


def _write(tmp_path: Path, data: bytes, name: str = "sample.raw") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _tiff(entries: list[tuple[int, int, int, int]], next_ifd: int = 0) -> bytes:
    """Little-endian TIFF with IFD0 at offset 8 (value field packed as a little-endian u32)."""
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries)
    return b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", next_ifd)


EXIF_AT, BLOB_AT = 1024, 2048  # fixed layout for synthetic files: IFD0 at 8, Exif IFD, blobs


def _tiff_with_exif(
    ifd0: list[tuple[int, int, int, int]], exif: list[tuple[int, int, int, int]], blobs: bytes
) -> bytes:
    exif_ifd = struct.pack("<H", len(exif)) + b"".join(struct.pack("<HHII", *e) for e in exif)
    data = _tiff([*ifd0, (0x8769, 4, 1, EXIF_AT)]).ljust(EXIF_AT, b"\0") + exif_ifd + bytes(4)
    return data.ljust(BLOB_AT, b"\0") + blobs


# --- real files -------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("name", "width", "height", "orientation", "taken_at", "make", "model"), EXPECTED
)
def test_real_raw_files(
    name: str,
    width: int,
    height: int,
    orientation: int | None,
    taken_at: str,
    make: str,
    model: str,
) -> None:
    meta = read_raw_metadata(CORPUS / name)
    assert (meta.width, meta.height) == (width, height)
    assert meta.orientation == orientation
    assert meta.taken_at == taken_at
    assert (meta.make, meta.model) == (make, model)
    if meta.preview is not None:
        assert meta.preview.startswith(b"\xff\xd8")


@needs_corpus
def test_preview_past_end_of_file_is_dropped() -> None:
    meta = read_raw_metadata(CORPUS / "raw/IMG_1361.dng")
    assert meta.preview is None
    assert meta.lens == "iPhone 12 Pro back triple camera 4.2mm f/1.6"


@needs_corpus
@pytest.mark.parametrize(
    ("name", "size"),
    [("raw/Canon-R6-pruned.CR3", (1620, 1080)), ("raw/exiv2-canon-powershot-s40.crw", (160, 120))],
)
def test_embedded_preview_decodes(name: str, size: tuple[int, int]) -> None:
    image_module = pytest.importorskip("PIL.Image")
    preview = read_raw_metadata(CORPUS / name).preview
    assert preview is not None
    with image_module.open(io.BytesIO(preview)) as image:
        assert (image.format, image.size) == ("JPEG", size)


@needs_corpus
def test_cr3_lens() -> None:
    assert read_raw_metadata(CORPUS / "raw/Canon-R6-pruned.CR3").lens == "RF70-200mm F2.8 L IS USM"


@needs_corpus
def test_path_types() -> None:
    path = CORPUS / "raw/Nikon.nef"
    expected = read_raw_metadata(path)
    assert read_raw_metadata(str(path)) == expected
    assert read_raw_metadata(os.fsencode(path)) == expected


@needs_corpus
def test_bad_and_non_raw_files_return_or_raise_cleanly() -> None:
    files = [p for d in ("bad", "photos") for p in sorted((CORPUS / d).rglob("*")) if p.is_file()]
    assert files
    for path in files:
        result, seconds = _timed(path)  # anything but RawMetadataError propagates and fails
        assert seconds < 1.0, f"{path} took {seconds:.2f}s"
        assert isinstance(result, RawMetadata | RawMetadataError)


@needs_corpus
def test_corrupt_crw_does_not_crash() -> None:
    result, seconds = _timed(CORPUS / "bad/raw/issue_841_poc.crw")
    assert seconds < 1.0
    if isinstance(result, RawMetadata):
        assert result.make == "Canon"


@needs_corpus
def test_mutated_raw_files_never_crash(tmp_path: Path) -> None:
    rng = random.Random(841)
    sources = [p.read_bytes() for p in sorted((CORPUS / "raw").iterdir())]
    for i in range(400):
        data = bytearray(rng.choice(sources))
        if i % 3 == 0:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randrange(1, 16)):
                pos = rng.randrange(min(len(data), 40_000))
                data[pos] = rng.choice((0x00, 0xFF, rng.randrange(256)))
        result, seconds = _timed(_write(tmp_path, bytes(data)))
        assert seconds < 1.0
        assert isinstance(result, RawMetadata | RawMetadataError)


# --- synthetic files --------------------------------------------------------------------------


def test_synthetic_tiff_raw(tmp_path: Path) -> None:
    blobs = b"Maker\0Model X\0\0\0" + b"2024:01:02 03:04:05\0" + b"Lens 50mm\0\0\0"
    jpeg_at, raw_at = BLOB_AT + len(blobs), BLOB_AT + len(blobs) + len(BASELINE_JPEG)
    ifd0 = [
        (0x0100, 3, 1, 6000),
        (0x0101, 3, 1, 4000),
        (0x0103, 3, 1, 6),  # JPEG compressed strip, but lossless (raw data): not a preview
        (0x010F, 2, 6, BLOB_AT),
        (0x0110, 2, 9, BLOB_AT + 6),
        (0x0111, 4, 1, raw_at),
        (0x0112, 3, 1, 8),
        (0x0117, 4, 1, len(LOSSLESS_JPEG)),
    ]
    exif = [
        (0x0201, 4, 1, jpeg_at),
        (0x0202, 4, 1, len(BASELINE_JPEG)),
        (0x9003, 2, 20, BLOB_AT + 16),
        (0xA434, 2, 12, BLOB_AT + 36),
    ]
    data = _tiff_with_exif(ifd0, exif, blobs + BASELINE_JPEG + LOSSLESS_JPEG)
    meta = read_raw_metadata(_write(tmp_path, data))
    assert meta == RawMetadata(
        width=4000,
        height=6000,
        orientation=8,
        taken_at="2024:01:02 03:04:05",
        make="Maker",
        model="Model X",
        lens="Lens 50mm",
        preview=BASELINE_JPEG,
    )


def test_preview_extending_past_eof_is_dropped(tmp_path: Path) -> None:
    exif = [(0x0201, 4, 1, BLOB_AT), (0x0202, 4, 1, len(BASELINE_JPEG) + 1)]
    make = (0x010F, 2, 4, int.from_bytes(b"Cam\0", "little"))  # short value stored inline
    data = _tiff_with_exif([make], exif, BASELINE_JPEG)
    meta = read_raw_metadata(_write(tmp_path, data))
    assert (meta.make, meta.preview, meta.orientation, meta.width) == ("Cam", None, None, None)


def test_orientation_zero_means_one(tmp_path: Path) -> None:
    data = _tiff([(0x0100, 4, 1, 30), (0x0101, 4, 1, 20), (0x0112, 3, 1, 0)])
    meta = read_raw_metadata(_write(tmp_path, data))
    assert (meta.width, meta.height, meta.orientation) == (30, 20, 1)


HOSTILE = {
    "ifd loops to itself": _tiff([(0xBEEF, 3, 1, 0)], next_ifd=8),
    "4 GB string count": _tiff([(0x010F, 2, 0xFFFFFFFF, 8)]),
    "4 GB SubIFD count": _tiff([(0x014A, 4, 0xFFFFFFFF, 8)]),
    "4 GB strip size": _tiff([(0x0103, 3, 1, 6), (0x0111, 4, 1, 8), (0x0117, 4, 1, 0xFFFFFFFF)]),
    "huge entry count": b"II*\0\x08\0\0\0\xff\xff" + bytes(64),
    "ifd offset past eof": b"MM\0*\xff\xff\xff\xf0" + bytes(64),
    "header only": b"II*\0",
    "bad tiff magic": b"II+\0\x08\0\0\0" + bytes(64),
    "cr3 without moov": b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom" + b"\0\0\0\x08free",
    "cr3 huge box": b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom\0\0\0\x01moov" + b"\xff" * 8,
    "cr3 zero-size moov": b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom\0\0\0\x00moov" + bytes(16),
    "crw dir contains itself": b"II\x1a\0\0\0HEAPCCDR"
    + bytes(12)
    + b"\x01\0"
    + struct.pack("<HII", 0x300A, 16, 0)
    + struct.pack("<I", 0),
    "crw huge offsets": b"II\x1a\0\0\0HEAPCCDR" + bytes(12) + b"\xff" * 16,
    "jpeg": b"\xff\xd8\xff\xe0" + bytes(64),
    "text": b"hello, this is not a raw file\n",
    "empty": b"",
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_raises_quickly(tmp_path: Path, data: bytes) -> None:
    result, seconds = _timed(_write(tmp_path, data))
    assert isinstance(result, RawMetadataError), result
    assert str(result)
    assert seconds < 0.5


def test_ifd_cycle_with_data_returns_quickly(tmp_path: Path) -> None:
    # IFD0 -> IFD0 via next pointer, and via SubIFDs/Exif pointers back to itself.
    data = _tiff([(0x0100, 4, 1, 64), (0x0101, 4, 1, 48), (0x014A, 4, 1, 8), (0x8769, 4, 1, 8)], 8)
    result, seconds = _timed(_write(tmp_path, data))
    assert seconds < 0.5
    assert isinstance(result, RawMetadata)
    assert (result.width, result.height) == (64, 48)


def test_worst_case_ifd_fan_out_is_bounded(tmp_path: Path) -> None:
    # 200 IFDs of 1000 entries each, chained and cross-linked through SubIFDs: work is capped.
    count, size = 200, 2 + 12 * 1000 + 4
    blob = bytearray(b"II*\0" + struct.pack("<I", 8))
    for i in range(count):
        nxt = 8 + (i + 1) * size if i + 1 < count else 8
        entries = [(0x014A, 4, 1, 8 + ((i * 7) % count) * size)] * 999 + [(0x010F, 2, 3, 0)]
        blob += struct.pack("<H", 1000) + b"".join(struct.pack("<HHII", *e) for e in entries)
        blob += struct.pack("<I", nxt)
    result, seconds = _timed(_write(tmp_path, bytes(blob)))
    assert seconds < 2.0
    assert isinstance(result, RawMetadata | RawMetadataError)


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_raw_metadata(tmp_path / "missing.cr2")


def test_error_is_a_value_error() -> None:
    assert issubclass(RawMetadataError, ValueError)
