"""The Cover & display tab: the preview is drawn off the GUI thread and shown, a click on the
photo sets the focal point, nothing is written until apply()."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from corpus import CORPUS
from gallery_desktop.catalog.collections import list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, list_media
from gallery_desktop.catalog.templates import get_template, read_design
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.cover_page import cover_geometry
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.cover_preview import DesignTab


@pytest.fixture
def shoot(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> dict[str, MediaRecord]:
    folder = tmp_path / "Smith Wedding"
    folder.mkdir()
    shutil.copy(CORPUS / "photos/formats/webp/exiv2-bug1199.webp", folder / "stones.webp")
    shutil.copy(CORPUS / "photos/formats/avif/example.avif", folder / "castle.avif")
    summary = import_folder(catalog, cache, folder)
    assert summary.errors == 0
    return {r.path: r for r in list_media(catalog, summary.collection_id, cache)}


@pytest.fixture
def tab(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord]
) -> Iterator[DesignTab]:
    (collection,) = list_collections(catalog)
    widget = DesignTab(catalog, collection.id, cache=cache)
    qtbot.addWidget(widget)
    widget.resize(1100, 520)
    widget.show()
    _settle(qtbot, widget)
    yield widget
    widget.stop()


def _settle(qtbot: QtBot, tab: DesignTab) -> None:
    qtbot.waitUntil(lambda: not tab.preview.busy and tab.preview.renders > 0, timeout=15_000)


def _pil(image: QImage) -> Image.Image:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    size = (rgb.width(), rgb.height())
    return Image.frombuffer(
        "RGB", size, bytes(rgb.constBits()), "raw", "RGB", rgb.bytesPerLine(), 1
    )


def test_preview_is_drawn_and_shown(tab: DesignTab) -> None:
    assert not tab.preview.image.isNull()
    grabbed = _pil(tab.preview.grab().toImage())
    spread = ImageStat.Stat(grabbed.convert("L")).stddev[0]
    assert spread > 10, "the preview widget shows a blank picture"
    assert tab.template.currentText() == "Classic" and not tab.is_modified()


def test_changes_redraw_and_are_saved_only_on_apply(
    qtbot: QtBot, tab: DesignTab, catalog: Catalog, shoot: dict[str, MediaRecord]
) -> None:
    saved = read_design(catalog, tab.collection_id)
    before = tab.preview.renders
    with qtbot.waitSignal(tab.changed):
        tab.set_cover(shoot["stones.webp"].id)
    tab.layout_choice.setCurrentIndex(tab.layout_choice.findData("split"))
    tab.theme.setCurrentIndex(tab.theme.findData("dark"))
    _settle(qtbot, tab)
    assert tab.preview.renders > before
    assert tab.is_modified()
    assert read_design(catalog, tab.collection_id) == saved  # nothing written yet
    assert "copy of Classic" in tab.note.text()

    record = tab.apply()
    assert record.name == "Classic – Smith Wedding" and not record.builtin
    after = read_design(catalog, tab.collection_id)
    assert after.cover_media_id == shoot["stones.webp"].id
    assert after.style.cover_layout == "split" and after.style.theme == "dark"
    assert get_template(catalog, "Classic").style.cover_layout == "centre"
    assert not tab.is_modified()
    assert tab.template.currentData() == record.id


def test_clicking_the_photo_sets_the_focal_point(
    qtbot: QtBot, tab: DesignTab, shoot: dict[str, MediaRecord]
) -> None:
    tab.set_cover(shoot["stones.webp"].id)
    tab.layout_choice.setCurrentIndex(tab.layout_choice.findData("frame"))
    _settle(qtbot, tab)
    preview = tab.preview
    page = preview._page_rect()
    scale = page.width() / preview.page_size[0]
    # 30 % across and 40 % down the framed photo
    box = cover_geometry("frame", preview.page_size).photo
    assert box is not None
    x = page.x() + (box[0] + 0.3 * (box[2] - box[0])) * scale
    y = page.y() + (box[1] + 0.4 * (box[3] - box[1])) * scale
    fx, fy = preview.focal_at(QPointF(x, y)) or (-1.0, -1.0)
    with qtbot.waitSignal(preview.focal_clicked) as clicked:
        qtbot.mouseClick(preview, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    got = clicked.args
    assert got is not None
    assert got[0] == pytest.approx(fx, abs=0.005) and got[1] == pytest.approx(fy, abs=0.005)
    # the frame is wider than the 3:2 photo: the whole width shows, so 30 % across is 30 %
    assert got[0] == pytest.approx(0.3, abs=0.005)
    assert 0.3 < got[1] < 0.5  # 40 % down a band cut from the photo's middle
    assert tab.values().focal == pytest.approx(got)
    assert tab.is_modified()
    _settle(qtbot, tab)
    # a click off the photo (on the title) asks for nothing
    title_y = page.y() + (preview.page_size[1] - 20) * scale
    assert preview.focal_at(QPointF(page.x() + page.width() / 2, title_y)) is None
    tab.centre_focal.click()
    assert tab.values().focal == (0.5, 0.5)


def test_a_newer_request_drops_the_stale_drawing(qtbot: QtBot, tab: DesignTab) -> None:
    renders = tab.preview.renders
    for layout in ("left", "split", "band", "minimal"):
        tab.layout_choice.setCurrentIndex(tab.layout_choice.findData(layout))
    _settle(qtbot, tab)
    assert tab.preview.spec is not None and tab.preview.spec.style.layout == "minimal"
    assert tab.preview.renders - renders <= 2  # the intermediate choices were not all drawn
