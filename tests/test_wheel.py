"""The wheel holds the whole package, every resource (fonts, icons) and the Alembic scripts.

Fast: the wheel is built with `pip wheel --no-deps` (about 10 s); installing it into a clean
venv and running it is `make wheel-check` (packaging/smoke_wheel.py), outside `make test`.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _smoke_wheel() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smoke_wheel", ROOT / "packaging/smoke_wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_wheel_holds_package_resources_and_migrations(tmp_path: Path) -> None:
    sw = _smoke_wheel()
    wheel = sw.build_wheel(tmp_path / "dist", quick=True)
    assert sw.wheel_problems(wheel) == []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "gallery_desktop/resources/fonts/DejaVuSans.ttf" in names
    assert "gallery_desktop/catalog/migrations/script.py.mako" in names
    if (ROOT / "resources" / "icons").is_dir():
        assert any(n.startswith("gallery_desktop/resources/icons/") for n in names)
    assert not any("__pycache__" in n or n.startswith(("tests/", "resources/")) for n in names)


def test_the_check_notices_a_missing_resource(tmp_path: Path) -> None:
    sw = _smoke_wheel()
    good = sw.build_wheel(tmp_path / "dist", quick=True)
    bad = tmp_path / good.name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            if not item.filename.endswith("fonts/DejaVuSans.ttf"):
                dst.writestr(item, src.read(item))
    assert sw.wheel_problems(bad) == [
        "missing from the wheel: gallery_desktop/resources/fonts/DejaVuSans.ttf"
    ]
