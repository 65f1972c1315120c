"""Preferences, "This workstation": the catalogue to open and where library roots are mounted,
written to this seat's seat.json; a bad URL or folder is explained and writes nothing."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.roots import add_root
from gallery_desktop.paths import AppPaths
from gallery_desktop.seat import load_seat
from gallery_desktop.ui.preferences_dialog import PreferencesDialog
from gallery_desktop.ui.seat_preferences import ROOT_FOLDER, ROOT_NAME, ROOT_STATE


def _dialog(qtbot: QtBot, catalog: Catalog, home: Path) -> PreferencesDialog:
    dialog = PreferencesDialog(catalog, seat=load_seat(AppPaths.at_home(home)))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_page_lists_the_catalogues_roots_and_saves_this_seats_mapping(
    qtbot: QtBot, catalog: Catalog, tmp_path: Path
) -> None:
    add_root(catalog, "Archive")
    mount = tmp_path / "nas"
    (mount / "2026").mkdir(parents=True)
    dialog = _dialog(qtbot, catalog, tmp_path / "home")
    page = dialog.seat_page
    assert page is not None
    table = page.roots
    assert table.rowCount() == 1 and table.item(0, ROOT_NAME).text() == "Archive"  # type: ignore[union-attr]
    assert "not mapped" in table.item(0, ROOT_STATE).text()  # type: ignore[union-attr]
    table.item(0, ROOT_FOLDER).setText(str(mount))  # type: ignore[union-attr]
    assert not page.next_start.isVisibleTo(page)
    page.url.setText("postgresql+psycopg://anna@nas.local/gallery")
    assert page.next_start.isVisibleTo(page)  # said before saving: no dialog in the way
    page.name.setText("Retouch 2")
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    seat = load_seat(AppPaths.at_home(tmp_path / "home"))
    assert seat.roots == {"Archive": str(mount)}
    assert seat.catalog_url == "postgresql+psycopg://anna@nas.local/gallery"
    assert seat.name == "Retouch 2"
    assert catalog.roots == {"Archive": mount}  # this window uses the mapping at once


def test_a_bad_catalogue_url_or_folder_is_explained_and_nothing_is_written(
    qtbot: QtBot, catalog: Catalog, tmp_path: Path
) -> None:
    add_root(catalog, "Archive")
    home = tmp_path / "home"
    dialog = _dialog(qtbot, catalog, home)
    page = dialog.seat_page
    assert page is not None
    page.url.setText("mysql://someone@host/db")
    dialog.save()
    assert dialog.problem.isVisible() and "not supported" in dialog.problem.text()
    assert not (home / "seat.json").exists()
    page.url.setText("")
    page.roots.item(0, ROOT_FOLDER).setText(str(tmp_path / "no-such-folder"))  # type: ignore[union-attr]
    dialog.save()
    assert "is not a folder" in dialog.problem.text()
    assert not (home / "seat.json").exists()
    assert dialog.isVisible()


def test_saving_keeps_a_mapping_made_in_a_terminal_while_the_dialog_was_open(
    qtbot: QtBot, catalog: Catalog, tmp_path: Path
) -> None:
    from gallery_desktop.seat import changing_seat

    add_root(catalog, "Archive")
    add_root(catalog, "Working")
    home = tmp_path / "home"
    (tmp_path / "a").mkdir()
    (tmp_path / "w").mkdir()
    dialog = _dialog(qtbot, catalog, home)
    page = dialog.seat_page
    assert page is not None
    with changing_seat(AppPaths.at_home(home)) as seat:  # `roots map Working …` meanwhile
        seat.roots["Working"] = str(tmp_path / "w")
    rows = {page.roots.item(r, ROOT_NAME).text(): r for r in range(page.roots.rowCount())}  # type: ignore[union-attr]
    page.roots.item(rows["Archive"], ROOT_FOLDER).setText(str(tmp_path / "a"))  # type: ignore[union-attr]
    dialog.save()
    assert load_seat(AppPaths.at_home(home)).roots == {
        "Archive": str(tmp_path / "a"),
        "Working": str(tmp_path / "w"),
    }
