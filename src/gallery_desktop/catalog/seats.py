"""Several workstations ("seats") on one shared catalogue: who is editing, what each is doing,
and hearing about the others' commits at once. No Qt here (see `ui/changes.py` for the window).

- `ChangeListener`: a dedicated PostgreSQL connection LISTENing on the change feed that
  migration 0008 creates (a daemon thread; batches of `Change` go to a callback; it reconnects
  after a lost connection and says so with a `RESYNC` change, as notifications were missed).
- `seat_of` / `set_seat`: the name a catalogue's edits are recorded under.
- `publish_activity` / `activities` / `activity_progress`: a seat holding a lock (an import, the
  outbox) says how far it got, for the other seats to show.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.postgres import KEEPALIVES
from gallery_desktop.seat import default_seat_name

log = logging.getLogger(__name__)

CHANNEL: Final = "gallery_desktop"
POLL_SECONDS: Final = 0.25  # how soon `stop()` is noticed
GATHER_SECONDS: Final = 0.02  # notifications arriving this close together make one batch
RECONNECT_MAX: Final = 10.0
ACTIVITY_INTERVAL: Final = 0.5  # publish at most twice a second (phase changes always go)
ACTIVITY_STALE: Final = timedelta(seconds=60)


# -- the change feed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One notified statement: `ids` None means "many, or unknown: look at everything"."""

    table: str
    op: str
    ids: frozenset[int] | None

    @classmethod
    def parse(cls, payload: str) -> Change:
        try:
            data = json.loads(payload)
            raw = data.get("ids")
            ids = frozenset(int(i) for i in raw) if isinstance(raw, list) else None
            return cls(str(data["table"]), str(data["op"]), ids)
        except (ValueError, KeyError, TypeError, AttributeError):
            return RESYNC


RESYNC: Final = Change("*", "resync", None)  # anything may have changed (e.g. after a reconnect)


def changed_media(batch: Iterable[Change]) -> frozenset[int] | None:
    """The media ids a batch names; None if some media change named none ("many")."""
    ids: set[int] = set()
    for change in batch:
        if change.table in ("media", "*"):
            if change.ids is None:
                return None
            ids |= change.ids
    return frozenset(ids)


def libpq_url(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` URL as psycopg's own connection string."""
    return str(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


class ChangeListener:
    """LISTENs for the catalogue's change feed on its own connection, in a daemon thread.

    `callback(batch)` runs in that thread (never touch widgets from it): hand the batch over to
    where it is needed. `start()` returns once the first LISTEN is in place (or raises after
    `timeout` seconds), so a commit made after it is always heard.
    """

    def __init__(
        self,
        url: str,
        callback: Callable[[list[Change]], None],
        *,
        channel: str = CHANNEL,
        connect_timeout: int = 10,
    ) -> None:
        self.url = libpq_url(url)
        self.callback = callback
        self.channel = channel
        self.connect_timeout = connect_timeout
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        self.reconnects = 0

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def start(self, timeout: float = 15.0) -> ChangeListener:
        self._thread = threading.Thread(target=self._run, name="catalogue-changes", daemon=True)
        self._thread.start()
        if not self._listening.wait(timeout):
            log.warning("not listening to catalogue changes yet after %.0f s", timeout)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def drop_connection(self) -> None:
        """Close the connection under the thread's feet (tests: a lost connection)."""
        conn = self._conn
        if conn is not None:
            conn.pgconn.finish()

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=self.connect_timeout,
            application_name="gallery-desktop-changes",
            **KEEPALIVES,  # a dead link is noticed (and reconnected) within about a minute
        )
        conn.execute(f'LISTEN "{self.channel}"')
        return conn

    def _run(self) -> None:
        import psycopg

        delay = 0.5
        first = True
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
            except psycopg.Error as exc:
                log.warning("cannot listen to catalogue changes (%s); again in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(RECONNECT_MAX, delay * 2)
                continue
            delay = 0.5
            self._listening.set()
            if not first:
                self.reconnects += 1
                self._deliver([RESYNC])  # whatever was committed meanwhile went unheard
            first = False
            try:
                self._listen(self._conn)
            except (psycopg.Error, OSError) as exc:
                if not self._stop.is_set():
                    log.warning("lost the catalogue change feed (%s); reconnecting", exc)
            finally:
                self._listening.clear()
                with contextlib.suppress(Exception):  # already broken: best effort
                    self._conn.close()
                self._conn = None

    def _listen(self, conn: Any) -> None:
        while not self._stop.is_set():
            batch = [
                Change.parse(n.payload) for n in conn.notifies(timeout=POLL_SECONDS, stop_after=1)
            ]
            if not batch:
                if conn.closed or conn.broken:
                    raise OSError("connection closed")
                continue
            batch += [Change.parse(n.payload) for n in conn.notifies(timeout=GATHER_SECONDS)]
            self._deliver(batch)

    def _deliver(self, batch: list[Change]) -> None:
        try:
            self.callback(batch)
        except Exception:
            log.exception("catalogue change callback failed")


# -- seats -------------------------------------------------------------------------------------


def seat_of(catalog: Catalog) -> str:
    """The seat name this catalogue's edits are recorded under."""
    return catalog.seat_name or default_seat_name()


def set_seat(catalog: Catalog, name: str) -> Catalog:
    catalog.seat_name = name
    return catalog


# -- what each seat is doing -------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    name: str  # the lock's name, e.g. "collection-3" or "sync-outbox"
    seat: str
    phase: str
    done: int
    total: int
    detail: str | None
    updated_at: datetime


_published: dict[tuple[int, str], tuple[float, str]] = {}
_published_lock = threading.Lock()

_UPSERT: Final = text(
    "INSERT INTO seatactivity (name, seat, phase, done, total, detail, updated_at) "
    "VALUES (:name, :seat, :phase, :done, :total, :detail, :now) "
    "ON CONFLICT (name) DO UPDATE SET seat = excluded.seat, phase = excluded.phase, "
    "done = excluded.done, total = excluded.total, detail = excluded.detail, "
    "updated_at = excluded.updated_at"
)


def publish_activity(
    catalog: Catalog,
    name: str,
    seat: str,
    phase: str,
    done: int,
    total: int,
    detail: str | None = None,
    *,
    force: bool = False,
) -> bool:
    """Say what this seat is doing under the lock `name` (at most ~2 writes a second; a new
    phase, the end and `force` always go). True if it was written."""
    key = (id(catalog), name)
    now = time.monotonic()
    with _published_lock:
        last = _published.get(key)
        due = (
            force
            or last is None
            or last[1] != phase
            or (total > 0 and done >= total)
            or now - last[0] >= ACTIVITY_INTERVAL
        )
        if not due:
            return False
        _published[key] = (now, phase)
    with catalog.write_conn() as conn:
        conn.execute(
            _UPSERT,
            {
                "name": name,
                "seat": seat,
                "phase": phase,
                "done": int(done),
                "total": int(total),
                "detail": detail,
                "now": utcnow().replace(tzinfo=None),
            },
        )
    return True


def clear_activity(catalog: Catalog, name: str) -> None:
    with _published_lock:
        _published.pop((id(catalog), name), None)
    with catalog.write_conn() as conn:
        conn.execute(text("DELETE FROM seatactivity WHERE name = :n"), {"n": name})


def activities(catalog: Catalog, *, stale: timedelta = ACTIVITY_STALE) -> list[Activity]:
    """What the seats are doing now (rows not refreshed for `stale` are left out)."""
    since = (utcnow() - stale).replace(tzinfo=None)
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT name, seat, phase, done, total, detail, updated_at FROM seatactivity "
                "WHERE updated_at >= :since ORDER BY name"
            ),
            {"since": since},
        ).all()
    return [
        Activity(
            r.name,
            r.seat,
            r.phase,
            r.done,
            r.total,
            r.detail,
            r.updated_at
            if isinstance(r.updated_at, datetime)
            else datetime.fromisoformat(str(r.updated_at)),
        )
        for r in rows
    ]


class _Progress(Protocol):
    phase: str
    done: int
    total: int
    current: str | None


def activity_progress(
    catalog: Catalog,
    name: str,
    seat: str | None = None,
    inner: Callable[[Any], None] | None = None,
) -> Callable[[Any], None]:
    """A progress callback (e.g. for `ingest.importer.import_folder`) that publishes each
    step as the activity `name` of `seat`, then calls `inner` (if any) with it."""
    who = seat or seat_of(catalog)

    def progress(p: _Progress) -> None:
        try:
            publish_activity(catalog, name, who, p.phase, p.done, p.total, p.current)
        except Exception:  # progress must never break the work it reports on
            log.exception("could not publish the activity %s", name)
        if inner is not None:
            inner(p)

    return progress


def collection_activity(collection_id: int) -> str:
    """The activity (and lock) name of an import or re-scan of a collection."""
    return f"collection-{collection_id}"
