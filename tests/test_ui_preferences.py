"""The Preferences dialog's "Collection defaults" page, driven like a photographer would, and
read back from the catalogue file: Save writes every edit at once, a problem is explained in
the dialog and writes nothing, Cancel writes nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from gallery_desktop.catalog.collection_defaults import (
    BUILTIN_DEFAULTS,
    SHOOT_TYPES,
    default_shoot_type,
    get_defaults,
    list_defaults,
    set_defaults,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.templates import BUILTIN_NAMES
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.ui.preferences_dialog import PreferencesDialog


def _dialog(qtbot: QtBot, catalog: Catalog) -> PreferencesDialog:
    dialog = PreferencesDialog(catalog)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _table(catalog: Catalog) -> list[tuple[Any, ...]]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM collectiondefaults ORDER BY shoot_type"))
        return [tuple(r) for r in rows]


def _listed(dialog: PreferencesDialog) -> list[str]:
    types = dialog.defaults_page.types
    return [types.item(i).text() for i in range(types.count())]


def test_edits_to_two_shoot_types_are_saved_together(qtbot: QtBot, catalog: Catalog) -> None:
    preset = add_watermark(catalog, "Studio", WatermarkSpec(text="© Studio"))
    dialog = _dialog(qtbot, catalog)
    page, form = dialog.defaults_page, dialog.defaults_page.form
    assert _listed(dialog)[: len(SHOOT_TYPES)] == [t.capitalize() for t in SHOOT_TYPES]
    assert page.title.text() == "Wedding" and form.password.isChecked()
    assert form.expiry.value() == 180
    templates = [form.template.itemText(i) for i in range(form.template.count())]
    assert templates == ["Default (Classic)", *BUILTIN_NAMES]  # the built-in templates

    form.expiry.setValue(30)
    form.store.click()
    form.sizes["web640"].click()
    form.watermark.setCurrentIndex(form.watermark.findText("Studio"))
    form.template.setCurrentIndex(form.template.findText("Minimal"))
    page.select("newborn")
    assert form.expiry.value() == 90  # the newborn's own values
    form.password.click()
    page.select("wedding")
    assert form.expiry.value() == 30  # the draft kept while looking elsewhere
    dialog.save_button.click()

    assert dialog.result() == QDialog.DialogCode.Accepted
    wedding = get_defaults(catalog, "wedding")
    assert wedding.saved and wedding.expiry_days == 30 and not wedding.store_enabled
    assert wedding.download_sizes == ("high", "web2048", "web640")
    assert (wedding.watermark, wedding.template) == (preset.name, "Minimal")
    assert not get_defaults(catalog, "newborn").password_on
    assert [d.shoot_type for d in list_defaults(catalog) if d.saved] == ["wedding", "newborn"]


def test_a_problem_is_explained_and_nothing_is_saved(qtbot: QtBot, catalog: Catalog) -> None:
    dialog = _dialog(qtbot, catalog)
    page, form = dialog.defaults_page, dialog.defaults_page.form
    form.expiry.setValue(7)  # a good edit, that must not be written alone
    page.select("portrait")
    for box in form.sizes.values():
        box.setChecked(False)
    dialog.save_button.click()

    assert dialog.isVisible()
    assert dialog.problem.isVisible()
    assert dialog.problem.text().startswith("Nothing changed: portrait: downloads are on but no")
    assert _table(catalog) == []
    form.downloadable.click()  # downloads off: no size needed
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert get_defaults(catalog, "wedding").expiry_days == 7
    assert not get_defaults(catalog, "portrait").downloadable


def test_cancel_changes_nothing(qtbot: QtBot, catalog: Catalog) -> None:
    set_defaults(catalog, "event", ["store=on"])
    before = _table(catalog)
    dialog = _dialog(qtbot, catalog)
    page, form = dialog.defaults_page, dialog.defaults_page.form
    page.select("event")
    assert form.store.isChecked()
    form.store.click()
    page.new_name.setText("Boudoir")
    page.add_button.click()
    page.default_type.setCurrentIndex(page.default_type.findData("boudoir"))
    dialog.buttons.rejected.emit()

    assert dialog.result() == QDialog.DialogCode.Rejected
    assert _table(catalog) == before
    assert default_shoot_type(catalog) is None


def test_custom_types_and_the_default_for_new_collections(qtbot: QtBot, catalog: Catalog) -> None:
    dialog = _dialog(qtbot, catalog)
    page, form = dialog.defaults_page, dialog.defaults_page.form
    page.new_name.setText("wed/ding")
    page.add_button.click()
    assert dialog.problem.isVisible() and "use letters" in dialog.problem.text()
    assert len(_listed(dialog)) == len(SHOOT_TYPES)

    page.new_name.setText("  Real   Estate ")
    page.add_button.click()
    assert not dialog.problem.isVisible()
    assert _listed(dialog)[-1] == "Real estate (custom)" and page.title.text() == "Real estate"
    assert page.reset_button.isEnabled() is False and page.remove_button.isEnabled()
    form.downloadable.click()
    page.default_type.setCurrentIndex(page.default_type.findData("real estate"))
    dialog.save_button.click()

    assert default_shoot_type(catalog) == "real estate"
    assert get_defaults(catalog, "real estate").downloadable

    again = _dialog(qtbot, catalog)
    assert again.defaults_page.default_type.currentData() == "real estate"
    again.defaults_page.select("real estate")
    again.defaults_page.remove_button.click()
    assert "Real estate (custom)" not in _listed(again)
    assert again.defaults_page.default_type.currentData() is None
    again.save_button.click()
    assert [d.shoot_type for d in list_defaults(catalog)] == list(SHOOT_TYPES)
    assert default_shoot_type(catalog) is None


def test_reset_puts_a_built_in_type_back(qtbot: QtBot, catalog: Catalog) -> None:
    set_defaults(catalog, "commercial", ["expiry_days=3", "store=on"])
    dialog = _dialog(qtbot, catalog)
    page, form = dialog.defaults_page, dialog.defaults_page.form
    page.select("commercial")
    assert form.expiry.value() == 3 and not page.remove_button.isEnabled()
    page.reset_button.click()
    assert form.expiry.value() == BUILTIN_DEFAULTS["commercial"].expiry_days
    dialog.save_button.click()
    assert get_defaults(catalog, "commercial") == BUILTIN_DEFAULTS["commercial"]
    assert _table(catalog) == []  # no row of its own any more
