"""What a review of the export found, kept fixed: metadata of Originals, unreadable sources,
old file dates, RAW metadata, watermarks that cannot be drawn, memory, names, targets."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import InProcessCli, make_shoot
from corpus import CORPUS
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter
from gallery_desktop.catalog.watched import add_shoots_folder
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.errors import BadInputError
from gallery_desktop.export.items import NO_WATERMARK, ExportItem, ExportRequest
from gallery_desktop.export.run import PixelBudget, decode_cost, run_export
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.export import (
    PRESETS,
    ExportSettings,
    MetadataPolicy,
    render_photo,
    render_raw,
)
from gallery_desktop.media.safe_names import NamePlanner
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import TokenValues, WatermarkSpec, apply_watermark

GPS_IFD = 0x8825
GPS_ROTATED = CORPUS / "photos" / "exif" / "exiv2-bug2565.jpg"  # GPS + EXIF orientation 6


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _exif(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()


# -- Originals and the metadata policy --------------------------------------------------------


def test_the_test_photo_has_gps_and_a_turn() -> None:
    exif = _exif(GPS_ROTATED.read_bytes())
    assert exif.get_ifd(GPS_IFD) and exif.get(0x0112) == 6


@pytest.mark.parametrize("policy", [MetadataPolicy.COPYRIGHT, MetadataPolicy.NONE])
def test_original_jpeg_loses_metadata_but_not_a_single_pixel(policy: MetadataPolicy) -> None:
    data = GPS_ROTATED.read_bytes()
    rendition = render_photo(data, ExportSettings(PRESETS["original"], metadata=policy))
    assert rendition.data is not None and rendition.data != data
    out = Image.open(io.BytesIO(rendition.data))
    src = Image.open(io.BytesIO(data))
    assert out.size == src.size and out.tobytes() == src.tobytes()  # same compressed picture
    exif = out.getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert exif.get(0x0112) == 6  # still a tag: the pixels were not turned
    assert "xmp" not in out.info and "comment" not in out.info
    assert out.info.get("icc_profile") == src.info.get("icc_profile")


def test_original_with_all_metadata_is_byte_identical(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Shoot"
    shoot.mkdir()
    shutil.copy2(GPS_ROTATED, shoot / "a.jpg")
    shutil.copy2(CORPUS / "photos" / "formats" / "tiff" / "Reagan.tiff", shoot / "b.tiff")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    same = run_export(
        catalog, ExportRequest(cid), ExportSettings(PRESETS["original"]), tmp_path / "1"
    )
    assert sorted(same.written) == ["a.jpg", "b.tiff"]  # the default for Original: as is
    assert _sha(tmp_path / "1" / "a.jpg") == _sha(shoot / "a.jpg")
    strip = run_export(
        catalog,
        ExportRequest(cid),
        ExportSettings(PRESETS["original"], metadata=MetadataPolicy.COPYRIGHT),
        tmp_path / "2",
    )
    # the JPEG keeps its type (pixels untouched); the TIFF can only shed GPS as a new JPEG
    assert sorted(strip.written) == ["a.jpg", "b.jpg"]
    for name in strip.written:
        assert not _exif((tmp_path / "2" / name).read_bytes()).get_ifd(GPS_IFD), name
    assert Image.open(tmp_path / "2" / "b.jpg").size == Image.open(shoot / "b.tiff").size


def test_mpo_extra_images_do_not_survive_an_original_without_metadata() -> None:
    mpo = next((CORPUS / "photos" / "formats" / "mpo").iterdir())
    data = mpo.read_bytes()
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) > 1
    rendition = render_photo(
        data, ExportSettings(PRESETS["original"], metadata=MetadataPolicy.NONE)
    )
    assert rendition.data is not None and len(rendition.data) < len(data)
    assert getattr(Image.open(io.BytesIO(rendition.data)), "n_frames", 1) == 1


def test_cli_original_default_is_a_copy_and_metadata_none_strips_gps(
    cli: InProcessCli, tmp_path: Path
) -> None:
    shoot = tmp_path / "Trip"
    shoot.mkdir()
    shutil.copy2(GPS_ROTATED, shoot / "a.jpg")
    assert cli("import", str(shoot)).code == 0
    r = cli(
        "export", "Trip", "--preset", "original", "--no-watermark", "--out", str(tmp_path / "o1")
    )
    assert r.code == 0, r.err
    assert _sha(tmp_path / "o1" / "a.jpg") == _sha(shoot / "a.jpg")
    r = cli(
        "export",
        "Trip",
        "--preset",
        "original",
        "--metadata",
        "none",
        "--out",
        str(tmp_path / "o2"),
    )
    assert r.code == 0, r.err
    assert not _exif((tmp_path / "o2" / "a.jpg").read_bytes()).get_ifd(GPS_IFD)


# -- the source's fault is one file's failure, not the export's --------------------------------


@pytest.mark.parametrize("zipped", [False, True])
def test_an_unreadable_original_fails_alone(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache, zipped: bool
) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    clip = shoot / "Party" / "clip.mp4"
    clip.unlink()
    clip.mkdir()  # opening it fails (even for root) where a file was catalogued
    summary = run_export(
        catalog,
        ExportRequest(cid, watermark=NO_WATERMARK),
        ExportSettings(PRESETS["web640"]),
        tmp_path / "out",
        zip_file=zipped,
    )
    assert [m for m, _why in summary.failed] == ["Party/clip.mp4"]
    assert "cannot read the file" in summary.failed[0][1]
    assert len(summary.written) == 4 and summary.target is not None and not summary.cancelled


def test_files_dated_before_1980_go_into_a_zip(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    old = time.mktime((1975, 1, 1, 12, 0, 0, 0, 0, -1))
    for p in (shoot / "Party" / "clip.mp4", shoot / "cover.jpg"):
        os.utime(p, (old, old))
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    summary = run_export(
        catalog,
        ExportRequest(cid),
        ExportSettings(PRESETS["original"]),
        tmp_path / "z",
        zip_file=True,
    )
    assert summary.ok and summary.target
    with zipfile.ZipFile(summary.target) as z:
        dates = {i.filename: i.date_time for i in z.infolist()}
        assert z.testzip() is None
    assert dates["Highlights/cover.jpg"] == (1980, 1, 1, 0, 0, 0)


# -- RAW metadata ------------------------------------------------------------------------------


def test_raw_exports_carry_the_raws_own_metadata_per_policy() -> None:
    cr3 = bytes(CORPUS / "raw" / "Canon-R6-pruned.CR3")
    mark = WatermarkSpec(text="x")
    kept = render_raw(
        cr3, ExportSettings(PRESETS["web640"], metadata=MetadataPolicy.COPYRIGHT), mark
    )
    assert kept.data is not None
    exif = _exif(kept.data)
    assert (exif.get(0x010F), exif.get(0x0110)) == ("Canon", "Canon EOS R6")
    assert exif.get_ifd(0x8769).get(0x9003) == "2021:05:12 12:21:21"
    none = render_raw(cr3, ExportSettings(PRESETS["web640"], metadata=MetadataPolicy.NONE), mark)
    assert none.data is not None and not _exif(none.data)


# -- watermarks that cannot be drawn -----------------------------------------------------------


def test_a_watermark_that_draws_nothing_is_refused_before_anything_is_written(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    add_watermark(catalog, "Client only", WatermarkSpec(text="{client}"))
    out = tmp_path / "out"
    with pytest.raises(BadInputError, match=r"comes out empty.*give the client's name"):
        run_export(
            catalog,
            ExportRequest(cid, watermark="Client only"),
            ExportSettings(PRESETS["web640"]),
            out,
        )
    assert not out.exists()
    summary = run_export(
        catalog,
        ExportRequest(cid, watermark="Client only", client="Ann"),
        ExportSettings(PRESETS["web640"]),
        out,
    )
    assert summary.ok and len(summary.written) == 5


def test_a_font_file_that_is_not_a_font_is_refused(catalog: Catalog, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"garbage, not a font")
    with pytest.raises(BadInputError, match="cannot be read"):
        add_watermark(catalog, "Bad font", WatermarkSpec(text="x", font=str(bad)))


@pytest.mark.parametrize("name", ["none", "As-Set", "2"])
def test_names_export_reads_as_words_or_ids_are_refused(catalog: Catalog, name: str) -> None:
    with pytest.raises(BadInputError, match=r"reserved|only digits"):
        add_watermark(catalog, name, WatermarkSpec(text="PROOF"))


def test_margin_is_measured_to_the_visible_mark() -> None:
    image = Image.new("RGB", (1000, 800), (128, 128, 128))
    spec = WatermarkSpec(text="Studio", shadow=False, opacity=1.0, margin=0.05)
    out = apply_watermark(image, spec, TokenValues())
    diff = np.abs(np.asarray(out, dtype=int) - 128).sum(axis=2) > 24
    ys, xs = np.nonzero(diff)
    assert abs((1000 - 1 - xs.max()) - 40) <= 2 and abs((800 - 1 - ys.max()) - 40) <= 2


# -- memory ------------------------------------------------------------------------------------


def test_pixel_budget_keeps_big_decodes_from_running_together() -> None:
    budget = PixelBudget(100)
    now = [0]
    peak = [0]
    lock = threading.Lock()

    def work(pixels: int) -> None:
        with budget.hold(pixels):
            with lock:
                now[0] += pixels
                peak[0] = max(peak[0], now[0])
            time.sleep(0.02)
            with lock:
                now[0] -= pixels

    threads = [threading.Thread(target=work, args=(p,)) for p in (60, 60, 60, 30, 500)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)  # one bigger than the budget still runs
    assert peak[0] <= 500 and now[0] == 0
    assert peak[0] < 120 or peak[0] == 500  # two 60s never overlap


def test_decode_cost_counts_jpeg_shrink_on_load() -> None:
    item = ExportItem(
        media_id=1,
        source=b"/x.jpg",
        display="x.jpg",
        filename="x.jpg",
        kind="photo",
        format="JPEG",
        state="ok",
        error=None,
        gallery="G",
        rating=0,
        taken_at=None,
        pixels=6000 * 4000,
        long_side=6000,
        watermark=None,
        tokens=TokenValues(),
        index=1,
    )
    assert decode_cost(item, ExportSettings(PRESETS["web2048"])) == 6000 * 4000 // 4
    assert decode_cost(item, ExportSettings(PRESETS["web640"])) == 6000 * 4000 // 64
    assert decode_cost(item, ExportSettings(PRESETS["original"])) == 6000 * 4000


# -- names and targets -------------------------------------------------------------------------


def test_galleries_whose_names_clean_to_the_same_get_their_own_folders() -> None:
    planner = NamePlanner()
    folders = {
        planner.reserve([g], "x.jpg").rpartition("/")[0]
        for g in ("A:B", "A_B", "A?B", "Party", "party")
    }
    assert len(folders) == 5
    assert len({f.casefold() for f in folders}) == 5


def test_exports_into_a_watched_shoots_folder_are_refused(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoots = tmp_path / "Incoming"
    shoot = make_shoot(shoots)
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    add_shoots_folder(catalog, shoots)
    with pytest.raises(BadInputError, match="shoots folder"):
        run_export(
            catalog, ExportRequest(cid), ExportSettings(PRESETS["web640"]), shoots / "Exports"
        )
    assert not (shoots / "Exports").exists()


def test_an_empty_selection_is_a_clear_error(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    with pytest.raises(BadInputError, match="nothing to export"):
        run_export(
            catalog,
            ExportRequest(cid, where=MediaFilter(min_rating=5)),
            ExportSettings(PRESETS["web640"]),
            tmp_path / "out",
            zip_file=True,
        )
    assert not (tmp_path / "out").exists()


def test_float_tiffs_export_as_their_picture_not_black(tmp_path: Path) -> None:
    arr = np.tile(np.linspace(0.0, 1.0, 256, dtype=np.float32), (64, 1))
    buf = io.BytesIO()
    Image.fromarray(arr, "F").save(buf, "TIFF")
    rendition = render_photo(buf.getvalue(), ExportSettings(PRESETS["web640"]))
    assert rendition.data is not None
    out = Image.open(io.BytesIO(rendition.data)).convert("L")
    assert out.getpixel((5, 30)) < 20 and out.getpixel((250, 30)) > 235  # type: ignore[operator]
