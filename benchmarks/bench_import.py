"""Import throughput against `vipsthumbnail`: N synthetic 24 MP JPEGs, thumbnails included.

    python benchmarks/bench_import.py [--n 300] [--repeat 1] [--json] [--strict]

Both sides start with the files in the page cache (every file is read once before any timing),
use all cores, and make one 256 px thumbnail per photo. The import additionally hashes each file,
reads its EXIF, stores the camera's embedded preview and writes the catalogue.
Target: import images/s >= vipsthumbnail images/s (ratio >= 1.0).
Exit status: 0 ran (target met or not, unless --strict), 1 wrong import result or --strict miss,
2 vipsthumbnail is not installed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from _synthetic import (
    cpu_count,
    ensure_photo_set,
    fresh_home,
    log,
    photo_set_dir,
    read_all,
)
from gallery_desktop.ingest.importer import ImportProgress, import_folder
from gallery_desktop.media.thumbnails import ThumbSize

TARGET_RATIO: Final = 1.0
VIPS_SIZE: Final = 256


def cpu_seconds(who: int) -> float:
    """User + system CPU time of this process (all threads) or of its reaped children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class BenchmarkError(Exception):
    """The import did not produce what it must; the figures would be meaningless."""


class PhaseClock:
    """Progress callback that notes when each import phase last reported.

    A phase is timed from the previous phase's last report to its own last one, so
    "reading" covers the walk and the probing (hash, EXIF, embedded preview), "thumbnails"
    the 256 px renders, and "finish" what follows (last commit, cache trim).
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last: dict[str, float] = {}

    def __call__(self, p: ImportProgress) -> None:
        self.last[p.phase] = time.perf_counter() - self.started

    def durations(self) -> dict[str, float]:
        out: dict[str, float] = {}
        previous = 0.0
        for phase, at in sorted(self.last.items(), key=lambda kv: kv[1]):
            out["finish" if phase == "done" else phase] = round(at - previous, 3)
            previous = at
        out.pop("scanning", None)  # reported once, at the very start
        return out


def run_import(folder: Path, n: int, workers: int | None) -> dict[str, Any]:
    """Import `folder` into a fresh catalogue and thumbnail cache; check and time it."""
    with fresh_home("gd-bench-import-") as (catalog, cache):
        clock = PhaseClock()
        cpu_before = cpu_seconds(resource.RUSAGE_SELF)
        started = time.perf_counter()
        summary = import_folder(catalog, cache, folder, progress=clock, workers=workers)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before

        problems = []
        if summary.new != n:
            problems.append(f"summary.new = {summary.new}, expected {n}")
        if summary.errors != 0:
            problems.append(f"summary.errors = {summary.errors}: {summary.error_files[:5]}")
        if summary.thumbnails != n:
            problems.append(f"summary.thumbnails = {summary.thumbnails}, expected {n}")
        with catalog.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT count(*), sum(thumb_state = 'ok'), sum(camera IS NOT NULL), "
                "sum(taken_at IS NOT NULL), sum(orientation IS NOT NULL) FROM media"
            ).one()
        labels = ("media rows", "thumb_state 'ok'", "camera", "taken_at", "orientation")
        for label, value in zip(labels, row, strict=True):
            if value != n:
                problems.append(f"catalogue: {label}: {value} rows, expected {n}")
        grid = sum(1 for _ in (cache.root / str(int(ThumbSize.GRID))).rglob("*.jpg"))
        embedded = sum(1 for _ in (cache.root / str(int(ThumbSize.EMBEDDED))).rglob("*.jpg"))
        if grid != n or embedded != n:
            problems.append(f"thumbnail cache: {grid} grid + {embedded} embedded, expected {n}")
        if problems:
            raise BenchmarkError("import result is wrong:\n  " + "\n  ".join(problems))
    return {
        "seconds": round(seconds, 3),
        "images_per_s": round(n / seconds, 2),
        "cpu_ms_per_image": round(1000 * cpu / n, 1),
        "phases": clock.durations(),
    }


def run_vips(vips: str, files: list[Path], processes: int) -> dict[str, Any]:
    """`vipsthumbnail -s 256` over the files, split into `processes` concurrent commands."""
    chunks = [files[i::processes] for i in range(processes)]
    with tempfile.TemporaryDirectory(prefix="gd-bench-vips-") as out:
        cmds = [
            [vips, "-s", str(VIPS_SIZE), "-o", f"{out}/%s.jpg", *map(str, chunk)]
            for chunk in chunks
            if chunk
        ]
        cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE) for cmd in cmds]
        errors = [p.communicate()[1] for p in procs]
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before
        failed = [(p.returncode, e) for p, e in zip(procs, errors, strict=True) if p.returncode]
        if failed:
            raise BenchmarkError(f"vipsthumbnail failed: {failed[0][1].decode(errors='replace')}")
        made = len(list(Path(out).glob("*.jpg")))
        if made != len(files):
            raise BenchmarkError(f"vipsthumbnail made {made} thumbnails for {len(files)} files")
    return {
        "seconds": round(seconds, 3),
        "images_per_s": round(len(files) / seconds, 2),
        "cpu_ms_per_image": round(1000 * cpu / len(files), 1),
        "processes": len(cmds),
    }


def vips_version(vips: str) -> str:
    done = subprocess.run([vips, "--vips-version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=300, help="number of 24 MP photos (default 300)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs of each side; median shown")
    p.add_argument("--workers", type=int, default=None, help="import workers (default: all cores)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        p.error("--n and --repeat must be at least 1")

    vips = shutil.which("vipsthumbnail")
    if vips is None:
        log(
            "vipsthumbnail is not installed; it is the baseline of this benchmark.\n"
            "  `make bench` installs it (Debian package libvips-tools), or run:\n"
            "  sudo apt-get install -y libvips-tools"
        )
        return 2

    cores = cpu_count()
    files = ensure_photo_set(args.n)
    folder = files[0].parent
    started = time.perf_counter()
    total_bytes = read_all(files)
    log(
        f"warmed the page cache: {len(files)} files, {total_bytes / 1e6:.0f} MB "
        f"({total_bytes / len(files) / 1e6:.1f} MB/photo) in {time.perf_counter() - started:.1f} s"
    )

    imports: list[dict[str, Any]] = []
    vipses: list[dict[str, Any]] = []
    try:
        for i in range(args.repeat):
            # Alternate which side goes first, so neither always gets the cooler machine.
            order = ("import", "vipsthumbnail") if i % 2 == 0 else ("vipsthumbnail", "import")
            for side in order:
                if side == "import":
                    r = run_import(folder, args.n, args.workers)
                    imports.append(r)
                else:
                    r = run_vips(vips, files, cores)
                    vipses.append(r)
                log(
                    f"  run {i + 1}: {side} {r['seconds']:.2f} s, "
                    f"{r['cpu_ms_per_image']} ms CPU/img"
                )
    except BenchmarkError as exc:
        log(f"FAILED: {exc}")
        return 1

    imp_s = statistics.median(r["seconds"] for r in imports)
    vips_s = statistics.median(r["seconds"] for r in vipses)
    imp_mid = sorted(imports, key=lambda r: r["seconds"])[len(imports) // 2]
    imp_cpu = statistics.median(r["cpu_ms_per_image"] for r in imports)
    vips_cpu = statistics.median(r["cpu_ms_per_image"] for r in vipses)
    imp_rate, vips_rate = args.n / imp_s, args.n / vips_s
    ratio = imp_rate / vips_rate
    met = ratio >= TARGET_RATIO
    result: dict[str, Any] = {
        "benchmark": "import",
        "photos": args.n,
        "photo_size": "6000x4000",
        "mb_per_photo": round(total_bytes / args.n / 1e6, 2),
        "cores": cores,
        "import_workers": args.workers or cores,
        "repeat": args.repeat,
        "import": {
            "seconds": imp_s,
            "images_per_s": round(imp_rate, 2),
            "cpu_ms_per_image": imp_cpu,
            "runs": imports,
        },
        "vipsthumbnail": {
            "seconds": vips_s,
            "images_per_s": round(vips_rate, 2),
            "cpu_ms_per_image": vips_cpu,
            "version": vips_version(vips),
            "runs": vipses,
        },
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "target_met": met,
        "cache": str(photo_set_dir(args.n)),
    }
    line = (
        f"import: {imp_rate:.1f} img/s  vipsthumbnail: {vips_rate:.1f} img/s  "
        f"ratio: {ratio:.2f} (target >= {TARGET_RATIO}) {'OK' if met else 'MISSED'}"
    )
    if args.json:
        log(line)
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.n} photos 6000x4000, {result['mb_per_photo']} MB each, {cores} cores, "
            f"median of {args.repeat} run(s)"
        )
        print(
            f"import {imp_s:.2f} s, {imp_cpu} ms CPU/img (phases: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in imp_mid["phases"].items())
            + f"); vipsthumbnail {vips_s:.2f} s, {vips_cpu} ms CPU/img "
            f"({result['vipsthumbnail']['version']})"
        )
        print(line)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
