"""Which gallery service account this catalogue publishes to (never its secrets), and a ready
client for it: the server URL and email live in the catalogue, the session in the keyring."""

from __future__ import annotations

from sqlalchemy import text

from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.models import utcnow
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote.api import GalleryApi
from gallery_desktop.remote.credentials import CredentialStore, normalize_server_url
from gallery_desktop.remote.errors import SessionExpired

DEFAULT_SERVER = "https://galleries.pixieset.com/api/v1"


def current_account(catalog: Catalog) -> tuple[str, str] | None:
    """(server URL, email) of the account signed in last, or None."""
    with catalog.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT base_url, email FROM account WHERE email IS NOT NULL "
                "ORDER BY fetched_at DESC, id DESC LIMIT 1"
            )
        ).first()
    return (str(row.base_url), str(row.email)) if row else None


def remember_account(catalog: Catalog, base_url: str, email: str) -> None:
    base_url = normalize_server_url(base_url)
    with catalog.write_conn() as conn:
        found = conn.execute(
            text("SELECT id FROM account WHERE base_url = :u"), {"u": base_url}
        ).first()
        if found is None:
            conn.execute(
                text(
                    "INSERT INTO account (base_url, email, bootstrap_json, fetched_at) "
                    "VALUES (:u, :e, '{}', :now)"
                ),
                {"u": base_url, "e": email, "now": utcnow().replace(tzinfo=None)},
            )
        else:
            conn.execute(
                text("UPDATE account SET email = :e, fetched_at = :now WHERE base_url = :u"),
                {"u": base_url, "e": email, "now": utcnow().replace(tzinfo=None)},
            )


def forget_account(catalog: Catalog, base_url: str) -> None:
    with catalog.write_conn() as conn:
        conn.execute(
            text("UPDATE account SET email = NULL WHERE base_url = :u"),
            {"u": normalize_server_url(base_url)},
        )


def signed_in_api(
    catalog: Catalog,
    paths: AppPaths,
    server: str | None = None,
    *,
    allow_file_fallback: bool = False,
    timeout: float = 30.0,
) -> GalleryApi:
    """A client with the stored session; SessionExpired (sign in first) when there is none."""
    account = current_account(catalog)
    base = normalize_server_url(server) if server else (account[0] if account else None)
    if base is None or account is None or normalize_server_url(account[0]) != base:
        raise SessionExpired(
            "not signed in to the gallery service"
            + (f" at {base}" if base else "")
            + ": run `gallery-desktop remote login` first"
        )
    store = CredentialStore(paths, allow_file_fallback=allow_file_fallback)
    secrets = store.load(base, account[1])
    if secrets is None:
        raise SessionExpired(
            f"no session for {account[1]} at {base}: run `gallery-desktop remote login` again"
        )
    return GalleryApi(base, secrets, timeout=timeout)
