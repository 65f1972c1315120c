"""Watermark presets in the catalogue: named, reused, chosen per collection and per gallery."""

from __future__ import annotations

import dataclasses
import io
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import Collection, Gallery, Watermark, utcnow
from gallery_desktop.errors import BadInputError
from gallery_desktop.media.watermark import WatermarkError, WatermarkSpec, logo_image

MAX_LOGO_FILE_BYTES = 20 * 1024 * 1024
RESERVED_NAMES = frozenset({"none", "as-set"})  # the words `export --watermark` reads
SPEC_FIELDS = tuple(f.name for f in dataclasses.fields(WatermarkSpec) if f.name != "logo")


@dataclass(frozen=True)
class WatermarkPreset:
    id: int
    name: str
    spec: WatermarkSpec
    logo_path: str | None  # where the logo was chosen from (the preset keeps its own copy)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        out.update({k: getattr(self.spec, k) for k in SPEC_FIELDS})
        out["logo"] = self.logo_path if self.spec.logo else None
        out["logo_bytes"] = len(self.spec.logo) if self.spec.logo else 0
        return out


def _preset(row: Watermark) -> WatermarkPreset:
    assert row.id is not None
    spec = WatermarkSpec(logo=row.logo_data, **{k: getattr(row, k) for k in SPEC_FIELDS})
    return WatermarkPreset(row.id, row.name, spec, row.logo_path)


def read_logo(path: str | os.PathLike[str]) -> bytes:
    """A logo file as PNG bytes for the catalogue; a clear error for anything unusable."""
    try:
        size = os.path.getsize(path)
        if size > MAX_LOGO_FILE_BYTES:
            raise BadInputError(f"logo {path} is larger than 20 MB; use a smaller PNG")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise BadInputError(f"cannot read logo {path}: {exc.strerror or exc}") from exc
    try:
        image = logo_image(data)
    except WatermarkError as exc:
        raise BadInputError(f"logo {path}: {exc}") from exc
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)  # RGBA PNG whatever came in: one format to draw from
    return buf.getvalue()


def _find(session: Session, ref: str) -> Watermark:
    ref = ref.strip()
    row = session.get(Watermark, int(ref)) if ref.isdigit() else None
    if row is None:
        row = session.exec(select(Watermark).where(col(Watermark.name) == ref)).first()
    if row is None:
        row = session.exec(
            select(Watermark).where(func.lower(col(Watermark.name)) == ref.lower())
        ).first()
    if row is None:
        raise BadInputError(
            f"no watermark {ref!r}; `gallery-desktop watermark list` shows the presets"
        )
    return row


def _checked(spec: WatermarkSpec) -> WatermarkSpec:
    try:
        spec.check()
    except WatermarkError as exc:
        raise BadInputError(f"watermark not saved: {exc}") from exc
    return spec


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise BadInputError("a watermark preset needs a name")
    if len(name) > 80:
        raise BadInputError("a watermark name can be at most 80 characters")
    if name.lower() in RESERVED_NAMES:
        raise BadInputError(f"{name!r} is a reserved word for exports; choose another name")
    if name.isdigit():
        raise BadInputError("a watermark name cannot be only digits (it would read as an id)")
    return name


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    query = select(Watermark.id).where(func.lower(col(Watermark.name)) == name.lower())
    return any(found != except_id for found in session.exec(query).all())


def add_watermark(
    catalog: Catalog, name: str, spec: WatermarkSpec, logo_path: str | None = None
) -> WatermarkPreset:
    name = _clean_name(name)
    _checked(spec)
    with catalog.write() as session:
        if _name_taken(session, name):
            raise BadInputError(f"a watermark named {name!r} exists already; choose another name")
        row = Watermark(name=name, logo_data=spec.logo, logo_path=logo_path, **_fields(spec))
        session.add(row)
        session.flush()
        return _preset(row)


def _fields(spec: WatermarkSpec) -> dict[str, Any]:
    return {k: getattr(spec, k) for k in SPEC_FIELDS}


def update_watermark(
    catalog: Catalog,
    ref: str,
    *,
    name: str | None = None,
    logo_path: str | None = None,
    **changes: Any,
) -> WatermarkPreset:
    """Change some settings of a preset (`logo=None` removes the logo); all checked first."""
    unknown = set(changes) - {*SPEC_FIELDS, "logo"}
    if unknown:
        raise BadInputError(f"unknown watermark setting(s): {', '.join(sorted(unknown))}")
    with catalog.write() as session:
        row = _find(session, ref)
        spec = _checked(dataclasses.replace(_preset(row).spec, **changes))
        if name is not None:
            name = _clean_name(name)
            if _name_taken(session, name, row.id):
                raise BadInputError(f"a watermark named {name!r} exists already")
            row.name = name
        for key, value in _fields(spec).items():
            setattr(row, key, value)
        row.logo_data = spec.logo
        if "logo" in changes:
            row.logo_path = logo_path if spec.logo else None
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        return _preset(row)


def delete_watermark(catalog: Catalog, ref: str) -> str:
    """Remove a preset; collections and galleries that used it fall back to none/inherit."""
    with catalog.write() as session:
        row = _find(session, ref)
        name = row.name
        session.delete(row)
    return name


def list_watermarks(catalog: Catalog) -> list[WatermarkPreset]:
    with catalog.read() as session:
        rows = session.exec(select(Watermark).order_by(func.lower(col(Watermark.name))))
        return [_preset(r) for r in rows]


def get_watermark(catalog: Catalog, ref: str) -> WatermarkPreset:
    with catalog.read() as session:
        return _preset(_find(session, ref))


def _choose(
    catalog: Catalog, model: type[Collection] | type[Gallery], oid: int, ref: str | None
) -> None:
    with catalog.write() as session:
        row = session.get(model, oid)
        if row is None:
            raise BadInputError(f"no {model.__name__.lower()} with id {oid}")
        row.watermark_id = _find(session, ref).id if ref else None
        row.updated_at = utcnow()
        session.add(row)


def set_collection_watermark(catalog: Catalog, collection_id: int, ref: str | None) -> None:
    """The collection's default watermark (None: no watermark unless a gallery sets one)."""
    _choose(catalog, Collection, collection_id, ref)


def set_gallery_watermark(catalog: Catalog, gallery_id: int, ref: str | None) -> None:
    """A gallery's own watermark, overriding the collection's (None: use the collection's)."""
    _choose(catalog, Gallery, gallery_id, ref)


@dataclass(frozen=True)
class WatermarkChoices:
    """The presets chosen (ids; None: no watermark, or for a gallery: the collection's)."""

    collection: str
    default: int | None
    galleries: list[tuple[int, str, int | None]]  # (gallery id, name, preset id), in order


def watermark_choices(catalog: Catalog, collection_id: int) -> WatermarkChoices | None:
    """What was chosen, as chosen: unlike `effective_watermarks` it tells a gallery that
    follows the collection from one that picked the same preset itself."""
    with catalog.read() as session:
        c = session.get(Collection, collection_id)
        if c is None or c.deleted_at is not None:
            return None
        rows = session.exec(
            select(Gallery)
            .where(col(Gallery.collection_id) == collection_id, col(Gallery.deleted_at).is_(None))
            .order_by(col(Gallery.position), col(Gallery.name))
        ).all()
        galleries = [(g.id, g.name, g.watermark_id) for g in rows if g.id is not None]
        return WatermarkChoices(c.name, c.watermark_id, galleries)


def effective_watermarks(catalog: Catalog, collection_id: int) -> dict[int, WatermarkPreset | None]:
    """Gallery id → the preset its photos get: the gallery's own, else the collection's."""
    with catalog.read() as session:
        collection = session.get(Collection, collection_id)
        if collection is None:
            raise BadInputError(f"no collection with id {collection_id}")
        presets = {r.id: _preset(r) for r in session.exec(select(Watermark))}
        default = presets.get(collection.watermark_id) if collection.watermark_id else None
        galleries = session.exec(
            select(Gallery.id, Gallery.watermark_id).where(
                col(Gallery.collection_id) == collection_id, col(Gallery.deleted_at).is_(None)
            )
        ).all()
    return {
        gid: (presets.get(wid) if wid else None) or default
        for gid, wid in galleries
        if gid is not None
    }
