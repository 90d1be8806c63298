"""Live mode: a camera, a stream or a file played in real time, through the model.

Sources (all give `LiveFrame`s: a `Frame` plus its monotonic capture time):

- `CameraSource` wraps an OpenCV `VideoCapture` (webcam index, ``/dev/videoN``,
  ``rtsp://``/``http://`` URL). A grab thread reads every frame the camera
  produces into a one-slot buffer where the newest frame wins, so latency
  never builds up: frames that inference never saw are counted in `dropped`.
  `Frame.index` is the camera's frame number since `start()` (gaps where frames
  were dropped) and `Frame.time_s` the capture time in seconds since `start()`.
- `FileSource` plays a video file (decoded by `VideoReader`) at its own frame
  rate against a monotonic clock and drops frames the same way, so it behaves
  like a camera. `Frame.index`/`time_s` are the file's frame number and
  presentation time, as in `videocam run`, so the per-frame CSV lines up with
  a ground-truth CSV. ``realtime=False`` hands over every frame without
  pacing or dropping (tests, offline checks).

`run_live` is the loop: newest frame -> model -> the `run` stage chain ->
annotation (+ live fps) -> an OpenCV window, with `--record`/`--csv` written
on a background thread. `q`/Esc, SIGINT, SIGTERM, `max_frames` or the end of
the source stop it; outputs are always closed properly.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import cv2  # before PyAV (videocam.video imports it): see `qt_library_clash`
import numpy as np

from .errors import UsageError
from .pipeline import RateAndExit
from .types import Frame, FrameResult
from .video import VideoError

__all__ = [
    "LiveFrame", "LatestSlot", "LiveSource", "CameraSource", "FileSource", "open_source",
    "parse_source", "display_available", "CvWindow", "LiveSummary", "run_live",
]

DEFAULT_CAMERA_FPS = 30.0
MAX_READ_FAILURES = 10      # consecutive failed reads before a camera counts as gone
WINDOW_TITLE = "videocam live"
HEADLESS_MESSAGE = "no display: running headless"


class LiveFrame(NamedTuple):
    frame: Frame
    captured: float  # time.monotonic() when the frame was captured (or was due, for files)


# --------------------------------------------------------------------------- #
# The one-slot buffer
# --------------------------------------------------------------------------- #


class LatestSlot:
    """A one-item buffer between a producer and a consumer; the newest item wins.

    `put` replaces an item the consumer has not taken yet and counts it in
    `overwritten`. With ``lossless=True`` `put` waits for the consumer instead
    (nothing is dropped). `finish()` says no more items will come; `get`
    still returns a waiting item, then None, and `ended` turns True.
    """

    def __init__(self, lossless: bool = False):
        self._cond = threading.Condition()
        self._item: Any = None
        self._has = False
        self._finished = False
        self._cancelled = False
        self.lossless = lossless
        self.overwritten = 0

    def put(self, item) -> bool:
        """Offer an item; False when the slot was cancelled (stop producing)."""
        with self._cond:
            if self.lossless:
                while self._has and not self._cancelled:
                    self._cond.wait(0.1)
            if self._cancelled:
                return False
            if self._has:
                self.overwritten += 1
            self._item, self._has = item, True
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None):
        """The newest item, waiting up to `timeout` s for one; None if there is none."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._has and not self._finished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cond.wait(left)
            if not self._has:
                return None
            item, self._item, self._has = self._item, None, False
            self._cond.notify_all()
            return item

    def finish(self) -> None:
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = self._finished = True
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        return self._has

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._finished and not self._has


# --------------------------------------------------------------------------- #
# Sources
# --------------------------------------------------------------------------- #


class LiveSource:
    """A frame producer on its own thread feeding a `LatestSlot`.

    Subclasses set `name`, `width`, `height`, `fps` (nominal) and implement
    `_produce()` (call `_publish` per frame until `_stop` is set or the source
    ends) and `_frame(item)` (slot item -> `LiveFrame`, on the consumer's thread).
    """

    name = "source"
    width = height = 0
    fps = DEFAULT_CAMERA_FPS
    is_file = False

    def __init__(self, lossless: bool = False):
        self._slot = LatestSlot(lossless=lossless)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.produced = 0
        self.error: BaseException | None = None
        self.end_reason: str | None = None
        self.t0: float | None = None
        self._raised = False

    def scale_for_model(self, size: tuple[int, int]) -> None:
        """Ask for frames that also carry a copy at the model's input size, where the source can.

        Cameras cannot (OpenCV gives BGR frames; the model input is resized
        by `CamModel.prepare`). Files can, as in `videocam run`.
        """

    # -- producer side --
    def start(self) -> "LiveSource":
        if self._thread is None:
            self.t0 = time.monotonic()
            self._thread = threading.Thread(target=self._run, daemon=True, name="videocam-grab")
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._produce()
        except BaseException as e:  # noqa: BLE001 - raised in the consumer by read()
            self.error = e
        finally:
            self._slot.finish()

    def _produce(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _publish(self, item) -> bool:
        """Hand one frame to the slot; False once the source is being closed."""
        if not self._slot.put(item):
            return False
        self.produced += 1
        return True

    # -- consumer side --
    def read(self, timeout: float = 0.1) -> LiveFrame | None:
        """The newest frame not seen yet, waiting up to `timeout` s; None if none came.

        Once the source has ended and its last frame was taken, returns None
        (`ended` is True) or raises the error that ended it.
        """
        if self._thread is None:
            self.start()
        item = self._slot.get(timeout)
        if item is None:
            if self.error is not None and self._slot.ended and not self._raised:
                self._raised = True
                raise self.error
            return None
        return self._frame(item)

    def _frame(self, item) -> LiveFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        return self._thread is not None and self._slot.ended

    @property
    def pending(self) -> bool:
        """A frame is waiting that nobody has read yet."""
        return self._slot.pending

    @property
    def dropped(self) -> int:
        """Frames the source produced that a newer frame replaced before anyone read them."""
        return self._slot.overwritten

    @property
    def elapsed(self) -> float:
        return 0.0 if self.t0 is None else time.monotonic() - self.t0

    def close(self) -> None:
        self._stop.set()
        self._slot.cancel()
        alive = False
        if self._thread is not None:
            self._thread.join(timeout=3.0)
            alive = self._thread.is_alive()
        if not alive:  # never release a capture that a stuck thread is still reading
            self._release()

    def _release(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _to_rgb(img: np.ndarray) -> np.ndarray:
    import cv2

    img = np.asarray(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[..., 0], cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@contextmanager
def _quiet_stderr():
    """Silence OpenCV's and FFmpeg's stderr chatter (fd 2) while opening a capture;
    yields a list that receives what was said, for the error message."""
    import cv2

    said: list[str] = []
    try:
        old_level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except Exception:  # noqa: BLE001 - old builds without the logging module
        old_level = None
    saved = None
    tmp = None
    try:
        try:
            sys.stderr.flush()
            tmp = tempfile.TemporaryFile(mode="w+b")
            saved = os.dup(2)
            os.dup2(tmp.fileno(), 2)
        except (OSError, ValueError, AttributeError):
            saved = None
        yield said
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            said += [ln.strip() for ln in tmp.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        if tmp is not None:
            tmp.close()
        if old_level is not None:
            cv2.utils.logging.setLogLevel(old_level)


def _reason(lines: list[str]) -> str:
    """The most telling line of what FFmpeg/OpenCV said, without the `[tcp @ 0x...]` prefix."""
    import re

    for ln in reversed(lines):
        ln = re.sub(r"^\[[^\]]*\]\s*", "", ln).strip()
        if ln and not ln.startswith(("OpenCV(", ">", "global ")) and "WARN" not in ln:
            return ln[:120]
    return ""


def default_capture(spec):
    """`cv2.VideoCapture(spec)`, quietly; URLs get 10 s open/read timeouts."""
    import cv2

    if isinstance(spec, str) and "://" in spec:
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 10000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 10000]
        return cv2.VideoCapture(spec, cv2.CAP_ANY, params)
    return cv2.VideoCapture(spec)


def _describe(spec) -> str:
    if isinstance(spec, int):
        return f"camera {spec}"
    return str(spec)


class CameraSource(LiveSource):
    """Frames from an OpenCV capture (webcam, /dev/videoN, stream URL), newest wins.

    `capture_factory(spec)` makes the capture (default `cv2.VideoCapture`); any
    object with `read()`, `isOpened()`, `release()` and `get(prop)` will do.
    The constructor opens the capture and reads one frame (its size is the
    stream's size), raising `VideoError` when either fails.
    """

    def __init__(self, spec: int | str = 0, capture_factory: Callable | None = None,
                 fps: float | None = None):
        super().__init__(lossless=False)
        self.spec = spec
        self.name = _describe(spec)
        said: list[str] = []
        if capture_factory is None:
            with _quiet_stderr() as said:
                cap = default_capture(spec)
                opened = bool(cap.isOpened())
        else:
            cap = capture_factory(spec)
            opened = bool(cap.isOpened())
        if not opened:
            _safe_release(cap)
            raise VideoError(self._open_error(said))
        self._cap = cap
        ok, img = self._read_once(capture_factory is None)
        if not ok or img is None or np.asarray(img).size == 0:
            _safe_release(cap)
            raise VideoError(f"{self.name} opened but gives no frames")
        img = np.asarray(img)
        self.height, self.width = int(img.shape[0]), int(img.shape[1])
        self.fps = _nominal_fps(cap) if fps is None else float(fps)

    def _open_error(self, said: list[str]) -> str:
        spec = self.spec
        why = _reason(said)
        if isinstance(spec, int):
            return f"cannot open camera {spec} (no such camera, or it is busy)"
        if "://" in str(spec):
            return f"cannot open stream {spec}" + (f": {why}" if why else "")
        return f"cannot open {spec}" + (f": {why}" if why else "")

    def _read_once(self, quiet: bool):
        if quiet:
            with _quiet_stderr():
                return self._cap.read()
        return self._cap.read()

    def _produce(self) -> None:
        cap, stop = self._cap, self._stop
        fails = index = 0
        while not stop.is_set():
            ok, img = cap.read()
            t = time.monotonic()
            if not ok or img is None:
                fails += 1
                if fails >= MAX_READ_FAILURES:
                    self.end_reason = f"{self.name} stopped giving frames"
                    return
                stop.wait(0.02)
                continue
            fails = 0
            if not self._publish((index, t, img)):
                return
            index += 1

    def _frame(self, item) -> LiveFrame:
        index, t, img = item
        return LiveFrame(Frame(index=index, time_s=t - self.t0, rgb=_to_rgb(img)), t)

    def _release(self) -> None:
        _safe_release(self._cap)


def _safe_release(cap) -> None:
    try:
        cap.release()
    except Exception:  # noqa: BLE001
        pass


def _nominal_fps(cap) -> float:
    try:
        import cv2

        v = float(cap.get(cv2.CAP_PROP_FPS))
    except Exception:  # noqa: BLE001
        v = 0.0
    return v if math.isfinite(v) and 1.0 <= v <= 240.0 else DEFAULT_CAMERA_FPS


class FileSource(LiveSource):
    """A video file played like a camera: at its own frame rate, newest frame wins.

    ``realtime=False``: no pacing and no dropping, every frame is handed over
    (the producer waits for the consumer).
    """

    is_file = True

    def __init__(self, path, realtime: bool = True):
        from .video import VideoReader

        super().__init__(lossless=not realtime)
        self.path = Path(path)
        self.name = str(path)
        self.realtime = realtime
        self.reader = VideoReader(self.path)
        self.width, self.height, self.fps = self.reader.width, self.reader.height, self.reader.fps

    def scale_for_model(self, size: tuple[int, int]) -> None:
        self.reader.model_size = size  # the same FFmpeg-scaled input as `videocam run`

    def _produce(self) -> None:
        stop = self._stop
        start = pts0 = None
        for f in self.reader:
            if stop.is_set():
                return
            t = time.monotonic()
            if self.realtime:
                if pts0 is None:
                    start, pts0 = t, f.time_s
                due = start + (f.time_s - pts0)
                if due > t:
                    if stop.wait(due - t):
                        return
                    t = time.monotonic()
            if not self._publish(LiveFrame(f, t)):
                return
        self.end_reason = "end of file"

    def _frame(self, item) -> LiveFrame:
        return item

    @property
    def errors(self) -> int:
        return self.reader.errors

    def _release(self) -> None:
        self.reader.close()


def parse_source(text) -> int | str:
    """`--source` text -> a camera index (int) or a path/URL (str)."""
    if isinstance(text, int):
        return text
    s = str(text).strip()
    if s.isdigit():
        return int(s)
    return s


def open_source(source, capture_factory: Callable | None = None, realtime: bool = True) -> LiveSource:
    """A `LiveSource` for a camera index, ``/dev/videoN``, a URL or a video file.

    Raises `VideoError` (one line) when it cannot be opened.
    """
    if isinstance(source, LiveSource):
        return source
    spec = parse_source(source)
    if isinstance(spec, int):
        return CameraSource(spec, capture_factory)
    if "://" in spec:
        return CameraSource(spec, capture_factory)
    if spec.startswith("/dev/"):
        if capture_factory is None and not os.path.exists(spec):
            raise VideoError(f"cannot open {spec}: no such device")
        return CameraSource(spec, capture_factory)
    return FileSource(spec, realtime=realtime)


# --------------------------------------------------------------------------- #
# Display
# --------------------------------------------------------------------------- #

_PROBE = ("import cv2\n"
          "cv2.namedWindow('videocam probe', cv2.WINDOW_NORMAL)\n"
          "cv2.waitKey(1)\n"
          "cv2.destroyAllWindows()\n")
_probe_cache: dict = {}


def _probe_window(env) -> bool:
    """Open a window in a child process: OpenCV's Qt backend aborts the whole
    process (it does not raise) when it cannot reach the display."""
    key = (env.get("DISPLAY"), env.get("WAYLAND_DISPLAY"), env.get("QT_QPA_PLATFORM"))
    if key not in _probe_cache:
        try:
            r = subprocess.run([sys.executable, "-c", _PROBE], env=dict(env), timeout=20,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            _probe_cache[key] = r.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _probe_cache[key] = False
    return _probe_cache[key]


def display_available(env=None, platform: str | None = None, probe: bool = True) -> tuple[bool, str]:
    """(True, "") when an OpenCV window can be shown, else (False, why)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True, ""
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return False, "DISPLAY and WAYLAND_DISPLAY are not set"
    if probe and not _probe_window(env):
        return False, "cannot open a window on this display"
    return True, ""


def qt_library_clash() -> list[str]:
    """Shared libraries OpenCV's GUI needs that another wheel loaded first (Linux).

    opencv-python and PyAV both bundle X11/xcb libraries under the same
    hashed names. When PyAV is imported first, its copies win and OpenCV's
    Qt window hangs forever in `namedWindow`; importing cv2 first is safe.
    Returns the clashing paths (empty when a window is safe to open).
    """
    if not sys.platform.startswith("linux"):
        return []
    libs = Path(cv2.__file__).resolve().parent.parent / "opencv_python.libs"
    try:
        names = set(os.listdir(libs))
        with open("/proc/self/maps") as fh:
            mapped = {ln.split(None, 5)[5].strip() for ln in fh if ln.count(" ") >= 5 and "/" in ln}
    except (OSError, IndexError):
        return []
    return sorted(m for m in mapped if Path(m).name in names and Path(m).parent != libs)


class CvWindow:
    """An OpenCV window: `show(rgb)`/`poll()` return False when the user quits
    (q, Esc, or closing the window)."""

    QUIT_KEYS = (ord("q"), ord("Q"), 27)

    def __init__(self, title: str = WINDOW_TITLE):
        import cv2

        self.title = title
        with _quiet_stderr():  # opencv-python's Qt complains about fonts it does not ship
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        self._sized = False
        self._seen_visible = False

    def show(self, rgb: np.ndarray) -> bool:
        import cv2

        if not self._sized:
            h, w = rgb.shape[:2]
            k = min(1.0, 1280.0 / w, 800.0 / h)
            cv2.resizeWindow(self.title, max(1, int(w * k)), max(1, int(h * k)))
            self._sized = True
        cv2.imshow(self.title, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return self.poll()

    def poll(self) -> bool:
        import cv2

        key = cv2.waitKey(1)
        if key != -1 and (key & 0xFF) in self.QUIT_KEYS:
            return False
        try:
            visible = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE)
        except cv2.error:
            visible = 0 if self._seen_visible else 1
        if visible >= 1:
            self._seen_visible = True
        elif self._seen_visible:  # the user closed it
            return False
        return True

    def close(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass


def draw_status(img: np.ndarray, text: str) -> None:
    """Live status (fps, drops) in the bottom-left corner, in place."""
    import cv2

    from .render import text_scale

    h, w = img.shape[:2]
    scale = text_scale(w, h)
    thick = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(2, th // 3)
    y1 = h - pad
    roi = img[max(0, y1 - th - base - 2 * pad):h, 0:min(w, tw + 3 * pad)]
    cv2.convertScaleAbs(roi, roi, 0.35)
    cv2.putText(img, text, (pad, y1 - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                thick, cv2.LINE_AA)


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


class _Outputs:
    """--record / --csv, consumed on the writer thread. Items are (result, image or None)."""

    def __init__(self, record, csv, classes, fps, width, height):
        from .csvio import CsvWriter
        from .render import Renderer
        from .video import Mp4Writer

        self.renderer = Renderer()
        self.mp4 = self.csv = None
        try:
            if record:
                self.mp4 = Mp4Writer(record, fps, width, height)
            if csv:
                self.csv = CsvWriter(csv, classes)
        except BaseException:
            self.abort()
            raise

    def consume(self, item) -> None:
        result, img = item
        if self.mp4 is not None:
            if img is None:
                img = self.renderer.annotate(result.frame.rgb, result)
            self.mp4.write(img, result.frame.time_s)
        if self.csv is not None:
            self.csv.write(result)

    def close(self) -> None:
        for w in (self.mp4, self.csv):
            if w is not None:
                w.close()

    def abort(self) -> None:
        for w in (self.mp4, self.csv):
            if w is not None:
                try:
                    w.abort()
                except Exception:  # noqa: BLE001
                    pass


def _check_output(flag: str, path) -> Path:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} is a folder, not a file: {p}")
    parent = p.parent
    if not parent.is_dir():
        raise UsageError(f"{flag}: no folder {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag}: folder is not writable: {parent}")
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
    from .pipeline import check_stage_options
    check_stage_options(threshold, nobody, smooth, boxes, norm, batch, scale)
    if max_frames is not None and int(max_frames) < 1:
        raise UsageError(f"--max-frames must be at least 1, got {max_frames}")
    record = _check_output("--record", record) if record else None
    csv = _check_output("--csv", csv) if csv else None
    if record and csv and _same(record, csv):
        raise UsageError("--record and --csv name the same file")
    batch = int(batch)

    src = open_source(source, capture_factory=capture_factory, realtime=realtime)  # fail fast: before TF

    from .model import CamModel, load_model
    from .pipeline import _StopFlag, build_stages
    from .render import Renderer
    from .stages import run_stages
    from .video import AsyncSink

    outputs = sink = win = None
    stop = _StopFlag()
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
        stages = build_stages(cm, threshold, boxes, norm, nobody, multi, smooth, scale)
        size = cm.input_size_for(src.width, src.height, aspect)
        src.scale_for_model(size)
        cm.probs_and_cams(np.zeros((batch, size[0], size[1], 3), np.float32))  # trace now, not on frame 1

        if window is None and display is not False:
            win = _open_window(say)
        elif window is not None:
            win = window
        if record or csv:
            outputs = _Outputs(record, csv, cm.classes, src.fps, src.width, src.height)
            sink = AsyncSink(outputs.consume, maxsize=4, on_close=outputs.close, on_abort=outputs.abort,
                             name="videocam-live-writer")
        if handle_signals:
            stop.install()
        _loop(src, cm, stages, size, batch, max_frames, win, sink, stop, summary, run_stages, Renderer())
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


def _loop(src, cm, stages, size, batch, max_frames, win, sink, stop, summary, run_stages, renderer):
    classes = tuple(cm.classes)
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
            x = cm.prepare([lf.frame.model_input(size) for lf in got], size)
            probs, cams = cm.probs_and_cams(x)
            results = [FrameResult(frame=lf.frame, classes=classes, probs=probs[i], cams=cams[i])
                       for i, lf in enumerate(got)]
            results = run_stages(stages, results)
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
