"""Alembic environment: migrations always run on a connection the app hands in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import gallery_desktop.catalog.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("gallery-desktop migrations run through Catalog, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
