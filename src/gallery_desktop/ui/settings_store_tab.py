"""The “Store” tab: print sales on or off, the currency, a minimum order and the price sheet
(a product per row group: its sizes and prices)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.store import CURRENCIES, PriceSize, Product, Store, parse_money

COLUMNS = ("Product", "Size", "Price")


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


class StoreTab(QWidget):
    """Edits, never writes: the dialog reads `store()` (which raises ValueError, explained)."""

    changed = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        box = QGroupBox("Print store")
        form = QFormLayout(box)
        self.enabled = QCheckBox("Clients can order prints and products from this collection")
        self.enabled.setChecked(store.enabled)
        form.addRow(self.enabled)
        self.currency = QComboBox()
        self.currency.addItems(list(CURRENCIES))
        self.currency.setCurrentText(store.currency)
        form.addRow("Currency:", self.currency)
        self.minimum = QLineEdit(_money(store.minimum_order_cents))
        self.minimum.setToolTip("Orders below this amount cannot be placed (0: no minimum)")
        self.minimum.setMaximumWidth(120)
        form.addRow("Minimum order:", self.minimum)
        layout.addWidget(box)

        sheet = QGroupBox("Price sheet")
        sheet_layout = QVBoxLayout(sheet)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for product in store.products:
            for size in product.sizes:
                self.add_row(product.name, size.label, _money(size.price_cents))
        sheet_layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add Price")
        self.add_button.setToolTip(
            "A row per size; rows with the same product name make one product"
        )
        self.add_button.clicked.connect(self._add_and_edit)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        sheet_layout.addLayout(buttons)
        layout.addWidget(sheet, 1)

        self.enabled.toggled.connect(self.changed)
        self.currency.currentIndexChanged.connect(self.changed)
        self.minimum.textChanged.connect(self.changed)
        self.table.itemChanged.connect(self.changed)

    def add_row(self, product: str, size: str, price: str) -> int:
        row = self.table.rowCount()
        with QSignalBlocker(self.table):
            self.table.insertRow(row)
            for col, text in enumerate((product, size, price)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.changed.emit()
        return row

    def _add_and_edit(self) -> None:
        above = self.table.item(self.table.rowCount() - 1, 0)
        row = self.add_row(above.text() if above else "", "", "")
        self.table.setCurrentCell(row, 1 if above else 0)

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
        self.changed.emit()

    def _cell(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text().strip() if item else ""

    def store(self) -> Store:
        """The store as edited; a ValueError says which cell is wrong."""
        try:
            minimum = parse_money(self.minimum.text() or "0")
        except ValueError as exc:
            raise ValueError(f"minimum order: {exc}") from None
        products: dict[str, list[PriceSize]] = {}
        for row in range(self.table.rowCount()):
            name, label, price = (self._cell(row, c) for c in range(3))
            if not (name or label or price):
                continue  # a row added and left empty
            try:
                cents = parse_money(price)
            except ValueError as exc:
                raise ValueError(f"row {row + 1} ({name or 'no product'}): {exc}") from None
            products.setdefault(name, []).append(PriceSize(label, cents))
        return Store(
            self.enabled.isChecked(),
            self.currency.currentText(),
            minimum,
            tuple(Product(name, tuple(sizes)) for name, sizes in products.items()),
        )
