"""Screenshots of the main views, made from the test corpus: `make screenshots`.

Runs the real main window (under xvfb-run in `make screenshots`, or offscreen) on a scratch
catalogue of ../shared/corpus and saves PNGs into the folder given (docs/screenshots).
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import keyring
from keyring.backends import fail
from PIL import Image, ImageDraw
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from gallery_desktop.catalog.collection_settings import apply_settings
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.roots import add_root
from gallery_desktop.catalog.store import PriceSize, Product, Store, save_store
from gallery_desktop.catalog.watermarks import add_watermark, set_collection_watermark
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.paths import AppPaths
from gallery_desktop.seat import load_seat
from gallery_desktop.ui.main_window import MainWindow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TESTS = Path(__file__).resolve().parents[1] / "tests"


def settle(app: QApplication, window: MainWindow, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or window.loupe.loading:
        app.processEvents()
        time.sleep(0.02)


def wait_for(app: QApplication, done: Callable[[], bool], seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def sample_logo() -> bytes:
    """A round studio logo with transparency, made here (no file needed)."""
    im = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    draw.ellipse((10, 10, 390, 390), outline=(255, 255, 255, 255), width=22)
    draw.polygon([(90, 290), (170, 150), (220, 230), (260, 180), (320, 290)], fill="white")
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def watermarks_and_export(app: QApplication, window: MainWindow, out: Path, home: Path) -> None:
    """The watermark editor on a photo, then the export dialog after a run."""
    catalog = window.catalog
    proof = add_watermark(
        catalog,
        "Studio proof",
        WatermarkSpec(
            text="© {year} Northlight Studio",
            text_scale=0.035,
            opacity=0.8,
            logo=sample_logo(),
            logo_scale=0.12,
            logo_opacity=0.7,
            position="bottom-right",
        ),
    )
    add_watermark(
        catalog,
        "Client preview",
        WatermarkSpec(
            text="PREVIEW · {collection}", text_scale=0.08, opacity=0.3, position="diagonal"
        ),
    )
    add_watermark(catalog, "Web, small", WatermarkSpec(text="northlight.example", text_scale=0.025))
    gallery = window.sidebar.findItems(
        "formats", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
    )
    if not gallery:
        return
    window.sidebar.setCurrentItem(gallery[0])
    settle(app, window)
    place = window.sidebar.place()
    if place is not None and place.collection_id is not None:
        set_collection_watermark(catalog, place.collection_id, proof.name)
    model = window.grid_model
    wanted = [
        r for r in range(model.rowCount()) if model.record(r).path.endswith("heic/example.heic")
    ]
    window.grid.setCurrentIndex(model.index(wanted[0] if wanted else 0))
    settle(app, window)
    editor = window.open_watermarks()
    shown = editor.presets.findItems(proof.name, Qt.MatchFlag.MatchExactly)
    if shown:
        editor.presets.setCurrentItem(shown[0])
    wait_for(app, lambda: not editor.preview.busy)
    settle(app, window, 0.3)
    editor.grab().save(str(out / "watermark-editor.png"))
    editor.confirm = lambda _question: True
    editor.close()

    dialog = window.open_export()
    dialog.preset.setCurrentIndex(dialog.preset.findData("web2048"))
    dialog.folder.setText(str(home / "Exports"))
    dialog.export_button.click()
    wait_for(app, lambda: not dialog.running, 120.0)
    settle(app, window, 0.3)
    dialog.grab().save(str(out / "export-dialog.png"))
    dialog.close()


def gallery_service(app: QApplication, window: MainWindow, out: Path, home: Path) -> None:
    """The account dialog (as on a machine without a keyring), then, against the emulator of
    tests/emulator, the sync panel mid-sync and a client's favourites as a grid filter."""
    keyring.set_keyring(fail.Keyring())  # the no-keyring look; never a real keyring's entry
    sys.path.insert(0, str(TESTS))
    try:
        from emulator.server import EmulatorServer
    except ImportError:
        server = None
    else:
        server = EmulatorServer(home / "emulator").start()
    dialog = window.open_account()
    wait_for(app, lambda: dialog.keyring is not None)
    dialog.server.setText(server.base_url if server else "http://127.0.0.1:8765/api/v1")
    dialog.email.setText("photographer@example.com")
    dialog.password.setText("emulator")
    dialog.use_file.setChecked(True)
    settle(app, window, 0.3)
    dialog.grab().save(str(out / "account-dialog.png"))
    if server is None:
        dialog.close()
        return

    def control(path: str, body: object) -> object:
        answer = httpx.post(f"{server.root_url}/_emulator{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]

    dialog.sign_in_button.click()
    wait_for(app, lambda: window.account.current() is not None)
    photos = window.sidebar.findItems("photos", Qt.MatchFlag.MatchExactly)
    if photos:
        window.sidebar.setCurrentItem(photos[0])
    settle(app, window)
    window.publish_action.trigger()
    uploads = {"method": "POST", "path": "/uploads$"}
    control("/faults", {**uploads, "kind": "status", "status": 429, "retry_after": 600, "skip": 2})
    control("/faults", {**uploads, "kind": "status", "status": 422, "skip": 4})
    control("/faults", {**uploads, "kind": "latency", "delay": 0.2, "times": None})
    panel = window.open_sync()
    window.resizeDocks([panel], [330], Qt.Orientation.Vertical)
    panel.sync_now()
    wait_for(app, lambda: panel.progress.value() >= 14, 120.0)
    settle(app, window, 0.5)
    window.grab().save(str(out / "sync-panel.png"))
    panel.set_paused(True)
    wait_for(app, lambda: panel.busy is None, 60.0)
    remote = httpx.get(f"{server.root_url}/_emulator/state", timeout=10).json()["data"]
    if remote["collections"]:
        control(
            "/seed",
            {
                "collection_id": remote["collections"][0]["id"],
                "clients": 3,
                "items": 4,
                "downloads": 40,
                "visitors": 6,
                "store_orders": 5,
                "seed": 7,
            },
        )
        panel.pull_now()
        wait_for(app, lambda: panel.busy is None, 60.0)
        panel.hide()
        bar = window.filter_bar
        emails = [
            i for i in range(bar.favourites.count()) if "@" in str(bar.favourites.itemData(i))
        ]
        if emails:  # one client's favourites, with the badges of everyone's
            bar.favourites.setCurrentIndex(emails[0])
        settle(app, window, 1.0)
        window.grab().save(str(out / "favourites-filter.png"))
        client_delivery(app, window, out)
    server.stop()


def client_delivery(app: QApplication, window: MainWindow, out: Path) -> None:
    """Each tab of Client Settings, the analytics of what clients did, and Preferences."""
    catalog = window.catalog
    cid = window.delivery.collection_id
    assert cid is not None
    apply_settings(
        catalog,
        cid,
        [
            "status=published",
            "password=northlight",
            f"expiry_date={date.today() + timedelta(days=120)}",
            "expiry_reminder_days=7",
            "downloadable=on",
            "download_sizes=original,high,web2048",
            "download_pin=2468",
        ],
    )
    products = (
        Product("Fine art print", (PriceSize("8×10", 2500), PriceSize("11×14", 4000))),
        Product("Canvas", (PriceSize("20×30", 12000),)),
        Product("Album", (PriceSize("10×10, 30 pages", 45000),)),
    )
    save_store(catalog, cid, Store(True, "EUR", 3000, products))
    window.grid.setCurrentIndex(window.grid_model.index(1))
    dialog = window.delivery.open_settings()
    assert dialog is not None
    dialog.resize(1180, 760)
    dialog.downloads.new_link.click()
    dialog.design.set_cover(window.selected_media_ids()[0])
    for index, name in enumerate(("access", "downloads", "store", "cover")):
        dialog.tabs.setCurrentIndex(index)
        settle(app, window, 1.0)
        dialog.grab().save(str(out / f"settings-{name}.png"))
    dialog.reject()
    view = window.delivery.open_analytics()
    assert view is not None
    view.resize(1180, 760)
    wait_for(app, lambda: view.data is not None)
    for index, name in ((0, "analytics"), (4, "analytics-store")):
        view.tabs.setCurrentIndex(index)
        settle(app, window, 0.5)
        view.grab().save(str(out / f"{name}.png"))
    view.close()
    prefs = window.delivery.open_preferences()
    settle(app, window, 0.3)
    prefs.grab().save(str(out / "preferences.png"))
    prefs.reject()


def studio(app: QApplication, window: MainWindow, out: Path, home: Path) -> None:
    """A shoot in the library root "Archive": Preferences → This workstation, then the root
    unmounted (the collection greyed in the sidebar, its photos offline)."""
    archive = home / "nas" / "archive"
    shoot = archive / "2026" / "Smith Wedding"
    for i, photo in enumerate(sorted((CORPUS / "photos" / "exif").glob("*.jpg"))[:8]):
        target = shoot / ("Ceremony" if i % 2 else "Portraits") / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, target)
    seat = load_seat(AppPaths.at_home(home))
    seat.roots, seat.name = {"Archive": str(archive)}, "Studio-1"
    seat.save()
    add_root(window.catalog, "Archive")
    window.catalog.roots = {"Archive": archive}
    import_folder(window.catalog, window.cache, shoot)
    window.refresh_sidebar()
    prefs = window.delivery.open_preferences()
    prefs.tabs.setCurrentIndex(1)
    settle(app, window, 0.3)
    prefs.grab().save(str(out / "preferences-workstation.png"))
    prefs.reject()
    archive.rename(home / "unplugged")  # the share is unmounted: its folder is left empty
    archive.mkdir()
    window.refresh_sidebar()
    found = window.sidebar.findItems(
        "Ceremony", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
    )
    if found:  # a gallery of it: the collection above shows greyed
        window.sidebar.setCurrentItem(found[-1])
    settle(app, window, 0.5)
    window.grid.setCurrentIndex(window.grid_model.index(0))  # the inspector: State offline
    settle(app, window, 0.5)
    window.grab().save(str(out / "offline-root.png"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as home:
        catalog = Catalog(Path(home) / "catalog.sqlite")
        cache = ThumbnailCache(Path(home) / "thumbs")
        for folder in ("photos", "raw", "video", "bad"):
            import_folder(catalog, cache, CORPUS / folder)
        settings = QSettings(str(Path(home) / "ui.ini"), QSettings.Format.IniFormat)
        window = MainWindow(catalog, cache, settings)
        window.resize(1400, 900)
        window.show()
        settle(app, window)
        window.grid.setCurrentIndex(window.grid_model.index(3))
        window.grid.setFocus()
        settle(app, window)
        window.grab().save(str(out / "grid.png"))

        window.show_loupe()
        settle(app, window, 1.0)
        window.grab().save(str(out / "loupe.png"))
        window.show_grid()

        orientation = window.sidebar.findItems(
            "orientation", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
        )
        if orientation:
            window.sidebar.setCurrentItem(orientation[0])
            settle(app, window)
            model = window.grid_model
            selection = window.grid.selectionModel()
            for row in range(4):
                selection.select(model.index(row), selection.SelectionFlag.Select)
            window.grid.setCurrentIndex(model.index(0))
            for row in range(1, 4):
                selection.select(model.index(row), selection.SelectionFlag.Select)
            window.show_compare()
            settle(app, window, 1.0)
            while window.compare.loading:
                settle(app, window, 0.2)
            window.grab().save(str(out / "compare.png"))
            window.show_grid()
            photos = window.sidebar.findItems("photos", Qt.MatchFlag.MatchExactly)
            if photos:
                window.sidebar.setCurrentItem(photos[0])

        window.filter_bar.label.setCurrentIndex(0)
        window.filter_bar.text.setText("exiv2")
        window.filter_bar.sort.setCurrentIndex(window.filter_bar.sort.findData("name"))
        settle(app, window)
        window.grab().save(str(out / "filtered.png"))
        window.filter_bar.text.setText("")

        attention = window.sidebar.topLevelItem(0)
        if attention is not None:
            window.sidebar.setCurrentItem(attention)
        window.grid.setCurrentIndex(window.grid_model.index(0))
        settle(app, window)
        window.grab().save(str(out / "needs-attention.png"))
        watermarks_and_export(app, window, out, Path(home))
        gallery_service(app, window, out, Path(home))
        studio(app, window, out, Path(home))
        window.close()
        catalog.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    app = QApplication(sys.argv)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
