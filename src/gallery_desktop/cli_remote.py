"""`gallery-desktop remote ...`: sign in, publish collections, sync and pull, headless."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from gallery_desktop.catalog.collections import find_collection
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.parallel import CancelToken
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote.account import (
    DEFAULT_SERVER,
    current_account,
    forget_account,
    remember_account,
    signed_in_api,
)
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.credentials import (
    CredentialStore,
    file_fallback_requested,
    normalize_server_url,
)
from gallery_desktop.remote.errors import RemoteError, SessionExpired
from gallery_desktop.remote.outbox import (
    link_collection,
    queue_counts,
    queued,
    retry_failed,
    unlink_collection,
)
from gallery_desktop.remote.pull import pull_all
from gallery_desktop.remote.sync import SyncWorker


def add_parser(sub: Any) -> None:
    remote = sub.add_parser(
        "remote",
        help="the optional gallery service: sign in, publish, sync, pull",
        description="Nothing here is needed offline. Secrets live in the OS keyring; with no "
        "keyring, --insecure-store (or GALLERY_DESKTOP_SECRETS_FILE=1) keeps them in a 0600 "
        "file in the data folder instead.",
    )
    rsub = remote.add_subparsers(dest="remote_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--server",
            metavar="URL",
            help="the API base URL (e.g. the emulator's http://127.0.0.1:8765/api/v1)",
        )
        p.add_argument(
            "--insecure-store",
            action="store_true",
            help="keep the session in a file when there is no OS keyring",
        )
        return p

    login = common(rsub.add_parser("login", help="sign in and keep the session"))
    login.add_argument("--email", help="the account's email (asked for if left out)")
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (for scripts)",
    )
    common(rsub.add_parser("logout", help="sign out and forget the session"))
    status = common(rsub.add_parser("status", help="account, connection and the sync queue"))
    status.add_argument("--json", action="store_true")
    link = common(rsub.add_parser("link", help="publish a collection: its changes sync"))
    link.add_argument("collection", metavar="COLLECTION")
    unlink = common(rsub.add_parser("unlink", help="stop publishing a collection"))
    unlink.add_argument("collection", metavar="COLLECTION")
    sync = common(rsub.add_parser("sync", help="push queued changes (until Ctrl-C)"))
    sync.add_argument("--once", action="store_true", help="push what is ready, then exit")
    sync.add_argument("--json", action="store_true")
    common(rsub.add_parser("retry", help="put failed operations back in the queue"))
    pull = common(rsub.add_parser("pull", help="fetch clients, favourites, downloads, visitors"))
    pull.add_argument("--json", action="store_true")


def _store(paths: AppPaths, args: argparse.Namespace) -> CredentialStore:
    return CredentialStore(paths, allow_file_fallback=file_fallback_requested(args.insecure_store))


def _server(catalog: Catalog, args: argparse.Namespace) -> str:
    if args.server:
        return normalize_server_url(args.server)
    account = current_account(catalog)
    return account[0] if account else DEFAULT_SERVER


def _collection_id(catalog: Catalog, ref: str) -> tuple[int, str]:
    with catalog.read() as session:
        c = find_collection(session, ref)
    assert c.id is not None
    return c.id, c.name


def run(
    args: argparse.Namespace,
    catalog: Catalog,
    paths: AppPaths,
    out: TextIO,
    err: TextIO,
    cancel: CancelToken,
) -> int:
    action = args.remote_command
    if action == "login":
        return _login(args, catalog, paths, out, err)
    if action == "logout":
        server = _server(catalog, args)
        account = current_account(catalog)
        if account and normalize_server_url(account[0]) == server:
            # offline or expired: forgetting the session locally is what matters
            with contextlib.suppress(RemoteError):
                signed_in_api(
                    catalog,
                    paths,
                    server,
                    allow_file_fallback=file_fallback_requested(args.insecure_store),
                ).logout()
            _store(paths, args).delete(server, account[1])
            forget_account(catalog, server)
        out.write(f"signed out of {server}\n")
        return 0
    if action == "status":
        return _status(args, catalog, paths, out)
    if action == "link":
        cid, name = _collection_id(catalog, args.collection)
        n = link_collection(catalog, cid)
        out.write(
            f"collection {name!r} is published: {n} operations queued "
            "(`gallery-desktop remote sync` sends them)\n"
        )
        return 0
    if action == "unlink":
        cid, name = _collection_id(catalog, args.collection)
        n = unlink_collection(catalog, cid)
        out.write(
            f"collection {name!r} is no longer published ({n} queued operations dropped; "
            "what is on the gallery service stays there)\n"
        )
        return 0
    if action == "retry":
        out.write(f"{retry_failed(catalog)} failed operations queued again\n")
        return 0
    if action == "sync":
        return _sync(args, catalog, paths, out, err, cancel)
    if action == "pull":
        server = _server(catalog, args)
        api = signed_in_api(
            catalog, paths, server, allow_file_fallback=file_fallback_requested(args.insecure_store)
        )
        report = pull_all(catalog, api, server)
        if args.json:
            json.dump({"collections": report.collections, **report.counts}, out, indent=2)
            out.write("\n")
        else:
            what = ", ".join(f"{n} {k}" for k, n in report.counts.items()) or "nothing"
            out.write(f"pulled {report.collections} published collection(s): {what}\n")
        return 0
    raise AssertionError(action)


def _login(
    args: argparse.Namespace, catalog: Catalog, paths: AppPaths, out: TextIO, err: TextIO
) -> int:
    server = _server(catalog, args)
    store = _store(paths, args)
    where = store.location()  # no keyring and no fallback chosen: say so before asking
    email = args.email or input("email: ").strip()
    if not email:
        raise BadInputError("an email is needed to sign in")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
    api = GalleryApi(server)
    secrets = api.login(email, password)
    store.save(server, email, secrets)
    remember_account(catalog, server, email)
    out.write(f"signed in to {server} as {email} (session kept in {where})\n")
    return 0


def _status(args: argparse.Namespace, catalog: Catalog, paths: AppPaths, out: TextIO) -> int:
    account = current_account(catalog)
    server = _server(catalog, args)
    state = "signed out"
    if account:
        try:
            api = signed_in_api(
                catalog,
                paths,
                server,
                timeout=5.0,
                allow_file_fallback=file_fallback_requested(args.insecure_store),
            )
            api.get("/data/bootstrap")
            state = "online"
        except SessionExpired as exc:
            state = f"signed out ({exc})"
        except RemoteError as exc:
            state = f"offline ({exc})"
    counts = queue_counts(catalog)
    failed = [
        {"id": op.id, "operation": op.describe(), "error": op.last_error}
        for op in queued(catalog, ("failed",))
    ]
    if args.json:
        json.dump(
            {
                "server": server,
                "email": account[1] if account else None,
                "connection": state,
                "queue": counts,
                "failed": failed,
            },
            out,
            indent=2,
        )
        out.write("\n")
        return 0
    out.write(f"server: {server}\n")
    out.write(f"account: {account[1] if account else '-'}\n")
    out.write(f"connection: {state}\n")
    out.write(
        f"queue: {counts['pending']} pending, {counts['failed']} failed, {counts['done']} done\n"
    )
    for f in failed[:20]:
        out.write(f"  failed #{f['id']} {f['operation']}: {f['error']}\n")
    return 0


def _sync(
    args: argparse.Namespace,
    catalog: Catalog,
    paths: AppPaths,
    out: TextIO,
    err: TextIO,
    cancel: CancelToken,
) -> int:
    server = _server(catalog, args)
    api = signed_in_api(
        catalog, paths, server, allow_file_fallback=file_fallback_requested(args.insecure_store)
    )

    def show(line: str) -> None:
        if args.once:
            err.write(line + "\n")

    worker = SyncWorker(
        catalog,
        api,
        Path(paths.cache_dir) / "uploads",
        progress=show,
    )
    total_done, failed = 0, []
    offline = None
    while True:
        report = worker.run_once(lambda: cancel.cancelled)
        total_done += report.done
        failed += report.failed
        if report.stop_kind == "signed_out":
            raise SessionExpired(report.stopped)
        offline = report.stopped if report.stop_kind in ("offline", "wait") else None
        if report.stop_kind == "busy":
            err.write(f"{report.stopped}; waiting for it\n" if not args.once else "")
        if args.once or cancel.cancelled:
            if report.stop_kind == "busy":
                out.write(f"nothing sent: {report.stopped}\n")
                return 0
            break
        time.sleep(2.0)  # new changes queue themselves; look again shortly
    counts = queue_counts(catalog)
    if args.json:
        json.dump(
            {"done": total_done, "failed": failed, "queue": counts, "offline": offline},
            out,
            indent=2,
        )
        out.write("\n")
    else:
        out.write(
            f"synced {total_done} operation(s); queue: {counts['pending']} pending, "
            f"{counts['failed']} failed\n"
        )
        for line in failed[:20]:
            out.write(f"  failed: {line}\n")
        if offline:
            out.write(f"stopped early: {offline}; the queue is kept for the next sync\n")
    return 0 if not failed and not offline else 1
