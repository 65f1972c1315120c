"""Desktop integration: the .desktop entry and AppStream metainfo validate with the distribution's
own tools and agree with each other and with pyproject; every icon the code asks for exists and
draws."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Final

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication

from gallery_desktop import __version__
from gallery_desktop.paths import resource
from gallery_desktop.ui import icons
from gallery_desktop.ui.icons import (
    APP_ICON_SIZES,
    TOOLBAR_ICONS,
    app_icon,
    render_svg,
    render_svg_renderer,
    toolbar_icon,
)

ROOT: Final = Path(__file__).resolve().parents[1]
APP_ID: Final = "org.gallerydesktop.GalleryDesktop"
LINUX: Final = ROOT / "packaging" / "linux"
DESKTOP_FILE: Final = LINUX / f"{APP_ID}.desktop"
METAINFO_FILE: Final = LINUX / f"{APP_ID}.metainfo.xml"
PYPROJECT: Final = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
INSTALL_HINT: Final = "run `make system-deps` (Debian packages desktop-file-utils and appstream)"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # a missing validator is a broken test setup, never a pass
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def _metainfo() -> ET.Element:
    return ET.parse(METAINFO_FILE).getroot()


def _text(root: ET.Element, path: str) -> str:
    node = root.find(path)
    assert node is not None and node.text is not None, f"metainfo lacks <{path}>"
    return node.text.strip()


# -- the validators ----------------------------------------------------------------------------


def test_desktop_file_validates() -> None:
    proc = _run(_tool("desktop-file-validate"), str(DESKTOP_FILE))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # hints are advice; errors and warnings are not
    assert not re.search(r": (error|warning): ", output), output


def test_metainfo_validates_offline() -> None:
    proc = _run(_tool("appstreamcli"), "validate", "--no-net", str(METAINFO_FILE))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # E: errors, W: warnings; I: (info) and P: (pedantic) lines are allowed
    problems = [line for line in output.splitlines() if re.match(r"\s*[EW]: ", line)]
    assert problems == [], output


def test_the_validators_catch_a_broken_file(tmp_path: Path) -> None:
    """The checks above would see a problem: both tools fail on a damaged copy."""
    bad_desktop = tmp_path / f"{APP_ID}.desktop"
    bad_desktop.write_text(
        DESKTOP_FILE.read_text(encoding="utf-8").replace("Type=Application\n", ""),
        encoding="utf-8",
    )
    assert _run(_tool("desktop-file-validate"), str(bad_desktop)).returncode != 0
    bad_metainfo = tmp_path / f"{APP_ID}.metainfo.xml"
    bad_metainfo.write_text(
        re.sub(r"<summary>.*?</summary>", "", METAINFO_FILE.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    proc = _run(_tool("appstreamcli"), "validate", "--no-net", str(bad_metainfo))
    assert proc.returncode != 0


# -- the two files agree with each other and with pyproject ------------------------------------


def test_desktop_entry_and_metainfo_name_the_same_app() -> None:
    entry, meta = _desktop_entry(), _metainfo()
    assert _text(meta, "id") == APP_ID
    assert _text(meta, "launchable[@type='desktop-id']") == DESKTOP_FILE.name
    assert entry["Icon"] == APP_ID
    assert entry["Name"] == _text(meta, "name")
    binary = _text(meta, "provides/binary")
    assert entry["Exec"].split()[0] == binary
    assert binary in PYPROJECT["project"]["gui-scripts"]
    categories = [c for c in entry["Categories"].split(";") if c]
    assert categories == ["Graphics", "Photography"]
    assert [c.text for c in meta.iterfind("categories/category")] == categories


def test_newest_release_is_the_version_in_pyproject() -> None:
    releases = _metainfo().findall("releases/release")
    versions = [r.get("version") for r in releases]
    assert versions[0] == PYPROJECT["project"]["version"] == __version__
    as_tuples = [tuple(int(part) for part in str(v).split(".")) for v in versions]
    assert as_tuples == sorted(as_tuples, reverse=True), "releases go newest first"
    for release in releases:
        assert release.get("date"), release.get("version")
        assert release.find("description") is not None, release.get("version")


def test_screenshots_are_the_repositorys_own() -> None:
    urls = [_text(s, "image") for s in _metainfo().iterfind("screenshots/screenshot")]
    assert len(urls) >= 3
    prefix = "https://raw.githubusercontent.com/gallery-desktop/gallery-desktop/main/"
    for url in urls:
        assert url.startswith(prefix), url
        assert (ROOT / url.removeprefix(prefix)).is_file(), url


# -- icons ---------------------------------------------------------------------------------------


def _toolbar_icon_names_in_code() -> set[str]:
    """Every literal name passed to toolbar_icon(...) anywhere in the package."""
    names: set[str] = set()
    for path in (ROOT / "src" / "gallery_desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if called == "toolbar_icon":
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path}:{node.lineno}: toolbar_icon takes a literal name, so it is checked"
                )
                names.add(arg.value)
    return names


def test_every_toolbar_icon_the_code_asks_for_exists() -> None:
    assert _toolbar_icon_names_in_code() <= TOOLBAR_ICONS


def test_toolbar_icon_files_are_exactly_the_known_names() -> None:
    shipped = {f.name.removesuffix(".svg") for f in resource("icons", "toolbar").iterdir()}
    assert shipped == TOOLBAR_ICONS


@pytest.mark.parametrize("name", sorted(TOOLBAR_ICONS))
def test_toolbar_icon_is_monochrome_and_draws(qapp: QApplication, name: str) -> None:
    source = icons.toolbar_svg(name).decode("utf-8")
    assert "currentColor" in source
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", source), "one colour: the palette's"
    image = render_svg(render_svg_renderer(source.encode()), 48)
    assert _opaque_pixels(image) > 40
    icon = toolbar_icon(name)
    assert not icon.isNull()
    assert not icon.pixmap(QSize(24, 24)).isNull()
    assert not icon.pixmap(QSize(24, 24), QIcon.Mode.Disabled).isNull()
    assert toolbar_icon(name) is icon  # cached


def test_an_unknown_toolbar_icon_is_a_bug(qapp: QApplication) -> None:
    with pytest.raises(KeyError, match="no toolbar icon named 'imprt-folder'"):
        toolbar_icon("imprt-folder")


def test_toolbar_icons_follow_the_palette(qapp: QApplication) -> None:
    before = QGuiApplication.palette()
    palette = QPalette(before)
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#d01010"))
    QGuiApplication.setPalette(palette)
    try:
        image = toolbar_icon("cancel").pixmap(QSize(48, 48)).toImage()
    finally:
        QGuiApplication.setPalette(before)
    strongest = max(
        (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())),
        key=lambda c: c.alpha(),
    )
    assert (strongest.red(), strongest.green(), strongest.blue()) == (0xD0, 0x10, 0x10)


def test_app_icon_has_every_size(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(APP_ICON_SIZES)
    for size in APP_ICON_SIZES:
        image = QImage.fromData(
            resource("icons", "app", f"gallery-desktop-{size}.png").read_bytes()
        )
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()


def test_app_svg_renders(qapp: QApplication) -> None:
    image = render_svg(render_svg_renderer(icons.app_svg()), 128)
    assert _opaque_pixels(image) > 128 * 128 // 2
    assert image.pixelColor(0, 0).alpha() == 0  # a rounded tile, transparent corners


def _opaque_pixels(image: QImage) -> int:
    return sum(
        image.pixelColor(x, y).alpha() > 128
        for x in range(image.width())
        for y in range(image.height())
    )
