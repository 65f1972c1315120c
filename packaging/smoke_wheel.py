"""`make wheel-check`: build the wheel, check what is inside it, install it into a clean venv
and run the installed `gallery-desktop` (--version, a CLI import of a corpus folder, the
catalogue's listing) in a temporary home.

tests/test_wheel.py reuses `wheel_problems()` on a wheel built without the clean-venv install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CORPUS", ROOT.parent / "shared" / "corpus"))
MIGRATION_FILES = ("env.py", "script.py.mako")


def project_version(root: Path = ROOT) -> str:
    with open(root / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def expected_files(root: Path = ROOT) -> set[str]:
    """What the wheel must hold: every module of the package, every file of resources/
    (fonts, icons, ...) under gallery_desktop/resources/, the Alembic scripts, py.typed."""
    want: set[str] = set()
    src = root / "src"
    for path in (src / "gallery_desktop").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".mako"):
            want.add(path.relative_to(src).as_posix())
    for path in (root / "resources").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            want.add("gallery_desktop/resources/" + path.relative_to(root / "resources").as_posix())
    want.add("gallery_desktop/py.typed")
    want.update(f"gallery_desktop/catalog/migrations/{name}" for name in MIGRATION_FILES)
    return want


def wheel_problems(wheel: Path, root: Path = ROOT) -> list[str]:
    """Empty when the wheel holds everything `expected_files` names (and some migrations)."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    problems = [f"missing from the wheel: {name}" for name in sorted(expected_files(root) - names)]
    versions = [n for n in names if n.startswith("gallery_desktop/catalog/migrations/versions/")]
    if not versions:
        problems.append("no Alembic migration in the wheel")
    if not any(n.startswith("gallery_desktop/resources/fonts/") for n in names):
        problems.append("no fonts in the wheel")
    version = project_version(root)
    if not any(n == f"gallery_desktop-{version}.dist-info/METADATA" for n in names):
        problems.append(f"no gallery_desktop-{version}.dist-info/METADATA")
    return problems


def build_wheel(outdir: Path, *, quick: bool = False) -> Path:
    """`python -m build --wheel` (isolated); quick: `pip wheel --no-deps` (same backend)."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    if quick:
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(outdir)]
        subprocess.run([*cmd, str(ROOT)], check=True)
    else:
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(ROOT)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    (wheel,) = outdir.glob("gallery_desktop-*.whl")
    return wheel


def run(cmd: list[str], **kw: object) -> str:
    print("wheel-check: $", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout  # type: ignore[call-overload,no-any-return]


def main() -> int:
    work = ROOT / "build" / "wheel-check"
    wheel = build_wheel(work / "dist")
    print(f"wheel-check: built {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB)")
    problems = wheel_problems(wheel)
    for p in problems:
        print("wheel-check: FAIL:", p, file=sys.stderr)
    if problems:
        return 1
    print(f"wheel-check: contents ok ({len(expected_files())} required files present)")

    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    py, app = venv / "bin" / "python", venv / "bin" / "gallery-desktop"
    run([str(py), "-m", "pip", "install", "--quiet", str(wheel)])
    got = run([str(app), "--version"]).strip()
    if got != f"gallery-desktop {project_version()}":
        print(f"wheel-check: FAIL: --version said {got!r}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("GALLERY_DESKTOP_HOME", None)
        home = str(Path(tmp) / "catalogue")
        summary = json.loads(
            run(
                [str(app), "--home", home, "import", str(CORPUS / "photos/exif"), "--json"], env=env
            )
        )
        cols = json.loads(run([str(app), "--home", home, "collections", "--json"], env=env))
        run([str(app), "--home", home, "check"], env=env, cwd=tmp)
    first = summary[0]
    if first["errors"] or first["files"] != 24 or first["thumbnails"] != 24:
        print(f"wheel-check: FAIL: import summary {summary}", file=sys.stderr)
        return 1
    if [(c["name"], c["photos"]) for c in cols] != [("exif", 24)]:
        print(f"wheel-check: FAIL: collections {cols}", file=sys.stderr)
        return 1
    print("wheel-check: all ok: the wheel installs into a clean venv, --version and import work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
