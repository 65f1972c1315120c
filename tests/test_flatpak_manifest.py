"""The Flatpak manifest, as flatpak-builder reads it: the app id and command agree with the
desktop entry and pyproject, every dependency is a pinned wheel, and every file it installs
exists. (Building it needs Flathub's KDE runtime, which this machine cannot reach.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "packaging" / "flatpak" / "org.gallerydesktop.GalleryDesktop.yml"
APP_ID = "org.gallerydesktop.GalleryDesktop"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    tool = shutil.which("flatpak-builder")
    assert tool, "flatpak-builder is missing: run `make system-deps` (Debian: flatpak-builder)"
    shown = subprocess.run(
        [tool, "--show-manifest", str(MANIFEST)], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def test_the_manifest_names_the_app_as_the_desktop_files_do(manifest: dict[str, Any]) -> None:
    assert manifest["id"] == APP_ID
    assert manifest["runtime"] == "org.kde.Platform" and manifest["sdk"] == "org.kde.Sdk"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    assert manifest["command"] in scripts
    desktop = (ROOT / "packaging" / "linux" / f"{APP_ID}.desktop").read_text()
    assert f"Icon={APP_ID}" in desktop


def test_every_dependency_is_a_wheel_pinned_by_hash(manifest: dict[str, Any]) -> None:
    deps = next(m for m in manifest["modules"] if m["name"] == "python3-deps")
    sources = deps["sources"]
    assert len(sources) > 20
    for source in sources:
        assert source["type"] == "file" and source["url"].endswith(".whl"), source
        assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), source
        assert source["url"].startswith("https://files.pythonhosted.org/packages/"), source
    names = {s["url"].rsplit("/", 1)[1].split("-")[0].lower() for s in sources}
    assert {"pyside6_essentials", "pillow", "sqlmodel", "watchdog", "alembic"} <= names


def test_every_file_the_manifest_installs_exists(manifest: dict[str, Any]) -> None:
    app = next(m for m in manifest["modules"] if m["name"] == "gallery-desktop")
    installed = [
        word
        for command in app["build-commands"]
        for word in command.split()
        if word.startswith(("packaging/", "resources/"))
    ]
    assert len(installed) == 3
    for rel in installed:
        assert (ROOT / rel).is_file(), rel
