"""Export: the collection, a gallery, the filter result or the selection, at a size, with or
without a watermark, into a folder or a zip, in the background with progress and cancel."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.collections import list_collections, list_galleries
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter
from gallery_desktop.catalog.watermarks import list_watermarks
from gallery_desktop.errors import UserFacingError
from gallery_desktop.export.items import AS_SET, NO_WATERMARK, ExportRequest
from gallery_desktop.export.run import ExportProgress, ExportSummary, run_export
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.export import PRESETS, ExportSettings, MetadataPolicy, VideoPolicy
from gallery_desktop.media.safe_names import DEFAULT_PATTERN, NAME_TOKENS, check_pattern
from gallery_desktop.ui.job_dialog import JobDialog

log = logging.getLogger(__name__)

METADATA_CHOICES = (
    (None, "As the size asks (Original: all, as is; others: no location)"),
    (MetadataPolicy.COPYRIGHT, "Copyright, date and camera; no location"),
    (MetadataPolicy.ALL, "Everything (location included)"),
    (MetadataPolicy.NONE, "Nothing (strip all metadata)"),
)
VIDEO_CHOICES = (
    (VideoPolicy.COPY, "Copy them as they are (no watermark)"),
    (VideoPolicy.SKIP, "Leave them out"),
)
SCOPES = ("collection", "gallery", "filter", "selection")
SHOWN_ROWS = 50  # skipped/failed lines listed in the summary; the rest are counted


@dataclass(frozen=True)
class ExportScope:
    """What the main window shows when Export… is chosen."""

    collection_id: int | None
    gallery_id: int | None = None
    where: MediaFilter = field(default_factory=MediaFilter)
    shown: int = 0  # media the grid shows (the filter result)
    selection: tuple[int, ...] = ()

    @property
    def filtered(self) -> bool:
        return replace(self.where, sort="taken") != MediaFilter()


def describe_summary(s: ExportSummary) -> str:
    if s.cancelled:
        return "Export cancelled: nothing of it was kept."
    lines = [
        f"Exported {len(s.written)} files ({s.bytes_written / 1e6:.1f} MB) to {s.target} "
        f"in {s.seconds:.1f} s. Watermark: {s.watermark}."
    ]
    if s.clean_videos:
        lines.append(
            f"Note: {s.clean_videos} video(s) were copied without a watermark (videos cannot "
            "carry one; choose “Leave them out” to skip them)."
        )
    for title, rows in (("Skipped", s.skipped), ("Failed", s.failed)):
        if rows:
            lines.append(f"{title}: {len(rows)}")
            lines += [f"  {media}: {why}" for media, why in rows[:SHOWN_ROWS]]
            if len(rows) > SHOWN_ROWS:
                lines.append(f"  … and {len(rows) - SHOWN_ROWS} more")
    return "\n".join(lines)


def _combo(items: Sequence[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _select(box: QComboBox, data: object) -> None:
    index = box.findData(data)
    if index >= 0:
        box.setCurrentIndex(index)


class ExportDialog(JobDialog):
    """Remembers its last settings (QSettings, "export/…"); the export runs in a worker."""

    cancelling_text = "Cancelling: the photos in hand are finished, then taken back…"

    def __init__(
        self,
        catalog: Catalog,
        settings: QSettings,
        scope: ExportScope,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.settings, self.scope = catalog, settings, scope
        self.pick_folder: Callable[[str], str | None] = self._pick_folder
        self.summary: ExportSummary | None = None
        self.setWindowTitle("Export")

        layout = QVBoxLayout(self)
        layout.addWidget(self._scope_box())
        layout.addWidget(self._options_box())
        layout.addWidget(self._target_box())
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMinimumHeight(90)
        self.report.hide()
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.report, 1)
        self.show_button = QPushButton("Show in Folder")
        self.show_button.hide()
        self.show_button.clicked.connect(self._show_in_folder)
        self.export_button, self.close_button = QPushButton("Export"), QPushButton("Close")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._restore()
        self._check()
        self.resize(660, 720)

    # -- building --------------------------------------------------------------------------------

    def _scope_box(self) -> QGroupBox:
        box = QGroupBox("Export")
        column = QVBoxLayout(box)
        self.scopes = QButtonGroup(self)
        cid, gid = self.scope.collection_id, self.scope.gallery_id
        collection = next((c for c in list_collections(self.catalog) if c.id == cid), None)
        self.collection_name = collection.name if collection else ""
        galleries = list_galleries(self.catalog, collection.id) if collection else []
        gallery = next((g for g in galleries if g.id == gid), None)
        picked = len(self.scope.selection)
        texts = {
            "collection": f"The whole collection “{self.collection_name}” ({collection.media})"
            if collection
            else "The whole collection (select one in the sidebar)",
            "gallery": f"The gallery “{gallery.name}” ({gallery.media})"
            if gallery
            else "A gallery (select one in the sidebar)",
            "filter": f"What the filter shows ({self.scope.shown})",
            "selection": f"The selected photos and videos ({picked})",
        }
        enabled = {
            "collection": collection is not None,
            "gallery": collection is not None and gallery is not None,
            "filter": collection is not None and self.scope.filtered,
            "selection": collection is not None and picked > 0,
        }
        for key in SCOPES:
            radio = QRadioButton(texts[key])
            radio.setProperty("scope", key)
            radio.setEnabled(enabled[key])
            self.scopes.addButton(radio)
            column.addWidget(radio)
        self.scopes.buttonToggled.connect(self._check)
        return box

    def _options_box(self) -> QGroupBox:
        box = QGroupBox("How")
        form = QFormLayout(box)
        self.preset = _combo([(p.label, key) for key, p in PRESETS.items()])
        self.quality = QSpinBox()
        self.quality.setRange(0, 100)  # 0: the preset's own
        self.watermark = _combo(
            [
                ("As set for the collection and its galleries", AS_SET),
                ("No watermark", NO_WATERMARK),
            ]
            + [(f"“{p.name}” on every photo", str(p.id)) for p in list_watermarks(self.catalog)]
        )
        self.metadata = _combo([(text, m.value if m else "") for m, text in METADATA_CHOICES])
        self.videos = _combo([(text, v.value) for v, text in VIDEO_CHOICES])
        self.pattern = QLineEdit()
        self.pattern.setToolTip("Tokens: " + " ".join("{" + t + "}" for t in NAME_TOKENS))
        self.pattern_problem = QLabel()
        self.pattern_problem.setWordWrap(True)
        self.pattern_problem.setStyleSheet("color: #c0392b;")
        tokens = QLabel(" ".join("{" + t + "}" for t in NAME_TOKENS))
        tokens.setEnabled(False)
        self.client = QLineEdit()
        self.client.setPlaceholderText("what {client} in a watermark stands for")
        form.addRow("Size", self.preset)
        form.addRow("JPEG quality", self.quality)
        form.addRow("Watermark", self.watermark)
        form.addRow("Metadata", self.metadata)
        form.addRow("Videos", self.videos)
        form.addRow("File names", self.pattern)
        form.addRow("", tokens)
        form.addRow("", self.pattern_problem)
        form.addRow("Client", self.client)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.pattern.textChanged.connect(self._check)
        return box

    def _target_box(self) -> QGroupBox:
        box = QGroupBox("Into")
        column = QVBoxLayout(box)
        self.as_folder, self.as_zip = QRadioButton("A folder"), QRadioButton("One zip file")
        kinds = QHBoxLayout()
        kinds.addWidget(self.as_folder)
        kinds.addWidget(self.as_zip)
        kinds.addStretch(1)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("the folder to export into")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        column.addLayout(kinds)
        column.addLayout(row)
        self.folder.textChanged.connect(self._check)
        return box

    # -- settings, remembered --------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        _select(self.preset, s.value("export/preset", "web2048"))
        self.quality.setValue(_int(s.value("export/quality", 0)))
        _select(self.watermark, s.value("export/watermark", AS_SET))
        _select(self.metadata, s.value("export/metadata", ""))
        _select(self.videos, s.value("export/videos", VideoPolicy.COPY.value))
        self.pattern.setText(str(s.value("export/pattern", DEFAULT_PATTERN)))
        (self.as_zip if s.value("export/zip", False, type=bool) else self.as_folder).setChecked(
            True
        )
        self.folder.setText(str(s.value("export/folder", str(Path.home() / "Exports"))))
        wanted = str(s.value("export/scope", ""))
        usable = [b for b in self.scopes.buttons() if b.isEnabled()]
        default = "gallery" if self.scope.gallery_id is not None else "collection"
        for choice in (wanted, default):
            found = [b for b in usable if b.property("scope") == choice]
            if found:
                found[0].setChecked(True)
                break
        else:
            if usable:
                usable[0].setChecked(True)
        self._preset_changed()

    def _remember(self) -> None:
        s = self.settings
        s.setValue("export/preset", self.preset.currentData())
        s.setValue("export/quality", self.quality.value())
        s.setValue("export/watermark", self.watermark.currentData())
        s.setValue("export/metadata", self.metadata.currentData())
        s.setValue("export/videos", self.videos.currentData())
        s.setValue("export/pattern", self.pattern.text())
        s.setValue("export/zip", self.as_zip.isChecked())
        s.setValue("export/folder", self.folder.text())
        s.setValue("export/scope", self.chosen_scope)
        s.sync()

    # -- what will be done -----------------------------------------------------------------------

    @property
    def chosen_scope(self) -> str:
        checked = self.scopes.checkedButton()
        return str(checked.property("scope")) if checked else ""

    def request(self) -> ExportRequest | None:
        cid, scope = self.scope.collection_id, self.chosen_scope
        if cid is None or not scope:
            return None
        client = self.client.text().strip()
        watermark = str(self.watermark.currentData())
        if scope == "selection":
            return ExportRequest(
                cid, media_ids=self.scope.selection, watermark=watermark, client=client
            )
        if scope == "gallery":
            return ExportRequest(cid, self.scope.gallery_id, watermark=watermark, client=client)
        if scope == "filter":
            return ExportRequest(
                cid, self.scope.gallery_id, self.scope.where, watermark=watermark, client=client
            )
        return ExportRequest(cid, watermark=watermark, client=client)

    def export_settings(self) -> ExportSettings:
        return ExportSettings(
            PRESETS[str(self.preset.currentData())],
            quality=self.quality.value() or None,
            metadata=MetadataPolicy(self.metadata.currentData())
            if self.metadata.currentData()
            else None,
            videos=VideoPolicy(self.videos.currentData()),
        )

    def _preset_changed(self) -> None:
        preset = PRESETS[str(self.preset.currentData())]
        self.quality.setSpecialValueText(f"The preset's ({preset.quality})")

    def _check(self) -> None:
        problem = check_pattern(self.pattern.text())
        self.pattern_problem.setText(problem[:1].upper() + problem[1:] if problem else "")
        self.pattern_problem.setVisible(bool(problem))
        folder = self.folder.text().strip()
        if not problem and folder and not Path(folder).expanduser().is_absolute():
            problem = "choose the export folder with Choose… (a full path)"
            self.pattern_problem.setText(problem[:1].upper() + problem[1:])
            self.pattern_problem.setVisible(True)
        ready = not problem and bool(folder) and self.request() is not None
        self.export_button.setEnabled(ready and not self.running)

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        request = self.request()
        if request is None or not self.export_button.isEnabled():
            return
        self._remember()
        settings, pattern = self.export_settings(), self.pattern.text()
        out, zip_file = Path(self.folder.text().strip()).expanduser(), self.as_zip.isChecked()
        cancel = self._cancel = CancelToken()
        self.summary = None
        self._set_running(True)
        self.status.setText("Starting…")

        def work(report: Callable[[Any], None]) -> ExportSummary:
            return run_export(
                self.catalog,
                request,
                settings,
                out,
                zip_file=zip_file,
                pattern=pattern,
                progress=report,
                cancel=cancel,
            )

        self.tasks.run(work, self._finished, self._failed, self._progressed)

    def _set_running(self, running: bool) -> None:
        for box in self.findChildren(QGroupBox):
            box.setEnabled(not running)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        self.report.setVisible(not running and self.report.toPlainText() != "")
        self.show_button.hide()
        self.close_button.setText("Cancel" if running else "Close")
        self.close_button.setEnabled(True)
        self._check()

    def _progressed(self, p: ExportProgress) -> None:
        if self._cancel is None or self._cancel.cancelled:
            return
        self.progress.setRange(0, max(p.total, 1))
        self.progress.setValue(p.done)
        self.status.setText(f"{p.done} of {p.total}" + (f"  {p.current}" if p.current else ""))

    def _finished(self, summary: ExportSummary) -> None:
        self._cancel = None
        self.summary = summary
        self.report.setPlainText(describe_summary(summary))
        self._set_running(False)
        self.status.setText(
            "Cancelled."
            if summary.cancelled
            else ("Done." if summary.ok else "Done, with problems.")
        )
        self.show_button.setVisible(summary.target is not None)
        self._closing()

    def _failed(self, exc: BaseException) -> None:
        self._cancel = None
        if isinstance(exc, UserFacingError):
            text = str(exc)
        else:
            log.error("export failed", exc_info=exc)
            text = f"Something went wrong, nothing of this export was kept: {exc}"
        self.report.setPlainText(text)
        self._set_running(False)
        self.status.setText("The export did not run.")
        self._closing()

    def reject(self) -> None:
        if self.running and not self._close_when_done:
            self.cancel()  # the button reads "Cancel" while exporting: stop, stay open
            return
        super().reject()

    # -- folders -----------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        chosen = self.pick_folder(self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _pick_folder(self, start: str) -> str | None:
        return QFileDialog.getExistingDirectory(self, "Export into", start) or None

    def _show_in_folder(self) -> None:
        if self.summary is not None and self.summary.target:
            target = Path(self.summary.target)
            QDesktopServices.openUrl(
                QUrl.fromLocalFile(str(target if target.is_dir() else target.parent))
            )
