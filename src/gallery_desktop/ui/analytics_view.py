"""The analytics window: what clients did with a collection (or with all of them), read from
the local catalogue so it works offline, and read again after a pull.

Tabs: Downloads (chart with photo / video / all and a table), Top media (most downloaded and
most favourited), Visitors, Clients (per-client activity) and Store (orders, sales over time,
totals). Every read runs in the background (`BackgroundTasks`); a read that a newer one
overtook is dropped. `pull_requested` asks the parent to pull; it calls `refresh()` after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.analytics import (
    Analytics,
    Kind,
    format_money,
    format_spend,
    read_analytics,
)
from gallery_desktop.catalog.analytics_buckets import Series, Unit
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ui.analytics_tables import (
    BUCKET_COLUMNS,
    CLIENT_COLUMNS,
    ORDER_COLUMNS,
    VISITOR_COLUMNS,
    BucketRow,
    RowsModel,
    sortable_table,
    top_columns,
    when_text,
)
from gallery_desktop.ui.charts import Chart, ChartPoint
from gallery_desktop.ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)

PULL_HINT: Final = "pull to refresh"
EMPTY_DOWNLOADS: Final = {
    "all": f"No downloads yet — {PULL_HINT}",
    "photo": f"No photo downloads yet — {PULL_HINT}",
    "video": f"No video downloads yet — {PULL_HINT}",
}
KIND_CHOICES: Final[tuple[tuple[Kind, str], ...]] = (
    ("all", "All"),
    ("photo", "Photos"),
    ("video", "Videos"),
)
UNIT_CHOICES: Final[tuple[tuple[Unit | None, str], ...]] = (
    (None, "Automatic"),
    ("day", "By day"),
    ("week", "By week"),
    ("month", "By month"),
)


class StatCard(QFrame):
    """One headline number with a line of detail under it."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setStyleSheet(
            "#statCard { border: 1px solid palette(mid); border-radius: 6px; "
            "background: palette(base); }"
        )
        self.caption = QLabel(caption.upper(), self)
        self.value = QLabel("–", self)
        self.detail = QLabel("", self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.82)
        font.setBold(True)
        self.caption.setFont(font)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.7)
        big.setBold(True)
        self.value.setFont(big)
        for quiet in (self.caption, self.detail):
            quiet.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(2)
        for w in (self.caption, self.value, self.detail):
            layout.addWidget(w)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set(self, value: str, detail: str) -> None:
        self.value.setText(value)
        self.detail.setText(detail)


class EmptyState(QStackedWidget):
    """Shows `content`, or in its place a sentence saying why there is nothing to show."""

    def __init__(self, content: QWidget, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.message = QLabel(message, self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.message.setMargin(24)
        self.addWidget(content)
        self.addWidget(self.message)
        self.show_empty(True)

    def show_empty(self, empty: bool) -> None:
        self.setCurrentWidget(self.message if empty else self.content)

    @property
    def is_empty(self) -> bool:
        return self.currentWidget() is self.message


class AnalyticsView(QDialog):
    """`AnalyticsView(catalog, collection_id)`; `collection_id=None` shows every collection."""

    pull_requested = Signal()
    loaded = Signal()  # a read's results are on screen

    def __init__(
        self,
        catalog: Catalog,
        collection_id: int | None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.catalog, self.collection_id, self.clock = catalog, collection_id, clock
        self.data: Analytics | None = None
        self.kind: Kind = "all"
        self.unit: Unit | None = None
        self.tasks = BackgroundTasks(self)
        self._generation = 0
        self._closed = False
        self.setWindowTitle("Analytics")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setSizeGripEnabled(True)
        self.resize(1040, 720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(12)
        layout.addLayout(self._header())
        layout.addLayout(self._cards())
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._downloads_tab(), "Downloads")
        self.tabs.addTab(self._top_tab(), "Top media")
        self.tabs.addTab(self._visitors_tab(), "Visitors")
        self.tabs.addTab(self._clients_tab(), "Clients")
        self.tabs.addTab(self._store_tab(), "Store")
        layout.addWidget(self.tabs, 1)
        self.refresh()

    # -- building ------------------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        self.title = QLabel("Analytics", self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel("Reading…", self)
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pull_button = QPushButton("Pull Client Activity", self)
        self.pull_button.setToolTip(
            "Fetch clients, favourites, downloads, visitors and orders from the gallery service"
        )
        self.pull_button.clicked.connect(self.pull_requested.emit)
        row = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.status)
        row.addLayout(titles, 1)
        row.addWidget(self.pull_button, 0, Qt.AlignmentFlag.AlignVCenter)
        return row

    def _cards(self) -> QHBoxLayout:
        self.cards = {
            key: StatCard(caption, self)
            for key, caption in (
                ("downloads", "Downloads"),
                ("favourites", "Favourites"),
                ("visitors", "Visitors"),
                ("clients", "Clients"),
                ("sales", "Sales"),
            )
        }
        row = QHBoxLayout()
        row.setSpacing(10)
        for card in self.cards.values():
            row.addWidget(card)
        return row

    def _table(
        self, model: RowsModel, sort_column: int, order: Qt.SortOrder, stretch: int
    ) -> QTableView:
        return sortable_table(
            model, sort_column=sort_column, order=order, stretch=stretch, parent=self
        )

    def _filter(self, table: QTableView, placeholder: str) -> QLineEdit:
        box = QLineEdit(self)
        box.setPlaceholderText(placeholder)
        box.setClearButtonEnabled(True)
        proxy = table.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        box.textChanged.connect(proxy.setFilterFixedString)
        return box

    def _downloads_tab(self) -> QWidget:
        page = QWidget(self)
        self.kind_buttons = QButtonGroup(page)
        self.kind_buttons.setExclusive(True)
        bar = QHBoxLayout()
        bar.setSpacing(0)
        for i, (kind, text) in enumerate(KIND_CHOICES):
            button = QToolButton(page)
            button.setText(text)
            button.setCheckable(True)
            button.setChecked(kind == self.kind)
            button.setAutoRaise(False)
            button.setMinimumWidth(72)
            self.kind_buttons.addButton(button, i)
            bar.addWidget(button)
        self.kind_buttons.idClicked.connect(lambda i: self.set_kind(KIND_CHOICES[i][0]))
        bar.addSpacing(16)
        self.unit_box = QComboBox(page)
        for unit, text in UNIT_CHOICES:
            self.unit_box.addItem(text, unit)
        self.unit_box.currentIndexChanged.connect(
            lambda i: self.set_unit(UNIT_CHOICES[i][0] if i >= 0 else None)
        )
        bar.addWidget(self.unit_box)
        bar.addStretch(1)
        self.downloads_total = QLabel("", page)
        bar.addWidget(self.downloads_total)
        self.downloads_chart = Chart(page, style="bar", empty_text=EMPTY_DOWNLOADS["all"])
        self.downloads_chart.setAccessibleName("Downloads over time")
        self.buckets_model = RowsModel(BUCKET_COLUMNS, page)
        self.buckets_table = self._table(self.buckets_model, 0, Qt.SortOrder.DescendingOrder, 0)
        split = QSplitter(Qt.Orientation.Vertical, page)
        split.addWidget(self.downloads_chart)
        split.addWidget(self.buckets_table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        return page

    def _top_tab(self) -> QWidget:
        page = QWidget(self)
        every = self.collection_id is None
        self.top_downloaded_model = RowsModel(
            top_columns("Downloads", "People", with_collection=every), page
        )
        self.top_favourited_model = RowsModel(
            top_columns("In lists", "People", with_collection=every), page
        )
        self.top_downloaded_table = self._table(
            self.top_downloaded_model, 0, Qt.SortOrder.AscendingOrder, 1
        )
        self.top_favourited_table = self._table(
            self.top_favourited_model, 0, Qt.SortOrder.AscendingOrder, 1
        )
        self.top_downloaded_empty = EmptyState(
            self.top_downloaded_table, f"No downloads yet — {PULL_HINT}", page
        )
        self.top_favourited_empty = EmptyState(
            self.top_favourited_table, f"No favourites yet — {PULL_HINT}", page
        )
        layout = QGridLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setHorizontalSpacing(14)
        for column, (caption, widget) in enumerate(
            (
                ("Most downloaded", self.top_downloaded_empty),
                ("Most favourited", self.top_favourited_empty),
            )
        ):
            heading = QLabel(caption, page)
            bold = QFont(heading.font())
            bold.setBold(True)
            heading.setFont(bold)
            layout.addWidget(heading, 0, column)
            layout.addWidget(widget, 1, column)
        layout.setRowStretch(1, 1)
        return page

    def _visitors_tab(self) -> QWidget:
        page = QWidget(self)
        self.visitors_model = RowsModel(VISITOR_COLUMNS, page)
        self.visitors_table = self._table(self.visitors_model, 3, Qt.SortOrder.DescendingOrder, 0)
        self.visitors_empty = EmptyState(
            self.visitors_table,
            "No visitors yet. People who open the gallery and leave their email (visitor email "
            f"capture) are listed here — {PULL_HINT}.",
            page,
        )
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        self.visitors_filter = self._filter(self.visitors_table, "Filter by email or name")
        layout.addWidget(self.visitors_filter)
        layout.addWidget(self.visitors_empty, 1)
        return page

    def _clients_tab(self) -> QWidget:
        page = QWidget(self)
        self.clients_model = RowsModel(CLIENT_COLUMNS, page)
        self.clients_table = self._table(self.clients_model, 6, Qt.SortOrder.DescendingOrder, 1)
        self.clients_empty = EmptyState(
            self.clients_table,
            "No clients yet. Clients you share the collection with, and anyone who favourites, "
            f"downloads or orders, are listed here — {PULL_HINT}.",
            page,
        )
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        self.clients_filter = self._filter(self.clients_table, "Filter by name or email")
        layout.addWidget(self.clients_filter)
        layout.addWidget(self.clients_empty, 1)
        return page

    def _store_tab(self) -> QWidget:
        page = QWidget(self)
        self.store_totals = QLabel("", page)
        self.sales_chart = Chart(page, style="bar", empty_text=f"No sales yet — {PULL_HINT}")
        self.sales_chart.setAccessibleName("Sales over time")
        self.orders_model = RowsModel(ORDER_COLUMNS, page)
        self.orders_table = self._table(self.orders_model, 0, Qt.SortOrder.DescendingOrder, 2)
        self.orders_empty = EmptyState(
            self.orders_table,
            "No store orders yet. Orders clients place in the collection's store are listed "
            f"here — {PULL_HINT}.",
            page,
        )
        split = QSplitter(Qt.Orientation.Vertical, page)
        split.addWidget(self.sales_chart)
        split.addWidget(self.orders_empty)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(self.store_totals)
        layout.addWidget(split, 1)
        return page

    # -- reading -------------------------------------------------------------------------------

    def refresh(self, _pulled: object = None) -> None:
        """Read the local data again (in the background). Connect a pull's end here."""
        if self._closed:
            return
        self._generation += 1
        generation = self._generation
        catalog, cid, unit, now = self.catalog, self.collection_id, self.unit, self.clock()
        self.status.setText("Reading…")

        def work(_report: object) -> Analytics:
            # zero-filled up to today: a quiet week shows as one
            return read_analytics(catalog, cid, unit=unit, until=now)

        self.tasks.run(
            work,
            lambda data: self._loaded(generation, data),
            lambda exc: self._failed(generation, exc),
        )

    def _loaded(self, generation: int, data: Analytics) -> None:
        if generation != self._generation:
            return  # a newer read is on its way
        self.data = data
        self._show(data)
        self.loaded.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        log.warning("analytics could not be read", exc_info=exc)
        self.status.setText(f"Could not read the analytics: {exc}")

    def set_kind(self, kind: Kind) -> None:
        self.kind = kind
        self.kind_buttons.button([k for k, _text in KIND_CHOICES].index(kind)).setChecked(True)
        if self.data is not None:
            self._show_downloads(self.data)

    def set_unit(self, unit: Unit | None) -> None:
        if unit != self.unit:
            self.unit = unit
            self.refresh()

    # -- showing -------------------------------------------------------------------------------

    def _show(self, data: Analytics) -> None:
        s = data.summary
        self.title.setText(data.collection_name)
        self.setWindowTitle(f"Analytics — {data.collection_name}")
        last = "no client activity yet"
        if s.last_activity is not None:
            last = f"last client activity {when_text(s.last_activity)}"
        self.status.setText(
            f"Read from this computer at {when_text(data.read_at)} (works offline); {last}."
        )
        active = sum(1 for c in data.clients if c.favourites or c.downloads or c.orders)
        cards = {
            "downloads": (
                s.downloads,
                f"{s.photo_downloads:,} photos · {s.video_downloads:,} videos · "
                f"{s.downloaders:,} people",
            ),
            "favourites": (
                s.favourites,
                f"photos, by {s.favouriters:,} people in {s.favourite_lists:,} lists",
            ),
            "visitors": (s.visitors, f"{s.visits:,} visits"),
            "clients": (s.clients, f"invited · {active:,} active"),
        }
        for key, (count, detail) in cards.items():
            self.cards[key].set(f"{count:,}", detail if count else "none yet")
        self.cards["sales"].set(
            format_spend(s.revenue) if s.revenue else "–",
            f"{s.orders:,} orders" if s.orders else "none yet",
        )
        self._show_downloads(data)
        self.top_downloaded_model.set_rows(data.top_downloaded)
        self.top_favourited_model.set_rows(data.top_favourited)
        self.top_downloaded_empty.show_empty(not data.top_downloaded)
        self.top_favourited_empty.show_empty(not data.top_favourited)
        self.visitors_model.set_rows(data.visitors)
        self.visitors_empty.show_empty(not data.visitors)
        self.visitors_filter.setVisible(bool(data.visitors))
        self.clients_model.set_rows(data.clients)
        self.clients_empty.show_empty(not data.clients)
        self.clients_filter.setVisible(bool(data.clients))
        self._show_store(data)
        for index, count in (
            (2, len(data.visitors)),
            (3, len(data.clients)),
            (4, len(data.orders)),
        ):
            name = self.tabs.tabText(index).split(" (")[0]
            self.tabs.setTabText(index, f"{name} ({count:,})" if count else name)

    def _show_downloads(self, data: Analytics) -> None:
        series = data.downloads[self.kind]
        self.downloads_chart.set_empty_text(EMPTY_DOWNLOADS[self.kind])
        self.downloads_chart.set_points(_chart_points(series))
        everything = data.downloads["all"]
        photos, videos = data.downloads["photo"], data.downloads["video"]
        self.buckets_model.set_rows(
            [
                BucketRow(p.start, everything.label(p, long=True), ph.value, v.value, p.value)
                for p, ph, v in zip(everything.points, photos.points, videos.points, strict=True)
            ]
        )
        self.buckets_table.setVisible(everything.total > 0)
        noun = {"all": "downloads", "photo": "photo downloads", "video": "video downloads"}[
            self.kind
        ]
        span = ""
        if series.points:
            first, last = series.points[0], series.points[-1]
            span = f" · {series.label(first, long=True)} – {series.label(last, long=True)}"
        self.downloads_total.setText(f"{series.total:,} {noun}{span}")

    def _show_store(self, data: Analytics) -> None:
        sales, s = data.sales, data.summary
        currency = sales.currency or "EUR"
        self.sales_chart.set_points(
            [
                ChartPoint(sales.label(p), sales.label(p, long=True), p.value / 100)
                for p in sales.points
            ],
            value_text=lambda v: format_money(round(v * 100), currency),
            axis_text=lambda v: format_money(round(v * 100), currency).removesuffix(".00"),
        )
        self.orders_model.set_rows(data.orders)
        self.orders_empty.show_empty(not data.orders)
        if not data.orders:
            self.store_totals.setText("")
            return
        main = s.revenue[0] if s.revenue else None
        average = "–"
        if main is not None:
            n = sum(1 for o in data.orders if o.is_sale and o.total.currency == main.currency)
            average = format_money(round(main.cents / max(n, 1)), main.currency)
        pieces = sum(o.items for o in data.orders if o.is_sale)
        self.store_totals.setText(
            f"<b>{format_spend(s.revenue)}</b> from {s.orders:,} orders · average order "
            f"{average} · {pieces:,} pieces sold"
            + (
                f" · {len(data.orders) - s.orders} pending, cancelled or refunded"
                if len(data.orders) > s.orders
                else ""
            )
        )

    # -- closing -------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        self._close_down()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._close_down()
        super().closeEvent(event)

    def _close_down(self) -> None:
        if not self._closed:
            self._closed = True
            self.tasks.close()


def _chart_points(series: Series) -> list[ChartPoint]:
    return [ChartPoint(series.label(p), series.label(p, long=True), p.value) for p in series.points]
