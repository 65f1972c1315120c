"""watermark presets: outline, the logo kept in the catalogue, layout in `position`

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:40:00

A preset keeps its own copy of the logo (PNG bytes), so moving or deleting the file the logo was
chosen from never changes what clients get. "Tiled" becomes a layout like the nine anchors
(`position = 'tiled'`), next to the new 'diagonal'; the old boolean column goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE watermark SET position = 'tiled' WHERE tiled")
    with op.batch_alter_table("watermark", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outline", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("logo_data", sa.LargeBinary(), nullable=True))
        batch_op.drop_column("tiled")


def downgrade() -> None:
    with op.batch_alter_table("watermark", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tiled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_column("logo_data")
        batch_op.drop_column("outline")
    op.execute("UPDATE watermark SET tiled = TRUE, position = 'center' WHERE position = 'tiled'")
