"""The filter and sort bar above the grid: what to show, in which order."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QToolBar, QWidget

from gallery_desktop.catalog.media import MediaFilter
from gallery_desktop.catalog.models import ColourLabel


def _combo(items: Sequence[tuple[str, object]], tip: str) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    box.setToolTip(tip)
    return box


class FilterBar(QToolBar):
    """Emits `changed` with a MediaFilter whenever any control changes."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Filter", parent)
        self.setObjectName("filter-bar")
        self.rating = _combo(
            [("Any rating", 0)] + [(f"≥ {'★' * n}", n) for n in range(1, 6)], "Rating at least"
        )
        self.flag = _combo(
            [
                ("Any flag", None),
                ("Picks", "picked"),
                ("Rejects", "rejected"),
                ("Unflagged", "unflagged"),
            ],
            "Pick flag",
        )
        self.label = _combo(
            [("Any label", None)] + [(c.value.title(), c.value) for c in ColourLabel],
            "Colour label",
        )
        self.kind = _combo(
            [("Photos and videos", None), ("Photos", "photo"), ("Videos", "video")], "Kind"
        )
        self.state = _combo(
            [("Any state", None), ("OK", "ok"), ("Missing", "missing"), ("With errors", "error")],
            "State",
        )
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search names…")
        self.text.setClearButtonEnabled(True)
        self.text.setMaximumWidth(220)
        self.sort = _combo(
            [("Capture time", "taken"), ("Name", "name"), ("Rating", "rating")], "Sort by"
        )
        for box in (self.rating, self.flag, self.label, self.kind, self.state):
            self.addWidget(box)
            box.currentIndexChanged.connect(self._emit)
        self.addWidget(self.text)
        self.text.textChanged.connect(self._emit)
        self.addSeparator()
        self.addWidget(self.sort)
        self.sort.currentIndexChanged.connect(self._emit)

    def current(self) -> MediaFilter:
        return MediaFilter(
            min_rating=int(self.rating.currentData() or 0),
            flag=self.flag.currentData(),
            label=self.label.currentData(),
            kind=self.kind.currentData(),
            state=self.state.currentData(),
            text=self.text.text(),
            sort=str(self.sort.currentData()),
        )

    def _emit(self) -> None:
        self.changed.emit(self.current())
