"""Where the gallery service keeps things: its paths and header and cookie names. The real
service's unknowns all sit in this one table (docs/api/README.md); the emulator follows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

Id = int | str


@dataclass(frozen=True)
class Endpoints:
    """The service's names and paths (relative to the base URL). `{id}` is filled in."""

    session_cookie: str = "gd_session"
    csrf_header: str = "X-CSRF-Token"
    idempotency_header: str = "Idempotency-Key"
    upload_offset_header: str = "Upload-Offset"
    upload_content_type: str = "application/offset+octet-stream"
    page_param: str = "page"
    per_page_param: str = "per_page"
    max_per_page: int = 200

    session: str = "/session"
    bootstrap: str = "/data/bootstrap"
    dashboard_listings: str = "/dashboard_listings"
    collections: str = "/collections"
    collection: str = "/collections/{id}"
    collection_edit: str = "/collections/{id}/edit"
    client_access: str = "/collections/{id}/client_access"
    download_settings: str = "/collections/{id}/download_settings"
    watermark: str = "/collections/{id}/watermark"
    store: str = "/collections/{id}/store"
    collection_galleries: str = "/collections/{id}/galleries"
    before_show: str = "/collections/{id}/before_show"
    before_download_settings: str = "/collections/{id}/before_download_settings"
    collection_defaults: str = "/collection_defaults/{id}/before_collection_default_settings"
    clients: str = "/collections/{id}/clients"
    visitor_emails: str = "/collections/{id}/visitor_emails"
    photo_downloads: str = "/collections/{id}/photo_downloads"
    gallery_video_downloads: str = "/collections/{id}/gallery_video_downloads"
    downloads: str = "/collections/{id}/downloads/"
    photo_sharing_links: str = "/collections/{id}/photo_sharing_links"
    favorites: str = "/collections/{id}/favorites"
    starred: str = "/photos/starred"
    gallery: str = "/galleries/{id}"
    gallery_media: str = "/galleries/{id}/media"
    gallery_uploads: str = "/galleries/{id}/uploads"
    upload: str = "/uploads/{id}"
    media: str = "/media/{id}"

    def path(self, template: str, ident: Id) -> str:
        """A path with its id filled in (ids are numbers or opaque strings, never paths)."""
        if isinstance(ident, bool) or not isinstance(ident, int | str):
            raise TypeError(f"an id is an int or a str, not {type(ident).__name__}")
        segment = quote(str(ident), safe="")
        if not segment or segment in (".", ".."):
            raise ValueError(f"not an id: {ident!r}")
        return template.replace("{id}", segment)


DEFAULT_ENDPOINTS: Final = Endpoints()
