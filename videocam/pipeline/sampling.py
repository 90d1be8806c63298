"""Which frames a run analyses: all of them, every Nth (`--every N`), or about F a second (`--fps F`).

For "who is on screen" over hours of video, a few analysed frames a second are plenty; the
frames in between are still decoded (H.264 needs them) but never converted for the model.
A selector is a callable `(index, time_s) -> bool`, called once per decoded frame, in order.
"""
from __future__ import annotations

from videocam.errors import UsageError


class Every:
    """Every `n`th decoded frame, from the first."""

    def __init__(self, n: int) -> None:
        self.n = int(n)

    def __call__(self, index: int, time_s: float) -> bool:
        return index % self.n == 0

    def expected(self, frames: int, duration_s: float | None) -> int:
        return -(-int(frames) // self.n)

    def share(self, source_fps: float) -> float:
        """The fraction of frames analysed."""
        return 1.0 / self.n


class PerSecond:
    """About `fps` frames a second of video time: the first frame at or after each tick.

    Ticks follow the presentation times, so variable frame rates and gaps are handled;
    a source slower than `fps` has every frame analysed.
    """

    def __init__(self, fps: float) -> None:
        self.period = 1.0 / float(fps)
        self._next: float | None = None

    def __call__(self, index: int, time_s: float) -> bool:
        if self._next is None or time_s >= self._next - 1e-6:
            base = time_s if self._next is None else self._next
            # catch up over a gap without a burst of analysed frames afterwards
            steps = max(1, int((time_s - base) / self.period) + 1)
            self._next = base + steps * self.period
            return True
        return False

    def share(self, source_fps: float) -> float:
        return min(1.0, 1.0 / (self.period * source_fps)) if source_fps and source_fps > 0 else 1.0

    def expected(self, frames: int, duration_s: float | None) -> int:
        if not duration_s:
            return int(frames)
        return max(1, min(int(frames), int(round(duration_s / self.period))))


def selector(every: int | None = None, fps: float | None = None):
    """The selector for `--every`/`--fps` (None: analyse every frame)."""
    if every is not None and fps is not None:
        raise UsageError("--every and --fps are alternatives: give one")
    if every is not None:
        if int(every) < 1:
            raise UsageError(f"--every must be at least 1, got {every}")
        return None if int(every) == 1 else Every(every)
    if fps is not None:
        if not float(fps) > 0:
            raise UsageError(f"--fps must be above 0, got {fps}")
        return PerSecond(fps)
    return None
