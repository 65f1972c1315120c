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


def safe_component(name: str, fallback: str = "untitled") -> str:
    """One path component that is a plain, portable file or folder name."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split())  # no tabs, newlines, runs of spaces
    name = name.strip(" .")  # Windows drops trailing dots/spaces; leading dots hide files
    if not name or set(name) <= {"_", "."}:
        name = fallback
    stem = name.partition(".")[0]
    if stem.lower().rstrip() in _WINDOWS_DEVICES:
        name = f"_{name}"
    return _shorten(name)


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_COMPONENT_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    room = MAX_COMPONENT_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
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
    zip tools) need; `exists` says whether a name is already there in the target.
    """

    def __init__(self, exists: Callable[[str], bool] | None = None) -> None:
        self._taken: set[str] = set()
        self._exists = exists

    def _free(self, candidate: str) -> bool:
        if candidate.casefold() in self._taken:
            return False
        return self._exists is None or not self._exists(candidate)

    def reserve(self, folders: Iterable[str], filename: str) -> str:
        parts = [safe_component(f, "folder") for f in folders]
        name = safe_component(filename)
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        candidate = "/".join([*parts, name])
        n = 2
        while not self._free(candidate):
            candidate = "/".join([*parts, f"{stem} ({n}){dot}{ext}"])
            n += 1
        self._taken.add(candidate.casefold())
        return candidate
