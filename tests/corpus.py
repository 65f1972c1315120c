"""The shared media test corpus and its MANIFEST.tsv, read into typed rows.

The corpus lives next to the repository (`../shared/corpus`), is read-only and is never
copied into the repository. Its manifest records every file's checksum and the values an
importer is expected to find (see the corpus README).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CORPUS: Final = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MANIFEST: Final = CORPUS / "MANIFEST.tsv"

_ESCAPE: Final = re.compile(rb"\\x([0-9a-fA-F]{2})")
# "no EXIF DateTimeOriginal, but DateTimeOriginal 2002:07:13 15:58:28Z (in XMP-exif)"
_DATE_ELSEWHERE: Final = re.compile(
    r"no EXIF DateTimeOriginal, but DateTimeOriginal "
    r"(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})(\S*) \(in ([^)]+)\)"
)
_DURATION: Final = re.compile(r"\bduration (\d+(?:\.\d+)?) s\b")
_CAMERA: Final = re.compile(r"(?:^|[|;]) ?camera ([^;|]+)")


def decode_manifest_path(escaped: str) -> bytes:
    """The real file name bytes of a manifest path (`\\xNN` escapes become byte 0xNN)."""
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), escaped.encode("utf-8"))


def exif_to_iso(value: str) -> str:
    """'2005:08:03 18:59:18' → '2005-08-03T18:59:18'."""
    date, _, time = value.partition(" ")
    return f"{date.replace(':', '-')}T{time}"


def _int_or_none(value: str) -> int | None:
    value = value.strip()
    return int(value) if value else None


@dataclass(frozen=True)
class DateElsewhere:
    """A capture date the manifest says is stored outside EXIF (XMP, maker notes)."""

    iso: str  # 'YYYY-MM-DDTHH:MM:SS'
    suffix: str  # what followed the time in that store, e.g. 'Z' or junk like 'A'
    where: str  # 'XMP-exif', 'CanonRaw', ...


@dataclass(frozen=True)
class ManifestRow:
    path: str  # as written in the manifest (backslashreplace for non-UTF-8 names)
    size: int
    sha256: str
    description: str
    category: str
    expected_width: int | None
    expected_height: int | None
    exif_orientation: int | None
    datetime_original: str | None  # EXIF DateTimeOriginal exactly as stored
    pillow_result: str

    @property
    def raw_path(self) -> bytes:
        """Path relative to the corpus as real bytes."""
        return decode_manifest_path(self.path)

    @property
    def fs_path(self) -> bytes:
        return os.path.join(os.fsencode(CORPUS), self.raw_path)

    @property
    def top_folder(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def extension(self) -> str:
        return os.path.splitext(self.path)[1].lower()

    @property
    def expected_taken_at(self) -> str | None:
        """ISO prefix the catalogue's taken_at must start with, from EXIF DateTimeOriginal."""
        return exif_to_iso(self.datetime_original) if self.datetime_original else None

    @property
    def date_elsewhere(self) -> DateElsewhere | None:
        m = _DATE_ELSEWHERE.search(self.description)
        if m is None:
            return None
        y, mo, d, hms, suffix, where = m.groups()
        return DateElsewhere(f"{y}-{mo}-{d}T{hms}", suffix, where)

    @property
    def duration(self) -> float | None:
        m = _DURATION.search(self.description)
        return float(m.group(1)) if m else None

    @property
    def camera(self) -> str | None:
        m = _CAMERA.search(self.description)
        return m.group(1).strip() if m else None

    @property
    def pillow_failed(self) -> bool:
        return self.pillow_result.startswith(("open-error", "load-error"))

    def file_sha256(self) -> str:
        with open(self.fs_path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()


@functools.cache
def load_manifest() -> tuple[ManifestRow, ...]:
    """Every row of MANIFEST.tsv, in file order."""
    with MANIFEST.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return tuple(
            ManifestRow(
                path=r["path"],
                size=int(r["bytes"]),
                sha256=r["sha256"],
                description=r["description"],
                category=r["category"],
                expected_width=_int_or_none(r["expected_width"]),
                expected_height=_int_or_none(r["expected_height"]),
                exif_orientation=_int_or_none(r["exif_orientation"]),
                datetime_original=r["datetime_original"].strip() or None,
                pillow_result=r["pillow_result"],
            )
            for r in reader
        )


def rows(*prefixes: str) -> list[ManifestRow]:
    """Manifest rows whose category starts with one of `prefixes` (all rows if none)."""
    return [r for r in load_manifest() if not prefixes or r.category.startswith(prefixes)]


def rows_in(folder: str) -> list[ManifestRow]:
    """Manifest rows whose path is under `folder` (e.g. 'bad/non_utf8_names')."""
    return [r for r in load_manifest() if r.path.startswith(folder.rstrip("/") + "/")]


def row(path: str) -> ManifestRow:
    for r in load_manifest():
        if r.path == path:
            return r
    raise KeyError(path)
