"""Timestamps from the service as the catalogue stores them."""

from __future__ import annotations

from datetime import UTC, datetime


def when(value: object) -> datetime | None:
    """An ISO timestamp from the server as the catalogue stores it (naive UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.replace(tzinfo=None)
