"""The “Client Access” tab: who can open the collection, until when, and the client list."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gallery_desktop.catalog.clients import ACCESS_LEVELS, ClientEntry
from gallery_desktop.catalog.delivery_rules import DeliverySettings

STATUSES = (
    ("draft", "Draft: only you see it"),
    ("published", "Published: clients can open it"),
    ("hidden", "Hidden: switched off for clients"),
)
ACCESS_NAMES = {
    "view": "View",
    "favourite": "View and favourite",
    "download": "View, favourite, download",
}


def _on(flag: bool) -> str:
    return "on" if flag else "off"


class AccessTab(QWidget):
    """Edits, never writes: the dialog reads `assignments()`, `clients()` and `private()`."""

    changed = Signal()

    def __init__(
        self, settings: DeliverySettings, clients: list[ClientEntry], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self._visibility(settings))
        layout.addWidget(self._who(settings))
        layout.addWidget(self._client_list(clients), 1)

    # -- building ------------------------------------------------------------------------------

    def _visibility(self, s: DeliverySettings) -> QGroupBox:
        box = QGroupBox("Visibility")
        form = QFormLayout(box)
        self.status = QComboBox()
        for value, label in STATUSES:
            self.status.addItem(label, value)
        self.status.setCurrentIndex(max(0, self.status.findData(s.status)))
        form.addRow("Status:", self.status)

        self.password_on = QCheckBox("Ask for a password")
        self.password = QLineEdit(s.password or "")
        self.password.setPlaceholderText("the password clients enter")
        self.password.setMaxLength(100)
        self.password_on.setChecked(bool(s.password))
        row = QHBoxLayout()
        row.addWidget(self.password_on)
        row.addWidget(self.password, 1)
        form.addRow("Password:", row)

        self.expires = QCheckBox("Expires on")
        self.expiry = QDateEdit()
        self.expiry.setCalendarPopup(True)
        self.expiry.setDisplayFormat("yyyy-MM-dd")
        day = date.fromisoformat(s.expiry_date) if s.expiry_date else date.today() + timedelta(90)
        self.expiry.setDate(QDate(day.year, day.month, day.day))
        self.expires.setChecked(bool(s.expiry_date))
        self.reminder = QSpinBox()
        self.reminder.setRange(0, 365)
        self.reminder.setSpecialValueText("no reminder")
        self.reminder.setSuffix(" days before")
        self.reminder.setValue(s.reminder_days or 0)
        self.reminder.setToolTip(
            "Clients get an email this many days before the collection expires"
        )
        row = QHBoxLayout()
        row.addWidget(self.expires)
        row.addWidget(self.expiry)
        row.addWidget(self.reminder)
        row.addStretch(1)
        form.addRow("Expiry:", row)

        self.galleries = QListWidget()
        self.galleries.setToolTip("Ticked galleries are private: clients do not see them")
        for g in s.galleries:
            item = QListWidgetItem(f"{g.name}  ({g.photos})")
            item.setData(Qt.ItemDataRole.UserRole, g.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if g.private else Qt.CheckState.Unchecked)
            self.galleries.addItem(item)
        rows = max(1, min(self.galleries.count(), 5))
        self.galleries.setFixedHeight(8 + rows * max(18, self.galleries.sizeHintForRow(0)))
        form.addRow("Private galleries:", self.galleries)

        for signal in (
            self.status.currentIndexChanged,
            self.password_on.toggled,
            self.password.textChanged,
            self.expires.toggled,
            self.expiry.dateChanged,
            self.reminder.valueChanged,
            self.galleries.itemChanged,
        ):
            signal.connect(self._changed)
        self._changed()
        return box

    def _who(self, s: DeliverySettings) -> QGroupBox:
        box = QGroupBox("Who can open it")
        layout = QVBoxLayout(box)
        self.guests = QRadioButton("Guests: anyone with the link (and the password, if set)")
        self.exclusive = QRadioButton("Client-exclusive: only the clients listed below")
        group = QButtonGroup(box)
        group.addButton(self.guests)
        group.addButton(self.exclusive)
        (self.exclusive if s.client_exclusive else self.guests).setChecked(True)
        self.capture = QCheckBox("Ask visitors for their email address")
        self.capture.setChecked(s.visitor_email_capture)
        for widget in (self.guests, self.exclusive, self.capture):
            layout.addWidget(widget)
            widget.toggled.connect(self._changed)
        return box

    def _client_list(self, clients: list[ClientEntry]) -> QGroupBox:
        box = QGroupBox("Clients")
        layout = QVBoxLayout(box)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Email", "Name", "May"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for entry in clients:
            self.add_client(entry)
        self.table.itemChanged.connect(self._changed)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add Client")
        self.add_button.clicked.connect(lambda: self._add_and_edit())
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return box

    # -- the client list -------------------------------------------------------------------------

    def add_client(self, entry: ClientEntry) -> int:
        row = self.table.rowCount()
        with QSignalBlocker(self.table):  # the row is read only once it is whole
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(entry.email))
            self.table.setItem(row, 1, QTableWidgetItem(entry.name))
            access = QComboBox()
            for level in ACCESS_LEVELS:
                access.addItem(ACCESS_NAMES[level], level)
            access.setCurrentIndex(max(0, access.findData(entry.access)))
            access.currentIndexChanged.connect(self._changed)
            self.table.setCellWidget(row, 2, access)
        self._changed()
        return row

    def _add_and_edit(self) -> None:
        row = self.add_client(ClientEntry("", "", "view"))
        self.table.setCurrentCell(row, 0)
        item = self.table.item(row, 0)
        assert item is not None
        self.table.editItem(item)

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
        self._changed()

    def remove_all(self) -> None:
        self.table.setRowCount(0)
        self._changed()

    def clients(self) -> list[ClientEntry]:
        out: list[ClientEntry] = []
        for row in range(self.table.rowCount()):
            email, name = self.table.item(row, 0), self.table.item(row, 1)
            access = self.table.cellWidget(row, 2)
            assert isinstance(access, QComboBox)
            text = email.text() if email else ""
            if not text.strip() and not (name and name.text().strip()):
                continue  # a row added and left empty
            out.append(ClientEntry(text, name.text() if name else "", str(access.currentData())))
        return out

    # -- values ----------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.password.setEnabled(self.password_on.isChecked())
        self.expiry.setEnabled(self.expires.isChecked())
        self.reminder.setEnabled(self.expires.isChecked())
        self.changed.emit()

    def assignments(self) -> list[str]:
        password = self.password.text() if self.password_on.isChecked() else ""
        reminder = self.reminder.value() if self.expires.isChecked() else 0
        expiry = self.expiry.date().toString("yyyy-MM-dd") if self.expires.isChecked() else ""
        return [
            f"status={self.status.currentData()}",
            f"password={password}",
            f"expiry_date={expiry}",
            f"expiry_reminder_days={reminder or ''}",
            f"client_exclusive={_on(self.exclusive.isChecked())}",
            f"visitor_email_capture={_on(self.capture.isChecked())}",
        ]

    def problems(self) -> list[str]:
        """What the form cannot save as it is (beyond what the settings' parsers check)."""
        out: list[str] = []
        if self.password_on.isChecked() and not self.password.text().strip():
            out.append("type the password clients will enter, or untick “Ask for a password”")
        if self.exclusive.isChecked() and not self.clients():
            out.append("client-exclusive access needs at least one client in the list")
        return out

    def private(self) -> dict[int, bool]:
        return {
            int(item.data(Qt.ItemDataRole.UserRole)): item.checkState() == Qt.CheckState.Checked
            for item in (self.galleries.item(i) for i in range(self.galleries.count()))
        }
