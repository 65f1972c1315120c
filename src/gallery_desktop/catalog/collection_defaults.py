"""Collection defaults per shoot type: what a new wedding, portrait, newborn … collection
starts with (password, expiry, downloads, watermark, template, store), editable in the
preferences and by `gallery-desktop defaults`.

Built-in shoot types have built-in starting values (below) until the photographer saves their
own; custom shoot types ("boudoir", "real estate") exist once saved. Defaults are applied when
a collection is created, inside the same transaction, and never again unless asked for
(`reapply_defaults`).

Built-in starting values, and why:
- wedding, engagement, family, newborn, portrait: private moments, so a password; downloads
  on in High (prints) and Web 2048 (sharing), clean (the client paid for them); the store on
  for prints. Weddings stay up longest (180 days: guests and family come back; visitors' emails
  captured), portraits shortest (60 days: one client, quick delivery), the rest 90 days.
- event: meant to be shared with attendees: no password, visitors' emails captured, web sizes
  only and watermarked (the photographer's marketing), 30 days.
- commercial: the client needs the files: password, Original and High, clean, no store,
  30 days to fetch them.
- other: what a collection started with before defaults existed (nothing turned on).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import Connection, text

from gallery_desktop.catalog.collection_settings import SETTINGS, Setting, read_key_values
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import SIZES
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.catalog.templates import DEFAULT_TEMPLATE, ensure_builtin_templates
from gallery_desktop.errors import BadInputError

SHOOT_TYPES: Final = (
    "wedding",
    "engagement",
    "portrait",
    "family",
    "newborn",
    "event",
    "commercial",
    "other",
)
MAX_NAME: Final = 40
MAX_EXPIRY_DAYS: Final = 3650
RESERVED_NAMES: Final = frozenset({"none", "all"})  # words the CLI and the dialog use
_NAME: Final = re.compile(r"[^\W_][\w '&-]*")
# The catalogue has no preferences table yet: "default shoot type for new collections" is one
# marker row of collectiondefaults, shoot_type = this prefix + the type. A shoot type name
# never starts with '*', so the marker cannot clash with one; readers below skip it.
_DEFAULT_MARKER: Final = "*default:"
_PASSWORD_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class _Keep:
    """`save_defaults(default_shoot_type=KEEP)`: leave the default shoot type as it is."""


KEEP: Final = _Keep()


@dataclass(frozen=True)
class ShootDefaults:
    """What a new collection of one shoot type starts with."""

    shoot_type: str
    password_on: bool = False  # a password is generated for each new collection
    expiry_days: int | None = None  # None: never expires
    downloadable: bool = False
    download_sizes: tuple[str, ...] = ("original", "web2048")
    download_watermarked: bool = False
    visitor_email_capture: bool = False
    store_enabled: bool = False
    watermark_id: int | None = None
    template_id: int | None = None
    # Read from the catalogue for display; never written.
    watermark: str | None = field(default=None, compare=False)
    template: str | None = field(default=None, compare=False)
    saved: bool = field(default=False, compare=False)  # stored in the catalogue

    @property
    def builtin(self) -> bool:
        return self.shoot_type in SHOOT_TYPES

    def as_dict(self) -> dict[str, Any]:
        """The defaults under the `defaults ... set` key names."""
        return {
            "shoot_type": self.shoot_type,
            "builtin": self.builtin,
            "saved": self.saved,
            "password_on": self.password_on,
            "expiry_days": self.expiry_days,
            "downloadable": self.downloadable,
            "download_sizes": list(self.download_sizes),
            "watermarked_downloads": self.download_watermarked,
            "visitor_email_capture": self.visitor_email_capture,
            "store": self.store_enabled,
            "watermark": self.watermark,
            "template": self.template,
        }


_PERSONAL: Final = ShootDefaults(
    "wedding",
    password_on=True,
    expiry_days=90,
    downloadable=True,
    download_sizes=("high", "web2048"),
    store_enabled=True,
)
BUILTIN_DEFAULTS: Final[Mapping[str, ShootDefaults]] = {
    d.shoot_type: d
    for d in (
        dataclasses.replace(_PERSONAL, expiry_days=180, visitor_email_capture=True),
        dataclasses.replace(_PERSONAL, shoot_type="engagement"),
        dataclasses.replace(_PERSONAL, shoot_type="portrait", expiry_days=60),
        dataclasses.replace(_PERSONAL, shoot_type="family"),
        dataclasses.replace(_PERSONAL, shoot_type="newborn"),
        ShootDefaults(
            "event",
            expiry_days=30,
            downloadable=True,
            download_sizes=("web2048", "web1024"),
            download_watermarked=True,
            visitor_email_capture=True,
        ),
        ShootDefaults(
            "commercial",
            password_on=True,
            expiry_days=30,
            downloadable=True,
            download_sizes=("original", "high"),
        ),
        ShootDefaults("other"),
    )
}


# -- names and values ---------------------------------------------------------------------------


def shoot_type_name(raw: str) -> str:
    """A shoot type as stored: trimmed, lower case, single spaces. Raises BadInputError."""
    name = " ".join(raw.split()).lower()
    if not name:
        raise BadInputError("a shoot type needs a name")
    if len(name) > MAX_NAME:
        raise BadInputError(f"a shoot type name has at most {MAX_NAME} characters")
    if name in RESERVED_NAMES:
        raise BadInputError(f"{name!r} cannot be a shoot type (it is a reserved word)")
    if not _NAME.fullmatch(name):
        raise BadInputError(
            f"shoot type {raw.strip()!r}: use letters, digits, spaces, hyphens, apostrophes "
            "or '&', starting with a letter or digit"
        )
    return name


def _expiry_days(value: str) -> int | None:
    v = value.strip().lower()
    if v in ("", "never", "none"):
        return None
    if not v.isdigit() or not 1 <= int(v) <= MAX_EXPIRY_DAYS:
        raise ValueError(f"a number of days from 1 to {MAX_EXPIRY_DAYS} (or never)")
    return int(v)


def _ref(value: str) -> str | None:
    v = value.strip()
    return None if v.lower() in ("", "none") else v


def _sizes(value: str) -> tuple[str, ...]:
    return tuple(json.loads(SETTINGS["download_sizes"].parse(value)))


# Same key names as `settings COLLECTION set` where they overlap, and the same parsers.
DEFAULT_SETTINGS: Final = {
    "password_on": Setting(
        "password_on", SETTINGS["downloadable"].parse, "on: each new collection gets a password"
    ),
    "expiry_days": Setting(
        "expiry_days",
        _expiry_days,
        f"days until a new collection expires (1-{MAX_EXPIRY_DAYS}, or never)",
    ),
    "downloadable": Setting("downloadable", SETTINGS["downloadable"].parse, "on | off"),
    "download_sizes": Setting("download_sizes", _sizes, SETTINGS["download_sizes"].help),
    "watermarked_downloads": Setting(
        "download_watermarked", SETTINGS["watermarked_downloads"].parse, "on | off"
    ),
    "visitor_email_capture": Setting(
        "visitor_email_capture", SETTINGS["visitor_email_capture"].parse, "on | off"
    ),
    "store": Setting("store_enabled", SETTINGS["store"].parse, "on | off"),
    "watermark": Setting("watermark_id", _ref, "watermark preset name or id (none: no watermark)"),
    "template": Setting(
        "template_id", _ref, f"template name or id (none: the default, {DEFAULT_TEMPLATE})"
    ),
}


def generate_password() -> str:
    """A password a client can read aloud and type: 'k7mq-x4hd' (no 0/o, 1/l/i)."""
    chars = [secrets.choice(_PASSWORD_ALPHABET) for _ in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


# -- reading ------------------------------------------------------------------------------------

_SELECT: Final = (
    "SELECT d.*, w.name AS watermark_name, t.name AS template_name FROM collectiondefaults d "
    "LEFT JOIN watermark w ON w.id = d.watermark_id LEFT JOIN template t ON t.id = d.template_id"
)


def _from_row(row: Any) -> ShootDefaults:
    return ShootDefaults(
        shoot_type=row.shoot_type,
        password_on=bool(row.password_on),
        expiry_days=row.expiry_days,
        downloadable=bool(row.downloadable),
        download_sizes=tuple(s for s in SIZES if s in json.loads(row.download_sizes_json or "[]")),
        download_watermarked=bool(row.download_watermarked),
        visitor_email_capture=bool(row.visitor_email_capture),
        store_enabled=bool(row.store_enabled),
        watermark_id=row.watermark_id,
        template_id=row.template_id,
        watermark=row.watermark_name,
        template=row.template_name,
        saved=True,
    )


def _saved(conn: Connection) -> dict[str, ShootDefaults]:
    rows = conn.execute(text(f"{_SELECT} WHERE d.shoot_type NOT LIKE '*%'")).all()
    return {r.shoot_type: _from_row(r) for r in rows}


def _get(conn: Connection, shoot_type: str) -> ShootDefaults:
    name = shoot_type_name(shoot_type)
    row = conn.execute(text(f"{_SELECT} WHERE d.shoot_type = :t"), {"t": name}).first()
    if row is not None:
        return _from_row(row)
    if name in BUILTIN_DEFAULTS:
        return BUILTIN_DEFAULTS[name]
    known = ", ".join(_all_names(conn))
    raise BadInputError(
        f"unknown shoot type {name!r} (known: {known}); to add it: "
        f"gallery-desktop defaults {name!r} set KEY=VALUE ..."
    )


def _all_names(conn: Connection) -> list[str]:
    return [*SHOOT_TYPES, *sorted(set(_saved(conn)) - set(SHOOT_TYPES))]


def _default_type(conn: Connection) -> str | None:
    row = conn.execute(
        text("SELECT shoot_type FROM collectiondefaults WHERE shoot_type LIKE :m"),
        {"m": _DEFAULT_MARKER + "%"},
    ).first()
    return str(row.shoot_type)[len(_DEFAULT_MARKER) :] if row else None


def list_defaults(catalog: Catalog) -> list[ShootDefaults]:
    """Every shoot type's defaults: the built-in types in their order, then custom ones."""
    with catalog.engine.connect() as conn:
        saved = _saved(conn)
        return [saved.get(n) or BUILTIN_DEFAULTS[n] for n in _all_names(conn)]


def get_defaults(catalog: Catalog, shoot_type: str) -> ShootDefaults:
    with catalog.engine.connect() as conn:
        return _get(conn, shoot_type)


def shoot_type_of(catalog: Catalog, collection_id: int) -> str | None:
    with catalog.engine.connect() as conn:
        return conn.execute(
            text("SELECT shoot_type FROM collection WHERE id = :c"), {"c": collection_id}
        ).scalar()


def default_shoot_type(catalog: Catalog) -> str | None:
    """The shoot type a new collection gets when none is given (None: no type, no defaults)."""
    with catalog.engine.connect() as conn:
        return _default_type(conn)


# -- writing ------------------------------------------------------------------------------------


def _find_ref(conn: Connection, table: str, ref: str) -> int | None:
    if ref.isdigit():
        row = conn.execute(text(f"SELECT id FROM {table} WHERE id = :r"), {"r": int(ref)}).first()
        if row is not None:
            return int(row.id)
    row = conn.execute(
        text(f"SELECT id FROM {table} WHERE lower(name) = lower(:r) ORDER BY name = :r DESC"),
        {"r": ref},
    ).first()
    return None if row is None else int(row.id)


def _problems(conn: Connection, d: ShootDefaults) -> list[str]:
    """What is wrong with a set of defaults (empty: it can be saved)."""
    problems = []
    try:
        if shoot_type_name(d.shoot_type) != d.shoot_type:
            problems.append(f"shoot type {d.shoot_type!r} is not written as stored")
    except BadInputError as exc:
        problems.append(str(exc))
    if d.expiry_days is not None and not 1 <= d.expiry_days <= MAX_EXPIRY_DAYS:
        problems.append(f"expiry_days: a number of days from 1 to {MAX_EXPIRY_DAYS} (or never)")
    unknown = [s for s in d.download_sizes if s not in SIZES]
    if unknown:
        problems.append(f"download_sizes: unknown {', '.join(unknown)}; use {', '.join(SIZES)}")
    if d.downloadable and not d.download_sizes:
        problems.append(
            "downloads are on but no download size is allowed: choose at least one size "
            "(or turn downloads off)"
        )
    for table, oid, what in (
        ("watermark", d.watermark_id, "watermark preset"),
        ("template", d.template_id, "template"),
    ):
        if oid is not None and _find_ref(conn, table, str(oid)) != oid:
            problems.append(f"the {what} chosen (id {oid}) is no longer in the catalogue")
    return problems


def _params(d: ShootDefaults) -> dict[str, Any]:
    """The statement parameters a shoot type's defaults write (to its row, or a collection)."""
    return {
        "t": d.shoot_type,
        "p": d.password_on,
        "e": d.expiry_days,
        "dl": d.downloadable,
        "s": json.dumps([s for s in SIZES if s in d.download_sizes]),
        "wm": d.download_watermarked,
        "v": d.visitor_email_capture,
        "st": d.store_enabled,
        "w": d.watermark_id,
        "tp": d.template_id,
        "now": utcnow().replace(tzinfo=None),
    }


def _write(conn: Connection, d: ShootDefaults) -> None:
    values = _params(d)
    conn.execute(
        text(
            "INSERT INTO collectiondefaults (shoot_type, password_on, expiry_days, downloadable, "
            "download_sizes_json, download_watermarked, visitor_email_capture, store_enabled, "
            "watermark_id, template_id, updated_at) "
            "VALUES (:t, :p, :e, :dl, :s, :wm, :v, :st, :w, :tp, :now) "
            "ON CONFLICT(shoot_type) DO UPDATE SET password_on = :p, expiry_days = :e, "
            "downloadable = :dl, download_sizes_json = :s, download_watermarked = :wm, "
            "visitor_email_capture = :v, store_enabled = :st, watermark_id = :w, "
            "template_id = :tp, updated_at = :now"
        ),
        values,
    )


def _set_default_type(conn: Connection, shoot_type: str | None) -> None:
    conn.execute(
        text("DELETE FROM collectiondefaults WHERE shoot_type LIKE :m"),
        {"m": _DEFAULT_MARKER + "%"},
    )
    if shoot_type is not None:
        conn.execute(
            text(
                "INSERT INTO collectiondefaults (shoot_type, password_on, downloadable, "
                "download_sizes_json, download_watermarked, visitor_email_capture, "
                "store_enabled, updated_at) "
                "VALUES (:t, FALSE, FALSE, '[]', FALSE, FALSE, FALSE, :now)"
            ),
            {"t": _DEFAULT_MARKER + shoot_type, "now": utcnow().replace(tzinfo=None)},
        )


def save_defaults(
    catalog: Catalog,
    changed: Iterable[ShootDefaults] = (),
    *,
    removed: Iterable[str] = (),
    default_shoot_type: str | _Keep | None = KEEP,
) -> None:
    """Save several shoot types' defaults, remove some (a custom type goes; a built-in one goes
    back to its built-in values) and choose the default shoot type, all in one transaction:
    every problem is reported together, and nothing is written if there is one."""
    changed, removed = list(changed), [shoot_type_name(r) for r in removed]
    with catalog.write_conn() as conn:
        problems: list[str] = []
        for d in changed:
            problems += [f"{d.shoot_type}: {p}" for p in _problems(conn, d)]
        gone = {r for r in removed if r not in SHOOT_TYPES}
        kept = {d.shoot_type for d in changed} | (set(_all_names(conn)) - gone)
        if isinstance(default_shoot_type, str):
            name = shoot_type_name(default_shoot_type)
            if name not in kept:
                problems.append(f"the default shoot type {name!r} is not a known shoot type")
            default_shoot_type = name
        elif default_shoot_type is KEEP and _default_type(conn) in gone:
            default_shoot_type = None  # its type is going: new collections get none
        if problems:
            raise BadInputError("nothing changed: " + "; ".join(problems))
        for name in removed:
            conn.execute(text("DELETE FROM collectiondefaults WHERE shoot_type = :t"), {"t": name})
        for d in changed:
            _write(conn, d)
        if not isinstance(default_shoot_type, _Keep):
            _set_default_type(conn, default_shoot_type)


def parse_defaults(catalog: Catalog, shoot_type: str, assignments: Sequence[str]) -> ShootDefaults:
    """A shoot type's defaults after KEY=VALUE changes (checked, not saved). A shoot type not
    known yet starts from the built-in values of 'other'. Raises BadInputError."""
    name = shoot_type_name(shoot_type)
    values, problems = read_key_values(assignments, DEFAULT_SETTINGS)
    if values.get("template_id") is not None:
        ensure_builtin_templates(catalog)  # so that `template=Classic` finds it
    with catalog.engine.connect() as conn:
        try:
            current = _get(conn, name)
        except BadInputError:
            current = dataclasses.replace(BUILTIN_DEFAULTS["other"], shoot_type=name)
        for column, table in (("watermark_id", "watermark"), ("template_id", "template")):
            ref = values.get(column)
            if ref is not None:
                values[column] = _find_ref(conn, table, ref)
                if values[column] is None:
                    problems.append(f"no {table} {ref!r} in the catalogue")
        if problems:
            raise BadInputError("nothing changed: " + "; ".join(problems))
        updated = dataclasses.replace(current, **values)
        problems = _problems(conn, updated)
    if problems:
        raise BadInputError("nothing changed: " + "; ".join(problems))
    return updated


def set_defaults(catalog: Catalog, shoot_type: str, assignments: Sequence[str]) -> ShootDefaults:
    """`defaults SHOOT_TYPE set KEY=VALUE ...`: all or nothing. Returns the saved defaults."""
    updated = parse_defaults(catalog, shoot_type, assignments)
    save_defaults(catalog, [updated])
    return get_defaults(catalog, updated.shoot_type)


def reset_defaults(catalog: Catalog, shoot_type: str) -> ShootDefaults:
    """A built-in shoot type back to its built-in values."""
    name = shoot_type_name(shoot_type)
    if name not in SHOOT_TYPES:
        raise BadInputError(
            f"{name!r} is a custom shoot type: it has no built-in values to go back to "
            "(remove it instead)"
        )
    save_defaults(catalog, removed=[name])
    return BUILTIN_DEFAULTS[name]


def remove_shoot_type(catalog: Catalog, shoot_type: str) -> None:
    """A custom shoot type goes (collections of that type keep their settings and type)."""
    name = shoot_type_name(shoot_type)
    if name in SHOOT_TYPES:
        raise BadInputError(f"{name!r} is built in: it can be reset, not removed")
    get_defaults(catalog, name)  # unknown: a clear error
    save_defaults(catalog, removed=[name])


def set_default_shoot_type(catalog: Catalog, shoot_type: str | None) -> None:
    save_defaults(catalog, default_shoot_type=shoot_type)


# -- applying to collections --------------------------------------------------------------------


def _apply(
    conn: Connection, collection_id: int, d: ShootDefaults, today: date, *, keep_password: bool
) -> None:
    current = conn.execute(
        text("SELECT password FROM collection WHERE id = :c AND deleted_at IS NULL"),
        {"c": collection_id},
    ).first()
    if current is None:
        raise BadInputError(f"no collection with id {collection_id}")
    password = current.password if keep_password else None
    if d.password_on and not password:
        password = generate_password()
    expiry = (today + timedelta(days=d.expiry_days)).isoformat() if d.expiry_days else None
    conn.execute(
        text(
            "UPDATE collection SET shoot_type = :t, password = :p, expiry_date = :e, "
            "downloadable = :dl, download_sizes_json = :s, download_watermarked = :wm, "
            "visitor_email_capture = :v, store_enabled = :st, watermark_id = :w, "
            "template_id = :tp, updated_at = :now WHERE id = :c"
        ),
        {**_params(d), "p": password, "e": expiry, "c": collection_id},
    )


def check_shoot_type(target: Catalog | Connection, shoot_type: str) -> str:
    """The stored name of a known shoot type; BadInputError (with the known ones) if not."""
    if isinstance(target, Catalog):
        with target.engine.connect() as conn:
            return _get(conn, shoot_type).shoot_type
    return _get(target, shoot_type).shoot_type


def apply_defaults(
    target: Catalog | Connection,
    collection_id: int,
    shoot_type: str | None,
    *,
    today: date | None = None,
) -> str | None:
    """Give a collection that was just created its shoot type's defaults: its type, password
    (generated when one is required), expiry date (today + expiry days), downloads, watermark,
    template and store. `shoot_type` None: the catalogue's default shoot type, if any.

    With a Connection it runs in the caller's transaction (the one that inserted the
    collection). Returns the shoot type applied (None: none). Raises BadInputError.
    """
    if isinstance(target, Catalog):
        with target.write_conn() as conn:
            return apply_defaults(conn, collection_id, shoot_type, today=today)
    name = shoot_type if shoot_type is not None else _default_type(target)
    if name is None:
        return None
    d = _get(target, name)
    _apply(target, collection_id, d, today or date.today(), keep_password=False)
    return d.shoot_type


def reapply_defaults(
    catalog: Catalog, collection_id: int, shoot_type: str, *, today: date | None = None
) -> ShootDefaults:
    """ "Apply defaults" to an existing collection, when the photographer asks: its settings
    become the shoot type's, the expiry counts from today. A password the collection already
    has is kept (its clients may know it), and never removed (that could expose it)."""
    with catalog.write_conn() as conn:
        d = _get(conn, shoot_type)
        _apply(conn, collection_id, d, today or date.today(), keep_password=True)
    return d
