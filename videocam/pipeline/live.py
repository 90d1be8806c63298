"""Live mode: the newest frame from a source -> model -> the `run` stage chain ->
annotation (+ live fps) -> a window, with `--record`/`--csv` written on a background
thread. q/Esc, SIGINT, SIGTERM, `max_frames` or the end of the source stop it; outputs
are always closed properly."""
from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from videocam.errors import UsageError
from videocam.io.capture import DEFAULT_CAMERA_FPS, FileSource, LiveFrame, LiveSource, open_source
from videocam.io.window import HEADLESS_MESSAGE, CvWindow, display_available, draw_status, qt_library_clash
from videocam.pipeline.process import RateAndExit
from videocam.pipeline.stream import analyse_batch
from videocam.stages.chain import build_stages, check_stage_options

# --------------------------------------------------------------------------- #
# The loop
# --------------------------------------------------------------------------- #


@dataclass
class LiveSummary(RateAndExit):
    """What a live run did; `describe()` is the closing summary."""

    source: str
    frames: int = 0            # processed
    produced: int = 0          # frames the source produced while running
    dropped: int = 0           # produced frames inference never saw
    seconds: float = 0.0
    source_fps: float = 0.0    # nominal
    latency_s: float = 0.0     # mean capture -> result
    outputs: dict = field(default_factory=dict)
    interrupted: str | None = None
    stopped_by: str = ""
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        head = f"live: {self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps)"
        if self.interrupted:
            head = f"interrupted ({self.interrupted}): " + head[len("live: "):]
        head += f", {self.dropped} dropped"
        if self.produced:
            rate = self.produced / self.seconds if self.seconds > 0 else 0.0
            head += f" (source gave {self.produced} at {rate:.1f} fps)"
        if self.frames:
            head += f", latency {self.latency_s * 1000:.0f} ms"
        lines = [head]
        lines += [f"  {kind}: {path}" for kind, path in self.outputs.items()]
        if self.stopped_by:
            lines.append(f"  stopped: {self.stopped_by}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_output(flag: str, path) -> Path:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} is a folder, not a file: {p}")
    from videocam.io.partfile import writable_folder
    writable_folder(p.parent, flag, create=False)  # a probe file: permission bits do not say it (root)
    return p


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class _Rate:
    """Frames per second over the last ~second of processed frames."""

    def __init__(self, window_s: float = 1.0):
        self.t: deque = deque()
        self.window_s = window_s

    def tick(self, now: float) -> None:
        self.t.append(now)
        while len(self.t) > 2 and now - self.t[0] > self.window_s:
            self.t.popleft()

    @property
    def fps(self) -> float:
        if len(self.t) < 2 or self.t[-1] <= self.t[0]:
            return 0.0
        return (len(self.t) - 1) / (self.t[-1] - self.t[0])


def run_live(
    source="0",
    model=None,
    record=None,
    csv=None,
    display: bool | None = None,
    max_frames: int | None = None,
    threshold: float = 0.2,
    boxes: str = "union",
    norm: str = "max",
    nobody: float | None = None,
    multi: bool = False,
    smooth: int | None = None,
    scale: str = "fixed",
    batch: int = 1,
    aspect: str = "square",
    steady: int | None = None,
    torso: bool = True,
    panel: bool = True,
    refine: bool = True,
    lead: bool = True,
    fill: bool = True,
    realtime: bool = True,
    capture_factory: Callable | None = None,
    window=None,
    handle_signals: bool = True,
    say: Callable[[str], None] | None = None,
) -> LiveSummary:
    """Run the model live over `source` until q/Esc, a signal, `max_frames` or its end.

    `source`: camera index, "/dev/videoN", URL, video file, or a `LiveSource`.
    `display`: None = a window when a display is available (else headless,
    said once), False = headless. `window`: an object with `show(rgb) -> bool`,
    `poll() -> bool` and `close()` to use instead of an OpenCV window.
    `record`/`csv`: the annotated MP4 and per-frame CSV, as `videocam run`
    writes them (temporary names, renamed at the end).
    """
    say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
    check_stage_options(threshold, nobody, smooth, boxes, norm, batch, scale, steady)
    if max_frames is not None and int(max_frames) < 1:
        raise UsageError(f"--max-frames must be at least 1, got {max_frames}")
    record = _check_output("--record", record) if record else None
    csv = _check_output("--csv", csv) if csv else None
    if record and csv and _same(record, csv):
        raise UsageError("--record and --csv name the same file")
    batch = int(batch)

    src = open_source(source, capture_factory=capture_factory, realtime=realtime)  # fail fast: before TF

    from videocam.io.render import Renderer
    from videocam.model.cam_model import CamModel
    from videocam.model.loading import load_model
    from videocam.pipeline.outputs import Outputs
    from videocam.pipeline.threads import AsyncSink, StopFlag

    outputs = sink = win = None
    stop = StopFlag()
    summary = LiveSummary(source=src.name, source_fps=src.fps)
    ok = False
    try:
        if isinstance(src, FileSource):
            for p in (record, csv):
                if p is not None and _same(p, src.path):
                    raise UsageError(f"output {p} would overwrite the input {src.path}")
        cm = model if isinstance(model, CamModel) else load_model(model)
        if cm.gradcam:
            summary.notes.append(f"the model has no GAP head: using Grad-CAM on layer {cm.cam_layer_name}")
        stages = build_stages(cm, threshold, boxes, norm, nobody, multi, smooth, scale, steady, torso, panel,
                              refine=refine, lead=lead, fill=fill)
        size = cm.input_size_for(src.width, src.height, aspect)
        src.scale_for_model(size)
        cm.warm_up(batch, size)  # trace now, not on frame 1

        if window is None and display is not False:
            win = _open_window(say)
        elif window is not None:
            win = window
        if record or csv:
            paths = {k: p for k, p in (("mp4", record), ("csv", csv)) if p}
            outputs = Outputs(paths, cm.classes, src.fps, src.width, src.height)
            sink = AsyncSink(lambda item: outputs.write(*item), maxsize=4, on_close=outputs.close, on_abort=outputs.abort,
                             name="videocam-live-writer")
        if handle_signals:
            stop.install()
        _loop(src, cm, stages, size, batch, max_frames, win, sink, stop, summary, Renderer())
        ok = True
    finally:
        summary.dropped = src.dropped
        summary.produced = src.produced - (1 if src.pending else 0)  # = processed + dropped
        src.close()
        if win is not None:
            try:
                win.close()
            except Exception:  # noqa: BLE001
                pass
        if sink is not None:
            if ok:
                sink.close()
            else:
                sink.abort()
        stop.restore()
    summary.interrupted = stop.signal_name
    if summary.interrupted:
        summary.stopped_by = ""  # the summary's first line says it
    elif src.end_reason and not summary.stopped_by:
        summary.stopped_by = src.end_reason
    if isinstance(src, FileSource) and src.errors:
        summary.notes.append(f"{src.errors} corrupt packet(s) or frame(s) could not be decoded and were skipped")
    for kind, p in (("mp4", record), ("csv", csv)):
        if p is not None:
            if p.exists():
                summary.outputs[kind] = p
            else:
                summary.notes.append(f"no frames processed: {p} not written")
    return summary


def _open_window(say):
    ok, why = display_available()
    if ok and qt_library_clash():
        ok, why = False, "PyAV was imported before OpenCV, whose window would hang on PyAV's X11 libraries: import cv2 first"
    if not ok:
        say(f"{HEADLESS_MESSAGE} ({why})")
        return None
    try:
        return CvWindow()
    except Exception as e:  # noqa: BLE001 - cv2.error on headless builds
        first = str(e).strip().splitlines()
        say(f"{HEADLESS_MESSAGE} ({first[-1][:100] if first else type(e).__name__})")
        return None


def _take(src: LiveSource, n: int, stop, win) -> tuple[list[LiveFrame], bool]:
    """Up to `n` new frames (the first waited for); (frames, quit_requested)."""
    got: list[LiveFrame] = []
    while not got:
        if stop.event.is_set() or src.ended:
            return got, False
        lf = src.read(timeout=0.05)
        if lf is not None:
            got.append(lf)
        elif win is not None and not win.poll():
            return got, True
    more = min(0.5, max(0.02, 2.0 / (src.fps or DEFAULT_CAMERA_FPS)))
    while len(got) < n and not stop.event.is_set():
        lf = src.read(timeout=more)
        if lf is None:
            break
        got.append(lf)
    return got, False


def _loop(src, cm, stages, size, batch, max_frames, win, sink, stop, summary, renderer):
    rate = _Rate()
    latency = 0.0
    src.start()
    t_start = time.monotonic()
    try:
        while not stop.event.is_set():
            want = batch if max_frames is None else min(batch, max_frames - summary.frames)
            if want <= 0:
                summary.stopped_by = f"--max-frames {max_frames}"
                break
            got, quit_ = _take(src, want, stop, win)
            if quit_:
                summary.stopped_by = "quit from the window"
                break
            if not got:
                break  # signal, or the source ended
            results = analyse_batch(cm, [lf.frame for lf in got], size, stages)
            now = time.monotonic()
            for lf, r in zip(got, results):
                summary.frames += 1
                latency += now - lf.captured
                rate.tick(now)
                img = None
                if win is not None:
                    img = renderer.annotate(r.frame.rgb, r)
                    shown = img.copy()
                    draw_status(shown, f"{rate.fps:.1f} fps  dropped {src.dropped}")
                    if not win.show(shown):
                        summary.stopped_by = "quit from the window"
                        stop.event.set()
                if sink is not None:
                    sink.put((r, img))
    finally:
        summary.seconds = time.monotonic() - t_start
        summary.latency_s = latency / summary.frames if summary.frames else 0.0
