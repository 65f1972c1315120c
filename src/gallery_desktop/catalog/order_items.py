"""A store order's items (`storeorder.items_json`, as the service sends them) read for people:
how many pieces, and a summary like "2 × Print 8x10, 1 × Canvas"."""

from __future__ import annotations

import json
from typing import Any


def _quantity(item: Any) -> int:
    """An item's pieces: its quantity (a whole number, at least 0), 1 when it names none."""
    raw = item.get("quantity") if isinstance(item, dict) else None
    if raw is None:
        return 1
    try:
        return max(int(float(raw)), 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def order_items(items_json: Any) -> tuple[int, str]:
    """An order's pieces and its summary ("2 × Print 8x10, 1 × Canvas"); a malformed or
    non-array items_json counts as no items, not an error. (Parsed here, not in SQL: an
    order's items are a handful, and the two engines' JSON functions differ.)"""
    try:
        items = json.loads(items_json) if isinstance(items_json, str) else items_json
    except ValueError:
        return 0, ""
    if not isinstance(items, list):
        return 0, ""
    pieces, parts = 0, []
    for item in items:
        quantity = _quantity(item)
        pieces += quantity
        product = item.get("product") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        words = [f"{quantity} × {_text(product) or 'item'}"]
        if _text(size):
            words.append(_text(size))
        parts.append(" ".join(words))
    return pieces, ", ".join(parts)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return "" if value is None else json.dumps(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
