"""The status bar's word on what other seats are doing: "Retouch-2 is importing Wedding
(120/480)". Read again whenever the catalogue changes (`seatactivity` rows are published by
whoever holds an import's or the outbox's lock)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.seats import activities, seat_of
from gallery_desktop.ui.changes import CatalogueChanges

PHASES = {"scanning": "looking through", "reading": "importing", "thumbnails": "making previews of"}


class SeatActivityLabel(QLabel):
    def __init__(self, catalog: Catalog, changes: CatalogueChanges, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.catalog = catalog
        bar.addPermanentWidget(self)
        changes.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        me = seat_of(self.catalog)
        with self.catalog.read() as session:
            rows = session.connection().exec_driver_sql("SELECT id, name FROM collection")
            names: dict[int, str] = {int(r[0]): str(r[1]) for r in rows}
        parts = []
        for act in activities(self.catalog):
            if act.seat == me or act.phase == "done":
                continue
            what = act.name
            if what.startswith("collection-") and what[11:].isdigit():
                what = repr(names.get(int(what[11:]), what))
            doing = PHASES.get(act.phase, act.phase)
            count = f" ({act.done}/{act.total})" if act.total else ""
            parts.append(f"{act.seat} is {doing} {what}{count}")
        self.setText(";  ".join(parts))
        self.setVisible(bool(parts))
