"""The PostgreSQL engine of a shared catalogue: connection settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine

# A seat that loses power or its network: the server notices within about a minute and frees
# its advisory locks (an import's, the outbox's), instead of the system's two hours.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def make_pg_engine(url: str) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        # UTC sessions: timestamps are stored as naive UTC, as on SQLite, whatever the server's
        # own time zone is.
        connect_args={
            "connect_timeout": 10,
            "application_name": "gallery-desktop",
            "options": "-c timezone=UTC",
            **KEEPALIVES,
        },
    )
