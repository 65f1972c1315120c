"""`gallery-desktop`: a command runs headless; no command opens the app."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from gallery_desktop.cli import main_cli
from gallery_desktop.logs import setup_logging
from gallery_desktop.paths import AppPaths, resolve_paths

log = logging.getLogger("gallery_desktop")


def _paths(home: str | None) -> AppPaths:
    paths = resolve_paths(home).ensure()
    setup_logging(paths.log_file, verbose="-v" in sys.argv or "--verbose" in sys.argv)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = main_cli(args, _paths)
    except BrokenPipeError:  # `gallery-desktop media X --json | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if code != -1:
        return code
    from gallery_desktop.ui.app import run_app  # Qt is imported only for the GUI

    home = None
    if "--home" in args:
        i = args.index("--home")
        home = args[i + 1] if i + 1 < len(args) else None
    return run_app(_paths(home))


if __name__ == "__main__":
    sys.exit(main())
