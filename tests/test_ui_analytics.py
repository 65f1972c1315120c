"""The analytics window over a real catalogue file: every tab filled, numbers and times sort as
numbers and times, the photo / video toggle and the grouping, empty states that say why, and
the QPainter chart (bars really drawn, hover, empty text) in light and dark palettes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPointF, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QMouseEvent, QPalette
from PySide6.QtWidgets import QTableView, QToolTip
from pytestqt.qtbot import QtBot

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ui.analytics_tables import ROW_ROLE, SORT_ROLE, RowsModel
from gallery_desktop.ui.analytics_view import AnalyticsView
from gallery_desktop.ui.charts import Chart, ChartPoint, nice_step
from test_analytics import PATHS, Activity, item, utc

A, B, C, CLIP = PATHS
WAIT = 15_000
NOW = utc(2025, 3, 20, 18)  # the views' clock: charts run up to this day


def shop(catalog: Catalog) -> tuple[int, Activity]:
    """Three clients whose download counts (10, 9, 2) and spend (€100, €9, €10) sort
    differently as text than as numbers."""
    act = Activity(catalog)
    cid = act.collection(paths=PATHS)
    act.client(cid, "ann@example.com", "Ann Smith", "download", last=utc(2025, 3, 1))
    act.client(cid, "bob@example.com", "Bob Jones", "favourite", last=utc(2025, 3, 2))
    act.client(cid, "cy@example.com", "Cy Young", "view", last=utc(2025, 2, 1))
    for i, (email, n) in enumerate((("ann@example.com", 10), ("bob@example.com", 9))):
        for k in range(n):
            act.download(cid, PATHS[k % 4], email, utc(2025, 3, 3 + i + k % 5, 12))
    act.download(cid, A, "cy@example.com", utc(2025, 3, 4, 12))
    act.download(cid, B, "cy@example.com", utc(2025, 3, 20, 12))
    act.favourites(cid, "ann@example.com", [A, B, C])
    act.favourites(cid, "bob@example.com", [B])
    act.visitor(cid, "ann@example.com", utc(2025, 3, 1), utc(2025, 3, 9), visits=4)
    act.visitor(cid, "guest@example.com", utc(2025, 3, 5))
    act.order(cid, "ann@example.com", utc(2025, 3, 6, 10), [item("Canvas", "16x20", 1, 10000)])
    act.order(cid, "bob@example.com", utc(2025, 3, 7, 10), [item("Print", "5x7", 1, 900)])
    act.order(cid, "cy@example.com", utc(2025, 3, 8, 10), [item("Print", "8x10", 1, 1000)])
    return cid, act


def opened(qtbot: QtBot, catalog: Catalog, cid: int | None) -> AnalyticsView:
    view = AnalyticsView(catalog, cid, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT)
    return view


def column(table: QTableView, title: str, role: int = Qt.ItemDataRole.DisplayRole) -> list[Any]:
    model = table.model()
    index = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )
    return [model.data(model.index(r, index), role) for r in range(model.rowCount())]


def sort_by(table: QTableView, title: str, order: Qt.SortOrder) -> None:
    model = table.model()
    index = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )
    table.sortByColumn(index, order)


# -- the window --------------------------------------------------------------------------------


def test_every_tab_is_filled_from_the_catalogue(
    qtbot: QtBot, qtmodeltester: Any, catalog: Catalog
) -> None:
    cid, _act = shop(catalog)
    view = opened(qtbot, catalog, cid)
    assert view.title.text() == "Smith Wedding" and "works offline" in view.status.text()
    assert view.cards["downloads"].value.text() == "21"
    assert view.cards["sales"].value.text() == "€119.00"
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "Downloads",
        "Top media",
        "Visitors (2)",
        "Clients (3)",
        "Store (3)",
    ]
    assert sum(p.value for p in view.downloads_chart.points) == 21
    assert view.buckets_model.rowCount() == 18  # 3 Mar to 20 Mar, zero-filled, by day
    assert column(view.top_downloaded_table, "File")[0] == "a.jpg"
    assert column(view.top_favourited_table, "File") == ["b.jpg", "a.jpg", "c.jpg"]
    assert set(column(view.visitors_table, "Email")) == {"ann@example.com", "guest@example.com"}
    assert column(view.orders_table, "Client") == ["Cy Young", "Bob Jones", "Ann Smith"]
    assert view.store_totals.text().startswith(
        "<b>€119.00</b> from 3 orders · average order €39.67"
    )
    assert not any(
        e.is_empty
        for e in (
            view.top_downloaded_empty,
            view.top_favourited_empty,
            view.visitors_empty,
            view.clients_empty,
            view.orders_empty,
        )
    )
    for model in (
        view.buckets_model,
        view.top_downloaded_model,
        view.top_favourited_model,
        view.visitors_model,
        view.clients_model,
        view.orders_model,
    ):
        assert model.rowCount() > 0
        qtmodeltester.check(model)


def test_numbers_money_and_times_sort_as_such(qtbot: QtBot, catalog: Catalog) -> None:
    cid, _act = shop(catalog)
    view = opened(qtbot, catalog, cid)
    table = view.clients_table
    sort_by(table, "Downloads", Qt.SortOrder.AscendingOrder)
    assert column(table, "Downloads") == ["2", "9", "10"]  # as text, "10" would come first
    sort_by(table, "Downloads", Qt.SortOrder.DescendingOrder)
    assert column(table, "Name") == ["Ann Smith", "Bob Jones", "Cy Young"]
    sort_by(table, "Spent", Qt.SortOrder.AscendingOrder)
    assert column(table, "Spent") == ["€9.00", "€10.00", "€100.00"]
    sort_by(table, "Last seen", Qt.SortOrder.AscendingOrder)
    assert column(table, "Email") == ["bob@example.com", "ann@example.com", "cy@example.com"]
    assert column(table, "Last seen", SORT_ROLE) == sorted(column(table, "Last seen", SORT_ROLE))
    # the periods of the downloads table go by date, not by their words
    sort_by(view.buckets_table, "Period", Qt.SortOrder.AscendingOrder)
    starts = [row.start for row in column(view.buckets_table, "Period", ROW_ROLE)]
    assert starts == sorted(starts) and starts[0] == date(2025, 3, 3)
    # and a filter narrows the list by what is shown
    view.clients_filter.setText("BOB")
    assert column(table, "Email") == ["bob@example.com"]


def test_photo_video_toggle_and_grouping(qtbot: QtBot, catalog: Catalog) -> None:
    cid, _act = shop(catalog)
    view = opened(qtbot, catalog, cid)
    everything = [p.value for p in view.downloads_chart.points]
    view.kind_buttons.button(2).click()  # Videos
    assert view.kind == "video"
    videos = [p.value for p in view.downloads_chart.points]
    assert len(videos) == len(everything) and sum(videos) == 4  # clip.mp4: every fourth
    assert view.downloads_total.text().startswith("4 video downloads")
    view.kind_buttons.button(1).click()  # Photos
    assert sum(p.value for p in view.downloads_chart.points) == 17
    before = view.data
    view.unit_box.setCurrentIndex(2)  # By week
    qtbot.waitUntil(lambda: view.data is not before, timeout=WAIT)
    assert view.data is not None and view.data.downloads["all"].unit == "week"
    assert [p.label for p in view.downloads_chart.points] == ["3 Mar", "10 Mar", "17 Mar"]


def test_an_empty_collection_says_why(qtbot: QtBot, catalog: Catalog) -> None:
    cid = Activity(catalog).collection(paths=PATHS)
    view = opened(qtbot, catalog, cid)
    assert view.downloads_chart.is_empty
    assert view.downloads_chart.empty_text == "No downloads yet — pull to refresh"
    assert view.sales_chart.is_empty and "No sales yet" in view.sales_chart.empty_text
    assert view.buckets_table.isHidden() and not view.clients_filter.isVisible()
    for empty in (
        view.top_downloaded_empty,
        view.top_favourited_empty,
        view.visitors_empty,
        view.clients_empty,
        view.orders_empty,
    ):
        assert empty.is_empty and "pull to refresh" in empty.message.text()
    assert view.cards["downloads"].detail.text() == "none yet"
    view.kind_buttons.button(2).click()
    assert view.downloads_chart.empty_text == "No video downloads yet — pull to refresh"


def test_a_pull_then_refresh_shows_the_new_activity(qtbot: QtBot, catalog: Catalog) -> None:
    act = Activity(catalog)
    cid = act.collection(paths=PATHS)
    view = opened(qtbot, catalog, cid)
    with qtbot.waitSignal(view.pull_requested, timeout=WAIT):
        view.pull_button.click()
    act.download(cid, A, "ann@example.com", utc(2025, 3, 3, 12))  # what the pull brought
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.refresh(object())  # as connected to SyncPanel.pulled(report)
    assert view.cards["downloads"].value.text() == "1"
    assert not view.top_downloaded_empty.is_empty


def test_every_collection_at_once_names_the_collection(qtbot: QtBot, catalog: Catalog) -> None:
    shop(catalog)
    view = opened(qtbot, catalog, None)
    assert view.title.text() == "All collections"
    assert set(column(view.top_downloaded_table, "Collection")) == {"Smith Wedding"}


def test_closing_while_reading_delivers_nothing(qtbot: QtBot, catalog: Catalog) -> None:
    cid, _act = shop(catalog)
    view = AnalyticsView(catalog, cid)
    qtbot.addWidget(view)
    view.close()  # the read started in __init__ finishes; its result is dropped
    qtbot.wait(50)
    assert view.data is None
    view.refresh()  # and a closed view reads nothing more
    assert view.data is None


# -- the chart ---------------------------------------------------------------------------------


def _colours(image: QImage) -> set[int]:
    step = 3
    return {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }


def _chart(qtbot: QtBot, style: str = "bar") -> Chart:
    chart = Chart(style=style, empty_text="No downloads yet — pull to refresh")  # type: ignore[arg-type]
    qtbot.addWidget(chart)
    chart.resize(480, 240)
    chart.set_points(
        [
            ChartPoint("3 Mar", "Mon 3 Mar 2025", 3),
            ChartPoint("4 Mar", "Tue 4 Mar 2025", 0),
            ChartPoint("5 Mar", "Wed 5 Mar 2025", 12),
        ]
    )
    chart.show()
    return chart


def test_the_chart_draws_its_bars(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    image = chart.grab().toImage()
    assert len(_colours(image)) > 5  # not blank
    bar = chart.bar_colour().rgb()
    for i in (0, 2):
        centre = chart.bar_rect(i).center().toPoint()
        assert image.pixel(centre) == bar
    assert chart.bar_rect(2).height() > 3 * chart.bar_rect(0).height() > 0
    assert chart.bar_rect(1).height() == 0
    empty_slot = chart.bar_rect(1).center().toPoint() + QPointF(0, -20).toPoint()
    assert image.pixel(empty_slot) != bar
    assert nice_step(10, integer=True) == 2 and nice_step(3, integer=True) == 1
    assert nice_step(0.3, integer=False) == pytest.approx(0.1)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the tooltip, offscreen
def test_hovering_a_bucket_shows_its_value(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    target = chart.bar_rect(2).center()
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        target,
        chart.mapToGlobal(target),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    chart.mouseMoveEvent(move)
    assert chart.hovered == 2
    assert chart.tooltip_text(2) == "Wed 5 Mar 2025\n12"
    help_event = QHelpEvent(
        QEvent.Type.ToolTip, target.toPoint(), chart.mapToGlobal(target).toPoint()
    )
    assert chart.event(help_event)
    assert QToolTip.isVisible() and QToolTip.text() == "Wed 5 Mar 2025\n12"
    QToolTip.hideText()
    hovered = chart.grab().toImage()
    assert hovered.pixel(target.toPoint()) == chart.bar_colour(hovered=True).rgb()
    assert chart.index_at(QPointF(1, 1)) is None  # outside the plot
    leave = QEvent(QEvent.Type.Leave)
    chart.leaveEvent(leave)
    assert chart.hovered is None


def test_the_line_chart_and_a_dark_palette(qtbot: QtBot) -> None:
    chart = _chart(qtbot, style="line")
    palette = QPalette(chart.palette())
    palette.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#8ab4f8"))
    chart.setPalette(palette)
    image = chart.grab().toImage()
    assert len(_colours(image)) > 5
    line = QColor("#8ab4f8").rgb()
    top = chart.point_at(2).toPoint()
    near = {image.pixel(top.x() + dx, top.y() + dy) for dx in (-3, 0, 3) for dy in (-3, 0, 3)}
    assert line in near  # the line passes through its highest point
    assert chart.bar_colour(hovered=True).lightness() > chart.bar_colour().lightness()


def test_an_empty_chart_draws_its_sentence_and_no_bars(qtbot: QtBot) -> None:
    chart = Chart(empty_text="No downloads yet — pull to refresh")
    qtbot.addWidget(chart)
    chart.resize(480, 240)
    chart.set_points([ChartPoint("3 Mar", "Mon 3 Mar 2025", 0)])
    chart.show()
    assert chart.is_empty and chart.index_at(QPointF(240, 120)) is None
    image = chart.grab().toImage()
    colours = _colours(image)
    assert len(colours) > 1  # the sentence is drawn
    assert chart.bar_colour().rgb() not in colours


def test_rows_model_is_a_well_behaved_model(qtmodeltester: Any) -> None:
    from gallery_desktop.ui.analytics_tables import VISITOR_COLUMNS

    model = RowsModel(VISITOR_COLUMNS)
    qtmodeltester.check(model)  # empty
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
