"""`check`: is the catalogue sound (the engine's own check, rows pointing at rows that are
gone), and does it agree with the folders on disk? The same on SQLite and PostgreSQL, but for
the storage check: SQLite checks its file, a PostgreSQL server looks after its own."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import Connection, inspect, text

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.db import Catalog, integrity_problems
from gallery_desktop.catalog.roots import local_folder
from gallery_desktop.errors import RootOfflineError


@dataclass
class CheckReport:
    integrity: list[str] = field(default_factory=list)  # the engine's storage check's findings
    foreign_keys: list[str] = field(default_factory=list)  # "media row 7 → collection"
    media_checked: int = 0
    not_on_disk: list[str] = field(default_factory=list)  # catalogued ok, file gone
    changed_on_disk: list[str] = field(default_factory=list)  # size/mtime differ: re-scan
    back_on_disk: list[str] = field(default_factory=list)  # marked missing, file is there
    folders_missing: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)  # collections whose root is offline here

    @property
    def catalogue_ok(self) -> bool:
        return not self.integrity and not self.foreign_keys

    @property
    def in_step_with_disk(self) -> bool:
        return not (self.not_on_disk or self.changed_on_disk or self.back_on_disk)


def check_catalog(catalog: Catalog) -> CheckReport:
    """Read-only: reports problems, changes nothing."""
    report = CheckReport()
    with catalog.engine.connect() as conn:
        report.integrity = integrity_problems(conn)
        report.foreign_keys = orphans(conn)
        collections = conn.execute(
            text(
                "SELECT id, folder, name, root_id FROM collection WHERE deleted_at IS NULL "
                "AND folder IS NOT NULL"
            )
        ).fetchall()
        for cid, stored, name, root_id in collections:
            try:  # in a library root: where this seat mounts it
                folder = local_folder(catalog, bytes(stored), root_id)
            except RootOfflineError:
                report.offline.append(name)  # not mounted here: nothing to compare
                continue
            assert folder is not None
            if not os.path.isdir(folder):
                report.folders_missing.append(f"{name}: {display_name(folder)}")
                continue
            media = conn.execute(
                text(
                    "SELECT rel_path, size_bytes, mtime_ns, state FROM media "
                    "WHERE collection_id = :c"
                ),
                {"c": cid},
            ).fetchall()
            for rel, size, mtime_ns, state in media:
                rel = bytes(rel) if isinstance(rel, memoryview) else rel  # bytea: memoryview
                report.media_checked += 1
                shown = f"{name}/{display_name(rel)}"
                try:
                    st = os.stat(os.path.join(folder, rel))
                except OSError:
                    if state != "missing":
                        report.not_on_disk.append(shown)
                    continue
                if state == "missing":
                    report.back_on_disk.append(shown)
                elif st.st_size != size or st.st_mtime_ns != mtime_ns:
                    report.changed_on_disk.append(shown)
    return report


def orphans(conn: Connection) -> list[str]:
    """Rows whose foreign key names a row that is not there, as "table row id → parent"
    (what SQLite's own foreign-key check finds, asked in SQL both engines run: a file
    edited with foreign keys off, or a server whose constraints were dropped, can hold them)."""
    found: list[str] = []
    inspector = inspect(conn)
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        columns = {c["name"] for c in inspector.get_columns(table)}
        for fk in inspector.get_foreign_keys(table):
            parent, mine, theirs = (
                fk["referred_table"],
                fk["constrained_columns"],
                fk["referred_columns"],
            )
            if not mine or len(mine) != len(theirs):
                continue
            row_id = "t.id" if "id" in columns else f"t.{mine[0]}"
            joins = " AND ".join(f"p.{b} = t.{a}" for a, b in zip(mine, theirs, strict=True))
            present = " AND ".join(f"t.{a} IS NOT NULL" for a in mine)
            rows = conn.execute(
                text(
                    f"SELECT {row_id} FROM {table} t WHERE {present} AND NOT EXISTS "
                    f"(SELECT 1 FROM {parent} p WHERE {joins}) ORDER BY 1"
                )
            ).fetchall()
            found.extend(f"{table} row {r[0]} → {parent}" for r in rows)
    return found
