"""A steady label: hysteresis on the decision within a shot.

Two people of about the same size share the evidence, and a per-frame decision (even on
smoothed probabilities) trades the label between them every few frames, while the truth's
label (the larger person) does not change within a shot. `Steady` sits after `Decide` and
keeps the label a shot started with unless another label has clearly taken over:

- evidence: a running average since the last cut of each label's *vote* (the per-frame
  decision, one-hot, so it works with any decision rule: the model's nobody class or a
  probability floor). It is the plain mean over the shot's first `k` frames, then an
  exponential average over about `k` frames, so a person who walks in or out still wins
  within about a second.
- switch: to the label with the most votes, when its share exceeds the current label's by
  `margin`.
- reset at every shot cut (the cut detector of `Smooth`, read from `notes["cut"]`, or its
  own when smoothing is off), so a cut still changes the label at once.

A switch also moves `notes["present"]` (what `Localize` boxes) to the new label.
"""
from __future__ import annotations

import numpy as np

from videocam.stages.smooth import FollowsShots
from videocam.types import NOBODY, FrameResult

__all__ = ["Steady", "STEADY_K", "STEADY_MARGIN"]

# chosen on the tuning seeds (videocam.eval.benchmark.TUNING_SEEDS); see docs/stages.md
STEADY_K = 40
STEADY_MARGIN = 0.6


class Steady(FollowsShots):
    """Label hysteresis within a shot (see module doc). `k <= 0` is off."""

    def __init__(self, k: int = STEADY_K, margin: float = STEADY_MARGIN, own_cuts: bool = False) -> None:
        self.k = int(k)
        self.margin = float(margin)
        self._watch_cuts(own_cuts)
        self.reset()

    @property
    def enabled(self) -> bool:
        return self.k > 0

    def reset(self) -> None:
        self._reset_cuts()
        self._votes: np.ndarray | None = None
        self._n = 0
        self._label: str | None = None
        self._last_index: int | None = None

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        if not self.enabled:
            return results
        for r in results:
            self._follow(r)
            cut = self._is_cut(r)
            names = list(r.classes) + ([NOBODY] if NOBODY not in r.classes else [])
            vote = np.zeros(len(names), np.float32)
            vote[names.index(r.label) if r.label in names else len(names) - 1] = 1.0
            if cut or self._votes is None or self._votes.shape != vote.shape or self._label is None:
                self._votes, self._n, self._label = vote, 1, r.label
                continue
            self._n += 1
            a = max(1.0 / self._n, 2.0 / (self.k + 1.0))
            self._votes = self._votes + np.float32(a) * (vote - self._votes)
            cur = names.index(self._label) if self._label in names else len(names) - 1
            best = int(np.argmax(self._votes))
            if best != cur and self._votes[best] > self._votes[cur] + self.margin:
                self._label = names[best]
            if r.label != self._label:
                self._relabel(r, self._label)
        return results

    @staticmethod
    def _relabel(r: FrameResult, label: str) -> None:
        r.label = label
        if label == NOBODY:
            r.score = float(r.probs[r.classes.index(NOBODY)]) if NOBODY in r.classes else float(np.max(r.probs))
            r.notes["present"] = []
        else:
            i = r.classes.index(label)
            r.score = float(r.probs[i])
            r.notes["present"] = [i]
