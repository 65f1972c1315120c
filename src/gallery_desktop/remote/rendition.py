"""What an upload sends for one media: the watermarked or clean rendition its gallery asks
for (the collection's choice unless the gallery overrides it), made once and kept until the
upload is done, so a resumed upload sends the same bytes."""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.delivery_rules import before_download_settings, read_settings
from gallery_desktop.catalog.roots import local_folder
from gallery_desktop.catalog.watermarks import effective_watermarks
from gallery_desktop.errors import BadInputError, RootOfflineError
from gallery_desktop.ingest.filetypes import RAW_EXTENSIONS, extension
from gallery_desktop.media.export import (
    PRESETS,
    ExportSettings,
    MetadataPolicy,
    render_photo,
    render_raw,
)
from gallery_desktop.media.safe_names import split_extension
from gallery_desktop.media.watermark import TokenValues

# Uploads go at full size; metadata without location (a client gallery is public enough).
UPLOAD_SETTINGS = ExportSettings(PRESETS["original"], metadata=MetadataPolicy.COPYRIGHT)


@dataclass(frozen=True)
class UploadFile:
    path: str  # what to send: a prepared rendition in the cache, or the original itself
    size: int
    sha256: str
    filename: str
    kind: str
    client_ref: str  # the catalogue's content hash of the original
    taken_at: str | None
    width: int | None
    height: int | None

    def meta(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "size": self.size,
            "checksum": f"sha256:{self.sha256}",
            "kind": self.kind,
            "client_ref": self.client_ref,
            "taken_at": self.taken_at,
            "width": self.width,
            "height": self.height,
        }


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def uploads_watermarked(catalog: Catalog, collection_id: int, gallery_id: int) -> bool:
    """Whether a gallery's photos go up watermarked: the local rule clients get too,
    `before_download_settings(…, gallery_id=…).watermarked` (the collection's choice unless
    the gallery overrides it). Fails closed: when the rule cannot be read, watermarked (a
    clean original must never go up by mistake)."""
    try:
        settings = read_settings(catalog, collection_id)
        return before_download_settings(settings, date.today(), gallery_id=gallery_id).watermarked
    except (BadInputError, ValueError, TypeError, KeyError):  # gone or unreadable: watermarked
        return True


def prepare_upload(catalog: Catalog, media_id: int, cache_dir: Path, key: str) -> UploadFile | None:
    """The file to upload for a media (None: it is gone or not ok any more: nothing to send).

    Raises DecodeError/WatermarkError/OSError when it cannot be made."""
    with catalog.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT m.rel_path, m.path, m.kind, m.state, m.content_hash, m.taken_at, m.width, "
                "m.height, m.gallery_id, c.id AS cid, c.name AS cname, c.folder, c.root_id, "
                "c.event_date, "
                "c.download_watermarked FROM media m JOIN collection c ON c.id = m.collection_id "
                "WHERE m.id = :id"
            ),
            {"id": media_id},
        ).first()
    if row is None or row.state != "ok" or row.folder is None or not row.content_hash:
        return None
    try:  # in a library root: where this seat mounts it
        folder = local_folder(catalog, bytes(row.folder), row.root_id)
    except RootOfflineError as exc:  # a failure with its reason; sent when it is back
        raise OSError(str(exc)) from None
    assert folder is not None
    source: Any = os.path.join(folder, bytes(row.rel_path))  # bytes: the name as on disk
    filename = os.path.basename(row.rel_path).decode("utf-8", "replace")
    spec = None
    if row.kind == "photo" and uploads_watermarked(catalog, row.cid, row.gallery_id):
        preset = effective_watermarks(catalog, row.cid).get(row.gallery_id)
        spec = preset.spec if preset else None
    path = source
    if row.kind == "photo":
        cached = cache_dir / f"{key}.bin"
        if cached.is_file():
            path = str(cached)
        else:
            tokens = TokenValues(
                collection=row.cname,
                date=row.event_date or (row.taken_at or "")[:10],
                filename=filename,
            )
            if extension(os.path.basename(row.rel_path)) in RAW_EXTENSIONS:
                rendition = render_raw(source, UPLOAD_SETTINGS, spec, tokens)
            else:
                with open(source, "rb") as f:
                    rendition = render_photo(f.read(), UPLOAD_SETTINGS, spec, tokens)
            if rendition.data is not None:
                _write_atomic(cached, rendition.data)
                path = str(cached)
    if path != source and not filename.lower().endswith((".jpg", ".jpeg")):
        filename = split_extension(filename)[0] + ".jpg"  # renditions are JPEGs
    return UploadFile(
        path=path,
        size=os.path.getsize(path),
        sha256=sha256_file(path),
        filename=filename,
        kind=row.kind,
        client_ref=row.content_hash,
        taken_at=row.taken_at,
        width=row.width,
        height=row.height,
    )


def forget_upload(cache_dir: Path, key: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(cache_dir / f"{key}.bin")
