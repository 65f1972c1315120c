"""The Collection Settings dialog: it shows what is saved, its summary follows every edit
before anything is written, Save writes every tab at once, bad input is explained and
writes nothing, Cancel writes nothing, and sharing links act at once."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QMainWindow
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from conftest import make_shoot
from gallery_desktop.catalog.clients import ClientEntry, list_clients, set_clients
from gallery_desktop.catalog.collection_settings import apply_settings
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import read_settings
from gallery_desktop.catalog.sharing_links import list_links
from gallery_desktop.catalog.store import PriceSize, Product, Store, read_store, save_store
from gallery_desktop.catalog.templates import read_design
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui import cover_preview
from gallery_desktop.ui.collection_settings_dialog import CollectionSettingsDialog
from gallery_desktop.ui.tasks import BackgroundTasks

TODAY = date(2027, 3, 1)


@pytest.fixture
def wedding(tmp_path: Path, catalog: Catalog, cache: ThumbnailCache) -> int:
    cid = import_folder(catalog, cache, make_shoot(tmp_path / "shoots"), workers=1).collection_id
    apply_settings(
        catalog,
        cid,
        ["status=published", "password=smith", "downloadable=on", "download_sizes=web2048"],
    )
    set_clients(catalog, cid, [ClientEntry("ann@example.com", "Ann", "download")])
    save_store(catalog, cid, Store(True, "EUR", 0, (Product("Print", (PriceSize("8x10", 2500),)),)))
    return cid


def _dialog(qtbot: QtBot, catalog: Catalog, cid: int, **kw: object) -> CollectionSettingsDialog:
    dialog = CollectionSettingsDialog(catalog, cid, today=TODAY, **kw)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def _save(dialog: CollectionSettingsDialog) -> QDialogButtonBox:
    return dialog.buttons


def _photo(catalog: Catalog, cid: int, name: str) -> int:
    with catalog.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM media WHERE collection_id = :c AND path LIKE :p"),
                {"c": cid, "p": f"%{name}"},
            ).scalar_one()
        )


def test_it_opens_with_what_is_saved(qtbot: QtBot, catalog: Catalog, wedding: int) -> None:
    d = _dialog(qtbot, catalog, wedding)
    assert d.access.status.currentData() == "published"
    assert d.access.password_on.isChecked() and d.access.password.text() == "smith"
    assert d.downloads.downloadable.isChecked()
    assert [s for s, c in d.downloads.sizes.items() if c.isChecked()] == ["web2048"]
    assert d.access.clients() == [ClientEntry("ann@example.com", "Ann", "download")]
    assert d.store_tab.store().products[0].name == "Print"
    summary = d.summary.text()
    assert "Clients can see this collection: visible to clients who enter the password." in summary
    assert "Ann (ann@example.com) can download Web 2048 px" in summary
    assert "Clients can order prints: 1 product from €25.00." in summary


def test_the_summary_follows_edits_before_anything_is_written(
    qtbot: QtBot, catalog: Catalog, wedding: int
) -> None:
    d = _dialog(qtbot, catalog, wedding)
    d.access.status.setCurrentIndex(d.access.status.findData("draft"))
    assert "Clients cannot see it: it is a draft" in d.summary.text()
    d.access.status.setCurrentIndex(d.access.status.findData("published"))
    d.downloads.downloadable.setChecked(False)
    assert "Guests cannot download: downloads are off for the collection." in d.summary.text()
    assert read_settings(catalog, wedding).downloadable is True  # nothing written yet


def test_save_writes_every_tab_in_one_go(qtbot: QtBot, catalog: Catalog, wedding: int) -> None:
    d = _dialog(qtbot, catalog, wedding)
    d.access.password.setText("new secret")
    d.access.expires.setChecked(True)
    d.access.reminder.setValue(5)
    d.access.exclusive.setChecked(True)
    d.access.galleries.item(2).setCheckState(d.access.galleries.item(2).checkState().Checked)
    row = d.access.add_client(ClientEntry("bob@example.com", "Bob", "favourite"))
    assert row == 1
    d.downloads.sizes["original"].setChecked(True)
    d.downloads.bulk.setChecked(False)
    d.downloads.pin_on.setChecked(True)
    d.downloads.pin.setText("2468")
    d.downloads.limit.setValue(50)
    ceremony = d.downloads.galleries.cellWidget(1, 1)
    assert isinstance(ceremony, QComboBox)
    ceremony.setCurrentIndex(ceremony.findData("off"))
    d.store_tab.add_row("Canvas", "20x30", "120")
    d.store_tab.minimum.setText("30")
    d.store_tab.currency.setCurrentText("GBP")
    assert _save(d).button(QDialogButtonBox.StandardButton.Save).isEnabled(), d.problem.text()
    d.save()
    assert d.result() == d.DialogCode.Accepted

    s = read_settings(catalog, wedding)
    assert s.password == "new secret" and s.expiry_date is not None and s.reminder_days == 5
    assert s.client_exclusive and s.sizes == ("original", "web2048")
    assert (s.single, s.bulk, s.pin, s.limit) == (True, False, "2468", 50)
    by_name = {g.name: g for g in s.galleries}
    assert by_name["Ceremony"].override == {"downloadable": False}
    assert by_name["Party"].private and not by_name["Ceremony"].private
    assert list_clients(catalog, wedding) == [
        ClientEntry("ann@example.com", "Ann", "download"),
        ClientEntry("bob@example.com", "Bob", "favourite"),
    ]
    store = read_store(catalog, wedding)
    assert store.currency == "GBP" and store.minimum_order_cents == 3000
    assert [p.name for p in store.products] == ["Print", "Canvas"]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda d: d.downloads.pin_on.setChecked(True) or d.downloads.pin.setText("12"),
            "four digits",
        ),
        (lambda d: d.access.password.setText(""), "Type the password"),
        (lambda d: [c.setChecked(False) for c in d.downloads.sizes.values()], "download size"),
        (lambda d: d.store_tab.add_row("Canvas", "20x30", "lots"), "not an amount"),
        (lambda d: d.access.add_client(ClientEntry("not-an-email")), "is not an email"),
        (
            lambda d: (d.access.remove_all(), d.access.exclusive.setChecked(True)),
            "needs at least one client",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(
    qtbot: QtBot, catalog: Catalog, wedding: int, edit: object, words: str
) -> None:
    before = (
        read_settings(catalog, wedding),
        list_clients(catalog, wedding),
        read_store(catalog, wedding),
    )
    d = _dialog(qtbot, catalog, wedding)
    assert callable(edit)
    edit(d)
    assert words in d.problem.text()
    assert not _save(d).button(QDialogButtonBox.StandardButton.Save).isEnabled()
    d.save()
    assert d.result() != d.DialogCode.Accepted
    after = (
        read_settings(catalog, wedding),
        list_clients(catalog, wedding),
        read_store(catalog, wedding),
    )
    assert after == before


def test_cancel_writes_nothing(qtbot: QtBot, catalog: Catalog, wedding: int) -> None:
    before = read_settings(catalog, wedding)
    d = _dialog(qtbot, catalog, wedding)
    d.access.status.setCurrentIndex(d.access.status.findData("hidden"))
    d.downloads.downloadable.setChecked(False)
    d.reject()
    assert read_settings(catalog, wedding) == before


def test_sharing_links_act_at_once(qtbot: QtBot, catalog: Catalog, wedding: int) -> None:
    photo = _photo(catalog, wedding, "a.jpg")
    d = _dialog(qtbot, catalog, wedding, selected_photos=[photo])
    assert d.downloads.new_link.isEnabled()
    d.downloads.new_link.click()
    (link,) = list_links(catalog, wedding)
    assert link.media_id == photo and d.downloads.links.rowCount() == 1
    assert d.downloads.links.item(0, 0).text() == "a.jpg"
    d.downloads.links.setCurrentCell(0, 0)
    d.downloads.revoke.click()
    assert d.downloads.links.item(0, 1).text() == "revoked"
    d.reject()
    assert list_links(catalog, wedding)[0].revoked_at is not None  # not undone by Cancel


def test_without_a_selection_no_link_can_be_made(
    qtbot: QtBot, catalog: Catalog, wedding: int
) -> None:
    d = _dialog(qtbot, catalog, wedding)
    assert not d.downloads.new_link.isEnabled()
    assert "Select photos" in d.downloads.new_link.toolTip()


def test_the_cover_tab_is_saved_with_the_rest(qtbot: QtBot, catalog: Catalog, wedding: int) -> None:
    photo = _photo(catalog, wedding, "a.jpg")
    d = _dialog(qtbot, catalog, wedding)
    assert d.tabs.tabText(3) == "Cover && Display"
    d.design.set_cover(photo)
    assert read_design(catalog, wedding).cover_media_id != photo  # not before Save
    d.save()
    assert d.result() == d.DialogCode.Accepted
    assert read_design(catalog, wedding).cover_media_id == photo


def test_closing_while_the_cover_draws_drops_the_drawing(
    qtbot: QtBot, catalog: Catalog, wedding: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialog is deleted on close; a cover drawing that ends later must not reach it."""
    window = QMainWindow()
    qtbot.addWidget(window)
    tasks = BackgroundTasks(window)
    real = cover_preview._draw

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(cover_preview, "_draw", slow)
    dialog = CollectionSettingsDialog(catalog, wedding, window, tasks=tasks, today=TODAY)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.design.preview._drawing, timeout=5000)
    gone: list[bool] = []
    dialog.destroyed.connect(lambda: gone.append(True))
    dialog.reject()
    qtbot.waitUntil(lambda: bool(gone), timeout=5000)
    assert tasks.wait(5000)
    qtbot.wait(100)  # the worker's result is delivered, and dropped


def test_a_design_that_cannot_be_saved_writes_nothing_else(
    qtbot: QtBot, catalog: Catalog, wedding: int
) -> None:
    photo = _photo(catalog, wedding, "a.jpg")
    before = read_settings(catalog, wedding)
    d = _dialog(qtbot, catalog, wedding)
    d.access.password.setText("changed")
    d.design.set_cover(photo)
    with catalog.write_conn() as conn:  # the cover goes missing meanwhile
        conn.execute(text("UPDATE media SET state = 'missing' WHERE id = :m"), {"m": photo})
    d.save()
    assert d.result() != d.DialogCode.Accepted
    assert "choose another cover photo" in d.problem.text()
    assert read_settings(catalog, wedding).password == before.password == "smith"
