"""Logging: a rotating file under the log folder, and warnings on stderr."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
import warnings
from pathlib import Path
from typing import TextIO

_fault_file: TextIO | None = None


LOG_MAX_BYTES = 5 * 1024**2
LOG_BACKUPS = 3


def rotating_file_handler(
    log_file: Path, *, max_bytes: int = LOG_MAX_BYTES, backup_count: int = LOG_BACKUPS
) -> logging.handlers.RotatingFileHandler:
    """INFO and above to `log_file`; past `max_bytes` it becomes `.1` (and so on)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    return handler


def setup_logging(
    log_file: Path,
    *,
    verbose: bool = False,
    max_bytes: int = LOG_MAX_BYTES,
    backup_count: int = LOG_BACKUPS,
) -> None:
    """Log to `log_file` (rotated at `max_bytes`, `backup_count` old files kept) and stderr."""
    global _fault_file
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    file_handler = rotating_file_handler(log_file, max_bytes=max_bytes, backup_count=backup_count)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.ERROR)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [file_handler, console]
    logging.captureWarnings(True)
    # watchdog re-adds a watch when nested folders appear at once, and says so each time.
    warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
    # A hard crash in a decoder (C code) still leaves a trace in the log folder.
    if _fault_file is not None:
        faulthandler.disable()
        _fault_file.close()
    _fault_file = (log_file.parent / "faulthandler.log").open("a", encoding="utf-8")
    faulthandler.enable(_fault_file)
