"""A collection's print store: on/off, currency, minimum order and the price sheet.

The price sheet is a list of products, each with its sizes and prices, kept as JSON in
`storesettings`; money is whole cents everywhere (no floats), parsed from "12.50" or "12,50".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.errors import BadInputError

CURRENCIES: Final = ("EUR", "USD", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "JPY")
MAX_PRODUCTS: Final = 100
MAX_SIZES: Final = 50
MAX_CENTS: Final = 100_000_000  # a million in any currency: a typo, not a price
_SYMBOLS: Final = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


@dataclass(frozen=True)
class PriceSize:
    label: str  # "8×10", "A4", "Digital file"
    price_cents: int


@dataclass(frozen=True)
class Product:
    name: str  # "Fine art print", "Canvas"
    sizes: tuple[PriceSize, ...]


@dataclass(frozen=True)
class Store:
    enabled: bool = False
    currency: str = "EUR"
    minimum_order_cents: int = 0
    products: tuple[Product, ...] = ()

    def price_sheet(self) -> list[dict[str, Any]]:
        return [
            {
                "name": p.name,
                "sizes": [{"label": s.label, "price_cents": s.price_cents} for s in p.sizes],
            }
            for p in self.products
        ]


_AMOUNT = re.compile(r"(\d{1,9})(?:[.,](\d{1,2}))?")


def parse_money(value: str) -> int:
    """'12.50', '12,50', '€12' → 1250 cents; a clear ValueError otherwise. No thousands
    separators ('1,000' could mean one euro or a thousand: it is refused), no exponents."""
    v = re.sub(r"[\s€$£¥]", "", value)
    match = _AMOUNT.fullmatch(v)
    if match is None:
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+([.,]\d{1,2})?", v):
            raise ValueError(f"{value!r}: write the amount without a thousands separator")
        raise ValueError(f"{value!r} is not an amount (write it like 12.50)")
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    cents = int(whole) * 100 + int(fraction)
    if cents > MAX_CENTS:
        raise ValueError(f"{value!r} is more than {MAX_CENTS // 100}")
    return cents


def format_money(cents: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency)
    amount = f"{cents / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def check_store(store: Store) -> Store:
    problems: list[str] = []
    currency = store.currency.strip().upper()
    if currency not in CURRENCIES:
        problems.append(f"currency {store.currency!r}: use one of {', '.join(CURRENCIES)}")
    if not 0 <= store.minimum_order_cents <= MAX_CENTS:
        problems.append("the minimum order must be between 0 and 1,000,000")
    if len(store.products) > MAX_PRODUCTS:
        problems.append(f"at most {MAX_PRODUCTS} products")
    products: list[Product] = []
    names: set[str] = set()
    for n, product in enumerate(store.products, 1):
        name = " ".join(product.name.split())
        if not name or len(name) > 80:
            problems.append(f"product {n} needs a name of 1 to 80 characters")
        elif name.lower() in names:
            problems.append(f"product {name!r} is listed twice")
        names.add(name.lower())
        if not product.sizes:
            problems.append(f"product {name or n!r} has no size and price")
        if len(product.sizes) > MAX_SIZES:
            problems.append(f"product {name!r} has more than {MAX_SIZES} sizes")
        sizes: list[PriceSize] = []
        labels: set[str] = set()
        for size in product.sizes:
            label = " ".join(size.label.split())
            if not label or len(label) > 40:
                problems.append(f"{name!r}: each size needs a label of 1 to 40 characters")
            elif label.lower() in labels:
                problems.append(f"{name!r}: size {label!r} is listed twice")
            labels.add(label.lower())
            if not 0 <= size.price_cents <= MAX_CENTS:
                problems.append(f"{name!r} {label!r}: the price must be between 0 and 1,000,000")
            sizes.append(PriceSize(label, size.price_cents))
        products.append(Product(name, tuple(sizes)))
    if store.enabled and not products:
        problems.append("a store that is on needs at least one product in its price sheet")
    if problems:
        raise BadInputError("store not saved: " + "; ".join(problems))
    return Store(store.enabled, currency, store.minimum_order_cents, tuple(products))


def _products(data: Any) -> tuple[Product, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(
        Product(
            str(p.get("name", "")),
            tuple(
                PriceSize(str(s.get("label", "")), int(s.get("price_cents", 0)))
                for s in p.get("sizes", [])
                if isinstance(s, dict)
            ),
        )
        for p in data
        if isinstance(p, dict)
    )


def read_store(catalog: Catalog, collection_id: int) -> Store:
    with catalog.engine.connect() as conn:
        enabled = conn.execute(
            text("SELECT store_enabled FROM collection WHERE id = :c"), {"c": collection_id}
        ).scalar()
        if enabled is None:
            raise BadInputError(f"no collection with id {collection_id}")
        row = conn.execute(
            text(
                "SELECT currency, minimum_order_cents, price_sheet_json FROM storesettings "
                "WHERE collection_id = :c"
            ),
            {"c": collection_id},
        ).first()
    if row is None:
        return Store(enabled=bool(enabled))
    return Store(
        bool(enabled),
        row.currency,
        int(row.minimum_order_cents),
        _products(json.loads(row.price_sheet_json or "[]")),
    )


def write_store(conn: Connection, collection_id: int, store: Store) -> None:
    """Save the store (checked) in the caller's transaction. `collection.store_enabled` is
    the switch; `storesettings.enabled` mirrors it."""
    store = check_store(store)
    now = utcnow().replace(tzinfo=None)
    conn.execute(
        text("UPDATE collection SET store_enabled = :e, updated_at = :now WHERE id = :c"),
        {"e": store.enabled, "c": collection_id, "now": now},
    )
    params = {
        "c": collection_id,
        "e": store.enabled,
        "cur": store.currency,
        "m": store.minimum_order_cents,
        "p": json.dumps(store.price_sheet(), ensure_ascii=False),
        "now": now,
    }
    done = conn.execute(
        text(
            "UPDATE storesettings SET enabled = :e, currency = :cur, minimum_order_cents = :m, "
            "price_sheet_json = :p, updated_at = :now WHERE collection_id = :c"
        ),
        params,
    )
    if not done.rowcount:
        conn.execute(
            text(
                "INSERT INTO storesettings (collection_id, enabled, currency, "
                "minimum_order_cents, price_sheet_json, updated_at) "
                "VALUES (:c, :e, :cur, :m, :p, :now)"
            ),
            params,
        )


def save_store(catalog: Catalog, collection_id: int, store: Store) -> None:
    with catalog.write_conn() as conn:
        write_store(conn, collection_id, store)


def parse_price_list(lines: Sequence[str]) -> tuple[Product, ...]:
    """`Product: size=price, size=price` lines (the CLI's form) → products."""
    products: list[Product] = []
    for line in lines:
        name, colon, rest = line.partition(":")
        if not colon:
            raise BadInputError(f"{line!r}: write a product as 'Name: 8x10=25.00, 11x14=40'")
        sizes: list[PriceSize] = []
        for part in (p for p in rest.split(",") if p.strip()):
            label, eq, price = part.partition("=")
            if not eq:
                raise BadInputError(f"{part.strip()!r} in {name.strip()!r}: write size=price")
            try:
                sizes.append(PriceSize(label.strip(), parse_money(price)))
            except ValueError as exc:
                raise BadInputError(f"{name.strip()!r}: {exc}") from None
        products.append(Product(name.strip(), tuple(sizes)))
    return tuple(products)
