"""RAW files in exports: developed by LibRaw when there is no usable preview, never black."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from corpus import CORPUS
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.export.items import NO_WATERMARK, ExportRequest
from gallery_desktop.export.run import run_export
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.decode import DecodeError
from gallery_desktop.media.export import PRESETS, ExportSettings, render_raw
from gallery_desktop.media.thumbnails import ThumbnailCache


def linear_dng(path: Path, orientation: int = 1, size: tuple[int, int] = (600, 400)) -> Path:
    """A real (if tiny) linear DNG: top half green added, left half red, right half blue.

    No embedded preview, so an export must develop the raw data itself."""
    w, h = size
    arr = np.zeros((h, w, 3), dtype=np.uint8)
    arr[:, : w // 2, 0] = 200
    arr[:, w // 2 :, 2] = 200
    arr[: h // 2, :, 1] = 120
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[50706] = bytes([1, 4, 0, 0])  # DNGVersion
    info.tagtype[50706] = 1
    info[50708] = "Test Camera"  # UniqueCameraModel
    info[50721] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)  # ColorMatrix1
    info.tagtype[50721] = 10
    info[50778] = 21  # CalibrationIlluminant1: D65
    info[262] = 34892  # PhotometricInterpretation: LinearRaw
    info[271], info[272] = "Test", "Camera"
    info[274] = orientation
    info[36867] = "2026:05:01 10:00:00"
    Image.fromarray(arr, "RGB").save(path, "TIFF", tiffinfo=info)
    return path


def _dominant(im: Image.Image, box: tuple[float, float, float, float]) -> str:
    w, h = im.size
    crop = im.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    r, g, b = (sum(c) / len(c) for c in zip(*crop.get_flattened_data(), strict=True))
    return "rgb"[max(range(3), key=lambda i: (r, g, b)[i])]


@pytest.mark.parametrize(("orientation", "upright"), [(1, (600, 400)), (6, (400, 600))])
def test_a_raw_without_preview_is_developed_upright(
    tmp_path: Path, orientation: int, upright: tuple[int, int]
) -> None:
    dng = linear_dng(tmp_path / "IMG_0001.dng", orientation)
    rendition = render_raw(bytes(dng), ExportSettings(PRESETS["web2048"]))
    assert rendition.data is not None
    im = Image.open(io.BytesIO(rendition.data))
    assert im.format == "JPEG" and im.size == upright  # never enlarged, turned by LibRaw
    if orientation == 1:
        assert _dominant(im, (0.05, 0.6, 0.45, 0.95)) == "r"  # bottom-left: red only
        assert _dominant(im, (0.55, 0.6, 0.95, 0.95)) == "b"  # bottom-right: blue only


def test_web_size_of_a_large_raw_is_made_from_half_size_development(tmp_path: Path) -> None:
    dng = linear_dng(tmp_path / "big.dng", size=(3000, 2000))
    rendition = render_raw(bytes(dng), ExportSettings(PRESETS["web640"]))
    assert rendition.data is not None
    assert Image.open(io.BytesIO(rendition.data)).size == (640, 427)


def test_stripped_raw_files_fail_with_a_reason_instead_of_exporting_black(tmp_path: Path) -> None:
    for name in ("DNG.dng", "Nikon.nef", "CanonRaw.cr2"):
        with pytest.raises(DecodeError, match=r"RAW file .*(no picture data|cannot develop)"):
            render_raw(bytes(CORPUS / "raw" / name), ExportSettings(PRESETS["web1024"]))


def test_a_small_preview_is_used_when_the_raw_data_cannot_be_developed() -> None:
    """The pruned CR3 has a 1620 px preview and no raw data: a smaller photo beats none."""
    path = CORPUS / "raw" / "Canon-R6-pruned.CR3"
    rendition = render_raw(bytes(path), ExportSettings(PRESETS["web2048"]))
    assert rendition.data is not None
    assert Image.open(io.BytesIO(rendition.data)).size == (1620, 1080)


def test_export_run_develops_raws_and_lists_what_it_cannot(
    tmp_path: Path, catalog: Catalog, cache: ThumbnailCache
) -> None:
    shoot = tmp_path / "Raw shoot"
    shoot.mkdir()
    linear_dng(shoot / "developed.dng")
    shutil.copyfile(CORPUS / "raw" / "Nikon.nef", shoot / "stripped.nef")
    cid = import_folder(catalog, cache, shoot, workers=1).collection_id
    summary = run_export(
        catalog,
        ExportRequest(cid, watermark=NO_WATERMARK),
        ExportSettings(PRESETS["web1024"]),
        tmp_path / "out",
        workers=2,
    )
    assert summary.written == ["developed.jpg"]
    assert [m for m, _why in summary.failed] == ["stripped.nef"]
    assert "holds no picture data" in summary.failed[0][1]
    assert not summary.ok
