"""seats see each other's commits: a change feed on PostgreSQL

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 12:50:00

On a shared (PostgreSQL) catalogue, statement-level triggers on the tables the windows show
`pg_notify('gallery_desktop', …)` a small JSON payload after every INSERT, UPDATE and DELETE:
the table, the operation and the changed ids (or "many" past `MAX_IDS`); every seat LISTENs
(see `gallery_desktop.catalog.seats.ChangeListener`). Nothing to do on SQLite, where
SQLite's commit counter (`db.CommitCounter`) tells a window that another connection committed.
"""

from __future__ import annotations

from alembic import op

CHANNEL = "gallery_desktop"  # as `gallery_desktop.catalog.seats.CHANNEL`
MAX_IDS = 200  # more changed rows than this in one statement: "many" (payloads stop at 8000 B)
# What the windows show (grid, sidebar, inspector, sync panel) → its key column ("" = none).
TABLES = {
    "media": "id",
    "gallery": "id",
    "collection": "id",
    "favorite": "id",
    "favoritelist": "id",
    "watchedfolder": "id",
    "syncop": "id",
    "seatactivity": "",
}
EVENTS = {"ins": ("INSERT", "NEW"), "upd": ("UPDATE", "NEW"), "del": ("DELETE", "OLD")}

# One function for every table; TG_ARGV[0] names the key column (none: no ids sent). Each
# event has its own trigger, as PostgreSQL allows transition tables only on single-event ones.
FUNCTION = f"""
CREATE OR REPLACE FUNCTION gallery_desktop_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    ids bigint[];
    n integer;
    payload json;
BEGIN
    IF TG_ARGV[0] <> '' THEN
        IF TG_OP = 'DELETE' THEN
            EXECUTE 'SELECT array_agg(k), count(*) FROM (SELECT ' || quote_ident(TG_ARGV[0])
                    || ' AS k FROM old_rows LIMIT {MAX_IDS + 1}) s'
                INTO ids, n;
        ELSE
            EXECUTE 'SELECT array_agg(k), count(*) FROM (SELECT ' || quote_ident(TG_ARGV[0])
                    || ' AS k FROM new_rows LIMIT {MAX_IDS + 1}) s'
                INTO ids, n;
        END IF;
        IF n = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    IF ids IS NULL OR n > {MAX_IDS} THEN
        payload := json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP), 'ids', 'many');
    ELSE
        payload := json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP), 'ids', ids);
    END IF;
    PERFORM pg_notify('{CHANNEL}', payload::text);
    RETURN NULL;
END $fn$
"""


def notify_ddl() -> list[str]:
    statements = [FUNCTION]
    for table, key in TABLES.items():
        for short, (event, side) in EVENTS.items():
            name = f"gd_notify_{short}_{table}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"REFERENCING {side} TABLE AS {side.lower()}_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION gallery_desktop_notify('{key}')",
            ]
    return statements


def notify_drop_ddl() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS gd_notify_{short}_{table} ON {table}"
        for table in TABLES
        for short in EVENTS
    ]
    return [*statements, "DROP FUNCTION IF EXISTS gallery_desktop_notify()"]


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in notify_ddl():
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in notify_drop_ddl():
        bind.exec_driver_sql(statement)
