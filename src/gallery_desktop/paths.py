"""Where the catalogue, the thumbnail cache, logs and settings live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

APP_NAME = "gallery-desktop"
HOME_ENV = "GALLERY_DESKTOP_HOME"


@dataclass(frozen=True)
class AppPaths:
    """Every location the app writes to. One `home` puts all of them in one folder."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path
    config_dir: Path

    @property
    def catalog_file(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def thumbnail_dir(self) -> Path:
        return self.cache_dir / "thumbnails"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "gallery-desktop.log"

    def ensure(self) -> AppPaths:
        for d in (self.data_dir, self.cache_dir, self.log_dir, self.config_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def at_home(cls, home: str | os.PathLike[str]) -> AppPaths:
        """Portable layout: everything under one folder (tests, USB-stick use, `--home`)."""
        root = Path(home).expanduser().resolve()
        return cls(
            data_dir=root,
            cache_dir=root / "cache",
            log_dir=root / "logs",
            config_dir=root,
        )

    @classmethod
    def platform_default(cls) -> AppPaths:
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        )


def resolve_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """`--home` wins, then the GALLERY_DESKTOP_HOME variable, then the platform's folders."""
    if home:
        return AppPaths.at_home(home)
    env = os.environ.get(HOME_ENV)
    if env:
        return AppPaths.at_home(env)
    return AppPaths.platform_default()


def resource(*parts: str) -> Traversable:
    """A file or folder that ships with the app, e.g. resource("fonts", "DejaVuSans.ttf").

    The top-level resources/ folder is installed as the package gallery_desktop.resources."""
    node = files("gallery_desktop.resources")
    for part in parts:
        node = node / part
    return node
