"""Layering: only `gallery_desktop.ui` may use Qt; the core runs headless."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Final

from conftest import SRC, cli_env

PACKAGE: Final = SRC / "gallery_desktop"
QT_MODULES: Final = ("PySide6", "shiboken6")


def _is_qt(name: str | None) -> bool:
    return name is not None and name.split(".", 1)[0] in QT_MODULES


def qt_imports(source: str, filename: str = "<string>") -> list[str]:
    """Every Qt import in a module, wherever it sits (top level, function, try block),
    including `importlib.import_module("PySide6...")` and `__import__("PySide6...")`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [
                f"{filename}:{node.lineno}: import {a.name}" for a in node.names if _is_qt(a.name)
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and _is_qt(node.module):
                found.append(f"{filename}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and _is_qt(arg.value)
            ):
                found.append(f"{filename}:{node.lineno}: {name}({arg.value!r})")
    return found


def _core_modules() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [p for p in files if "ui" not in p.relative_to(PACKAGE).parts[:1]]


def test_no_module_outside_ui_imports_qt() -> None:
    modules = _core_modules()
    assert len(modules) > 20  # the walk really found the package
    offenders = [
        hit
        for path in modules
        for hit in qt_imports(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    ]
    assert offenders == []


def test_the_checker_catches_every_form_of_qt_import() -> None:
    snippets = [
        "import PySide6",
        "import PySide6.QtCore as qc",
        "from PySide6.QtWidgets import QApplication",
        "def f():\n    from PySide6 import QtGui",
        "try:\n    import shiboken6\nexcept ImportError:\n    pass",
        "import importlib\nimportlib.import_module('PySide6.QtCore')",
        "__import__('PySide6')",
    ]
    for snippet in snippets:
        assert qt_imports(snippet), snippet
    assert qt_imports("import os\nfrom . import ui\nfrom gallery_desktop.ui import x") == []


def test_importing_the_whole_core_does_not_load_qt() -> None:
    """Transitively too: importing every core module (and running the CLI parser) in a fresh
    interpreter leaves PySide6 unloaded."""
    names = [
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in _core_modules()
        if "migrations" not in p.parts and p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "import gallery_desktop.__main__\n"
        "from gallery_desktop.cli import build_parser\n"
        "build_parser().parse_args(['collections'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
