"""The export dialog: real exports into tmp folders, cancel takes everything back, settings
are remembered, a bad naming pattern is refused; and the main window opens it."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QRadioButton
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter, list_media
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.export import MetadataPolicy
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.ui.export_dialog import ExportDialog, ExportScope
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.watermark_editor import WatermarkEditor

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _shoot(tmp_path: Path) -> Path:
    folder = tmp_path / "Smith Wedding"
    (folder / "Ceremony").mkdir(parents=True)
    (folder / "Party").mkdir()
    shutil.copy(CORPUS / "photos/orientation/Landscape_6.jpg", folder / "Ceremony/land.jpg")
    shutil.copy(CORPUS / "photos/orientation/Portrait_6.jpg", folder / "Ceremony/portrait.jpg")
    shutil.copy(CORPUS / "photos/exif/flower.jpg", folder / "Party/flower.jpg")
    shutil.copy(CORPUS / "video/small_video.mp4", folder / "Party/clip.mp4")
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _dialog(
    qtbot: QtBot, catalog: Catalog, settings: QSettings, scope: ExportScope
) -> ExportDialog:
    dialog = ExportDialog(catalog, settings, scope)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _scope_button(dialog: ExportDialog, key: str) -> QRadioButton:
    found = [b for b in dialog.scopes.buttons() if b.property("scope") == key]
    assert isinstance(found[0], QRadioButton)
    return found[0]


def _run(qtbot: QtBot, dialog: ExportDialog) -> None:
    assert dialog.export_button.isEnabled(), dialog.pattern_problem.text()
    dialog.export_button.click()
    assert dialog.running
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)


def test_exports_a_gallery_into_a_folder(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path)
    originals = _hashes(shoot)
    summary = import_folder(catalog, cache, shoot)
    party = next(r.gallery_id for r in list_media(catalog, 1) if r.gallery == "Party")
    ceremony = next(r.gallery_id for r in list_media(catalog, 1) if r.gallery == "Ceremony")
    out = tmp_path / "out"
    out.mkdir()
    dialog = _dialog(
        qtbot, catalog, settings, ExportScope(summary.collection_id, ceremony, shown=2)
    )
    assert _scope_button(dialog, "gallery").isChecked()  # the gallery shown is the default
    assert "“Ceremony” (2)" in _scope_button(dialog, "gallery").text()
    assert not _scope_button(dialog, "filter").isEnabled()  # no filter is set
    assert not _scope_button(dialog, "selection").isEnabled()
    dialog.preset.setCurrentIndex(dialog.preset.findData("web640"))
    assert "(85)" in dialog.quality.specialValueText()  # the preset's own quality
    dialog.folder.setText(str(out))
    _run(qtbot, dialog)

    assert dialog.summary is not None and dialog.summary.ok
    assert sorted(p.name for p in out.iterdir()) == ["land.jpg", "portrait.jpg"]
    with Image.open(out / "land.jpg") as land, Image.open(out / "portrait.jpg") as portrait:
        assert land.size == (640, 427) and portrait.size == (427, 640)  # upright, 640 px
    assert "Exported 2 files" in dialog.report.toPlainText()
    assert dialog.report.isVisible() and dialog.show_button.isVisible()
    assert dialog.progress.isHidden() and dialog.close_button.text() == "Close"

    # The whole collection: a folder per gallery, the video copied as it is.
    _scope_button(dialog, "collection").setChecked(True)
    _run(qtbot, dialog)
    assert dialog.summary is not None and dialog.summary.ok
    assert sorted(dialog.summary.written) == [
        "Ceremony/land.jpg",
        "Ceremony/portrait.jpg",
        "Party/clip.mp4",
        "Party/flower.jpg",
    ]
    assert _hashes(out)["Party/clip.mp4"] == originals["Party/clip.mp4"]
    assert _hashes(shoot) == originals  # originals are only read
    assert party != ceremony


def test_filter_and_selection_zip_with_a_watermark_and_settings_remembered(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, _shoot(tmp_path))
    add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF", opacity=1.0))
    media = list_media(catalog, 1)
    photos = MediaFilter(kind="photo", sort="name")
    flower = next(r.id for r in media if r.path.endswith("flower.jpg"))
    scope = ExportScope(summary.collection_id, None, photos, shown=3, selection=(flower,))
    out = tmp_path / "zips"
    dialog = _dialog(qtbot, catalog, settings, scope)
    _scope_button(dialog, "filter").setChecked(True)
    dialog.watermark.setCurrentIndex(dialog.watermark.findText("“Proof” on every photo"))
    dialog.as_zip.setChecked(True)
    dialog.pattern.setText("{index} {stem}")
    dialog.metadata.setCurrentIndex(dialog.metadata.findData("none"))
    dialog.folder.setText(str(out))
    _run(qtbot, dialog)
    assert dialog.summary is not None and dialog.summary.ok
    assert dialog.summary.watermark == "Proof"
    archive = Path(str(dialog.summary.target))
    assert archive.parent == out and archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as z:  # numbered by path, as the filter sorts; no video
        assert sorted(z.namelist()) == [
            "Ceremony/001 land.jpg",
            "Ceremony/002 portrait.jpg",
            "Party/003 flower.jpg",
        ]
        with Image.open(io.BytesIO(z.read("Party/003 flower.jpg"))) as flower_out:
            assert not flower_out.getexif()  # metadata: none

    _scope_button(dialog, "selection").setChecked(True)
    _run(qtbot, dialog)
    assert dialog.summary is not None
    with zipfile.ZipFile(str(dialog.summary.target)) as z:
        assert z.namelist() == ["001 flower.jpg"]
    assert len(list(out.iterdir())) == 2  # a second zip, never over the first
    dialog.close()

    again = _dialog(qtbot, catalog, settings, scope)  # the last settings, remembered
    assert again.as_zip.isChecked() and again.folder.text() == str(out)
    assert again.pattern.text() == "{index} {stem}"
    assert again.watermark.currentText() == "“Proof” on every photo"
    assert again.metadata.currentData() == "none"
    assert again.chosen_scope == "selection"


def test_the_summary_lists_failures_skips_and_clean_videos(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path)
    shutil.copy(CORPUS / "bad/truncated/truncated_jpeg.jpg", shoot / "Party/broken.jpg")
    summary = import_folder(catalog, cache, shoot)
    add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF"))
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.watermark.setCurrentIndex(dialog.watermark.findText("“Proof” on every photo"))
    _run(qtbot, dialog)
    report = dialog.report.toPlainText()
    assert "Exported 4 files" in report
    assert "1 video(s) were copied without a watermark" in report
    assert "Failed: 1\n  Party/broken.jpg: " in report
    assert dialog.status.text() == "Done, with problems."

    dialog.videos.setCurrentIndex(dialog.videos.findData("skip"))
    dialog.folder.setText(str(tmp_path / "out2"))
    _run(qtbot, dialog)
    report = dialog.report.toPlainText()
    assert "Exported 3 files" in report and "without a watermark" not in report
    assert "Skipped: 1\n  Party/clip.mp4: video (this export skips videos)" in report


def test_a_target_that_cannot_be_written_is_reported(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, _shoot(tmp_path))
    not_a_folder = tmp_path / "a file"
    not_a_folder.write_text("x")
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.folder.setText(str(not_a_folder))
    _run(qtbot, dialog)
    assert dialog.summary is None
    assert "exists and is not a folder" in dialog.report.toPlainText()
    assert dialog.status.text() == "The export did not run."
    assert dialog.export_button.isEnabled()  # fix the folder and try again
    assert not_a_folder.read_text() == "x"


def test_a_bad_pattern_or_no_folder_disables_export(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, _shoot(tmp_path))
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.folder.setText(str(tmp_path / "out"))
    assert dialog.export_button.isEnabled()
    dialog.pattern.setText("{stem}-{nope}")
    assert not dialog.export_button.isEnabled()
    assert "unknown token" in dialog.pattern_problem.text().lower()
    dialog.pattern.setText("{collection}")
    assert "needs {stem} or {index}" in dialog.pattern_problem.text()
    dialog.pattern.setText("{date} {stem}")
    assert dialog.export_button.isEnabled() and dialog.pattern_problem.isHidden()
    dialog.folder.setText("  ")
    assert not dialog.export_button.isEnabled()
    dialog.folder.setText("exports/web")  # relative: it would land wherever the app started
    assert not dialog.export_button.isEnabled()
    assert "full path" in dialog.pattern_problem.text()
    dialog.pick_folder = lambda _start: str(tmp_path / "chosen")
    dialog.choose_folder()
    assert dialog.folder.text() == str(tmp_path / "chosen")
    assert dialog.export_button.isEnabled()


def test_without_a_collection_nothing_can_be_exported(
    qtbot: QtBot, catalog: Catalog, settings: QSettings, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, catalog, settings, ExportScope(None))
    dialog.folder.setText(str(tmp_path))
    assert not any(b.isEnabled() for b in dialog.scopes.buttons())
    assert not dialog.export_button.isEnabled()


def test_cancel_leaves_the_folder_as_it_was(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, CORPUS / "photos")  # 75 photos, read in place
    out = tmp_path / "out"
    (out / "Earlier").mkdir(parents=True)
    (out / "Earlier" / "keep.jpg").write_bytes(b"a file that was there before")
    (out / "notes.txt").write_text("mine")
    before = _hashes(out)
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.preset.setCurrentIndex(dialog.preset.findData("high"))
    dialog.folder.setText(str(out))
    dialog.export_button.click()
    assert dialog.close_button.text() == "Cancel"
    dialog.close_button.click()  # Cancel: stop, take back, stay open
    assert "Cancelling" in dialog.status.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.summary is not None and dialog.summary.cancelled
    assert dialog.isVisible()
    assert "cancelled" in dialog.report.toPlainText()
    assert _hashes(out) == before
    assert sorted(p.name for p in out.rglob("*")) == ["Earlier", "keep.jpg", "notes.txt"]


def test_closing_while_exporting_cancels_then_closes(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, CORPUS / "photos")
    out = tmp_path / "out"
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.folder.setText(str(out))
    dialog.export_button.click()
    dialog.done(0)  # the window's close button, Esc: cancel first
    assert dialog.isVisible() and dialog.running
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)
    assert not dialog.running
    assert not out.exists()  # the run made the folder, and took it back with the rest


def test_main_window_opens_watermarks_and_export(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    window = MainWindow(catalog, ThumbnailCache(tmp_path / "home" / "thumbs"), settings)
    qtbot.addWidget(window)
    window.show()
    window.import_folders([str(_shoot(tmp_path))])
    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 4, timeout=10_000)
    assert window.export_action.shortcut() == QKeySequence("Ctrl+E")
    window.filter_bar.kind.setCurrentIndex(window.filter_bar.kind.findData("photo"))
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=10_000)
    window.grid.setCurrentIndex(window.grid_model.index(1))

    window.export_action.trigger()
    dialogs = window.findChildren(ExportDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    scope = dialogs[0].scope
    assert scope.collection_id == 1 and scope.gallery_id is None
    assert scope.where.kind == "photo" and scope.shown == 3
    assert scope.selection == (window.grid_model.record(1).id,)
    dialogs[0].close()

    window.watermarks_action.trigger()
    editors = window.findChildren(WatermarkEditor)
    assert len(editors) == 1 and editors[0].isVisible()
    editor = editors[0]
    assert editor.uses.collection_name == "Smith Wedding"
    assert editor.preview.record == window.grid_model.record(1)
    qtbot.waitUntil(lambda: not editor.preview.busy, timeout=15_000)
    editor.confirm = lambda _q: True
    editor.close()
    window.close()
    catalog.close()


def test_metadata_follows_the_size_unless_chosen(
    qtbot: QtBot, catalog: Catalog, cache: ThumbnailCache, settings: QSettings, tmp_path: Path
) -> None:
    summary = import_folder(catalog, cache, _shoot(tmp_path))
    dialog = _dialog(qtbot, catalog, settings, ExportScope(summary.collection_id))
    dialog.preset.setCurrentIndex(dialog.preset.findData("original"))
    assert dialog.export_settings().policy is MetadataPolicy.ALL  # Original: the file as is
    dialog.preset.setCurrentIndex(dialog.preset.findData("web1024"))
    assert dialog.export_settings().policy is MetadataPolicy.COPYRIGHT
    dialog.metadata.setCurrentIndex(dialog.metadata.findData(MetadataPolicy.NONE.value))
    dialog.preset.setCurrentIndex(dialog.preset.findData("original"))
    assert dialog.export_settings().policy is MetadataPolicy.NONE
