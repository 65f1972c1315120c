"""Where an export goes: a folder or a zip. Both write only inside the target, never replace an
existing file, and can take back everything they wrote when a run is cancelled or fails."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
import zipfile
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.media.safe_names import NamePlanner, safe_component

PART_SUFFIX = ".gd-part"
_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


class SourceError(Exception):
    """An original could not be read: that file fails, the export goes on."""


def _open_source(source: bytes) -> BinaryIO:
    try:
        return open(source, "rb")
    except OSError as exc:
        raise SourceError(_why(exc)) from exc


def _why(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "the file is missing on disk"
    return f"cannot read the file ({exc.strerror or exc})"


def _copy(src: BinaryIO, dst: IO[bytes]) -> None:
    """Copy in 1 MB pieces; a failing read is the source's fault, a failing write the target's."""
    while True:
        try:
            chunk = src.read(1024 * 1024)
        except OSError as exc:
            raise SourceError(_why(exc)) from exc
        if not chunk:
            return
        dst.write(chunk)


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date: zip cannot store dates before 1980 or after 2107."""
    t = time.localtime(mtime)[:6]
    if t[0] < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if t[0] > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (t[0], t[1], t[2], t[3], t[4], t[5])


class ExportTarget(Protocol):
    planner: NamePlanner
    location: Path

    def put(self, name: str, data: bytes | None, source: bytes | None) -> str: ...

    def commit(self) -> Path: ...

    def abort(self) -> None: ...


def _prepare_dir(out: Path) -> tuple[Path, list[Path]]:
    """The target folder, made if needed; also the folders made (to take back on cancel)."""
    made = []
    folder = out.absolute()
    while not os.path.lexists(folder) and folder.parent != folder:
        made.append(folder)
        folder = folder.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise BadInputError(f"{out} exists and is not a folder") from exc
    except OSError as exc:
        raise BadInputError(f"cannot create {out}: {exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise BadInputError(f"cannot write into {out} (permission denied)")
    return out.resolve(), made


def _place(tmp: str, final: str) -> bool:
    """Give `tmp` the name `final` unless something has that name already (then: False)."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # FAT/exFAT cards and some network shares have no hard links: check, then rename.
        if os.path.lexists(final):
            return False
        os.rename(tmp, final)
        return True
    os.unlink(tmp)
    return True


class FolderTarget:
    """Files written under `root`, each first as a hidden part file, then linked into place."""

    def __init__(self, root: Path) -> None:
        self.location, made = _prepare_dir(root)
        self.planner = NamePlanner(
            lambda rel: os.path.lexists(self.location / rel), self._usable_folder
        )
        self._written: list[Path] = []
        self._made_dirs: list[Path] = list(reversed(made))  # outermost first
        self._parts: set[str] = set()

    def _usable_folder(self, rel: str) -> bool:
        """A folder we may write into: absent, or a real folder (never a file or a link)."""
        path = self.location / rel
        return not os.path.lexists(path) or (path.is_dir() and not path.is_symlink())

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        while not os.path.lexists(folder) and folder != self.location:
            missing.append(folder)
            folder = folder.parent
        for d in reversed(missing):
            d.mkdir()
            self._made_dirs.append(d)

    def put(self, name: str, data: bytes | None, source: bytes | None) -> str:
        final = self.location / name
        self._mkdirs(final.parent)
        # Unique per run and file: a part file left by a killed run is never in the way.
        tmp = str(final.parent / f".{final.name}.{secrets.token_hex(6)}{PART_SUFFIX}")
        self._parts.add(tmp)
        try:
            if data is not None:
                with open(tmp, "xb") as f:
                    f.write(data)
            else:
                assert source is not None
                with _open_source(source) as src:
                    with open(tmp, "xb") as dst:
                        _copy(src, dst)
                    st = os.fstat(src.fileno())
                os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # a copy keeps its date
            while not _place(tmp, str(final)):  # appeared since planning: next free name
                name = self.planner.reserve(Path(name).parent.parts, final.name)
                final = self.location / name
                self._mkdirs(final.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            self._parts.discard(tmp)
        self._written.append(final)
        return name

    def commit(self) -> Path:
        return self.location

    def abort(self) -> None:
        """Take back every file and folder this run made; what was there before stays."""
        for path in [*map(Path, self._parts), *self._written]:
            with contextlib.suppress(OSError):
                os.unlink(path)
        for d in reversed(self._made_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty: never someone else's file
        self._written.clear()
        self._made_dirs.clear()


class ZipTarget:
    """One zip file, written as a part file and named only when complete."""

    def __init__(self, out_dir: Path, zip_name: str) -> None:
        self.location, self._made_dirs = _prepare_dir(out_dir)
        self._base = base = safe_component(zip_name, "export")
        self._names = NamePlanner(lambda rel: os.path.lexists(self.location / rel))
        self._final_name = self._names.reserve([], f"{base}.zip")
        self._part = self.location / f".{self._final_name}.{os.getpid()}{PART_SUFFIX}"
        self.planner = NamePlanner()  # inside the zip: nothing exists yet
        try:
            self._zip = zipfile.ZipFile(self._part, "x", zipfile.ZIP_STORED, allowZip64=True)
        except OSError as exc:
            raise BadInputError(f"cannot create {self._part}: {exc.strerror or exc}") from exc
        self._stamp = time.localtime()[:6]

    def put(self, name: str, data: bytes | None, source: bytes | None) -> str:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_STORED  # photos and videos are compressed already
        info.external_attr = 0o644 << 16
        if data is not None:
            self._zip.writestr(info, data)
        else:
            assert source is not None
            with _open_source(source) as src:  # unreadable: this file fails, nothing written
                info.date_time = _zip_time(os.fstat(src.fileno()).st_mtime)
                try:
                    with self._zip.open(info, "w", force_zip64=True) as dst:
                        _copy(src, dst)
                except SourceError as exc:
                    raise UserFacingError(
                        f"export stopped: reading {os.fsdecode(source)} failed halfway ({exc}); "
                        "a zip cannot take back half a file, so nothing of this export was kept"
                    ) from exc
        return name

    def commit(self) -> Path:
        self._zip.close()
        final = self.location / self._final_name
        while not _place(str(self._part), str(final)):
            final = self.location / self._names.reserve([], f"{safe_component(self._base)}.zip")
        return final

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._zip.close()
        with contextlib.suppress(OSError):
            os.unlink(self._part)
        for d in self._made_dirs:  # innermost first
            with contextlib.suppress(OSError):
                d.rmdir()
