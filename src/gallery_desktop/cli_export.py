"""`gallery-desktop export ...`: a collection, a gallery or a filter result into a folder or zip."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from gallery_desktop.catalog.collections import find_collection, find_gallery
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import MediaFilter
from gallery_desktop.errors import BadInputError
from gallery_desktop.export.items import AS_SET, NO_WATERMARK, ExportRequest
from gallery_desktop.export.run import ExportProgress, ExportSummary, run_export
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.media.export import PRESETS, ExportSettings, MetadataPolicy, VideoPolicy
from gallery_desktop.media.safe_names import DEFAULT_PATTERN, NAME_TOKENS
from gallery_desktop.terminal import ProgressLine


def add_parser(sub: Any) -> None:
    exp = sub.add_parser(
        "export",
        help="export a collection (or a gallery, or a filter result) to a folder or a zip",
        description="Writes new files into --out only; originals are never changed. Original "
        "without a watermark is a byte-identical copy; every other preset is an sRGB JPEG, "
        "upright, no larger than the preset's long edge.",
    )
    exp.add_argument("collection", metavar="COLLECTION", help="id or name")
    exp.add_argument("--preset", required=True, choices=list(PRESETS))
    wm = exp.add_mutually_exclusive_group()
    wm.add_argument(
        "--watermark",
        metavar="NAME",
        help="draw this preset on every photo "
        "(default: the collection's and galleries' own watermark, if set)",
    )
    wm.add_argument("--no-watermark", action="store_true", help="clean copies")
    exp.add_argument("--gallery", metavar="NAME", help="only this gallery")
    exp.add_argument("--zip", action="store_true", help="one zip file in --out")
    exp.add_argument("--out", required=True, metavar="DIR", type=Path)
    exp.add_argument("--quality", type=int, metavar="1-100", help="JPEG quality")
    exp.add_argument(
        "--metadata",
        choices=[m.value for m in MetadataPolicy],
        default=None,
        help="all: keep everything; copyright: author, copyright, date, camera, no GPS or "
        "serial numbers; none: strip all. Default: all for original (a byte-identical copy), "
        "copyright for the other presets. Original JPEGs lose metadata without re-encoding; "
        "other originals become full-size JPEGs",
    )
    exp.add_argument(
        "--videos",
        choices=[v.value for v in VideoPolicy],
        default=VideoPolicy.COPY.value,
        help="copy videos as they are, or skip them",
    )
    exp.add_argument(
        "--name",
        dest="pattern",
        default=DEFAULT_PATTERN,
        metavar="PATTERN",
        help="file name pattern; tokens: "
        + " ".join("{" + t + "}" for t in NAME_TOKENS)
        + " (default %(default)s)",
    )
    exp.add_argument("--client", default="", help="what {client} in a watermark stands for")
    folders = exp.add_mutually_exclusive_group()
    folders.add_argument("--flat", action="store_true", help="no folder per gallery")
    folders.add_argument("--gallery-folders", action="store_true", help="a folder per gallery")
    exp.add_argument("--min-rating", type=int, default=0, choices=range(6), metavar="0-5")
    exp.add_argument("--flag", choices=("picked", "rejected", "unflagged"))
    exp.add_argument("--label", help="only this colour label")
    exp.add_argument("--json", action="store_true", help="print the summary as JSON")
    exp.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)


class _Progress:
    def __init__(self, stream: TextIO) -> None:
        self.line = ProgressLine(stream)

    def __call__(self, p: ExportProgress) -> None:
        self.line.show("export", p.done, p.total, p.current)
        if p.done == p.total:
            self.line.clear()


def _report(s: ExportSummary, out: TextIO) -> None:
    if s.cancelled:
        out.write("export cancelled: nothing was kept\n")
        return
    mb = s.bytes_written / 1e6
    out.write(
        f"exported {len(s.written)} files ({mb:.1f} MB) to {s.target} in {s.seconds:.1f} s"
        f"; watermark: {s.watermark}\n"
    )
    if s.videos_with_metadata:
        out.write(
            f"note: {s.videos_with_metadata} video(s) copied as they are, with their own "
            "metadata (location included if the camera recorded one)\n"
        )
    if s.clean_videos:
        out.write(
            f"note: {s.clean_videos} video(s) copied without a watermark (videos cannot "
            "carry one; use --videos skip to leave them out)\n"
        )
    for title, rows in (("skipped", s.skipped), ("failed", s.failed)):
        if rows:
            out.write(f"{title}: {len(rows)}\n")
            for media, why in rows[:50]:
                out.write(f"  {media}: {why}\n")
            if len(rows) > 50:
                out.write(f"  … and {len(rows) - 50} more (--json lists all)\n")


def run(
    args: argparse.Namespace, catalog: Catalog, out: TextIO, err: TextIO, cancel: CancelToken
) -> int:
    if args.quality is not None and not 1 <= args.quality <= 100:
        raise BadInputError("--quality must be between 1 and 100")
    with catalog.read() as session:
        collection = find_collection(session, args.collection)
        assert collection.id is not None
        gallery = find_gallery(session, collection.id, args.gallery) if args.gallery else None
    watermark = NO_WATERMARK if args.no_watermark else (args.watermark or AS_SET)
    request = ExportRequest(
        collection_id=collection.id,
        gallery_id=gallery.id if gallery else None,
        where=MediaFilter(min_rating=args.min_rating, flag=args.flag, label=args.label),
        watermark=watermark,
        client=args.client,
        gallery_folders=True if args.gallery_folders else (False if args.flat else None),
    )
    settings = ExportSettings(
        PRESETS[args.preset],
        quality=args.quality,
        metadata=MetadataPolicy(args.metadata) if args.metadata else None,
        videos=VideoPolicy(args.videos),
    )
    summary = run_export(
        catalog,
        request,
        settings,
        args.out,
        zip_file=args.zip,
        pattern=args.pattern,
        progress=_Progress(err),
        cancel=cancel,
        workers=args.workers,
    )
    if args.json:
        json.dump(summary.as_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _report(summary, out)
    return 0 if summary.ok else 1
