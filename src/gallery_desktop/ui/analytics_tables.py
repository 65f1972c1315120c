"""The analytics view's tables: one light-row model, the columns of each table, and sorting
by numbers and times (SORT_ROLE), never by the text shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from gallery_desktop.catalog.analytics import format_spend
from gallery_desktop.catalog.analytics_buckets import bucket_label

SORT_ROLE: Final = Qt.ItemDataRole.UserRole + 1
ROW_ROLE: Final = Qt.ItemDataRole.UserRole + 2  # the row itself (a frozen dataclass)
NEVER: Final = float("-inf")  # sorts a missing time before every real one

SortKey = int | float | str
Index = QModelIndex | QPersistentModelIndex


def when_text(moment: datetime | None) -> str:
    """A catalogue time (UTC) in this computer's local time: `3 Mar 2025, 14:05`."""
    if moment is None:
        return "–"
    local = moment.astimezone()
    return f"{bucket_label('day', local.date())} {local.year}, {local:%H:%M}"


def when_key(moment: datetime | None) -> float:
    return NEVER if moment is None else moment.timestamp()


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    key: Callable[[Any], SortKey]
    numeric: bool = False
    tip: Callable[[Any], str] | None = None


def number(title: str, get: Callable[[Any], int]) -> Column:
    return Column(title, lambda r: f"{get(r):,}", get, numeric=True)


def label(title: str, get: Callable[[Any], str], tip: Callable[[Any], str] | None = None) -> Column:
    return Column(title, get, lambda r: get(r).casefold(), tip=tip)


def moment(title: str, get: Callable[[Any], datetime | None]) -> Column:
    return Column(title, lambda r: when_text(get(r)), lambda r: when_key(get(r)))


class RowsModel(QAbstractTableModel):
    """Light rows (frozen dataclasses from one analytics read), shown through `columns`."""

    def __init__(self, columns: Sequence[Column], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: tuple[Any, ...] = ()

    def set_rows(self, rows: Sequence[Any]) -> None:
        # A new read replaces everything (a reset is the honest signal for that).
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == SORT_ROLE:
            return column.key(row)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align(column)
        if role == Qt.ItemDataRole.ToolTipRole and column.tip is not None:
            return column.tip(row)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align(self.columns[section])
        return None


def _align(column: Column) -> int:
    side = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
    return int(side | Qt.AlignmentFlag.AlignVCenter)


def sortable_table(
    model: RowsModel, *, sort_column: int, order: Qt.SortOrder, stretch: int, parent: QWidget
) -> QTableView:
    """A read-only table over `model`, sorted by SORT_ROLE, filterable on what is shown."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    table = QTableView(parent)
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(sort_column, order)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


# -- what each table shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class BucketRow:
    """One bucket of the downloads table: all three kinds side by side."""

    start: date
    period: str
    photos: int
    videos: int
    total: int


BUCKET_COLUMNS: Final = (
    Column("Period", lambda r: r.period, lambda r: r.start.toordinal()),
    number("Photos", lambda r: r.photos),
    number("Videos", lambda r: r.videos),
    number("All", lambda r: r.total),
)


def top_columns(count_title: str, people_title: str, *, with_collection: bool) -> list[Column]:
    columns = [
        number("#", lambda r: r.rank),
        label("File", lambda r: r.file_name, tip=lambda r: r.path),
        label("Kind", lambda r: r.kind.capitalize()),
        number(count_title, lambda r: r.count),
        number(people_title, lambda r: r.people),
    ]
    if with_collection:
        columns.insert(2, label("Collection", lambda r: r.collection))
    return columns


VISITOR_COLUMNS: Final = (
    label("Email", lambda r: r.email),
    label("Client", lambda r: r.name),
    moment("First visit", lambda r: r.first_seen),
    moment("Last visit", lambda r: r.last_seen),
    number("Visits", lambda r: r.visits),
)

CLIENT_COLUMNS: Final = (
    label("Name", lambda r: r.name or "–"),
    label("Email", lambda r: r.email),
    label("Access", lambda r: r.access.replace(",", ", ").capitalize() or "Not a client"),
    number("Favourites", lambda r: r.favourites),
    number("Downloads", lambda r: r.downloads),
    number("Visits", lambda r: r.visits),
    moment("Last seen", lambda r: r.last_seen),
    number("Orders", lambda r: r.orders),
    Column("Spent", lambda r: format_spend(r.spend), lambda r: r.spend_cents, numeric=True),
)

ORDER_COLUMNS: Final = (
    moment("Placed", lambda r: r.placed_at),
    label("Client", lambda r: r.client_name or r.client_email or "–", tip=lambda r: r.client_email),
    label("Items", lambda r: r.items_summary or "–", tip=lambda r: r.items_summary),
    number("Pieces", lambda r: r.items),
    Column("Total", lambda r: str(r.total), lambda r: r.total.cents, numeric=True),
    label("Status", lambda r: r.status.capitalize()),
)
