"""Temporal smoothing of probabilities and CAMs, reset at shot cuts.

Pure maths first (`thumbnail`, `frame_difference`, `is_cut`, `ema`), then the
stateful stage `Smooth`, which sits in front of `Decide` so that the label
and the boxes are both taken from the smoothed evidence.

Cut detection compares tiny grayscale thumbnails (32x18 by default) of
consecutive frames: the mean absolute difference, in [0, 1]. Sensor noise
averages out in the thumbnail and a pan or zoom moves it only a little, while a
cut replaces the whole picture. A frame is a cut when its difference is above
an absolute floor AND several times the median of the recent differences (so
a shot with a lot of motion does not fire on every frame), or when it is
above a hard level whatever the recent motion. The floor sits between the
smallest cuts and the largest motion inside a shot (docs/stages.md#constants).
"""
from __future__ import annotations

from collections import deque
from typing import Sequence

import cv2
import numpy as np

from videocam.types import FrameResult

__all__ = ["thumbnail", "frame_difference", "is_cut", "ema", "alpha_for", "CutDetector", "FollowsStream", "Smooth"]

THUMB_SIZE = (32, 18)  # (width, height) of the thumbnails compared (docs/stages.md#constants)

# cut rule defaults (see `is_cut`)
CUT_FLOOR = 0.02  # a difference below this is never a cut (docs/stages.md#constants)
CUT_RATIO = 3.0  # a cut is this many times the median recent difference (docs/stages.md#constants)
CUT_HARD = 0.25  # a difference from this up is a cut whatever the motion (docs/stages.md#constants)
CUT_HISTORY = 15  # recent differences (frames) the median is taken over (docs/stages.md#constants)


def thumbnail(rgb: np.ndarray, size: tuple[int, int] = THUMB_SIZE) -> np.ndarray:
    """A small grayscale float32 thumbnail (height, width) in [0, 1]: every `step`-th pixel of a
    large frame, in grey, area-averaged to `size`."""
    rgb = np.asarray(rgb)
    # Sample every `step`-th pixel first, keeping >= 4x4 samples per thumbnail pixel: an
    # area resize of the whole frame cost 0.2 ms of the main thread per 640x360 frame.
    # A nearest-neighbour resize by exactly 1/step picks the pixels `rgb[::step, ::step]`
    # would, without numpy's strided copy (640x360: 84 -> 20 us for the whole thumbnail).
    h, w = rgb.shape[:2]
    step = max(1, min(h // (4 * int(size[1])), w // (4 * int(size[0]))))
    if step > 1:
        rgb = cv2.resize(rgb[:h - h % step, :w - w % step], (w // step, h // step),
                         interpolation=cv2.INTER_NEAREST)
    if rgb.ndim == 3 and rgb.shape[2] >= 3:
        # grey before the area resize: one channel to average instead of three, half the time on
        # the main thread; the thumbnail moves by at most 1.3/255, which no cut decision notices
        rgb = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    elif rgb.ndim == 3:
        rgb = rgb[..., 0]
    small = cv2.resize(rgb, (int(size[0]), int(size[1])), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


def frame_difference(a_small: np.ndarray, b_small: np.ndarray) -> float:
    """Mean absolute difference of two thumbnails in [0, 1] (same shape)."""
    a = np.asarray(a_small, dtype=np.float32)
    b = np.asarray(b_small, dtype=np.float32)
    if a.shape != b.shape:
        raise ValueError(f"thumbnails differ in shape: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.mean(np.abs(a - b)))


def is_cut(diff: float, history: Sequence[float], floor: float = CUT_FLOOR, ratio: float = CUT_RATIO,
           hard: float | None = CUT_HARD) -> bool:
    """Whether a frame difference `diff` marks a shot cut.

    True when `diff >= floor` and either `diff >= ratio * median(history)`
    (`history`: the recent differences within the current shot; empty means
    no evidence of motion) or `diff >= hard` (`None`: no hard level).
    """
    if diff < floor:
        return False
    if hard is not None and diff >= hard:
        return True
    if len(history) == 0:
        return True
    return diff >= ratio * float(np.median(np.asarray(history, dtype=np.float32)))


def ema(prev: np.ndarray | None, new: np.ndarray, alpha: float) -> np.ndarray:
    """`prev + alpha * (new - prev)`, a new array (inputs are not modified).

    `prev is None` starts the average at `new`. `alpha` in (0, 1]: 1 keeps only
    the new value.
    """
    if prev is None:
        return new
    return prev + np.float32(alpha) * (new - prev)


def alpha_for(k: int) -> float:
    """The EMA weight for an average over about `k` frames: 2 / (k + 1)."""
    return 2.0 / (float(k) + 1.0)


class CutDetector:
    """Stateful shot-cut detection over a stream of frames, in order."""

    def __init__(self, floor: float = CUT_FLOOR, ratio: float = CUT_RATIO, hard: float | None = CUT_HARD,
                 history: int = CUT_HISTORY, size: tuple[int, int] = THUMB_SIZE) -> None:
        self.floor, self.ratio, self.hard, self.size = floor, ratio, hard, size
        self._history: deque[float] = deque(maxlen=max(1, int(history)))
        self._prev: np.ndarray | None = None
        self.last_diff: float | None = None

    def reset(self) -> None:
        self._history.clear()
        self._prev = None
        self.last_diff = None

    def __call__(self, rgb: np.ndarray) -> bool:
        """Feed the next frame; True when it starts a new shot (never the first frame)."""
        thumb = thumbnail(rgb, self.size)
        prev, self._prev = self._prev, thumb
        if prev is None or prev.shape != thumb.shape:
            self.last_diff = None
            return False
        d = frame_difference(prev, thumb)
        self.last_diff = d
        if is_cut(d, self._history, self.floor, self.ratio, self.hard):
            self._history.clear()  # the new shot has its own motion level
            return True
        self._history.append(d)
        return False


class FollowsStream:
    """For stages with state: it restarts when frame indices go backwards (a new stream)."""

    _last_index: int | None = None

    def reset(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _follow(self, r: FrameResult) -> None:
        idx = int(r.frame.index)
        if self._last_index is not None and idx <= self._last_index:
            self.reset()
        self._last_index = idx


class FollowsShots(FollowsStream):
    """For stages whose state lasts a shot: cuts come from `Smooth` (`notes["cut"]`), or, with
    smoothing off (`own_cuts`), from a cut detector of their own."""

    cuts: "CutDetector | None" = None

    def _watch_cuts(self, own_cuts: bool) -> None:
        self.cuts = CutDetector() if own_cuts else None

    def _reset_cuts(self) -> None:
        if self.cuts is not None:
            self.cuts.reset()

    def _is_cut(self, r: FrameResult) -> bool:
        return self.cuts(r.frame.small) if self.cuts is not None else bool(r.notes.get("cut"))


class Smooth(FollowsStream):
    """EMA over about `k` frames of `probs` and `cams`, carried across batches.

    The average restarts at a shot cut (the cut frame's own evidence is taken
    as is, so the label follows the new shot at once) and when frame indices go
    backwards (a new stream). Cut frames get `notes["cut"] = True`; every frame
    after the first gets `notes["frame_diff"]` (for tuning). `k <= 1` is off:
    results pass through untouched and no thumbnails are computed.

    Results get new `probs`/`cams` arrays (the EMA allocates them); the input
    arrays are never modified in place, and frames are not copied.
    """

    def __init__(self, k: int, cut_floor: float = CUT_FLOOR, cut_ratio: float = CUT_RATIO,
                 cut_hard: float | None = CUT_HARD, cut_history: int = CUT_HISTORY) -> None:
        self.k = int(k)
        self.alpha = alpha_for(self.k) if self.k > 1 else 1.0
        self.cuts = CutDetector(cut_floor, cut_ratio, cut_hard, cut_history)
        self._probs: np.ndarray | None = None
        self._cams: np.ndarray | None = None
        self._last_index: int | None = None

    @property
    def enabled(self) -> bool:
        return self.k > 1

    def reset(self) -> None:
        self.cuts.reset()
        self._probs = self._cams = None
        self._last_index = None

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        if not self.enabled:
            return results
        for r in results:
            self._follow(r)
            cut = self.cuts(r.frame.small)
            if self.cuts.last_diff is not None:
                r.notes["frame_diff"] = round(self.cuts.last_diff, 5)
            probs = np.asarray(r.probs, dtype=np.float32)
            cams = np.asarray(r.cams, dtype=np.float32)
            if cut:
                r.notes["cut"] = True
            if cut or self._probs is None or self._probs.shape != probs.shape \
                    or self._cams is None or self._cams.shape != cams.shape:
                self._probs, self._cams = probs, cams
            else:
                self._probs = ema(self._probs, probs, self.alpha)
                self._cams = ema(self._cams, cams, self.alpha)
            r.probs, r.cams = self._probs, self._cams
        return results
