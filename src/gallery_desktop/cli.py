"""Headless commands over the same services the GUI uses."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from gallery_desktop import (
    __version__,
    cli_analytics,
    cli_catalog,
    cli_cover,
    cli_defaults,
    cli_export,
    cli_favourites,
    cli_remote,
    cli_roots,
    cli_settings,
    cli_watermark,
)
from gallery_desktop.catalog.check import check_catalog
from gallery_desktop.catalog.collection_defaults import check_shoot_type, shoot_type_of
from gallery_desktop.catalog.collections import display_name, find_collection, list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.watched import (
    add_shoots_folder,
    list_watched,
    remove_shoots_folder,
    set_collection_watched,
)
from gallery_desktop.errors import BadInputError, UserFacingError
from gallery_desktop.ingest.importer import (
    ImportProgress,
    ImportSummary,
    import_folder,
    rescan_collection,
    shoot_folder,
)
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.ingest.watcher import WatchService, WatchTimings
from gallery_desktop.media.thumbnails import ThumbnailCache
from gallery_desktop.paths import AppPaths
from gallery_desktop.seat import open_catalog
from gallery_desktop.terminal import ProgressLine


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gallery-desktop",
        description="Offline gallery manager for photographers. With no command, opens the app.",
    )
    p.add_argument("--home", metavar="DIR", help="keep catalogue, cache and logs in DIR")
    p.add_argument(
        "--catalog-url",
        metavar="URL",
        help="open this catalogue instead of the embedded SQLite file, e.g. "
        "postgresql+psycopg://user@host/gallery (a studio's shared catalogue)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.add_argument("--version", action="version", version=f"gallery-desktop {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    imp = sub.add_parser("import", help="import shoot folders (again: re-scan them)")
    imp.add_argument("paths", nargs="+", metavar="PATH", help="shoot folder(s)")
    imp.add_argument("--json", action="store_true", help="print the summaries as JSON")
    imp.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    imp.add_argument(
        "--shoot-type",
        metavar="TYPE",
        help="new collections start from this shoot type's defaults (see `defaults`)",
    )

    rescan = sub.add_parser("rescan", help="re-scan one collection's folder, or all of them")
    rescan.add_argument("collection", nargs="?", metavar="COLLECTION", help="id or name")
    rescan.add_argument("--json", action="store_true", help="print the summaries as JSON")

    cols = sub.add_parser("collections", help="list collections")
    cols.add_argument("--json", action="store_true", help="print as a JSON array")

    media = sub.add_parser("media", help="list a collection's photos and videos")
    media.add_argument("collection", metavar="COLLECTION", help="id or name")
    media.add_argument("--json", action="store_true", help="print as a JSON array")

    sub.add_parser("check", help="check the catalogue file and compare it with the disk")

    watch = sub.add_parser(
        "watch",
        help="follow the watched folders (or import and follow PATHs) until Ctrl-C",
        description="Keeps the catalogue in step with the disk: new, changed, moved and "
        "deleted files are handled by themselves. With --list/--on/--off/--add-shoots-folder/"
        "--remove-shoots-folder it changes what is watched and exits.",
    )
    watch.add_argument("paths", nargs="*", metavar="PATH", help="shoot folders to import first")
    watch.add_argument(
        "--settle",
        type=float,
        default=WatchTimings.settle,
        metavar="SECONDS",
        help="how long a file must be untouched before it is read (default %(default)s)",
    )
    watch.add_argument("--polling", action="store_true", help="poll instead of inotify")
    watch.add_argument("--list", action="store_true", help="list the watched folders")
    watch.add_argument("--on", action="append", default=[], metavar="COLLECTION")
    watch.add_argument("--off", action="append", default=[], metavar="COLLECTION")
    watch.add_argument(
        "--add-shoots-folder",
        action="append",
        default=[],
        metavar="DIR",
        help="watch DIR: every folder that appears in it becomes a collection",
    )
    watch.add_argument("--remove-shoots-folder", action="append", default=[], metavar="DIR")
    cli_watermark.add_parser(sub)
    cli_export.add_parser(sub)
    cli_remote.add_parser(sub)
    cli_settings.add_parser(sub)
    cli_cover.add_parser(sub)
    cli_analytics.add_parser(sub)
    cli_favourites.add_parser(sub)
    cli_defaults.add_parser(sub)
    cli_roots.add_parser(sub)
    cli_catalog.add_parser(sub)
    return p


class ProgressBar:
    """Import and re-scan progress on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.line = ProgressLine(stream)

    def __call__(self, p: ImportProgress) -> None:
        if p.phase == "done":
            self.line.clear()
        else:
            errs = f"  {p.errors} errors" if p.errors else ""
            self.line.show(p.phase, p.done, p.total, p.current, errs)


def _print_summary(s: ImportSummary, out: TextIO) -> None:
    head = "cancelled" if s.cancelled else "imported"
    out.write(
        f"{head} {s.collection!r} (collection {s.collection_id}) from {s.folder}: "
        f"{s.files} media files, {s.new} new, {s.changed} changed, {s.moved} moved, "
        f"{s.missing} missing, {s.unchanged} unchanged, {s.errors} with errors, "
        f"{s.thumbnails} thumbnails, {s.skipped} other files skipped ({s.seconds:.1f} s)\n"
    )
    for path, err in s.error_files[:20]:
        out.write(f"  error: {path}: {err}\n")
    if len(s.error_files) > 20:
        out.write(f"  … and {len(s.error_files) - 20} more (see `media --json`)\n")


def _dump(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def run_command(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    catalog = open_catalog(paths, args.catalog_url)
    cache = ThumbnailCache(paths.thumbnail_dir)
    try:
        if args.command == "import":
            return _import(args, catalog, cache, out, err)
        if args.command == "rescan":
            return _rescan(args, catalog, cache, out, err)
        if args.command == "collections":
            return _collections(args, catalog, out)
        if args.command == "media":
            with catalog.read() as session:
                cid = find_collection(session, args.collection).id
            assert cid is not None
            records = list_media(catalog, cid, cache)
            if args.json:
                _dump([r.as_dict() for r in records], out)
            else:
                for r in records:
                    size = f"{r.width}×{r.height}" if r.width else "-"
                    stars = "★" * r.rating
                    out.write(
                        f"{r.id:>7}  {r.state:<7} {r.kind:<5} {size:>11}  "
                        f"{r.taken_at or '-':<19}  {r.gallery}/{r.path} {stars}"
                        f"{'  (' + r.error + ')' if r.error else ''}\n"
                    )
            return 0
        if args.command == "check":
            return _check(catalog, out)
        if args.command == "watch":
            return _watch(args, catalog, cache, out, err)
        if args.command == "watermark":
            return cli_watermark.run(args, catalog, out)
        if args.command == "settings":
            return cli_settings.run(args, catalog, out)
        if args.command == "analytics":
            return cli_analytics.run(args, catalog, out)
        if args.command == "favourites":
            cancel = CancelToken()
            with _ctrl_c_cancels(cancel, err):
                return cli_favourites.run(args, catalog, out, err, cancel)
        if args.command == "defaults":
            return cli_defaults.run(args, catalog, out)
        if args.command == "roots":
            return cli_roots.run(args, catalog, paths, out)
        if args.command == "catalog":
            return cli_catalog.run(args, catalog, out, err)
        if args.command in ("cover", "templates"):
            return cli_cover.run(args, catalog, out, cache)
        if args.command == "remote":
            cancel = CancelToken()
            with _ctrl_c_cancels(cancel, err):
                return cli_remote.run(args, catalog, paths, out, err, cancel)
        if args.command == "export":
            cancel = CancelToken()
            with _ctrl_c_cancels(cancel, err):
                return cli_export.run(args, catalog, out, err, cancel)
        raise AssertionError(args.command)
    finally:
        catalog.close()


@contextmanager
def _ctrl_c_cancels(cancel: CancelToken, err: TextIO) -> Iterator[None]:
    """First Ctrl-C: finish the files in hand, keep them, stop. A second one: stop now."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_sig: int, _frame: FrameType | None) -> None:
        err.write("\nstopping after the files in hand (Ctrl-C again to quit at once)…\n")
        cancel.cancel()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _import(
    args: argparse.Namespace, catalog: Catalog, cache: ThumbnailCache, out: TextIO, err: TextIO
) -> int:
    roots = [shoot_folder(p) for p in args.paths]  # refuse bad arguments before any work
    shoot_type = check_shoot_type(catalog, args.shoot_type) if args.shoot_type else None
    summaries = []
    cancel = CancelToken()
    bar = ProgressBar(err)
    with _ctrl_c_cancels(cancel, err):
        for root in roots:
            if cancel.cancelled:
                break
            s = import_folder(
                catalog,
                cache,
                root,
                progress=bar,
                cancel=cancel,
                workers=args.workers,
                shoot_type=shoot_type,
            )
            summaries.append(s)
            if shoot_type and shoot_type_of(catalog, s.collection_id) != shoot_type:
                err.write(
                    f"note: {s.collection!r} was already in the catalogue: its settings are "
                    f"kept (to give it the {shoot_type} defaults: gallery-desktop defaults "
                    f"{shoot_type!r} apply {s.collection_id})\n"
                )
            if not args.json:
                _print_summary(s, out)
    if args.json:
        _dump([s.as_dict() for s in summaries], out)
    if cancel.cancelled:
        err.write("interrupted: what was imported so far is kept; run it again to finish\n")
        return 130
    return 0


def _rescan(
    args: argparse.Namespace, catalog: Catalog, cache: ThumbnailCache, out: TextIO, err: TextIO
) -> int:
    if args.collection:
        with catalog.read() as session:
            found = find_collection(session, args.collection).id
        assert found is not None
        ids = [found]
    else:
        ids = [c.id for c in list_collections(catalog) if c.folder]
    summaries = []
    failed = 0
    for cid in ids:
        try:
            s = rescan_collection(catalog, cache, cid, progress=ProgressBar(err))
        except BadInputError as exc:
            if args.collection:
                raise
            err.write(f"gallery-desktop: skipped: {exc}\n")
            failed += 1
            continue
        summaries.append(s)
        if not args.json:
            _print_summary(s, out)
    if args.json:
        _dump([s.as_dict() for s in summaries], out)
    return 1 if failed and not summaries else 0


def _collections(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> int:
    rows = list_collections(catalog)
    if args.json:
        _dump([r.__dict__ for r in rows], out)
        return 0
    if not rows:
        out.write("no collections yet: `gallery-desktop import FOLDER` makes one\n")
    for r in rows:
        extra = "".join(
            f", {n} {what}" for n, what in ((r.missing, "missing"), (r.errors, "errors")) if n
        )
        where = f"[{r.root}{', OFFLINE here' if r.offline else ''}] " if r.root else ""
        out.write(
            f"{r.id:>5}  {r.name}  ({r.galleries} galleries, {r.photos} photos, "
            f"{r.videos} videos{extra})  {where}{r.folder or ''}\n"
        )
    return 0


def _watch_settings(args: argparse.Namespace, catalog: Catalog, out: TextIO) -> bool:
    """Apply --on/--off/--add/--remove; True if the command was only about settings."""
    for ref, enabled in [(r, True) for r in args.on] + [(r, False) for r in args.off]:
        with catalog.read() as session:
            cid = find_collection(session, ref).id
        assert cid is not None
        set_collection_watched(catalog, cid, enabled)
    for folder in args.add_shoots_folder:
        add_shoots_folder(catalog, folder, polling=args.polling)
    for folder in args.remove_shoots_folder:
        remove_shoots_folder(catalog, folder)
    settings_only = bool(
        args.list or args.on or args.off or args.add_shoots_folder or args.remove_shoots_folder
    )
    if settings_only:
        for t in list_watched(catalog):
            kind = "shoots folder" if t.is_shoots_folder else "collection"
            state = ("watched" if t.enabled else "not watched") + (", polled" if t.polling else "")
            state = "offline (library root not mounted here)" if t.offline else state
            out.write(f"{t.name:<30} {kind:<13} {state:<20} {display_name(t.path)}\n")
    return settings_only


def _watch(
    args: argparse.Namespace, catalog: Catalog, cache: ThumbnailCache, out: TextIO, err: TextIO
) -> int:
    if _watch_settings(args, catalog, out):
        return 0

    def report(line: str) -> None:
        out.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        out.flush()

    for root in [shoot_folder(p) for p in args.paths]:
        s = import_folder(catalog, cache, root, settle_seconds=args.settle)
        set_collection_watched(catalog, s.collection_id, True)
        report(f"imported {s.collection!r}: {s.new} new, {s.unsettled} still being written")
    if not any(t.enabled for t in list_watched(catalog)):
        raise BadInputError("nothing to watch: import a folder first, or give PATHs to watch")
    stop = threading.Event()
    timings = WatchTimings(settle=args.settle)
    service = WatchService(
        catalog, cache, timings=timings, report=report, force_polling=args.polling
    )
    previous = {
        sig: signal.signal(sig, lambda _s, _f: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        service.start()
        names = ", ".join(t.name for t in service.watched())
        if names:
            report(f"watching {names} (Ctrl-C to stop)")
        else:  # everything is followed by another window, process or workstation
            report(
                "waiting: another process or workstation watches these folders; this one "
                "takes over if it stops (Ctrl-C to stop)"
            )
        while not stop.wait(1.0):
            pass
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    report("stopped")
    return 0


def _check(catalog: Catalog, out: TextIO) -> int:
    rep = check_catalog(catalog)
    out.write(f"catalogue file: {'ok' if rep.catalogue_ok else 'DAMAGED'}\n")
    for line in rep.integrity + rep.foreign_keys:
        out.write(f"  {line}\n")
    out.write(f"media checked against disk: {rep.media_checked}\n")
    for title, items in (
        ("collection folders not found", rep.folders_missing),
        ("offline here (library root not mounted; not checked)", rep.offline),
        ("catalogued but not on disk (run rescan)", rep.not_on_disk),
        ("changed on disk since the last scan (run rescan)", rep.changed_on_disk),
        ("marked missing but back on disk (run rescan)", rep.back_on_disk),
    ):
        if items:
            out.write(f"{title}: {len(items)}\n")
            for item in items[:20]:
                out.write(f"  {item}\n")
    if rep.catalogue_ok and rep.in_step_with_disk:
        out.write("everything is in order\n")
    return 0 if rep.catalogue_ok and rep.in_step_with_disk else 1


def split_open_folders(
    argv: Sequence[str], parser: argparse.ArgumentParser | None = None
) -> tuple[list[str], list[str]]:
    """`gallery-desktop [OPTIONS] FOLDER...` opens the app and imports the FOLDERs, like a drop.

    Returns the arguments left for the parser and the folders (absolute). The first word that
    is not an option decides: a command name is a command; an existing path starts the
    folders; anything else is left to the parser, which calls it an unknown command."""
    parser = parser or build_parser()
    commands: set[str] = set()
    takes_value: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.update(action.choices)
        elif action.option_strings and action.nargs != 0:
            takes_value.update(action.option_strings)
    rest: list[str] = []
    folders: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--" and not folders:
            folders += [os.path.abspath(w) for w in words]
            break
        if word.startswith("-") and word != "-":
            rest.append(word)
            value = next(words, None) if word in takes_value else None
            if value is not None:
                rest.append(value)
            continue
        if not folders and (word in commands or not os.path.exists(word)):
            return list(argv), []
        folders.append(os.path.abspath(word))
    return rest, folders


def run_parsed(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    """Run a parsed command; problems in the input or environment are one line on stderr."""
    try:
        return run_command(args, paths, out, err)
    except UserFacingError as exc:
        err.write(f"gallery-desktop: error: {exc}\n")
        return 2 if isinstance(exc, BadInputError) else 1


def main_cli(
    argv: Sequence[str],
    paths_for: Callable[[str | None], AppPaths],
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Parse and run a command; returns the exit code (-1: no command, open the GUI)."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        return -1
    return run_parsed(args, paths_for(args.home).ensure(), out, err)
