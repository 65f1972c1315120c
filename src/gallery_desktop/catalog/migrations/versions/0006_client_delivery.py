"""client delivery: single/bulk downloads, the cover's focal point, store orders, and the
outbox triggers for clients, the store, templates, gallery overrides and sharing links

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:20:00

A template becomes a reusable style (layout, title font, colours, display settings); the cover
photo and its focal point belong to the collection. Store orders are pulled from the service
(read-only here). Every new delivery setting queues the collection's `settings` op, as the
columns of 0005 do, so the sync pushes them; a sharing link queues its own create/update;
a gallery override that changes whether its uploads are watermarked sends its photos again
(photos only: videos are never watermarked). Rows the pull writes with their remote id
(clients, links) queue nothing: they are there; and while a pull writes it holds the guard
(`PULL_GUARD`, a row of its own uncommitted transaction), so what it updates queues nothing
either.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

from gallery_desktop.catalog.db import create_triggers, drop_triggers, trigger_table

sync0005 = importlib.import_module("gallery_desktop.catalog.migrations.versions.0005_sync_outbox")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_enqueue = sync0005._enqueue
_linked = sync0005._linked
_EMPTY = "'{}'"

SETTINGS = (
    *sync0005._SETTINGS,
    "download_single",
    "download_bulk",
    "template_id",
    "cover_media_id",
    "cover_focal_x",
    "cover_focal_y",
)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in SETTINGS)


def _settings_of(collection_id: str) -> str:
    return str(_enqueue(collection_id, "collection", collection_id, "settings", _EMPTY))


_MEDIA_COLLECTION = "(SELECT collection_id FROM media WHERE id = NEW.media_id)"

# The pull writes inside its own transaction while this row exists (`remote/pull.py` inserts
# it first and deletes it last; no other connection ever sees it): the rows it updates are what
# the service holds already, so the triggers below that a pull could fire stay quiet.
PULL_GUARD = "entity = 'pull' AND op = 'guard'"
_NOT_PULLING = f"NOT EXISTS (SELECT 1 FROM syncop WHERE {PULL_GUARD})"


def _watermarked(row: str) -> str:
    """Whether a gallery's uploads are watermarked: its override's choice, else the
    collection's (`delivery_rules.before_download_settings(…, gallery_id=…).watermarked`)."""
    return (
        f"coalesce(JSON_BOOL({row}.download_override_json, 'watermarked'), "
        f"(SELECT download_watermarked FROM collection WHERE id = {row}.collection_id))"
    )


SETTINGS_TRIGGER = (
    f"CREATE TRIGGER sync_collection_settings AFTER UPDATE OF {', '.join(SETTINGS)} "
    f"ON collection WHEN NEW.sync_linked AND ({_CHANGED}) "
    f"BEGIN {_settings_of('NEW.id')} END"
)

# 0005's, now per gallery: a gallery whose override fixes `watermarked` keeps its uploads when
# the collection's choice changes.
_OVERRIDE = "JSON_BOOL(g.download_override_json, 'watermarked')"
RENDITION_TRIGGER = (
    "CREATE TRIGGER sync_collection_rendition AFTER UPDATE OF download_watermarked, watermark_id "
    "ON collection WHEN NEW.sync_linked AND (OLD.download_watermarked IS DISTINCT FROM "
    "NEW.download_watermarked OR OLD.watermark_id IS DISTINCT FROM NEW.watermark_id) BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT NEW.id, 'media', m.id, 'upload', '{{}}', "
    f"{sync0005._KEY}, 'pending', 0, {sync0005._NOW} FROM media m JOIN gallery g "
    "ON g.id = m.gallery_id WHERE m.collection_id = NEW.id AND m.state = 'ok' AND "
    "m.kind = 'photo' AND "
    f"(coalesce({_OVERRIDE}, OLD.download_watermarked) IS DISTINCT FROM "
    f"coalesce({_OVERRIDE}, NEW.download_watermarked) OR (OLD.watermark_id IS DISTINCT FROM "
    f"NEW.watermark_id AND coalesce({_OVERRIDE}, NEW.download_watermarked))); END"
)

# 0005's, for photos only (videos go up as they are: a new preset changes nothing for them).
GALLERY_RENDITION_TRIGGER = (
    "CREATE TRIGGER sync_gallery_rendition AFTER UPDATE OF watermark_id ON gallery "
    f"WHEN {_linked('NEW.collection_id')} AND "
    "OLD.watermark_id IS DISTINCT FROM NEW.watermark_id BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT NEW.collection_id, 'media', id, 'upload', '{{}}', "
    f"{sync0005._KEY}, 'pending', 0, {sync0005._NOW} FROM media WHERE gallery_id = NEW.id "
    "AND state = 'ok' AND kind = 'photo'; END"
)

# What the design push sends of a template (`settings_ops._design_body`): its name and
# updated_at are not sent, so a rename queues nothing.
TEMPLATE_FIELDS = (
    "cover_layout",
    "title_font",
    "colours_json",
    "grid_style",
    "thumbnail_size",
    "grid_spacing",
    "theme",
)
_TEMPLATE_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TEMPLATE_FIELDS)

DELIVERY_TRIGGERS = (
    # the per-client list is part of the collection's settings (a client pulled from the
    # service, with its remote id, is there already: nothing to send)
    f"CREATE TRIGGER sync_client_insert AFTER INSERT ON client WHEN {_linked('NEW.collection_id')} "
    f"AND NEW.remote_id IS NULL BEGIN {_settings_of('NEW.collection_id')} END",
    "CREATE TRIGGER sync_client_update AFTER UPDATE OF email, name, access_level ON client "
    f"WHEN {_linked('NEW.collection_id')} AND (OLD.email IS DISTINCT FROM NEW.email OR "
    "OLD.name IS DISTINCT FROM NEW.name OR OLD.access_level IS DISTINCT FROM NEW.access_level) "
    f"AND {_NOT_PULLING} "
    f"BEGIN {_settings_of('NEW.collection_id')} END",
    f"CREATE TRIGGER sync_client_delete AFTER DELETE ON client WHEN {_linked('OLD.collection_id')} "
    f"BEGIN {_settings_of('OLD.collection_id')} END",
    # the store: price sheet, currency, minimum order
    "CREATE TRIGGER sync_store_insert AFTER INSERT ON storesettings "
    f"WHEN {_linked('NEW.collection_id')} BEGIN {_settings_of('NEW.collection_id')} END",
    "CREATE TRIGGER sync_store_update AFTER UPDATE ON storesettings "
    f"WHEN {_linked('NEW.collection_id')} AND (OLD.enabled IS DISTINCT FROM NEW.enabled OR "
    "OLD.currency IS DISTINCT FROM NEW.currency OR OLD.minimum_order_cents IS DISTINCT FROM "
    "NEW.minimum_order_cents OR OLD.price_sheet_json IS DISTINCT FROM NEW.price_sheet_json) "
    f"BEGIN {_settings_of('NEW.collection_id')} END",
    # a template shared by published collections: each of them sends its design again
    f"CREATE TRIGGER sync_template_update AFTER UPDATE ON template WHEN {_TEMPLATE_CHANGED} "
    "BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT id, 'collection', id, 'settings', '{{}}', "
    f"{sync0005._KEY}, 'pending', 0, {sync0005._NOW} FROM collection "
    "WHERE template_id = NEW.id AND sync_linked; END",
    # a gallery's own download choice travels with the gallery
    "CREATE TRIGGER sync_gallery_download AFTER UPDATE OF download_override_json ON gallery "
    f"WHEN {_linked('NEW.collection_id')} AND "
    "OLD.download_override_json IS DISTINCT FROM NEW.download_override_json "
    f"BEGIN {_enqueue('NEW.collection_id', 'gallery', 'NEW.id', 'update', _EMPTY)} END",
    # ... and when it changes whether its photos go up watermarked, they are sent again
    "CREATE TRIGGER sync_gallery_download_rendition AFTER UPDATE OF download_override_json "
    f"ON gallery WHEN {_linked('NEW.collection_id')} AND "
    f"{_watermarked('OLD')} IS DISTINCT FROM {_watermarked('NEW')} BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT NEW.collection_id, 'media', id, 'upload', '{{}}', "
    f"{sync0005._KEY}, 'pending', 0, {sync0005._NOW} FROM media "
    "WHERE gallery_id = NEW.id AND state = 'ok' AND kind = 'photo'; END",
    # sharing links: made, and changed (expiry, revoked)
    "CREATE TRIGGER sync_link_insert AFTER INSERT ON sharinglink "
    f"WHEN {_linked(_MEDIA_COLLECTION)} AND NEW.remote_id IS NULL "
    f"BEGIN {_enqueue(_MEDIA_COLLECTION, 'sharing_link', 'NEW.id', 'create', _EMPTY)} END",
    "CREATE TRIGGER sync_link_update AFTER UPDATE OF expires_at, revoked_at ON sharinglink "
    f"WHEN {_linked(_MEDIA_COLLECTION)} AND (OLD.expires_at IS DISTINCT FROM NEW.expires_at OR "
    f"OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) AND {_NOT_PULLING} "
    f"BEGIN {_enqueue(_MEDIA_COLLECTION, 'sharing_link', 'NEW.id', 'update', _EMPTY)} END",
)
TRIGGER_NAMES = tuple(t.split()[2] for t in DELIVERY_TRIGGERS)
# 0005's triggers this migration replaces (name → table)
_REPLACED = {
    "sync_collection_settings": "collection",
    "sync_collection_rendition": "collection",
    "sync_gallery_rendition": "gallery",
}


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): the collection keeps its triggers.
    for name, default in (("download_single", sa.true()), ("download_bulk", sa.true())):
        op.add_column(
            "collection", sa.Column(name, sa.Boolean(), nullable=False, server_default=default)
        )
    for name in ("cover_focal_x", "cover_focal_y"):
        op.add_column(
            "collection", sa.Column(name, sa.Float(), nullable=False, server_default="0.5")
        )
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.drop_column("cover_media_id")
        batch_op.drop_column("focal_x")
        batch_op.drop_column("focal_y")
    op.create_table(
        "storeorder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("client_email", sa.String(), nullable=True),
        sa.Column("client_name", sa.String(), nullable=True),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("items_json", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("remote_id"),
    )
    op.create_index("ix_storeorder_collection_id", "storeorder", ["collection_id"], unique=False)
    conn = op.get_bind()
    drop_triggers(conn, _REPLACED)
    create_triggers(conn, SETTINGS_TRIGGER, RENDITION_TRIGGER, GALLERY_RENDITION_TRIGGER)
    create_triggers(conn, *DELIVERY_TRIGGERS)


def downgrade() -> None:
    conn = op.get_bind()
    drop_triggers(
        conn, {n: trigger_table(t) for n, t in zip(TRIGGER_NAMES, DELIVERY_TRIGGERS, strict=True)}
    )
    drop_triggers(conn, _REPLACED)
    create_triggers(conn, *(t for t in sync0005.SYNC_TRIGGERS if t.split()[2] in _REPLACED))
    op.drop_index("ix_storeorder_collection_id", table_name="storeorder")
    op.drop_table("storeorder")
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focal_y", sa.Float(), nullable=False, server_default="0.5"))
        batch_op.add_column(sa.Column("focal_x", sa.Float(), nullable=False, server_default="0.5"))
        batch_op.add_column(sa.Column("cover_media_id", sa.Integer(), nullable=True))
    # Plain DROP COLUMN (SQLite 3.35+), again so the collection keeps its triggers.
    for name in ("cover_focal_y", "cover_focal_x", "download_bulk", "download_single"):
        op.drop_column("collection", name)
