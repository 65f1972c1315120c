"""The watermark editor: a live preview drawn by the export's own function, presets saved in
the catalogue, invalid settings refused, and which preset a collection and a gallery use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaRecord, list_media
from gallery_desktop.catalog.watermarks import (
    add_watermark,
    effective_watermarks,
    get_watermark,
    list_watermarks,
    read_logo,
)
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.ui.watermark_editor import WatermarkEditor
from gallery_desktop.ui.watermark_preview import PREVIEW_EDGE

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def shoot(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> dict[str, MediaRecord]:
    """A collection with two galleries; both photos are stored sideways (EXIF orientation 6)."""
    folder = tmp_path / "Smith Wedding"
    (folder / "Ceremony").mkdir(parents=True)
    (folder / "Party").mkdir()
    shutil.copy(CORPUS / "photos/orientation/Landscape_6.jpg", folder / "Ceremony/land.jpg")
    shutil.copy(CORPUS / "photos/orientation/Portrait_6.jpg", folder / "Party/portrait.jpg")
    summary = import_folder(catalog, cache, folder)
    assert summary.errors == 0
    return {r.path: r for r in list_media(catalog, summary.collection_id, cache)}


def _editor(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, **kwargs: object
) -> WatermarkEditor:
    editor = WatermarkEditor(catalog, cache, **kwargs)  # type: ignore[arg-type]
    editor.confirm = lambda _question: True
    qtbot.addWidget(editor)
    editor.show()
    _settle(qtbot, editor)
    return editor


def _settle(qtbot: QtBot, editor: WatermarkEditor) -> None:
    qtbot.waitUntil(lambda: not editor.preview.busy, timeout=15_000)


def _pil(image: QImage) -> Image.Image:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())
    size = (rgb.width(), rgb.height())
    return Image.frombuffer("RGB", size, data, "raw", "RGB", rgb.bytesPerLine(), 1)


def _mark_box(editor: WatermarkEditor, bare: Image.Image) -> tuple[int, int, int, int]:
    """Where the preview differs from the bare picture: the mark's bounding box."""
    box = ImageChops.difference(_pil(editor.preview.image), bare).convert("L").getbbox()
    assert box is not None, "no mark in the preview"
    return box


def _pure_pixels(im: Image.Image, channel: int = 0) -> int:
    """How many pixels are pure red (channel 0) or green (1)."""
    data = im.convert("RGB").tobytes()
    return sum(
        1
        for px in zip(data[0::3], data[1::3], data[2::3], strict=True)
        if px[channel] > 220 and max(v for c, v in enumerate(px) if c != channel) < 40
    )


def _bold_red_text(editor: WatermarkEditor) -> None:
    editor.text.setText("PROOF")
    editor.colour.setText("#ff0000")
    editor.opacity.setValue(100)
    editor.shadow.setChecked(False)
    editor.text_size.setValue(10)


def test_preview_shows_the_photo_and_moving_the_anchor_moves_the_mark(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord]
) -> None:
    rec = shoot["Ceremony/land.jpg"]
    editor = _editor(qtbot, catalog, cache, record=rec, collection_id=1)
    assert editor.preview.source == "photo"
    # The photo's 1600 px preview, upright (it is stored sideways), scaled to PREVIEW_EDGE.
    assert (editor.preview.image.width(), editor.preview.image.height()) == (PREVIEW_EDGE, 667)
    assert "Ceremony/land.jpg" in editor.preview.caption.text()

    editor.text.setText("")  # no text, no logo: the bare picture (and a problem to fix)
    _settle(qtbot, editor)
    bare = _pil(editor.preview.image)
    _bold_red_text(editor)

    w, h = bare.size
    editor.set_position("top-left")
    _settle(qtbot, editor)
    left, top, right, bottom = _mark_box(editor, bare)
    assert right < w / 2 and bottom < h / 2
    margin = round(0.03 * h)  # the default margin, a share of the short edge
    bearing = round(0.1 * 0.1 * h)  # ink starts a little inside a letter's box
    assert margin <= left <= margin + bearing and margin <= top <= margin + bearing
    # Text size is a share of the short edge: 10 % of 667 px, roughly the cap height.
    assert 0.05 * h < bottom - top < 0.12 * h
    reds = _pure_pixels(_pil(editor.preview.image).crop((left, top, right, bottom)))
    grabbed_top_left = editor.preview.picture.grab().toImage()

    editor.set_position("bottom-right")
    _settle(qtbot, editor)
    left2, top2, right2, bottom2 = _mark_box(editor, bare)
    assert left2 > w / 2 and top2 > h / 2
    assert margin <= w - right2 <= margin + bearing and margin <= h - bottom2 <= margin + bearing
    assert (right2 - left2, bottom2 - top2) == (right - left, bottom - top)  # same mark, moved
    # What is on screen moved too: the label's top-left corner is the bare photo again.
    grabbed = editor.preview.picture.grab().toImage()
    corner = grabbed.width() // 4, grabbed.height() // 4
    assert grabbed.copy(0, 0, *corner) != grabbed_top_left.copy(0, 0, *corner)
    assert reds > 0.1 * (right - left) * (bottom - top)  # the letters, in the colour asked

    editor.set_position("tiled")  # marks all over, not in one corner
    _settle(qtbot, editor)
    left3, top3, right3, bottom3 = _mark_box(editor, bare)
    assert right3 - left3 > 0.9 * w and bottom3 - top3 > 0.8 * h


def test_preview_follows_opacity_and_colour(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord]
) -> None:
    editor = _editor(qtbot, catalog, cache, record=shoot["Ceremony/land.jpg"])
    _bold_red_text(editor)
    editor.set_position("center")
    _settle(qtbot, editor)
    strong = _pil(editor.preview.image)
    editor.opacity.setValue(20)
    _settle(qtbot, editor)
    faint = _pil(editor.preview.image)
    editor.text.setText("")
    _settle(qtbot, editor)
    bare = _pil(editor.preview.image)
    box = ImageChops.difference(strong, bare).getbbox()
    assert box is not None
    strongest, faintest = (
        ImageChops.difference(im, bare).crop(box).convert("L").getextrema()[1]
        for im in (strong, faint)
    )
    assert faintest < strongest * 0.5  # a fifth of the opacity: a much fainter mark

    editor.text.setText("PROOF")
    editor.opacity.setValue(100)
    editor.pick_colour = lambda _current: QColor("#00ff00")
    editor.colour_button.click()
    assert editor.colour.text() == "#00ff00"
    _settle(qtbot, editor)
    assert _pure_pixels(bare.crop(box), 1) == 0
    assert _pure_pixels(_pil(editor.preview.image).crop(box), 1) > 100  # green letters now


def test_portrait_photo_and_samples(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord]
) -> None:
    editor = _editor(qtbot, catalog, cache, record=shoot["Party/portrait.jpg"])
    image = editor.preview.image
    assert (image.width(), image.height()) == (667, PREVIEW_EDGE)  # upright portrait

    def mean(im: QImage) -> float:
        gray = _pil(im).convert("L")
        return sum(i * n for i, n in enumerate(gray.histogram())) / (gray.width * gray.height)

    editor.preview.choose("landscape", "light")
    _settle(qtbot, editor)
    light = editor.preview.image
    assert light.width() > light.height()
    assert "Sample picture, light" in editor.preview.caption.text()
    editor.preview.choose("landscape", "dark")
    _settle(qtbot, editor)
    assert mean(editor.preview.image) < mean(light) - 100
    editor.preview.choose("portrait", "dark")
    _settle(qtbot, editor)
    assert editor.preview.image.height() > editor.preview.image.width()


def test_without_a_photo_the_preview_uses_samples(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache
) -> None:
    editor = _editor(qtbot, catalog, cache)
    photo = editor.preview.button(editor.preview.sources, "photo")
    assert not photo.isEnabled()
    assert editor.preview.source == "landscape"
    assert editor.preview.renders >= 1 and not editor.preview.image.isNull()
    assert not editor.uses.isEnabled()  # no collection to choose for


def test_saving_writes_the_preset_and_rename_and_delete(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, tmp_path: Path
) -> None:
    editor = _editor(qtbot, catalog, cache)
    assert editor.preset_id is None and editor.save_button.isEnabled()  # a new draft
    logo_file = tmp_path / "logo.png"
    Image.new("RGBA", (120, 60), (0, 0, 255, 128)).save(logo_file)
    editor.name.setText("Studio proof")
    editor.text.setText("© {year} {collection}")
    editor.font_box.setCurrentIndex(editor.font_box.findData("DejaVuSerif"))
    editor.text_size.setValue(6)
    editor.colour.setText("#112233")
    editor.opacity.setValue(70)
    editor.outline.setChecked(True)
    editor.pick_logo = lambda: str(logo_file)
    editor.logo_choose.click()
    editor.logo_size.setValue(25)
    editor.logo_opacity.setValue(60)
    editor.set_position("diagonal")
    editor.margin.setValue(5)
    editor.save_button.click()

    presets = list_watermarks(catalog)
    assert [p.name for p in presets] == ["Studio proof"]
    assert presets[0].spec == WatermarkSpec(
        text="© {year} {collection}",
        font="DejaVuSerif",
        text_scale=0.06,
        colour="#112233",
        opacity=0.7,
        shadow=True,
        outline=True,
        logo=read_logo(logo_file),
        logo_scale=0.25,
        logo_opacity=0.6,
        position="diagonal",
        margin=0.05,
    )
    assert presets[0].logo_path == str(logo_file)
    assert editor.presets.currentItem().text() == "Studio proof"
    assert not editor.save_button.isEnabled() and not editor.dirty

    editor.name.setText("Client proof")  # rename: the same preset, a new name
    editor.logo_remove.click()
    editor.save_button.click()
    renamed = get_watermark(catalog, "Client proof")
    assert renamed.id == presets[0].id and renamed.spec.logo is None
    assert len(list_watermarks(catalog)) == 1

    editor.delete_button.click()
    assert list_watermarks(catalog) == []
    assert editor.preset_id is None  # back to a new draft


def test_invalid_settings_disable_save_and_say_why(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache
) -> None:
    add_watermark(catalog, "Existing", WatermarkSpec(text="x"))
    editor = _editor(qtbot, catalog, cache)
    assert editor.preset_id is not None  # the first preset is shown
    editor.text.setText("")
    assert not editor.save_button.isEnabled()
    assert "needs a text, a logo or both" in editor.problems.text().lower()
    assert editor.save() is False
    editor.text.setText("ok")
    editor.colour.setText("not a colour")
    assert not editor.save_button.isEnabled()
    assert "is not a colour" in editor.problems.text().lower()
    editor.colour.setText("white")
    assert editor.save_button.isEnabled() and editor.problems.text() == ""

    editor.new_preset()
    editor.name.setText("existing")  # names are unique, whatever the case
    assert not editor.save_button.isEnabled()
    assert "another preset is named" in editor.problems.text().lower()
    editor.name.setText("   ")
    assert "needs a name" in editor.problems.text().lower()
    editor.name.setText("Second")
    editor.text.setText("x" * 201)
    assert "longer than 200" in editor.problems.text().lower()
    editor.text.setText("fine")
    assert editor.save_button.isEnabled()
    assert [p.name for p in list_watermarks(catalog)] == ["Existing"]  # nothing saved yet


def test_unsaved_changes_are_not_lost_silently(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache
) -> None:
    add_watermark(catalog, "A", WatermarkSpec(text="a"))
    add_watermark(catalog, "B", WatermarkSpec(text="b"))
    editor = _editor(qtbot, catalog, cache)
    editor.text.setText("changed")
    questions: list[str] = []
    editor.confirm = lambda q: questions.append(q) is not None  # always "no"
    editor.presets.setCurrentRow(1)
    assert editor.text.text() == "changed" and editor.presets.currentRow() == 0
    assert questions and "“A”" in questions[0]
    editor.confirm = lambda _q: True
    editor.presets.setCurrentRow(1)
    assert editor.text.text() == "b"
    editor.text.setText("changed again")
    editor.revert_button.click()
    assert editor.text.text() == "b" and not editor.dirty


def test_collection_default_and_gallery_override(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, shoot: dict[str, MediaRecord]
) -> None:
    proof = add_watermark(catalog, "Proof", WatermarkSpec(text="proof"))
    web = add_watermark(catalog, "Web", WatermarkSpec(text="web"))
    galleries = {r.gallery: r.gallery_id for r in shoot.values()}
    editor = _editor(qtbot, catalog, cache, collection_id=1)
    uses = editor.uses
    assert uses.isEnabled()
    assert [uses.gallery.itemText(i) for i in range(uses.gallery.count())] == [
        "Ceremony",
        "Party",
    ]

    def effective() -> dict[str, str | None]:
        found = effective_watermarks(catalog, 1)
        return {name: (p.name if (p := found[gid]) else None) for name, gid in galleries.items()}

    def pick(box: QComboBox, data: object) -> None:
        box.setCurrentIndex(box.findData(data))
        box.activated.emit(box.currentIndex())  # as a click on an item does

    pick(uses.collection_default, proof.id)
    assert effective() == {"Ceremony": "Proof", "Party": "Proof"}
    pick(uses.gallery, galleries["Party"])
    assert uses.gallery_choice.currentData() is None  # inherits
    pick(uses.gallery_choice, web.id)
    assert effective() == {"Ceremony": "Proof", "Party": "Web"}
    pick(uses.gallery_choice, None)
    assert effective() == {"Ceremony": "Proof", "Party": "Proof"}
    pick(uses.collection_default, None)
    assert effective() == {"Ceremony": None, "Party": None}

    # A preset renamed in the editor shows with its new name in the choices.
    editor.presets.setCurrentRow(0)
    editor.name.setText("Proof 2")
    editor.save_button.click()
    names = [uses.collection_default.itemText(i) for i in range(uses.collection_default.count())]
    assert names == ["No watermark", "Proof 2", "Web"]


def test_a_font_given_by_a_loose_name_is_found_in_the_list(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache
) -> None:
    add_watermark(catalog, "Serif", WatermarkSpec(text="x", font="DejaVu Serif"))  # as the CLI
    editor = _editor(qtbot, catalog, cache)
    assert editor.font_box.currentData() == "DejaVuSerif"
    assert not editor.dirty and editor.problems.text() == ""
    editor.font_box.setCurrentIndex(0)  # the default font
    assert editor.spec().font is None and editor.save_button.isEnabled()
