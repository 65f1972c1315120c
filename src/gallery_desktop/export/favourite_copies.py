"""A client's favourites as a folder of copies of the originals (for retouching, printing,
or handing to an album designer).

This is an export run with the Original preset, no watermark and all metadata kept: each file
is a byte-identical copy written as a part file and linked into place, a name that is taken
gets " (2)", a folder inside a collection is refused, an original missing on disk is reported
while the rest is copied, and a cancelled run takes back everything it wrote.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import (
    ANYONE,
    BY_ALL_CLIENTS,
    NOT_DOWNLOADED,
    MediaFilter,
    MediaView,
    media_ids,
)
from gallery_desktop.catalog.watched import catalogued_folders
from gallery_desktop.errors import BadInputError
from gallery_desktop.export.items import NO_WATERMARK, ExportRequest
from gallery_desktop.export.run import ExportProgress, ExportSummary, run_export
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.export import PRESETS, ExportSettings, MetadataPolicy, VideoPolicy

ORIGINAL_COPIES = ExportSettings(
    PRESETS["original"], metadata=MetadataPolicy.ALL, videos=VideoPolicy.COPY
)


def whose(who: str) -> str:
    """The favourites a choice means, in words (for messages)."""
    return {
        ANYONE: "favourites",
        NOT_DOWNLOADED: "favourites not downloaded yet",
        BY_ALL_CLIENTS: "favourites of every client",
    }.get(who, f"favourites of {who}")


def _refuse_catalogued(catalog: Catalog, out_dir: Path) -> None:
    """The export's own refusal, said for copies (run_export checks again)."""
    target = os.path.realpath(out_dir)
    for name, folder in catalogued_folders(catalog):
        root = os.path.realpath(os.fsdecode(folder))
        if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
            raise BadInputError(
                f"{out_dir} is inside {name} ({root}): copies there would be catalogued as "
                "new photos of it. Choose a folder outside it"
            )


def copy_favourites(
    catalog: Catalog,
    collection_id: int,
    out_dir: Path,
    who: str = ANYONE,
    *,
    progress: Callable[[ExportProgress], None] | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> ExportSummary:
    """Copy the originals of a client's favourites (`who`: an email, ANYONE, NOT_DOWNLOADED or
    BY_ALL_CLIENTS) into `out_dir`, flat, under their own file names. Originals are only read.

    Raises BadInputError when there are no such favourites or the folder is not allowed."""
    where = MediaFilter(favourited_by=who)
    _refuse_catalogued(catalog, out_dir)
    if not media_ids(catalog, MediaView(collection_id, where=where), limit=1):
        raise BadInputError(f"nothing to copy: this collection has no {whose(who)}")
    request = ExportRequest(
        collection_id, where=where, watermark=NO_WATERMARK, gallery_folders=False
    )
    return run_export(
        catalog,
        request,
        ORIGINAL_COPIES,
        out_dir,
        progress=progress,
        cancel=cancel,
        workers=workers,
    )
