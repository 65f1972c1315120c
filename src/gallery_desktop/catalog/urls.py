"""Where a catalogue is: an SQLite file, or a database URL (PostgreSQL for a studio)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gallery_desktop.errors import CatalogError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and "://" in location


def check_url(url: str) -> str:
    """The URL, if it names an engine we support; CatalogError explains anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatalogError(f"{url!r} is not a catalogue URL: {exc}") from None
    if parsed.get_backend_name() == SQLITE:
        if not parsed.database:
            raise CatalogError(
                "an SQLite catalogue URL needs a file: sqlite:////path/catalog.sqlite"
            )
        return url
    if parsed.get_backend_name() != POSTGRESQL:
        raise CatalogError(
            f"{parsed.get_backend_name()!r} catalogues are not supported: use an SQLite file "
            "or postgresql+psycopg://USER@HOST/DATABASE"
        )
    if parsed.get_driver_name() not in ("psycopg", "psycopg2") and parsed.drivername != POSTGRESQL:
        raise CatalogError(
            f"use the psycopg driver: postgresql+psycopg://… (not {parsed.drivername})"
        )
    if not parsed.database:
        raise CatalogError(
            "the PostgreSQL URL names no database: postgresql+psycopg://HOST/DATABASE"
        )
    return str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))


def display_url(url: str) -> str:
    """The URL without its password (for logs, titles and messages)."""
    return make_url(url).render_as_string(hide_password=True)
