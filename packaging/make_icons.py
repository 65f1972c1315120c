"""Render the app icon's PNG sizes from its SVG: `.venv/bin/python packaging/make_icons.py`.

The PNGs are committed (bundles and desktop integration need them without Qt at build time);
run this again after editing resources/icons/app/gallery-desktop.svg.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

APP_ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app"
SVG = APP_ICONS / "gallery-desktop.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen needed
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        out = APP_ICONS / f"gallery-desktop-{size}.png"
        if not render(renderer, size).save(str(out)):
            print(f"make_icons: cannot write {out}", file=sys.stderr)
            return 1
        print(out.relative_to(APP_ICONS.parent.parent.parent))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
