"""The decision: who is in the frame (a class, or `nobody`), and which classes get boxes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from videocam.types import NOBODY, FrameResult

# A model trained without a nobody class says `nobody` when its top probability is below this
# (docs/stages.md#constants, DEFAULT_NOBODY_BELOW).
DEFAULT_NOBODY_BELOW = 0.45


def boxed_classes(r: FrameResult) -> list[int]:
    """The classes a frame is boxed for: those the decision found present (the top class if it
    left none), never `nobody`. Empty for a nobody frame."""
    if r.label == NOBODY:
        return []
    present: Sequence[int] = r.notes.get("present") or [int(np.argmax(r.probs))]
    return [c for c in present if r.classes[c] != NOBODY]


@dataclass
class Decide:
    """Set `label`/`score`: the top class, or `nobody`, so that the row never contradicts itself.

    `label` is the class with the highest probability, or `nobody` when that is the model's own
    `nobody` class or, with `nobody_below` set (models trained without a nobody class), when the
    top probability is below it (`--nobody P` sets it for any model). `score` is the probability of
    `label`; for `nobody` without a nobody class it is 1 minus the top probability.
    `present` (in `notes`) lists the class indices to box; a multi-person stage may add more.
    """

    nobody_below: float | None = None
    use_nobody: bool = True  # False: the original single-image rule, always some person

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        for r in results:
            probs = r.probs
            if not self.use_nobody and NOBODY in r.classes:
                probs = np.array(probs, dtype=np.float32, copy=True)
                probs[r.classes.index(NOBODY)] = -1.0
            i = int(np.argmax(probs))
            label, score = r.classes[i], float(r.probs[i])
            if self.use_nobody and self.nobody_below is not None and score < self.nobody_below:
                label = NOBODY
                score = float(r.probs[r.classes.index(NOBODY)]) if NOBODY in r.classes else 1.0 - score
            r.label, r.score = label, score
            r.notes.setdefault("present", [] if label == NOBODY else [i])
        return results
