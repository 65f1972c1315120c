"""A RAW file's picture for export: its embedded camera JPEG when that is big enough, else the
raw data developed by LibRaw (camera white balance, sRGB, upright)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

from gallery_desktop.ingest.rawmeta import RawMetadata, RawMetadataError, read_raw_metadata
from gallery_desktop.media.decode import DecodeError, open_image


@dataclass(frozen=True)
class RawSource:
    preview: bytes | None  # the camera's JPEG, to be turned by `orientation`
    orientation: int
    developed: Image.Image | None  # LibRaw's upright sRGB rendering, when there is no preview
    meta: RawMetadata | None = None  # what our parser read (camera, date, author, copyright)


def _preview_size(data: bytes, orientation: int) -> int:
    try:
        opened = open_image(data)
    except DecodeError:
        return 0
    return max(opened.width, opened.height)


def _develop(path: bytes, long_edge: int | None) -> Image.Image:
    import rawpy  # LibRaw: only needed for RAW files without a usable preview

    try:
        with open(path, "rb") as f, rawpy.imread(f) as raw:
            sizes = raw.sizes
            pixels = int(sizes.raw_width) * int(sizes.raw_height)
            if os.fstat(f.fileno()).st_size < pixels // 16:
                # Far too small for its sensor, even compressed: the pixel data was cut out
                # (LibRaw would "develop" whatever its buffer held).
                raise DecodeError(
                    "this RAW file holds no picture data (it is "
                    f"{os.fstat(f.fileno()).st_size // 1024} KB for a "
                    f"{pixels / 1e6:.1f} Mpx sensor) and no usable preview"
                )
            # Half-size decoding (no demosaic interpolation) is 4× cheaper and still has more
            # pixels than a web size needs.
            half = long_edge is not None and 2 * long_edge <= max(sizes.width, sizes.height) // 2
            rgb = raw.postprocess(
                use_camera_wb=True,
                half_size=half,
                output_bps=8,
                output_color=rawpy.ColorSpace.sRGB,
            )
    except (rawpy.LibRawError, ValueError) as exc:
        why = exc.args[0] if exc.args else exc
        why = why.decode("utf-8", "replace") if isinstance(why, bytes) else str(why)
        raise DecodeError(
            f"this RAW file has no usable preview and LibRaw cannot develop it ({why})"
        ) from exc
    image = Image.fromarray(rgb, "RGB")
    if max(hi for _lo, hi in image.getextrema()) == 0:  # type: ignore[misc]
        # LibRaw "develops" files whose pixel data was cut out (card errors, stripped test
        # files) into pure black; a black JPEG is not the photo.
        raise DecodeError("this RAW file holds no readable picture data (it develops to black)")
    return image


def raw_source(path: bytes, long_edge: int | None) -> RawSource:
    """What to export a RAW file from, for an export of `long_edge` (None: full size).

    Raises DecodeError when the file has neither a usable preview nor developable data."""
    preview, orientation, full = None, 1, 0
    meta: RawMetadata | None = None
    try:
        meta = read_raw_metadata(path)
        preview, orientation = meta.preview, meta.orientation or 1
        full = max(meta.width or 0, meta.height or 0)
    except RawMetadataError:
        pass  # formats our parser does not know: LibRaw develops them
    if preview:
        wanted = min(long_edge, full) if long_edge and full else (long_edge or full)
        if _preview_size(preview, orientation) >= 0.95 * wanted:
            return RawSource(preview, orientation, None, meta)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    try:
        return RawSource(None, 1, _develop(path, long_edge), meta)
    except DecodeError:
        if preview and _preview_size(preview, orientation):
            return RawSource(preview, orientation, None, meta)  # smaller, but the photo
        raise
