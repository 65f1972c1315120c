"""per-gallery media counts kept by triggers (the sidebar reads them instead of counting)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 06:00:00

The triggers live on `media`. A later migration that rebuilds `media` in batch mode drops
them: it must create them again (`COUNT_TRIGGERS` below).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gallery_desktop.catalog.db import create_triggers, drop_triggers

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COUNTS = ("media_count", "photo_count", "video_count", "missing_count", "error_count")


def _one_if(row: str, column: str, value: str) -> str:
    return f"(CASE WHEN {row}.{column} = '{value}' THEN 1 ELSE 0 END)"


def _delta(row: str, sign: str) -> str:
    return (
        f"media_count = media_count {sign} 1, "
        f"photo_count = photo_count {sign} {_one_if(row, 'kind', 'photo')}, "
        f"video_count = video_count {sign} {_one_if(row, 'kind', 'video')}, "
        f"missing_count = missing_count {sign} {_one_if(row, 'state', 'missing')}, "
        f"error_count = error_count {sign} {_one_if(row, 'state', 'error')}"
    )


COUNT_TRIGGERS = (
    "CREATE TRIGGER media_counts_insert AFTER INSERT ON media BEGIN "
    f"UPDATE gallery SET {_delta('NEW', '+')} WHERE id = NEW.gallery_id; END",
    "CREATE TRIGGER media_counts_delete AFTER DELETE ON media BEGIN "
    f"UPDATE gallery SET {_delta('OLD', '-')} WHERE id = OLD.gallery_id; END",
    "CREATE TRIGGER media_counts_update AFTER UPDATE OF gallery_id, kind, state ON media "
    f"BEGIN UPDATE gallery SET {_delta('OLD', '-')} WHERE id = OLD.gallery_id; "
    f"UPDATE gallery SET {_delta('NEW', '+')} WHERE id = NEW.gallery_id; END",
)


TRIGGER_NAMES = tuple(t.split()[2] for t in COUNT_TRIGGERS)


def upgrade() -> None:
    with op.batch_alter_table("gallery", schema=None) as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE gallery SET "
        "media_count = (SELECT count(*) FROM media m WHERE m.gallery_id = gallery.id), "
        "photo_count = (SELECT count(*) FROM media m WHERE m.gallery_id = gallery.id "
        "AND m.kind = 'photo'), "
        "video_count = (SELECT count(*) FROM media m WHERE m.gallery_id = gallery.id "
        "AND m.kind = 'video'), "
        "missing_count = (SELECT count(*) FROM media m WHERE m.gallery_id = gallery.id "
        "AND m.state = 'missing'), "
        "error_count = (SELECT count(*) FROM media m WHERE m.gallery_id = gallery.id "
        "AND m.state = 'error')"
    )
    create_triggers(op.get_bind(), *COUNT_TRIGGERS)


def downgrade() -> None:
    drop_triggers(op.get_bind(), {name: "media" for name in TRIGGER_NAMES})
    with op.batch_alter_table("gallery", schema=None) as batch_op:
        for name in reversed(COUNTS):
            batch_op.drop_column(name)
