"""The watch service: the catalogue follows the folders on disk by itself.

Events are hints, the disk is the truth. A file-system event only marks a watched folder as
due for a re-scan (after a short quiet spell, so a card copy's thousands of events become a
few scans); the re-scan applies the importer's rules (moves keep ratings, deletes mark
`missing`, new first-level folders become galleries) and leaves alone any file touched within
the settle period, which is looked at again once it has been still long enough. Lost events
(an inotify queue overflow, a dead observer, a watch limit) cost a full re-scan and a message,
never silence. Network and FUSE folders, and folders inotify refuses, are polled instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from watchdog.events import (
    DirModifiedEvent,
    FileClosedNoWriteEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from gallery_desktop.catalog.collections import display_name
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watched import WatchTarget, list_watched, mark_scanned
from gallery_desktop.errors import BusyError, UserFacingError
from gallery_desktop.ingest.filetypes import FileClass, classify_name, is_hidden_or_system
from gallery_desktop.ingest.importer import ImportSummary, import_folder, rescan_collection
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

# File systems where inotify sees only this machine's changes, or none: poll them.
POLLED_FILESYSTEMS: Final = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "davfs", "afs", "ceph", "glusterfs", "sshfs"}
)
BUSY_RETRY_SECONDS: Final = 2.0
HEALTH_CHECK_SECONDS: Final = 2.0
# How often to look again at what is not watched here: offline roots, other seats' folders.
TAKE_OVER_SECONDS: Final = 10.0

Report = Callable[[str], None]


@dataclass(frozen=True)
class WatchTimings:
    settle: float = 3.0  # a file must be untouched this long before it is read
    debounce: float = 0.5  # quiet spell after the last event before a re-scan
    max_delay: float = 5.0  # during an endless storm, re-scan at least this often
    poll_interval: float = 5.0  # for polled folders


def filesystem_type(path: bytes) -> str | None:
    """The type of the file system `path` lives on, from /proc/self/mounts (Linux)."""
    try:
        with open("/proc/self/mounts", "rb") as f:
            mounts = f.read().splitlines()
    except OSError:
        return None
    best, best_type = b"", None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace(b"\\040", b" ").replace(b"\\011", b"\t")
        inside = path == point or path.startswith(point.rstrip(b"/") + b"/")
        if inside and len(point) >= len(best):
            best, best_type = point, fields[2].decode("ascii", "replace")
    return best_type


def needs_polling(path: bytes) -> bool:
    fs = filesystem_type(path) or ""
    return fs in POLLED_FILESYSTEMS or fs.startswith("fuse")


class _Hints(FileSystemEventHandler):
    """Runs on watchdog's thread: turns events into 'this folder is due', nothing more."""

    def __init__(self, service: WatchService) -> None:
        self.service = service

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, DirModifiedEvent | FileOpenedEvent | FileClosedNoWriteEvent):
            return  # a directory's own timestamps, or a reader: nothing on disk changed
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        for p in paths:
            raw = os.fsencode(p)
            if raw and (event.is_directory or _matters(raw)):
                self.service.hint(raw)


def _matters(path: bytes) -> bool:
    name = os.path.basename(path)
    return not is_hidden_or_system(name) and classify_name(name) is not FileClass.IGNORED


class _OverflowAlarm(logging.Handler):
    """watchdog rebuilds its watches after an inotify queue overflow but only logs it: hear
    the log line, and re-scan, since events were lost."""

    def __init__(self, service: WatchService) -> None:
        super().__init__(logging.WARNING)
        self.service = service

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.service.events_lost("the inotify event queue overflowed")


class WatchService:
    """Watches every enabled folder of the catalogue; no Qt, one worker thread of its own.

    `report` receives one line for everything worth telling the photographer.
    """

    def __init__(
        self,
        catalog: Catalog,
        cache: ThumbnailCache,
        *,
        timings: WatchTimings | None = None,
        report: Report | None = None,
        force_polling: bool = False,
        on_scan: Callable[[ImportSummary], None] | None = None,
    ) -> None:
        self.catalog, self.cache = catalog, cache
        self.timings = timings or WatchTimings()
        self.report = report or (lambda line: log.info("%s", line))
        self.on_scan = on_scan
        self.force_polling = force_polling
        self._lock = threading.Condition()
        self._targets: dict[bytes, WatchTarget] = {}
        self._disabled: set[bytes] = set()
        self._observers: dict[bytes, BaseObserver] = {}
        self._due: dict[bytes, float] = {}  # target path → when to re-scan it
        self._first_hint: dict[bytes, float] = {}
        self._stopping = False
        self._stop_scans = CancelToken()  # a scan in progress ends early when we stop
        self._scanning = False
        self._reload_requested = False
        self._worker: threading.Thread | None = None
        self._alarm = _OverflowAlarm(self)
        self.scans = 0
        # One seat watches a library root (or a collection) at a time: the locks this one holds,
        # and what another seat (or process) follows instead, taken over if it stops.
        self._held = catalog.held_locks()
        self.elsewhere: set[bytes] = set()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        logging.getLogger("watchdog").addHandler(self._alarm)
        self._load_targets()
        now = time.monotonic()
        with self._lock:
            for path in self._targets:
                self._due[path] = now  # catch up with what changed while we were away
        for target in list(self._targets.values()):
            self._watch(target)
        self._worker = threading.Thread(target=self._run, name="gd-watch", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._stop_scans.cancel()  # a cancelled scan leaves a consistent catalogue
        if self._worker is not None:
            self._worker.join(timeout=60)
        for observer in self._observers.values():
            observer.stop()
        for observer in self._observers.values():
            observer.join(timeout=10)
        self._observers.clear()
        if self._worker is None or not self._worker.is_alive():
            self._held.close()  # the other seats may take over what this one watched
        else:  # still stuck in a scan: it owns the locks; they go with the process
            log.warning("the watch worker did not stop in time; its locks stay until exit")
        logging.getLogger("watchdog").removeHandler(self._alarm)

    def reload(self) -> None:
        """Pick up watch settings changed elsewhere (a new import, a collection turned off).

        Done by the worker thread, which owns the observers."""
        with self._lock:
            self._reload_requested = True
            self._lock.notify_all()

    def _apply_reload(self) -> None:
        before = set(self._targets)
        self._load_targets()
        for target in self.watched():
            if target.path not in before:
                self._watch(target)
                self._later(target.path, 0)
        for path in [p for p in self._observers if p not in self._targets]:
            observer = self._observers.pop(path)
            observer.stop()
            observer.join(timeout=10)

    @property
    def idle(self) -> bool:
        """Nothing due: the catalogue has caught up with every event seen so far."""
        with self._lock:
            return not self._due and not self._scanning

    def watched(self) -> list[WatchTarget]:
        with self._lock:
            return list(self._targets.values())

    # -- which folders -----------------------------------------------------------------------

    def _load_targets(self) -> None:
        every = list_watched(self.catalog)
        self._held.verify()  # a lost connection lost its locks: asked for again below
        wanted = {t.lock_name for t in every if t.enabled}
        for name in self._held.names - wanted:
            self._held.release(name)
        targets, elsewhere = {}, set()
        for t in every:
            if not t.enabled:
                continue
            if self._held.hold(t.lock_name):
                targets[t.path] = t
            else:
                elsewhere.add(t.path)
                if t.path not in self.elsewhere:
                    self.report(f"{t.name}: watched by another workstation (or process)")
        with self._lock:
            self._targets = targets
            self.elsewhere = elsewhere
            # Turned off or followed elsewhere: not watched here, and not mistaken for a new
            # shoot in a shoots folder.
            self._disabled = {t.path for t in every if not t.enabled} | elsewhere

    def _covering_target(self, path: bytes) -> WatchTarget | None:
        """The watched folder an event path belongs to: the nearest enclosing target."""
        probe = path
        while True:
            if probe in self._disabled:
                return None  # inside a collection whose watching is turned off
            found = self._targets.get(probe)
            if found is not None:
                return found
            parent = os.path.dirname(probe)
            if parent == probe:
                return None
            probe = parent

    def _watch(self, target: WatchTarget) -> None:
        """Start following a target, unless an enclosing target already does (recursively)."""
        parent = self._covering_target(os.path.dirname(target.path))
        if parent is not None and parent.path in self._observers:
            return
        if not os.path.isdir(target.path):
            self.report(
                f"{target.name}: folder not found ({display_name(target.path)}); "
                "it is watched again once it is back"
            )
            return
        polling = self.force_polling or target.polling or needs_polling(target.path)
        try:
            self._observers[target.path] = self._observe(target.path, polling)
        except OSError as exc:
            if polling:
                self.report(f"{target.name}: cannot watch this folder: {exc}")
                return
            self._fall_back_to_polling(target, f"live watching failed ({exc})")

    def _fall_back_to_polling(self, target: WatchTarget, why: str) -> None:
        self.report(
            f"{target.name}: {why}; checking this folder every "
            f"{self.timings.poll_interval:g} s from now on"
        )
        self._observers[target.path] = self._observe(target.path, True)

    def _observe(self, path: bytes, polling: bool) -> BaseObserver:
        observer: BaseObserver = (
            PollingObserver(timeout=self.timings.poll_interval) if polling else Observer()
        )
        observer.schedule(_Hints(self), os.fsdecode(path), recursive=True)
        observer.daemon = True
        observer.start()
        return observer

    # -- hints -------------------------------------------------------------------------------

    def hint(self, path: bytes) -> None:
        """Something changed at `path`: re-scan its folder after the debounce."""
        with self._lock:
            target = self._covering_target(path)
            if target is None:
                return
            now = time.monotonic()
            first = self._first_hint.setdefault(target.path, now)
            # Each event pushes the scan back by the debounce, but never past max_delay.
            self._due[target.path] = min(
                now + self.timings.debounce, first + self.timings.max_delay
            )
            self._lock.notify_all()

    def events_lost(self, why: str) -> None:
        self.report(f"{why}: re-scanning every watched folder")
        now = time.monotonic()
        with self._lock:
            for path in self._targets:
                self._due[path] = now
            self._lock.notify_all()

    def _later(self, path: bytes, seconds: float) -> None:
        with self._lock:
            self._due[path] = min(self._due.get(path, float("inf")), time.monotonic() + seconds)
            self._lock.notify_all()

    # -- the worker --------------------------------------------------------------------------

    def _run(self) -> None:
        next_health = time.monotonic() + HEALTH_CHECK_SECONDS
        next_look = time.monotonic() + TAKE_OVER_SECONDS
        while True:
            with self._lock:
                while not self._stopping:
                    now = time.monotonic()
                    ready = [p for p, t in self._due.items() if t <= now]
                    if ready or now >= next_health or self._reload_requested:
                        break
                    wake = min([*self._due.values(), next_health])
                    self._lock.wait(timeout=max(0.01, wake - now))
                if self._stopping:
                    return
                reload, self._reload_requested = self._reload_requested, False
                for p in ready:
                    del self._due[p]
                    self._first_hint.pop(p, None)
                targets = [self._targets[p] for p in ready if p in self._targets]
                self._scanning = bool(targets)
            if reload:
                self._guarded("reloading the watch settings", self._apply_reload)
            try:
                for target in targets:
                    self._scan(target)
            finally:
                with self._lock:
                    self._scanning = False
            if time.monotonic() >= next_health:
                self._guarded("checking the watchers", self._check_health)
                if time.monotonic() >= next_look:
                    # a library root mounted again, the seat that watched something gone, a
                    # collection another seat or process made in a root watched here
                    self._guarded("reloading the watch settings", self._apply_reload)
                    next_look = time.monotonic() + TAKE_OVER_SECONDS
                next_health = time.monotonic() + HEALTH_CHECK_SECONDS

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """The worker must outlive any failure, or watching would stop in silence."""
        try:
            step()
        except Exception as exc:
            log.exception("watch service: %s failed", what)
            self.report(f"watching: {what} failed ({exc}); trying again shortly")

    def _scan(self, target: WatchTarget) -> None:
        try:
            if target.is_shoots_folder:
                self._scan_shoots_folder(target)
            else:
                assert target.collection_id is not None
                summary = rescan_collection(
                    self.catalog,
                    self.cache,
                    target.collection_id,
                    settle_seconds=self.timings.settle,
                    cancel=self._stop_scans,
                )
                self._after_scan(target, summary)
            mark_scanned(self.catalog, target.id)
        except BusyError:
            self._later(target.path, BUSY_RETRY_SECONDS)  # an import by hand is running
        except UserFacingError as exc:
            self.report(f"{target.name}: {exc}")
        except Exception:  # a bug must not end the watching of every other folder
            log.exception("re-scan of %r failed", target.path)
            self.report(f"{target.name}: re-scan failed (details in the log); trying again")
            self._later(target.path, 30.0)

    def _after_scan(self, target: WatchTarget, s: ImportSummary) -> None:
        self.scans += 1
        if self.on_scan is not None:
            self.on_scan(s)
        parts = [
            f"{n} {what}"
            for n, what in (
                (s.new, "new"),
                (s.changed, "changed"),
                (s.moved, "moved"),
                (s.missing, "missing"),
                (s.errors, "with errors"),
            )
            if n
        ]
        if parts:
            self.report(f"{s.collection}: " + ", ".join(parts))
        if s.unsettled:
            # Files still being written: look again as soon as the first of them has been
            # still long enough (during a long copy: every debounce period at most).
            self._later(target.path, max(s.settles_in + 0.05, self.timings.debounce))

    def _scan_shoots_folder(self, target: WatchTarget) -> None:
        """New first-level folders of a shoots folder become collections (and are watched)."""
        known = {t.path for t in self._targets.values()} | self._disabled
        try:
            names = sorted(os.listdir(target.path))
        except OSError as exc:
            self.report(f"{target.name}: cannot read the folder ({exc})")
            return
        for name in names:
            folder = os.path.join(target.path, name)
            if is_hidden_or_system(name) or folder in known or not os.path.isdir(folder):
                continue
            summary = import_folder(
                self.catalog,
                self.cache,
                folder,
                settle_seconds=self.timings.settle,
                cancel=self._stop_scans,
            )
            self.report(f"new shoot {summary.collection!r} in {target.name}")
            self._load_targets()  # route its events to the new collection from now on
            with self._lock:
                shoot = self._targets.get(folder)
            if shoot is not None:
                self._after_scan(shoot, summary)

    def _check_health(self) -> None:
        """An observer thread that died (watch limit, I/O error) loses events: restart the
        folder with polling and re-scan it. A folder that came back is watched again."""
        for target in self.watched():
            observer = self._observers.get(target.path)
            if observer is None:
                if (
                    os.path.isdir(target.path)
                    and self._covering_target(os.path.dirname(target.path)) is None
                ):
                    self._watch(target)
                    self._later(target.path, 0)
                continue
            alive = observer.is_alive() and all(e.is_alive() for e in observer.emitters)
            if alive:
                continue
            observer.stop()
            del self._observers[target.path]
            if not os.path.isdir(target.path):
                self.report(f"{target.name}: the folder is gone; it is watched again once back")
                continue
            self._fall_back_to_polling(target, "the watcher stopped")
            self._later(target.path, 0)  # events may have been lost: re-scan
