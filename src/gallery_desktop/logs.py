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


def setup_logging(log_file: Path, *, verbose: bool = False) -> None:
    global _fault_file
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5 * 1024**2, backupCount=3, encoding="utf-8"
    )
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.ERROR)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [file_handler, console]
    logging.captureWarnings(True)
    # watchdog re-adds a watch when nested folders appear at once, and says so each time.
    warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
    # A hard crash in a decoder (C code) still leaves a trace in the log folder.
    _fault_file = (log_file.parent / "faulthandler.log").open("a", encoding="utf-8")
    faulthandler.enable(_fault_file)
