"""The run loop: reader -> batcher -> one forward pass -> stages -> writers.

Threads keep the model busy: a reader thread decodes and resizes frames
into ready batches, the calling thread runs the forward pass and the stages,
a writer thread (`AsyncSink`) draws and writes the CSV, and the MP4 and the
GIF each encode on a thread of their own (`ThreadedWriter`). When the model
is the slow part, `forward_stream` keeps two batches in flight. Queues between
them are bounded, so memory does not grow with the video's length.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from videocam.errors import UsageError, VideoError
from videocam.pipeline.sampling import selector
from videocam.stages.chain import DEFAULT_SMOOTH, build_stages, chain_runs_the_model, check_stage_options
from videocam.stages.steady import STEADY_K
from videocam.types import FrameResult

DEFAULT_BATCH = 16
GIF_MAX_FRAMES = 600       # long videos get a lower GIF frame rate, so the file stays small


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
    sampled: bool = False  # --every/--fps: `frames` counts the analysed ones
    run_info: Path | None = None  # <stem>.cam.json: the settings and the files of this run

    def describe(self) -> str:
        head = f"{self.frames} frames{' analysed' if self.sampled else ''} in {self.seconds:.1f} s ({self.fps:.1f} fps)"
        if self.interrupted:
            head = f"interrupted ({self.interrupted}): wrote {self.frames} frames in {self.seconds:.1f} s"
        lines = [head]
        lines += [f"  {kind}: {path}" for kind, path in self.outputs.items()]
        if self.run_info is not None:
            lines.append(f"  run info: {self.run_info}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


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


def wanted_outputs(out_dir: Path, name: str, mp4: bool, csv_: bool, gif: bool) -> dict[str, Path]:
    """The outputs a run of the video called `name` writes (many videos, Ray)."""
    return output_paths(Path(name), out_dir, mp4, csv_, gif)


def _check_out_dir(out_dir: Path) -> None:
    from videocam.io.partfile import writable_folder
    writable_folder(out_dir, "--out")


def load_for_run(model=None, multi: bool = False, refine: bool = True, boxes: str = "union",
                 scale: str = "fixed", **_other_options):
    """The model of a video run: a `CamModel` as given, else loaded from `model` (a path or None),
    with TensorFlow first set to one pass per half the cores, two passes in flight
    (`videocam.model._backend.threads_per_pass`), unless the chain runs the model itself
    (`stages.chain.chain_runs_the_model`). Other keyword options (a run's) are ignored."""
    from videocam.model._backend import use_threads_per_pass
    from videocam.model.cam_model import CamModel
    from videocam.model.loading import load_model
    if isinstance(model, CamModel):
        return model
    if not chain_runs_the_model(model, multi, refine, boxes, scale):
        use_threads_per_pass()  # passes run two at a time (pipeline.stream)
    return load_model(model)


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
    steady: int | None = None,
    torso: bool = True,
    panel: bool = True,
    refine: bool = True,
    lead: bool = True,
    fill: bool = True,
    progress: bool = False,
    precision: str = "float32",
    on_result: Callable[[FrameResult, np.ndarray], None] | None = None,
    handle_signals: bool = True,
    warn: Callable[[str], None] | None = None,
    every: int | None = None,
    fps: float | None = None,
    name: str | None = None,
    warmup_until: float | None = None,
    gif_fps: float | None = None,
) -> RunSummary:
    """Annotate a video file: `<stem>.cam.mp4`, `<stem>.cam.csv` and (gif=True) `<stem>.cam.gif`.

    `model` is a path, a loaded `CamModel`, or None for the bundled default.
    Everything the user can get wrong is checked before any output file is
    created. Outputs are written under temporary names and renamed when the
    run ends; SIGINT/SIGTERM stop reading, finish the frames in flight and
    close the files properly (`RunSummary.interrupted`, exit code 130/143).
    `every`/`fps` analyse every Nth frame / about F frames a second: the CSV gets
    one row per analysed frame; the MP4 and GIF keep every frame, each drawn
    with the nearest analysed frame's result.

    For many videos and time chunks (`videocam.pipeline.many`, `.ray_engine`): `name`
    replaces the input's stem in the output names; frames shown before `warmup_until`
    (seconds) go through the model and the stages (warming up smoothing and the cut
    detector) but are neither written nor counted; `gif_fps` replaces the GIF frame
    rate this video would get on its own.
    """
    from videocam.io.reader import VideoReader
    from videocam.model._backend import accelerated
    from videocam.pipeline.stream import decode_threads_when_nothing_is_drawn
    from videocam.pipeline.threads import batch_scheduling

    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    input_path = Path(input)
    check_stage_options(threshold, nobody, smooth, boxes, norm, batch, scale, steady)
    select = selector(every, fps)
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--end ({end}) must be after --start ({start})")
    if aspect not in ("square", "keep"):
        raise UsageError(f"--aspect must be square or keep, got {aspect!r}")
    out_dir = Path(out_dir)
    paths = output_paths(Path(name) if name else input_path, out_dir, mp4, csv, gif)
    if not paths and on_result is None:
        raise UsageError("nothing to write: --no-mp4 and --no-csv without --gif")
    if input_path.exists():
        for p in paths.values():  # resolve(): an output may be a link to the input
            if p.resolve() == input_path.resolve():
                raise UsageError(f"output {p} would overwrite the input {input_path}")

    # a run that draws nothing skips the full-size colour conversion (the adaptive scale needs it)
    full_rgb = mp4 or gif or on_result is not None or scale == "adaptive"
    reader = VideoReader(input_path, start_s=start, end_s=end, full_rgb=full_rgb, select=select)  # fails fast
    try:
        cm = load_for_run(model, multi, refine, boxes, scale)
        if precision != "float32":
            cm.set_precision(precision)
        if select is not None:  # --smooth/--steady K are K source frames: the same time span in analysed frames
            share = select.share(reader.fps)
            k = DEFAULT_SMOOTH if smooth is None else int(smooth)
            smooth = max(0, round(k * share))
            steady = max(0, round((STEADY_K if steady is None else int(steady)) * share))
        stages = build_stages(cm, threshold, boxes, norm, nobody, multi, smooth, scale, steady,
                              torso, panel, refine=refine, lead=lead, fill=fill)  # may refuse the model
        if any(getattr(s, "needs_full_rgb", False) for s in stages):
            reader.full_rgb = True  # a stage crops the full-size picture (Verify), drawn or not
        if not reader.full_rgb:  # nothing drawn: the model fills the cores, one decoding thread may do
            reader.threads = decode_threads_when_nothing_is_drawn(reader.pixels)
        _check_out_dir(out_dir)
        with batch_scheduling(enabled=not accelerated()):  # the run's threads yield to the passes'
            summary = _run(cm, reader, input_path, paths, gif_fps or gif_cap(reader), batch or DEFAULT_BATCH,
                           stages, aspect, progress, on_result, handle_signals, warmup_until)
    finally:
        reader.close()
    face = getattr(cm, "is_face_model", False)
    if face:  # every face is boxed and named (or unknown); the CAM-box stages do not run
        multi, refine = True, False
    from videocam.io.runinfo import run_settings
    settings = run_settings(classes=cm.classes, model_path=cm.path, multi=multi, refine=refine, lead=lead,
                            fill=fill, threshold=threshold, boxes=boxes, norm=norm, nobody=nobody, smooth=smooth,
                            steady=steady, torso=torso, panel=panel, scale=scale, aspect=aspect, start=start,
                            end=end, every=every, fps=fps, batch=batch or DEFAULT_BATCH, precision=precision)
    if face:
        from videocam.stages.identify import VOTES
        from videocam.stages.strangers import LINK
        settings["faces"] = {**cm.settings(), "votes": VOTES, "stranger_link": LINK}
    _record_run(summary, out_dir, input_path, Path(name).stem if name else input_path.stem, cm, settings)
    if not summary.interrupted:
        _warn_damage(reader, summary, warn)
    return summary


def _record_run(summary: RunSummary, out_dir: Path, input_path: Path, stem: str, cm, settings: dict) -> None:
    """Write the run info `<stem>.cam.json` beside the outputs (`stem`: the outputs' name, which an archive
    run may give a video whose stem another shares); say which files beside them come from earlier runs."""
    from videocam.io import runinfo
    from videocam.model.cam_model import BUNDLED_MODEL
    if not summary.outputs:
        return
    complete = summary.interrupted is None
    earlier = [out_dir / f"{stem}.cam.{k}" for k in runinfo.KINDS
               if (out_dir / f"{stem}.cam.{k}").is_file() and (not complete or k not in summary.outputs)]
    names = ", ".join(p.name for p in earlier)
    if complete:
        runinfo.remove_partials(out_dir, stem)
        if earlier:
            summary.notes.append(f"{names} {'is' if len(earlier) == 1 else 'are'} from an earlier run, not "
                                 f"this one ({stem}.cam.json lists this run's files)")
    elif earlier:
        summary.notes.append(f"the complete files of an earlier run ({names}) are as they were; this run's "
                             f"files say .partial")
    path = out_dir / (f"{stem}.cam.json" if complete else f"{stem}.cam.{runinfo.PARTIAL}.json")
    bundled = cm.path is not None and Path(cm.path).resolve() == BUNDLED_MODEL.resolve()
    summary.run_info = runinfo.write_run_info(
        path, input=input_path, outputs=summary.outputs, complete=complete, interrupted=summary.interrupted,
        frames=summary.frames, seconds=summary.seconds, model_path=cm.path, bundled=bundled, classes=cm.classes,
        settings=settings)


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


def _time(item) -> float:
    """Presentation time of a `FrameResult` or of a `Frame` that is only drawn."""
    return item.frame.time_s if isinstance(item, FrameResult) else item.time_s


def gif_cap(reader) -> float:
    """GIF frame rate: at most 10 fps, lower for long videos so it stays small."""
    dur = reader.duration_s
    if dur and dur > 0:
        return max(0.5, min(10.0, GIF_MAX_FRAMES / dur))
    return 10.0


def _run(cm, reader, input_path, paths, gif_fps, batch_size, stages, aspect, progress, on_result,
         handle_signals, warmup_until=None) -> RunSummary:
    from tqdm import tqdm

    from videocam.pipeline.outputs import Outputs
    from videocam.pipeline.stream import analyse_stream, in_flight_when_nothing_is_drawn
    from videocam.pipeline.threads import AsyncSink, StopFlag

    summary = RunSummary(input=input_path, model_classes=cm.classes, sampled=reader.select is not None)
    if cm.gradcam:
        summary.notes.append(f"the model has no GAP head: using Grad-CAM on layer {cm.cam_layer_name}")
    size = cm.input_size_for(reader.width, reader.height, aspect)
    stop = StopFlag()
    if handle_signals:
        stop.install()
    span = reader.frame_count_hint / reader.fps if reader.frame_count_hint and reader.fps else None
    outputs = Outputs(paths, cm.classes, reader.fps, reader.width, reader.height, gif_fps, extra=on_result,
                      gif_span_s=span)
    sink = AsyncSink(outputs.consume, maxsize=4, on_close=outputs.close, on_abort=outputs.abort)
    total = reader.frame_count_hint or None
    if total and reader.select is not None:  # the bar counts analysed frames
        total = reader.select.expected(total, reader.duration_s)
    bar = tqdm(total=total, unit="frame", desc=input_path.name, disable=not progress, dynamic_ncols=True,
               file=sys.stderr)
    reader.model_size = size  # the reader scales a model-sized copy with FFmpeg, beside the full frame
    t0 = time.perf_counter()
    ok = False
    in_flight = None if reader.full_rgb else in_flight_when_nothing_is_drawn()
    stream = analyse_stream(cm, reader, size, batch_size, stages, stop=stop.event, in_flight=in_flight,
                            expected=total)
    try:
        for items in stream:
            if warmup_until is not None:  # warm-up frames: through the stages, not written
                items = [r for r in items if _time(r) >= warmup_until - 1e-6]
            sink.put(items)
            analysed = sum(1 for r in items if isinstance(r, FrameResult))
            summary.frames += analysed
            if bar.total is not None and bar.n + analysed > bar.total:
                bar.total = None  # the header's frame count was wrong: count on without a total
            bar.update(analysed)
        if summary.frames == 0 and not stop.event.is_set():
            where = " between --start and --end" if reader.start_s or reader.end_s is not None else ""
            dur = reader.duration_s
            if where and dur:
                where += f" (the video is {dur:.1f} s long)"
            raise VideoError(f"{input_path}: no frames to process{where}")
        ok = True
    finally:
        stream.close()  # stops the reader thread
        bar.close()
        if ok:
            if stop.event.is_set():  # interrupted: never replace complete files of an earlier run
                outputs.keep_as_partial()
            sink.close()
        else:
            sink.abort()
        stop.restore()
    summary.seconds = time.perf_counter() - t0
    summary.interrupted = stop.signal_name
    summary.outputs = {k: v for k, v in outputs.paths.items() if v.exists()}  # none for an empty interrupted run
    return summary
