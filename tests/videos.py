"""Tiny synthetic test videos made with PyAV (no ffmpeg binary needed).

`make_video` writes `n` frames whose whole picture is a flat grey level that
encodes the frame number (see `level`), plus a small bright square that moves,
so every frame has distinct content that survives lossy codecs; `index_of`
reads the number back. It returns the presentation times (seconds) a correct
reader must report, so tests can compare them.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = ["make_video", "level", "index_of", "frame_rgb", "has_encoder"]

_STEP = 23  # coprime with 224: levels are distinct for 224 frames


def level(i: int) -> int:
    """The grey level that frame `i` is painted with."""
    return 16 + (i * _STEP) % 224


_BITS = 8


def _band(width: int, height: int) -> tuple[int, list[tuple[int, int]]]:
    bh = max(4, height // 3)
    edges = [round(b * width / _BITS) for b in range(_BITS + 1)]
    return bh, list(zip(edges[:-1], edges[1:]))


def index_of(rgb: np.ndarray) -> int:
    """Which frame number (mod 256) an RGB frame made by `frame_rgb` shows."""
    h, w = rgb.shape[:2]
    bh, cells = _band(w, h)
    i = 0
    for b, (x0, x1) in enumerate(cells):
        # The centre of each cell, away from edges that codecs blur.
        cx0, cx1 = x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4
        v = float(np.mean(rgb[bh // 4 : bh - bh // 4, cx0 : max(cx1, cx0 + 1)]))
        if v > 128:
            i |= 1 << b
    return i


def frame_rgb(i: int, width: int, height: int) -> np.ndarray:
    """RGB uint8 picture for frame `i`: the number in binary as a row of
    dark/light cells (64/192: msmpeg4 mangles
    full-range jumps in P-frames) across the top third, a grey level below and a moving
    red square."""
    img = np.full((height, width, 3), level(i), np.uint8)
    bh, cells = _band(width, height)
    for b, (x0, x1) in enumerate(cells):
        img[:bh, x0:x1] = 192 if (i >> b) & 1 else 64
    s = max(2, min(width, height - bh) // 4)
    x = (i * 3) % max(1, width - s)
    y = bh + (i * 2) % max(1, height - bh - s)
    img[y : y + s, x : x + s] = (255, 32, 32)
    return img


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
        return True
    except Exception:
        return False


def _to_pal8(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices, ARGB palette) for PyAV's pal8 frames (swscale cannot make pal8)."""
    colors, idx = np.unique(img.reshape(-1, 3), axis=0, return_inverse=True)
    assert len(colors) <= 256
    pal = np.zeros((256, 4), np.uint8)
    pal[:, 0] = 255  # opaque
    pal[: len(colors), 1:] = colors
    return idx.reshape(img.shape[:2]).astype(np.uint8), pal


_DEFAULT_PIX = {
    "libx264": "yuv420p",
    "mpeg4": "yuv420p",
    "msmpeg4v2": "yuv420p",
    "msmpeg4": "yuv420p",
    "libvpx-vp9": "yuv420p",
    "libvpx": "yuv420p",
    "mjpeg": "yuvj420p",
    "cinepak": "rgb24",
    "png": "rgb24",
    "qtrle": "rgb24",
    "ffv1": "yuv420p",
    "rawvideo": "rgb24",
}


def make_video(
    path,
    codec: str = "libx264",
    n: int = 10,
    size: tuple[int, int] = (64, 48),
    fps: float = 25,
    pix_fmt: str | None = None,
    start_pts: int = 0,
    vfr: bool = False,
    rate: Fraction | str | int | None = None,
    faststart: bool = False,
    rotation: int = 0,
) -> list[float]:
    """Write a small video with PyAV and return the frames' presentation times.

    - `size` is (width, height); `rate` (e.g. ``Fraction(2997, 125)``) overrides
      `fps` when given, for exact non-integer rates.
    - `start_pts` shifts every frame by that many frame periods, so the first
      frame is shown at ``start_pts / rate`` seconds, not 0.
    - `vfr=True` gives irregular gaps (1, 2 or 3 periods, in a fixed pattern);
      use a container that keeps timestamps (mp4, mkv, mov, ts), not avi.
    - `rotation` stores a display rotation (degrees counter-clockwise, as
      phones do); `faststart` moves the MP4 index to the front.
    - The container comes from the file's extension.
    """
    path = Path(path)
    r = Fraction(rate) if rate is not None else Fraction(fps).limit_denominator(1001000)
    width, height = size
    pix_fmt = pix_fmt or _DEFAULT_PIX.get(codec, "yuv420p")
    # Frame k's pts in units of one frame period.
    ticks = []
    t = int(start_pts)
    for k in range(n):
        ticks.append(t)
        t += (1, 2, 3, 1, 2)[k % 5] if vfr else 1
    # Time base: one period for CFR (AVI needs that), 1/1000 period for VFR.
    sub = 1000 if vfr else 1
    tb = 1 / (r * sub)
    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", container_options=opts) as out:
        st = out.add_stream(codec, rate=r)
        st.width, st.height = width, height
        st.pix_fmt = pix_fmt
        st.time_base = tb
        st.codec_context.time_base = tb
        if rotation:
            st.set_display_rotation(rotation)
        if codec == "libx264":
            st.options = {"preset": "ultrafast", "crf": "18"}
            if pix_fmt == "gray":
                st.options = {"preset": "ultrafast", "qp": "0"}
        elif codec in ("libvpx-vp9", "libvpx"):
            st.options = {"deadline": "realtime", "cpu-used": "8", "crf": "20", "b": "0"}
        elif codec in ("mpeg4", "msmpeg4v2", "msmpeg4", "mjpeg"):
            st.bit_rate = 4_000_000
        for k in range(n):
            img = frame_rgb(k, width, height)
            if pix_fmt == "pal8":
                vf = av.VideoFrame.from_ndarray(_to_pal8(img), format="pal8")
            elif pix_fmt in ("rgba", "argb", "yuva420p", "bgra"):
                a = np.full((height, width, 1), 200, np.uint8)
                vf = av.VideoFrame.from_ndarray(np.concatenate([img, a], 2), format="rgba")
            else:
                vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pix_fmt not in ("rgb24", "rgba", "pal8"):
                vf = vf.reformat(format=pix_fmt)
            vf.pts = ticks[k] * sub
            vf.time_base = tb
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    return [float(Fraction(tk) / r) for tk in ticks]
