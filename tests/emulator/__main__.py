"""`python -m emulator --port 8765 --state DIR`: the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulator.server import bind, serve_forever
from emulator.state import EMAIL, PASSWORD
from emulator.web import API_PREFIX


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Serve the Gallery API emulator (tests/emulator) in the foreground.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free one)")
    parser.add_argument(
        "--state", type=Path, default=Path(".emulator-state"), help="folder of its state"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    args = parser.parse_args(argv)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    base = f"http://{args.host}:{sock.getsockname()[1]}{API_PREFIX}"
    print(f"Gallery API emulator: {base}", flush=True)
    print(f"  state:   {args.state.resolve()}", flush=True)
    print(f"  sign in: {EMAIL} / {PASSWORD}", flush=True)
    print(f"  e.g.     gallery-desktop remote login --server {base}", flush=True)
    print("  Ctrl-C stops it.", flush=True)
    try:
        serve_forever(sock, args.state, args.log_level)
    except KeyboardInterrupt:  # uvicorn stops cleanly, then hands the Ctrl-C on
        print("emulator: stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
