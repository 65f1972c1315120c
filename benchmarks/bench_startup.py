"""Start-up time of the PyInstaller bundle against the same app run from the venv.

Measures, as the median of --runs launches (after one warm-up launch that also creates the
catalogue), wall-clock time from the launch to:
  - `--version` exited (Python + the CLI's imports, no Qt);
  - the single-instance server listening (Qt up, just before the main window is built);
  - the main window shown offscreen with the event loop running: the app's test hook
    (GALLERY_DESKTOP_TEST_QUIT_AFTER_MS=0) says "quitting" on the first 50 ms idle tick after
    the window is shown, so this figure is window-shown + at most 50 ms, on both sides.

    make package && .venv/bin/python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "gallery-desktop" / "gallery-desktop"
VENV_APP = ROOT / ".venv" / "bin" / "gallery-desktop"


def time_version(app: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(app), "--version"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def time_gui(app: Path, home: Path) -> tuple[float, float]:
    """(seconds to 'listening', seconds to 'quitting') of one offscreen launch."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GALLERY_DESKTOP_TEST_QUIT_AFTER_MS": "0",
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(app), "--home", str(home)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    listening = quitting = float("nan")
    for line in proc.stdout:
        now = time.perf_counter() - t0
        if "gallery-desktop-test: listening" in line:
            listening = now
        elif "gallery-desktop-test: quitting" in line:
            quitting = now
    if proc.wait(timeout=120) != 0:
        raise SystemExit(f"{app} exited {proc.returncode}")
    return listening, quitting


def measure(app: Path, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        time_version(app)
        time_gui(app, home)  # warm-up: page cache, and the catalogue is created here
        version = [time_version(app) for _ in range(runs)]
        gui = [time_gui(app, home) for _ in range(runs)]
    return {
        "--version": statistics.median(version),
        "Qt up (listening)": statistics.median(g[0] for g in gui),
        "window shown": statistics.median(g[1] for g in gui),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bundle", type=Path, default=BUNDLE)
    ap.add_argument("--venv-app", type=Path, default=VENV_APP)
    args = ap.parse_args()
    if not args.bundle.exists():
        print(f"no bundle at {args.bundle}: run `make package` first", file=sys.stderr)
        return 1
    bundle = measure(args.bundle, args.runs)
    venv = measure(args.venv_app, args.runs)
    print(f"start-up, median of {args.runs} launches (s)   bundle    venv   bundle/venv")
    for key in bundle:
        ratio = bundle[key] / venv[key]
        print(f"  {key:<38} {bundle[key]:7.3f} {venv[key]:7.3f}   {ratio:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
