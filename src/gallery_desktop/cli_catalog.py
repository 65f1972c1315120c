"""`gallery-desktop catalog copy --to URL [--json]`: copy the catalogue this invocation opens
(the SQLite file in --home, or --catalog-url) into a new, empty one on either engine."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from gallery_desktop.catalog.copy import CopyReport, copy_catalog, open_target
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.terminal import ProgressLine


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "catalog",
        help="whole-catalogue operations: `catalog copy --to URL`",
        description="Operations on the catalogue as a whole.",
    )
    actions = p.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    cp = actions.add_parser(
        "copy",
        help="copy this catalogue into a new, empty one (SQLite file or PostgreSQL)",
        description="Copies every table of the catalogue this invocation opens (the SQLite "
        "file in --home, or --catalog-url) into the target, which must be empty: a "
        "postgresql+psycopg://USER@HOST/DATABASE URL, sqlite:////abs/path.sqlite, or a plain "
        "file path. Ids, gallery counts and the sync outbox are copied as they are. The copy "
        "is one transaction, checked table by table (row counts and hashes) before it is "
        "committed; anything amiss leaves the target as it was.",
    )
    cp.add_argument("--to", required=True, metavar="URL", help="the empty target catalogue")
    cp.add_argument("--json", action="store_true", help="print the verified summary as JSON")
    cp.add_argument("--batch-rows", type=int, default=2000, help=argparse.SUPPRESS)


def _print(report: CopyReport, out: TextIO) -> None:
    out.write(f"copied {report.source} → {report.target}\n")
    for t in report.tables:
        out.write(f"  {t.name:<20} {t.rows:>9} rows  sha256 {t.sha256[:16]}\n")
    out.write(
        f"total: {report.rows} rows in {len(report.tables)} tables, counts and hashes "
        f"verified ({report.seconds:.1f} s)\n"
    )


def run(args: argparse.Namespace, catalog: Catalog, out: TextIO, err: TextIO) -> int:
    assert args.catalog_command == "copy"
    target = open_target(catalog, args.to)
    line = ProgressLine(err)
    try:
        report = copy_catalog(
            catalog,
            target,
            batch=max(1, args.batch_rows),
            progress=lambda table, _n, done, total: line.show("copy", done, total, table),
        )
    finally:
        line.clear()
        target.close()
    if args.json:
        json.dump(report.as_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _print(report, out)
    return 0
