"""indexes for the grid's default order (capture time) per collection and per gallery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(
            "ix_media_collection_taken", ["collection_id", "taken_at", "path"], unique=False
        )
        batch_op.create_index(
            "ix_media_gallery_taken", ["gallery_id", "taken_at", "path"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_gallery_taken")
        batch_op.drop_index("ix_media_collection_taken")
