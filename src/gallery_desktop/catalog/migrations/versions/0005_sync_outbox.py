"""sync outbox: a collection can be linked to the remote; its changes queue themselves

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 07:40:00

Triggers write the outbox row (`syncop`) in the same transaction as the change itself, whoever
makes it (the app, the CLI, the importer's batches, the watcher), and only for collections that
are linked (`collection.sync_linked`). Ratings, picks and labels stay local: no trigger
watches those columns. A migration that rebuilds `collection`, `gallery` or `media` in batch
mode drops these triggers and must create them again (`SYNC_TRIGGERS`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gallery_desktop.catalog.db import create_triggers, drop_triggers, trigger_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NOW = "NOW()"  # pseudo-functions that `db.trigger_ddl` spells for each engine
_KEY = "RANDOM_KEY()"


def _enqueue(collection: str, entity: str, entity_id: str, op_name: str, payload: str) -> str:
    return (
        "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, "
        "idempotency_key, state, attempts, created_at) VALUES "
        f"({collection}, '{entity}', {entity_id}, '{op_name}', {payload}, {_KEY}, 'pending', 0, "
        f"{_NOW});"
    )


def _linked(collection_id: str) -> str:
    return f"(SELECT sync_linked FROM collection WHERE id = {collection_id})"


_SETTINGS = (
    "password",
    "expiry_date",
    "expiry_reminder_days",
    "downloadable",
    "download_sizes_json",
    "download_pin",
    "download_limit",
    "download_watermarked",
    "visitor_email_capture",
    "client_exclusive",
    "watermark_id",
    "store_enabled",
)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _SETTINGS)
_REMOTE = "JSON_OBJECT('remote_id', OLD.remote_id)"
_EMPTY = "'{}'"

SYNC_TRIGGERS = (
    # collections
    "CREATE TRIGGER sync_collection_update AFTER UPDATE OF name, description, event_date, status "
    "ON collection WHEN NEW.sync_linked AND (OLD.name IS DISTINCT FROM NEW.name OR "
    "OLD.description IS DISTINCT FROM NEW.description OR OLD.event_date IS DISTINCT FROM "
    "NEW.event_date OR OLD.status IS DISTINCT FROM NEW.status) "
    f"BEGIN {_enqueue('NEW.id', 'collection', 'NEW.id', 'update', _EMPTY)} END",
    f"CREATE TRIGGER sync_collection_settings AFTER UPDATE OF {', '.join(_SETTINGS)} "
    f"ON collection WHEN NEW.sync_linked AND ({_CHANGED}) "
    f"BEGIN {_enqueue('NEW.id', 'collection', 'NEW.id', 'settings', _EMPTY)} END",
    # A deleted collection's waiting changes go (row ids may be reused by the next import);
    # its remote copy, if any, is deleted.
    "CREATE TRIGGER sync_collection_gone AFTER DELETE ON collection "
    "BEGIN DELETE FROM syncop WHERE collection_id = OLD.id AND state IN ('pending', 'failed') "
    "AND op IN ('update', 'settings', 'upload'); END",
    "CREATE TRIGGER sync_collection_delete AFTER DELETE ON collection "
    "WHEN OLD.sync_linked AND OLD.remote_id IS NOT NULL "
    f"BEGIN {_enqueue('OLD.id', 'collection', 'OLD.id', 'delete', _REMOTE)} END",
    # What uploads look like changed (watermarked or clean, which preset): send them again.
    "CREATE TRIGGER sync_collection_rendition AFTER UPDATE OF download_watermarked, watermark_id "
    "ON collection WHEN NEW.sync_linked AND (OLD.download_watermarked IS DISTINCT FROM "
    "NEW.download_watermarked OR OLD.watermark_id IS DISTINCT FROM NEW.watermark_id) BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT NEW.id, 'media', id, 'upload', '{{}}', {_KEY}, "
    f"'pending', 0, {_NOW} FROM media WHERE collection_id = NEW.id AND state = 'ok'; END",
    "CREATE TRIGGER sync_gallery_rendition AFTER UPDATE OF watermark_id ON gallery "
    f"WHEN {_linked('NEW.collection_id')} AND "
    "OLD.watermark_id IS DISTINCT FROM NEW.watermark_id BEGIN "
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    f"state, attempts, created_at) SELECT NEW.collection_id, 'media', id, 'upload', '{{}}', "
    f"{_KEY}, 'pending', 0, {_NOW} FROM media WHERE gallery_id = NEW.id AND state = 'ok'; END",
    # galleries
    "CREATE TRIGGER sync_gallery_insert AFTER INSERT ON gallery "
    f"WHEN {_linked('NEW.collection_id')} AND NEW.deleted_at IS NULL "
    f"BEGIN {_enqueue('NEW.collection_id', 'gallery', 'NEW.id', 'create', _EMPTY)} END",
    "CREATE TRIGGER sync_gallery_update AFTER UPDATE OF name, position, private ON gallery "
    f"WHEN {_linked('NEW.collection_id')} AND (OLD.name IS DISTINCT FROM NEW.name OR "
    "OLD.position IS DISTINCT FROM NEW.position OR OLD.private IS DISTINCT FROM NEW.private) "
    f"BEGIN {_enqueue('NEW.collection_id', 'gallery', 'NEW.id', 'update', _EMPTY)} END",
    "CREATE TRIGGER sync_gallery_delete AFTER DELETE ON gallery "
    f"WHEN {_linked('OLD.collection_id')} AND OLD.remote_id IS NOT NULL "
    f"BEGIN {_enqueue('OLD.collection_id', 'gallery', 'OLD.id', 'delete', _REMOTE)} END",
    # media: added, changed, moved, gone (culling columns are not watched)
    "CREATE TRIGGER sync_media_insert AFTER INSERT ON media "
    f"WHEN {_linked('NEW.collection_id')} AND NEW.state = 'ok' "
    f"BEGIN {_enqueue('NEW.collection_id', 'media', 'NEW.id', 'upload', _EMPTY)} END",
    "CREATE TRIGGER sync_media_changed AFTER UPDATE OF state, content_hash, gallery_id ON media "
    f"WHEN {_linked('NEW.collection_id')} AND NEW.state = 'ok' AND "
    "(OLD.state IS DISTINCT FROM 'ok' OR OLD.content_hash IS DISTINCT FROM NEW.content_hash "
    "OR OLD.gallery_id IS DISTINCT FROM NEW.gallery_id) "
    f"BEGIN {_enqueue('NEW.collection_id', 'media', 'NEW.id', 'upload', _EMPTY)} END",
    "CREATE TRIGGER sync_media_gone AFTER UPDATE OF state ON media "
    f"WHEN {_linked('NEW.collection_id')} AND OLD.state = 'ok' AND NEW.state IS DISTINCT FROM 'ok' "
    "AND OLD.remote_id IS NOT NULL "
    f"BEGIN {_enqueue('NEW.collection_id', 'media', 'NEW.id', 'delete', _REMOTE)} END",
    "CREATE TRIGGER sync_media_delete AFTER DELETE ON media "
    f"WHEN {_linked('OLD.collection_id')} AND OLD.remote_id IS NOT NULL "
    f"BEGIN {_enqueue('OLD.collection_id', 'media', 'OLD.id', 'delete', _REMOTE)} END",
)
TRIGGER_NAMES = tuple(t.split()[2] for t in SYNC_TRIGGERS)


def upgrade() -> None:
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sync_linked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("syncop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_syncop_collection", ["collection_id", "state"], unique=False)
        batch_op.create_index("ix_syncop_entity", ["entity", "entity_id", "id"], unique=False)
    create_triggers(op.get_bind(), *SYNC_TRIGGERS)


def downgrade() -> None:
    drop_triggers(
        op.get_bind(),
        {name: trigger_table(t) for name, t in zip(TRIGGER_NAMES, SYNC_TRIGGERS, strict=True)},
    )
    with op.batch_alter_table("syncop", schema=None) as batch_op:
        batch_op.drop_index("ix_syncop_entity")
        batch_op.drop_index("ix_syncop_collection")
        batch_op.drop_column("collection_id")
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_column("sync_linked")
