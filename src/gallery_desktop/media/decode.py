"""Safe opening of every supported image format: allow-list, pixel limits, orientation."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO, Final

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

# Formats Pillow may pick from a file's content (JPEG covers MPO). Nothing else is parsed, so a file
# that claims to be e.g. EPS or PSD is not handed to those decoders.
STILL_FORMATS: Final = ("JPEG", "PNG", "TIFF", "WEBP", "GIF", "HEIF", "AVIF", "BMP")

# Largest image we decode. A 150 Mpx medium-format file fits; the headers of
# decompression bombs (4 Gpx in 44 bytes) do not.
MAX_PIXELS: Final = 250_000_000

# Beyond MAX_PIXELS Pillow only warns up to twice the limit; we refuse at the limit ourselves
# (see open_image), so the warning adds nothing and is silenced once, process-wide.
Image.init()  # load every plugin now: lazy loading races between worker threads
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("ignore", Image.DecompressionBombWarning)
# Pillow warns about odd-sized TIFF/EXIF tags (e.g. IPTC blocks) it reads anyway: not news.
warnings.filterwarnings("ignore", message="Metadata Warning", category=UserWarning)
pillow_heif.register_heif_opener()

ORIENTATION_TAG: Final = 0x0112
_TRANSPOSED: Final = frozenset({5, 6, 7, 8})


class DecodeError(Exception):
    """The file is not an image we can read; the message is for the photographer."""


@dataclass(frozen=True)
class OpenedImage:
    image: Image.Image
    format: str
    orientation: int  # 1-8, what still has to be applied to the pixels
    width: int  # after orientation
    height: int


def oriented_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in _TRANSPOSED else (width, height)


def normalise_orientation(value: object) -> int:
    """EXIF orientation as stored → 1-8; 0, junk and absent mean 'as stored' (1)."""
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return 1


def explain(exc: BaseException) -> str:
    """A photographer-readable reason for a decoding failure."""
    text = " ".join(str(exc).split())  # one line, whatever the decoder said
    if isinstance(exc, Image.DecompressionBombError) or "too large" in text.lower():
        return f"image is too large to open safely ({text})"
    if isinstance(exc, UnidentifiedImageError):
        return "not a readable image (unknown or damaged header)"
    if "truncated" in text.lower():
        return "image file is truncated (the copy is incomplete or the card was damaged)"
    if isinstance(exc, MemoryError):
        return "not enough memory to decode this image"
    return f"cannot decode image: {type(exc).__name__}: {text}" if text else type(exc).__name__


def open_image(source: bytes | IO[bytes]) -> OpenedImage:
    """Open (headers only) and check an image; raises DecodeError with a readable reason."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        im = Image.open(fp, formats=STILL_FORMATS)
        if im.width * im.height > MAX_PIXELS:
            raise DecodeError(
                f"image is too large to open safely ({im.width}×{im.height} pixels, "
                f"limit {MAX_PIXELS // 1_000_000} Mpx)"
            )
        orientation = normalise_orientation(im.getexif().get(ORIENTATION_TAG))
    except DecodeError:
        raise
    except Exception as exc:  # Pillow raises many types for damaged input
        raise DecodeError(explain(exc)) from exc
    fmt = str(im.format or "unknown")
    w, h = oriented_size(im.width, im.height, orientation)
    return OpenedImage(image=im, format=fmt, orientation=orientation, width=w, height=h)


def to_rgb(im: Image.Image) -> Image.Image:
    """Flatten any mode (16-bit, CMYK, palette, alpha) to 8-bit RGB on white."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return im.point(lambda v: v / 256).convert("L").convert("RGB")
    if im.mode == "F":  # float samples: scientific/HDR TIFFs, usually 0..1
        _lo, hi = im.getextrema()
        scale = 255.0 if isinstance(hi, float) and hi <= 1.0 else 1.0
        return im.point(lambda v: v * scale).convert("L").convert("RGB")
    return im.convert("RGB")


_TRANSPOSE_FOR: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def apply_orientation(im: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE_FOR.get(orientation)
    return im if method is None else im.transpose(method)


_SRGB: Final = ImageCms.createProfile("sRGB")


def to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert RGB/CMYK pixels from their embedded ICC profile to sRGB (none: assume sRGB)."""
    if not icc_profile or im.mode not in ("RGB", "CMYK"):
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        out = ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im  # a broken profile is not worth losing the picture over
    return out if out is not None else im
