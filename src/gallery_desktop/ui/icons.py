"""The app icon and the toolbar icons, read from the package's resources (a wheel, a bundle or a
checkout alike) and cached.

Toolbar icons are monochrome SVGs drawn with `currentColor`; each is rendered in the palette's
text colour (and its disabled colour), so they follow a light or dark theme.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from gallery_desktop.paths import resource

APP_ICON_SIZES: Final = (16, 24, 32, 48, 64, 128, 256, 512)
TOOLBAR_ICONS: Final = frozenset(
    {
        "import-folder",
        "cancel",
        "watermarks",
        "export",
        "publish",
        "sync",
        "account",
        "client-settings",
        "analytics",
    }
)
# Pixel sizes a toolbar asks for: 16-48 logical pixels at 1x and 2x (QIcon picks the nearest).
_TOOLBAR_PIXELS: Final = (16, 20, 22, 24, 32, 40, 44, 48, 64, 96)


def app_svg() -> bytes:
    return resource("icons", "app", "gallery-desktop.svg").read_bytes()


def toolbar_svg(name: str) -> bytes:
    """The SVG source of a toolbar icon; an unknown name is a bug (KeyError)."""
    if name not in TOOLBAR_ICONS:
        raise KeyError(f"no toolbar icon named {name!r}; known: {sorted(TOOLBAR_ICONS)}")
    return resource("icons", "toolbar", f"{name}.svg").read_bytes()


@cache
def app_icon() -> QIcon:
    """The window and application icon, from its PNG sizes (crisp at 16 and 24 px)."""
    icon = QIcon()
    for size in APP_ICON_SIZES:
        pixmap = QPixmap()
        data = resource("icons", "app", f"gallery-desktop-{size}.png").read_bytes()
        if not pixmap.loadFromData(data, "PNG"):
            raise ValueError(f"app icon gallery-desktop-{size}.png is not a readable PNG")
        icon.addPixmap(pixmap)
    return icon


def toolbar_icon(name: str) -> QIcon:
    """A toolbar icon in the current palette's colours (cached per name and colours)."""
    palette = QGuiApplication.palette()
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    return _toolbar_icon(name, normal.name(), disabled.name())


@cache
def _toolbar_icon(name: str, normal: str, disabled: str) -> QIcon:
    source = toolbar_svg(name)
    icon = QIcon()
    for mode, colour in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
        renderer = render_svg_renderer(source.replace(b"currentColor", colour.encode("ascii")))
        for pixels in _TOOLBAR_PIXELS:
            icon.addPixmap(QPixmap.fromImage(render_svg(renderer, pixels)), mode)
    return icon


def render_svg_renderer(source: bytes) -> QSvgRenderer:
    renderer = QSvgRenderer(QByteArray(source))
    if not renderer.isValid():
        raise ValueError("not a valid SVG icon")
    return renderer


def render_svg(renderer: QSvgRenderer, size: int) -> QImage:
    """The SVG drawn into a transparent square of `size` pixels."""
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image
