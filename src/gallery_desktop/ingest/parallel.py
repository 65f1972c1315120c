"""Bounded parallel work on a thread pool (Pillow, hashing and PyAV release the GIL)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class CancelToken:
    """Set by whoever wants an import to stop; checked between files."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def run_parallel(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[tuple[T, R]]:
    """Yield (item, fn(item)) as they finish, keeping only a few items in flight.

    On cancel, no new item starts; the ones already running are finished and yielded.
    Exceptions from `fn` propagate (callers catch what they expect inside `fn`).
    """
    n = workers or default_workers()
    limit = n * 3
    it = iter(items)
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="gd-work") as pool:
        running: dict[Future[R], T] = {}

        def fill() -> None:
            while len(running) < limit and not (cancel and cancel.cancelled):
                try:
                    item = next(it)
                except StopIteration:
                    return
                running[pool.submit(fn, item)] = item

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                item = running.pop(fut)
                yield item, fut.result()
            fill()
