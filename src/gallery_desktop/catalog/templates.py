"""Templates: reusable styles for the client's pages (cover layout, title font, colours, and
how the photos are laid out), the built-in ones, and each collection's choice and cover photo.

Built-in templates are created on first use and cannot be changed or deleted: changing one for
a collection makes a copy (`save_design`). A collection without a template shows as Classic.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import func
from sqlmodel import Session, col, select

from gallery_desktop.catalog.analytics_buckets import MONTH_NAMES
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import (
    Collection,
    MediaKind,
    MediaState,
    Template,
    utcnow,
)
from gallery_desktop.catalog.models import (
    Media as MediaRow,
)
from gallery_desktop.catalog.roots import collection_folder
from gallery_desktop.errors import BadInputError, RootOfflineError
from gallery_desktop.media.cover_page import (
    COLOUR_KEYS,
    LAYOUTS,
    THEMES,
    TITLE_FONTS,
    CoverError,
    CoverSpec,
    CoverStyle,
    Palette,
)

GRID_STYLES: Final = ("vertical", "horizontal")
THUMBNAIL_SIZES: Final = ("small", "regular", "large")
GRID_SPACINGS: Final = ("tight", "regular", "wide")
DISPLAY_SETTINGS: Final = {
    "grid_style": GRID_STYLES,
    "thumbnail_size": THUMBNAIL_SIZES,
    "grid_spacing": GRID_SPACINGS,
    "theme": THEMES,
}
MAX_NAME_LENGTH: Final = 60


@dataclass(frozen=True)
class TemplateStyle:
    """What a template decides. Plain data, safe to hand between threads."""

    cover_layout: str = "centre"
    title_font: str = "serif"
    colours: Palette | None = None  # None: the theme's own colours
    grid_style: str = "vertical"
    thumbnail_size: str = "regular"
    grid_spacing: str = "regular"
    theme: str = "light"

    def cover_style(self) -> CoverStyle:
        return CoverStyle(self.cover_layout, self.title_font, self.theme, self.colours)

    def palette(self) -> Palette:
        return self.cover_style().palette()

    def problems(self) -> list[str]:
        out = [
            f"{key.replace('_', ' ')} must be one of: {', '.join(allowed)} (not {value!r})"
            for key, allowed in DISPLAY_SETTINGS.items()
            if (value := getattr(self, key)) not in allowed and key != "theme"
        ]
        return out + self.cover_style().problems()

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["colours"] = dataclasses.asdict(self.palette())
        return out


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    name: str
    builtin: bool
    style: TemplateStyle

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "builtin": self.builtin, **self.style.as_dict()}


_WHITE_ON_PHOTO: Final = Palette("#f5f2ed", "#ffffff", "#f2ede6", "#d9c6a3")
BUILTINS: Final = (
    ("Classic", TemplateStyle("centre", "serif", _WHITE_ON_PHOTO)),
    (
        "Editorial",
        TemplateStyle("left", "sans", _WHITE_ON_PHOTO, "horizontal", "large", "tight"),
    ),
    ("Split", TemplateStyle("split", "serif", None, "vertical", "regular", "wide")),
    (
        "Frame",
        TemplateStyle(
            "frame",
            "serif",
            Palette("#faf8f4", "#2a2622", "#857b6f", "#bca77f"),
            "vertical",
            "small",
            "wide",
        ),
    ),
    ("Band", TemplateStyle("band", "sans-bold", None, "horizontal", "regular", "tight", "dark")),
    (
        "Minimal",
        TemplateStyle(
            "minimal",
            "sans",
            Palette("#ffffff", "#1b1b1b", "#8c8c8c", "#c8c8c8"),
            "vertical",
            "small",
            "wide",
        ),
    ),
)
BUILTIN_NAMES: Final = tuple(name for name, _ in BUILTINS)
DEFAULT_TEMPLATE: Final = "Classic"


def is_builtin(name: str) -> bool:
    return name.lower() in {n.lower() for n in BUILTIN_NAMES}


# --- rows <-> plain data -------------------------------------------------------------------


def _palette(colours_json: str) -> Palette | None:
    """The stored colours; a damaged or partial entry falls back to the theme's colours."""
    try:
        data = json.loads(colours_json or "{}")
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in COLOUR_KEYS):
        return None
    return Palette(**{k: data[k] for k in COLOUR_KEYS})


def _colours_json(palette: Palette | None) -> str:
    return "{}" if palette is None else json.dumps(dataclasses.asdict(palette), sort_keys=True)


def _style(row: Template) -> TemplateStyle:
    return TemplateStyle(
        cover_layout=row.cover_layout,
        title_font=row.title_font,
        colours=_palette(row.colours_json),
        grid_style=row.grid_style,
        thumbnail_size=row.thumbnail_size,
        grid_spacing=row.grid_spacing,
        theme=row.theme,
    )


def _record(row: Template) -> TemplateRecord:
    assert row.id is not None
    return TemplateRecord(row.id, row.name, is_builtin(row.name), _style(row))


def _write_style(row: Template, style: TemplateStyle) -> None:
    row.cover_layout, row.title_font = style.cover_layout, style.title_font
    row.colours_json = _colours_json(style.colours)
    row.grid_style, row.thumbnail_size = style.grid_style, style.thumbnail_size
    row.grid_spacing, row.theme = style.grid_spacing, style.theme


def _checked(style: TemplateStyle) -> TemplateStyle:
    problems = style.problems()
    if problems:
        raise BadInputError("template not saved: " + "; ".join(problems))
    return style


def make_style(base: TemplateStyle | None = None, **changes: Any) -> TemplateStyle:
    """`base` with some settings changed; colours may be given as a dict of COLOUR_KEYS."""
    base = base or TemplateStyle()
    unknown = set(changes) - {f.name for f in dataclasses.fields(TemplateStyle)}
    if unknown:
        raise BadInputError(f"unknown template setting(s): {', '.join(sorted(unknown))}")
    colours = changes.get("colours")
    if isinstance(colours, dict):
        bad = set(colours) - set(COLOUR_KEYS)
        if bad:
            raise BadInputError(
                f"unknown colour(s): {', '.join(sorted(bad))} (use {', '.join(COLOUR_KEYS)})"
            )
        current = dataclasses.asdict(base.palette())
        changes["colours"] = Palette(**{**current, **colours})
    return _checked(dataclasses.replace(base, **changes))


# --- built-ins, finding, names -------------------------------------------------------------


def ensure_builtin_templates(catalog: Catalog) -> int:
    """Create the built-in templates that are missing (safe to call any time); how many."""
    with catalog.read() as session:
        if _builtins_present(session) == len(BUILTINS):
            return 0
    made = 0
    with catalog.write() as session:  # BEGIN IMMEDIATE: two processes cannot both insert
        existing = {n.lower() for n in session.exec(select(Template.name)).all()}
        for name, style in BUILTINS:
            if name.lower() not in existing:
                row = Template(name=name)
                _write_style(row, style)
                session.add(row)
                made += 1
    return made


def _builtins_present(session: Session) -> int:
    lowered = [n.lower() for n in BUILTIN_NAMES]
    query = select(func.count()).where(func.lower(col(Template.name)).in_(lowered))
    return int(session.exec(query).one())


def _find(session: Session, ref: str | int) -> Template:
    text = str(ref).strip()
    row = session.get(Template, int(text)) if text.isdigit() else None
    if row is None:
        row = session.exec(
            select(Template).where(func.lower(col(Template.name)) == text.lower())
        ).first()
    if row is None:
        raise BadInputError(
            f"no template {text!r}; `gallery-desktop templates` lists the templates"
        )
    return row


def _clean_name(session: Session, name: str, except_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise BadInputError("a template needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise BadInputError(f"a template name can be at most {MAX_NAME_LENGTH} characters")
    if name.isdigit():
        raise BadInputError("a template name cannot be only digits (it would read as an id)")
    if is_builtin(name):
        raise BadInputError(f"{name!r} is a built-in template's name; choose another name")
    query = select(Template.id).where(func.lower(col(Template.name)) == name.lower())
    if any(found != except_id for found in session.exec(query).all()):
        raise BadInputError(f"a template named {name!r} exists already; choose another name")
    return name


def _order(rec: TemplateRecord) -> tuple[int, str]:
    lowered = [n.lower() for n in BUILTIN_NAMES]
    name = rec.name.lower()
    return (lowered.index(name) if name in lowered else len(lowered), name)


def list_templates(catalog: Catalog) -> list[TemplateRecord]:
    """Built-ins first (in their order), then the photographer's own by name."""
    ensure_builtin_templates(catalog)
    with catalog.read() as session:
        return sorted((_record(r) for r in session.exec(select(Template))), key=_order)


def get_template(catalog: Catalog, ref: str | int) -> TemplateRecord:
    ensure_builtin_templates(catalog)
    with catalog.read() as session:
        return _record(_find(session, ref))


def create_template(
    catalog: Catalog, name: str, style: TemplateStyle | None = None
) -> TemplateRecord:
    ensure_builtin_templates(catalog)
    style = _checked(style or TemplateStyle())
    with catalog.write() as session:
        row = Template(name=_clean_name(session, name))
        _write_style(row, style)
        session.add(row)
        session.flush()
        return _record(row)


def copy_template(catalog: Catalog, ref: str | int, name: str, **changes: Any) -> TemplateRecord:
    """A new template starting from another one (e.g. a built-in), with some changes."""
    return create_template(catalog, name, make_style(get_template(catalog, ref).style, **changes))


def update_template(
    catalog: Catalog, ref: str | int, *, name: str | None = None, **changes: Any
) -> TemplateRecord:
    """Change a template of the photographer's own (every collection using it follows)."""
    ensure_builtin_templates(catalog)
    with catalog.write() as session:
        row = _find(session, ref)
        if is_builtin(row.name):
            raise BadInputError(
                f"{row.name!r} is built in and cannot be changed; copy it and change the copy"
            )
        style = make_style(_style(row), **changes)
        if name is not None:
            row.name = _clean_name(session, name, row.id)
        _write_style(row, style)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        return _record(row)


def delete_template(catalog: Catalog, ref: str | int) -> str:
    """Remove a template of the photographer's own; its collections show as Classic."""
    with catalog.write() as session:
        row = _find(session, ref)
        if is_builtin(row.name):
            raise BadInputError(f"{row.name!r} is built in and cannot be deleted")
        name = row.name
        session.delete(row)
    return name


def collections_using(catalog: Catalog, template_id: int) -> list[str]:
    """Names of the (live) collections that use a template."""
    with catalog.read() as session:
        query = select(Collection.name).where(
            col(Collection.template_id) == template_id, col(Collection.deleted_at).is_(None)
        )
        return sorted(session.exec(query).all())


# --- a collection's choice -----------------------------------------------------------------


def _collection(session: Session, collection_id: int) -> Collection:
    row = session.get(Collection, collection_id)
    if row is None or row.deleted_at is not None:
        raise BadInputError(f"no collection with id {collection_id}")
    return row


def _focal(value: float, axis: str) -> float:
    """A share of the photo (0..1); a hair outside (rounding in a click) is pulled in."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInputError(f"the focal point's {axis} must be a number from 0 to 1")
    if not -1e-6 <= value <= 1 + 1e-6:
        raise BadInputError(
            f"the focal point's {axis} must be from 0 to 1 (a share of the photo), not {value:g}"
        )
    return min(1.0, max(0.0, float(value)))


def _cover_media(session: Session, collection: Collection, media_id: int) -> MediaRow:
    media = session.get(MediaRow, media_id)
    if media is None or media.collection_id != collection.id:
        raise BadInputError(f"photo {media_id} is not in collection {collection.name!r}")
    if media.kind != MediaKind.PHOTO.value:
        raise BadInputError(f"{media.path} is a {media.kind}; a cover must be a photo")
    if media.state != MediaState.OK.value:
        reason = f" ({media.error})" if media.error else ""
        raise BadInputError(f"{media.path} is {media.state}{reason}; choose another cover photo")
    return media


def use_template(catalog: Catalog, collection_id: int, template: str | int | None) -> None:
    """The template a collection's pages use (None: the default, Classic)."""
    ensure_builtin_templates(catalog)
    with catalog.write() as session:
        row = _collection(session, collection_id)
        row.template_id = None if template is None else _find(session, template).id
        row.updated_at = utcnow()
        session.add(row)


def set_cover(
    catalog: Catalog,
    collection_id: int,
    media_id: int | None,
    focal_x: float = 0.5,
    focal_y: float = 0.5,
) -> None:
    """The collection's cover photo (an ok photo of its own; None: no cover) and the point of
    it (shares of its width and height) the cover is cropped around."""
    fx, fy = _focal(focal_x, "x"), _focal(focal_y, "y")
    with catalog.write() as session:
        row = _collection(session, collection_id)
        if media_id is not None:
            _cover_media(session, row, media_id)
        row.cover_media_id, row.cover_focal_x, row.cover_focal_y = media_id, fx, fy
        row.updated_at = utcnow()
        session.add(row)


@dataclass(frozen=True)
class Design:
    """A collection's design as chosen (the design tab edits one and saves it whole)."""

    template_id: int  # the template shown (Classic when the collection has none)
    style: TemplateStyle  # its settings, possibly changed
    cover_media_id: int | None
    focal: tuple[float, float]


def read_design(catalog: Catalog, collection_id: int) -> Design:
    ensure_builtin_templates(catalog)
    with catalog.read() as session:
        c = _collection(session, collection_id)
        row = session.get(Template, c.template_id) if c.template_id else None
        row = row or _find(session, DEFAULT_TEMPLATE)
        assert row.id is not None
        return Design(row.id, _style(row), c.cover_media_id, (c.cover_focal_x, c.cover_focal_y))


def _free_name(session: Session, base: str) -> str:
    taken = {n.lower() for n in session.exec(select(Template.name)).all()}
    base = base[:MAX_NAME_LENGTH]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name, n = base[: MAX_NAME_LENGTH - len(suffix)] + suffix, n + 1
    return name


def save_design(catalog: Catalog, collection_id: int, design: Design) -> TemplateRecord:
    """Save a design in one transaction: the template (a changed built-in becomes a copy named
    after the collection; a changed template of the photographer's own is updated), the cover
    and its focal point. Returns the template the collection now uses."""
    ensure_builtin_templates(catalog)
    with catalog.write() as session:
        return save_design_in(session, collection_id, design)


def save_design_in(session: Session, collection_id: int, design: Design) -> TemplateRecord:
    """`save_design` inside the caller's transaction (the settings dialog saves every tab in
    one); the built-in templates must exist already (`ensure_builtin_templates`)."""
    style = _checked(design.style)
    fx, fy = _focal(design.focal[0], "x"), _focal(design.focal[1], "y")
    c = _collection(session, collection_id)
    row = _find(session, design.template_id)
    if design.cover_media_id is not None:
        _cover_media(session, c, design.cover_media_id)
    if _style(row) != style:
        if is_builtin(row.name):
            row = Template(name=_free_name(session, f"{row.name} – {c.name}"))
        else:
            row.updated_at = utcnow()
        _write_style(row, style)
        session.add(row)
        session.flush()
    c.template_id = row.id
    c.cover_media_id, c.cover_focal_x, c.cover_focal_y = design.cover_media_id, fx, fy
    c.updated_at = utcnow()
    session.add(c)
    session.flush()
    return _record(row)


def cover_candidates(
    catalog: Catalog, collection_id: int, limit: int = 5000
) -> list[tuple[int, str]]:
    """(media id, path) of the photos that can be a cover, in capture order."""
    with catalog.read() as session:
        query = (
            select(MediaRow.id, MediaRow.path)
            .where(
                col(MediaRow.collection_id) == collection_id,
                col(MediaRow.kind) == MediaKind.PHOTO.value,
                col(MediaRow.state) == MediaState.OK.value,
            )
            .order_by(col(MediaRow.taken_at), col(MediaRow.path))
            .limit(limit)
        )
        return [(mid, path) for mid, path in session.exec(query).all() if mid is not None]


# --- what the cover page shows -------------------------------------------------------------


def format_event_date(value: str | None) -> str:
    """'2026-06-12' → '12 June 2026'; anything else is shown as typed."""
    if not value:
        return ""
    try:
        d = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return value.strip()
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def cover_spec(
    catalog: Catalog,
    collection_id: int,
    template: str | int | None = None,
    design: Design | None = None,
) -> CoverSpec:
    """What the collection's cover page shows, read from the catalogue: its template (or
    `template`, or an unsaved `design`), title, date, cover photo file and focal point."""
    ensure_builtin_templates(catalog)
    with catalog.read() as session:
        c = _collection(session, collection_id)
        if design is not None:
            style = design.style
            media_id, focal = design.cover_media_id, design.focal
        else:
            ref = template if template is not None else c.template_id
            row = session.get(Template, ref) if isinstance(ref, int) else None
            if row is None:
                row = _find(session, ref if ref is not None else DEFAULT_TEMPLATE)
            style = _style(row)
            media_id, focal = c.cover_media_id, (c.cover_focal_x, c.cover_focal_y)
        media = session.get(MediaRow, media_id) if media_id is not None else None
        usable = (
            media is not None
            and media.collection_id == c.id
            and media.kind == MediaKind.PHOTO.value
            and media.state == MediaState.OK.value
            and c.folder is not None
        )
        path = None
        if usable and media and c.folder:
            try:  # in a library root that is offline here: a cover without its photo
                folder = collection_folder(catalog, c)
            except RootOfflineError:
                folder = None
            path = os.path.join(folder, media.rel_path) if folder else None
        return CoverSpec(
            style=style.cover_style(),
            title=c.name,
            subtitle=format_event_date(c.event_date),
            photo_path=path,
            photo_hash=media.content_hash if usable and media else None,
            focal=(min(1.0, max(0.0, focal[0])), min(1.0, max(0.0, focal[1]))),
        )


__all__ = [
    "BUILTINS",
    "BUILTIN_NAMES",
    "DEFAULT_TEMPLATE",
    "DISPLAY_SETTINGS",
    "GRID_SPACINGS",
    "GRID_STYLES",
    "LAYOUTS",
    "THEMES",
    "THUMBNAIL_SIZES",
    "TITLE_FONTS",
    "CoverError",
    "Design",
    "TemplateRecord",
    "TemplateStyle",
    "collections_using",
    "copy_template",
    "cover_candidates",
    "cover_spec",
    "create_template",
    "delete_template",
    "ensure_builtin_templates",
    "format_event_date",
    "get_template",
    "list_templates",
    "make_style",
    "read_design",
    "save_design",
    "set_cover",
    "update_template",
    "use_template",
]
