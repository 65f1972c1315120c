"""Re-scan of an unchanged 100,000-file collection, against a bare walk of the same tree.

    python benchmarks/bench_rescan.py [--files 100000] [--folders 100] [--runs 3] [--json]

Setup (timed and shown, not the measure): import the tree once into a fresh catalogue and
thumbnail cache. Then, alternately, `runs` times each: a re-scan (`import_folder` again on the
unchanged tree: every file must come back `unchanged`) and a bare `os.walk` + `os.stat` of
the tree. Target: median re-scan <= 2 s. The ratio re-scan/walk shows the importer's overhead
over what the file system costs anyway.
Exit status: 0 ran (target met or not, unless --strict), 1 wrong import result or --strict miss.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Final

from _synthetic import cpu_count, ensure_file_tree, fresh_home, log, tree_dir
from gallery_desktop.ingest.importer import ImportSummary, import_folder

TARGET_SECONDS: Final = 2.0
SLOW_SETUP_SECONDS: Final = 300.0


class BenchmarkError(Exception):
    """An import or re-scan did not produce what it must; the figures would be meaningless."""


def walk_and_stat(root: Path) -> tuple[int, float]:
    """The floor: list every folder and stat every file, nothing else. (files, seconds)"""
    started = time.perf_counter()
    n = 0
    for dirpath, _dirs, names in os.walk(os.fsencode(root)):
        for name in names:
            os.stat(os.path.join(dirpath, name))
            n += 1
    return n, time.perf_counter() - started


def check(summary: ImportSummary, expected: dict[str, int], what: str) -> None:
    wrong = [
        f"{field} = {getattr(summary, field)}, expected {value}"
        for field, value in expected.items()
        if getattr(summary, field) != value
    ]
    if wrong:
        detail = f" (first errors: {summary.error_files[:3]})" if summary.error_files else ""
        raise BenchmarkError(f"{what} result is wrong: " + "; ".join(wrong) + detail)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--files", type=int, default=100_000, help="files in the tree (100000)")
    p.add_argument("--folders", type=int, default=100, help="first-level folders (100)")
    p.add_argument("--runs", type=int, default=3, help="timed re-scans (and walks); median shown")
    p.add_argument("--workers", type=int, default=None, help="import workers (default: all cores)")
    p.add_argument(
        "--identical",
        action="store_true",
        help="byte-identical files (one content hash, so one thumbnail in the cache) instead "
        "of files that differ by a JPEG comment (one thumbnail each, as in real use)",
    )
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.files < 1 or args.folders < 1 or args.runs < 1:
        p.error("--files, --folders and --runs must be at least 1")

    n = args.files
    root = ensure_file_tree(n, args.folders, identical=args.identical)
    walked, _ = walk_and_stat(root)  # warms the dentry/inode caches for both sides
    if walked != n:
        log(f"FAILED: the cached tree {root} has {walked} files, expected {n}; delete it")
        return 1

    rescans: list[float] = []
    walks: list[float] = []
    try:
        with fresh_home("gd-bench-rescan-") as (catalog, cache):
            log(f"setup: importing {n} files (with thumbnails)...")
            started = time.perf_counter()
            first = import_folder(catalog, cache, root, workers=args.workers)
            setup_s = time.perf_counter() - started
            check(first, {"files": n, "new": n, "errors": 0, "thumbnails": n}, "setup import")
            log(f"setup import: {setup_s:.1f} s ({n / setup_s:.0f} files/s)")
            if setup_s > SLOW_SETUP_SECONDS:
                log(f"NOTE: the setup import took over {SLOW_SETUP_SECONDS:.0f} s")
            for i in range(args.runs):
                started = time.perf_counter()
                again = import_folder(catalog, cache, root, workers=args.workers)
                rescans.append(time.perf_counter() - started)
                check(
                    again,
                    {"files": n, "unchanged": n, "new": 0, "changed": 0, "missing": 0, "errors": 0},
                    f"re-scan {i + 1}",
                )
                _, walk_s = walk_and_stat(root)
                walks.append(walk_s)
                log(f"  run {i + 1}: re-scan {rescans[-1]:.3f} s, walk+stat {walk_s:.3f} s")
    except BenchmarkError as exc:
        log(f"FAILED: {exc}")
        return 1

    rescan_s = statistics.median(rescans)
    walk_s = statistics.median(walks)
    ratio = rescan_s / walk_s
    met = rescan_s <= TARGET_SECONDS
    result: dict[str, Any] = {
        "benchmark": "rescan",
        "files": n,
        "folders": args.folders,
        "identical_files": args.identical,
        "cores": cpu_count(),
        "setup_import_seconds": round(setup_s, 3),
        "rescan_seconds": round(rescan_s, 3),
        "rescan_runs": [round(s, 3) for s in rescans],
        "walk_stat_seconds": round(walk_s, 4),
        "walk_stat_runs": [round(s, 4) for s in walks],
        "ratio_rescan_walk": round(ratio, 2),
        "target_seconds": TARGET_SECONDS,
        "target_met": met,
        "cache": str(tree_dir(n, args.folders, args.identical)),
    }
    line = (
        f"rescan: {rescan_s:.2f} s median of {args.runs} "
        f"(target <= {TARGET_SECONDS:.0f} s) {'OK' if met else 'MISSED'}  "
        f"walk+stat: {walk_s:.3f} s  ratio rescan/walk: {ratio:.1f}"
    )
    if args.json:
        log(line)
        print(json.dumps(result, indent=2))
    else:
        print(f"{n} unchanged files in {args.folders} folders, {cpu_count()} cores")
        print(f"setup import (not the measure): {setup_s:.1f} s ({n / setup_s:.0f} files/s)")
        print("re-scan runs: " + ", ".join(f"{s:.3f} s" for s in rescans))
        print(line)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
