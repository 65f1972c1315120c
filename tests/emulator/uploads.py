"""The resumable, idempotent upload protocol.

POST /galleries/{id}/uploads announces a file (checksum, size): a duplicate in that gallery
answers at once, otherwise an upload session starts (or a pending one for the same bytes is
handed back). GET /uploads/{id} tells the received offset; PATCH /uploads/{id} appends bytes at
`Upload-Offset`. Bytes are stored as they arrive, so a cut connection still moves the offset.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sqlite3
from pathlib import Path
from typing import Final

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from emulator import shapes
from emulator.validate import CHECKSUM_RE, MAX_UPLOAD_SIZE, ApiError, Body, not_found
from emulator.web import Call, Router, ok

UPLOAD_CONTENT_TYPE: Final = "application/offset+octet-stream"
UPLOAD_ID_RE: Final = re.compile(r"up[0-9a-f]{30}")
KINDS: Final = ("photo", "video")
FIELDS: Final = (
    "filename",
    "size",
    "checksum",
    "kind",
    "client_ref",
    "taken_at",
    "width",
    "height",
    "replaces",
)


def register(router: Router) -> None:
    busy: set[str] = set()  # uploads a PATCH is writing right now

    @router.route("POST", "/galleries/{gallery_id}/uploads")
    def start(call: Call) -> Response:
        gallery = call.state.gallery(call.path_id("gallery_id"))
        if gallery is None:
            raise not_found("gallery")
        body = Body(call.body, allowed=FIELDS, required=FIELDS[:5])
        body.text("filename", max_len=255)
        body.integer("size", 1, MAX_UPLOAD_SIZE)
        body.pattern("checksum", CHECKSUM_RE, "sha256: followed by 64 lowercase hex digits")
        body.choice("kind", KINDS)
        body.text("client_ref", max_len=128)
        body.datetime("taken_at")
        body.integer("width", 1, 1_000_000, nullable=True)
        body.integer("height", 1, 1_000_000, nullable=True)
        body.integer("replaces", 1, 2**62, nullable=True)
        if any(ch in body.clean.get("filename", "") for ch in "/\\"):
            body.fail("filename", "must be a file name, not a path")
        fields = body.done()
        replaces = fields.get("replaces")
        with call.state.transaction():
            if replaces is None:
                duplicate = call.state.media_by_checksum(gallery["id"], fields["checksum"])
            else:
                duplicate = _replaced(call, gallery["id"], int(replaces), str(fields["kind"]))
                if duplicate["checksum"] != fields["checksum"]:
                    duplicate = None  # only the replaced media counts: it has other bytes
                else:  # the same bytes: its file fields (client_ref, name, ...) are the new ones
                    call.state.set_media_file(duplicate["id"], gallery["id"], fields)
                    duplicate = call.state.media(duplicate["id"])
            if duplicate is not None:
                return ok({"status": "duplicate", "media": shapes.media(call.root, duplicate)})
            pending = call.state.pending_upload(gallery["id"], fields["checksum"], replaces)
            if pending is not None and pending["size"] == fields["size"]:
                upload_id = pending["id"]
            else:
                upload_id = call.state.create_upload(gallery["id"], fields)
            return ok(_upload(call, upload_id), status=201)

    @router.get("/uploads/{upload_id}")
    def status(call: Call) -> Response:
        return ok(shapes.upload(call.state, call.root, _find(call)))

    async def append(call: Call) -> Response:
        upload = _find(call)
        offset = _offset_header(call)
        _content_type(call)
        if upload["id"] in busy:
            await _drain(call)
            raise _conflict("another PATCH is writing this upload right now", upload["offset"])
        busy.add(upload["id"])
        try:
            return await _append(call, upload, offset)
        finally:
            busy.discard(upload["id"])

    router.add("PATCH", "/uploads/{upload_id}", append, json_body=False)


def _replaced(call: Call, gallery_id: int, media_id: int, kind: str) -> sqlite3.Row:
    media = call.state.media(media_id)
    if media is None or media["gallery_id"] != gallery_id or media["kind"] != kind:
        raise ApiError(
            422,
            "replaces must name media of this gallery, of the same kind",
            fields={"replaces": ["not media of this gallery (or of another kind)"]},
        )
    return media


def _find(call: Call) -> sqlite3.Row:
    raw = call.request.path_params["upload_id"]
    row = call.state.upload(raw) if UPLOAD_ID_RE.fullmatch(raw) else None
    if row is None:
        raise not_found("upload")
    return row


def _upload(call: Call, upload_id: str) -> dict[str, object]:
    row = call.state.upload(upload_id)
    assert row is not None
    return shapes.upload(call.state, call.root, row)


def _offset_header(call: Call) -> int:
    raw = call.request.headers.get("upload-offset")
    if raw is None or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_UPLOAD_SIZE:
        raise ApiError(
            400,
            "Upload-Offset must be the byte offset these bytes start at",
            fields={"Upload-Offset": ["required: a whole number of bytes"]},
        )
    return int(raw)


def _content_type(call: Call) -> None:
    sent = call.request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if sent != UPLOAD_CONTENT_TYPE:
        raise ApiError(
            400,
            f"upload chunks are sent as {UPLOAD_CONTENT_TYPE}",
            fields={"Content-Type": [f"must be {UPLOAD_CONTENT_TYPE}"]},
        )


def _conflict(message: str, offset: int) -> ApiError:
    return ApiError(409, message, meta={"offset": offset})


async def _drain(call: Call) -> None:
    try:
        async for _ in call.request.stream():
            pass
    except ClientDisconnect:
        pass


async def _append(call: Call, upload: sqlite3.Row, offset: int) -> Response:
    state = call.state
    if upload["status"] != "pending":
        # Finished already: an empty PATCH at the end repeats the final answer (its first
        # answer may have been lost); anything else is told where the upload stands.
        if offset == upload["size"] and not await call.request.body():
            return ok(shapes.upload(state, call.root, upload))
        raise _conflict(f"the upload is {upload['status']} already", upload["size"])
    if offset != upload["offset"]:
        await _drain(call)
        raise _conflict(f"the upload is at byte {upload['offset']}, not {offset}", upload["offset"])
    part = state.part_path(upload["id"])
    received, too_long, cut = 0, False, False
    with part.open("r+b" if part.exists() else "w+b") as out:
        out.truncate(offset)  # forget bytes beyond the recorded offset (a crash mid-write)
        out.seek(offset)
        try:
            async for chunk in call.request.stream():
                if too_long or offset + received + len(chunk) > upload["size"]:
                    too_long = True  # read on to the end (keeps the connection usable)
                    continue
                out.write(chunk)
                received += len(chunk)
        except ClientDisconnect:
            cut = True
        if too_long:
            out.truncate(offset)
    if too_long:
        raise ApiError(
            422,
            f"more bytes than the upload's size ({upload['size']})",
            fields={"body": [f"at most {upload['size'] - offset} bytes from offset {offset}"]},
            meta={"offset": offset},
        )
    end = offset + received
    with state.transaction():
        state.set_upload_offset(upload["id"], end)
    if cut or end < upload["size"]:
        return ok(_upload(call, upload["id"]))
    return await _finish(call, upload["id"], part)


async def _finish(call: Call, upload_id: str, part: Path) -> Response:
    """All bytes are here: check the checksum, then create the media (or find the duplicate)."""
    state = call.state
    digest = await asyncio.to_thread(_sha256, part)
    upload = state.upload(upload_id)  # re-read: the gallery may have gone meanwhile
    if upload is None:
        raise not_found("upload")
    if f"sha256:{digest}" != upload["checksum"]:
        part.write_bytes(b"")
        with state.transaction():
            state.set_upload_offset(upload_id, 0)
        raise ApiError(
            422,
            "the bytes received do not match the checksum; the upload starts over at 0",
            code="checksum_mismatch",
            meta={"offset": 0},
        )
    with state.transaction():
        replaced = state.replaced_media(upload)
        if replaced is not None:  # new bytes for that media: same id, same everything else
            if replaced["checksum"] == upload["checksum"]:
                state.set_media_file(replaced["id"], upload["gallery_id"], dict(upload))
                state.finish_upload(upload, "duplicate", replaced["id"])
                part.unlink(missing_ok=True)
            else:
                state.replace_media_from(upload, replaced["id"])
                os.replace(part, state.media_path(replaced["id"]))
            return ok(_upload(call, upload_id))
        duplicate = state.media_by_checksum(upload["gallery_id"], upload["checksum"])
        if duplicate is not None:  # another upload of the same bytes finished first
            state.finish_upload(upload, "duplicate", duplicate["id"])
            part.unlink(missing_ok=True)
        else:
            media_id = state.create_media_from(upload)
            os.replace(part, state.media_path(media_id))
    return ok(_upload(call, upload_id))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
