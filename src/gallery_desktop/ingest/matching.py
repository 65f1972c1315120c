"""Which catalogue row each re-read file belongs to, so renames and moves keep their culling.

A pure function over hashes and paths; the importer applies its answer in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AffectedRow:
    """A row whose file vanished, or whose path now holds different bytes."""

    id: int
    path: bytes
    content_hash: str | None


@dataclass
class Resolution:
    row_for_path: dict[bytes, int] = field(default_factory=dict)  # re-read path → its row
    new_paths: list[bytes] = field(default_factory=list)  # re-read paths with no row: insert
    missing: list[int] = field(default_factory=list)  # rows whose content is nowhere now


def resolve(
    probed: dict[bytes, str | None], affected: list[AffectedRow], *, complete: bool
) -> Resolution:
    """Match re-read files (path → new content hash) to affected rows.

    1. a path whose content is unchanged keeps its row;
    2. content found at another path takes its row there (a move or rename, even in chains
       like IMG_1→IMG_2, IMG_2→IMG_3);
    3. a path edited in place keeps its row;
    4. a row whose own path is still on disk but was claimed by another row, and which found
       no new home, takes its path back (an edit is likelier than a move onto it);
    5. what is left: new paths are inserted, rows (if the scan was complete) are missing.
    """
    rows = {r.id: r for r in affected}
    own_row = {r.path: r.id for r in affected}
    assign: dict[bytes, int] = {}
    taken: set[int] = set()

    def give(path: bytes, row_id: int) -> None:
        assign[path] = row_id
        taken.add(row_id)

    for path, digest in probed.items():  # 1
        rid = own_row.get(path)
        if rid is not None and digest is not None and rows[rid].content_hash == digest:
            give(path, rid)

    by_hash: dict[str, list[int]] = {}
    # Rows whose path is gone first: they are the likeliest to have moved.
    for r in sorted(affected, key=lambda r: (r.path in probed, r.path)):
        if r.content_hash and r.id not in taken:
            by_hash.setdefault(r.content_hash, []).append(r.id)
    for path in sorted(p for p in probed if p not in assign):  # 2
        digest = probed[path]
        candidates = by_hash.get(digest or "", [])
        for rid in candidates:
            if rid not in taken and rid != own_row.get(path):
                give(path, rid)
                break

    for path in probed:  # 3
        rid = own_row.get(path)
        if path not in assign and rid is not None and rid not in taken:
            give(path, rid)

    for _ in range(len(rows) + 1):  # 4: each repair is final, so this ends
        repaired = False
        for rid, row in rows.items():
            if rid not in taken and row.path in probed:
                taken.discard(assign[row.path])
                give(row.path, rid)
                repaired = True
        if not repaired:
            break

    result = Resolution(row_for_path=assign)
    result.new_paths = sorted(p for p in probed if p not in assign)
    if complete:
        result.missing = sorted(rid for rid in rows if rid not in taken)
    return result
