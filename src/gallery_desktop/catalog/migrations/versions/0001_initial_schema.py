"""initial schema: the whole domain

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 04:15:59.402476
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(), nullable=False),
        sa.Column("remote_user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=True),
        sa.Column("bootstrap_json", sa.String(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "syncop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(), nullable=False),
        sa.Column("payload_json", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("syncop", schema=None) as batch_op:
        batch_op.create_index("ix_syncop_state_next", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("cover_layout", sa.String(), nullable=False),
        sa.Column("cover_media_id", sa.Integer(), nullable=True),
        sa.Column("focal_x", sa.Float(), nullable=False),
        sa.Column("focal_y", sa.Float(), nullable=False),
        sa.Column("title_font", sa.String(), nullable=False),
        sa.Column("colours_json", sa.String(), nullable=False),
        sa.Column("grid_style", sa.String(), nullable=False),
        sa.Column("thumbnail_size", sa.String(), nullable=False),
        sa.Column("grid_spacing", sa.String(), nullable=False),
        sa.Column("theme", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "watermark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("font", sa.String(), nullable=True),
        sa.Column("text_scale", sa.Float(), nullable=False),
        sa.Column("colour", sa.String(), nullable=False),
        sa.Column("opacity", sa.Float(), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("logo_path", sa.String(), nullable=True),
        sa.Column("logo_scale", sa.Float(), nullable=False),
        sa.Column("logo_opacity", sa.Float(), nullable=False),
        sa.Column("position", sa.String(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("tiled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("event_date", sa.String(), nullable=True),
        sa.Column("cover_media_id", sa.Integer(), nullable=True),
        sa.Column("tags_json", sa.String(), nullable=False),
        sa.Column("shoot_type", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("folder", sa.LargeBinary(), nullable=True),
        sa.Column("folder_display", sa.String(), nullable=True),
        sa.Column("password", sa.String(), nullable=True),
        sa.Column("expiry_date", sa.String(), nullable=True),
        sa.Column("expiry_reminder_days", sa.Integer(), nullable=True),
        sa.Column("downloadable", sa.Boolean(), nullable=False),
        sa.Column("download_sizes_json", sa.String(), nullable=False),
        sa.Column("download_pin", sa.String(), nullable=True),
        sa.Column("download_limit", sa.Integer(), nullable=True),
        sa.Column("download_watermarked", sa.Boolean(), nullable=False),
        sa.Column("visitor_email_capture", sa.Boolean(), nullable=False),
        sa.Column("client_exclusive", sa.Boolean(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("watermark_id", sa.Integer(), nullable=True),
        sa.Column("store_enabled", sa.Boolean(), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("last_scan_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["template_id"], ["template.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["watermark_id"], ["watermark.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folder"),
    )
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_remote_id"), ["remote_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_collection_template_id"), ["template_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_watermark_id"), ["watermark_id"], unique=False
        )

    op.create_table(
        "collectiondefaults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shoot_type", sa.String(), nullable=False),
        sa.Column("password_on", sa.Boolean(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=True),
        sa.Column("downloadable", sa.Boolean(), nullable=False),
        sa.Column("download_sizes_json", sa.String(), nullable=False),
        sa.Column("download_watermarked", sa.Boolean(), nullable=False),
        sa.Column("visitor_email_capture", sa.Boolean(), nullable=False),
        sa.Column("store_enabled", sa.Boolean(), nullable=False),
        sa.Column("watermark_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["template_id"], ["template.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["watermark_id"], ["watermark.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shoot_type"),
    )
    with op.batch_alter_table("collectiondefaults", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collectiondefaults_template_id"), ["template_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collectiondefaults_watermark_id"), ["watermark_id"], unique=False
        )

    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("access_level", sa.String(), nullable=False),
        sa.Column("last_accessed", sa.DateTime(), nullable=True),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "email"),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "gallery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("cover_media_id", sa.Integer(), nullable=True),
        sa.Column("download_override_json", sa.String(), nullable=True),
        sa.Column("watermark_id", sa.Integer(), nullable=True),
        sa.Column("folder", sa.LargeBinary(), nullable=True),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["watermark_id"], ["watermark.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "folder"),
    )
    with op.batch_alter_table("gallery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gallery_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_gallery_remote_id"), ["remote_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gallery_watermark_id"), ["watermark_id"], unique=False)

    op.create_table(
        "storesettings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("minimum_order_cents", sa.Integer(), nullable=False),
        sa.Column("price_sheet_json", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id"),
    )
    op.create_table(
        "visitor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "email"),
    )
    with op.batch_alter_table("visitor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visitor_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "watchedfolder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("polling", sa.Boolean(), nullable=False),
        sa.Column("last_scan_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    with op.batch_alter_table("watchedfolder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watchedfolder_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "favoritelist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("favoritelist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favoritelist_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_favoritelist_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("gallery_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("rel_path", sa.LargeBinary(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("mtime_ns", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("format", sa.String(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("orientation", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.String(), nullable=True),
        sa.Column("camera", sa.String(), nullable=True),
        sa.Column("lens", sa.String(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("pick", sa.String(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("thumb_state", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("upload_state", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["gallery_id"], ["gallery.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collection_id", "rel_path"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index("ix_media_gallery_position", ["gallery_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_remote_id"), ["remote_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_taken_at"), ["taken_at"], unique=False)

    op.create_table(
        "downloadevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("size", sa.String(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("remote_id"),
    )
    with op.batch_alter_table("downloadevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_downloadevent_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_downloadevent_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_downloadevent_media_id"), ["media_id"], unique=False)

    op.create_table(
        "favorite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["favoritelist.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_id", "media_id"),
    )
    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favorite_list_id"), ["list_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_favorite_media_id"), ["media_id"], unique=False)

    op.create_table(
        "sharinglink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("sharinglink", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sharinglink_media_id"), ["media_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sharinglink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharinglink_media_id"))

    op.drop_table("sharinglink")
    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favorite_media_id"))
        batch_op.drop_index(batch_op.f("ix_favorite_list_id"))

    op.drop_table("favorite")
    with op.batch_alter_table("downloadevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_downloadevent_media_id"))
        batch_op.drop_index(batch_op.f("ix_downloadevent_collection_id"))
        batch_op.drop_index(batch_op.f("ix_downloadevent_client_id"))

    op.drop_table("downloadevent")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_taken_at"))
        batch_op.drop_index(batch_op.f("ix_media_state"))
        batch_op.drop_index(batch_op.f("ix_media_remote_id"))
        batch_op.drop_index("ix_media_gallery_position")
        batch_op.drop_index(batch_op.f("ix_media_content_hash"))

    op.drop_table("media")
    with op.batch_alter_table("favoritelist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favoritelist_collection_id"))
        batch_op.drop_index(batch_op.f("ix_favoritelist_client_id"))

    op.drop_table("favoritelist")
    with op.batch_alter_table("watchedfolder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watchedfolder_collection_id"))

    op.drop_table("watchedfolder")
    with op.batch_alter_table("visitor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitor_collection_id"))

    op.drop_table("visitor")
    op.drop_table("storesettings")
    with op.batch_alter_table("gallery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gallery_watermark_id"))
        batch_op.drop_index(batch_op.f("ix_gallery_remote_id"))
        batch_op.drop_index(batch_op.f("ix_gallery_collection_id"))

    op.drop_table("gallery")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_collection_id"))

    op.drop_table("client")
    with op.batch_alter_table("collectiondefaults", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collectiondefaults_watermark_id"))
        batch_op.drop_index(batch_op.f("ix_collectiondefaults_template_id"))

    op.drop_table("collectiondefaults")
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_watermark_id"))
        batch_op.drop_index(batch_op.f("ix_collection_template_id"))
        batch_op.drop_index(batch_op.f("ix_collection_remote_id"))
        batch_op.drop_index(batch_op.f("ix_collection_name"))

    op.drop_table("collection")
    op.drop_table("watermark")
    op.drop_table("template")
    with op.batch_alter_table("syncop", schema=None) as batch_op:
        batch_op.drop_index("ix_syncop_state_next")

    op.drop_table("syncop")
    op.drop_table("account")
