"""Matching re-read files to catalogue rows: renames, swaps, chains, edits and deletes."""

from __future__ import annotations

from gallery_desktop.ingest.matching import AffectedRow, resolve


def row(rid: int, path: str, digest: str) -> AffectedRow:
    return AffectedRow(rid, path.encode(), digest)


def test_rename_chain_keeps_each_row_with_its_content() -> None:
    # IMG_1 (a) → IMG_2, IMG_2 (b) → IMG_3
    r = resolve(
        {b"IMG_2": "a", b"IMG_3": "b"},
        [row(1, "IMG_1", "a"), row(2, "IMG_2", "b")],
        complete=True,
    )
    assert r.row_for_path == {b"IMG_2": 1, b"IMG_3": 2}
    assert r.new_paths == [] and r.missing == []


def test_swapped_names_swap_rows() -> None:
    r = resolve({b"A": "b", b"B": "a"}, [row(1, "A", "a"), row(2, "B", "b")], complete=True)
    assert r.row_for_path == {b"A": 2, b"B": 1}


def test_edit_in_place_keeps_the_row() -> None:
    r = resolve({b"A": "a2"}, [row(1, "A", "a")], complete=True)
    assert r.row_for_path == {b"A": 1}
    assert r.missing == []


def test_delete_then_overwrite_with_a_copy_prefers_the_edit() -> None:
    # IMG_1 (a) deleted; IMG_2 (b) overwritten with a copy of a. Nobody else has b, so
    # IMG_2 stays row 2 (edited), and row 1 is missing.
    r = resolve({b"IMG_2": "a"}, [row(1, "IMG_1", "a"), row(2, "IMG_2", "b")], complete=True)
    assert r.row_for_path == {b"IMG_2": 2}
    assert r.missing == [1]


def test_one_row_for_two_copies_and_a_new_row_for_the_other() -> None:
    r = resolve({b"x/A": "a", b"y/A": "a"}, [row(1, "A", "a")], complete=True)
    assert sorted(r.row_for_path.values()) == [1]
    assert len(r.new_paths) == 1


def test_incomplete_scan_marks_nothing_missing() -> None:
    r = resolve({}, [row(1, "A", "a")], complete=False)
    assert r.missing == []
    r = resolve({}, [row(1, "A", "a")], complete=True)
    assert r.missing == [1]


def test_unreadable_new_file_without_hash_is_new() -> None:
    r = resolve({b"B": None}, [row(1, "A", None)], complete=True)
    assert r.new_paths == [b"B"]
    assert r.missing == [1]
