"""Who leads a frame of several people: the person whose box reaches highest, held through the shot.

The truth's label of a frame with several people is the person whose box is the largest. The
softmax does not rank people by size, and neither do map boxes: a map box ends at the tie, not at
the person's outline. A map box's *top* is reliable, though (the top of the face), and people shown
together are framed to one lower edge (the frame's bottom in a two-shot, the desk of a panel), so
the largest of them is most often the one whose box reaches highest; least so in two-shots of
about equal size.

`Lead` (last in the `--multi` chain, after `Refine`, whose second look removes the look-alikes'
stray boxes it would otherwise follow) names each frame of two or more boxes for that person, with
hysteresis over the several-box frames of a shot: a running share of each person's votes
since the last cut (`notes["cut"]` from `Smooth`, or its own detector when smoothing is off), and a
switch only when another person's share is `margin` higher, so people of about the same size do
not trade the label. A frame that lost the held person's box does not hand the label over; only
the votes do. Once most people frames of a shot had several boxes, every people frame of the shot
takes the held name; before that, and in shots of one person with a stray second box, frames keep
the label the chain gave them. Measurements: docs/stages.md#constants.
"""
from __future__ import annotations

from videocam.stages.smooth import FollowsShots
from videocam.types import NOBODY, FrameResult

__all__ = ["Lead", "LEAD_K", "LEAD_MARGIN"]

LEAD_K = 40  # window (frames) of the running vote share (docs/stages.md#constants)
LEAD_MARGIN = 0.8  # another person's share must exceed the held one's by this (docs/stages.md#constants)


class Lead(FollowsShots):
    """See the module doc. `k <= 0` names each several-box frame on its own (no hysteresis)."""

    def __init__(self, k: int = LEAD_K, margin: float = LEAD_MARGIN, own_cuts: bool = False) -> None:
        self.k = int(k)
        self.margin = float(margin)
        self._watch_cuts(own_cuts)  # smoothing off: no `notes["cut"]`, so its own detector
        self.reset()

    def reset(self) -> None:
        self._reset_cuts()
        self._new_shot()
        self._last_index = None

    def _new_shot(self) -> None:
        self._votes: dict[str, float] = {}
        self._n = 0  # several-box frames of the shot so far
        self._frames = 0  # people frames of the shot so far
        self._held: str | None = None
        self._leads = False

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            self._follow(r)
            if self._is_cut(r):
                self._new_shot()
            if r.label == NOBODY or not r.boxes:
                continue
            self._frames += 1
            if len(r.boxes) < 2:
                self._name(r)
                continue
            highest = min(r.boxes, key=lambda b: b.y0).label
            self._n += 1
            a = max(1.0 / self._n, 2.0 / (self.k + 1.0)) if self.k > 0 else 1.0
            for name in set(self._votes) | {highest}:
                self._votes[name] = (1.0 - a) * self._votes.get(name, 0.0) + a * (name == highest)
            if self._held is None:
                self._held = highest
            else:  # a frame that lost the held person's box does not hand the label over: votes do
                best = max(self._votes, key=lambda name: self._votes[name])
                if self._votes[best] > self._votes.get(self._held, 0.0) + self.margin:
                    self._held = best
            self._name(r)
        return results

    def _name(self, r: FrameResult) -> None:
        """The held person names the frame while most people frames of the shot had several boxes."""
        if self._held is None or self._held not in r.classes:
            return
        if not self._leads:
            if 2 * self._n < self._frames:
                return
            self._leads = True  # from here to the cut, so the label does not trade with the chain's
        r.label = self._held
        r.score = float(r.probs[r.classes.index(self._held)])
