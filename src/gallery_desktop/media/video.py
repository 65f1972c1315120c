"""Videos through PyAV: duration, display size, and one frame for the thumbnail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

log = logging.getLogger(__name__)

# How far into a clip the thumbnail frame is taken from (black first frames are common).
FRAME_AT_SECONDS = 1.0


class VideoError(Exception):
    """The file is not a video we can read; the message is for the photographer."""


@dataclass(frozen=True)
class VideoFacts:
    """What a clip is, and a frame of it (None when it has none) sized for thumbnails."""

    width: int | None
    height: int | None
    duration: float | None
    frame: Image.Image | None
    frame_error: str | None


def _first_frame(container: av.container.InputContainer) -> tuple[Image.Image | None, int]:
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    if container.duration and container.duration / av.time_base > 2 * FRAME_AT_SECONDS:
        container.seek(int(FRAME_AT_SECONDS * av.time_base))
    for frame in container.decode(stream):
        # FFmpeg's display matrix angle: degrees counter-clockwise, as PIL's rotate expects.
        image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
        return image, round(frame.rotation or 0) % 360
    return None, 0


def probe_video(path: Path | str, frame_edge: int) -> VideoFacts:
    """Open a clip once: duration, display size (rotation applied) and a frame. VideoError."""
    try:
        with av.open(str(path)) as container:
            duration = float(container.duration / av.time_base) if container.duration else None
            if not container.streams.video:
                return VideoFacts(None, None, duration or 0.0, None, "the file has no video track")
            stream = container.streams.video[0]
            width = stream.codec_context.width or None
            height = stream.codec_context.height or None
            if duration is None and stream.duration and stream.time_base:
                duration = float(stream.duration * Fraction(stream.time_base))
            try:
                frame, rotation = _first_frame(container)
                frame_error = None if frame is not None else "the video has no frames to show"
            except (av.FFmpegError, ValueError) as exc:
                frame, rotation, frame_error = None, 0, f"cannot decode a frame ({exc})"
    except av.FFmpegError as exc:
        raise VideoError(f"not a readable video ({exc.strerror or exc})") from exc
    except (OSError, ValueError, IndexError) as exc:
        raise VideoError(f"not a readable video ({exc})") from exc
    if rotation in (90, 270) and width and height:
        width, height = height, width
    if frame is not None:
        if rotation:
            frame = frame.rotate(rotation, expand=True)
        frame.thumbnail((frame_edge, frame_edge))
        frame = frame.convert("RGB")
    return VideoFacts(width, height, duration, frame, frame_error)
