"""Two seats on one PostgreSQL catalogue: how soon a commit in seat A is heard in seat B.

    python benchmarks/bench_seats.py [--edits 50] [--json] [--strict]

Starts a private PostgreSQL server (tests/pg_server.py), opens the catalogue twice (two seats)
and makes `--edits` culling edits in seat A, one at a time. Measured, from just before each
`set_field` call (so its own commit is included) to:
  - `ChangeListener` callback in seat B (its thread),
  - `CatalogueChanges.media_changed` in seat B's GUI thread (the Qt path, offscreen).
Target: median and p95 <= 1 s. Exit status: 0 ran (unless --strict and a target was missed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gallery_desktop.catalog import culling  # noqa: E402
from gallery_desktop.catalog.db import Catalog  # noqa: E402
from gallery_desktop.catalog.models import Collection, Gallery, Media  # noqa: E402
from gallery_desktop.catalog.seats import Change, ChangeListener, changed_media, set_seat  # noqa: E402
from pg_server import PostgresServer  # noqa: E402

TARGET = 1.0


def one_media(catalog: Catalog) -> int:
    with catalog.write() as session:
        shoot = Collection(name="Bench", folder=b"/shoots/Bench")
        session.add(shoot)
        session.flush()
        gallery = Gallery(collection_id=shoot.id, name="All")
        session.add(gallery)
        session.flush()
        assert shoot.id is not None and gallery.id is not None
        media = Media(
            collection_id=shoot.id,
            gallery_id=gallery.id,
            kind="photo",
            rel_path=b"a.jpg",
            path="a.jpg",
            size_bytes=1,
            mtime_ns=1,
        )
        session.add(media)
        session.flush()
        assert media.id is not None
        return media.id


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def bench_listener(a: Catalog, b: Catalog, mid: int, edits: int) -> list[float]:
    arrived = threading.Event()

    def heard(batch: list[Change]) -> None:
        ids = changed_media(batch)
        if ids is None or mid in ids:
            arrived.set()

    listener = ChangeListener(b.url, heard).start()
    samples = []
    try:
        for i in range(edits):
            arrived.clear()
            started = time.perf_counter()
            culling.set_field(a, [mid], "rating", i % 6)
            if not arrived.wait(5):
                raise SystemExit(f"edit {i} was not heard within 5 s")
            samples.append(time.perf_counter() - started)
    finally:
        listener.stop()
    return samples


def bench_qt(a: Catalog, b: Catalog, mid: int, edits: int) -> list[float]:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from gallery_desktop.ui.changes import CatalogueChanges

    app = QCoreApplication.instance() or QCoreApplication([])
    changes = CatalogueChanges(b)
    loop = QEventLoop()
    got: list[float] = []
    changes.media_changed.connect(lambda ids: (got.append(time.perf_counter()), loop.quit()))
    samples = []
    try:
        for i in range(edits):
            got.clear()
            started = time.perf_counter()
            culling.set_field(a, [mid], "pick", ("picked", "rejected")[i % 2])
            QTimer.singleShot(5000, loop.quit)
            while not got:
                loop.exec()
                if not got and time.perf_counter() - started > 5:
                    raise SystemExit(f"edit {i} did not reach the GUI thread within 5 s")
            samples.append(got[0] - started)
            app.processEvents()
    finally:
        changes.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with PostgresServer() as server:
        server.create_database("bench_seats")
        a = set_seat(Catalog(server.url("bench_seats")), "seat-a")
        b = set_seat(Catalog(server.url("bench_seats")), "seat-b")
        try:
            mid = one_media(a)
            result = {
                "edits": args.edits,
                "listener": figures(bench_listener(a, b, mid, args.edits)),
                "qt": figures(bench_qt(a, b, mid, args.edits)),
                "target_ms": TARGET * 1000,
            }
        finally:
            b.close()
            a.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.edits} edits, commit in seat A → seat B (target ≤ {TARGET * 1000:.0f} ms):")
        for path in ("listener", "qt"):
            f = result[path]
            print(
                f"  {path:8s} median {f['median_ms']:7.2f} ms   p95 {f['p95_ms']:7.2f} ms   "
                f"max {f['max_ms']:7.2f} ms"
            )
    met = all(result[p]["p95_ms"] <= TARGET * 1000 for p in ("listener", "qt"))  # type: ignore[index]
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
