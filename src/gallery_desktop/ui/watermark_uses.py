"""Which watermark a collection uses by default, and which one a gallery uses instead."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watermarks import (
    WatermarkChoices,
    WatermarkPreset,
    set_collection_watermark,
    set_gallery_watermark,
    watermark_choices,
)
from gallery_desktop.errors import UserFacingError


class WatermarkUses(QGroupBox):
    """Two choices, saved as soon as they are made: the collection's default, a gallery's own."""

    def __init__(
        self,
        catalog: Catalog,
        collection_id: int | None,
        gallery_id: int | None = None,  # shown first (the selected photo's)
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Where it is used", parent)
        self.catalog, self.collection_id, self._first_gallery = catalog, collection_id, gallery_id
        self.uses: WatermarkChoices | None = None
        self._presets: Sequence[WatermarkPreset] = ()
        self.collection_default, self.gallery, self.gallery_choice = (QComboBox() for _ in "abc")
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Collection default", self.collection_default)
        form.addRow("Gallery", self.gallery)
        form.addRow("Gallery uses", self.gallery_choice)
        form.addRow(self.note)
        self.collection_default.activated.connect(self._default_chosen)
        self.gallery.currentIndexChanged.connect(self._show_gallery_choice)
        self.gallery_choice.activated.connect(self._gallery_choice_chosen)
        if collection_id is None:
            self.setEnabled(False)
            self.note.setText("Select a collection in the sidebar to choose its watermark.")

    @property
    def collection_name(self) -> str:
        return self.uses.collection if self.uses else "Collection"

    def reload(self, presets: Sequence[WatermarkPreset]) -> None:
        """Show the catalogue's choices again (after presets were added, renamed, deleted)."""
        self._presets = presets
        if self.collection_id is None:
            return
        self.uses = uses = watermark_choices(self.catalog, self.collection_id)
        if uses is None:
            self.setEnabled(False)
            return
        self._fill(self.collection_default, "No watermark", uses.default)
        with QSignalBlocker(self.gallery):
            current = self.gallery.currentData()
            current = self._first_gallery if current is None else current
            self.gallery.clear()
            for gid, name, _preset in uses.galleries:
                self.gallery.addItem(name, gid)
            self.gallery.setCurrentIndex(max(0, self.gallery.findData(current)))
        self._show_gallery_choice()
        self.note.setText(f"For the collection “{uses.collection}”; a choice is saved at once.")

    def choose_default(self, preset_id: int | None) -> None:
        self.collection_default.setCurrentIndex(max(0, self.collection_default.findData(preset_id)))
        self._default_chosen()

    def choose_for_gallery(self, gallery_id: int, preset_id: int | None) -> None:
        self.gallery.setCurrentIndex(self.gallery.findData(gallery_id))
        self.gallery_choice.setCurrentIndex(max(0, self.gallery_choice.findData(preset_id)))
        self._gallery_choice_chosen()

    def _fill(self, box: QComboBox, first: str, chosen: int | None) -> None:
        with QSignalBlocker(box):
            box.clear()
            box.addItem(first, None)
            for p in self._presets:
                box.addItem(p.name, p.id)
            box.setCurrentIndex(max(0, box.findData(chosen)) if chosen is not None else 0)

    def _show_gallery_choice(self) -> None:
        gid = self.gallery.currentData()
        galleries = self.uses.galleries if self.uses else []
        chosen = next((preset for g, _n, preset in galleries if g == gid), None)
        self._fill(self.gallery_choice, "The collection's default", chosen)
        self.gallery_choice.setEnabled(gid is not None)

    def _default_chosen(self) -> None:
        preset = _ref(self.collection_default.currentData())
        self._save(lambda cid: set_collection_watermark(self.catalog, cid, preset))

    def _gallery_choice_chosen(self) -> None:
        gid, preset = self.gallery.currentData(), _ref(self.gallery_choice.currentData())
        if gid is not None:
            self._save(lambda _cid: set_gallery_watermark(self.catalog, int(gid), preset))

    def _save(self, action: Callable[[int], None]) -> None:
        if self.collection_id is None:
            return
        try:
            action(self.collection_id)
        except UserFacingError as exc:
            self.note.setText(str(exc))
            return
        self.reload(self._presets)


def _ref(preset_id: object) -> str | None:
    return str(preset_id) if preset_id is not None else None
