"""What an export run will write: media from the catalogue with their watermark and names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter, MediaView, media_ids
from gallery_desktop.catalog.models import Collection, Gallery, Media
from gallery_desktop.catalog.roots import collection_folder
from gallery_desktop.catalog.watermarks import effective_watermarks, get_watermark
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.filetypes import RAW_EXTENSIONS, extension
from gallery_desktop.media.watermark import TokenValues, WatermarkSpec

# How the watermark is chosen: the collection's own choice (per gallery), none, or one preset.
AS_SET: str = "as-set"
NO_WATERMARK: str = "none"


@dataclass(frozen=True)
class ExportRequest:
    """Which media to export. The narrowest given wins: a selection, else a gallery (with an
    optional filter), else the whole collection (with an optional filter)."""

    collection_id: int
    gallery_id: int | None = None
    where: MediaFilter = field(default_factory=MediaFilter)
    media_ids: Sequence[int] | None = None
    watermark: str = AS_SET  # AS_SET, NO_WATERMARK or a preset's name or id
    client: str = ""  # what `{client}` stands for in watermark text
    gallery_folders: bool | None = None  # None: one folder per gallery if there are several


@dataclass(frozen=True)
class ExportItem:
    media_id: int
    source: bytes  # the original's full path
    display: str  # its path in the collection, for messages
    filename: str  # its own file name, for naming outputs
    kind: str
    format: str  # as catalogued: "JPEG", "PNG", "CR2", ...
    state: str
    error: str | None
    gallery: str
    rating: int
    taken_at: str | None
    pixels: int  # width × height as catalogued (0: unknown)
    long_side: int
    watermark: WatermarkSpec | None
    tokens: TokenValues
    index: int  # 1-based position in the export

    @property
    def is_raw(self) -> bool:
        return extension(self.filename.encode("utf-8", "surrogateescape")) in RAW_EXTENSIONS

    @property
    def stem(self) -> str:
        stem, dot, _ext = self.filename.rpartition(".")
        return stem if dot and stem else self.filename


@dataclass(frozen=True)
class ExportPlan:
    collection: str
    items: list[ExportItem]
    gallery_folders: bool
    watermark_label: str  # for the summary: what watermark the photos get


def _watermarks(
    catalog: Catalog, request: ExportRequest
) -> tuple[dict[int, WatermarkSpec | None] | WatermarkSpec | None, str]:
    if request.watermark == NO_WATERMARK:
        return None, "none"
    if request.watermark != AS_SET:
        preset = get_watermark(catalog, request.watermark)
        return preset.spec, preset.name
    per_gallery = effective_watermarks(catalog, request.collection_id)
    names = sorted({p.name for p in per_gallery.values() if p is not None})
    label = ", ".join(names) + " (as set for the collection)" if names else "none (none is set)"
    return {gid: (p.spec if p else None) for gid, p in per_gallery.items()}, label


def plan_export(catalog: Catalog, request: ExportRequest) -> ExportPlan:
    """Resolve a request to items in the grid's order. Raises BadInputError for a bad request."""
    with catalog.read() as session:
        collection = session.get(Collection, request.collection_id)
        if collection is None or collection.deleted_at is not None:
            raise BadInputError(f"no collection with id {request.collection_id}")
        if collection.folder is None:
            raise BadInputError(f"collection {collection.name!r} has no folder on disk")
        folder = collection_folder(catalog, collection)  # RootOfflineError: not mounted here
        assert folder is not None
        name = collection.name
        event_date = collection.event_date
        if request.gallery_id is not None:
            gallery = session.get(Gallery, request.gallery_id)
            if gallery is None or gallery.collection_id != request.collection_id:
                raise BadInputError("that gallery is not part of this collection")
    if request.media_ids is not None:
        ids = list(dict.fromkeys(request.media_ids))
    else:
        view = MediaView(request.collection_id, request.gallery_id, request.where)
        ids = list(media_ids(catalog, view))
    watermarks, label = _watermarks(catalog, request)
    rows = _rows(catalog, request.collection_id, ids)
    galleries = {r[0].gallery_id for r in rows}
    folders = request.gallery_folders
    if folders is None:
        folders = request.gallery_id is None and request.media_ids is None and len(galleries) > 1
    today = date.today().isoformat()
    items = []
    for index, (m, gallery_name) in enumerate(rows, start=1):
        assert m.id is not None
        filename = os.path.basename(m.rel_path).decode("utf-8", "replace")
        spec = watermarks.get(m.gallery_id) if isinstance(watermarks, dict) else watermarks
        when = event_date or (m.taken_at or "")[:10] or today
        tokens = TokenValues(collection=name, client=request.client, date=when, filename=filename)
        items.append(
            ExportItem(
                media_id=m.id,
                source=os.path.join(folder, m.rel_path),
                display=m.path,
                filename=filename,
                kind=m.kind,
                format=m.format or "",
                state=m.state,
                error=m.error,
                gallery=gallery_name,
                rating=m.rating,
                taken_at=m.taken_at,
                pixels=(m.width or 0) * (m.height or 0),
                long_side=max(m.width or 0, m.height or 0),
                watermark=spec,
                tokens=tokens,
                index=index,
            )
        )
    return ExportPlan(name, items, folders, label)


def _rows(catalog: Catalog, collection_id: int, ids: list[int]) -> list[tuple[Media, str]]:
    """Media rows of this collection for `ids`, in the order of `ids` (others left out)."""
    found: dict[int, tuple[Media, str]] = {}
    with catalog.read() as session:
        for start in range(0, len(ids), 900):  # SQLite's parameter limit
            chunk = ids[start : start + 900]
            query = (
                select(Media, col(Gallery.name))
                .join(Gallery, col(Gallery.id) == col(Media.gallery_id))
                .where(col(Media.id).in_(chunk), col(Media.collection_id) == collection_id)
            )
            for m, gallery_name in session.exec(query).all():
                assert m.id is not None
                found[m.id] = (m, gallery_name)
    return [found[i] for i in ids if i in found]
