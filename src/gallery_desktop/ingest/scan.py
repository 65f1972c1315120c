"""Walking a shoot folder: every media file with its size and modification time."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from gallery_desktop.ingest.filetypes import FileClass, classify_name, is_hidden_or_system

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileEntry:
    rel_path: bytes  # relative to the collection folder, '/'-separated, raw bytes
    file_class: FileClass
    size: int
    mtime_ns: int
    # Last time anything touched the file (write, or a tool setting an old mtime afterwards):
    # max(mtime, ctime). A file untouched for a while is done being copied.
    touched_ns: int = 0

    @property
    def gallery_folder(self) -> bytes:
        """First-level folder the file belongs to; b'' for files at the root."""
        head, sep, _rest = self.rel_path.partition(b"/")
        return head if sep else b""


@dataclass
class ScanReport:
    entries: list[FileEntry]
    skipped: int  # files that are not media (sidecars, documents, system files)
    unreadable_dirs: list[bytes]


def scan_tree(root: bytes) -> ScanReport:
    """All media files under `root`. Hidden folders and symlinked folders are not entered."""
    entries: list[FileEntry] = []
    skipped = 0
    unreadable: list[bytes] = []
    stack: list[bytes] = [b""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root, rel_dir) if rel_dir else root
        try:
            it = os.scandir(abs_dir)
        except OSError as exc:
            log.warning("cannot read folder %r: %s", abs_dir, exc)
            unreadable.append(rel_dir)
            continue
        with it:
            try:
                for entry in it:
                    found = _entry(entry, rel_dir, stack)
                    if found is None:
                        continue
                    if found.file_class is FileClass.IGNORED:
                        skipped += 1
                    else:
                        entries.append(found)
            except OSError as exc:  # the listing broke off: a drive unplugged, an I/O error
                log.warning("cannot finish reading folder %r: %s", abs_dir, exc)
                unreadable.append(rel_dir)
    return ScanReport(entries, skipped, unreadable)


def _entry(entry: os.DirEntry[bytes], rel_dir: bytes, stack: list[bytes]) -> FileEntry | None:
    """One directory entry: folders go on the stack; files come back classified."""
    name = entry.name
    rel = rel_dir + b"/" + name if rel_dir else name
    try:
        if entry.is_dir(follow_symlinks=False):
            if not is_hidden_or_system(name):
                stack.append(rel)
            return None
        cls = classify_name(name)
        if cls is FileClass.IGNORED:
            return FileEntry(rel, cls, 0, 0, 0)
        if not entry.is_file():
            return None  # broken links, sockets, devices
        st = entry.stat()
    except OSError as exc:
        log.warning("cannot stat %r: %s", rel, exc)
        return None
    return FileEntry(rel, cls, st.st_size, st.st_mtime_ns, max(st.st_mtime_ns, st.st_ctime_ns))
