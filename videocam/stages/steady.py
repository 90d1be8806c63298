"""A steady label: the shot's running mean of the probabilities, so the label does not trade.

Two people of about the same size share the evidence, and a per-frame decision (even on
smoothed probabilities) trades the label between them every few frames, while the truth's label
(the larger person) does not change within a shot. `Steady` sits between `Smooth` and `Decide`
and replaces each frame's probabilities by the running mean of its shot's: the plain mean over
the shot's first `k`/2 frames, then an exponential average of span `k`, so a person who walks in
or out still wins within about `k`/4 frames (a second at 25 fps). It restarts at every shot cut (the cut
detector of `Smooth`, read from `notes["cut"]`, or its own when smoothing is off), so a cut still
changes the label at once. The frame's own probabilities stay in `notes["frame_probs"]` for
`Multi`, which looks for everyone else in this frame.

Why a mean of probabilities and not hysteresis on the decision: `Decide` then takes the label
as the top class of the very probabilities the row writes, so a CSV row and the MP4 panel never
contradict themselves (label = the highest `p_`, score = `p_<label>`), and the written
probabilities stay probabilities (a mean of them), not sharpened ones.
"""
from __future__ import annotations

import numpy as np

from videocam.stages.smooth import FollowsShots
from videocam.types import FrameResult

__all__ = ["Steady", "STEADY_K"]

STEADY_K = 80  # frames the shot's running mean spans (docs/stages.md#constants, steady.STEADY_K)


class Steady(FollowsShots):
    """The shot's running mean of `probs` (see module doc), carried across batches. `k <= 0` is off."""

    def __init__(self, k: int = STEADY_K, own_cuts: bool = False) -> None:
        self.k = int(k)
        self._watch_cuts(own_cuts)
        self.reset()

    @property
    def enabled(self) -> bool:
        return self.k > 0

    def reset(self) -> None:
        self._reset_cuts()
        self._mean: np.ndarray | None = None
        self._n = 0
        self._last_index: int | None = None

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        if not self.enabled:
            return results
        for r in results:
            self._follow(r)
            cut = self._is_cut(r)
            p = np.asarray(r.probs, np.float32)
            if cut or self._mean is None or self._mean.shape != p.shape:
                self._mean, self._n = p, 1
            else:
                self._n += 1
                a = max(1.0 / self._n, 2.0 / (self.k + 1.0))
                self._mean = self._mean + np.float32(a) * (p - self._mean)
            r.notes["frame_probs"] = p  # who else is in the frame (`Multi`) is the frame's own evidence
            r.probs = self._mean  # a new array each frame: earlier results keep theirs
        return results
