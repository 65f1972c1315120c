"""What a client will experience: the service's `before_show` and `before_download_settings`
checks as local rules, from the catalogue alone (so they work offline, and the same rules can
decide what a sync pushes). Pure functions of a settings snapshot, plus one reader."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError

SIZES: Final = ("original", "high", "web2048", "web1024", "web640")
SIZE_LABELS: Final = {
    "original": "Original",
    "high": "High (3600 px)",
    "web2048": "Web 2048 px",
    "web1024": "Web 1024 px",
    "web640": "Web 640 px",
}


@dataclass(frozen=True)
class GalleryRules:
    id: int
    name: str
    private: bool
    photos: int  # ok media in it
    # A gallery's own download choice: keys downloadable / sizes / watermarked (absent: follow)
    override: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliverySettings:
    """The part of a collection that decides what clients see and may download."""

    name: str
    status: str
    password: str | None
    expiry_date: str | None
    downloadable: bool
    sizes: tuple[str, ...]
    pin: str | None
    watermarked: bool
    client_exclusive: bool
    galleries: tuple[GalleryRules, ...]
    clients: dict[str, str] = field(default_factory=dict)  # email → access level
    single: bool = True  # one photo at a time
    bulk: bool = True  # a whole gallery or collection as a zip
    limit: int | None = None  # downloads per client
    reminder_days: int | None = None  # expiry reminder, days before
    visitor_email_capture: bool = False


@dataclass(frozen=True)
class ShowVerdict:
    visible: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"visible": self.visible, "reason": self.reason}


@dataclass(frozen=True)
class DownloadVerdict:
    downloadable: bool
    sizes: tuple[str, ...]
    pin_required: bool
    watermarked: bool
    reason: str
    single: bool = True
    bulk: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "downloadable": self.downloadable,
            "sizes": list(self.sizes),
            "pin_required": self.pin_required,
            "watermarked": self.watermarked,
            "single": self.single,
            "bulk": self.bulk,
            "reason": self.reason,
        }


def before_show(s: DeliverySettings, today: date) -> ShowVerdict:
    """Would a client see this collection now, and if not, why (first reason that applies)."""
    if s.status == "draft":
        return ShowVerdict(False, "it is a draft: publish it to show it to clients")
    if s.status == "hidden":
        return ShowVerdict(False, "it is hidden")
    if s.expiry_date and s.expiry_date < today.isoformat():
        return ShowVerdict(False, f"it expired on {s.expiry_date}")
    public = [g for g in s.galleries if not g.private]
    if not any(g.photos for g in s.galleries):
        return ShowVerdict(False, "it has no photos or videos")
    if not any(g.photos for g in public):
        return ShowVerdict(False, "every gallery with photos is private")
    if s.password:
        return ShowVerdict(True, "visible to clients who enter the password")
    return ShowVerdict(True, "visible to anyone with the link")


def before_download_settings(
    s: DeliverySettings,
    today: date,
    *,
    gallery_id: int | None = None,
    client: str | None = None,
) -> DownloadVerdict:
    """The effective download permissions for a client (or a guest) in a gallery (or the
    collection), after every override: collection, then gallery, then the client's access."""
    downloadable, sizes, watermarked = s.downloadable, s.sizes, s.watermarked
    reason = "downloads are on" if downloadable else "downloads are off for the collection"
    if gallery_id is not None:
        gallery = next((g for g in s.galleries if g.id == gallery_id), None)
        if gallery is None:
            raise BadInputError(f"no gallery with id {gallery_id} in collection {s.name!r}")
        o = gallery.override
        if "downloadable" in o:
            downloadable = bool(o["downloadable"])
            reason = f"gallery {gallery.name!r} turns downloads {'on' if downloadable else 'off'}"
        if "sizes" in o:
            sizes = tuple(v for v in SIZES if v in o["sizes"])
        if "watermarked" in o:
            watermarked = bool(o["watermarked"])
    level = s.clients.get(client.strip().lower()) if client is not None else None
    if level is None and s.client_exclusive and downloadable:
        # (a guest, or someone not on the list: exclusive access keeps them out)
        downloadable, reason = False, "only the collection's own clients may download"
    elif level is not None and level != "download" and downloadable:
        downloadable, reason = False, f"{client} may {level}, not download"
    if not before_show(s, today).visible:
        downloadable, reason = False, "clients cannot see the collection now"
    if downloadable and not sizes:
        downloadable, reason = False, "no download size is allowed"
    if downloadable and not (s.single or s.bulk):
        downloadable, reason = False, "neither single photos nor zips may be downloaded"
    return DownloadVerdict(
        downloadable,
        sizes if downloadable else (),
        bool(downloadable and s.pin),
        watermarked,
        reason,
        single=downloadable and s.single,
        bulk=downloadable and s.bulk,
    )


def read_settings(catalog: Catalog, collection_id: int) -> DeliverySettings:
    with catalog.engine.connect() as conn:
        c = conn.execute(
            text("SELECT * FROM collection WHERE id = :c AND deleted_at IS NULL"),
            {"c": collection_id},
        ).first()
        if c is None:
            raise BadInputError(f"no collection with id {collection_id}")
        galleries = conn.execute(
            text(
                "SELECT g.id, g.name, g.private, g.download_override_json, "
                "g.media_count - g.missing_count - g.error_count AS photos FROM gallery g "
                "WHERE g.collection_id = :c AND g.deleted_at IS NULL ORDER BY g.position, g.id"
            ),
            {"c": collection_id},
        ).all()
        clients = conn.execute(
            text(
                "SELECT email, access_level FROM client WHERE collection_id = :c "
                "AND access_level != 'guest' ORDER BY email"  # guests are not on the list
            ),
            {"c": collection_id},
        ).all()
    return DeliverySettings(
        name=c.name,
        status=c.status,
        password=c.password or None,
        expiry_date=c.expiry_date or None,
        downloadable=bool(c.downloadable),
        sizes=tuple(v for v in SIZES if v in json.loads(c.download_sizes_json or "[]")),
        pin=c.download_pin or None,
        watermarked=bool(c.download_watermarked),
        client_exclusive=bool(c.client_exclusive),
        galleries=tuple(
            GalleryRules(
                int(g.id),
                g.name,
                bool(g.private),
                int(g.photos or 0),
                json.loads(g.download_override_json) if g.download_override_json else {},
            )
            for g in galleries
        ),
        clients={str(r.email).lower(): str(r.access_level) for r in clients},
        single=bool(c.download_single),
        bulk=bool(c.download_bulk),
        limit=c.download_limit,
        reminder_days=c.expiry_reminder_days,
        visitor_email_capture=bool(c.visitor_email_capture),
    )
