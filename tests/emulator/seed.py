"""Client activity for a collection (what the photographer's clients did), so pull has data.

`POST /_emulator/seed` takes counts, or explicit lists for exact assertions:
`{"collection_id": N, "clients": 2 | [{"email", "name", "access_level"?, "access"?}],
"favorites": 2 | [{"client_email", "name"?, "media_ids": [...], "notes"?: {...}}], "items": 3,
"downloads": 3, "visitors": 2, "sharing_links": 1, "starred": 0, "store_orders": 0 |
[{"client_email", "client_name"?, "status"?, "created_at"?, "items": [{"media_id", "product"?,
"size"?, "quantity"?, "price_cents"?}]}], "seed": 7}`. Media come from the collection; an
order's currency is the store's, its total the sum of its items.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import time
from typing import Any, Final

from emulator.state import State, now_iso
from emulator.validate import ApiError

NAMES: Final = (
    "Ada Moreau",
    "Ben Okafor",
    "Chloé Martin",
    "Dev Patel",
    "Elena Rossi",
    "Finn Larsen",
    "Grace Kim",
    "Hugo Silva",
)
ACCESS: Final = ("view", "favourite", "download")
SIZES: Final = ("original", "high", "web_2048", "web_1024", "web_640")
COUNTS: Final = {
    "clients": 2,
    "favorites": 2,
    "items": 3,
    "downloads": 3,
    "visitors": 2,
    "sharing_links": 1,
    "starred": 0,
    "store_orders": 0,
}
ORDER_STATUSES: Final = ("pending", "paid", "fulfilled", "cancelled", "refunded")
PRODUCTS: Final = (
    ("Fine art print", "8x10", 2500),
    ("Fine art print", "A4", 3200),
    ("Canvas", "20x30", 12000),
)
KEYS: Final = frozenset({"collection_id", "seed", *COUNTS})


def _count(spec: dict[str, Any], name: str) -> int:
    value = spec.get(name, COUNTS[name])
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise ApiError(422, f"{name} must be a count from 0 to 10000", fields={name: ["bad count"]})
    return value


class Seeder:
    def __init__(self, state: State, collection_id: int, seed: int | None) -> None:
        self.state = state
        self.collection_id = collection_id
        self.rng = random.Random(seed) if seed is not None else random.Random()
        self.media = state.all(
            "SELECT m.* FROM media m JOIN galleries g ON g.id = m.gallery_id "
            "WHERE g.collection_id = ? ORDER BY m.seq",
            collection_id,
        )
        self.created: dict[str, list[int]] = {
            "clients": [],
            "favorites": [],
            "downloads": [],
            "visitors": [],
            "sharing_links": [],
            "starred": [],
            "store_orders": [],
        }

    def when(self) -> str:
        return now_iso(time.time() - self.rng.uniform(60, 30 * 24 * 3600))

    def insert(self, table: str, values: dict[str, Any]) -> int:
        new_id = self.state.new_id(table)
        row = {"id": new_id, "seq": self.state.next_seq(), **values}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.state.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
        )
        return new_id

    def client(
        self, email: str, name: str, access_level: str = "guest", access: str = "view"
    ) -> int:
        existing = self.state.one(
            "SELECT id FROM clients WHERE collection_id = ? AND lower(email) = lower(?)",
            self.collection_id,
            email,
        )
        if existing is not None:
            return int(existing["id"])
        new_id = self.insert(
            "clients",
            {
                "collection_id": self.collection_id,
                "email": email,
                "name": name,
                "access_level": access_level,
                "access": access,
                "last_accessed": self.when(),
            },
        )
        self.created["clients"].append(new_id)
        return new_id

    def clients(self, spec: Any) -> list[sqlite3.Row]:
        if isinstance(spec, list):
            for entry in spec:
                if not isinstance(entry, dict) or not isinstance(entry.get("email"), str):
                    raise ApiError(422, "clients entries need an email", fields={"clients": ["?"]})
                level = entry.get("access_level", "guest")
                access = entry.get("access", "view")
                if level not in ("guest", "exclusive") or access not in ACCESS:
                    raise ApiError(
                        422,
                        "access_level: guest or exclusive; access: view, favourite or download",
                        fields={"clients": ["?"]},
                    )
                self.client(entry["email"], str(entry.get("name", entry["email"])), level, access)
        else:
            start = int(
                self.state.scalar(
                    "SELECT count(*) FROM clients WHERE collection_id = ?", self.collection_id
                )
            )
            for n in range(start, start + _count({"clients": spec}, "clients")):
                name = NAMES[n % len(NAMES)]
                email = f"{name.split()[0].lower()}.{n + 1}@clients.example.com"
                self.client(email, name, self.rng.choice(("guest", "exclusive")))
        return self.state.all(
            "SELECT * FROM clients WHERE collection_id = ? ORDER BY seq", self.collection_id
        )

    def favorite_list(self, client_id: int, name: str, media_ids: list[int], notes: Any) -> None:
        list_id = self.insert(
            "favorite_lists",
            {
                "collection_id": self.collection_id,
                "client_id": client_id,
                "name": name,
                "created_at": self.when(),
            },
        )
        for media_id in dict.fromkeys(media_ids):
            note = notes.get(str(media_id)) if isinstance(notes, dict) else None
            self.state.db.execute(
                "INSERT INTO favorite_items (list_id, media_id, note, created_at) "
                "VALUES (?, ?, ?, ?)",
                (list_id, media_id, note, self.when()),
            )
        self.created["favorites"].append(list_id)

    def favorites(self, spec: Any, clients: list[sqlite3.Row], items: int) -> None:
        ours = {row["id"] for row in self.media}
        if isinstance(spec, list):
            for entry in spec:
                email = entry.get("client_email") if isinstance(entry, dict) else None
                media_ids = entry.get("media_ids", []) if isinstance(entry, dict) else None
                if not isinstance(email, str) or not isinstance(media_ids, list):
                    raise ApiError(
                        422,
                        "favorites entries need client_email and media_ids",
                        fields={"favorites": ["need client_email and media_ids"]},
                    )
                foreign = [m for m in media_ids if m not in ours]
                if foreign:
                    raise ApiError(
                        422,
                        f"media not in this collection: {foreign}",
                        fields={"favorites": ["media_ids must belong to the collection"]},
                    )
                client_id = self.client(email, str(entry.get("client_name", email)))
                name = str(entry.get("name", "Favorites"))
                self.favorite_list(client_id, name, media_ids, entry.get("notes"))
            return
        count = _count({"favorites": spec}, "favorites")
        if count and not clients:
            clients = self.clients(1)
        photos = [row["id"] for row in self.media if row["kind"] == "photo"]
        for n in range(count):
            client = clients[n % len(clients)]
            chosen = self.rng.sample(photos, min(items, len(photos)))
            label = "Favorites" if n < len(clients) else f"Album picks {n + 1}"
            self.favorite_list(client["id"], label, chosen, None)

    def downloads(self, count: int, clients: list[sqlite3.Row]) -> None:
        if not self.media:
            return
        for _ in range(count):
            media = self.rng.choice(self.media)
            email = self.rng.choice(clients)["email"] if clients else "guest@clients.example.com"
            self.created["downloads"].append(
                self.insert(
                    "downloads",
                    {
                        "collection_id": self.collection_id,
                        "media_id": media["id"],
                        "client_email": email,
                        "size": self.rng.choice(SIZES),
                        "kind": media["kind"],
                        "downloaded_at": self.when(),
                    },
                )
            )

    def visitors(self, count: int) -> None:
        for _ in range(count):
            email = f"visitor.{secrets.token_hex(3)}@visitors.example.com"
            self.created["visitors"].append(
                self.insert(
                    "visitors",
                    {
                        "collection_id": self.collection_id,
                        "email": email,
                        "visited_at": self.when(),
                    },
                )
            )

    def sharing_links(self, count: int) -> None:
        for media in self.rng.sample(self.media, min(count, len(self.media))):
            self.created["sharing_links"].append(
                self.insert(
                    "sharing_links",
                    {
                        "collection_id": self.collection_id,
                        "media_id": media["id"],
                        "url": f"https://emulator.pixieset.com/s/{secrets.token_urlsafe(9)}",
                        "expires_at": None,
                        "revoked": 0,
                    },
                )
            )

    def order(self, entry: dict[str, Any]) -> None:
        ours = {row["id"] for row in self.media}
        items = []
        for raw in entry.get("items") or []:
            media_id = raw.get("media_id") if isinstance(raw, dict) else None
            if media_id not in ours:
                raise ApiError(
                    422,
                    f"order item media not in this collection: {media_id}",
                    fields={"store_orders": ["items need media_id of the collection"]},
                )
            product, size, price = self.rng.choice(PRODUCTS)
            items.append(
                {
                    "media_id": media_id,
                    "product": str(raw.get("product", product)),
                    "size": str(raw.get("size", size)),
                    "quantity": int(raw.get("quantity", 1)),
                    "price_cents": int(raw.get("price_cents", price)),
                }
            )
        status = entry.get("status", "paid")
        if not items or status not in ORDER_STATUSES:
            raise ApiError(
                422,
                f"an order needs items, and a status of {', '.join(ORDER_STATUSES)}",
                fields={"store_orders": ["items and status"]},
            )
        store = json.loads(
            self.state.scalar("SELECT store FROM collections WHERE id = ?", self.collection_id)
        )
        email = str(entry.get("client_email") or "buyer@clients.example.com")
        self.created["store_orders"].append(
            self.insert(
                "store_orders",
                {
                    "collection_id": self.collection_id,
                    "client_email": email,
                    "client_name": str(entry.get("client_name", email.split("@")[0])),
                    "created_at": str(entry.get("created_at") or self.when()),
                    "currency": store.get("currency", "USD"),
                    "total_cents": sum(i["quantity"] * i["price_cents"] for i in items),
                    "status": status,
                    "items": json.dumps(items),
                },
            )
        )

    def store_orders(self, spec: Any, clients: list[sqlite3.Row]) -> None:
        if isinstance(spec, list):
            for entry in spec:
                if not isinstance(entry, dict):
                    raise ApiError(422, "orders are objects", fields={"store_orders": ["?"]})
                self.order(entry)
            return
        photos = [row["id"] for row in self.media if row["kind"] == "photo"]
        for _ in range(_count({"store_orders": spec}, "store_orders")):
            if not photos:
                return
            buyer = self.rng.choice(clients) if clients else None
            chosen = self.rng.sample(photos, min(len(photos), self.rng.randint(1, 3)))
            self.order(
                {
                    "client_email": buyer["email"] if buyer else None,
                    "client_name": buyer["name"] if buyer else "Guest buyer",
                    "items": [{"media_id": m, "quantity": self.rng.randint(1, 3)} for m in chosen],
                }
            )

    def starred(self, count: int) -> None:
        for media in self.rng.sample(self.media, min(count, len(self.media))):
            self.state.db.execute("UPDATE media SET starred = 1 WHERE id = ?", (media["id"],))
            self.created["starred"].append(media["id"])


def seed_activity(state: State, spec: Any) -> dict[str, list[int]]:
    """Add client activity to one collection; answers the ids created, by kind."""
    if not isinstance(spec, dict) or not isinstance(spec.get("collection_id"), int):
        raise ApiError(422, "collection_id is required", fields={"collection_id": ["required"]})
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise ApiError(422, f"unknown fields: {unknown}", fields={k: ["unknown"] for k in unknown})
    if state.collection(spec["collection_id"]) is None:
        raise ApiError(404, "collection not found")
    seed = spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ApiError(422, "seed must be a whole number", fields={"seed": ["not a number"]})
    seeder = Seeder(state, spec["collection_id"], seed)
    with state.transaction():
        clients = seeder.clients(spec.get("clients", COUNTS["clients"]))
        seeder.favorites(spec.get("favorites", COUNTS["favorites"]), clients, _count(spec, "items"))
        seeder.downloads(_count(spec, "downloads"), clients)
        seeder.visitors(_count(spec, "visitors"))
        seeder.sharing_links(_count(spec, "sharing_links"))
        seeder.starred(_count(spec, "starred"))
        seeder.store_orders(spec.get("store_orders", COUNTS["store_orders"]), clients)
        state.touch_collection(spec["collection_id"])
    return seeder.created
