"""`gallery-desktop`: a command runs headless; no command opens the app."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from gallery_desktop.cli import build_parser, run_parsed, split_open_folders
from gallery_desktop.logs import setup_logging
from gallery_desktop.paths import resolve_paths

log = logging.getLogger("gallery_desktop")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    rest, folders = split_open_folders(sys.argv[1:] if argv is None else argv, parser)
    args = parser.parse_args(rest)
    paths = resolve_paths(args.home).ensure()
    setup_logging(paths.log_file, verbose=args.verbose)
    if args.command is None:
        from gallery_desktop.ui.app import run_app  # Qt is imported only for the GUI

        return run_app(paths, folders, catalog_url=args.catalog_url)
    try:
        return run_parsed(args, paths, sys.stdout, sys.stderr)
    except BrokenPipeError:  # `gallery-desktop media X --json | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # a second Ctrl-C: the command cleaned up on its way out
        sys.stderr.write("\ngallery-desktop: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
