"""Reading and writing video files with PyAV, and a background writer thread.

- `VideoReader` decodes any file FFmpeg can read into RGB `Frame`s whose
  `time_s` is the frame's presentation time (never index/fps). Corrupt
  packets are skipped and counted, not fatal.
- `Mp4Writer` (libx264, yuv420p) writes one output frame per `write`, with the
  timestamps it is given; `GifWriter` writes a small looping GIF.
- Every writer writes to a hidden temporary name next to the target
  (``.name.part.ext``) and renames it in `close()`; `abort()` deletes it. So a
  file with the final name is always complete.
- `AsyncSink` runs a writer callback on a thread behind a bounded queue.
"""
from __future__ import annotations

import logging
import math
import os
import queue
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from videocam.outfile import ClosesOnExit, part_path  # noqa: F401 - part_path stays importable here
from videocam.types import Frame

__all__ = [
    "VideoError",
    "VideoReader",
    "Mp4Writer",
    "GifWriter",
    "AsyncSink",
    "part_path",
]

log = logging.getLogger(__name__)

_DEFAULT_FPS = 25.0
# Consecutive demux errors after which the rest of the file is given up on.
_MAX_DEMUX_ERRORS = 64
# Demuxers FFmpeg uses for single still images: a picture is not a video.
_IMAGE_FORMATS = ("image2",)


class VideoError(Exception):
    """A video cannot be opened or written; the message is one human line."""


def _finish(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


def _remove(p: Path) -> None:
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:  # pragma: no cover - best effort cleanup
        log.warning("could not remove %s: %s", p, e)


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def _first_line(e: BaseException) -> str:
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def _why_invalid(p: Path) -> str:
    """A better reason than FFmpeg's 'Invalid data' for a file it rejects."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(12)
    except OSError:
        head = b""
    if head[4:8] in (b"ftyp", b"mdat", b"wide", b"free", b"moov"):
        # MP4/MOV whose index (moov) is missing: cut short, or still being
        # written by a recorder that puts the index at the end.
        return "damaged or incomplete MP4/MOV (no index; cut short or still being written?)"
    return "not a video file"


def _missing(gap: float, period: float) -> int:
    """Frames that fit in a gap of `gap` seconds where one `period` was expected."""
    return max(0, int(math.floor(gap / period + 0.3)) - 1)


class _Timeline:
    """Presentation times seen so far, to spot frames missing from a constant-rate stream."""

    def __init__(self) -> None:
        self.count = 0
        self.last: float | None = None
        self.period = 0.0
        self.deltas = 0
        self.on_beat = 0      # deltas of about one period
        self.gap_frames = 0   # frames that would fit in the longer gaps
        self.complete = False

    def add(self, t: float, period: float) -> None:
        self.count += 1
        self.period = period
        if self.last is not None and t > self.last:
            d = t - self.last
            self.deltas += 1
            if abs(d - period) <= 0.25 * period:
                self.on_beat += 1
            else:
                self.gap_frames += _missing(d, period)
        self.last = t

    def regular(self) -> bool:
        """Constant rate: (nearly) every step is one period; else gaps mean nothing."""
        return self.count >= 2 and self.on_beat >= 0.8 * self.deltas


class VideoReader:
    """Decode a video file into `Frame`s (RGB uint8, presentation times).

    ``with VideoReader(path, start_s=None, end_s=None) as r: for f in r: ...``

    - Frames are converted to RGB24 whatever the pixel format (gray, 10-bit,
      alpha, palette...), and turned upright when the file carries a display
      rotation (phone videos) unless ``autorotate=False``.
    - `start_s`/`end_s` keep frames with ``start_s <= time_s < end_s`` (the
      reader seeks to the keyframe before `start_s`, then drops frames).
    - `Frame.index` counts the frames yielded, from 0.
    - Corrupt packets/frames are skipped and counted in `errors`; a truncated
      file yields every frame that still decodes.
    - Single pass: iterate once.
    - With `model_size` (height, width) set, each frame also carries
      `model_rgb`: the picture scaled to that size by FFmpeg's scaler (area
      averaging) straight from the decoded YUV: both conversions of a 640x360
      frame take 0.23 ms, against 0.11 + 0.77 for the RGB frame plus an
      OpenCV area resize of it.

    Raises `VideoError` when the file cannot be opened as a video.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        start_s: float | None = None,
        end_s: float | None = None,
        *,
        autorotate: bool = True,
        model_size: tuple[int, int] | None = None,
    ) -> None:
        self.path = Path(path)
        self.start_s = start_s
        self.end_s = end_s
        self.autorotate = autorotate
        self.model_size = model_size
        self.errors = 0
        self.corrupt_frames = 0
        self._container = None
        self._gen: Iterator[Frame] | None = None
        self._peeked: list[Frame] = []
        self._rotation: int | None = None
        self._frame_rotation = 0
        # One converter per output size, kept for the whole file: each caches its swscale
        # context, where `frame.reformat` alternating between two sizes rebuilt it every call
        # (0.59 against 0.23 ms for both conversions of a 640x360 frame).
        self._rgb_scaler = VideoReformatter()
        self._model_scaler = VideoReformatter()
        self._done = False
        self._timeline = _Timeline()

        p = self.path
        if not p.exists():
            raise VideoError(f"cannot open {p}: no such file")
        if p.is_dir():
            raise VideoError(f"cannot open {p}: is a directory")
        try:
            size = p.stat().st_size
        except OSError as e:
            raise VideoError(f"cannot open {p}: {e.strerror or e}") from None
        if size == 0:
            raise VideoError(f"cannot open {p}: empty file")
        try:
            self._container = av.open(str(p), "r", metadata_errors="replace")
        except av.error.InvalidDataError:
            raise VideoError(f"{p}: {_why_invalid(p)}") from None
        except av.error.PermissionError:
            raise VideoError(f"cannot open {p}: permission denied") from None
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise VideoError(f"cannot open {p}: {_first_line(e)}") from None
        streams = self._container.streams.video
        fmt = self._container.format.name or ""
        if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
            self._container.close()
            self._container = None
            kind = fmt[: -len("_pipe")] if fmt.endswith("_pipe") else "image"
            raise VideoError(f"{p}: a still image ({kind}), not a video")
        if not streams:
            self._container.close()
            self._container = None
            raise VideoError(f"{p}: no video stream")
        self._stream = streams[0]
        self._stream.thread_type = "AUTO"
        cc = self._stream.codec_context
        self._width = int(cc.width or 0)
        self._height = int(cc.height or 0)
        # Read all metadata now: touching a stream after close() can crash.
        self._codec_name = cc.name
        self._fps = self._read_fps()
        self._duration = self._read_duration()
        self._stream_frames = int(self._stream.frames or 0)
        self._video_dur = self._read_video_duration()
        self._start_time = self._read_start()
        if self._width <= 0 or self._height <= 0:
            # Some formats only learn the size from the first frame.
            self._peek()
            if not self._peeked:
                self.close()
                raise VideoError(f"{p}: no decodable video frames")

    # -- metadata ------------------------------------------------------------

    def _peek(self) -> None:
        if self._peeked or self._done:
            return
        try:
            self._peeked.append(next(self._frames()))
        except StopIteration:
            self._done = True

    def _needs_rotation_info(self) -> bool:
        return self.autorotate and self._rotation is None and not self._done

    @property
    def rotation(self) -> int:
        """Display rotation applied to frames (degrees counter-clockwise)."""
        if self._needs_rotation_info():
            self._peek()
        return self._rotation or 0

    @property
    def width(self) -> int:
        """Width of the frames this reader yields (after rotation)."""
        if self._peeked:
            return self._peeked[0].width
        if self.rotation in (90, 270):
            return self._height
        return self._width

    @property
    def height(self) -> int:
        if self._peeked:
            return self._peeked[0].height
        if self.rotation in (90, 270):
            return self._width
        return self._height

    def _read_fps(self) -> float:
        s = self._stream
        for r in (s.average_rate, s.guessed_rate, s.base_rate):
            try:
                v = float(r) if r else 0.0
            except (TypeError, ZeroDivisionError):
                v = 0.0
            if math.isfinite(v) and 0.1 <= v <= 1000:
                return v
        return _DEFAULT_FPS

    def _read_start(self) -> float:
        s = self._stream
        if s.start_time is not None and s.time_base:
            return float(s.start_time * s.time_base)
        return 0.0

    def _read_duration(self) -> float | None:
        s = self._stream
        if s.duration and s.time_base:
            return float(s.duration * s.time_base)
        if self._container is not None and self._container.duration:
            return self._container.duration / av.time_base
        return None

    @property
    def fps(self) -> float:
        """Nominal frame rate: average_rate, else guessed_rate, else 25."""
        return self._fps

    @property
    def duration_s(self) -> float | None:
        """Duration hint in seconds (stream, else container), or None."""
        return self._duration

    @property
    def frame_count_hint(self) -> int:
        """How many frames the file claims (0 when unknown; may be wrong).

        Uses the stream's frame count, else duration x fps; narrowed to
        `start_s`/`end_s` when those are set and a duration is known.
        """
        n = self._stream_frames
        dur = self.duration_s
        if n <= 0 and dur:
            n = int(round(dur * self.fps))
        if (self.start_s or self.end_s is not None) and dur:
            t0, t1 = self._start_time, self._start_time + dur
            a = max(t0, self.start_s or t0)
            b = min(t1, self.end_s) if self.end_s is not None else t1
            n = max(0, int(round((b - a) * self.fps)))
        return max(0, n)

    @property
    def codec_name(self) -> str:
        return self._codec_name

    @property
    def frames_lost(self) -> int:
        """About how many frames could not be decoded (0 when it cannot tell).

        Known once the file has been read to the end (or to `end_s`): the
        shortfall against the header's frame count (whole-file reads only),
        or, for a constant-rate stream, the frames missing from its timeline
        (gaps between frames, and an end cut short against the video
        stream's duration), whichever says more.
        """
        tl = self._timeline
        if not tl.complete:
            return 0
        lost = 0
        if self.start_s is None and self.end_s is None and self._stream_frames > 0:
            lost = max(lost, self._stream_frames - tl.count)
        if tl.regular():
            missing = tl.gap_frames
            dur = self._video_dur
            if self.end_s is None and dur and tl.last is not None:
                missing += _missing(self._start_time + dur - tl.last, tl.period)
            lost = max(lost, missing)
        return max(0, lost)

    def _read_video_duration(self) -> float | None:
        """The video stream's own duration (a container's may be an audio track's)."""
        s = self._stream
        if s.duration and s.time_base:
            return float(s.duration * s.time_base)
        if len(self._container.streams) == 1:
            return self._duration
        return None

    # -- iteration -----------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        while self._peeked:
            yield self._peeked.pop(0)
        if self._done:
            return
        yield from self._frames()

    def _frames(self) -> Iterator[Frame]:
        if self._gen is None:
            self._gen = self._decode()
        return self._gen

    def _decoded(self) -> Iterator[av.VideoFrame]:
        """Raw frames, skipping packets that fail to demux or decode."""
        c, s = self._container, self._stream
        failures = 0
        while True:
            try:
                for packet in c.demux(s):
                    failures = 0
                    try:
                        frames = packet.decode()
                    except av.error.EOFError:
                        continue
                    except av.error.FFmpegError as e:
                        # InvalidDataError and friends: skip this packet.
                        self._skip(f"bad packet at pts {packet.pts}: {_first_line(e)}")
                        continue
                    for f in frames:
                        if getattr(f, "is_corrupt", False):
                            # Shown anyway: a damaged picture beats a gap.
                            self.corrupt_frames += 1
                            log.debug("%s: corrupt frame at pts %s", self.path, f.pts)
                        yield f
                return  # demux ended normally (decoder flushed)
            except av.error.EOFError:
                return
            except av.error.FFmpegError as e:
                failures += 1
                self._skip(f"demux error: {_first_line(e)}")
                if failures >= _MAX_DEMUX_ERRORS:
                    log.warning("%s: giving up after %d read errors", self.path, failures)
                    yield from self._drain()
                    return
                # Re-enter demux: it carries on from the container's position.
                continue

    def _drain(self) -> Iterator[av.VideoFrame]:
        """Frames still buffered in the decoder (when reading stops early)."""
        try:
            yield from self._stream.codec_context.decode(None)
        except av.error.FFmpegError:
            pass

    def _skip(self, msg: str) -> None:
        self.errors += 1
        if self.errors <= 10:
            log.warning("%s: %s (skipped)", self.path, msg)
        elif self.errors == 11:
            log.warning("%s: more decode errors; no longer logging them", self.path)

    def _seek_to(self, t: float) -> bool:
        s = self._stream
        try:
            if t <= 0:
                self._container.seek(0)
            else:
                # frame.time includes the stream's start offset, so the target
                # is simply t in stream ticks.
                self._container.seek(int(math.floor(t / s.time_base)), stream=s,
                                     backward=True, any_frame=False)
            s.codec_context.flush_buffers()
            return True
        except (av.error.FFmpegError, ValueError) as e:
            log.info("%s: cannot seek (%s)", self.path, _first_line(e))
            return False

    def _source(self) -> Iterator[av.VideoFrame]:
        """Raw frames from the keyframe before `start_s` (or the start).

        Seeking without an index (MPEG-TS, some AVI/MKV) can land after a
        keyframe's successors or past `start_s`: if the first frame decoded
        after the seek is later than `start_s`, decode from the beginning
        instead and let `_decode` drop the early frames by time.
        """
        start = self.start_s
        s = self._stream
        if not start or start <= 0 or not s.time_base:
            yield from self._decoded()
            return
        if self._seek_to(start):
            gen = self._decoded()
            first = next(gen, None)
            tol = 1.5 / self._fps
            if first is not None and (first.time is None or first.time <= start + tol):
                yield first
                yield from gen
                return
            gen.close()
            log.info("%s: seek to %.3fs was imprecise; decoding from the start",
                     self.path, start)
            self._seek_to(0.0)
        yield from self._decoded()

    def _decode(self) -> Iterator[Frame]:
        fps = self.fps
        prev: float | None = None
        index = 0
        eps = 1e-6
        start, end = self.start_s, self.end_s
        for f in self._source():
            t = f.time
            if t is None or not math.isfinite(t):
                if prev is not None:
                    t = prev + 1.0 / fps
                else:
                    t = max(0.0, start or 0.0)
            prev = t
            if start is not None and t < start - eps:
                continue
            if end is not None and t >= end - eps:
                break
            rgb = self._to_rgb(f)
            if rgb is None:
                continue
            yield Frame(index=index, time_s=float(t), rgb=rgb, model_rgb=self._to_model(f))
            self._timeline.add(float(t), 1.0 / fps)
            index += 1
        self._done = True
        self._timeline.complete = True

    def _to_model(self, f: av.VideoFrame) -> np.ndarray | None:
        """The frame at `model_size`, upright like `_to_rgb`'s; None when not asked or on failure."""
        if self.model_size is None:
            return None
        th, tw = (int(v) for v in self.model_size)
        rot = self._frame_rotation  # the turn `_to_rgb` just gave this frame
        if rot in (90, 270):
            th, tw = tw, th  # scale first, then turn, as the full frame is turned
        try:
            small = self._model_scaler.reformat(f, width=tw, height=th, format="rgb24",
                                                interpolation="AREA").to_ndarray()
        except (av.error.FFmpegError, ValueError):
            return None  # the caller falls back to resizing the full frame
        if rot:
            small = np.ascontiguousarray(np.rot90(small, k=rot // 90))
        return small

    def _to_rgb(self, f: av.VideoFrame) -> np.ndarray | None:
        try:
            rgb = self._rgb_scaler.reformat(f, format="rgb24").to_ndarray()
        except (av.error.FFmpegError, ValueError) as e:
            self._skip(f"cannot convert frame at pts {f.pts}: {_first_line(e)}")
            return None
        rot = 0
        if self.autorotate:
            try:
                rot = int(round((f.rotation or 0) / 90.0)) % 4 * 90
            except Exception:  # noqa: BLE001 - bad side data: ignore it
                rot = 0
            if self._rotation is None:
                self._rotation = rot
            if rot:
                rgb = np.ascontiguousarray(np.rot90(rgb, k=rot // 90))
        elif self._rotation is None:
            self._rotation = 0
        self._frame_rotation = rot
        return rgb

    # -- context -------------------------------------------------------------

    def close(self) -> None:
        self._done = True
        gen, self._gen = self._gen, None
        if gen is not None:
            gen.close()
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"VideoReader({str(self.path)!r}, {self._width}x{self._height}, "
                f"{self.fps:.3f} fps, codec={self.codec_name})")


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #


class _PartFile(ClosesOnExit):
    """Temp-name-then-rename behaviour shared by the writers."""

    path: Path
    tmp_path: Path
    closed: bool

    def _init_paths(self, path) -> None:
        self.path = Path(path)
        self.tmp_path = part_path(self.path)
        self.closed = False
        if self.path.is_dir():
            raise VideoError(f"cannot write {self.path}: is a directory")
        if not self.path.parent.is_dir():
            raise VideoError(f"cannot write {self.path}: no folder {self.path.parent}")


def _even(n: int) -> int:
    return max(2, int(n) - (int(n) % 2))


class Mp4Writer(_PartFile):
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
            raise VideoError(f"cannot write {self.path}: {_first_line(e)}") from None
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
            _remove(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {_first_line(e)}") from None

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
            raise VideoError(f"cannot write {self.path}: {_first_line(e)}") from None
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
            _remove(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {_first_line(e)}") from None
        if self.frames_written == 0:
            # An MP4 without frames is not playable: leave nothing behind.
            _remove(self.tmp_path)
            log.warning("%s: no frames written; no file made", self.path)
            return
        _finish(self.tmp_path, self.path)

    def abort(self) -> None:
        """Stop and delete the temporary file; the final name is untouched."""
        if self.closed:
            return
        self.closed = True
        try:
            self._out.close()
        except Exception:  # noqa: BLE001 - we are throwing it away
            pass
        _remove(self.tmp_path)


class GifWriter(_PartFile):
    """A small looping GIF: downscaled to `max_width`, at most `max_fps`.

    Frames are picked by time (one every 1/max_fps s), so the GIF plays at
    the video's speed, and streamed to disk by imageio's GIF writer as they
    arrive (one frame is held back to learn its duration), so memory stays
    flat however long the video is. Each frame gets its own 256-colour
    palette (Pillow's fast octree). `max_frames` (default 1800: 3 minutes at
    10 fps) bounds the file size: later frames are dropped, `truncated`
    becomes True and a warning is logged.
    """

    # GIF's "loop forever" is a loop count of 0; imageio's legacy writer
    # turns 0 into 65535, so the application extension is written here.
    _LOOP_FOREVER = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"

    def __init__(
        self,
        path: str | os.PathLike,
        src_fps: float,
        max_width: int = 480,
        max_fps: float = 10,
        *,
        max_frames: int | None = 1800,
    ) -> None:
        self._init_paths(path)
        self.truncated = False
        src_fps = float(src_fps) if src_fps and src_fps > 0 else _DEFAULT_FPS
        self.fps = min(src_fps, float(max_fps)) if max_fps and max_fps > 0 else src_fps
        self.period = 1.0 / self.fps
        self.max_width = int(max_width)
        self.max_frames = max_frames
        self._count = 0
        self._durations: list[float] = []  # seconds, read by imageio frame by frame
        self._pending: tuple[np.ndarray, float] | None = None
        self._writer = None
        self._next_t: float | None = None
        self._last_t: float | None = None
        self._size: tuple[int, int] | None = None

    @property
    def frames_kept(self) -> int:
        return self._count

    def _open(self):
        import imageio.v2 as iio2

        w = iio2.get_writer(self.tmp_path, format="GIF-PIL", mode="I", loop=0, duration=self._durations,
                            quantizer=2, palettesize=256, subrectangles=False)
        w._writer.getAppExt = lambda loop: self._LOOP_FOREVER
        w._duration = self._durations  # imageio copies the list at open; keep it live (checked in tests)
        return w

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
        # Next pick one period later (on the grid, so the rate stays exact).
        if self._next_t is None:
            self._next_t = time_s
        while self._next_t <= time_s + 1e-6:
            self._next_t += self.period
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
        self._flush(float(time_s))
        self._pending = (np.ascontiguousarray(rgb[..., :3]), float(time_s))
        self._count += 1
        return True

    def _flush(self, next_t: float | None) -> None:
        """Write the held-back frame, now that its duration is known."""
        if self._pending is None:
            return
        img, t = self._pending
        self._pending = None
        dur = (next_t - t) if next_t is not None else self.period
        self._durations.append(max(0.02, dur))
        if self._writer is None:
            self._writer = self._open()
        self._writer.append_data(img)

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
            self._writer.close()
        except Exception as e:
            _remove(self.tmp_path)
            raise VideoError(f"cannot write {self.path}: {_first_line(e)}") from None
        _finish(self.tmp_path, self.path)

    def abort(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._pending = None
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the file is removed anyway
                pass
        _remove(self.tmp_path)


# --------------------------------------------------------------------------- #
# Background writing
# --------------------------------------------------------------------------- #

_STOP = object()


def drain(q: queue.Queue) -> None:
    """Throw away whatever waits in `q` (a producer blocked on a full queue can then finish)."""
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass


class AsyncSink(ClosesOnExit):
    """Run ``consume(item)`` on a background thread behind a bounded queue.

    ``put(item)`` blocks while `maxsize` items wait (bounded memory) and
    raises at once if the worker has failed. ``close()`` waits for every item
    to be consumed, then runs `on_close` on the worker thread (e.g. the
    writers' ``close``), joins it and re-raises the worker's exception in
    the caller. ``abort()`` drops waiting items, runs `on_abort`, joins, and
    never raises. As a context manager it closes, or aborts on an exception.
    """

    def __init__(
        self,
        consume: Callable[[Any], None],
        maxsize: int = 8,
        *,
        on_close: Callable[[], None] | None = None,
        on_abort: Callable[[], None] | None = None,
        name: str = "videocam-sink",
    ) -> None:
        self._consume = consume
        self._on_close = on_close
        self._on_abort = on_abort
        self._q: queue.Queue = queue.Queue(maxsize=max(1, int(maxsize)))
        self._exc: BaseException | None = None
        self._aborting = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._exc

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                break
            if self._exc is not None or self._aborting.is_set():
                continue  # keep draining so put() never blocks forever
            try:
                self._consume(item)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                self._exc = e
        if self._exc is None and not self._aborting.is_set():
            if self._on_close is not None:
                try:
                    self._on_close()
                except BaseException as e:  # noqa: BLE001
                    self._exc = e
                    self._call_abort()
        else:
            self._call_abort()

    def _call_abort(self) -> None:
        if self._on_abort is not None:
            try:
                self._on_abort()
            except Exception as e:  # noqa: BLE001
                log.warning("abort failed: %s", e)

    def put(self, item: Any) -> None:
        if self._finished:
            raise RuntimeError("AsyncSink.put after close/abort")
        if self._exc is not None:
            raise self._exc
        while True:
            try:
                self._q.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("AsyncSink worker died") from self._exc
                if self._exc is not None:
                    raise self._exc

    def close(self) -> None:
        if self._finished:
            if self._exc is not None:
                raise self._exc
            return
        self._finished = True
        self._q.put(_STOP)
        self._thread.join()
        if self._exc is not None:
            raise self._exc

    def abort(self) -> None:
        if self._finished and not self._thread.is_alive():
            return
        self._finished = True
        self._aborting.set()
        drain(self._q)
        self._q.put(_STOP)
        self._thread.join()


class ThreadedWriter:
    """A frame writer (`write(rgb, time_s)`, `close()`, `abort()`) run on a thread of its own.

    Why: one thread that draws, encodes the MP4 and quantises the GIF in turn
    caps the run at the sum of the three. On 2 cores that costs nothing (the
    cores are busy anyway); on a many-core GPU machine that one thread was the
    whole pipeline's ceiling. Frames reach the writer in the order written;
    its errors come back from the next `write` or from `close`.
    """

    def __init__(self, writer, maxsize: int = 8, name: str = "videocam-writer") -> None:
        self.writer = writer
        self._sink = AsyncSink(lambda item: writer.write(*item), maxsize, on_close=writer.close,
                               on_abort=writer.abort, name=name)

    def write(self, rgb: np.ndarray, time_s: float | None = None) -> None:
        self._sink.put((rgb, time_s))

    def close(self) -> None:
        self._sink.close()

    def abort(self) -> None:
        self._sink.abort()


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
