"""File names for what leaves the studio: nothing escapes the target, nothing is overwritten.

Every name is made of cleaned components joined under the target (a folder or a zip), so no
`..`, absolute path, drive letter, device name or control character can survive, and names that
would clash (also on case-insensitive disks) get a " (2)" suffix instead of replacing each other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Final

_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_DEVICES: Final = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"}
    | {f"com{i}" for i in "123456789¹²³"}
    | {f"lpt{i}" for i in "123456789¹²³"}
)
MAX_COMPONENT_BYTES: Final = 180  # well under 255, leaving room for " (999)" and ".part"
_TOKEN_RE: Final = re.compile(r"\{(\w+)\}")
NAME_TOKENS: Final = ("stem", "collection", "gallery", "date", "index", "rating")
DEFAULT_PATTERN: Final = "{stem}"


def _printable(name: str) -> str:
    """No control characters (C0 and C1: `_`), no invisible format characters such as
    right-to-left overrides that disguise a name (dropped), no undecodable leftovers."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    out = []
    for ch in unicodedata.normalize("NFC", name):
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append("_")
        elif category != "Cf":
            out.append(ch)
    return "".join(out)


def safe_component(name: str, fallback: str = "untitled") -> str:
    """One path component that is a plain, portable file or folder name."""
    name = _UNSAFE.sub("_", _printable(name))
    name = " ".join(name.split())  # no tabs, newlines, runs of spaces
    name = name.strip(" .")  # Windows drops trailing dots/spaces; leading dots hide files
    if not name or set(name) <= {"_", "."}:
        name = fallback
    stem = name.partition(".")[0]
    if stem.lower().rstrip() in _WINDOWS_DEVICES:
        name = f"_{name}"
    return _shorten(name)


def safe_filename(stem: str, extension: str, fallback: str = "untitled") -> str:
    """`stem.extension`, each part cleaned on its own, so a JPEG always ends in `.jpg`
    (a stem like " ." must not swallow the extension's dot)."""
    ext = "".join(ch for ch in extension.lstrip(".") if ch.isalnum())[:10]
    clean = safe_component(stem, fallback)
    if not ext:
        return clean
    return _shorten(f"{clean}.{ext}")


def split_extension(filename: str) -> tuple[str, str]:
    """("IMG_1", "jpg") for "IMG_1.jpg"; a name without a real extension keeps it all."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or not ext or len(ext) > 10 or not ext.isalnum():
        return filename, ""
    return stem, ext


def _cut(text: str, max_bytes: int) -> str:
    """`text` shortened to at most `max_bytes` of UTF-8, never inside a character."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore").rstrip(" .")


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_COMPONENT_BYTES:
        return name
    stem, ext = split_extension(name)
    cut = _cut(stem, MAX_COMPONENT_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0))
    return f"{cut}.{ext}" if ext else cut


def expand_pattern(pattern: str, values: dict[str, str]) -> str:
    """Fill `{stem}`, `{gallery}`, ... in a naming pattern; unknown tokens stay as typed."""

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        return values.get(key, m.group(0)) if key in NAME_TOKENS else m.group(0)

    return _TOKEN_RE.sub(one, pattern)


def check_pattern(pattern: str) -> str | None:
    """Why a naming pattern is unusable, or None. Unknown tokens are named, not guessed at."""
    if not pattern.strip():
        return "the file name pattern is empty"
    unknown = sorted({t for t in _TOKEN_RE.findall(pattern) if t not in NAME_TOKENS})
    if unknown:
        known = ", ".join("{" + t + "}" for t in NAME_TOKENS)
        return f"unknown token(s) {', '.join('{' + t + '}' for t in unknown)}; use {known}"
    if "{stem}" not in pattern and "{index}" not in pattern:
        return "the pattern needs {stem} or {index}, or every photo would get the same name"
    return None


class NamePlanner:
    """Hands out unique relative names ("Ceremony/IMG_1.jpg"); clashes get " (2)", " (3)"...

    Names given out in one run are unique case-insensitively, as Windows and macOS disks (and
    zip tools) need. `exists` says whether a name is taken in the target already; a folder
    name taken by something that is not a plain folder (a file, a link) is a clash too, so a
    gallery's files go to "Party (2)/" rather than through someone else's file or link.
    """

    def __init__(
        self,
        exists: Callable[[str], bool] | None = None,
        usable_folder: Callable[[str], bool] | None = None,
    ) -> None:
        self._taken: set[str] = set()
        self._exists = exists
        self._usable_folder = usable_folder
        self._folders: dict[tuple[str, ...], str] = {(): ""}

    def _free(self, candidate: str) -> bool:
        if candidate.casefold() in self._taken:
            return False
        return self._exists is None or not self._exists(candidate)

    def folder(self, folders: Iterable[str]) -> str:
        """The relative folder for these components (resolved once, then reused)."""
        key = tuple(folders)
        if key in self._folders:
            return self._folders[key]
        parent = self.folder(key[:-1])
        base = safe_component(key[-1], "folder")
        name, n = base, 2
        while True:
            rel = f"{parent}/{name}" if parent else name
            ok_on_disk = self._usable_folder is None or self._usable_folder(rel)
            free = rel.casefold() not in self._taken and f"{rel}/".casefold() not in self._taken
            if ok_on_disk and free:
                break
            name, n = f"{base} ({n})", n + 1
        self._folders[key] = rel
        self._taken.add(f"{rel}/".casefold())
        return rel

    def reserve(self, folders: Iterable[str], filename: str, extension: str | None = None) -> str:
        """A free name for `filename` (or stem `filename` + `extension`) in `folders`."""
        parent = self.folder(folders)
        stem, ext = split_extension(filename) if extension is None else (filename, extension)
        # Room for " (99999)" and the extension: a suffix must never be cut off again.
        stem = _cut(safe_filename(stem, ""), MAX_COMPONENT_BYTES - 10 - len(ext.encode()))
        stem = stem or "untitled"
        n = 1
        while True:
            name = safe_filename(stem if n == 1 else f"{stem} ({n})", ext)
            candidate = f"{parent}/{name}" if parent else name
            if self._free(candidate) and f"{candidate}/".casefold() not in self._taken:
                break
            n += 1
        self._taken.add(candidate.casefold())
        return candidate
