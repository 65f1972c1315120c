"""Shared fixtures: the corpus imported once per session, catalogues and shoots in tmp dirs."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from corpus import CORPUS, MANIFEST
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Media
from gallery_desktop.cli import main_cli
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import HOME_ENV, AppPaths, resolve_paths
from gallery_desktop.seat import open_catalog
from pg_server import PostgresServer

pytest_plugins = ["emulator.pytest_plugin", "pg_plugin"]

SRC: Final = Path(__file__).resolve().parents[1] / "src"
CLI_TIMEOUT: Final = 180

# The test that re-hashes the corpus runs after every other test (see below).
LAST_TESTS: Final = ("test_corpus_originals_unchanged",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.name.split("[", 1)[0] in LAST_TESTS)


# -- running the real CLI ---------------------------------------------------------------------


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a `python -m gallery_desktop` subprocess (source tree importable)."""
    env = {k: v for k, v in os.environ.items() if k != HOME_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra or {})
    return env


def run_cli(
    home: Path | None, *args: str | bytes, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`gallery-desktop [--home HOME] ARGS...` as a real process (stdin closed, no tty)."""
    cmd: list[str | bytes] = [sys.executable, "-m", "gallery_desktop"]
    if home is not None:
        cmd += ["--home", str(home)]
    cmd += list(args)
    return subprocess.run(
        cmd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=cli_env(env),
        timeout=CLI_TIMEOUT,
        check=False,
    )


def json_out(proc: subprocess.CompletedProcess[bytes]) -> Any:
    """The whole of stdout parsed as ONE JSON document (fails on anything else printed)."""
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return json.loads(proc.stdout.decode("utf-8"))


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@dataclass
class InProcessCli:
    """`gallery_desktop.cli.main_cli` with `--home` set and output captured."""

    home: Path

    def __call__(self, *args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = main_cli(["--home", str(self.home), *args], resolve_paths, out, err)
        return CliResult(code, out.getvalue(), err.getvalue())

    @property
    def paths(self) -> AppPaths:
        return AppPaths.at_home(self.home)

    def open_catalog(self) -> Catalog:
        """The catalogue this CLI uses (its seat's choice of engine), opened directly."""
        return open_catalog(self.paths)


@pytest.fixture
def cli(request: pytest.FixtureRequest, catalog_engine: str, tmp_path: Path) -> InProcessCli:
    """The CLI on a home of its own, on each engine: on PostgreSQL the home's seat.json names
    the catalogue (the preference a workstation saves), the `catalog` fixture's if the test
    uses both."""
    home = tmp_path / "home"
    if catalog_engine == "postgresql":
        if "catalog" in request.fixturenames:
            url = request.getfixturevalue("catalog").url
        else:
            opened = open_test_catalog(request, catalog_engine, home)
            url = opened.url
            opened.close()
        home.mkdir(parents=True, exist_ok=True)
        (home / "seat.json").write_text(json.dumps({"catalog_url": url}), encoding="utf-8")
    return InProcessCli(home)


# -- the corpus, imported once ----------------------------------------------------------------


@dataclass
class CorpusImport:
    home: Path
    import_proc: subprocess.CompletedProcess[bytes]
    summaries: list[dict[str, Any]]
    media: list[dict[str, Any]]
    collections: list[dict[str, Any]]
    by_path: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_path = {m["path"]: m for m in self.media}

    @property
    def paths(self) -> AppPaths:
        return AppPaths.at_home(self.home)


@pytest.fixture(scope="session")
def corpus_import(tmp_path_factory: pytest.TempPathFactory) -> CorpusImport:
    """`gallery-desktop import CORPUS --json`, then `media --json` and `collections --json`.

    Imports straight from the read-only corpus folder (nothing is copied).
    """
    if not MANIFEST.is_file():
        pytest.fail(f"the media corpus is missing: {CORPUS}")
    home = tmp_path_factory.mktemp("corpus-home")
    proc = run_cli(home, "import", str(CORPUS), "--json")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    summaries = json.loads(proc.stdout.decode("utf-8"))
    collections = json_out(run_cli(home, "collections", "--json"))
    media = json_out(run_cli(home, "media", CORPUS.name, "--json"))
    return CorpusImport(home, proc, summaries, media, collections)


# -- catalogues and shoot folders in tmp dirs -------------------------------------------------


ENGINES: Final = ("sqlite", "postgresql")
_pg_databases = itertools.count()


def _migrated_template(server: PostgresServer) -> str:
    """A database migrated to head once per session: each test's catalogue is a copy of it."""
    name = "catalog_template"
    if getattr(server, "template_ready", False):
        return name
    server.drop_database(name)  # a half-made one from a failed attempt
    server.create_database(name)
    try:
        Catalog(server.url(name)).close()
    except BaseException:
        server.drop_database(name)
        raise
    server.template_ready = True  # type: ignore[attr-defined]
    return name


def open_test_catalog(request: pytest.FixtureRequest, engine: str, home: Path) -> Catalog:
    """A new, empty catalogue on `engine`: an SQLite file in `home`, or a fresh PostgreSQL
    database (a copy of the migrated template) on the session's server."""
    if engine == "sqlite":
        return Catalog(home / "catalog.sqlite")
    server: PostgresServer = request.getfixturevalue("pg_server")
    template = _migrated_template(server)
    name = f"cat_{os.getpid()}_{next(_pg_databases)}"
    server.create_database(name, template=template)
    request.addfinalizer(lambda: server.drop_database(name))
    return Catalog(server.url(name), backup_dir=home / "backups")


@pytest.fixture(params=ENGINES)
def catalog_engine(request: pytest.FixtureRequest) -> str:
    """The catalogue engine a test runs on: every catalogue test runs on both."""
    return str(request.param)


@pytest.fixture
def catalog(
    request: pytest.FixtureRequest, catalog_engine: str, tmp_path: Path
) -> Iterator[Catalog]:
    cat = open_test_catalog(request, catalog_engine, tmp_path / "home")
    try:
        yield cat
    finally:
        cat.close()


@pytest.fixture
def sqlite_catalog(tmp_path: Path) -> Iterator[Catalog]:
    """For tests of what only the embedded file has (pragmas, file backups, the file itself)."""
    cat = Catalog(tmp_path / "home" / "catalog.sqlite")
    try:
        yield cat
    finally:
        cat.close()


@pytest.fixture
def cache(tmp_path: Path) -> ThumbnailCache:
    return ThumbnailCache(tmp_path / "home" / "cache" / "thumbnails")


def copy_from_corpus(rel: str, target: Path | bytes) -> None:
    """Copy one corpus file (content only: the copy is writable and gets a fresh mtime)."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / rel, target)


# What `make_shoot` puts where: relative path in the shoot → corpus file.
SHOOT_MEDIA: Final = {
    "cover.jpg": "photos/exif/flower.jpg",
    "Ceremony/a.jpg": "photos/exif/Reagan.jpg",
    "Ceremony/deep/er/b.jpg": "photos/exif/smiley2.jpg",
    "Party/c.jpg": "photos/exif/exiv2-gc.jpg",
    "Party/clip.mp4": "video/small_video.mp4",
}
SHOOT_GALLERIES: Final = {
    "cover.jpg": "Highlights",
    "Ceremony/a.jpg": "Ceremony",
    "Ceremony/deep/er/b.jpg": "Ceremony",
    "Party/c.jpg": "Party",
    "Party/clip.mp4": "Party",
}
# Not media: sidecars, system files, hidden files and folders, documents.
SHOOT_OTHER: Final = (
    "Ceremony/a.jpg.xmp",
    "Ceremony/a.xmp",
    "Party/Thumbs.db",
    "Party/.hidden.jpg",
    "Party/._c.jpg",
    ".DS_Store",
    "desktop.ini",
    "notes.txt",
    ".thumbnails/x.jpg",
)


def make_shoot(parent: Path, name: str = "Wedding") -> Path:
    """A small shoot folder: media in the root, first-level and deeper folders, plus clutter."""
    shoot = parent / name
    for rel, src in SHOOT_MEDIA.items():
        copy_from_corpus(src, shoot / rel)
    for rel in SHOOT_OTHER:
        p = shoot / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".jpg"):
            copy_from_corpus("photos/exif/exiv2-sony-dsc-w7.jpg", p)
        else:
            p.write_bytes(b"<x:xmpmeta/>\n" if rel.endswith(".xmp") else b"not media\n")
    return shoot


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    return make_shoot(tmp_path / "shoots")


def set_culling(
    catalog: Catalog,
    media_id: int,
    *,
    rating: int = 4,
    pick: str | None = "picked",
    label: str | None = "red",
) -> None:
    with catalog.write() as session:
        m = session.get(Media, media_id)
        assert m is not None
        m.rating, m.pick, m.label = rating, pick, label
        session.add(m)
