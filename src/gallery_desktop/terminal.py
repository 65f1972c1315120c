"""One line of progress on a terminal, redrawn in place; silent when output is not a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressLine:
    def __init__(self, stream: TextIO, every: float = 0.1) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._every = every
        self._last = 0.0

    def show(
        self, label: str, done: int, total: int, current: str | None = None, extra: str = ""
    ) -> None:
        """Draw `label ███···· done/total extra name`, at most every `every` seconds."""
        now = time.monotonic()
        if not self.enabled or (now - self._last < self._every and done != total):
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else 0
        bar = "█" * filled + "·" * (width - filled)
        name = (current or "")[-40:]
        self.stream.write(f"\r\x1b[K{label:<10} {bar} {done}/{total}{extra}  {name}")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
