"""Collection Settings: everything that decides how clients see, download and buy a
collection, in tabs, beside a live “what your client will experience” summary. Nothing is
written until Save, and then all of it in one transaction (sharing links excepted: they act
at once)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.client_experience import NO, OK, Sentence, client_experience
from gallery_desktop.catalog.clients import check_entries, list_clients, replace_clients
from gallery_desktop.catalog.collection_settings import (
    apply_gallery_values,
    apply_values,
    gallery_override,
    parse_assignments,
    parse_gallery_assignments,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import DeliverySettings, read_settings
from gallery_desktop.catalog.store import Store, check_store, read_store, write_store
from gallery_desktop.catalog.templates import ensure_builtin_templates, save_design_in
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.cover_preview import DesignTab
from gallery_desktop.ui.settings_access_tab import AccessTab
from gallery_desktop.ui.settings_downloads_tab import DownloadsTab
from gallery_desktop.ui.settings_store_tab import StoreTab
from gallery_desktop.ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)
MARKS = {OK: ("✓", "#2e7d32"), NO: ("✗", "#c62828")}


def _html(sentences: Sequence[Sentence]) -> str:
    rows = []
    for s in sentences:
        mark, colour = MARKS.get(s.kind, ("•", "palette(text)"))
        rows.append(
            f"<tr><td style='color:{colour}; padding-right:6px'><b>{mark}</b></td>"
            f"<td style='padding-bottom:6px'>{escape(s.text)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


class CollectionSettingsDialog(QDialog):
    def __init__(
        self,
        catalog: Catalog,
        collection_id: int,
        parent: QWidget | None = None,
        *,
        selected_photos: Sequence[int] = (),
        today: date | None = None,
        tasks: BackgroundTasks | None = None,
        cache: ThumbnailCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog, self.collection_id = catalog, collection_id
        self.today = today or date.today()
        self.saved = read_settings(catalog, collection_id)
        self.setWindowTitle(f"Collection Settings — {self.saved.name}")
        self.resize(1100, 720)

        self.tabs = QTabWidget()
        self.access = AccessTab(self.saved, list_clients(catalog, collection_id))
        self.downloads = DownloadsTab(catalog, collection_id, self.saved, selected_photos)
        self.saved_store = read_store(catalog, collection_id)
        self.store_tab = StoreTab(self.saved_store)
        self.tabs.addTab(self.access, "Client Access")
        self.tabs.addTab(self.downloads, "Downloads")
        self.tabs.addTab(self.store_tab, "Store")
        self.design = DesignTab(catalog, collection_id, tasks, cache)
        self.tabs.addTab(self.design, "Cover && Display")
        self.finished.connect(lambda _result: self.design.stop())

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        side = QVBoxLayout()
        title = QLabel("<b>What your client will experience</b>")
        side.addWidget(title)
        side.addWidget(scroll, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMinimumWidth(330)
        side_widget.setMaximumWidth(400)

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        body = QHBoxLayout()
        body.addWidget(self.tabs, 1)
        body.addWidget(side_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        for tab in (self.access, self.downloads, self.store_tab, self.design):
            tab.changed.connect(self.refresh)
        self.downloads.link_failed.connect(self._link_failed)
        self.refresh()

    # -- reading the form -------------------------------------------------------------------------

    def _collection_values(self) -> dict[str, Any]:
        return parse_assignments([*self.access.assignments(), *self.downloads.assignments()])

    def _gallery_values(self) -> dict[int, dict[str, Any]]:
        private = self.access.private()
        out: dict[int, dict[str, Any]] = {}
        for gallery_id, assignments in self.downloads.gallery_assignments().items():
            values = parse_gallery_assignments(assignments)
            values["private"] = private.get(gallery_id, False)
            out[gallery_id] = values
        return out

    def _store(self) -> Store:
        try:
            store = self.store_tab.store()
        except ValueError as exc:
            raise UserFacingError(f"store not saved: {exc}") from None
        return check_store(store)

    def edited(self) -> tuple[DeliverySettings, Store]:
        """The settings as they stand in the form; a UserFacingError says what is wrong."""
        problems = [*self.access.problems(), *self.downloads.problems()]
        if problems:
            text = "; ".join(problems)
            raise UserFacingError(text[:1].upper() + text[1:])
        v = self._collection_values()
        gallery_values = self._gallery_values()
        clients = check_entries(self.access.clients())
        galleries = tuple(
            replace(
                g,
                private=gallery_values[g.id]["private"],
                override=gallery_override(g.override, gallery_values[g.id]),
            )
            for g in self.saved.galleries
        )
        settings = replace(
            self.saved,
            status=v["status"],
            password=v["password"],
            expiry_date=v["expiry_date"],
            reminder_days=v["expiry_reminder_days"],
            client_exclusive=v["client_exclusive"],
            visitor_email_capture=v["visitor_email_capture"],
            downloadable=v["downloadable"],
            sizes=tuple(json.loads(v["download_sizes_json"])),
            single=v["download_single"],
            bulk=v["download_bulk"],
            watermarked=v["download_watermarked"],
            pin=v["download_pin"],
            limit=v["download_limit"],
            galleries=galleries,
            clients={c.email: c.access for c in clients},
        )
        return settings, self._store()

    # -- the summary ------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            settings, store = self.edited()
        except UserFacingError as exc:
            self.problem.setText(str(exc))
            self._save_button().setEnabled(False)
            return
        self.problem.clear()
        self._save_button().setEnabled(True)
        names = {c.email: c.name for c in self.access.clients()}
        sentences = client_experience(settings, self.today, store=store, client_names=names)
        self.summary.setText(_html(sentences))

    def _save_button(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def _link_failed(self, message: str) -> None:
        self.problem.setText(f"Sharing link: {message}")

    # -- saving -----------------------------------------------------------------------------------

    def save(self) -> None:
        try:
            self.edited()  # everything checked before anything is written
            values = self._collection_values()
            gallery_values = self._gallery_values()
            clients = self.access.clients()
            store = self._store()
            design = self.design.values() if self.design.is_modified() else None
            if design is not None:
                ensure_builtin_templates(self.catalog)
            with self.catalog.write() as session:  # every tab, or nothing
                conn = session.connection()
                apply_values(conn, self.collection_id, values)
                for gallery_id, gv in gallery_values.items():
                    apply_gallery_values(conn, gallery_id, gv)
                replace_clients(conn, self.collection_id, clients)
                if store != self.saved_store:
                    write_store(conn, self.collection_id, store)
                if design is not None:
                    save_design_in(session, self.collection_id, design)
        except UserFacingError as exc:
            self.problem.setText(str(exc))
            return
        log.info("collection %s: client settings saved", self.collection_id)
        self.accept()
