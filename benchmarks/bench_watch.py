"""The watch service: how soon bursts of copied files are in the catalogue; idle CPU use.

    python benchmarks/bench_watch.py [--files 10000] [--bursts 10] [--pause 0.3] [--settle S]
                                     [--tree-files 100000] [--tree-folders 100]
                                     [--idle-seconds 10] [--only burst|idle] [--json] [--strict]

burst: a fresh shoot folder (one photo, imported) is watched with the default timings (or
`--settle`); another process then writes `--files` 64x48 JPEGs (each with its own JPEG comment,
so its own content hash) into it in `--bursts` bursts, into nested card folders
("Card 1/DCIM/100CANON", ...), `--pause` seconds apart. Measured: the time from the last write
until the catalogue equals the disk (every file a row in state 'ok', nothing else, and the
service idle). Target: <= settle + 5 s. The content hashes and thumbnails of all rows are
checked once at the end.

idle: the cached 100,000-file tree of bench_rescan.py, imported once (the imported catalogue and
thumbnail cache are cached too), is watched; after the service's catch-up scan, its process CPU
time (all threads) over `--idle-seconds` is compared with the same window measured just before
the service started. Target: watcher CPU <= 1 % of one core.
Exit status: 0 ran (targets met or not, unless --strict), 1 wrong result or --strict miss.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from PIL import Image

from _synthetic import (
    CACHE_DIR,
    cpu_count,
    ensure_file_tree,
    fresh_home,
    log,
    tree_dir,
    with_comment,
)
from gallery_desktop.catalog.db import Catalog, head_revision
from gallery_desktop.ingest.importer import ImportSummary, import_folder
from gallery_desktop.ingest.probe import hash_file
from gallery_desktop.ingest.watcher import WatchService, WatchTimings
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths

TARGET_MARGIN_SECONDS: Final = 5.0  # burst: in step within settle + this
TARGET_IDLE_CPU_PERCENT: Final = 1.0  # idle: "near zero"
POLL_SECONDS: Final = 0.1
SMALL_JPEG_SIZE: Final = (64, 48)
HOME_CACHE_VERSION: Final = 1  # bump when the cached imported home must be made again


class BenchmarkError(Exception):
    """The watcher or the import did not produce what it must; the figures would mean nothing."""


# -- helpers ------------------------------------------------------------------------------------


def small_jpeg() -> bytes:
    """A small valid JPEG; each copied file is this with its own JPEG comment (own hash)."""
    im = Image.linear_gradient("L").resize(SMALL_JPEG_SIZE).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def check(summary: ImportSummary, expected: dict[str, int], what: str) -> None:
    wrong = [
        f"{name} = {getattr(summary, name)}, expected {value}"
        for name, value in expected.items()
        if getattr(summary, name) != value
    ]
    if wrong:
        detail = f" (first errors: {summary.error_files[:3]})" if summary.error_files else ""
        raise BenchmarkError(f"{what} result is wrong: " + "; ".join(wrong) + detail)


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process, by thread name
    (Linux /proc; clock-tick resolution). Empty where /proc is not there."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        out[f"{names.get(int(tid), 'thread')} [{tid}]"] = seconds
    return out


def cpu_by_thread(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Threads that used CPU between two `thread_cpu` snapshots, busiest first."""
    used = {k: v - before.get(k, 0.0) for k, v in after.items()}
    return dict(sorted(((k, v) for k, v in used.items() if v > 0), key=lambda kv: -kv[1]))


@contextmanager
def counted_watch_warnings() -> Iterator[list[str]]:
    """watchdog warns (RuntimeWarning, to stderr) each time it watches a new folder twice, which
    it does for folders made in quick succession (`mkdir -p`, a card copy): count those
    instead of printing them; other warnings are shown as usual."""
    seen: list[str] = []
    with warnings.catch_warnings():
        warnings.filterwarnings("always", message="Callback with id", category=RuntimeWarning)
        show = warnings.showwarning

        def counting(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: Any = None,
            line: str | None = None,
        ) -> None:
            if category is RuntimeWarning and "already exists for watch" in str(message):
                seen.append(str(message))
            else:
                show(message, category, filename, lineno, file, line)

        warnings.showwarning = counting
        yield seen


@dataclass
class Recorder:
    """What the service reported and scanned, with monotonic times."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    scans: list[tuple[float, ImportSummary]] = field(default_factory=list)

    def report(self, line: str) -> None:
        self.lines.append((time.monotonic(), line))

    def on_scan(self, summary: ImportSummary) -> None:
        self.scans.append((time.monotonic(), summary))


# -- 1. bursts of new files ---------------------------------------------------------------------


def burst_folder(burst: int) -> str:
    """Two bursts per card, each into its own DCIM folder: Card 1/DCIM/100CANON, 101CANON, ..."""
    return f"Card {burst // 2 + 1}/DCIM/{100 + burst % 2}CANON"


def catalogue_ok_paths(db: sqlite3.Connection, expected: int) -> set[bytes] | None:
    """rel_path of every 'ok' row, or None while their number is not yet `expected`."""
    (count,) = db.execute("SELECT count(*) FROM media WHERE state = 'ok'").fetchone()
    if count != expected:
        return None
    return {r[0] for r in db.execute("SELECT rel_path FROM media WHERE state = 'ok'")}


def verify_rows(db: sqlite3.Connection, shoot: Path, expected: set[bytes]) -> None:
    """Every 'ok' row's content hash is its file's, its thumbnail is made, and no row is in
    another state."""
    states = dict(db.execute("SELECT state, count(*) FROM media GROUP BY state").fetchall())
    if set(states) != {"ok"} or states["ok"] != len(expected):
        raise BenchmarkError(f"catalogue rows by state: {states}, expected ok: {len(expected)}")
    root = os.fsencode(shoot)
    wrong: list[str] = []
    rows = db.execute("SELECT rel_path, content_hash, thumb_state FROM media").fetchall()
    for rel, digest, thumb_state in rows:
        if rel not in expected:
            wrong.append(f"{rel!r}: not on disk")
        elif hash_file(os.path.join(root, rel)) != digest:
            wrong.append(f"{rel!r}: content hash {digest} is not the file's")
        elif thumb_state != "ok":
            wrong.append(f"{rel!r}: thumb_state {thumb_state!r}")
    if wrong:
        raise BenchmarkError(f"{len(wrong)} wrong rows, first: " + "; ".join(wrong[:3]))


def wait_in_step(
    service: WatchService, db: sqlite3.Connection, expected: set[bytes], deadline: float
) -> tuple[float, float]:
    """Poll until every expected file is an 'ok' row (and no other row is) and the service is
    idle: (when the rows were first right, when both held), monotonic times."""
    matched_at: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if catalogue_ok_paths(db, len(expected)) == expected:
            matched_at = matched_at or now
            if service.idle:
                return matched_at, now
        time.sleep(POLL_SECONDS)
    (have,) = db.execute("SELECT count(*) FROM media WHERE state = 'ok'").fetchone()
    raise BenchmarkError(
        f"not in step by the deadline: {have} of {len(expected)} files catalogued, "
        f"service idle: {service.idle}"
    )


def write_bursts(
    shoot: str, files: int, bursts: int, pause: float
) -> tuple[list[bytes], float, float]:
    """Write the files, `pause` s between bursts: (their rel paths, first write, last write),
    as `time.monotonic()` (system-wide on Linux). Runs in a process of its own, like a copy
    would, so the writer and the watcher do not share a GIL."""
    jpeg = small_jpeg()
    per_burst = -(-files // bursts)
    written: list[bytes] = []
    first_write = last_write = time.monotonic()
    for b in range(bursts):
        rel_dir = burst_folder(b)
        folder = Path(shoot) / rel_dir
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(b * per_burst, min(files, (b + 1) * per_burst)):
            name = f"IMG_{i:05d}.jpg"
            with open(folder / name, "wb") as f:
                f.write(with_comment(jpeg, f"bench-watch {i}"))
            written.append(f"{rel_dir}/{name}".encode())
        last_write = time.monotonic()
        if b < bursts - 1:
            time.sleep(pause)
    return written, first_write, last_write


def run_burst(args: argparse.Namespace) -> dict[str, Any]:
    timings = WatchTimings() if args.settle is None else WatchTimings(settle=args.settle)
    rec = Recorder()
    with (
        tempfile.TemporaryDirectory(prefix="gd-bench-watch-shoot-") as tmp,
        fresh_home("gd-bench-watch-home-") as (catalog, cache),
        counted_watch_warnings() as double_watches,
    ):
        shoot = Path(tmp).resolve() / "Watched shoot"
        shoot.mkdir()
        (shoot / "IMG_SEED.jpg").write_bytes(with_comment(small_jpeg(), "seed"))
        check(import_folder(catalog, cache, shoot), {"new": 1, "errors": 0}, "seed import")
        service = WatchService(
            catalog, cache, timings=timings, report=rec.report, on_scan=rec.on_scan
        )
        service.start()
        try:
            # The seed file is younger than the settle period: the catch-up scan leaves it
            # for one more scan, a settle period later.
            if not wait_until(lambda: service.idle and service.scans >= 1, 60):
                raise BenchmarkError("the service's catch-up scan did not finish within 60 s")
            scans_before = service.scans
            log(f"writing {args.files} files in {args.bursts} bursts into {shoot}...")
            # "spawn": forking a process that runs threads (the watcher's) is not safe.
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                written, first_write, last_write = pool.submit(
                    write_bursts, str(shoot), args.files, args.bursts, args.pause
                ).result()
            expected = {*written, b"IMG_SEED.jpg"}
            log(
                f"  written in {last_write - first_write:.2f} s; waiting for the catalogue to "
                "equal the disk..."
            )
            db = sqlite3.connect(f"file:{catalog.db_file}?mode=ro", uri=True)
            try:
                try:
                    matched_at, in_step_at = wait_in_step(
                        service, db, expected, last_write + timings.settle + args.timeout
                    )
                except BenchmarkError as exc:
                    recent = [line for _t, line in rec.lines[-5:]]
                    raise BenchmarkError(f"{exc}; last reports: {recent}") from None
                scans = service.scans - scans_before
                verify_rows(db, shoot, expected)
            finally:
                db.close()
        finally:
            service.stop()

    for t, s in rec.scans[scans_before:]:
        log(
            f"  scan ended {t - last_write:+6.2f} s from the last write: {s.new} new, "
            f"{s.unsettled} unsettled (settle in {s.settles_in:.2f} s), took {s.seconds:.2f} s"
        )
    lost = [line for _t, line in rec.lines if "re-scanning every watched folder" in line]
    latency = in_step_at - last_write
    total = in_step_at - first_write
    return {
        "files": args.files,
        "bursts": args.bursts,
        "pause_seconds": args.pause,
        "timings": {
            "settle": timings.settle,
            "debounce": timings.debounce,
            "max_delay": timings.max_delay,
            "poll_interval": timings.poll_interval,
        },
        "write_seconds": round(last_write - first_write, 3),
        "latency_seconds": round(latency, 3),
        "rows_complete_seconds": round(matched_at - last_write, 3),
        "margin_seconds": round(latency - timings.settle, 3),
        "target_seconds": timings.settle + TARGET_MARGIN_SECONDS,
        "target_met": latency <= timings.settle + TARGET_MARGIN_SECONDS,
        "scans": scans,
        "scans_after_last_write": sum(1 for t, _s in rec.scans if t > last_write),
        "scan_log": [
            {
                "ended_seconds_from_last_write": round(t - last_write, 3),
                "new": s.new,
                "unsettled": s.unsettled,
                "seconds": s.seconds,
            }
            for t, s in rec.scans[scans_before:]
        ],
        "events_lost_reports": len(lost),
        "watchdog_double_watch_warnings": len(double_watches),
        "total_seconds": round(total, 3),
        "files_per_second": round(args.files / total, 1),
    }


# -- 2. idle CPU on a big watched tree ----------------------------------------------------------


def home_cache_dir(files: int, folders: int) -> Path:
    return CACHE_DIR / f"watch-home-h{HOME_CACHE_VERSION}-{tree_dir(files, folders, False).name}"


def ensure_imported_home(root: Path, files: int, folders: int) -> tuple[AppPaths, float | None]:
    """A catalogue + thumbnail cache holding the tree `root`, imported once and cached (keyed
    by the tree, when it was written, and the catalogue schema). (paths, import seconds or
    None when cached). Runs work on a copy (`clone_home`): this one is never opened again."""
    base = home_cache_dir(files, folders)
    home, marker = base / "home", base / "complete.json"
    want = {
        "tree": str(root.resolve()),
        "tree_written_ns": (tree_dir(files, folders, False) / "complete.json").stat().st_mtime_ns,
        "schema": head_revision(),
        "files": files,
    }
    try:
        if home.is_dir() and json.loads(marker.read_text()) == want:
            return AppPaths.at_home(home), None
    except (OSError, ValueError):
        pass
    if base.exists():
        shutil.rmtree(base)
    building = base / "building"
    paths = AppPaths.at_home(building).ensure()
    log(f"setup: importing the {files}-file tree (with thumbnails; cached in {base})...")
    started = time.perf_counter()
    catalog = Catalog(paths.catalog_file, backup_dir=paths.backup_dir)
    try:
        summary = import_folder(catalog, ThumbnailCache(paths.thumbnail_dir), root)
    finally:
        catalog.close()
    import_s = time.perf_counter() - started
    check(summary, {"files": files, "new": files, "errors": 0, "thumbnails": files}, "import")
    building.rename(home)
    marker.write_text(json.dumps(want) + "\n")
    return AppPaths.at_home(home), import_s


def clone_home(source: AppPaths, target: Path) -> AppPaths:
    """A working copy of an imported home: the catalogue copied, thumbnails hard-linked (the
    cache replaces files atomically, never writes into one), copied where links fail."""
    thumbs = str(source.thumbnail_dir)

    def link_or_copy(src: str, dst: str) -> None:
        if src.startswith(thumbs + os.sep):
            try:
                os.link(src, dst)
                return
            except OSError:
                pass
        shutil.copy2(src, dst)

    shutil.copytree(source.data_dir, target, copy_function=link_or_copy, dirs_exist_ok=True)
    return AppPaths.at_home(target).ensure()


def idle_window(seconds: float) -> tuple[float, float, dict[str, float]]:
    """Sleep for `seconds`: (CPU seconds of the whole process, wall seconds, CPU by thread)."""
    threads = thread_cpu()
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu, wall, cpu_by_thread(threads, thread_cpu())


def run_idle(args: argparse.Namespace) -> dict[str, Any]:
    n, folders = args.tree_files, args.tree_folders
    root = ensure_file_tree(n, folders)
    source, import_s = ensure_imported_home(root, n, folders)
    rec = Recorder()
    with tempfile.TemporaryDirectory(prefix="gd-bench-watch-idle-") as tmp:
        started = time.perf_counter()
        paths = clone_home(source, Path(tmp))
        clone_s = time.perf_counter() - started
        catalog = Catalog(paths.catalog_file, backup_dir=paths.backup_dir)
        try:
            log(f"baseline: {args.idle_seconds:g} s idle without the watcher...")
            base_cpu, base_wall, _ = idle_window(args.idle_seconds)
            service = WatchService(
                catalog,
                ThumbnailCache(paths.thumbnail_dir),
                report=rec.report,
                on_scan=rec.on_scan,
            )
            started, cpu = time.perf_counter(), time.process_time()
            service.start()
            try:
                if not wait_until(lambda: service.idle and service.scans >= 1, 600):
                    raise BenchmarkError(
                        "the catch-up scan did not finish within 600 s; reports: "
                        f"{[line for _t, line in rec.lines[-5:]]}"
                    )
                catchup_s = time.perf_counter() - started
                catchup_cpu = time.process_time() - cpu
                catchup = rec.scans[0][1]
                check(
                    catchup,
                    {"files": n, "unchanged": n, "new": 0, "changed": 0, "missing": 0},
                    "catch-up scan",
                )
                log(f"watching: {args.idle_seconds:g} s idle with the watcher...")
                scans_before = service.scans
                watch_cpu, watch_wall, by_thread = idle_window(args.idle_seconds)
                idle_scans = service.scans - scans_before
                still_idle = service.idle
            finally:
                service.stop()
        finally:
            catalog.close()
    if idle_scans or not still_idle:
        raise BenchmarkError(
            f"the watcher was not idle on an unchanged tree: {idle_scans} scans in the window; "
            f"reports: {[line for _t, line in rec.lines]}"
        )
    watch_pct = 100 * watch_cpu / watch_wall
    return {
        "files": n,
        "folders": folders,
        "setup_import_seconds": round(import_s, 3) if import_s is not None else None,
        "home_cache": str(home_cache_dir(n, folders)),
        "clone_home_seconds": round(clone_s, 3),
        "catchup_scan_seconds": round(catchup_s, 3),
        "catchup_scan_cpu_seconds": round(catchup_cpu, 3),
        "catchup_scan_importer_seconds": catchup.seconds,
        "idle_seconds": round(watch_wall, 3),
        "watch_cpu_seconds": round(watch_cpu, 4),
        "watch_cpu_percent": round(watch_pct, 3),
        "baseline_cpu_seconds": round(base_cpu, 4),
        "baseline_cpu_percent": round(100 * base_cpu / base_wall, 3),
        "watch_cpu_by_thread": {k: round(v, 2) for k, v in by_thread.items()},
        "target_percent": TARGET_IDLE_CPU_PERCENT,
        "target_met": watch_pct <= TARGET_IDLE_CPU_PERCENT,
    }


# -- main ---------------------------------------------------------------------------------------


def burst_lines(r: dict[str, Any]) -> tuple[list[str], str]:
    t = r["timings"]
    details = [
        f"{r['files']} files in {r['bursts']} bursts, {r['pause_seconds']:g} s apart, "
        f"{cpu_count()} cores",
        f"timings: settle {t['settle']:g} s, debounce {t['debounce']:g} s, max_delay "
        f"{t['max_delay']:g} s, poll_interval {t['poll_interval']:g} s",
        f"writing took {r['write_seconds']:.2f} s; rows complete "
        f"{r['rows_complete_seconds']:.2f} s after the last write; {r['scans']} re-scans "
        f"({r['scans_after_last_write']} after the last write); event-loss re-scans: "
        f"{r['events_lost_reports']}; watchdog double-watch warnings: "
        f"{r['watchdog_double_watch_warnings']}",
    ]
    line = (
        f"burst: in step {r['latency_seconds']:.2f} s after the last write (settle "
        f"{t['settle']:g} s, margin {r['margin_seconds']:+.2f} s; target <= "
        f"{r['target_seconds']:g} s) {'OK' if r['target_met'] else 'MISSED'}  re-scans: "
        f"{r['scans']}  overall {r['files_per_second']:.0f} files/s"
    )
    return details, line


def idle_lines(r: dict[str, Any]) -> tuple[list[str], str]:
    setup = (
        f"{r['setup_import_seconds']:.1f} s ({r['files'] / r['setup_import_seconds']:.0f} files/s)"
        if r["setup_import_seconds"] is not None
        else f"cached ({r['home_cache']})"
    )
    threads = ", ".join(f"{k} {v:.2f} s" for k, v in r["watch_cpu_by_thread"].items())
    details = [
        f"{r['files']} files in {r['folders']} folders, {cpu_count()} cores",
        f"setup import (not the measure): {setup}; working copy {r['clone_home_seconds']:.1f} s",
        f"catch-up scan: {r['catchup_scan_seconds']:.2f} s after start "
        f"({r['catchup_scan_cpu_seconds']:.2f} s CPU)",
        f"idle {r['idle_seconds']:.1f} s: watcher {r['watch_cpu_seconds']:.3f} s CPU, baseline "
        f"{r['baseline_cpu_seconds']:.3f} s CPU; by thread: {threads or 'nothing measurable'}",
    ]
    line = (
        f"idle: watcher {r['watch_cpu_percent']:.2f} % of one core (target <= "
        f"{r['target_percent']:g} %) {'OK' if r['target_met'] else 'MISSED'}  baseline "
        f"{r['baseline_cpu_percent']:.2f} %  catch-up scan {r['catchup_scan_seconds']:.2f} s"
    )
    return details, line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--files", type=int, default=10_000, help="burst: files to copy (10000)")
    p.add_argument("--bursts", type=int, default=10, help="burst: bursts they come in (10)")
    p.add_argument("--pause", type=float, default=0.3, help="burst: seconds between bursts")
    p.add_argument(
        "--settle", type=float, default=None, help="burst: settle period (default: the app's)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="burst: give up this long after settle + last write (120)",
    )
    p.add_argument("--tree-files", type=int, default=100_000, help="idle: tree size (100000)")
    p.add_argument("--tree-folders", type=int, default=100, help="idle: its folders (100)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle: window length (10)")
    p.add_argument("--only", choices=("burst", "idle"), help="run one of the two benchmarks")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if min(args.files, args.bursts, args.tree_files, args.tree_folders) < 1:
        p.error("--files, --bursts, --tree-files and --tree-folders must be at least 1")
    if args.pause < 0 or args.idle_seconds <= 0 or (args.settle is not None and args.settle < 0):
        p.error("--pause and --settle must be >= 0, --idle-seconds > 0")

    result: dict[str, Any] = {"benchmark": "watch", "cores": cpu_count()}
    blocks: list[tuple[list[str], str]] = []
    try:
        if args.only in (None, "burst"):
            result["burst"] = run_burst(args)
            blocks.append(burst_lines(result["burst"]))
        if args.only in (None, "idle"):
            result["idle"] = run_idle(args)
            blocks.append(idle_lines(result["idle"]))
    except BenchmarkError as exc:
        log(f"FAILED: {exc}")
        return 1

    met = all(result[k]["target_met"] for k in ("burst", "idle") if k in result)
    if args.json:
        for _details, line in blocks:
            log(line)
        print(json.dumps(result, indent=2))
    else:
        for details, line in blocks:
            print("\n".join(details))
            print(line)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
