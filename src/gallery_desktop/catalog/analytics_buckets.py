"""Time buckets for analytics: local days, ISO weeks or calendar months, zero-filled.

Events come in as 15-minute UTC slots (`slot * SLOT_SECONDS` is a Unix time; every time zone's
offset is a whole number of quarter hours), so SQLite does the counting and the slots are
folded into local calendar buckets here, right across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Final, Literal, get_args

Unit = Literal["day", "week", "month"]
UNITS: Final[tuple[Unit, ...]] = get_args(Unit)

SLOT_SECONDS: Final = 900
DAYS_AS_DAYS: Final = 62  # a span up to this many days is shown day by day
DAYS_AS_WEEKS: Final = 371  # ... up to this, week by week; longer, month by month

# English names, whatever the locale (Qt sets the C library's locale; these stay the same)
MONTH_NAMES: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS: Final = tuple(name[:3] for name in MONTH_NAMES)
_WEEKDAYS: Final = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Point:
    """One bucket: local dates [start, end) and its value (a count, or cents for sales)."""

    start: date
    end: date
    value: int


@dataclass(frozen=True)
class Series:
    unit: Unit
    points: tuple[Point, ...] = ()
    currency: str | None = None  # sales only

    @property
    def total(self) -> int:
        return sum(p.value for p in self.points)

    def label(self, point: Point, *, long: bool = False) -> str:
        return bucket_label(self.unit, point.start, long=long)


def bucket_label(unit: Unit, start: date, *, long: bool = False) -> str:
    """`3 Mar` / `Mar 2025` on an axis; long: `Mon 3 Mar 2025`, `Week of 3 Mar 2025`."""
    if unit == "month":
        if long:
            return f"{MONTH_NAMES[start.month - 1]} {start.year}"
        return f"{_MONTHS[start.month - 1]} {start.year}"
    short = f"{start.day} {_MONTHS[start.month - 1]}"
    if not long:
        return short
    if unit == "week":
        return f"Week of {short} {start.year}"
    return f"{_WEEKDAYS[start.weekday()]} {short} {start.year}"


# -- time buckets ------------------------------------------------------------------------------


def choose_unit(first: date, last: date) -> Unit:
    span = (last - first).days
    if span <= DAYS_AS_DAYS:
        return "day"
    return "week" if span <= DAYS_AS_WEEKS else "month"


def bucket_start(day: date, unit: Unit) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, unit: Unit) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def local_day(moment: int | datetime, tz: tzinfo | None) -> date:
    """The local calendar day of a Unix time or an aware datetime (tz None: this computer's)."""
    if isinstance(moment, datetime):
        return moment.astimezone(tz).date()
    return datetime.fromtimestamp(moment, tz).date()


def series_from_slots(
    slots: Sequence[tuple[int, int]],
    *,
    unit: Unit | None,
    tz: tzinfo | None,
    until: datetime | None,
    currency: str | None = None,
) -> Series:
    """Zero-filled buckets from (slot, value) rows in slot order."""
    if not slots:
        return Series(unit or "day", (), currency)
    first = local_day(slots[0][0] * SLOT_SECONDS, tz)
    last = local_day(slots[-1][0] * SLOT_SECONDS, tz)
    if until is not None:
        last = max(last, local_day(until, tz))
    unit = unit or choose_unit(first, last)
    values: dict[date, int] = {}
    for slot, value in slots:
        key = bucket_start(local_day(slot * SLOT_SECONDS, tz), unit)
        values[key] = values.get(key, 0) + value
    points: list[Point] = []
    start = bucket_start(first, unit)
    while start <= last:
        end = next_bucket(start, unit)
        points.append(Point(start, end, values.get(start, 0)))
        start = end
    return Series(unit, tuple(points), currency)
