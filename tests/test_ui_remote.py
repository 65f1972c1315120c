"""The gallery service in the window, against the emulator over real HTTP: signing in (with
the secrets file, as on a machine without a keyring), publishing, the sync panel (progress,
will-retry, failures and Retry, Discard, Pause), the online indicator, and client favourites
as a grid filter and a file-name list. With no account, nothing goes online at all."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from corpus import CORPUS
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.favourites import favourite_file_names
from gallery_desktop.catalog.media import ANYONE, NOT_DOWNLOADED
from gallery_desktop.catalog.organise import rename_collection
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote import api as api_module
from gallery_desktop.remote.account import current_account
from gallery_desktop.remote.credentials import SECRETS_FILE_ENV, SECRETS_FILE_NAME
from gallery_desktop.remote.outbox import queue_counts, queued
from gallery_desktop.ui.main_window import MainWindow
from gallery_desktop.ui.online_status import OFFLINE, ONLINE, SIGNED_OUT
from gallery_desktop.ui.sync_panel import SyncPanel

PHOTOS = 6
WAIT = 30_000


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test here runs as on a machine without a keyring (this one has none; a
    developer's machine must not get test sessions in its real keyring)."""
    monkeypatch.delenv(SECRETS_FILE_ENV, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, home: Path) -> Iterator[MainWindow]:
    catalog = Catalog(home / "catalog.sqlite")
    cache = ThumbnailCache(home / "cache" / "thumbnails")
    shoot = tmp_path / "Lake"
    names = sorted((CORPUS / "photos" / "orientation").iterdir())[:PHOTOS]
    for i, src in enumerate(names):
        gallery = shoot / ("Ceremony" if i % 2 else "Portraits")
        gallery.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, gallery / src.name)
    import_folder(catalog, cache, shoot, workers=1)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog, cache, settings, paths=AppPaths.at_home(home))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    catalog.close()


def _collection(win: MainWindow) -> tuple[QTreeWidgetItem, int]:
    item = win.sidebar.topLevelItem(0)
    assert item is not None and item.text(0) == "Lake"
    win.sidebar.setCurrentItem(item)
    place = win.sidebar.place()
    assert place is not None and place.collection_id is not None
    return item, place.collection_id


def _sign_in(qtbot: QtBot, win: MainWindow, emulator: Any, password: str | None = None) -> None:
    dialog = win.open_account()
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=WAIT)
    assert dialog.keyring is not None and not dialog.keyring.usable
    assert dialog.use_file.isVisible() and "no system keyring" in dialog.keyring_note.text()
    dialog.server.setText(emulator.base_url)
    dialog.email.setText(emulator.email)
    dialog.password.setText(password or emulator.password)
    assert not dialog.sign_in_button.isEnabled()  # no keyring, and the file not chosen yet
    dialog.use_file.setChecked(True)
    assert dialog.sign_in_button.isEnabled()
    with qtbot.waitSignal(win.account.changed, timeout=WAIT):
        dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: win.online.state == ONLINE, timeout=WAIT)


def _publish(win: MainWindow) -> int:
    _item, cid = _collection(win)
    assert win.publish_action.isEnabled() and not win.publish_action.isChecked()
    win.publish_action.trigger()
    assert win.publish_action.isChecked()
    return cid


def _open_sync(qtbot: QtBot, win: MainWindow) -> SyncPanel:
    """The panel, once the sync that follows signing in is over (it would race the test)."""
    panel = win.open_sync()
    qtbot.waitUntil(lambda: panel.last_report is not None and panel.busy is None, timeout=WAIT)
    return panel


def _drained(panel: SyncPanel) -> bool:
    counts = queue_counts(panel.catalog)
    return panel.busy is None and counts["pending"] == 0 and counts["failed"] == 0


def _row_texts(panel: SyncPanel) -> list[list[str]]:
    rows = []
    for row in range(panel.table.rowCount()):
        rows.append(
            [
                item.text() if (item := panel.table.item(row, c)) is not None else ""
                for c in range(panel.table.columnCount())
            ]
        )
    return rows


def test_sign_in_with_the_secrets_file_then_sign_out(
    qtbot: QtBot, window: MainWindow, emulator: Any, home: Path
) -> None:
    assert window.online.state == SIGNED_OUT
    dialog = window.open_account()
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=WAIT)
    dialog.server.setText(emulator.base_url)
    dialog.email.setText(emulator.email)
    dialog.password.setText("not the password")
    dialog.use_file.setChecked(True)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT)
    assert "did not accept this email and password" in dialog.status.text()
    assert current_account(window.catalog) is None
    dialog.server.setText("http://example.com/api/v1")  # plain http off this computer
    dialog.password.setText(emulator.password)
    dialog.sign_in_button.click()
    assert "Refusing plain http" in dialog.status.text() and not dialog.busy
    dialog.close()

    _sign_in(qtbot, window, emulator)
    assert current_account(window.catalog) == (emulator.base_url, emulator.email)
    secrets = home / SECRETS_FILE_NAME
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert emulator.password not in secrets.read_text()
    assert window.settings.value("remote/secrets_file", type=bool) is True
    assert emulator.email in window.online.toolTip()

    again = window.open_account()
    qtbot.waitUntil(lambda: again.keyring is not None, timeout=WAIT)
    assert again.pages.currentIndex() == 1 and emulator.email in again.who.text()
    assert SECRETS_FILE_NAME in again.where.text()
    again.again_button.click()  # an expired session: the form, with the account filled in
    assert again.pages.currentIndex() == 0 and again.email.text() == emulator.email
    assert again.server.text() == emulator.base_url and not again.sign_in_button.isEnabled()
    again.close()
    again = window.open_account()
    qtbot.waitUntil(lambda: again.keyring is not None, timeout=WAIT)
    with qtbot.waitSignal(window.account.changed, timeout=WAIT):
        again.sign_out_button.click()
    assert "Signed out" in again.status.text()
    assert window.online.state == SIGNED_OUT
    assert not secrets.exists() and current_account(window.catalog) is None
    assert emulator.state()["sessions"] == 0  # signed out on the server too
    again.close()


def test_publish_then_sync_now_sends_the_collection(
    qtbot: QtBot, qtmodeltester: Any, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    cid = _publish(window)
    pending = queue_counts(window.catalog)["pending"]
    assert pending == 2 + 2 + PHOTOS  # collection, its settings, 2 galleries, the photos
    rows = _row_texts(panel)
    assert len(rows) == pending
    assert rows[0][:3] == ["Create collection “Lake”", "Lake", "Waiting"]
    assert sum(r[0].startswith("Upload “") for r in rows) == PHOTOS
    assert "Publishing “Lake”" in window.status_label.text()
    qtmodeltester.check(panel.table.model())

    states: list[tuple[str, str]] = []
    panel.state_changed.connect(lambda s, d: states.append((s, d)))
    panel.sync_button.click()
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)
    assert ("syncing", str(pending)) in states  # "syncing N" in the status bar
    assert window.online.state == ONLINE and panel.table.rowCount() == 0
    assert panel.last_report is not None and panel.last_report.done == pending
    assert f"Sent {pending} change(s)" in panel.status.text()
    state = emulator.state()
    assert [c["name"] for c in state["collections"]] == ["Lake"]
    assert sorted(g["name"] for g in state["galleries"]) == ["Ceremony", "Portraits"]
    assert len(state["media"]) == PHOTOS
    with window.catalog.engine.connect() as conn:
        remote = conn.execute(
            text("SELECT remote_id FROM collection WHERE id = :c"), {"c": cid}
        ).scalar()
    assert remote == state["collections"][0]["id"]

    # Stopping asks first; "no" keeps it published.
    window.publish_action.confirm = lambda _q: False
    window.publish_action.trigger()
    assert window.publish_action.isChecked()
    window.publish_action.confirm = lambda _q: True
    window.publish_action.trigger()
    assert not window.publish_action.isChecked()
    assert "no longer published" in window.status_label.text()


def test_a_503_shows_will_retry_then_clears(
    qtbot: QtBot, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    _publish(window)
    emulator.fault(method="POST", path=r"/collections$", kind="status", status=503, times=1)
    with qtbot.waitSignal(panel.synced, timeout=WAIT) as first:
        panel.sync_now()
    report = first.args[0]
    assert report.waiting == 1 and report.done == 0 and not report.failed
    rows = _row_texts(panel)
    assert rows[0][0] == "Create collection “Lake”" and rows[0][2] == "Will retry"
    assert rows[0][3] == "1" and "HTTP 503" in rows[0][5]
    assert rows[0][4].startswith(("in ", "now"))
    assert "1 will retry" in panel.status.text()
    # The panel comes back by itself when the retry is due (no Sync now needed).
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)
    state = emulator.state()
    assert len(state["collections"]) == 1 and len(state["media"]) == PHOTOS
    assert window.online.state == ONLINE


def test_a_failure_shows_its_reason_retry_puts_it_back_discard_drops_it(
    qtbot: QtBot, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    cid = _publish(window)
    emulator.fault(method="POST", path=r"/collections$", kind="status", status=422, times=1)
    with qtbot.waitSignal(panel.synced, timeout=WAIT) as first:
        panel.sync_now()
    assert len(first.args[0].failed) == 1
    failed = queued(window.catalog, ("failed",))
    assert [op.op for op in failed] == ["create"]
    row = _row_texts(panel)[0]
    assert row[2] == "Failed" and row[4] == "after Retry"
    assert "refused the data" in row[5]
    assert "1 failed" in panel.status.text() and "1 failed" in panel.counts.text()
    assert not panel.retry_button.isEnabled()  # nothing selected yet
    assert panel.select_op(failed[0].id)
    assert panel.retry_button.isEnabled() and panel.discard_button.isEnabled()
    panel.retry_button.click()
    assert queue_counts(window.catalog)["failed"] == 0
    assert _row_texts(panel)[0][2] == "Waiting"
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)  # the retry syncs by itself
    assert len(emulator.state()["collections"]) == 1

    # A later change fails for good; Discard (after asking) drops it.
    emulator.fault(method="PUT", path=r"/collections/\d+$", kind="status", status=422, times=1)
    rename_collection(window.catalog, cid, "Lake Como")
    with qtbot.waitSignal(panel.synced, timeout=WAIT):
        panel.sync_now()
    failed = queued(window.catalog, ("failed",))
    assert [op.op for op in failed] == ["update"] and panel.retry_all_button.isEnabled()
    assert panel.select_op(failed[0].id)
    questions: list[str] = []

    def say_no(question: str) -> bool:
        questions.append(question)
        return False

    panel.confirm = say_no
    panel.discard_button.click()
    assert queue_counts(window.catalog)["failed"] == 1 and questions
    panel.confirm = lambda _q: True
    panel.discard_button.click()
    assert queue_counts(window.catalog)["failed"] == 0 and panel.table.rowCount() == 0
    assert [c["name"] for c in emulator.state()["collections"]] == ["Lake"]


def test_pause_stops_between_operations_and_resume_goes_on(
    qtbot: QtBot, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    _publish(window)
    emulator.fault(method="POST", path=r"/uploads$", kind="latency", delay=0.3, times=None)
    panel.sync_now()
    qtbot.waitUntil(lambda: panel.progress.value() >= 3, timeout=WAIT)
    panel.pause_button.click()
    assert panel.paused and panel.pause_button.text() == "Resume"
    assert not panel.sync_button.isEnabled()
    qtbot.waitUntil(lambda: panel.busy is None, timeout=WAIT)
    report = panel.last_report
    assert report is not None and report.stopped == "stopped"
    assert "Paused after" in panel.status.text()
    sent = len(emulator.state()["media"])
    pending = queue_counts(window.catalog)["pending"]
    assert sent < PHOTOS and pending > 0
    assert not panel._timer.isActive()  # no periodic sync while paused
    panel.sync_now()  # ignored while paused
    qtbot.wait(1500)
    assert panel.busy is None and len(emulator.state()["media"]) == sent
    assert queue_counts(window.catalog)["pending"] == pending
    assert {r[4] for r in _row_texts(panel) if r[2] == "Waiting"} == {"paused"}

    panel.pause_button.click()
    assert not panel.paused
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)
    assert len(emulator.state()["media"]) == PHOTOS


def test_without_an_account_nothing_goes_online(
    qtbot: QtBot, window: MainWindow, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = emulator.fault(kind="latency", delay=0, path=".*", times=None)
    made: list[str] = []
    sent: list[str] = []
    real_init, real_send = api_module.GalleryApi.__init__, httpx.Client.send

    def init(self: Any, base_url: str, *args: Any, **kwargs: Any) -> None:
        made.append(base_url)
        real_init(self, base_url, *args, **kwargs)

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if "/_emulator" not in request.url.path:
            sent.append(str(request.url))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(api_module.GalleryApi, "__init__", init)
    monkeypatch.setattr(httpx.Client, "send", send)

    panel = window.open_sync()
    assert "Not signed in" in panel.who.text()
    assert not panel.sync_button.isEnabled() and not panel.pull_button.isEnabled()
    _publish(window)  # publishing offline-first: the queue fills, nothing is sent
    assert "sign in (Account…) to send them" in window.status_label.text()
    assert queue_counts(window.catalog)["pending"] == 2 + 2 + PHOTOS
    panel.sync_now()
    assert "Sign in first" in panel.status.text()
    panel.pull_now()
    window.online.check_now()
    dialog = window.open_account()
    qtbot.waitUntil(lambda: dialog.keyring is not None, timeout=WAIT)
    dialog.close()
    qtbot.wait(300)
    assert panel.busy is None and not panel._timer.isActive()
    assert not window.online._timer.isActive() and window.online.checks == 0
    assert window.online.state == SIGNED_OUT
    assert made == [] and sent == []
    monkeypatch.undo()
    hits = [f["hits"] for f in emulator.faults() if f["id"] == counter["id"]]
    assert hits == [0]


def test_offline_shows_in_the_status_bar_and_the_queue_waits(
    qtbot: QtBot, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    _publish(window)
    emulator.fault(method="GET", path=r"/data/bootstrap$", kind="cut", times=1)
    with qtbot.waitSignal(
        panel.state_changed, timeout=WAIT, check_params_cb=lambda s, _d: s == OFFLINE
    ):
        panel.sync_now()
    qtbot.waitUntil(lambda: panel.busy is None, timeout=WAIT)
    assert window.online.state == OFFLINE and "Cannot reach" in window.online.toolTip()
    assert "Offline" in panel.status.text()
    assert all(op.attempts == 0 for op in queued(window.catalog))  # not counted as failures
    panel.sync_now()
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)
    assert window.online.state == ONLINE


def test_an_expired_session_says_sign_in_again_and_stops_the_periodic_sync(
    qtbot: QtBot, window: MainWindow, emulator: Any
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    _publish(window)
    pending = queue_counts(window.catalog)["pending"]
    assert emulator.expire_sessions() >= 1
    with qtbot.waitSignal(
        panel.state_changed, timeout=WAIT, check_params_cb=lambda s, _d: s == SIGNED_OUT
    ):
        panel.sync_now()
    qtbot.waitUntil(lambda: panel.busy is None, timeout=WAIT)
    assert window.online.state == SIGNED_OUT and "sign in again" in window.online.toolTip()
    assert "sign in again" in panel.status.text()
    assert not panel._timer.isActive() and not window.online._timer.isActive()
    assert queue_counts(window.catalog) == {"pending": pending, "failed": 0, "done": 0}


def test_client_favourites_filter_the_grid_and_copy_as_file_names(
    qtbot: QtBot, window: MainWindow, emulator: Any, tmp_path: Path
) -> None:
    _sign_in(qtbot, window, emulator)
    panel = _open_sync(qtbot, window)
    cid = _publish(window)
    panel.sync_now()
    qtbot.waitUntil(lambda: _drained(panel), timeout=WAIT)
    bar = window.filter_bar
    assert not bar._favourites.isVisible()  # no favourites yet: no filter shown

    remote = emulator.state()
    by_remote = {m["id"]: m for m in remote["media"]}
    ada_ids, ben_ids = sorted(by_remote)[:2], sorted(by_remote)[2:3]
    emulator.seed(
        remote["collections"][0]["id"],
        clients=[
            {"email": "ada@clients.example.com", "name": "Ada Moreau"},
            {"email": "ben@clients.example.com", "name": "Ben Okafor"},
        ],
        favorites=[
            {"client_email": "ada@clients.example.com", "media_ids": ada_ids},
            {"client_email": "ben@clients.example.com", "media_ids": ben_ids},
        ],
        downloads=0,
        visitors=0,
        sharing_links=0,
    )
    with qtbot.waitSignal(panel.pulled, timeout=WAIT):
        panel.pull_button.click()
    assert "favourites" in panel.status.text()
    assert bar._favourites.isVisible()
    choices = [bar.favourites.itemText(i) for i in range(bar.favourites.count())]
    assert choices == [
        "Favourited or not",
        "Favourited by anyone",
        "Favourited, not downloaded",
        "Favourited by all clients",
        "Favourited by Ada Moreau (2)",
        "Favourited by Ben Okafor (1)",
    ]

    with window.catalog.engine.connect() as conn:
        local = {
            int(r.remote_id): (int(r.id), Path(r.rel_path.decode()).stem)
            for r in conn.execute(text("SELECT id, remote_id, rel_path FROM media"))
        }
    ada_local = {local[r][0] for r in ada_ids}
    ada_stems = {local[r][1] for r in ada_ids}

    bar.favourites.setCurrentIndex(bar.favourites.findData("ada@clients.example.com"))
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2, timeout=WAIT)
    assert set(window.grid_model.media_ids(range(2))) == ada_local
    bar.favourites.setCurrentIndex(bar.favourites.findData(ANYONE))
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=WAIT)
    bar.favourites.setCurrentIndex(bar.favourites.findData(NOT_DOWNLOADED))
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=WAIT)  # none downloaded

    bar.favourites.setCurrentIndex(bar.favourites.findData("ada@clients.example.com"))
    copied = bar.copy_favourite_names()
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None and clipboard.text() == copied
    names = copied.split(", ")
    assert len(names) == 2 and set(names) == ada_stems
    assert names == favourite_file_names(window.catalog, cid, "ada@clients.example.com")
    bar.save_file = lambda _suggested: str(tmp_path / "ada-favourites")
    saved = bar.save_favourite_names()
    assert saved == tmp_path / "ada-favourites.txt"
    assert saved.read_text(encoding="utf-8").splitlines() == names

    # Back to all photos.
    bar.favourites.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == PHOTOS, timeout=WAIT)
