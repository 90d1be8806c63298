"""Small JPEG thumbnails of chosen moments of a video, for the report page.

Frames come from the project's own reader (`videocam.io.reader.VideoReader`), matched
to the wanted times by presentation time: the run's source video (the CSV's `time_s` are
its timestamps) when it is readable, so a thumbnail shows the picture with one box drawn;
else the annotated MP4, which keeps its input's timestamps. Moments close together are read in one
pass; moments far apart each get a reader that seeks, so a handful of thumbnails
of an hour-long video does not decode the whole hour.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocam.types import Box

# Beyond this gap between two wanted moments a new reader seeks rather than decoding through.
SEEK_GAP_S = 10.0
THUMB_WIDTH = 176
JPEG_QUALITY = 80


@dataclass
class Shot:
    """One wanted thumbnail: the moment, and the box to draw (if any) in its colour (RGB)."""

    time_s: float
    box: Box | None = None
    color: tuple[int, int, int] = (255, 255, 255)


def _clusters(times: Sequence[float], gap: float) -> list[list[int]]:
    """Indices of `times`, sorted by time, cut where two neighbours are over `gap` apart."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    out: list[list[int]] = []
    for i in order:
        if out and times[i] - times[out[-1][-1]] <= gap:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def grab_frames(video: str | Path, times: Sequence[float], tol: float) -> list[np.ndarray | None]:
    """The RGB frame shown at each of `times` (the first frame from ``t - tol``), or None
    where the video has no frame that close. Raises `VideoError` for a bad video."""
    from videocam.io.reader import VideoReader

    found: list[np.ndarray | None] = [None] * len(times)
    for group in _clusters(times, SEEK_GAP_S):
        lo, hi = times[group[0]] - tol, times[group[-1]] + tol
        pending = list(group)  # sorted by time
        with VideoReader(video, start_s=lo if lo > 0 else None, end_s=hi + 1e-6) as reader:
            for f in reader:
                while pending and f.time_s >= times[pending[0]] - tol:
                    i = pending.pop(0)
                    if abs(f.time_s - times[i]) <= tol:
                        found[i] = f.rgb
                if not pending:
                    break
    return found


def thumbnail_jpeg(rgb: np.ndarray, box: Box | None, color: tuple[int, int, int],
                   width: int = THUMB_WIDTH) -> bytes:
    """A `width`-pixel-wide JPEG of the frame with `box` (input pixels, x1/y1 exclusive) drawn."""
    h, w = rgb.shape[:2]
    k = width / float(w)
    small = cv2.resize(rgb, (width, max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    if box is not None:
        x0, y0 = round(box.x0 * k), round(box.y0 * k)
        x1, y1 = round(box.x1 * k) - 1, round(box.y1 * k) - 1
        sh, sw = small.shape[:2]
        x0, x1 = sorted((min(max(x0, 0), sw - 1), min(max(x1, 0), sw - 1)))
        y0, y1 = sorted((min(max(y0, 0), sh - 1), min(max(y1, 0), sh - 1)))
        cv2.rectangle(small, (x0, y0), (x1, y1), (0, 0, 0), 4)
        cv2.rectangle(small, (x0, y0), (x1, y1), tuple(int(c) for c in color), 2)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 RGB image
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def thumbnails(video: str | Path, shots: Sequence[Shot], tol: float) -> list[str | None]:
    """A `data:image/jpeg;base64,...` URI per shot (None where the video has no frame then)."""
    frames = grab_frames(video, [s.time_s for s in shots], tol)
    out: list[str | None] = []
    for shot, rgb in zip(shots, frames):
        if rgb is None:
            out.append(None)
            continue
        jpg = thumbnail_jpeg(rgb, shot.box, shot.color)
        out.append("data:image/jpeg;base64," + base64.b64encode(jpg).decode("ascii"))
    return out
