"""`check`: is the catalogue file sound, and does it agree with the folders on disk?"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.db import Catalog


@dataclass
class CheckReport:
    integrity: list[str] = field(default_factory=list)  # PRAGMA integrity_check, unless "ok"
    foreign_keys: list[str] = field(default_factory=list)
    media_checked: int = 0
    not_on_disk: list[str] = field(default_factory=list)  # catalogued ok, file gone
    changed_on_disk: list[str] = field(default_factory=list)  # size/mtime differ: re-scan
    back_on_disk: list[str] = field(default_factory=list)  # marked missing, file is there
    folders_missing: list[str] = field(default_factory=list)

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
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        report.integrity = [r for r in rows if r != "ok"]
        report.foreign_keys = [
            f"{r[0]} row {r[1]} → {r[2]}"
            for r in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        ]
        collections = conn.exec_driver_sql(
            "SELECT id, folder, name FROM collection WHERE deleted_at IS NULL "
            "AND folder IS NOT NULL"
        ).fetchall()
        for cid, folder, name in collections:
            if not os.path.isdir(folder):
                report.folders_missing.append(f"{name}: {display_name(folder)}")
                continue
            media = conn.exec_driver_sql(
                "SELECT rel_path, size_bytes, mtime_ns, state FROM media WHERE collection_id = ?",
                (cid,),
            ).fetchall()
            for rel, size, mtime_ns, state in media:
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
