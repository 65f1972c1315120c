"""The thumbnail grid on a huge catalogue: first paint, scroll steps and memory.

    python benchmarks/bench_grid.py [--sizes 10000,1000000] [--steps 50] [--placeholders]
                                    [--profile] [--json] [--strict]

For each size a catalogue of that many media rows (no files: rows only) in one collection of
20 galleries is built once and cached in `.cache/grid-<N>.sqlite`. Each size is then measured in
a fresh process (so its memory figures are its own): the real MainWindow (no watcher) on that
catalogue, offscreen, with the collection selected as at start-up. Measured: the time from
`window.show()` to the grid's first paint, each scroll step (`setValue` on the scroll bar plus
a synchronous repaint of the viewport) once every id is loaded and laid out, and the process
RSS. Targets: first paint <= 0.5 s and independent of the catalogue's size, scroll step
<= 16 ms (median), RSS with the largest catalogue at most 64 MB above the smallest.
The rows cycle through 1000 content hashes whose grid thumbnails are written to a temporary
cache, so pictures load as in the app (`--placeholders`: none, every cell says "no preview").
Exit status: 0 ran (targets met or not, unless --strict), 1 a measuring process failed or
--strict miss.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageDraw

from _synthetic import CACHE_DIR, cpu_count, log
from gallery_desktop.catalog.db import Catalog, head_revision, peek_revision
from gallery_desktop.media.thumbnails import ThumbnailCache, ThumbSize

GRID_GENERATOR_VERSION: Final = 1  # bump when the rows written by build_catalogue change
DEFAULT_SIZES: Final = (10_000, 1_000_000)
GALLERIES: Final = 20
PICTURES: Final = 1000  # distinct content hashes (and grid thumbnails) the rows cycle through
PICTURE_SIZE: Final = (256, 171)

TARGET_FIRST_PAINT_SECONDS: Final = 0.5
TARGET_FIRST_PAINT_RATIO: Final = 1.5  # "independent of the catalogue's size"
TARGET_SCROLL_STEP_MS: Final = 16.0
TARGET_RSS_GROWTH_MB: Final = 64.0
PAGE_FLOOR: Final = 1000  # smaller catalogues would fit in the model's first page or two
POLL_MS: Final = 5  # how often the measuring process looks whether what it waits for is there
WAIT_SECONDS: Final = 300.0  # give up on the ids or the layout after this long
CHILD_TIMEOUT_SECONDS: Final = 900.0

NOW: Final = "2026-01-01 00:00:00.000000"  # created_at / updated_at (naive UTC, as stored)
FIRST_SHOT: Final = datetime(2019, 3, 2, 9, 0, 0)
GALLERY_STRIDE: Final = timedelta(days=60)  # a gallery can run into the next one's time
CAMERAS: Final = ("Canon EOS R6", "NIKON Z 6_2", "ILCE-7M4")
LENSES: Final = ("RF24-70mm F2.8 L IS USM", "NIKKOR Z 50mm f/1.8 S", "FE 85mm F1.8")
GALLERY_NAMES: Final = (
    "Getting ready",
    "Ceremony",
    "Portraits",
    "Family",
    "Reception",
    "Speeches",
    "First dance",
    "Party",
    "Details",
    "Venue",
    "Engagement",
    "Studio",
    "Headshots",
    "Street",
    "Travel",
    "Landscape",
    "Night",
    "Sport",
    "Concert",
    "Archive",
)


class BenchmarkError(Exception):
    """A measuring process failed or the window did not show what it must."""


# -- the synthetic catalogue --------------------------------------------------------------------


def picture_hash(k: int) -> str:
    """Content hash number k: 32 hex digits, like the importer's xxh3-128."""
    return hashlib.blake2b(f"bench-grid-picture-{k}".encode(), digest_size=16).hexdigest()


def catalogue_file(n: int) -> Path:
    return CACHE_DIR / f"grid-{n}.sqlite"


def _marker(n: int) -> Path:
    return CACHE_DIR / f"grid-{n}.json"


def _wanted(n: int) -> dict[str, Any]:
    return {
        "generator": GRID_GENERATOR_VERSION,
        "media": n,
        "galleries": GALLERIES,
        "pictures": PICTURES,
        "schema": head_revision(),
    }


def gallery_folder(g: int) -> str:
    """Gallery g's first-level folder: its month and its name, as photographers file shoots."""
    return f"{FIRST_SHOT + g * GALLERY_STRIDE:%Y-%m} {GALLERY_NAMES[g]}"


def _gaps(rnd: random.Random) -> Iterator[float]:
    """Seconds between two frames: mostly bursts, then pauses, now and then a long break."""
    while True:
        r = rnd.random()
        if r < 0.80:
            yield rnd.uniform(0.2, 3.0)
        elif r < 0.99:
            yield rnd.uniform(10.0, 300.0)
        else:
            yield rnd.uniform(3600.0, 8 * 3600.0)


def media_rows(n: int) -> Iterator[tuple[Any, ...]]:
    """The media rows, gallery after gallery (as an import writes them), in capture order
    within a gallery; galleries overlap in time, so capture order interleaves them at the
    edges. One file in 250 has no capture time (a screenshot, an export); one in 50 is a
    video."""
    rnd = random.Random(n)
    per_gallery, extra = divmod(n, GALLERIES)
    written = 0
    for g in range(GALLERIES):
        count = per_gallery + (1 if g < extra else 0)
        folder = gallery_folder(g)
        shot = FIRST_SHOT + g * GALLERY_STRIDE
        gaps = _gaps(rnd)
        for k in range(count):
            i = written + k
            shot += timedelta(seconds=next(gaps))
            video = i % 50 == 49
            camera = i % len(CAMERAS)
            name = f"{100 + k // 9999}{'CANON' if camera == 0 else 'CAM'}/"
            name += f"{'MVI' if video else 'IMG'}_{k % 9999 + 1:04d}.{'MP4' if video else 'JPG'}"
            path = f"{folder}/{name}"
            portrait = rnd.random() < 0.25
            r = rnd.random()
            rating = 0 if r < 0.7 else 1 + int((r - 0.7) / 0.06)
            p = rnd.random()
            yield (
                g + 1,  # gallery_id
                "video" if video else "photo",
                path.encode(),
                path,
                rnd.randint(4_000_000, 9_000_000) if not video else rnd.randint(50, 400) << 20,
                int(shot.timestamp() * 1e9) + 3_600_000_000_000,  # mtime_ns: copied later
                picture_hash(i % PICTURES),
                "MP4" if video else "JPEG",
                4000 if portrait else 6000,
                6000 if portrait else 4000,
                1 if video else (6 if portrait else 1),
                None if i % 250 == 0 else shot.isoformat(timespec="seconds"),
                CAMERAS[camera],
                LENSES[camera],
                rnd.uniform(5.0, 90.0) if video else None,
                min(rating, 5),
                "picked" if p < 0.05 else "rejected" if p < 0.08 else None,
                "red" if i % 97 == 0 else None,
                k,  # position
            )
        written += count


MEDIA_INSERT: Final = (
    "INSERT INTO media (collection_id, gallery_id, kind, rel_path, path, size_bytes, mtime_ns, "
    "content_hash, format, width, height, orientation, taken_at, camera, lens, duration, "
    "rating, pick, label, position, state, thumb_state, created_at, updated_at) "
    f"VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', 'ok', "
    f"'{NOW}', '{NOW}')"
)


def build_catalogue(n: int, target: Path) -> None:
    """The real schema (Catalog runs the migrations), then the rows in one transaction."""
    building = target.with_name(f".building-{target.name}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    Catalog(building, backup_dir=building.parent / ".building-backups").close()
    con = sqlite3.connect(building, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = DELETE")  # no WAL as big as the file while building
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA cache_size = -524288")  # 512 MB: the indexes stay in memory
        con.execute("BEGIN")
        con.execute(
            "INSERT INTO collection (id, name, description, tags_json, status, folder, "
            "folder_display, downloadable, download_sizes_json, download_watermarked, "
            "visitor_email_capture, client_exclusive, store_enabled, created_at, updated_at) "
            "VALUES (1, 'Archive', '', '[]', 'draft', ?, ?, 0, '[]', 0, 0, 0, 0, ?, ?)",
            (b"/photos/Archive", "/photos/Archive", NOW, NOW),
        )
        con.executemany(
            "INSERT INTO gallery (id, collection_id, name, position, private, folder, "
            "created_at) VALUES (?, 1, ?, ?, 0, ?, ?)",
            [
                (g + 1, GALLERY_NAMES[g], g, gallery_folder(g).encode(), NOW)
                for g in range(GALLERIES)
            ],
        )
        con.executemany(MEDIA_INSERT, media_rows(n))
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode = WAL")  # as the app leaves it
    finally:
        con.close()
    building.replace(target)


def ensure_catalogue(n: int) -> Path:
    """The cached catalogue of n media, built now if missing or made by another generator."""
    target, marker = catalogue_file(n), _marker(n)
    want = _wanted(n)
    if (
        target.is_file()
        and marker.is_file()
        and json.loads(marker.read_text()) == want
        and peek_revision(target) == want["schema"]
    ):
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    log(f"building a catalogue of {n} media rows into {target} (cached for later runs)...")
    started = time.perf_counter()
    build_catalogue(n, target)
    marker.write_text(json.dumps(want) + "\n")
    log(f"  done in {time.perf_counter() - started:.1f} s ({target.stat().st_size >> 20} MB)")
    return target


def write_pictures(cache: ThumbnailCache) -> None:
    """The grid thumbnails of the PICTURES content hashes: small gradients with a number."""
    for k in range(PICTURES):
        rnd = random.Random(k)
        corners = Image.new("RGB", (2, 2))
        corners.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(4)])
        im = corners.resize(PICTURE_SIZE, Image.Resampling.BILINEAR)
        ImageDraw.Draw(im).text((10, 10), str(k), fill=(255, 255, 255))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
        cache.put(picture_hash(k), ThumbSize.GRID, buf.getvalue())


def warm(path: Path) -> None:
    """Read the catalogue once, so every size starts with it in the page cache."""
    with path.open("rb") as f:
        while f.read(16 * 1024**2):
            pass


# -- the measuring process ----------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (or its peak, VmHWM), from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RefcountGuard:
    """Keeps None, True and False alive under PySide6 6.12.0 on Python 3.11.

    There, every PySide call that returns None (a void method: update(), setValue(),
    QThreadPool.start(), QTimer.singleShot()...) drops a reference to None it never took, and
    a signal's emit() one to True. From Python 3.12 these objects are immortal; on 3.11 the
    process aborts ("Fatal Python error: none_dealloc" / "bool_dealloc") once the losses reach
    the object's count (True has about 10,000 references: some 6,000 thumbnails delivered to
    the grid). The guard gives the references back whenever the count is below the one it
    started with, and adds up what it gave back (a lower bound of what was lost: references
    taken meanwhile by live objects hide losses).
    """

    def __init__(self) -> None:
        self._objects: tuple[object, ...] = (None, True, False)
        self._base = [sys.getrefcount(o) for o in self._objects]
        self._pins: list[object] = []
        self.lost = dict.fromkeys(("None", "True", "False"), 0)  # put back so far

    def top_up(self) -> None:
        for (name, obj), base in zip(
            zip(self.lost, self._objects, strict=True), self._base, strict=True
        ):
            missing = base - sys.getrefcount(obj)
            if missing > 0:
                self._pins.extend([obj] * missing)
                self.lost[name] += missing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(
    db: Path,
    pictures: Path | None,
    steps: int,
    seed: int,
    profile: bool,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """In this (fresh) process: open the window on `db` and measure. Results as a dict."""
    from PySide6.QtCore import (
        QAbstractEventDispatcher,
        QEvent,
        QEventLoop,
        QObject,
        QSettings,
        Qt,
        QTimer,
    )
    from PySide6.QtWidgets import QApplication

    from gallery_desktop.ui.main_window import MainWindow

    guard = RefcountGuard()
    _app = QApplication([sys.argv[0]])  # kept referenced for the whole measure
    loop = QEventLoop()  # run while waiting: it blocks between events, as app.exec() does
    rss_start = rss_mb()
    profiles: dict[str, cProfile.Profile] = {}

    def profiled(name: str, fn: Callable[[], Any]) -> Any:
        if not profile:
            return fn()
        prof = profiles.setdefault(name, cProfile.Profile())
        return prof.runcall(fn)

    def spin(until: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> float:
        """Run the event loop until `until()`; returns when (perf_counter) it was seen true.

        The loop blocks between events as in the app (a busy loop here would take the GIL
        from the model's workers); a timer looks at `until` every POLL_MS."""
        guard.top_up()
        if until():
            return time.perf_counter()
        deadline = time.perf_counter() + timeout
        seen: list[float] = []

        def check() -> None:
            guard.top_up()
            if until():
                seen.append(time.perf_counter())
                loop.quit()
            elif time.perf_counter() > deadline:
                loop.quit()

        timer = QTimer()
        timer.setInterval(POLL_MS)
        timer.timeout.connect(check)
        timer.start()
        loop.exec()
        timer.stop()
        guard.top_up()
        if not seen and until():
            seen.append(time.perf_counter())  # quit by someone else (the paint spy)
        if not seen:
            raise BenchmarkError(f"gave up waiting for {what} after {timeout:.0f} s")
        return seen[0]

    with tempfile.TemporaryDirectory(prefix="gd-bench-grid-", dir=workdir) as tmp:
        cache = ThumbnailCache(pictures if pictures is not None else Path(tmp) / "thumbnails")
        settings = QSettings(str(Path(tmp) / "gallery-desktop.ini"), QSettings.Format.IniFormat)
        started = time.perf_counter()
        catalog = Catalog(db, backup_dir=Path(tmp) / "backups")
        open_s = time.perf_counter() - started
        started = time.perf_counter()
        window = profiled("construct", lambda: MainWindow(catalog, cache, settings))
        construct_s = time.perf_counter() - started
        guard.top_up()
        model, grid = window.grid_model, window.grid
        view = model.view
        if view is None or view.collection_id != 1 or view.gallery_id is not None:
            raise BenchmarkError(f"the window does not show the collection at start: {view}")

        display_calls = 0
        model_data = type(model).data

        def counting_data(self: Any, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            nonlocal display_calls
            if role == Qt.ItemDataRole.DisplayRole:
                display_calls += 1
            return model_data(self, index, role)

        model.data = counting_data.__get__(model)  # Qt calls the instance's data()

        class PaintSpy(QObject):
            """Sees the viewport's paint events; `painted` once one drew grid cells."""

            def __init__(self) -> None:
                super().__init__()
                self.began: float | None = None
                self.calls_before = 0
                self.painted: float | None = None

            def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint and self.painted is None:
                    self.began = time.perf_counter()
                    self.calls_before = display_calls
                    QTimer.singleShot(0, self.after_paint)  # runs once the paint is done
                return False

            def after_paint(self) -> None:
                # The paint asked for cell texts: the grid is on screen. (A paint before the
                # cells are laid out draws none; then wait for the next.)
                if self.painted is None and display_calls > self.calls_before:
                    self.painted = time.perf_counter()
                    loop.quit()

        spy = PaintSpy()
        grid.viewport().installEventFilter(spy)

        def show_and_paint() -> None:
            window.show()
            spin(lambda: spy.painted is not None, "the first paint of the grid", 60.0)

        shown = time.perf_counter()
        profiled("first_paint", show_and_paint)
        assert spy.painted is not None and spy.began is not None
        first_paint_s = spy.painted - shown
        paint_began_s = spy.began - shown
        rows_at_paint, loading_at_paint = model.rowCount(), model.loading
        rss_first_paint = rss_mb()

        bar, viewport = grid.verticalScrollBar(), grid.viewport()
        visible = [
            model.index(r)
            for r in range(min(model.rowCount(), 400))
            if grid.visualRect(model.index(r)).intersects(viewport.rect())
        ]
        top = grid.visualRect(model.index(0)).top()
        columns = sum(1 for i in visible if grid.visualRect(i).top() == top)
        loading_picture = model.loading_picture

        def first_screen_pictures() -> bool:
            return all(
                model.data(i, Qt.ItemDataRole.DecorationRole) is not loading_picture
                for i in visible
            )

        pictures_s = spin(first_screen_pictures, "the first screen's thumbnails") - shown
        ids_s = spin(lambda: not model.loading, "every id of the view") - shown
        rss_all_ids = rss_mb()  # the layout has barely begun (one batch per event-loop turn)
        n = model.rowCount()

        # QListView lays the rows out in batches (LayoutMode.Batched), one batch per turn of
        # the event loop, and sets the scroll range when it is done: laid out = the range
        # covers every row (`columns` of them per line, as on the first screen).
        line_px = grid.gridSize().height()
        full_px = -(-n // columns) * line_px
        lowest_range = bar.maximum()

        def laid_out() -> bool:
            nonlocal lowest_range
            lowest_range = min(lowest_range, bar.maximum())
            return bool(bar.maximum() + viewport.height() >= full_px)

        layout_s = spin(laid_out, f"the layout of {n} rows ({full_px} px)") - shown
        scroll_range = bar.maximum()
        rss_laid_out = rss_mb()

        rnd = random.Random(seed)
        step_ms: list[float] = []
        busy_ms: list[float] = []  # the event loop's busy stretches between steps
        awake: list[float] = []

        def woke() -> None:
            awake[:] = [time.perf_counter()]

        def blocks() -> None:
            if awake:
                busy_ms.append((time.perf_counter() - awake.pop()) * 1000)

        def scroll() -> None:
            for i in range(steps):
                if i % 5 == 4:  # now and then a jump far away (dragging the scroll bar)
                    target = rnd.randrange(bar.maximum() + 1)
                else:
                    target = bar.value() + bar.pageStep()
                    if target > bar.maximum():
                        target = 0
                began = time.perf_counter()
                bar.setValue(target)
                viewport.repaint()
                step_ms.append((time.perf_counter() - began) * 1000)
                # The rest of a 60 Hz frame to the event loop (pictures arriving, repaints).
                rest = began + 1 / 60 - time.perf_counter()
                QTimer.singleShot(max(0, round(rest * 1000)), loop.quit)
                awake[:] = [time.perf_counter()]  # busy with what is pending until it blocks
                loop.exec()
                awake.clear()
                guard.top_up()

        gc_pauses: list[tuple[int, float]] = []  # (generation, ms) of collections while scrolling
        gc_began: list[float] = []

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_began[:] = [time.perf_counter()]
            elif gc_began:
                gc_pauses.append(
                    (info["generation"], (time.perf_counter() - gc_began.pop()) * 1000)
                )

        dispatcher = QAbstractEventDispatcher.instance()
        dispatcher.awake.connect(woke)
        dispatcher.aboutToBlock.connect(blocks)
        guard.top_up()
        gc.callbacks.append(on_gc)
        try:
            profiled("scroll", scroll)
        finally:
            gc.callbacks.remove(on_gc)
        guard.top_up()
        dispatcher.awake.disconnect(woke)
        dispatcher.aboutToBlock.disconnect(blocks)
        rss_scrolled = rss_mb()
        peak = rss_mb("VmHWM")
        held = {
            "ids": len(model._ids),
            "record_pages": len(model._pages),
            "records": sum(len(p) for p in model._pages.values()),
            "pictures": len(model._images),
            "pictures_mb": round(sum(i.sizeInBytes() for i in model._images.values()) / 2**20, 1),
        }
        window.close()
        window.tasks.wait()
        catalog.close()

    if profile:
        for name, prof in profiles.items():
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("cumulative").print_stats(25)
            log(f"--- cProfile, {n} rows, {name} (main thread only) ---\n{out.getvalue()}")
    return {
        "media": n,
        "open_seconds": round(open_s, 4),
        "construct_seconds": round(construct_s, 4),
        "first_paint_seconds": round(first_paint_s, 4),
        "paint_began_seconds": round(paint_began_s, 4),
        "rows_at_first_paint": rows_at_paint,
        "loading_at_first_paint": loading_at_paint,
        "first_screen_cells": len(visible),
        "first_screen_pictures_seconds": round(pictures_s, 4),
        "all_ids_seconds": round(ids_s, 4),
        "laid_out_seconds": round(layout_s, 4),
        "columns": columns,
        "scroll_range_px": scroll_range,
        "scroll_range_while_laying_out_px": lowest_range,
        "scroll_steps": steps,
        "scroll_step_ms": [round(ms, 3) for ms in step_ms],
        "scroll_step_median_ms": round(statistics.median(step_ms), 3),
        "scroll_step_p95_ms": round(percentile(step_ms, 0.95), 3),
        "scroll_step_max_ms": round(max(step_ms), 3),
        "gc_collections_while_scrolling": len(gc_pauses),
        "gc_longest_pause_ms": round(max((ms for _g, ms in gc_pauses), default=0.0), 3),
        "gc_longest_pause_generation": max(gc_pauses, key=lambda p: p[1], default=(-1, 0))[0],
        "event_loop_busy_max_ms": round(max(busy_ms, default=0.0), 3),
        "rss_start_mb": round(rss_start, 1),
        "rss_first_paint_mb": round(rss_first_paint, 1),
        "rss_all_ids_mb": round(rss_all_ids, 1),
        "rss_laid_out_mb": round(rss_laid_out, 1),
        "rss_scrolled_mb": round(rss_scrolled, 1),
        "rss_peak_mb": round(peak, 1),
        "model_holds": held,
        "refcount_guard_put_back": guard.lost,
        "profiled": profile,
    }


# -- the parent: build, run one process per size, report ----------------------------------------

NOISE: Final = ("This plugin does not support propagateSizeHints()",)  # Qt offscreen chatter


def run_child(
    db: Path, pictures: Path | None, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(db)]
    cmd += ["--workdir", str(workdir)]  # in the parent's temporary folder: gone even if it dies
    cmd += ["--steps", str(args.steps), "--seed", str(args.seed)]
    if pictures is not None:
        cmd += ["--pictures", str(pictures)]
    if args.profile:
        cmd.append("--profile")
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT_SECONDS, check=False
    )
    for line in done.stderr.splitlines():
        if line.strip() not in NOISE:
            log(line)
    if done.returncode != 0:
        raise BenchmarkError(f"the measuring process for {db.name} exited {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def startup(r: dict[str, Any]) -> float:
    """What the user waits for before the window is even shown."""
    return float(r["open_seconds"] + r["construct_seconds"])


def size_lines(r: dict[str, Any]) -> list[str]:
    held = r["model_holds"]
    put_back = r["refcount_guard_put_back"]
    loading = "the rest loading" if r["loading_at_first_paint"] else "all of them"
    pad = " " * 17
    lines = [
        f"{r['media']:>9} media: catalogue open {r['open_seconds']:.3f} s, window built "
        f"{r['construct_seconds']:.3f} s, first paint {r['first_paint_seconds']:.3f} s after "
        f"show ({r['rows_at_first_paint']} rows, {loading}); first screen's "
        f"{r['first_screen_cells']} thumbnails in {r['first_screen_pictures_seconds']:.3f} s",
        f"{pad}all ids {r['all_ids_seconds']:.2f} s, laid out {r['laid_out_seconds']:.2f} s "
        f"after show ({r['columns']} columns; scroll range meanwhile down to "
        f"{r['scroll_range_while_laying_out_px']} px, then {r['scroll_range_px']} px)",
        f"{pad}scroll step median {r['scroll_step_median_ms']:.1f} ms, p95 "
        f"{r['scroll_step_p95_ms']:.1f} ms, max {r['scroll_step_max_ms']:.1f} ms "
        f"({r['scroll_steps']} steps); between steps the event loop was busy for at most "
        f"{r['event_loop_busy_max_ms']:.1f} ms; longest GC pause {r['gc_longest_pause_ms']:.1f} "
        f"ms (generation {r['gc_longest_pause_generation']})",
        f"{pad}RSS {r['rss_start_mb']:.0f} MB before the window, "
        f"{r['rss_first_paint_mb']:.0f} MB at first paint, {r['rss_all_ids_mb']:.0f} MB with "
        f"all ids, {r['rss_laid_out_mb']:.0f} MB laid out, {r['rss_scrolled_mb']:.0f} MB after "
        f"scrolling (peak {r['rss_peak_mb']:.0f} MB)",
        f"{pad}the model holds {held['ids']} ids, {held['records']} records, "
        f"{held['pictures']} pictures ({held['pictures_mb']:.1f} MB)",
    ]
    if any(put_back.values()):
        lines.append(
            f"{pad}refcount guard (PySide6 bug, see the README) put back "
            + ", ".join(f"{n} references to {name}" for name, n in put_back.items() if n)
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="catalogue sizes, comma-separated; compared smallest to largest (10000,1000000)",
    )
    p.add_argument("--steps", type=int, default=50, help="scroll steps per size (50)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random jumps (1)")
    p.add_argument(
        "--placeholders",
        action="store_true",
        help="no thumbnails in the cache: every cell shows the 'no preview' placeholder",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the window's construction, first paint and scrolling (to stderr); "
        "the timings of a profiled run are inflated",
    )
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--pictures", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be at least 1")

    if args.child is not None:  # the measuring process: one size, JSON on stdout
        try:
            measured = measure(
                args.child, args.pictures, args.steps, args.seed, args.profile, args.workdir
            )
        except BenchmarkError as exc:
            log(f"FAILED: {exc}")
            return 1
        print(json.dumps(measured), flush=True)
        sys.stderr.flush()
        # No interpreter teardown: what the refcount guard could not give back after its
        # last look would abort it (bool_dealloc while collecting garbage).
        os._exit(0)

    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error("--sizes takes whole numbers separated by commas")
    if not sizes or min(sizes) < PAGE_FLOOR:
        p.error(f"--sizes: at least one size, each at least {PAGE_FLOOR}")

    catalogues = {n: ensure_catalogue(n) for n in sizes}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gd-bench-grid-") as tmp:
        pictures = None
        if not args.placeholders:
            pictures = Path(tmp) / "thumbnails"
            write_pictures(ThumbnailCache(pictures))
        try:
            for n, db in catalogues.items():
                warm(db)
                log(f"measuring {n} media in a fresh process...")
                runs.append(run_child(db, pictures, Path(tmp), args))
        except (BenchmarkError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            log(f"FAILED: {exc}")
            return 1

    ref, big = runs[0], runs[-1]
    paint_ratio = big["first_paint_seconds"] / ref["first_paint_seconds"]
    rss_growth = big["rss_scrolled_mb"] - ref["rss_scrolled_mb"]
    rss_paint_growth = big["rss_first_paint_mb"] - ref["rss_first_paint_mb"]
    worst_paint = max(r["first_paint_seconds"] for r in runs)
    worst_step = max(r["scroll_step_median_ms"] for r in runs)
    paint_met = worst_paint <= TARGET_FIRST_PAINT_SECONDS and (
        len(runs) == 1 or paint_ratio <= TARGET_FIRST_PAINT_RATIO
    )
    scroll_met = worst_step <= TARGET_SCROLL_STEP_MS
    memory_met = rss_growth <= TARGET_RSS_GROWTH_MB
    ok = {True: "OK", False: "MISSED"}
    vs = f"{big['media']}/{ref['media']}"
    rss_ratio = big["rss_scrolled_mb"] / ref["rss_scrolled_mb"]
    rss_paint_ratio = big["rss_first_paint_mb"] / ref["rss_first_paint_mb"]
    summary = [
        "first paint: "
        + " / ".join(f"{r['first_paint_seconds']:.3f} s" for r in runs)
        + f", ratio {vs} {paint_ratio:.2f} (target <= {TARGET_FIRST_PAINT_SECONDS} s, ratio "
        f"<= {TARGET_FIRST_PAINT_RATIO}) {ok[paint_met]}",
        "before show (not a target): catalogue open + window built "
        + " / ".join(f"{startup(r):.3f} s" for r in runs)
        + f", ratio {vs} {startup(big) / startup(ref):.2f}",
        "scroll step: median "
        + " / ".join(f"{r['scroll_step_median_ms']:.1f} ms" for r in runs)
        + ", p95 "
        + " / ".join(f"{r['scroll_step_p95_ms']:.1f} ms" for r in runs)
        + f" (target median <= {TARGET_SCROLL_STEP_MS:.0f} ms) {ok[scroll_met]}",
        "memory: RSS after scrolling "
        + " / ".join(f"{r['rss_scrolled_mb']:.0f} MB" for r in runs)
        + f", {vs} {round(rss_growth):+d} MB, ratio {rss_ratio:.2f}; at first paint "
        f"{round(rss_paint_growth):+d} MB, ratio {rss_paint_ratio:.2f} "
        f"(target <= +{TARGET_RSS_GROWTH_MB:.0f} MB) {ok[memory_met]}",
    ]
    met = paint_met and scroll_met and memory_met
    result: dict[str, Any] = {
        "benchmark": "grid",
        "cores": cpu_count(),
        "galleries": GALLERIES,
        "thumbnails": "placeholders" if args.placeholders else f"{PICTURES} distinct JPEGs",
        "sizes": runs,
        "first_paint_ratio": round(paint_ratio, 3),
        "before_show_ratio": round(startup(big) / startup(ref), 3),
        "rss_growth_mb": round(rss_growth, 1),
        "rss_first_paint_growth_mb": round(rss_paint_growth, 1),
        "targets": {
            "first_paint_seconds": TARGET_FIRST_PAINT_SECONDS,
            "first_paint_ratio": TARGET_FIRST_PAINT_RATIO,
            "scroll_step_median_ms": TARGET_SCROLL_STEP_MS,
            "rss_growth_mb": TARGET_RSS_GROWTH_MB,
        },
        "first_paint_met": paint_met,
        "scroll_met": scroll_met,
        "memory_met": memory_met,
        "target_met": met,
        "cache": [str(db) for db in catalogues.values()],
    }
    if args.json:
        for line in summary:
            log(line)
        print(json.dumps(result, indent=2))
    else:
        thumbs = "placeholders only" if args.placeholders else f"{PICTURES} distinct thumbnails"
        print(
            f"grid: {len(runs)} catalogues, one collection of {GALLERIES} galleries each, "
            f"{thumbs}, {cpu_count()} cores{', PROFILED' if args.profile else ''}"
        )
        for r in runs:
            print("\n".join(size_lines(r)))
        print("\n".join(summary))
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
