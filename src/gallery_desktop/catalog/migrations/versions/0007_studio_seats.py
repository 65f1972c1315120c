"""studio scale: library roots, the record of culling edits per seat, and seats' activity

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:10:00

A collection's folder may be relative to a named library root (`collection.root_id`), which each
workstation maps to its own mount point. Culling edits are recorded per field with the seat that
made them (`fieldedit`), and a seat holding a lock (an import, the outbox) says what it is doing
in `seatactivity` for the others to show.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gallery_desktop.catalog.db import triggers_kept

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


_REMOTE_IDS = (
    *(
        (table, "remote_id")
        for table in (
            "collection",
            "gallery",
            "media",
            "client",
            "favoritelist",
            "downloadevent",
            "visitor",
            "sharinglink",
            "storeorder",
            "collectiondefaults",
        )
    ),
    ("account", "remote_user_id"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # nanosecond file times, video sizes and the service's ids need 64 bits (SQLite's
        # INTEGER has them)
        op.execute(
            "ALTER TABLE media ALTER COLUMN size_bytes TYPE BIGINT, "
            "ALTER COLUMN mtime_ns TYPE BIGINT"
        )
        for table, column in _REMOTE_IDS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE BIGINT")
        # The grid sorts undated media first, as SQLite does: its indexes must say so, or the
        # first page of a million-row view would need a sort.
        for name, scope in (("collection", "collection_id"), ("gallery", "gallery_id")):
            op.execute(f"DROP INDEX ix_media_{name}_taken")
            op.execute(
                f"CREATE INDEX ix_media_{name}_taken ON media ({scope}, taken_at NULLS FIRST, path)"
            )
    op.create_table(
        "libraryroot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    # Plain ADD COLUMN (no batch copy): the collection keeps its triggers. Written out, as
    # Alembic's add_column would ALTER a separate constraint, which SQLite cannot.
    op.execute("ALTER TABLE collection ADD COLUMN root_id INTEGER REFERENCES libraryroot (id)")
    op.create_index("ix_collection_root_id", "collection", ["root_id"], unique=False)
    op.create_table(
        "fieldedit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("previous", sa.String(), nullable=True),
        sa.Column("seat", sa.String(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fieldedit_media", "fieldedit", ["media_id", "id"], unique=False)
    op.create_table(
        "seatactivity",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("seat", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE media ALTER COLUMN size_bytes TYPE INTEGER, "
            "ALTER COLUMN mtime_ns TYPE INTEGER"
        )
        for table, column in _REMOTE_IDS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE INTEGER")
        for name, scope in (("collection", "collection_id"), ("gallery", "gallery_id")):
            op.execute(f"DROP INDEX ix_media_{name}_taken")
            op.execute(f"CREATE INDEX ix_media_{name}_taken ON media ({scope}, taken_at, path)")
    op.drop_table("seatactivity")
    op.drop_index("ix_fieldedit_media", table_name="fieldedit")
    op.drop_table("fieldedit")
    op.drop_index("ix_collection_root_id", table_name="collection")
    # SQLite drops a column with a foreign key only by copying the table (batch mode), which
    # loses the table's triggers: they are made again as they were.
    with (
        triggers_kept(op.get_bind(), "collection"),
        op.batch_alter_table("collection", schema=None) as batch_op,
    ):
        batch_op.drop_column("root_id")
    op.drop_table("libraryroot")
