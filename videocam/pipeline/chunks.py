"""Cutting a long video into time chunks, and joining the chunks' outputs.

A chunk is a time range ``[keep_from, end_s)`` that starts at a keyframe. Its worker
decodes from a *warm-up* point before it (`read_from`), runs those frames through the
model and the stateful stages, and drops them before the writers, so the chunk's rows are
those of a single run of the whole video. The stateful stage is `Smooth`
(`videocam.stages.smooth`), which keeps

- an exponential moving average of probabilities and maps, alpha = 2/(k+1), restarted at
  every shot cut: a frame's value depends on every frame back to the last cut, with
  weight (1 - alpha)^n for the frame n back; and
- the cut detector's previous thumbnail and its last `CUT_HISTORY` (15) frame differences
  since the last cut.

`warmup_frames(k)` therefore runs the detector's history plus enough frames for the
average's start to weigh less than float32 resolution (1e-7): 56 frames at k=5, 0 when
smoothing is off (no stage then keeps state). From there the chunk's state agrees with
the single run's to float rounding; where the warm-up contains a cut both restart exactly.

Joining (`join_outputs`): CSV bodies are concatenated and the `frame` column renumbered
(each chunk counts from its warm-up start); the MP4 parts, each opening on an IDR frame and
stamped with the input's own times, are remuxed into one file without re-encoding; the GIF
parts' frames are appended into one GIF. Every joined file is written under its part
name and renamed when complete.
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from videocam.errors import VideoError, first_line
from videocam.io.partfile import part_path, remove_quietly

# A chunk shorter than this is not worth its warm-up and its start-up (frames).
MIN_CHUNK_FRAMES = 250
CHUNK_DIR = ".chunks"  # under --out: <out>/.chunks/<name>/c0000.cam.*


def warmup_frames(smooth: int | None) -> int:
    """Frames to run before a chunk's start so the stateful stages reach the single run's state."""
    from videocam.stages.chain import DEFAULT_SMOOTH
    from videocam.stages.smooth import CUT_HISTORY, alpha_for

    k = DEFAULT_SMOOTH if smooth is None else int(smooth)
    if k <= 1:
        return 0
    decay = math.ceil(math.log(1e-7) / math.log(1.0 - alpha_for(k)))
    return decay + CUT_HISTORY + 1


@dataclass
class Chunk:
    """One unit of work: frames shown in ``[keep_from, end_s)`` of `video`, decoded from `read_from`."""

    video: str
    name: str            # the video's output stem
    index: int
    count: int           # chunks of this video
    read_from: float | None
    keep_from: float | None
    end_s: float | None
    frames: int          # expected (from the packet index), for progress
    gif_fps: float
    out_dir: str         # <out>/.chunks/<name>

    @property
    def part_name(self) -> str:
        return f"c{self.index:04d}"


@dataclass
class VideoPlan:
    video: str
    name: str
    frames: int
    chunks: list[Chunk] = field(default_factory=list)
    error: str | None = None


@dataclass
class VideoScan:
    """What planning needs to know of a video: its packets' times, no pixels."""

    video: str
    error: str | None = None
    gif_fps: float = 10.0
    fps: float = 25.0
    hint: int = 0
    times: list[float] | None = None    # presentation times in [start, end), sorted; None: not cuttable
    keys: list[int] = field(default_factory=list)  # indices into `times` of keyframes
    start: float | None = None
    end: float | None = None

    @property
    def frames(self) -> int:
        return len(self.times) if self.times is not None else self.hint


def _packet_times(path: Path) -> tuple[list[float], set[float]] | None:
    """Presentation times of the video packets (sorted) and the keyframes' times; None when a
    packet has no timestamp (then the video is not cut)."""
    import av

    times: list[float] = []
    keys: set[float] = set()
    try:
        with av.open(str(path), "r", metadata_errors="replace") as c:
            s = c.streams.video[0]
            tb = s.time_base
            for p in c.demux(s):
                if p.size == 0:
                    continue  # flush packet
                if p.pts is None or tb is None:
                    return None
                t = float(Fraction(p.pts) * tb)
                times.append(t)
                if p.is_keyframe:
                    keys.add(t)
    except (av.error.FFmpegError, OSError, IndexError):
        return None
    times.sort()
    return times, keys


def scan_video(video, start: float | None = None, end: float | None = None) -> VideoScan:
    """Open `video` (a bad file gets the reader's one-line reason in `error`) and list its
    packets' times and keyframes, demuxing only: nothing is decoded."""
    from bisect import bisect_left

    from videocam.io.reader import VideoReader
    from videocam.pipeline.process import gif_cap

    path = Path(video)
    try:
        with VideoReader(path, start_s=start, end_s=end) as r:
            scan = VideoScan(str(video), gif_fps=gif_cap(r), fps=r.fps, hint=r.frame_count_hint,
                             start=start, end=end)
    except VideoError as e:
        return VideoScan(str(video), error=str(e))
    found = _packet_times(path)
    if found is not None:
        times, keys = found
        lo = bisect_left(times, start - 1e-6) if start is not None else 0
        hi = bisect_left(times, end - 1e-6) if end is not None else len(times)
        scan.times = times[lo:hi]
        scan.keys = [i for i, t in enumerate(scan.times) if t in keys]
    return scan


def cut_video(scan: VideoScan, name: str, out_dir, chunk_frames: int, smooth: int | None = None) -> VideoPlan:
    """Cut a scanned video into chunks of about `chunk_frames` frames, each starting at a
    keyframe (the one nearest each multiple of `chunk_frames`, at least half a chunk from
    the last cut; a short tail joins the chunk before it). Videos shorter than two chunks,
    or without a timestamp on every packet, are one chunk."""
    if scan.error:
        return VideoPlan(scan.video, name, 0, error=scan.error)
    start, end, video = scan.start, scan.end, scan.video
    cdir = str(Path(out_dir) / CHUNK_DIR / name)
    n = scan.frames
    one = VideoPlan(video, name, n, [Chunk(video, name, 0, 1, start, None, end, n, scan.gif_fps, cdir)])
    times = scan.times
    chunk_frames = max(1, int(chunk_frames))
    if times is None or n < 2 * chunk_frames:
        return one
    bounds = [0]
    for target in range(chunk_frames, n, chunk_frames):
        near = [k for k in scan.keys if k - bounds[-1] >= chunk_frames // 2]
        if not near:
            break
        k = min(near, key=lambda k: (abs(k - target), k))
        if k > bounds[-1]:
            bounds.append(k)
    if len(bounds) > 1 and n - bounds[-1] < chunk_frames // 2:
        bounds.pop()  # a short tail joins the chunk before it
    if len(bounds) == 1:
        return one
    w = warmup_frames(smooth)
    ends = bounds[1:] + [n]
    chunks = []
    for i, (b, e) in enumerate(zip(bounds, ends)):
        keep = times[b] if i else start
        read = times[b - w] if i and b - w > 0 else start  # reaching back to the range's start: read it all
        stop = times[e] if e < n else end
        chunks.append(Chunk(video, name, i, len(bounds), read, keep, stop, e - b, scan.gif_fps, cdir))
    return VideoPlan(video, name, n, chunks)


def plan_video(video, name: str, out_dir, chunk_frames: int, smooth: int | None = None,
               start: float | None = None, end: float | None = None) -> VideoPlan:
    """`cut_video(scan_video(...))`: the chunks of one video."""
    return cut_video(scan_video(video, start, end), name, out_dir, chunk_frames, smooth)


# --------------------------------------------------------------------------- joining

def join_csv(parts: list[Path], out: Path) -> int:
    """Concatenate per-chunk CSVs (one header) into `out`, renumbering `frame` from 0; returns rows."""
    tmp = part_path(out)
    rows = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for i, p in enumerate(parts):
                with open(p, encoding="utf-8", newline="") as src:
                    head = src.readline()
                    if i == 0:
                        fh.write(head)
                    for line in src:
                        if not line.strip():
                            continue
                        fh.write(f"{rows},{line.split(',', 1)[1]}")
                        rows += 1
        os.replace(tmp, out)
    except BaseException:
        remove_quietly(tmp)
        raise
    return rows


def join_mp4(parts: list[Path], out: Path) -> int:
    """Remux MP4 parts (same encoder settings, each opening on an IDR frame, absolute times) into
    one MP4 without re-encoding; returns the packet (frame) count."""
    import av

    tmp = part_path(out)
    n = 0
    try:
        with av.open(str(tmp), "w", format="mp4", container_options={"movflags": "+faststart"}) as o:
            ost = None
            extradata = None
            last_dts = None
            for p in parts:
                with av.open(str(p)) as c:
                    ist = c.streams.video[0]
                    if ost is None:
                        ost = o.add_stream_from_template(ist)
                        extradata = bytes(ist.codec_context.extradata or b"")
                    elif bytes(ist.codec_context.extradata or b"") != extradata:
                        raise VideoError(f"cannot join {p.name}: its encoder headers differ from the first part's")
                    for pkt in c.demux(ist):
                        if pkt.size == 0 or pkt.dts is None:
                            continue
                        if last_dts is not None and pkt.dts * pkt.time_base <= last_dts:
                            raise VideoError(f"cannot join {p.name}: its times overlap the part before")
                        last_dts = pkt.dts * pkt.time_base
                        pkt.stream = ost
                        o.mux(pkt)
                        n += 1
        os.replace(tmp, out)
    except av.error.FFmpegError as e:
        remove_quietly(tmp)
        raise VideoError(f"cannot join MP4 parts into {out}: {first_line(e)}") from None
    except BaseException:
        remove_quietly(tmp)
        raise
    return n


def join_gif(parts: list[Path], out: Path, max_frames: int | None = 1800) -> int:
    """Append the frames of GIF parts (each with its own palette and durations) into one looping GIF."""
    import imageio.v2 as iio2
    import numpy as np
    from PIL import Image, ImageSequence

    from videocam.io.writers import GifWriter

    tmp = part_path(out)
    durations: list[float] = []
    n = 0
    writer = None
    try:
        for p in parts:
            with Image.open(p) as im:
                for fr in ImageSequence.Iterator(im):
                    if max_frames is not None and n >= max_frames:
                        break
                    if writer is None:
                        writer = iio2.get_writer(tmp, format="GIF-PIL", mode="I", loop=0, duration=durations,
                                                 quantizer=2, palettesize=256, subrectangles=False)
                        writer._writer.getAppExt = lambda loop: GifWriter._LOOP_FOREVER
                        writer._duration = durations  # imageio copies the list at open (see GifWriter)
                    durations.append(max(0.02, fr.info.get("duration", 100) / 1000.0))
                    writer.append_data(np.asarray(fr.convert("RGB")))
                    n += 1
        if writer is None:
            return 0
        writer.close()
        os.replace(tmp, out)
    except BaseException:
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass
        remove_quietly(tmp)
        raise
    return n


def join_outputs(parts: dict[str, list[Path]], final: dict[str, Path]) -> dict[str, int]:
    """Join each kind's chunk files into its final file (a single part is just renamed)."""
    joiners = {"csv": join_csv, "mp4": join_mp4, "gif": join_gif}
    counts = {}
    for kind, out in final.items():
        files = [p for p in parts.get(kind, []) if p.exists()]
        if not files:
            continue
        if len(files) == 1 and kind != "csv":
            os.replace(files[0], out)
            counts[kind] = -1
        else:
            counts[kind] = joiners[kind](files, out)
    return counts


def remove_chunk_dir(out_dir, name: str) -> None:
    d = Path(out_dir) / CHUNK_DIR / name
    shutil.rmtree(d, ignore_errors=True)
    try:
        (Path(out_dir) / CHUNK_DIR).rmdir()  # only when empty
    except OSError:
        pass
