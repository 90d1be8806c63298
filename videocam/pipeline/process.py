"""The run loop: reader -> batcher -> one forward pass -> stages -> writers.

Threads keep the model busy: a reader thread decodes and resizes frames
into ready batches, the calling thread runs the forward pass and the stages,
a writer thread (`AsyncSink`) draws and writes the CSV, and the MP4 and the
GIF each encode on a thread of their own (`ThreadedWriter`). When the model
is the slow part, `forward_stream` keeps two batches in flight. Queues between
them are bounded, so memory does not grow with the video's length.
"""
from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from videocam.errors import UsageError
from videocam.pipeline.forward import forward_stream
from videocam.stages.chain import Decide, Localize, Stage, run_stages
from videocam.types import NOBODY, Frame, FrameResult

DEFAULT_BATCH = 16
DEFAULT_SMOOTH = 5
# For models trained without a nobody class. Measured as a proxy on the tuning video
# (data seed 2) with the bundled model's softmax renormalised over the five people:
# threshold 0.4 gives nobody P 1.00 / R 0.86, 0.5 gives P 0.84 / R 1.00.
DEFAULT_NOBODY_BELOW = 0.45
# MP4 and GIF encode on threads of their own (measured, 2 cores: +8% with --gif, even without)
THREADED_WRITERS = True
GIF_MAX_FRAMES = 600       # long videos get a lower GIF frame rate, so the file stays small
_END = object()


EXIT_ON_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


class RateAndExit:
    """fps and the exit status, for summaries with `frames`, `seconds` and `interrupted`."""

    frames: int
    seconds: float
    interrupted: str | None

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_ON_SIGNAL.get(self.interrupted or "", 0)


@dataclass
class RunSummary(RateAndExit):
    """What a run did; `describe()` is the CLI's closing summary."""

    input: Path
    frames: int = 0
    seconds: float = 0.0
    outputs: dict = field(default_factory=dict)
    lost: int = 0
    interrupted: str | None = None
    model_classes: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        head = f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps)"
        if self.interrupted:
            head = f"interrupted ({self.interrupted}): wrote {self.frames} frames in {self.seconds:.1f} s"
        lines = [head]
        lines += [f"  {kind}: {path}" for kind, path in self.outputs.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def build_stages(model, threshold: float = 0.2, boxes: str = "union", norm: str = "max",
                 nobody: float | None = None, multi: bool = False, smooth: int | None = None,
                 scale: str = "fixed", verify: dict | bool | None = None) -> list[Stage]:
    """The stage chain for a model: [Smooth] -> Decide -> [Multi] -> [Rescale] -> Localize -> [Verify].

    `verify`: None follows the model file (a recipe model carries `extra.verify`, see
    `videocam.stages.verify`), False turns it off, a dict gives its constants.
    """
    stages: list[Stage] = []
    nobody_given = nobody
    k = DEFAULT_SMOOTH if smooth is None else int(smooth)
    if k > 1:
        from videocam.stages.smooth import Smooth
        stages.append(Smooth(k))
    if nobody is None and NOBODY not in model.classes:
        nobody = DEFAULT_NOBODY_BELOW
    stages.append(Decide(nobody_below=nobody))
    if multi:
        from videocam.stages.multi import Multi
        stages.append(Multi())
    if scale == "adaptive":
        from videocam.stages.rescale import Rescale
        stages.append(Rescale(model))  # refuses FC-head models
    stages.append(Localize(threshold=threshold, norm=norm, mode=boxes))
    if verify is None:
        verify = (getattr(model.info, "extra", None) or {}).get("verify") or False
    if verify:
        from videocam.stages.verify import DEFAULTS, Verify
        given = {k: v for k, v in verify.items() if k in DEFAULTS} if isinstance(verify, dict) else {}
        if nobody_given is not None:
            given["accept"] = nobody_given  # --nobody P: a crop must be a person at P or more
        stages.append(Verify(model, **{**DEFAULTS, **given}))
    return stages


def check_stage_options(threshold=0.2, nobody=None, smooth=None, boxes="union", norm="max",
                        batch=None, scale="fixed") -> None:
    """Usage errors for the options `run` and `live` share, before anything is opened."""
    from videocam.model.cam import NORMS
    from videocam.stages.localize import MODES
    if not 0.0 < float(threshold) < 1.0:
        raise UsageError(f"--threshold must be between 0 and 1 (exclusive), got {threshold}")
    if batch is not None and int(batch) < 1:
        raise UsageError(f"--batch must be at least 1, got {batch}")
    if nobody is not None and not 0.0 < float(nobody) < 1.0:
        raise UsageError(f"--nobody must be between 0 and 1 (exclusive), got {nobody}")
    if smooth is not None and int(smooth) < 0:
        raise UsageError(f"--smooth must be >= 0, got {smooth}")
    if boxes not in MODES:
        raise UsageError(f"--boxes must be one of {', '.join(MODES)}, got {boxes!r}")
    if norm not in NORMS:
        raise UsageError(f"--norm must be one of {', '.join(NORMS)}, got {norm!r}")
    from videocam.stages.rescale import SCALES
    if scale not in SCALES:
        raise UsageError(f"--scale must be fixed or adaptive, got {scale!r}")


def output_paths(input_path: Path, out_dir: Path, mp4: bool, csv: bool, gif: bool) -> dict[str, Path]:
    stem = input_path.stem
    paths = {}
    if mp4:
        paths["mp4"] = out_dir / f"{stem}.cam.mp4"
    if csv:
        paths["csv"] = out_dir / f"{stem}.cam.csv"
    if gif:
        paths["gif"] = out_dir / f"{stem}.cam.gif"
    return paths


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out is not a folder: {out_dir}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create --out folder {out_dir}: {e.strerror or e}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"--out folder is not writable: {out_dir}")


class _StopFlag:
    """Set by SIGINT/SIGTERM: stop reading, finish what is in flight."""

    def __init__(self):
        self.event = threading.Event()
        self.signal_name: str | None = None
        self._old = {}

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # pragma: no cover
                pass
        return self

    def _handle(self, signum, _frame):
        if self.event.is_set():  # second signal: give up at once
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    def restore(self):
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):  # pragma: no cover
                pass


def _batches(frames: Iterable[Frame], size: int, prepare: Callable, stop: threading.Event) -> Iterator:
    """Group frames into (frames, model_input) batches; stops early when `stop` is set."""
    buf: list[Frame] = []
    for f in frames:
        if stop.is_set():
            break
        buf.append(f)
        if len(buf) == size:
            yield buf, prepare(buf)
            buf = []
    if buf:
        yield buf, prepare(buf)


class _Prefetch:
    """Run an iterator on a thread, a bounded number of items ahead."""

    def __init__(self, it: Iterator, depth: int = 2):
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._exc: BaseException | None = None
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(it,), daemon=True, name="videocam-reader")
        self._t.start()

    def _run(self, it):
        try:
            for item in it:
                while not self._stop.is_set():
                    try:
                        self._q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    break
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer
            self._exc = e
        finally:
            while True:
                try:
                    self._q.put(_END, timeout=0.2)
                    break
                except queue.Full:
                    if self._stop.is_set():
                        break

    def __iter__(self):
        while True:
            item = self._q.get()
            if item is _END:
                if self._exc is not None:
                    raise self._exc
                return
            yield item

    def close(self):
        from videocam.pipeline.threads import drain
        self._stop.set()
        drain(self._q)
        self._t.join(timeout=5)


class Writers:
    """Everything that consumes a finished result, run on the writer thread.

    With THREADED_WRITERS (the default) this thread only draws and writes the
    CSV; the MP4 and the GIF each encode on a thread of their own (see
    `video.ThreadedWriter`).
    """

    def __init__(self, paths: dict[str, Path], classes, fps: float, width: int, height: int,
                 gif_fps: float, annotate: bool = True, extra: Callable | None = None):
        from videocam.io.csvfile import CsvWriter
        from videocam.io.render import Renderer
        from videocam.io.writers import GifWriter, Mp4Writer, encoder_threads
        from videocam.pipeline.threads import ThreadedWriter

        wrap = ThreadedWriter if THREADED_WRITERS else (lambda w, name="": w)
        self.renderer = Renderer()
        self.open = []
        self.mp4 = self.gif = self.csv = None
        try:
            if "mp4" in paths:
                self.mp4 = wrap(Mp4Writer(paths["mp4"], fps, width, height, threads=encoder_threads()),
                                name="videocam-mp4")
                self.open.append(self.mp4)
            if "gif" in paths:
                self.gif = wrap(GifWriter(paths["gif"], fps, max_fps=gif_fps), name="videocam-gif")
                self.open.append(self.gif)
            if "csv" in paths:
                self.csv = CsvWriter(paths["csv"], classes)
                self.open.append(self.csv)
        except BaseException:
            self.abort()
            raise
        self.extra = extra
        self.count = 0

    def consume(self, results: list[FrameResult]) -> None:
        for r in results:
            if self.mp4 is not None or self.gif is not None or self.extra is not None:
                img = self.renderer.annotate(r.frame.rgb, r)
                if self.mp4 is not None:
                    self.mp4.write(img, r.frame.time_s)
                if self.gif is not None:
                    self.gif.write(img, r.frame.time_s)
                if self.extra is not None:
                    self.extra(r, img)
            if self.csv is not None:
                self.csv.write(r)
            self.count += 1

    def close(self) -> None:
        for w in self.open:
            w.close()

    def abort(self) -> None:
        for w in self.open:
            try:
                w.abort()
            except Exception:  # noqa: BLE001
                pass


def process_video(
    input,
    model=None,
    out_dir="outputs",
    gif: bool = False,
    mp4: bool = True,
    csv: bool = True,
    batch: int | None = None,
    threshold: float = 0.2,
    boxes: str = "union",
    norm: str = "max",
    start: float | None = None,
    end: float | None = None,
    aspect: str = "square",
    nobody: float | None = None,
    multi: bool = False,
    smooth: int | None = None,
    scale: str = "fixed",
    progress: bool = False,
    precision: str = "float32",
    on_result: Callable[[FrameResult, np.ndarray], None] | None = None,
    handle_signals: bool = True,
    warn: Callable[[str], None] | None = None,
) -> RunSummary:
    """Annotate a video file: `<stem>.cam.mp4`, `<stem>.cam.csv` and (gif=True) `<stem>.cam.gif`.

    `model` is a path, a loaded `CamModel`, or None for the bundled default.
    Everything the user can get wrong is checked before any output file is
    created. Outputs are written under temporary names and renamed when the
    run ends; SIGINT/SIGTERM stop reading, finish the frames in flight and
    close the files properly (`RunSummary.interrupted`, exit code 130/143).
    """
    from videocam.model.cam_model import CamModel, load_model
    from videocam.io.reader import VideoReader

    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    input_path = Path(input)
    check_stage_options(threshold, nobody, smooth, boxes, norm, batch, scale)
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--end ({end}) must be after --start ({start})")
    if aspect not in ("square", "keep"):
        raise UsageError(f"--aspect must be square or keep, got {aspect!r}")
    out_dir = Path(out_dir)
    paths = output_paths(input_path, out_dir, mp4, csv, gif)
    if not paths and on_result is None:
        raise UsageError("nothing to write: --no-mp4 and --no-csv without --gif")
    if input_path.exists():
        for p in paths.values():  # resolve(): an output may be a link to the input
            if p.resolve() == input_path.resolve():
                raise UsageError(f"output {p} would overwrite the input {input_path}")

    reader = VideoReader(input_path, start_s=start, end_s=end)  # a bad input fails fast, before TF loads
    try:
        cm = model if isinstance(model, CamModel) else load_model(model)
        if precision != "float32":
            cm.set_precision(precision)
        stages = build_stages(cm, threshold, boxes, norm, nobody, multi, smooth, scale)  # may refuse the model
        _check_out_dir(out_dir)
        summary = _run(cm, reader, input_path, paths, gif_cap(reader), batch or DEFAULT_BATCH, stages, aspect,
                       progress, on_result, handle_signals)
    finally:
        reader.close()
    if not summary.interrupted:
        _warn_damage(reader, summary, warn)
    return summary


def _warn_damage(reader, summary: RunSummary, warn: Callable[[str], None]) -> None:
    """One warning for a damaged or cut-short input: how many frames were lost."""
    lost, bad = reader.frames_lost, reader.errors
    damaged = getattr(reader, "corrupt_frames", 0)
    summary.lost = max(lost, bad)
    if lost:
        msg = (f"{lost} frame(s) could not be decoded (damaged or cut-short file) and were skipped; "
               f"processed the {summary.frames} that decoded")
    elif bad:
        msg = f"{bad} corrupt packet(s) could not be decoded and were skipped"
    elif damaged:
        msg = f"{damaged} frame(s) decoded with errors (damaged or cut-short file)"
    else:
        return
    if damaged and (lost or bad):
        msg += f" ({damaged} frame(s) shown with decoding errors)"
    warn(msg)


def gif_cap(reader) -> float:
    """GIF frame rate: at most 10 fps, lower for long videos so it stays small."""
    dur = reader.duration_s
    if dur and dur > 0:
        return max(0.5, min(10.0, GIF_MAX_FRAMES / dur))
    return 10.0


def _run(cm, reader, input_path, paths, gif_fps, batch_size, stages, aspect, progress, on_result,
         handle_signals) -> RunSummary:
    from tqdm import tqdm

    from videocam.pipeline.threads import AsyncSink

    summary = RunSummary(input=input_path, model_classes=cm.classes)
    if cm.gradcam:
        summary.notes.append(f"the model has no GAP head: using Grad-CAM on layer {cm.cam_layer_name}")
    size = cm.input_size_for(reader.width, reader.height, aspect)
    stop = _StopFlag()
    if handle_signals:
        stop.install()
    writers = Writers(paths, cm.classes, reader.fps, reader.width, reader.height, gif_fps,
                       extra=on_result)
    sink = AsyncSink(writers.consume, maxsize=4, on_close=writers.close, on_abort=writers.abort)
    total = reader.frame_count_hint or None
    bar = tqdm(total=total, unit="frame", desc=input_path.name, disable=not progress, dynamic_ncols=True,
               file=sys.stderr)
    reader.model_size = size  # the reader scales a model-sized copy with FFmpeg, beside the full frame
    prefetch = _Prefetch(_batches(reader, batch_size,
                                  lambda fs: cm.prepare([f.model_input(size) for f in fs], size), stop.event))
    t0 = time.perf_counter()
    classes = tuple(cm.classes)
    ok = False
    try:
        for frames, probs, cams in forward_stream(cm.probs_and_cams, prefetch, stop=stop.event):
            results = [FrameResult(frame=f, classes=classes, probs=probs[i], cams=cams[i])
                       for i, f in enumerate(frames)]
            sink.put(run_stages(stages, results))
            summary.frames += len(frames)
            if bar.total is not None and bar.n + len(frames) > bar.total:
                bar.total = None  # the header's frame count was wrong: count on without a total
            bar.update(len(frames))
        if summary.frames == 0 and not stop.event.is_set():
            from videocam.errors import VideoError
            where = " between --start and --end" if reader.start_s or reader.end_s is not None else ""
            raise VideoError(f"{input_path}: no frames to process{where}")
        ok = True
    finally:
        prefetch.close()
        bar.close()
        if ok:
            sink.close()
        else:
            sink.abort()
        stop.restore()
    summary.seconds = time.perf_counter() - t0
    summary.interrupted = stop.signal_name
    summary.outputs = {k: v for k, v in paths.items() if v.exists()}  # none for an empty interrupted run
    return summary
