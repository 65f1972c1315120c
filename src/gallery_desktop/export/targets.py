"""Where an export goes: a folder or a zip. Both write only inside the target, never replace an
existing file, and can take back everything they wrote when a run is cancelled or fails."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Protocol

from gallery_desktop.errors import BadInputError
from gallery_desktop.media.safe_names import NamePlanner, safe_component

PART_SUFFIX = ".gd-part"
_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


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
        tmp = str(final.parent / f".{final.name}.{os.getpid()}{PART_SUFFIX}")
        self._parts.add(tmp)
        try:
            if data is not None:
                with open(tmp, "xb") as f:
                    f.write(data)
            else:
                assert source is not None
                shutil.copyfile(source, tmp)
                st = os.stat(source)
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
            info.date_time = time.localtime(os.stat(source).st_mtime)[:6]
            with open(source, "rb") as src, self._zip.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
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
