"""Live sources: a camera, a stream, or a file played in real time, each giving
`LiveFrame`s (a `Frame` plus its monotonic capture time). The newest frame wins, so
latency never builds up; frames inference never saw are counted in `dropped`."""
from __future__ import annotations

import math
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, NamedTuple

import cv2  # before PyAV (videocam.io.reader imports it): see `qt_library_clash`
import numpy as np

from videocam.errors import VideoError
from videocam.types import Frame

DEFAULT_CAMERA_FPS = 30.0
MAX_READ_FAILURES = 10      # consecutive failed reads before a camera counts as gone


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
        from videocam.io.reader import VideoReader

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

