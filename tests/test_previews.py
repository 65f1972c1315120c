"""Larger previews made on demand, and RAW files our own parser does not know."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from gallery_desktop.ingest.probe import _raw_metadata_from_libraw, hash_file
from gallery_desktop.ingest.thumbnailer import ensure_picture
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_preview_is_made_once_upright_and_at_preview_size(tmp_path: Path) -> None:
    src = tmp_path / "p.jpg"
    shutil.copy(CORPUS / "photos/exif/exiv2-bug2565.jpg", src)  # 4032×3024 stored, orientation 6
    cache = ThumbnailCache(tmp_path / "cache")
    digest = hash_file(bytes(src))
    first = ensure_picture(bytes(src), digest, "photo", cache, ThumbSize.PREVIEW)
    assert first is not None
    with Image.open(first) as im:
        assert max(im.size) == int(ThumbSize.PREVIEW)
        assert im.height > im.width  # portrait once the orientation is applied
    stamp = first.stat().st_mtime_ns
    src.unlink()  # the second call is served from the cache, without the original
    again = ensure_picture(bytes(src), digest, "photo", cache, ThumbSize.PREVIEW)
    assert again == first
    assert again.stat().st_mtime_ns >= stamp


def test_preview_of_a_changed_file_is_not_cached_under_the_old_hash(tmp_path: Path) -> None:
    src = tmp_path / "p.jpg"
    shutil.copy(CORPUS / "photos/exif/flower.jpg", src)
    cache = ThumbnailCache(tmp_path / "cache")
    stale = hash_file(bytes(src))
    shutil.copy(CORPUS / "photos/exif/Reagan.jpg", src)
    assert ensure_picture(bytes(src), stale, "photo", cache, ThumbSize.PREVIEW) is None
    assert not cache.has(stale, ThumbSize.PREVIEW)


def test_preview_of_a_broken_photo_falls_back_to_nothing(tmp_path: Path) -> None:
    src = tmp_path / "bad.jpg"
    shutil.copy(CORPUS / "bad/truncated/truncated_jpeg.jpg", src)
    cache = ThumbnailCache(tmp_path / "cache")
    digest = hash_file(bytes(src))
    assert ensure_picture(bytes(src), digest, "photo", cache, ThumbSize.PREVIEW) is None


def test_libraw_fallback_reads_sizes_and_refuses_garbage(tmp_path: Path) -> None:
    meta = _raw_metadata_from_libraw(bytes(CORPUS / "raw/IMG_1361.dng"))
    assert meta is not None
    assert (meta.width, meta.height, meta.orientation) == (3024, 4032, 6)
    junk = tmp_path / "x.orf"
    junk.write_bytes(b"not a raw file" * 100)
    assert _raw_metadata_from_libraw(bytes(junk)) is None
