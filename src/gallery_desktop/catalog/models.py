"""SQLModel tables for the whole domain: what the catalogue can hold.

Paths on disk are stored as bytes (`os.fsencode`) because file names need not be valid UTF-8;
a display form (`path`) sits beside them. Times are timezone-aware UTC, except capture times,
which are the camera's local wall-clock time as ISO 8601 text (with an offset when known).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

_BIG_INT = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that refuses naive values and always reads back timezone-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime written to the catalogue; use an aware value")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _fk(
    target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = True
) -> Any:
    return Field(
        default=None,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        sa_type=Integer,
        nullable=nullable,
        index=index,
    )


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class MediaState(StrEnum):
    OK = "ok"
    MISSING = "missing"
    ERROR = "error"


class Pick(StrEnum):
    PICKED = "picked"
    REJECTED = "rejected"


class ColourLabel(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"


class CollectionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    HIDDEN = "hidden"


class AccessLevel(StrEnum):
    VIEW = "view"
    FAVOURITE = "favourite"
    DOWNLOAD = "download"


class SyncState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"


class Template(SQLModel, table=True):
    """A reusable style for the client's pages: cover layout, title font, colours, and how
    the photos are laid out. The cover photo and its focal point are the collection's."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    cover_layout: str = "centre"
    title_font: str = "serif"
    colours_json: str = "{}"
    grid_style: str = "vertical"
    thumbnail_size: str = "regular"
    grid_spacing: str = "regular"
    theme: str = "light"
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)


class Watermark(SQLModel, table=True):
    """A named watermark preset: text and/or logo, where and how strongly it is drawn."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    text: str | None = None
    font: str | None = None
    text_scale: float = 0.04
    colour: str = "#ffffff"
    opacity: float = 0.5
    shadow: bool = True
    outline: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    logo_path: str | None = None  # where the logo was chosen from (shown, never read again)
    logo_data: bytes | None = Field(default=None, sa_type=LargeBinary)  # the logo itself, PNG
    logo_scale: float = 0.2
    logo_opacity: float = 0.8
    position: str = "bottom-right"  # one of 9 anchors, "tiled" or "diagonal"
    margin: float = 0.03
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)


class LibraryRoot(SQLModel, table=True):
    """A named place shoots live ("Archive"), mounted at a different folder on each seat
    (`seat.json`); collections under it store their folder relative to it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = _created()


class Collection(SQLModel, table=True):
    """One shoot: a folder on disk (usually) and everything decided about how clients see it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    description: str = ""
    event_date: str | None = None
    cover_media_id: int | None = None
    # Where the cover is cropped around (shares of the photo's width and height).
    cover_focal_x: float = Field(default=0.5, sa_column_kwargs={"server_default": "0.5"})
    cover_focal_y: float = Field(default=0.5, sa_column_kwargs={"server_default": "0.5"})
    tags_json: str = "[]"
    shoot_type: str | None = None
    status: str = CollectionStatus.DRAFT.value
    # Absolute, or (with `root_id`) relative to a library root each seat mounts where it likes.
    folder: bytes | None = Field(default=None, sa_type=LargeBinary, unique=True)
    folder_display: str | None = None
    # A root with collections cannot be deleted (no ON DELETE: the default refuses).
    root_id: int | None = Field(
        default=None,
        sa_column_args=[ForeignKey("libraryroot.id")],
        sa_type=Integer,
        nullable=True,
        index=True,
    )
    password: str | None = None
    expiry_date: str | None = None
    expiry_reminder_days: int | None = None
    downloadable: bool = False
    download_sizes_json: str = '["original", "web2048"]'
    download_pin: str | None = None
    download_limit: int | None = None
    download_watermarked: bool = False
    download_single: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    download_bulk: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    visitor_email_capture: bool = False
    client_exclusive: bool = False
    template_id: int | None = _fk("template.id", ondelete="SET NULL", nullable=True)
    watermark_id: int | None = _fk("watermark.id", ondelete="SET NULL", nullable=True)
    store_enabled: bool = False
    remote_id: int | None = Field(default=None, index=True, sa_type=_BIG_INT)
    # Published to the remote: its changes queue themselves in the outbox (migration 0005).
    sync_linked: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)
    last_scan_at: datetime | None = _ts(nullable=True)
    deleted_at: datetime | None = _ts(nullable=True)


class Gallery(SQLModel, table=True):
    """A set inside a collection; by default one per first-level subfolder."""

    __table_args__ = (UniqueConstraint("collection_id", "folder"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    name: str
    position: int = 0
    private: bool = False
    cover_media_id: int | None = None
    download_override_json: str | None = None
    watermark_id: int | None = _fk("watermark.id", ondelete="SET NULL", nullable=True)
    folder: bytes | None = Field(default=None, sa_type=LargeBinary)
    remote_id: int | None = Field(default=None, index=True, sa_type=_BIG_INT)
    # Kept by triggers on media (migration 0003): the sidebar reads these, never counts.
    media_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    photo_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    video_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    missing_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    error_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)
    deleted_at: datetime | None = _ts(nullable=True)


class Media(SQLModel, table=True):
    """One photo or video file of a collection, with what was read from it and the culling."""

    __table_args__ = (
        UniqueConstraint("collection_id", "rel_path"),
        Index("ix_media_gallery_position", "gallery_id", "position"),
        # The grid's default order (capture time) for a collection or a gallery: the first
        # page of a million-photo view comes straight off these, without sorting.
        Index("ix_media_collection_taken", "collection_id", "taken_at", "path"),
        Index("ix_media_gallery_taken", "gallery_id", "taken_at", "path"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id", index=False)
    gallery_id: int = _fk("gallery.id", index=False)
    kind: str = MediaKind.PHOTO.value
    rel_path: bytes = Field(sa_type=LargeBinary)
    path: str
    # 64-bit: nanosecond times, video sizes and the service's ids overflow PostgreSQL's INTEGER
    # (SQLite's INTEGER is 64-bit already).
    size_bytes: int = Field(default=0, sa_type=_BIG_INT)
    mtime_ns: int = Field(default=0, sa_type=_BIG_INT)
    content_hash: str | None = Field(default=None, index=True)
    format: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    taken_at: str | None = Field(default=None, index=True)
    camera: str | None = None
    lens: str | None = None
    duration: float | None = None
    rating: int = 0
    pick: str | None = None
    label: str | None = None
    state: str = Field(default=MediaState.OK.value, index=True)
    error: str | None = None
    thumb_state: str = "pending"
    position: int = 0
    remote_id: int | None = Field(default=None, index=True, sa_type=_BIG_INT)
    upload_state: str | None = None
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)


class Client(SQLModel, table=True):
    """A person the photographer shares a collection with, and what they may do."""

    __table_args__ = (UniqueConstraint("collection_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    email: str
    name: str = ""
    access_level: str = AccessLevel.VIEW.value
    last_accessed: datetime | None = _ts(nullable=True)
    remote_id: int | None = Field(default=None, sa_type=_BIG_INT)
    created_at: datetime = _created()


class FavoriteList(SQLModel, table=True):
    """A named list of favourites a client (or a visitor) made in a collection."""

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    client_id: int | None = _fk("client.id", ondelete="SET NULL", nullable=True)
    name: str = "Favourites"
    email: str | None = None
    remote_id: int | None = Field(default=None, sa_type=_BIG_INT)
    created_at: datetime = _created()


class Favorite(SQLModel, table=True):
    """One photo chosen in a favourite list, and when."""

    __table_args__ = (UniqueConstraint("list_id", "media_id"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = _fk("favoritelist.id")
    media_id: int = _fk("media.id")
    note: str | None = None
    chosen_at: datetime = _created()


class DownloadEvent(SQLModel, table=True):
    """A download a client made on the remote gallery (pulled back for analytics)."""

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    media_id: int | None = _fk("media.id", ondelete="SET NULL", nullable=True)
    client_id: int | None = _fk("client.id", ondelete="SET NULL", nullable=True)
    email: str | None = None
    kind: str = "photo"
    size: str | None = None
    occurred_at: datetime = _created()
    remote_id: int | None = Field(default=None, unique=True, sa_type=_BIG_INT)


class Visitor(SQLModel, table=True):
    """Someone who opened the remote gallery (email capture)."""

    __table_args__ = (UniqueConstraint("collection_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    email: str
    first_seen: datetime = _created()
    last_seen: datetime | None = _ts(nullable=True)
    visits: int = 1
    remote_id: int | None = Field(default=None, sa_type=_BIG_INT)


class SharingLink(SQLModel, table=True):
    """A link to one photo that can be handed out, with an expiry and a revoke."""

    id: int | None = Field(default=None, primary_key=True)
    media_id: int = _fk("media.id")
    token: str = Field(unique=True)
    url: str | None = None
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    remote_id: int | None = Field(default=None, sa_type=_BIG_INT)
    created_at: datetime = _created()


class StoreSettings(SQLModel, table=True):
    """Print store of one collection: on/off, price sheet, minimum order."""

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(
        sa_column_args=[ForeignKey("collection.id", ondelete="CASCADE")], unique=True
    )
    enabled: bool = False
    currency: str = "EUR"
    minimum_order_cents: int = 0
    price_sheet_json: str = "[]"
    updated_at: datetime | None = _ts(nullable=True)


class StoreOrder(SQLModel, table=True):
    """An order a client placed in the collection's store (pulled back; read-only here)."""

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = _fk("collection.id")
    remote_id: int | None = Field(default=None, unique=True, sa_type=_BIG_INT)
    client_email: str | None = None
    client_name: str | None = None
    placed_at: datetime = _created()
    currency: str = "EUR"
    total_cents: int = 0
    # [{media_id (local, or null), product, size, quantity, price_cents}]
    items_json: str = "[]"
    status: str = "paid"


class CollectionDefaults(SQLModel, table=True):
    """What a new collection of one shoot type (wedding, portrait, ...) starts with."""

    id: int | None = Field(default=None, primary_key=True)
    shoot_type: str = Field(unique=True)
    password_on: bool = False
    expiry_days: int | None = None
    downloadable: bool = False
    download_sizes_json: str = '["original", "web2048"]'
    download_watermarked: bool = False
    visitor_email_capture: bool = False
    store_enabled: bool = False
    watermark_id: int | None = _fk("watermark.id", ondelete="SET NULL", nullable=True)
    template_id: int | None = _fk("template.id", ondelete="SET NULL", nullable=True)
    remote_id: int | None = Field(default=None, sa_type=_BIG_INT)
    updated_at: datetime | None = _ts(nullable=True)


class WatchedFolder(SQLModel, table=True):
    """A folder the watch service follows; by default each collection's own folder."""

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int | None = _fk("collection.id", nullable=True)
    path: bytes = Field(sa_type=LargeBinary, unique=True)
    enabled: bool = True
    polling: bool = False
    last_scan_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created()


class SyncOp(SQLModel, table=True):
    """One pending change for the remote (the outbox), written with the change itself."""

    __table_args__ = (
        Index("ix_syncop_state_next", "state", "next_attempt_at"),
        Index("ix_syncop_collection", "collection_id", "state"),
        Index("ix_syncop_entity", "entity", "entity_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int | None = None  # whose change it is (a plain number: outlives deletes)
    entity: str
    entity_id: int
    op: str
    payload_json: str = "{}"
    idempotency_key: str = Field(unique=True)
    state: str = SyncState.PENDING.value
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None
    created_at: datetime = _created()
    updated_at: datetime | None = _ts(nullable=True)


class Account(SQLModel, table=True):
    """The remote account's bootstrap data, cached for offline use. Never holds secrets."""

    id: int | None = Field(default=None, primary_key=True)
    base_url: str
    remote_user_id: int | None = Field(default=None, sa_type=_BIG_INT)
    email: str | None = None
    display_name: str | None = None
    bootstrap_json: str = "{}"
    fetched_at: datetime | None = _ts(nullable=True)


class FieldEdit(SQLModel, table=True):
    """One culling edit of one field (rating, pick, label), with the seat that made it: the
    last writer wins per field, and this is the record of who wrote what when."""

    __table_args__ = (Index("ix_fieldedit_media", "media_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(sa_column_args=[ForeignKey("media.id", ondelete="CASCADE")])
    field: str
    value: str | None = None
    previous: str | None = None
    seat: str
    edited_at: datetime = _created()


class SeatActivity(SQLModel, table=True):
    """What a seat is doing under a lock (an import of a collection, the outbox), so the other
    seats can show its progress. A row per lock name, replaced as the work goes on."""

    name: str = Field(primary_key=True)
    seat: str
    phase: str
    done: int = 0
    total: int = 0
    detail: str | None = None
    updated_at: datetime = _created()
