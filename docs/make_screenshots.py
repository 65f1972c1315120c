"""Screenshots of the main views, made from the test corpus: `make screenshots`.

Runs the real main window (under xvfb-run in `make screenshots`, or offscreen) on a scratch
catalogue of ../shared/corpus and saves PNGs into the folder given (docs/screenshots).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.ui.main_window import MainWindow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def settle(app: QApplication, window: MainWindow, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or window.loupe.loading:
        app.processEvents()
        time.sleep(0.02)


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
        window.close()
        catalog.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    app = QApplication(sys.argv)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
