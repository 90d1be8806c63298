"""Writing video files: `Mp4Writer` (libx264, yuv420p, the caller's timestamps) and
`GifWriter` (small, looping). Both write to a hidden part name and rename on `close()`,
so a file with the final name is always complete; `abort()` deletes the part."""
from __future__ import annotations

import logging
import math
import os
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from videocam.errors import VideoError, first_line
from videocam.io.partfile import PartFile, part_path, remove_quietly  # noqa: F401 - part_path importable here

log = logging.getLogger(__name__)

_DEFAULT_FPS = 25.0
# Consecutive demux errors after which the rest of the file is given up on.
def _even(n: int) -> int:
    return max(2, int(n) - (int(n) % 2))


class Mp4Writer(PartFile):
    """H.264 MP4 (libx264, yuv420p) with the caller's timestamps.

    ``Mp4Writer(path, fps, width, height, crf=23, preset="veryfast", x264_params=FAST_X264)``;
    ``write(rgb, time_s)`` encodes exactly one frame shown at `time_s`;
    ``close()`` flushes, writes the index (faststart) and renames the file.

    Odd sizes lose their last row/column (yuv420p needs even sizes);
    `out_width`/`out_height` say what is written. Frames of another size are
    scaled to it. Timestamps use a 1/90000 s clock and are kept strictly
    increasing. With ``start_at_zero=True`` the first frame is shown at 0
    (useful when writing a clip cut from the middle of a file).
    """

    TIME_BASE = Fraction(1, 90000)
    # On top of preset veryfast: diamond motion search and one subpixel refinement pass.
    # Measured on 300 frames each of samples/debate.mp4 and a synthetic 640x360 clip (one
    # encoder thread): 1.06 against 1.63 ms/frame, files 4% larger, PSNR 0.3-0.6 dB lower
    # (45.7 -> 45.4 dB on the debate). Presets superfast/ultrafast are faster still but drop
    # mbtree and lookahead: files 2.4x/5.6x larger.
    FAST_X264 = "me=dia:subme=1"

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float,
        width: int,
        height: int,
        crf: int = 23,
        preset: str = "veryfast",
        *,
        start_at_zero: bool = False,
        threads: int = 1,
        x264_params: str | None = FAST_X264,
    ) -> None:
        self._init_paths(path)
        if width < 2 or height < 2:
            raise VideoError(f"cannot write {self.path}: frame size {width}x{height} too small")
        if not fps or not math.isfinite(fps) or fps <= 0:
            fps = _DEFAULT_FPS
        self.fps = float(fps)
        self.in_width, self.in_height = int(width), int(height)
        self.out_width, self.out_height = _even(width), _even(height)
        self.start_at_zero = start_at_zero
        self.frames_written = 0
        self._last_pts: int | None = None
        self._t0: float | None = None
        self._last_t: float | None = None
        try:
            self._out = av.open(
                str(self.tmp_path), "w", format="mp4",
                container_options={"movflags": "+faststart"},
            )
        except (av.error.FFmpegError, OSError) as e:
            raise VideoError(f"cannot write {self.path}: {first_line(e)}") from None
        try:
            rate = Fraction(self.fps).limit_denominator(1001000)
            st = self._out.add_stream("libx264", rate=rate)
            st.width, st.height = self.out_width, self.out_height
            st.pix_fmt = "yuv420p"
            st.time_base = self.TIME_BASE
            cc = st.codec_context
            cc.time_base = self.TIME_BASE
            cc.framerate = rate
            # One encoder thread: the pipeline already runs the encoder beside the model and the
            # reader. Measured on samples/debate.mp4 frames (640x360, 2 cores): 2.2 ms/frame with 1
            # thread against 2.7 with libx264's own choice (0), which also wakes extra threads.
            cc.thread_count = threads
            # Colour: we convert RGB with BT.709 matrices in limited range,
            # and say so, so players do not guess.
            cc.colorspace = 1        # AVCOL_SPC_BT709
            cc.color_primaries = 1   # AVCOL_PRI_BT709
            cc.color_trc = 1         # AVCOL_TRC_BT709
            cc.color_range = 1       # AVCOL_RANGE_MPEG
            options = {"crf": str(crf), "preset": str(preset)}
            if x264_params:
                options["x264-params"] = str(x264_params)
            st.options = options
            self._stream = st
            # One scaler for the whole file: a fresh one per frame rebuilds its swscale
            # context each time (0.61 against 0.34 ms per 640x360 frame).
            self._to_yuv = VideoReformatter()
        except Exception as e:
            self._out.close()
            remove_quietly(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {first_line(e)}") from None

    def write(self, rgb: np.ndarray, time_s: float | None = None) -> None:
        """Encode one RGB uint8 (H, W, 3) frame shown at `time_s` seconds.

        `time_s` None means one frame period after the previous frame.
        """
        if self.closed:
            raise VideoError(f"{self.path}: write after close")
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        ow, oh = self.out_width, self.out_height
        if (w, h) in ((ow, oh), (ow + 1, oh), (ow, oh + 1), (ow + 1, oh + 1)):
            rgb = rgb[:oh, :ow]
        if not rgb.flags.c_contiguous:
            rgb = np.ascontiguousarray(rgb)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame = self._to_yuv.reformat(
            frame, width=ow, height=oh, format="yuv420p",
            src_colorspace="ITU709", dst_colorspace="ITU709",
            src_color_range="JPEG", dst_color_range="MPEG",
        )
        if time_s is None or not math.isfinite(time_s):
            time_s = (self._last_t + 1.0 / self.fps) if self._last_t is not None else 0.0
        self._last_t = float(time_s)
        if self._t0 is None:
            self._t0 = float(time_s) if self.start_at_zero else 0.0
        pts = int(round((float(time_s) - self._t0) / self.TIME_BASE))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = self.TIME_BASE
        try:
            for pkt in self._stream.encode(frame):
                self._out.mux(pkt)
        except (av.error.FFmpegError, OSError) as e:
            raise VideoError(f"cannot write {self.path}: {first_line(e)}") from None
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder, finish the file and give it its final name."""
        if self.closed:
            return
        self.closed = True
        try:
            for pkt in self._stream.encode(None):
                self._out.mux(pkt)
            self._out.close()
        except (av.error.FFmpegError, OSError) as e:
            try:
                self._out.close()
            except Exception:  # noqa: BLE001
                pass
            remove_quietly(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {first_line(e)}") from None
        if self.frames_written == 0:
            # An MP4 without frames is not playable: leave nothing behind.
            remove_quietly(self.tmp_path)
            log.warning("%s: no frames written; no file made", self.path)
            return
        os.replace(self.tmp_path, self.path)

    def _release(self) -> None:
        self._out.close()


# The GIF's size (issue 20: 6.4 MB for the 24-s demo against 0.9 MB for its MP4). Measured on
# samples/debate.mp4 (240 frames at 480x270, 10 fps), against the per-frame-palette GIF before
# (6.45 MB, PSNR 34.0 dB against the frames it was given, 4.5 ms/frame): one palette reused while it
# fits: 6.40 MB (34.3 dB, 2.5 ms/frame: the octree runs 11 times, not 240); pixels left transparent
# where what is shown is within GIF_TOLERANCE of what re-sending them would show: 4.07 MB (34.1 dB;
# a plain "within N of what is shown" rule cost more bytes at the same PSNR: 4.97 MB at 33.9 dB for
# N = 10, as the palette's own error already exceeds small N); the byte budget, which lowers the frame
# rate of long or busy runs: 1.90 MB, 110 frames. The demo moves every pixel in every frame (zoom, pan,
# sensor noise), so the budget does most of the work there; a still camera keeps its 10 fps.
GIF_BUDGET = 2_000_000   # bytes a run's GIF aims to stay under, when the run's length is known
GIF_TOLERANCE = 3        # a pixel is left as shown when that is within this (0-255) of re-sending it
GIF_MIN_FPS = 0.1        # the budget never spaces frames more than 10 s apart


class GifWriter(PartFile):
    """A small looping GIF: downscaled to `max_width`, at most `max_fps`.

    Frames are picked by time (one every 1/max_fps s), so the GIF plays at
    the video's speed, and written to disk as they arrive (one frame is held
    back to learn its duration), so memory stays flat however long the video is.

    What keeps it small, at the look of a 256-colour GIF:

    - one 255-colour palette (Pillow's octree) reused while it maps a frame
      nearly as well as a fresh one would (`REFRESH`); a new palette travels
      as that frame's local colour table;
    - pixels within `tolerance` of what the viewer already sees stay
      transparent (index 255) and each frame is cropped to what changed;
      the error against the source stays bounded by the tolerance;
    - with `span_s` (the seconds the GIF will cover) the frame rate drops
      as needed so the file ends near `budget_bytes`, never below GIF_MIN_FPS.

    `max_frames` (default 1800: 3 minutes at 10 fps) bounds the frame count:
    later frames are dropped, `truncated` becomes True and a warning is logged.
    """

    # GIF's "loop forever": a NETSCAPE2.0 application extension with loop count 0.
    _LOOP_FOREVER = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    TRANSPARENT = 255          # the palette index kept for "as shown before"
    COLOURS = 255
    REFRESH = (1.3, 0.5)       # a new palette when the mean error exceeds 1.3 x the palette's own + 0.5

    def __init__(
        self,
        path: str | os.PathLike,
        src_fps: float,
        max_width: int = 480,
        max_fps: float = 10,
        *,
        max_frames: int | None = 1800,
        span_s: float | None = None,
        budget_bytes: int | None = GIF_BUDGET,
        tolerance: int = GIF_TOLERANCE,
    ) -> None:
        self._init_paths(path)
        self.truncated = False
        src_fps = float(src_fps) if src_fps and src_fps > 0 else _DEFAULT_FPS
        self.fps = min(src_fps, float(max_fps)) if max_fps and max_fps > 0 else src_fps
        self.period = 1.0 / self.fps
        self._src_period = 1.0 / src_fps
        self.max_width = int(max_width)
        self.max_frames = max_frames
        self.span_s = float(span_s) if span_s and span_s > 0 and math.isfinite(span_s) else None
        self.budget_bytes = budget_bytes
        self.tolerance = int(tolerance)
        self.bytes_written = 0
        self.palettes = 0
        self._count = 0
        self._pending: tuple[np.ndarray, float] | None = None
        self._fh = None
        self._next_t: float | None = None
        self._last_t: float | None = None
        self._t0: float | None = None
        self._cs = 0                      # centiseconds of the frames written so far
        self._period = self.period        # the current spacing of picked frames
        self._frame_bytes: float | None = None  # running mean of a frame's bytes
        self._size: tuple[int, int] | None = None
        self._palette: np.ndarray | None = None   # (255, 3) uint8
        self._palette_img = None
        self._palette_err = 0.0
        self._global: np.ndarray | None = None
        self._canvas: np.ndarray | None = None    # what a viewer sees now, (H, W, 3) uint8
        self._luts: list = []

    @property
    def frames_kept(self) -> int:
        return self._count

    def write(self, rgb: np.ndarray, time_s: float | None = None) -> bool:
        """Offer one frame; returns True if it was kept."""
        import cv2

        if self.closed:
            raise VideoError(f"{self.path}: write after close")
        if time_s is None:
            time_s = (self._last_t + 1.0 / self.fps) if self._last_t is not None else 0.0
        self._last_t = time_s
        if self._next_t is not None and time_s < self._next_t - 1e-6:
            return False
        if self.max_frames is not None and self._count >= self.max_frames:
            if not self.truncated:
                self.truncated = True
                log.warning("%s: GIF stops at %d frames (%.0f s); later frames dropped",
                            self.path, self.max_frames, self.max_frames / self.fps)
            return False
        rgb = np.asarray(rgb)
        if self._size is None:
            h, w = rgb.shape[:2]
            if w > self.max_width:
                nw, nh = self.max_width, max(1, int(round(h * self.max_width / w)))
            else:
                nw, nh = w, h
            self._size = (nw, nh)
        nw, nh = self._size
        if rgb.shape[1] != nw or rgb.shape[0] != nh:
            rgb = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
        else:
            rgb = rgb[..., :3].copy()  # the caller may reuse its buffer
        if self._t0 is None:
            self._t0 = float(time_s)
        self._flush(float(time_s))
        self._pending = (np.ascontiguousarray(rgb[..., :3]), float(time_s))
        self._count += 1
        # Next pick one period later (on the grid, so a steady rate stays exact).
        period = self._period = 1.0 / self._rate(float(time_s))
        if self._next_t is None:
            self._next_t = time_s
        while self._next_t <= time_s + 1e-6:
            self._next_t += period
        return True

    def _rate(self, t: float) -> float:
        """Frames per second from here on: `fps`, or less when the budget would not last."""
        if not self.budget_bytes or self.span_s is None or self._frame_bytes is None:
            return self.fps
        left_s = self.span_s - (t - self._t0)
        if left_s <= self.period:
            return self.fps
        # the held-back frame is not written yet: count it at the running mean
        left_bytes = 0.95 * self.budget_bytes - self.bytes_written - self._frame_bytes
        rate = left_bytes / self._frame_bytes / left_s
        return float(min(self.fps, max(GIF_MIN_FPS, rate)))

    # -- encoding ------------------------------------------------------------

    def _lookup(self, idx: np.ndarray) -> np.ndarray:
        """The colours (H, W, 3) uint8 that palette indices show (three table lookups, not a gather)."""
        import cv2
        return cv2.merge([cv2.LUT(idx, self._luts[c]) for c in range(3)])

    def _indexed(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Palette indices (H, W) for `rgb` and the colours they show, on the current palette, or on a
        fresh one when it no longer fits."""
        import cv2
        from PIL import Image

        if self._palette is not None:
            idx = np.asarray(Image.fromarray(rgb).quantize(palette=self._palette_img, dither=Image.Dither.NONE))
            shown = self._lookup(idx)
            err = cv2.norm(shown, rgb, cv2.NORM_L1) / rgb.size
            k, c = self.REFRESH
            if err <= k * self._palette_err + c:
                return idx, shown
        # Pillow's fast octree is both smaller and closer from RGBA than from RGB (measured: 302 against
        # 348 kB and PSNR 34.3 against 33.6 dB on ten demo frames)
        q = Image.fromarray(rgb).convert("RGBA").quantize(colors=self.COLOURS, method=Image.Quantize.FASTOCTREE)
        pal = np.zeros((self.COLOURS, 3), np.uint8)
        got = np.asarray(q.getpalette("RGB") or [], np.uint8).reshape(-1, 3)[: self.COLOURS]
        pal[: len(got)] = got
        idx = np.ascontiguousarray(np.minimum(np.asarray(q), self.COLOURS - 1), dtype=np.uint8)
        self._palette = pal
        self._luts = [np.ascontiguousarray(np.append(pal[:, c], np.uint8(0))) for c in range(3)]
        self._palette_img = Image.new("P", (1, 1))
        self._palette_img.putpalette(pal.tobytes())
        shown = self._lookup(idx)
        self._palette_err = cv2.norm(shown, rgb, cv2.NORM_L1) / rgb.size
        self.palettes += 1
        return idx, shown

    def _encode(self, rgb: np.ndarray, cs: int) -> bytes:
        """One frame as GIF blocks (graphic control, descriptor, [local palette], LZW data)."""
        import cv2
        from PIL import GifImagePlugin, Image

        idx, shown = self._indexed(rgb)
        x0 = y0 = 0
        params = {"duration": 10 * cs, "disposal": 1}  # disposal 1: later frames draw over this one
        if self._canvas is not None:
            def worst(a, b):  # per pixel, the largest channel difference (uint8)
                c0, c1, c2 = cv2.split(cv2.absdiff(a, b))
                return cv2.max(cv2.max(c0, c1), c2)
            # keep what is shown where it is within `tolerance` of what sending the pixel again would show
            keep = cv2.compare(worst(rgb, self._canvas), cv2.add(worst(rgb, shown), self.tolerance), cv2.CMP_LE)
            cv2.copyTo(self._canvas, keep, shown)
            idx = cv2.bitwise_or(idx, keep)  # 255 (TRANSPARENT) where kept
            x0, y0, w, h = cv2.boundingRect(cv2.bitwise_not(keep))
            if w == 0 or h == 0:
                x0, y0, w, h = 0, 0, 1, 1  # nothing changed: one transparent pixel keeps the timing
            idx = idx[y0:y0 + h, x0:x0 + w]
            params["transparency"] = self.TRANSPARENT
        self._canvas = shown
        im = Image.fromarray(np.ascontiguousarray(idx, dtype=np.uint8), "P")
        im.putpalette(self._palette.tobytes() + b"\0\0\0")
        head = b""
        if self._global is None:
            self._global = self._palette
            w, h = self._size
            head = (b"GIF89a" + w.to_bytes(2, "little") + h.to_bytes(2, "little") + b"\xf7\x00\x00"
                    + self._palette.tobytes() + b"\0\0\0" + self._LOOP_FOREVER)
        elif self._palette is not self._global:
            params["include_color_table"] = True
        return head + b"".join(GifImagePlugin.getdata(im, offset=(x0, y0), **params))

    def _flush(self, next_t: float | None) -> None:
        """Write the held-back frame, now that its duration is known."""
        if self._pending is None:
            return
        img, t = self._pending
        self._pending = None
        # whole centiseconds that add up: the GIF keeps the video's clock over any length
        # the last frame lasts to the end of the last video frame offered
        end = next_t if next_t is not None else max(t + self.period, self._last_t + self._src_period)
        cs = max(2, int(round((end - self._t0) * 100)) - self._cs)
        self._cs += cs
        if self._fh is None:
            self._fh = open(self.tmp_path, "wb")
        data = self._encode(img, cs)
        self._fh.write(data)
        if self.bytes_written:  # the first frame carries the header: not a typical frame
            n = len(data)
            self._frame_bytes = n if self._frame_bytes is None else 0.8 * self._frame_bytes + 0.2 * n
        self.bytes_written += len(data)

    def close(self) -> None:
        """Finish the GIF (looping forever) and give it its final name."""
        if self.closed:
            return
        self.closed = True
        if self._count == 0:
            log.warning("%s: no frames written; no file made", self.path)
            return
        try:
            self._flush(None)
            self._fh.write(b";")
            self._fh.close()
        except Exception as e:
            self._release()
            remove_quietly(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {first_line(e)}") from None
        os.replace(self.tmp_path, self.path)

    def _release(self) -> None:
        self._pending = None
        if self._fh is not None:
            self._fh.close()


ENCODER_THREADS_MIN_CPUS = 8  # below this a run's MP4 is encoded on one thread
ENCODER_MAX_THREADS = 4


def encoder_threads(cpus: int | None = None) -> int:
    """libx264 threads for a run's MP4: one on small machines, a few on many cores.

    On the 2-core reference machine one thread was fastest (2.2 against 2.7
    ms/frame with libx264's own choice): the model, the reader and the drawing
    already use the cores. With many cores the single-threaded encoder became
    the run's ceiling (see README "Performance", GPU).
    """
    cpus = cpus or os.cpu_count() or 1
    return 1 if cpus < ENCODER_THREADS_MIN_CPUS else min(ENCODER_MAX_THREADS, cpus // 4)
