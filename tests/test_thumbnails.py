"""Grid thumbnails: 256 px long edge, upright, RGB JPEG, content-addressed, LRU-trimmed cache."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

import pytest
from PIL import Image, ImageChops, ImageStat

from conftest import CorpusImport, copy_from_corpus
from corpus import CORPUS, ManifestRow, rows
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize, render

GRID: Final = 256
# Mean absolute difference (0-255, averaged over channels) between two thumbnails of the
# same picture after orientation. Same picture: about 2; wrongly rotated or mirrored: 40+.
SAME_PICTURE: Final = 8.0
DIFFERENT_PICTURE: Final = 25.0


def _mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, (a.size, b.size)
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / len(stat.mean)


def _thumb(corpus_import: CorpusImport, path: str) -> Image.Image:
    record = corpus_import.by_path[path]
    assert record["thumbnail"], f"{path}: no thumbnail"
    with Image.open(record["thumbnail"]) as im:
        im.load()
        return im


def _assert_grid_thumbnail(thumb: Path, width: int, height: int) -> None:
    with Image.open(thumb) as im:
        assert im.format == "JPEG"
        assert im.mode == "RGB"
        tw, th = im.size
    scale = min(1.0, GRID / max(width, height))  # never enlarged
    assert max(tw, th) == round(max(width, height) * scale)
    assert abs(tw - width * scale) <= 1 and abs(th - height * scale) <= 1, (
        (tw, th),
        (width, height),
    )


@pytest.mark.parametrize("row", rows("photos/", "video"), ids=lambda r: r.path)
def test_grid_thumbnail_size_and_format(corpus_import: CorpusImport, row: ManifestRow) -> None:
    """Long edge 256 px (smaller pictures are not enlarged), display aspect, RGB JPEG."""
    if row.expected_width is None or row.expected_height is None:
        # The 262-byte MP4 without frames: no picture, so no thumbnail, and no crash.
        assert corpus_import.by_path[row.path]["thumbnail"] is None
        return
    thumb = corpus_import.by_path[row.path]["thumbnail"]
    assert thumb is not None, f"{row.path}: no thumbnail"
    assert Path(thumb).is_relative_to(corpus_import.paths.thumbnail_dir)
    _assert_grid_thumbnail(Path(thumb), row.expected_width, row.expected_height)


@pytest.mark.parametrize("subject", ["Landscape", "Portrait"])
def test_orientation_is_applied(corpus_import: CorpusImport, subject: str) -> None:
    """All nine Orientation values show the same upright picture as Orientation 1."""
    reference = _thumb(corpus_import, f"photos/orientation/{subject}_1.jpg")
    want_landscape = subject == "Landscape"
    assert (reference.width > reference.height) == want_landscape
    for n in range(9):
        thumb = _thumb(corpus_import, f"photos/orientation/{subject}_{n}.jpg")
        assert (thumb.width > thumb.height) == want_landscape, f"{subject}_{n}: {thumb.size}"
        diff = _mean_abs_diff(thumb, reference)
        assert diff < SAME_PICTURE, f"{subject}_{n} differs from {subject}_1 by {diff:.1f}"


def test_orientation_comparison_tells_wrong_rotations_apart(corpus_import: CorpusImport) -> None:
    """The threshold above is meaningful: mirrored or upside-down pictures are far off."""
    reference = _thumb(corpus_import, "photos/orientation/Landscape_1.jpg")
    for method in (Image.Transpose.ROTATE_180, Image.Transpose.FLIP_LEFT_RIGHT):
        assert _mean_abs_diff(reference.transpose(method), reference) > DIFFERENT_PICTURE


def test_heic_rotation_is_applied_once(corpus_import: CorpusImport) -> None:
    """irot box + EXIF Orientation 6: the picture is portrait (rotated once, not twice)."""
    thumb = _thumb(corpus_import, "photos/formats/heic/2021-02-13-1929.heic")
    assert thumb.size == (192, 256)


def test_cmyk_jpeg_is_converted_to_rgb(corpus_import: CorpusImport) -> None:
    cmyk = _thumb(corpus_import, "photos/formats/jpeg/pil_sample_cmyk.jpg")
    rgb = _thumb(corpus_import, "photos/formats/jpeg/pil_sample_rgb.jpg")
    assert cmyk.mode == "RGB"
    assert _mean_abs_diff(cmyk, rgb) < SAME_PICTURE


def test_transparent_png_is_flattened_on_white(corpus_import: CorpusImport) -> None:
    thumb = _thumb(corpus_import, "photos/formats/png/transparent.png")
    with Image.open(CORPUS / "photos/formats/png/transparent.png") as src:
        assert src.size == thumb.size  # small enough to keep its size
        index = src.convert("RGBA").getchannel("A").tobytes().index(0)  # a transparent pixel
        x, y = index % src.width, index // src.width
    pixel = thumb.convert("RGB").getpixel((x, y))
    assert isinstance(pixel, tuple)
    assert min(pixel) > 230, pixel


@pytest.mark.parametrize("row", rows("raw"), ids=lambda r: r.path)
def test_raw_without_usable_preview_is_not_an_error(
    corpus_import: CorpusImport, row: ManifestRow
) -> None:
    """Stripped raw files: a thumbnail from the embedded preview when there is one, otherwise
    none (the grid shows a placeholder); never an error."""
    record = corpus_import.by_path[row.path]
    assert record["state"] == "ok"
    if record["thumbnail"] is not None:
        with Image.open(record["thumbnail"]) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert max(im.size) <= GRID
            landscape = (row.expected_width or 0) >= (row.expected_height or 0)
            assert (im.width >= im.height) == landscape


def test_render_applies_orientation_and_size() -> None:
    im = render((CORPUS / "photos/orientation/Portrait_6.jpg").read_bytes(), GRID)
    assert im.mode == "RGB"
    assert im.size == (171, 256)


# -- the cache -----------------------------------------------------------------------------------


def test_same_content_in_two_paths_is_one_thumbnail(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Shoot"
    copy_from_corpus("photos/exif/flower.jpg", shoot / "A" / "one.jpg")
    copy_from_corpus("photos/exif/flower.jpg", shoot / "B" / "two.jpg")
    copy_from_corpus("photos/exif/Reagan.jpg", shoot / "B" / "other.jpg")
    s = import_folder(catalog, cache, shoot, workers=2)
    records = {r.path: r for r in list_media(catalog, s.collection_id, cache)}
    one, two, other = records["A/one.jpg"], records["B/two.jpg"], records["B/other.jpg"]
    assert one.id != two.id
    assert one.content_hash == two.content_hash != other.content_hash
    assert one.thumbnail is not None and one.thumbnail == two.thumbnail != other.thumbnail
    grid_files = [p for p in (cache.root / str(int(ThumbSize.GRID))).rglob("*") if p.is_file()]
    assert sorted(p.name for p in grid_files) == sorted(
        f"{h}.jpg" for h in {one.content_hash, other.content_hash} if h
    )
    # Renaming the file does not invalidate (or duplicate) its thumbnail.
    os.rename(shoot / "A" / "one.jpg", shoot / "A" / "renamed.jpg")
    s2 = import_folder(catalog, cache, shoot, workers=2)
    assert s2.moved == 1
    after = {r.path: r for r in list_media(catalog, s.collection_id, cache)}
    assert after["A/renamed.jpg"].id == one.id
    assert after["A/renamed.jpg"].thumbnail == one.thumbnail
    assert sorted(p for p in (cache.root / str(int(ThumbSize.GRID))).rglob("*") if p.is_file()) == (
        sorted(grid_files)
    )


def _fill(cache: ThumbnailCache, n: int, size: int) -> list[Path]:
    """n cache files of `size` bytes, each one second older than the next."""
    now = time.time()
    paths = []
    for i in range(n):
        p = cache.put(f"{i:02x}" + "0" * 30, ThumbSize.GRID, bytes([i]) * size)
        os.utime(p, (now - 100 + i, now - 100 + i))
        paths.append(p)
    return paths


def test_trim_evicts_least_recently_used_to_the_cap(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", cap_bytes=3000)
    p = _fill(cache, 5, 1000)  # p[0] oldest ... p[4] newest
    # Reading a thumbnail makes it recently used.
    hit = cache.get("00" + "0" * 30, ThumbSize.GRID)
    assert hit == p[0]
    freed = cache.trim()
    assert freed == 2000
    assert [x.exists() for x in p] == [True, False, False, True, True]
    files, total = cache.usage()
    assert (files, total) == (3, 3000)
    assert total <= cache.cap_bytes


def test_trim_under_the_cap_keeps_everything(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", cap_bytes=10_000)
    p = _fill(cache, 5, 1000)
    assert cache.trim() == 0
    assert all(x.exists() for x in p)


def test_put_is_atomic_and_content_addressed(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    h = "ab" + "1" * 30
    target = cache.put(h, ThumbSize.GRID, b"first")
    assert target == cache.path_for(h, ThumbSize.GRID)
    assert target.parent.name == h[:2] and target.name == f"{h}.jpg"
    assert cache.put(h, ThumbSize.GRID, b"second") == target
    assert target.read_bytes() == b"second"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tmp")]
    assert cache.get(None, ThumbSize.GRID) is None
    assert cache.get("cd" + "0" * 30, ThumbSize.GRID) is None
