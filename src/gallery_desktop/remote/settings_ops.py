"""The collection's `settings` op (client access, downloads, watermark, store, the per-client
list, the design) and the `design` op that waits for the cover photo's upload."""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from sqlalchemy import text

from gallery_desktop.catalog.models import Template, utcnow
from gallery_desktop.catalog.watermarks import get_watermark
from gallery_desktop.errors import UserFacingError
from gallery_desktop.media.watermark import parse_colour
from gallery_desktop.remote.outbox import new_key
from gallery_desktop.remote.queue import Op
from gallery_desktop.remote.sync_common import NotReadyError, WorkerBase, contract_size

ACCESS: Final = ("view", "favourite", "download")
STYLE: Final = (
    "cover_layout",
    "title_font",
    "grid_style",
    "thumbnail_size",
    "grid_spacing",
    "theme",
)
_DEFAULT_TEMPLATE: Final = Template(name="")

# The design op, queued in the transaction that finishes a settings op whose cover waits.
_QUEUE_DESIGN: Final = (
    "INSERT INTO syncop (collection_id, entity, entity_id, op, payload_json, idempotency_key, "
    "state, attempts, created_at) SELECT :c, 'design', :c, 'update', '{}', :key, 'pending', 0, "
    ":now WHERE NOT EXISTS (SELECT 1 FROM syncop WHERE entity = 'design' AND entity_id = :c "
    "AND state = 'pending')"
)


def override_body(raw: str | None) -> dict[str, Any] | None:
    """A gallery's download override as the contract spells it (`None`: follow the collection)."""
    found = json.loads(raw) if raw else {}
    if not isinstance(found, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("downloadable", "watermarked"):
        if key in found:
            out[key] = bool(found[key])
    if "sizes" in found:
        out["sizes"] = list(dict.fromkeys(contract_size(str(v)) for v in found["sizes"] or []))
    return out or None


class SettingsOps(WorkerBase):
    def _collection(self, cid: int) -> Any:
        with self.catalog.engine.connect() as conn:
            return conn.execute(text("SELECT * FROM collection WHERE id = :c"), {"c": cid}).first()

    def _remote_collection(self, op: Op) -> tuple[Any, int] | None:
        c = self._collection(op.entity_id)
        if c is None or not c.sync_linked:
            self.queue.finish(op)  # deleted or no longer published: nothing to send
            return None
        if c.remote_id is None:
            raise NotReadyError("waiting for the collection to be created on the service")
        return c, int(c.remote_id)

    def _collection_settings(self, op: Op) -> None:
        found = self._remote_collection(op)
        if not found:
            return
        c, rid = found
        base = f"/collections/{rid}"
        self.api.put(
            f"{base}/client_access",
            {
                "password": c.password or None,
                "expiry_date": c.expiry_date or None,  # null clears it
                "expiry_reminder_days": (
                    [int(c.expiry_reminder_days)] if c.expiry_reminder_days else []
                ),
                "status": c.status,
                "client_exclusive": bool(c.client_exclusive),
                "visitor_email_capture": bool(c.visitor_email_capture),
            },
        )
        self.api.put(
            f"{base}/download_settings",
            {
                "downloadable": bool(c.downloadable),
                "sizes": [contract_size(v) for v in json.loads(c.download_sizes_json or "[]")],
                "pin": c.download_pin,
                "limit_per_client": c.download_limit,
                "watermarked": bool(c.download_watermarked),
                "single": bool(c.download_single),
                "bulk": bool(c.download_bulk),
            },
        )
        self.api.put(f"{base}/watermark", self._watermark_body(c.watermark_id))
        self.api.put(f"{base}/store", self._store_body(c))
        self.api.put(f"{base}/clients", self._clients_body(c.id))
        design, cover_waits = self._design_body(c)
        self.api.put(f"{base}/design", design)
        if cover_waits:  # sent without its cover: the design op sends it once it is uploaded
            now = utcnow().replace(tzinfo=None)
            self.queue.finish(op, _QUEUE_DESIGN, {"c": c.id, "key": new_key(), "now": now})
        else:
            self.queue.finish(op)

    def _design_update(self, op: Op) -> None:
        found = self._remote_collection(op)
        if not found:
            return
        c, rid = found
        design, cover_waits = self._design_body(c)
        if cover_waits:
            raise NotReadyError("waiting for the cover photo to be uploaded")
        self.api.put(f"/collections/{rid}/design", design)
        self.queue.finish(op)

    # -- bodies --------------------------------------------------------------------------------

    def _watermark_body(self, watermark_id: int | None) -> dict[str, Any] | None:
        if watermark_id is None:
            return None
        try:
            preset = get_watermark(self.catalog, str(watermark_id))
        except UserFacingError:
            return None
        spec = preset.spec
        r, g, b = parse_colour(spec.colour)
        return {
            "name": preset.name,
            "text": spec.text,
            "font": spec.font,
            "text_scale": spec.text_scale,
            "colour": f"#{r:02x}{g:02x}{b:02x}",
            "opacity": spec.opacity,
            "shadow": spec.shadow,
            "outline": spec.outline,
            "logo": base64.b64encode(spec.logo).decode("ascii") if spec.logo else None,
            "logo_scale": spec.logo_scale,
            "logo_opacity": spec.logo_opacity,
            "position": spec.position,
            "margin": spec.margin,
        }

    def _store_body(self, c: Any) -> dict[str, Any]:
        """The switch is `collection.store_enabled`; the rest lives in `storesettings`."""
        with self.catalog.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT currency, minimum_order_cents, price_sheet_json FROM storesettings "
                    "WHERE collection_id = :c"
                ),
                {"c": c.id},
            ).first()
        sheet = json.loads(row.price_sheet_json or "[]") if row is not None else []
        products = [
            {
                "name": str(p.get("name", "")),
                "sizes": [
                    {"label": str(s.get("label", "")), "price_cents": int(s.get("price_cents", 0))}
                    for s in p.get("sizes") or []
                    if isinstance(s, dict)
                ],
            }
            for p in (sheet if isinstance(sheet, list) else [])
            if isinstance(p, dict)
        ]
        return {
            "enabled": bool(c.store_enabled),
            "currency": row.currency if row is not None else "EUR",
            "minimum_order_cents": int(row.minimum_order_cents) if row is not None else 0,
            "products": products,
        }

    def _clients_body(self, collection_id: int) -> dict[str, Any]:
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT email, name, access_level FROM client WHERE collection_id = :c "
                    "AND access_level != 'guest' ORDER BY id"
                ),
                {"c": collection_id},
            ).all()
        return {
            "clients": [
                {
                    "email": r.email,
                    "name": r.name or "",
                    "access": r.access_level if r.access_level in ACCESS else "view",
                }
                for r in rows
            ]
        }

    def _design_body(self, c: Any) -> tuple[dict[str, Any], bool]:
        """The design to send, and whether its cover photo waits for its upload (then the
        body names no cover)."""
        with self.catalog.engine.connect() as conn:
            template = None
            if c.template_id is not None:
                template = conn.execute(
                    text("SELECT * FROM template WHERE id = :t"), {"t": c.template_id}
                ).first()
            cover = None
            if c.cover_media_id is not None:
                cover = conn.execute(
                    text(
                        "SELECT m.remote_id, EXISTS (SELECT 1 FROM syncop s WHERE "
                        "s.entity = 'media' AND s.entity_id = m.id AND s.op = 'upload' AND "
                        "s.state = 'pending') AS uploading FROM media m JOIN gallery g ON "
                        "g.id = m.gallery_id WHERE m.id = :m AND m.collection_id = :c AND "
                        "m.state = 'ok' AND g.deleted_at IS NULL"
                    ),
                    {"m": c.cover_media_id, "c": c.id},
                ).first()
        style = template if template is not None else _DEFAULT_TEMPLATE
        colours = json.loads(style.colours_json or "{}")
        body: dict[str, Any] = {name: getattr(style, name) for name in STYLE}
        body["colours"] = colours if isinstance(colours, dict) else {}
        body["cover_media_id"] = (
            int(cover.remote_id) if cover is not None and cover.remote_id is not None else None
        )
        body["cover_focal_x"] = float(c.cover_focal_x)
        body["cover_focal_y"] = float(c.cover_focal_y)
        waits = cover is not None and cover.remote_id is None and bool(cover.uploading)
        return body, waits
