"""The inspector: everything the catalogue knows about the current photo or video, and which
clients favourited it (with their notes)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from gallery_desktop.catalog.favourites import client_count, favourites_in, list_and_time
from gallery_desktop.catalog.media import MediaRecord
from gallery_desktop.ui.grid_model import culling_text

FIELDS = (
    ("File", "file"),
    ("Gallery", "gallery"),
    ("Kind", "kind"),
    ("Format", "format"),
    ("Size", "size"),
    ("Taken", "taken"),
    ("Camera", "camera"),
    ("Lens", "lens"),
    ("Duration", "duration"),
    ("File size", "bytes"),
    ("Culling", "culling"),
    ("State", "state"),
    ("Favourited by", "favourites"),
)


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.0f} kB"
    return f"{n / 1_000_000:.1f} MB"


def facts(rec: MediaRecord) -> dict[str, str]:
    size = f"{rec.width} × {rec.height} px" if rec.width else "unknown"
    duration = "—"
    if rec.duration is not None:
        minutes, seconds = divmod(rec.duration, 60)
        duration = f"{int(minutes)}:{seconds:05.2f}"
    state = rec.state if not rec.error else f"{rec.state}: {rec.error}"
    return {
        "file": rec.path,
        "gallery": rec.gallery,
        "kind": rec.kind,
        "format": rec.format or "—",
        "size": size,
        "taken": rec.taken_at.replace("T", " ") if rec.taken_at else "unknown",
        "camera": rec.camera or "—",
        "lens": rec.lens or "—",
        "duration": duration,
        "bytes": human_size(rec.size_bytes),
        "culling": culling_text(rec),
        "state": state,
        "favourites": favourites_text(rec),
    }


def favourites_text(rec: MediaRecord) -> str:
    """Who favourited it, in which list and when, with their notes; "—" when nobody did.
    (The grid's records carry their favourites, fetched with their page.)"""
    marks = favourites_in(rec)
    if not marks:
        return "—"
    clients = client_count(marks)
    lines = [f"♥ {clients} client{'s' if clients != 1 else ''}"]
    for m in marks:  # the panel is narrow: who, then where and when, then the note
        lines += ["", m.who, list_and_time(m)] + ([f"“{m.note}”"] if m.note else [])
    return "\n".join(lines)


class Inspector(QWidget):
    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for title, key in FIELDS:
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title, value)
            self.values[key] = value
        self.setMinimumWidth(240)

    def show_media(self, rec: MediaRecord | None) -> None:
        shown = facts(rec) if rec is not None else {}
        for key, label in self.values.items():
            label.setText(shown.get(key, "—"))
