"""The live window (OpenCV HighGUI) and how to tell whether a display is there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2  # before PyAV (videocam.io.reader imports it): see `qt_library_clash`
import numpy as np

from videocam.io.capture import _quiet_stderr

WINDOW_TITLE = "videocam live"
HEADLESS_MESSAGE = "no display: running headless"

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

    from videocam.io.render import text_scale

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


